//! X12 segment/element dictionary and transaction-set grammars for 004010 and 005010.
//!
//! Everything here is static data: the validator looks a segment up with [`segment`], walks its
//! [`ElementDef`]s to check types, lengths, requirement and code values, and walks a [`SetDef`]
//! body ([`set`]) to check segment order, loops and repeat counts. Nothing allocates.
//!
//! # Where the data comes from
//!
//! `v004010.rs`, `v005010.rs`, `sets.rs` and `codes.rs` are generated from the X12 004010/005010
//! tables as transcribed by freight-trust/libedi (MIT), with the corrections listed in each file's
//! header. The project reference `shared/x12-chargeback.md` overrides the transcription where they
//! disagree (element 127 lengths, ST03, AK1–AK4 shapes, per-version loop limits). The envelope
//! segments ISA, IEA, GS, GE and TA1 are not in the transcription and were written from
//! `x12-chargeback.md` §2 and §8.3.
//!
//! The base standard gives only mandatory/optional; the transcription carries no syntax notes
//! (paired, required, exclusion, conditional), so no element is marked
//! [`Requirement::Conditional`] yet. The relational conditions the validator checks are in
//! [`notes`], written by hand for the segments of the chargeback sets.
//!
//! # Code lists
//!
//! Only the elements the chargeback flow decides on carry a code list ([`ElementDef::codes`]);
//! every other ID element is checked for type and length only. Each list is the full standard list
//! of that version, sorted by byte value so [`codes_contain`] is a binary search:
//!
//! | Element | Used in | Meaning |
//! |---|---|---|
//! | 98 | N101, N106, CUR01, CUR04, LCD02, PWK04 | entity identifier |
//! | 66 | N103, LCD05, PSA01, PWK05 | identification code qualifier |
//! | 128 | REF01, BAA04, BPA03, BRC03, CON01, N901, PTD04, DD03, C040 | reference qualifier |
//! | 374 | DTM01, CUR07…, SHP03 | date/time qualifier |
//! | 673 | QTY01, CTB03, SHP01 | quantity qualifier |
//! | 522 | AMT01, CTB05, PSA05 | amount qualifier |
//! | 639 | UIT03, CTP09, PO305, SLN07 | basis of unit price |
//! | 355 | C001-01/04/…, CTT04/06, ITA11/17, PO307, PO4 | unit of measure |
//! | 235 | LIN02…, SII01, SLN09… | product/service ID qualifier |
//! | 236 | CTP02, PO303 | price identifier |
//! | 687 | CTP01 | class of trade |
//! | 353 | BAA01, BPA01, BPT01, BRC01 | transaction set purpose |
//! | 640 | BAA02 | transaction type |
//! | 670 | PAD03 | change or response type (the brief guessed 306; 306 is BPT07/LCD03) |
//! | 846 | CON03 | contract status |
//! | 521 | PAD02, PTD01 | product transfer type |
//! | 755 | BPT04, PWK01 | report type |
//! | 901 | AAA03 | reject reason |
//! | 889 | AAA04 | follow-up action |
//! | 479 | GS01, AK101 | functional identifier |
//! | 143 | ST01, AK201 | transaction set identifier |
//! | 715, 716 | AK901, AK905–AK909 | group ack / group syntax error |
//! | 717, 718 | AK501, AK502–AK506, IK501 | set ack / set syntax error |
//! | 720, 723 | AK304, AK403 | segment / element syntax error |
//! | 618, 620, 621 | IK502–IK506, IK304, IK403 (005010 only) | implementation syntax errors |
//!
//! ID elements whose length the transcription leaves out take the shortest and longest code of
//! the version's list as min/max (the same element in the other version's table where there is
//! no list).

// The generated tables keep one element per line; rustfmt would explode them.
pub mod notes;
#[rustfmt::skip]
mod codes;
#[rustfmt::skip]
mod sets;
#[rustfmt::skip]
mod v004010;
#[rustfmt::skip]
mod v005010;

/// X12 data element types. `N(d)` = numeric with d implied decimals (N0 = `N(0)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    /// String: printable characters, trailing spaces not significant (except in ISA).
    AN,
    /// Identifier: a code value, possibly from a code list.
    ID,
    /// Numeric with the given number of implied decimal places, no decimal point.
    N(u8),
    /// Decimal number with an optional sign and an explicit point where needed.
    R,
    /// Date: CCYYMMDD, or YYMMDD where the length is 6 (ISA09, TA102).
    DT,
    /// Time: HHMM[SS[D[D]]].
    TM,
    /// Binary data.
    B,
}

/// Whether an element (or a segment position) must be present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// Must be present (for a component: whenever its composite is present).
    Mandatory,
    /// May be absent.
    Optional,
    /// Required or forbidden depending on other elements (syntax notes); not produced by the
    /// current tables, see the module documentation.
    Conditional,
}

/// One data element position of a segment, or one component position of a composite.
#[derive(Debug, Clone, Copy)]
pub struct ElementDef {
    /// Data element reference number (`"128"`), or the composite ID (`"C001"`).
    pub ref_num: &'static str,
    /// Short description from the element dictionary.
    pub name: &'static str,
    /// Data type; for a composite `AN`, and meaningless.
    pub data_type: DataType,
    /// Minimum length in characters (sign and decimal point not counted); 0 for a composite.
    pub min: u16,
    /// Maximum length in characters (sign and decimal point not counted); 0 for a composite.
    pub max: u16,
    /// Requirement designator in the base standard.
    pub req: Requirement,
    /// Maximum number of repetitions, 1 when the element does not repeat (only 005010 repeats).
    pub repeat: u16,
    /// Allowed code values, sorted, for the elements listed in the module documentation.
    pub codes: Option<&'static [&'static str]>,
    /// `codes` packed with [`pack_prefix`], same order, for integer binary search.
    pub code_keys: &'static [u64],
    /// Components of a composite, in order; empty for a simple element.
    pub components: &'static [ElementDef],
}

impl ElementDef {
    /// Whether this position holds a composite data structure.
    pub fn is_composite(&self) -> bool {
        !self.components.is_empty()
    }

    /// Whether `value` is one of this element's codes; `true` when the element has no list.
    pub fn accepts_code(&self, value: &str) -> bool {
        self.codes.is_none_or(|codes| codes_contain(codes, value))
    }

    /// A simple (non-composite) element; used by the generated tables.
    const fn simple(
        ref_num: &'static str,
        name: &'static str,
        data_type: DataType,
        min: u16,
        max: u16,
        req: Requirement,
    ) -> ElementDef {
        ElementDef {
            ref_num,
            name,
            data_type,
            min,
            max,
            req,
            repeat: 1,
            codes: None,
            code_keys: &[],
            components: &[],
        }
    }

    /// A composite data structure; used by the generated tables.
    const fn composite(
        ref_num: &'static str,
        name: &'static str,
        req: Requirement,
        components: &'static [ElementDef],
    ) -> ElementDef {
        ElementDef {
            ref_num,
            name,
            data_type: DataType::AN,
            min: 0,
            max: 0,
            req,
            repeat: 1,
            codes: None,
            code_keys: &[],
            components,
        }
    }

    /// The same element with a code list attached.
    const fn with_codes(self, codes: &'static [&'static str], keys: &'static [u64]) -> ElementDef {
        ElementDef {
            codes: Some(codes),
            code_keys: keys,
            ..self
        }
    }

    /// Whether `value` is one of this element's codes (true when it has no list).
    #[inline]
    pub fn has_code(&self, value: &[u8]) -> bool {
        let Some(codes) = self.codes else {
            return true;
        };
        if value.len() > 8 || self.code_keys.len() != codes.len() {
            return codes_contain_bytes(codes, value);
        }
        let key = pack_prefix(value);
        let Ok(i) = self.code_keys.binary_search(&key) else {
            return false;
        };
        // Equal keys can only differ by a code longer than eight bytes: check the neighbours.
        let same = |j: usize| self.code_keys[j] == key && codes[j].len() == value.len();
        same(i)
            || (0..i)
                .rev()
                .take_while(|&j| self.code_keys[j] == key)
                .any(same)
            || (i + 1..codes.len())
                .take_while(|&j| self.code_keys[j] == key)
                .any(same)
    }

    /// The same element with a maximum repetition count.
    const fn with_repeat(self, repeat: u16) -> ElementDef {
        ElementDef { repeat, ..self }
    }
}

/// A segment definition: its ID, name and element positions (position 1 first).
#[derive(Debug, Clone, Copy)]
pub struct SegmentDef {
    /// Segment ID (`"REF"`).
    pub id: &'static str,
    /// Segment name from the segment directory.
    pub name: &'static str,
    /// Element positions in order: `elements[0]` is `XX01`.
    pub elements: &'static [ElementDef],
}

/// The X12 versions the dictionary covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// 004010 (ISA12 `00401`).
    V004010,
    /// 005010 (ISA12 `00501`).
    V005010,
}

impl Version {
    /// Both versions, oldest first.
    pub const ALL: [Version; 2] = [Version::V004010, Version::V005010];

    /// The version named by a GS08 value. Accepts an industry suffix (`004010X222`), since the
    /// first six characters carry the version and release.
    pub fn from_gs08(gs08: &str) -> Option<Version> {
        if gs08.starts_with("004010") {
            Some(Version::V004010)
        } else if gs08.starts_with("005010") {
            Some(Version::V005010)
        } else {
            None
        }
    }

    /// The bare GS08 value for this version (`"004010"`).
    pub fn gs08(self) -> &'static str {
        match self {
            Version::V004010 => "004010",
            Version::V005010 => "005010",
        }
    }
}

/// The definition of segment `id` in `version`, if the dictionary has it.
///
/// This runs once per segment of every file, so ids are looked up packed (see
/// [`pack_prefix`]) in an open-addressing hash table: one multiply and usually one probe,
/// where a binary search took eight or nine dependent, unpredictable steps.
pub fn segment(version: Version, id: &str) -> Option<&'static SegmentDef> {
    segment_by_bytes(version, id.as_bytes())
}

/// [`segment`] for an id as read, before any UTF-8 check (the validator looks up every
/// segment; its definition then supplies the id as text).
pub fn segment_by_bytes(version: Version, id: &[u8]) -> Option<&'static SegmentDef> {
    segment_entry(version, id).map(|(def, _)| def)
}

/// [`segment_by_bytes`] with the definition's mandatory element positions as bits (bit `i`
/// for `elements[i]`; segments of more than 64 elements have none set), worked out once: the
/// validator checks the positions after the last element sent, and walking the definition
/// for them (LIN defines 31 elements) was a tenth of element checking.
#[inline]
pub(crate) fn segment_entry(version: Version, id: &[u8]) -> Option<(&'static SegmentDef, u64)> {
    static INDEX: std::sync::OnceLock<[SegmentIndex; 2]> = std::sync::OnceLock::new();
    let index = INDEX.get_or_init(|| {
        [
            SegmentIndex::new(segments(Version::V004010)),
            SegmentIndex::new(segments(Version::V005010)),
        ]
    });
    if id.len() > 8 {
        return None;
    }
    index[version as usize]
        .get(pack_prefix(id))
        .filter(|(d, _)| d.id.len() == id.len())
}

/// Bit `i` for each mandatory `elements[i]`; 0 for a segment of more than 64 elements.
fn mandatory_bits(def: &SegmentDef) -> u64 {
    if def.elements.len() > 64 {
        return 0;
    }
    def.elements
        .iter()
        .enumerate()
        .filter(|(_, e)| e.req == Requirement::Mandatory)
        .fold(0, |bits, (i, _)| bits | 1 << i)
}

/// Segment definitions by packed id, linear probing, at most a quarter full.
struct SegmentIndex {
    slots: Vec<Option<(u64, &'static SegmentDef, u64)>>,
}

impl SegmentIndex {
    fn new(defs: &[&'static SegmentDef]) -> Self {
        let len = (defs.len() * 4).next_power_of_two();
        let mut index = SegmentIndex {
            slots: vec![None; len],
        };
        for d in defs {
            let key = pack_prefix(d.id.as_bytes());
            let mut i = index.home(key);
            while index.slots[i].is_some() {
                i = (i + 1) & (len - 1);
            }
            index.slots[i] = Some((key, *d, mandatory_bits(d)));
        }
        index
    }

    /// The first slot to probe for `key` (Fibonacci hashing: the high bits of a multiply).
    #[inline]
    fn home(&self, key: u64) -> usize {
        let bits = self.slots.len().trailing_zeros();
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize
    }

    #[inline]
    fn get(&self, key: u64) -> Option<(&'static SegmentDef, u64)> {
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        // Never full, so an empty slot always ends the probe.
        while let Some((k, d, mandatory)) = self.slots[i] {
            if k == key {
                return Some((d, mandatory));
            }
            i = (i + 1) & mask;
        }
        None
    }
}

/// Packs the first eight bytes of a code into an integer that orders like the bytes
/// (zero-padded, big-endian), so most comparisons of short X12 codes are one integer compare.
#[inline]
pub const fn pack_prefix(s: &[u8]) -> u64 {
    let mut k = 0u64;
    let mut i = 0;
    while i < s.len() && i < 8 {
        k |= (s[i] as u64) << (56 - 8 * i);
        i += 1;
    }
    k
}

/// Packs a whole code list at compile time (the `_KEYS` twins in `codes`).
const fn pack_all<const N: usize>(codes: &[&str]) -> [u64; N] {
    let mut out = [0u64; N];
    let mut i = 0;
    while i < N {
        out[i] = pack_prefix(codes[i].as_bytes());
        i += 1;
    }
    out
}

/// Orders `code` against a value given as its packed prefix and its bytes, consistently with
/// byte-wise string order (values never contain NUL).
#[inline]
fn compare_code(code: &[u8], key: u64, value: &[u8]) -> std::cmp::Ordering {
    match pack_prefix(code).cmp(&key) {
        std::cmp::Ordering::Equal if code.len() > 8 || value.len() > 8 => code.cmp(value),
        std::cmp::Ordering::Equal => code.len().cmp(&value.len()),
        other => other,
    }
}

/// Every segment the dictionary defines for `version`, sorted by ID.
pub fn segments(version: Version) -> &'static [&'static SegmentDef] {
    match version {
        Version::V004010 => v004010::SEGMENTS,
        Version::V005010 => v005010::SEGMENTS,
    }
}

/// Whether the sorted code list `codes` contains `value` (binary search).
pub fn codes_contain(codes: &[&str], value: &str) -> bool {
    codes_contain_bytes(codes, value.as_bytes())
}

/// [`codes_contain`] for raw element bytes, as the validator holds them.
pub fn codes_contain_bytes(codes: &[&str], value: &[u8]) -> bool {
    let key = pack_prefix(value);
    codes
        .binary_search_by(|c| compare_code(c.as_bytes(), key, value))
        .is_ok()
}

/// The code list the dictionary keeps for data element `ref_num` in `version`, if any.
pub fn element_codes(version: Version, ref_num: &str) -> Option<&'static [&'static str]> {
    codes::element_codes(version, ref_num)
}

/// Grammar node of a transaction set.
#[derive(Debug, Clone, Copy)]
pub enum Node {
    /// A segment position. `max` is `u32::MAX` when unbounded.
    Segment {
        /// Segment ID.
        id: &'static str,
        /// `id` packed by [`pack_prefix`], so the grammar walker compares integers.
        key: u64,
        /// Minimum use: 1 for mandatory, 0 for optional.
        min: u16,
        /// Maximum use; `u32::MAX` = unbounded.
        max: u32,
    },
    /// A loop. Its body starts with the loop's first (triggering) segment.
    Loop {
        /// The X12 loop identifier: the ID of the loop's first segment (as AK303/IK303 report).
        id: &'static str,
        /// `id` packed by [`pack_prefix`].
        key: u64,
        /// Minimum number of iterations: 1 for a mandatory loop, 0 for an optional one.
        min: u16,
        /// Maximum number of iterations; `u32::MAX` = unbounded.
        max: u32,
        /// The loop's segments and nested loops, in order.
        body: &'static [Node],
    },
}

impl Node {
    /// The segment ID, or for a loop its first segment's ID.
    pub fn id(&self) -> &'static str {
        match *self {
            Node::Segment { id, .. } | Node::Loop { id, .. } => id,
        }
    }

    /// [`Node::id`] packed by [`pack_prefix`]: ids compare as integers.
    pub fn key(&self) -> u64 {
        match *self {
            Node::Segment { key, .. } | Node::Loop { key, .. } => key,
        }
    }

    /// Minimum use (segment) or iterations (loop).
    pub fn min(&self) -> u16 {
        match *self {
            Node::Segment { min, .. } | Node::Loop { min, .. } => min,
        }
    }

    /// Maximum use (segment) or iterations (loop); `u32::MAX` = unbounded.
    pub fn max(&self) -> u32 {
        match *self {
            Node::Segment { max, .. } | Node::Loop { max, .. } => max,
        }
    }
}

/// A transaction set grammar: ST first, SE last.
#[derive(Debug, Clone, Copy)]
pub struct SetDef {
    /// Transaction set identifier (ST01), e.g. `"844"`.
    pub id: &'static str,
    /// The GS01 functional identifier a group carrying this set must have.
    pub functional_id: &'static str,
    /// The version this grammar belongs to.
    pub version: Version,
    /// Top-level nodes, ST to SE.
    pub body: &'static [Node],
}

/// The grammar of set `st01` in `version` (844, 845, 849, 867, 997; 999 in 005010 only).
pub fn set(version: Version, st01: &str) -> Option<&'static SetDef> {
    sets::set(version, st01)
}

/// Every set grammar the dictionary has, for both versions.
pub fn sets() -> &'static [&'static SetDef] {
    sets::SETS
}

#[cfg(test)]
mod tests {
    #[test]
    fn segment_lookup_finds_every_defined_segment_and_nothing_else() {
        for v in [Version::V004010, Version::V005010] {
            let all = segments(v);
            assert!(all.windows(2).all(|w| w[0].id < w[1].id), "sorted by id");
            for d in all {
                assert_eq!(segment(v, d.id).map(|f| f.id), Some(d.id));
            }
            for missing in ["", "A", "ZZZ", "BAAX", "IS", "ISAA"] {
                assert!(segment(v, missing).is_none(), "{missing}");
            }
        }
        assert!(codes_contain(&["01", "1", "AB", "ZZ"], "1"));
        assert!(!codes_contain(&["01", "1", "AB", "ZZ"], "10"));
        assert!(codes_contain(
            &["A", "LONGERTHANEIGHT", "Z"],
            "LONGERTHANEIGHT"
        ));
        assert!(!codes_contain(
            &["A", "LONGERTHANEIGHT", "Z"],
            "LONGERTHANEIGHX"
        ));
    }

    use super::*;

    fn seg(version: Version, id: &str) -> &'static SegmentDef {
        match segment(version, id) {
            Some(def) => def,
            None => panic!("{id} missing from {version:?}"),
        }
    }

    fn set_def(version: Version, id: &str) -> &'static SetDef {
        match set(version, id) {
            Some(def) => def,
            None => panic!("set {id} missing from {version:?}"),
        }
    }

    /// Calls `f` on every node of `body`, depth first, with the chain of enclosing loop IDs.
    fn walk<'a>(body: &'a [Node], path: &mut Vec<&'a str>, f: &mut dyn FnMut(&Node, &[&str])) {
        for node in body {
            f(node, path);
            if let Node::Loop { id, body, .. } = node {
                path.push(id);
                walk(body, path, f);
                path.pop();
            }
        }
    }

    fn segment_ids(def: &SetDef) -> Vec<(&'static str, Vec<String>)> {
        let mut out = Vec::new();
        walk(def.body, &mut Vec::new(), &mut |node, path| {
            if let Node::Segment { id, .. } = node {
                out.push((*id, path.iter().map(|p| p.to_string()).collect()));
            }
        });
        out
    }

    fn find_loop<'a>(body: &'a [Node], id: &str) -> Option<&'a Node> {
        body.iter()
            .find(|n| matches!(n, Node::Loop { id: lid, .. } if *lid == id))
    }

    fn loop_body(node: Option<&Node>) -> &'static [Node] {
        match node {
            Some(Node::Loop { body, .. }) => body,
            other => panic!("expected a loop, got {other:?}"),
        }
    }

    #[test]
    fn ref02_length_follows_version() {
        let r4 = seg(Version::V004010, "REF").elements[1];
        let r5 = seg(Version::V005010, "REF").elements[1];
        assert_eq!(r4.ref_num, "127");
        assert_eq!((r4.data_type, r4.min, r4.max), (DataType::AN, 1, 30));
        assert_eq!((r5.data_type, r5.min, r5.max), (DataType::AN, 1, 50));
    }

    #[test]
    fn element_127_is_1_30_in_004010_and_1_50_in_005010() {
        for (id, pos) in [
            ("REF", 1),
            ("CON", 1),
            ("BAA", 4),
            ("BRC", 3),
            ("BPA", 3),
            ("PTD", 4),
        ] {
            let e4 = seg(Version::V004010, id).elements[pos];
            let e5 = seg(Version::V005010, id).elements[pos];
            assert_eq!(e4.ref_num, "127", "{id}");
            assert_eq!((e4.min, e4.max), (1, 30), "{id} 004010");
            assert_eq!((e5.min, e5.max), (1, 50), "{id} 005010");
        }
    }

    #[test]
    fn baa_has_six_elements_with_claim_reference_pair() {
        let baa = seg(Version::V005010, "BAA");
        assert_eq!(baa.elements.len(), 6);
        assert_eq!(baa.elements[0].req, Requirement::Mandatory);
        assert_eq!(baa.elements[1].ref_num, "640");
        assert_eq!(baa.elements[2].data_type, DataType::DT);
        assert_eq!(baa.elements[3].ref_num, "128");
        assert_eq!(baa.elements[3].req, Requirement::Optional);
        assert!(baa.elements[1].accepts_code("DR"));
    }

    #[test]
    fn ak4_position_requirement_and_composite_differ_by_version() {
        let a4 = seg(Version::V004010, "AK4").elements[0];
        let a5 = seg(Version::V005010, "AK4").elements[0];
        assert_eq!(a4.ref_num, "C030");
        assert_eq!(a4.req, Requirement::Mandatory);
        assert_eq!(a4.components.len(), 2);
        assert_eq!(a5.ref_num, "C030");
        assert!(a5.is_composite());
        assert_eq!(a5.req, Requirement::Optional);
        assert_eq!(a5.components.len(), 3);
        assert_eq!(a5.components[2].ref_num, "1686");
        let ak403 = seg(Version::V005010, "AK4").elements[2];
        assert!(ak403.accepts_code("12") && ak403.accepts_code("13"));
        assert!(!seg(Version::V004010, "AK4").elements[2].accepts_code("12"));
    }

    #[test]
    fn ak1_ak2_ak3_shapes_differ_by_version() {
        assert_eq!(seg(Version::V004010, "AK1").elements.len(), 2);
        assert_eq!(seg(Version::V005010, "AK1").elements.len(), 3);
        assert_eq!(seg(Version::V004010, "AK2").elements.len(), 2);
        assert_eq!(seg(Version::V005010, "AK2").elements.len(), 3);
        let ak3_4 = seg(Version::V004010, "AK3").elements;
        let ak3_5 = seg(Version::V005010, "AK3").elements;
        assert_eq!((ak3_4[1].data_type, ak3_4[1].max), (DataType::N(0), 6));
        assert_eq!(ak3_4[2].max, 6);
        assert_eq!(ak3_5[1].max, 10);
        assert_eq!(ak3_5[2].max, 4);
    }

    #[test]
    fn st03_exists_only_in_005010() {
        let st4 = seg(Version::V004010, "ST");
        let st5 = seg(Version::V005010, "ST");
        assert_eq!(st4.elements.len(), 2);
        assert_eq!(st5.elements.len(), 3);
        assert_eq!((st5.elements[2].min, st5.elements[2].max), (1, 35));
        assert_eq!(st4.elements[0].data_type, DataType::ID);
        assert!(st4.elements[0].accepts_code("844"));
        let se01 = seg(Version::V004010, "SE").elements[0];
        assert_eq!(
            (se01.data_type, se01.min, se01.max),
            (DataType::N(0), 1, 10)
        );
    }

    #[test]
    fn isa_elements_are_fixed_width_and_sum_to_106() {
        for v in Version::ALL {
            let isa = seg(v, "ISA");
            assert_eq!(isa.elements.len(), 16);
            let mut total = 3; // "ISA"
            for e in isa.elements {
                assert_eq!(e.min, e.max, "{v:?} ISA {}", e.ref_num);
                assert_eq!(e.req, Requirement::Mandatory);
                total += 1 + usize::from(e.max); // separator + value
            }
            total += 1; // segment terminator
            assert_eq!(total, 106, "{v:?}");
            assert_eq!(isa.elements[8].data_type, DataType::DT);
            assert_eq!(isa.elements[12].data_type, DataType::N(0));
        }
        assert_eq!(seg(Version::V005010, "ISA").elements[10].ref_num, "I65");
        let ta1 = seg(Version::V004010, "TA1");
        assert_eq!(ta1.elements.len(), 5);
        assert_eq!((ta1.elements[4].min, ta1.elements[4].max), (3, 3));
    }

    #[test]
    fn implied_decimal_amounts_are_n2() {
        let ctb06 = seg(Version::V004010, "CTB").elements[5];
        assert_eq!(ctb06.ref_num, "610");
        assert_eq!(ctb06.data_type, DataType::N(2));
        assert_eq!(
            seg(Version::V005010, "CTT").elements[0].data_type,
            DataType::N(0)
        );
    }

    #[test]
    fn n101_codes_are_the_standard_entity_list() {
        for v in Version::ALL {
            let n101 = seg(v, "N1").elements[0];
            let codes = n101.codes.unwrap_or(&[]);
            for code in ["DS", "ST", "EB", "BG", "MF", "SU", "BY"] {
                assert!(codes_contain(codes, code), "{v:?} N101 {code}");
            }
            assert!(!codes_contain(codes, "ZZZ"));
            assert!(!n101.accepts_code("ZZZ"));
        }
    }

    #[test]
    fn chargeback_code_values_from_the_reference_are_present() {
        let cases: &[(&str, &[&str])] = &[
            (
                "66",
                &["1", "9", "11", "21", "UL", "XX", "PI", "91", "92", "ZZ"],
            ),
            ("128", &["CT", "DB", "IV", "AH", "PD", "DH", "HI"]),
            (
                "374",
                &["003", "011", "092", "093", "129", "130", "131", "132"],
            ),
            ("673", &["39", "QA", "QC"]),
            ("522", &["CC", "1", "TT"]),
            ("639", &["WH", "CT", "SC", "SW", "DI"]),
            ("236", &["CON", "WHL", "CAT"]),
            ("235", &["N4", "ND", "UP", "VP", "BP"]),
            ("353", &["00", "01", "04", "05", "15"]),
            ("670", &["AI", "DI", "PC", "NC", "RZ"]),
            ("846", &["OC", "VA", "EX"]),
            ("521", &["SD", "SS", "DS", "RV"]),
            ("901", &["01", "26", "28", "33", "ZZ"]),
            ("889", &["C", "N", "Y"]),
            ("479", &["CF", "PA", "PT", "FA"]),
            ("143", &["844", "845", "849", "867", "997"]),
        ];
        for v in Version::ALL {
            for (el, codes) in cases {
                let list = element_codes(v, el).unwrap_or(&[]);
                for code in *codes {
                    assert!(codes_contain(list, code), "{v:?} {el} {code}");
                }
            }
        }
        assert!(!codes_contain(
            element_codes(Version::V004010, "901").unwrap_or(&[]),
            "22"
        ));
        let ik502 = element_codes(Version::V005010, "618").unwrap_or(&[]);
        assert!(codes_contain(ik502, "I5") && codes_contain(ik502, "I6"));
        assert!(element_codes(Version::V004010, "618").is_none());
    }

    #[test]
    fn code_lists_are_sorted_unique_and_fit_the_element_length() {
        for v in Version::ALL {
            for s in segments(v) {
                let all = s
                    .elements
                    .iter()
                    .flat_map(|e| std::iter::once(e).chain(e.components));
                for e in all {
                    let Some(codes) = e.codes else { continue };
                    assert!(!codes.is_empty());
                    assert!(codes.windows(2).all(|w| w[0] < w[1]), "{v:?} {}", e.ref_num);
                    for c in codes {
                        let len = u16::try_from(c.len()).unwrap_or(u16::MAX);
                        assert!(
                            (e.min..=e.max).contains(&len),
                            "{v:?} {}{} code {c} outside {}..{}",
                            s.id,
                            e.ref_num,
                            e.min,
                            e.max
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn every_element_has_sane_lengths() {
        for v in Version::ALL {
            assert!(segments(v).windows(2).all(|w| w[0].id < w[1].id));
            for s in segments(v) {
                assert!(!s.elements.is_empty(), "{}", s.id);
                for e in s.elements {
                    assert!(e.repeat >= 1);
                    if e.is_composite() {
                        for c in e.components {
                            assert!(!c.is_composite());
                            assert!(c.min >= 1 && c.min <= c.max, "{v:?} {} {}", s.id, c.ref_num);
                        }
                    } else {
                        assert!(e.min >= 1 && e.min <= e.max, "{v:?} {} {}", s.id, e.ref_num);
                    }
                }
                assert!(std::ptr::eq(seg(v, s.id), *s));
            }
        }
    }

    #[test]
    fn unknown_segments_and_sets_are_none() {
        assert!(segment(Version::V004010, "ZZZ").is_none());
        assert!(segment(Version::V004010, "IK3").is_none());
        assert!(segment(Version::V005010, "IK3").is_some());
        assert!(set(Version::V004010, "999").is_none());
        assert!(set(Version::V005010, "850").is_none());
    }

    #[test]
    fn from_gs08_reads_version_with_or_without_suffix() {
        assert_eq!(Version::from_gs08("004010"), Some(Version::V004010));
        assert_eq!(Version::from_gs08("004010VICS"), Some(Version::V004010));
        assert_eq!(Version::from_gs08("005010"), Some(Version::V005010));
        assert_eq!(Version::from_gs08("005010X231A1"), Some(Version::V005010));
        assert_eq!(Version::from_gs08("00401"), None);
        assert_eq!(Version::from_gs08("004020"), None);
        assert_eq!(Version::from_gs08(""), None);
        for v in Version::ALL {
            assert_eq!(Version::from_gs08(v.gs08()), Some(v));
        }
    }

    #[test]
    fn set_844_004010_has_con_loop_with_pad_loop() {
        let def = set_def(Version::V004010, "844");
        assert_eq!(def.functional_id, "CF");
        assert_eq!(def.version, Version::V004010);
        assert_eq!(def.body.first().map(Node::id), Some("ST"));
        assert_eq!(def.body.last().map(Node::id), Some("SE"));
        let con = find_loop(def.body, "CON");
        assert_eq!(con.map(|n| (n.min(), n.max())), Some((1, 10000)));
        let con_body = loop_body(con);
        assert_eq!(con_body[0].id(), "CON");
        let pad = find_loop(con_body, "PAD");
        assert_eq!(pad.map(|n| (n.min(), n.max())), Some((0, 1000)));
        assert_eq!(loop_body(pad)[0].id(), "PAD");
        let n1 = find_loop(con_body, "N1");
        assert_eq!(n1.map(Node::max), Some(50));
        assert!(find_loop(loop_body(n1), "SII").is_some());
    }

    #[test]
    fn set_844_005010_lifts_con_level_limits() {
        let con = loop_body(find_loop(set_def(Version::V005010, "844").body, "CON"));
        assert_eq!(find_loop(con, "PAD").map(Node::max), Some(u32::MAX));
        assert_eq!(find_loop(con, "N1").map(Node::max), Some(u32::MAX));
        let con849 = loop_body(find_loop(set_def(Version::V004010, "849").body, "CON"));
        assert_eq!(find_loop(con849, "PAD").map(Node::max), Some(1000));
        let con849 = loop_body(find_loop(set_def(Version::V005010, "849").body, "CON"));
        assert_eq!(find_loop(con849, "PAD").map(Node::max), Some(u32::MAX));
        assert_eq!(
            find_loop(set_def(Version::V004010, "849").body, "CON").map(Node::min),
            Some(0)
        );
    }

    #[test]
    fn set_845_con_level_limits_differ_by_version() {
        for (v, refs, n1, ctp) in [
            (Version::V004010, 12, 10000, 25),
            (Version::V005010, u32::MAX, u32::MAX, u32::MAX),
        ] {
            let def = set_def(v, "845");
            assert_eq!(def.functional_id, "PA");
            let con = loop_body(find_loop(def.body, "CON"));
            let r = con.iter().find(|n| n.id() == "REF").map(Node::max);
            assert_eq!(r, Some(refs), "{v:?}");
            assert_eq!(find_loop(con, "N1").map(Node::max), Some(n1), "{v:?}");
            let pad = loop_body(find_loop(con, "PAD"));
            assert_eq!(find_loop(pad, "CTP").map(Node::max), Some(ctp), "{v:?}");
            assert!(find_loop(pad, "LIN").is_some());
        }
    }

    #[test]
    fn set_867_qty_loop_sits_under_ptd_and_sii_under_ptd_n1() {
        for v in Version::ALL {
            let def = set_def(v, "867");
            assert_eq!(def.functional_id, "PT");
            let ptd = find_loop(def.body, "PTD");
            assert_eq!(ptd.map(|n| (n.min(), n.max())), Some((1, u32::MAX)));
            let ptd = loop_body(ptd);
            let qty = loop_body(find_loop(ptd, "QTY"));
            assert_eq!(qty[1].id(), "LIN");
            assert!(find_loop(loop_body(find_loop(ptd, "N1")), "SII").is_some());
            let has_lcd = ptd.iter().any(|n| n.id() == "LCD");
            assert_eq!(has_lcd, v == Version::V005010);
        }
    }

    #[test]
    fn sets_997_and_999_carry_ack_segments() {
        for v in Version::ALL {
            let def = set_def(v, "997");
            assert_eq!(def.functional_id, "FA");
            let ids: Vec<_> = segment_ids(def).into_iter().map(|(id, _)| id).collect();
            assert_eq!(ids, ["ST", "AK1", "AK2", "AK3", "AK4", "AK5", "AK9", "SE"]);
        }
        let def = set_def(Version::V005010, "999");
        assert_eq!(def.functional_id, "FA");
        let ids = segment_ids(def);
        for want in ["IK3", "IK4", "IK5", "CTX"] {
            assert!(ids.iter().any(|(id, _)| *id == want), "{want}");
        }
        let ik4 = ids
            .iter()
            .find(|(id, _)| *id == "IK4")
            .map(|(_, p)| p.clone());
        assert_eq!(
            ik4,
            Some(vec!["AK2".to_string(), "IK3".into(), "IK4".into()])
        );
    }

    #[test]
    fn every_grammar_segment_is_defined_in_its_version() {
        assert_eq!(sets().len(), 11);
        for def in sets() {
            assert!(std::ptr::eq(set_def(def.version, def.id), *def));
            assert_eq!(
                def.body.first().map(|n| (n.id(), n.min(), n.max())),
                Some(("ST", 1, 1))
            );
            assert_eq!(
                def.body.last().map(|n| (n.id(), n.min(), n.max())),
                Some(("SE", 1, 1))
            );
            for (id, _) in segment_ids(def) {
                assert!(
                    segment(def.version, id).is_some(),
                    "{:?} {} uses undefined segment {id}",
                    def.version,
                    def.id
                );
            }
        }
    }

    #[test]
    fn every_loop_starts_with_a_mandatory_segment_named_like_the_loop() {
        for def in sets() {
            walk(def.body, &mut Vec::new(), &mut |node, _| {
                if let Node::Loop { id, body, max, .. } = node {
                    assert!(*max >= 1);
                    match body.first() {
                        Some(Node::Segment {
                            id: first,
                            min: 1,
                            max: 1,
                            ..
                        }) => {
                            assert_eq!(first, id, "{:?} {}", def.version, def.id);
                        }
                        other => panic!(
                            "{:?} {} loop {id} starts with {other:?}",
                            def.version, def.id
                        ),
                    }
                }
            });
        }
    }
}
