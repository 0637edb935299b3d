//! Deterministic corpus generator: valid 004010 chargeback interchanges of any size, for
//! benchmarks, memory tests and load tests of the stages after the parser.
//!
//! The same `(kind, target_bytes, seed)` always yields the same bytes, on every platform: the
//! only randomness is a seeded splitmix64 stream and every value is built with integer
//! arithmetic. Output follows the shapes of `samples/844_4010_claim.x12` and
//! `samples/867_4010_sales.x12` with varied parties, contracts, products, prices, quantities
//! and dates, and it validates with zero diagnostics:
//!
//! - one functional group per interchange and [`SETS_PER_INTERCHANGE`] sets per group (the last
//!   interchange holds the remainder);
//! - ISA13 counts up from a seed-derived start, GS06 repeats it without padding, ST02 counts
//!   `0001`, `0002`, ... inside each group; SE01, GE01 and IEA01 are counted, never typed;
//! - delimiters are `*` `~` `>`, with a line feed after every terminator, so lines equal
//!   segments;
//! - amounts are consistent: `AMT*CC` = (WAC - contract price) x quantity on an 844 line and
//!   the sell amount on an 867 line; `CTT01` counts lines and `CTT02` sums their quantities.
//!
//! Generation stops at the first set boundary at or after `target_bytes` (at least one set is
//! always written), then closes the group and interchange.
//!
//! [`corpus`] writes everything to a `Write`; [`Corpus`] hands out one set at a time and
//! [`CorpusReader`] is a `Read` that generates on demand, so a test can stream gigabytes
//! without holding them.

use std::fmt::{self, Write as _};
use std::io::{self, Read, Write};

use crate::validate::datatype::days_in_month;

/// Sets in each interchange (and in its single group) before a new interchange starts.
pub const SETS_PER_INTERCHANGE: u64 = 1000;

/// Which transaction set the corpus is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetKind {
    /// 844 Product Transfer Account Adjustment (chargeback claim), functional group `CF`.
    Claim844,
    /// 867 Product Transfer and Resale Report (sales tracing), functional group `PT`.
    Sales867,
}

impl SetKind {
    /// The ST01 transaction set identifier (`"844"`, `"867"`).
    pub fn set_id(self) -> &'static str {
        match self {
            SetKind::Claim844 => "844",
            SetKind::Sales867 => "867",
        }
    }

    /// The GS01 functional identifier the set travels in.
    pub fn functional_id(self) -> &'static str {
        match self {
            SetKind::Claim844 => "CF",
            SetKind::Sales867 => "PT",
        }
    }

    /// The kind with the given ST01 identifier, if the generator knows it.
    pub fn from_set_id(id: &str) -> Option<SetKind> {
        match id {
            "844" => Some(SetKind::Claim844),
            "867" => Some(SetKind::Sales867),
            _ => None,
        }
    }
}

/// What a generator run produced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CorpusStats {
    /// Bytes written.
    pub bytes: u64,
    /// Interchanges (ISA..IEA); each holds one group.
    pub interchanges: u64,
    /// Transaction sets (ST..SE).
    pub sets: u64,
    /// Segments, envelopes included.
    pub segments: u64,
    /// Line feeds written (one after every segment terminator).
    pub lines: u64,
}

/// Writes a corpus of `kind` sets of at least `target_bytes` to `out` and returns its stats.
pub fn corpus(
    kind: SetKind,
    target_bytes: usize,
    seed: u64,
    out: &mut impl Write,
) -> io::Result<CorpusStats> {
    const FLUSH_AT: usize = 64 << 10;
    let mut gen_ = Corpus::new(kind, target_bytes, seed);
    let mut buf = Vec::with_capacity(FLUSH_AT + (16 << 10));
    while gen_.next_set(&mut buf) {
        if buf.len() >= FLUSH_AT {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    out.write_all(&buf)?;
    Ok(gen_.stats())
}

/// A corpus produced one set at a time; see the module documentation for its shape.
#[derive(Debug, Clone)]
pub struct Corpus {
    kind: SetKind,
    target_bytes: u64,
    rng: Rng,
    stats: CorpusStats,
    /// Control number of the open interchange (ISA13, and GS06 without padding).
    icn: u64,
    /// Sets written into the open interchange; `None` when no interchange is open.
    open: Option<u64>,
    distributor: &'static Party,
    manufacturer: &'static Party,
    /// Date and time of the open interchange's envelope.
    stamp: (Date, u32),
    done: bool,
    /// One segment at a time is formatted here before it is appended to the output.
    line: String,
}

impl Corpus {
    /// A generator for a corpus of `kind` sets of at least `target_bytes`, seeded with `seed`.
    pub fn new(kind: SetKind, target_bytes: usize, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let icn = 1 + rng.below(900_000_000);
        Corpus {
            kind,
            target_bytes: target_bytes as u64,
            rng,
            stats: CorpusStats::default(),
            icn,
            open: None,
            distributor: &DISTRIBUTORS[0],
            manufacturer: &MANUFACTURERS[0],
            stamp: (Date::new(2026, 1, 1), 0),
            done: false,
            line: String::with_capacity(128),
        }
    }

    /// Counts so far.
    pub fn stats(&self) -> CorpusStats {
        self.stats
    }

    /// True once the last IEA has been written.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Appends the next transaction set to `out`, preceded by an ISA and GS when it opens an
    /// interchange and followed by GE and IEA when it closes one. Returns false, appending
    /// nothing, once the corpus is complete.
    pub fn next_set(&mut self, out: &mut Vec<u8>) -> bool {
        if self.done {
            return false;
        }
        if self.open.is_none() {
            self.open_interchange(out);
        }
        let n = self.open.map_or(1, |n| n + 1);
        self.open = Some(n);
        let control = format!("{n:04}");
        match self.kind {
            SetKind::Claim844 => self.claim_844(&control, out),
            SetKind::Sales867 => self.sales_867(&control, out),
        }
        self.stats.sets += 1;
        let reached = self.stats.bytes >= self.target_bytes;
        if reached || n >= SETS_PER_INTERCHANGE {
            self.close_interchange(n, out);
            self.done = reached;
        }
        true
    }

    /// Formats one segment (without terminator) and appends it with `~` and a line feed.
    fn seg(&mut self, out: &mut Vec<u8>, args: fmt::Arguments<'_>) {
        self.line.clear();
        // Writing into a String cannot fail.
        let _ = self.line.write_fmt(args);
        out.extend_from_slice(self.line.as_bytes());
        out.extend_from_slice(b"~\n");
        self.stats.bytes += self.line.len() as u64 + 2;
        self.stats.segments += 1;
        self.stats.lines += 1;
    }

    fn open_interchange(&mut self, out: &mut Vec<u8>) {
        self.distributor = self.rng.pick(&DISTRIBUTORS);
        self.manufacturer = self.rng.pick(&MANUFACTURERS);
        let date = self.rng.date();
        let time = self.rng.time();
        self.stamp = (date, time);
        let (d, m) = (self.distributor, self.manufacturer);
        let icn = self.icn;
        self.seg(
            out,
            format_args!(
                "ISA*00*          *00*          *ZZ*{:<15}*ZZ*{:<15}*{}*{time:04}*U*00401*{icn:09}*0*P*>",
                d.isa_id,
                m.isa_id,
                date.yymmdd()
            ),
        );
        self.seg(
            out,
            format_args!(
                "GS*{}*{}*{}*{}*{time:04}*{icn}*X*004010",
                self.kind.functional_id(),
                d.isa_id,
                m.isa_id,
                date
            ),
        );
        self.stats.interchanges += 1;
        self.open = Some(0);
    }

    fn close_interchange(&mut self, sets: u64, out: &mut Vec<u8>) {
        let icn = self.icn;
        self.seg(out, format_args!("GE*{sets}*{icn}"));
        self.seg(out, format_args!("IEA*1*{icn:09}"));
        self.open = None;
        // ISA13 has nine digits; wrap rather than overflow on absurdly large corpora.
        self.icn = if icn >= 999_999_999 { 1 } else { icn + 1 };
    }

    /// Shared heading: the distributor (claimant) and manufacturer (supplier) N1 loops.
    fn parties(&mut self, out: &mut Vec<u8>) {
        let (d, m) = (self.distributor, self.manufacturer);
        self.seg(out, format_args!("N1*DS*{}*1*{}", d.name, d.duns));
        self.seg(out, format_args!("N1*MF*{}*1*{}", m.name, m.duns));
    }

    /// An end customer's N1*ST loop head: name, identification and address.
    fn ship_to(&mut self, customer: &Customer, with_street: bool, out: &mut Vec<u8>) {
        self.seg(
            out,
            format_args!(
                "N1*ST*{}*{}*{}",
                customer.name, customer.id_qualifier, customer.id
            ),
        );
        if with_street {
            self.seg(out, format_args!("N3*{}", customer.street));
        }
        self.seg(
            out,
            format_args!(
                "N4*{}*{}*{}",
                customer.city.0, customer.city.1, customer.postal_code
            ),
        );
    }

    /// One 844 claim: 1-3 CON loops on the manufacturer's contracts sharing 5-20 PAD lines.
    fn claim_844(&mut self, control: &str, out: &mut Vec<u8>) {
        let date = self.stamp.0;
        let first_segment = self.stats.segments;
        self.seg(out, format_args!("ST*844*{control}"));
        let memo = self.rng.below(10_000);
        self.seg(
            out,
            format_args!(
                "BAA*00*DR*{date}*DB*{}-CB-{date}-{control}{memo:04}",
                self.distributor.prefix
            ),
        );
        self.seg(out, format_args!("CUR*BY*USD"));
        self.parties(out);
        let lines = 5 + self.rng.below(16) as u32;
        let contracts = (1 + self.rng.below(3) as u32).min(lines);
        let mut line = 0u32;
        let mut quantity_total = 0u64;
        let mut claimed_total = 0u64;
        for c in 0..contracts {
            let contract = self.rng.contract(self.manufacturer, date);
            self.seg(out, format_args!("CON*CT*{contract}*VA"));
            let customer = self.rng.customer();
            self.ship_to(&customer, true, out);
            // Spread the lines over the CON loops; every loop gets at least one.
            let left = lines - line;
            let in_loop = if c + 1 == contracts {
                left
            } else {
                1 + self.rng.below(u64::from(left - (contracts - c - 1))) as u32
            };
            let invoice = self.rng.invoice();
            let invoice_date = date.minus_days(1 + self.rng.below(60) as u32);
            for _ in 0..in_loop {
                line += 1;
                let ndc = self.rng.ndc(self.manufacturer);
                let wac = self.rng.wac_cents();
                let contract_price = wac * (40 + self.rng.below(56)) / 100;
                let quantity = self.rng.quantity();
                let claimed = (wac - contract_price) * quantity;
                quantity_total += quantity;
                claimed_total += claimed;
                self.seg(out, format_args!("PAD*{line}"));
                self.seg(out, format_args!("LIN**N4*{ndc}"));
                self.seg(out, format_args!("UIT*CA*{}*WH", Money(wac)));
                self.seg(out, format_args!("UIT*CA*{}*CT", Money(contract_price)));
                self.seg(out, format_args!("QTY*39*{quantity}*CA"));
                self.seg(out, format_args!("AMT*CC*{}", Money(claimed)));
                self.seg(out, format_args!("REF*IV*{invoice}"));
                self.seg(out, format_args!("DTM*003*{invoice_date}"));
            }
        }
        self.seg(out, format_args!("CTT*{lines}*{quantity_total}"));
        self.seg(out, format_args!("AMT*CC*{}", Money(claimed_total)));
        // SE01 counts ST through SE.
        let count = self.stats.segments - first_segment + 1;
        self.seg(out, format_args!("SE*{count}*{control}"));
    }

    /// One 867 report for the month before the interchange date: 1-4 PTD*SS groups (most on a contract, some off contract),
    /// each for one end customer with 1-6 QTY-loop lines.
    fn sales_867(&mut self, control: &str, out: &mut Vec<u8>) {
        // The report covers the calendar month before the interchange date.
        let reported = self.stamp.0;
        let last = reported.minus_days(reported.day);
        let first = Date::new(last.year, last.month, 1);
        let first_segment = self.stats.segments;
        self.seg(out, format_args!("ST*867*{control}"));
        self.seg(
            out,
            format_args!(
                "BPT*00*{}-867-{}{:02}-{control}*{reported}*SS",
                self.distributor.prefix, first.year, first.month
            ),
        );
        self.seg(out, format_args!("DTM*090*{first}"));
        self.seg(out, format_args!("DTM*091*{last}"));
        self.parties(out);
        let groups = 1 + self.rng.below(4);
        let mut lines = 0u64;
        let mut quantity_total = 0u64;
        for _ in 0..groups {
            let on_contract = self.rng.below(5) != 0;
            if on_contract {
                let contract = self.rng.contract(self.manufacturer, first);
                self.seg(out, format_args!("PTD*SS***CT*{contract}"));
            } else {
                self.seg(out, format_args!("PTD*SS"));
            }
            let customer = self.rng.customer();
            let with_street = self.rng.below(2) == 0;
            self.ship_to(&customer, with_street, out);
            if customer.id_qualifier == "11" {
                // DEA-identified customers also carry their HIN, as in the sample.
                let hin = self.rng.hin();
                self.seg(out, format_args!("REF*HI*{hin}"));
            }
            let invoice = self.rng.invoice();
            let span = last.day_of_year() - first.day_of_year();
            let invoice_date = first.plus_days(self.rng.below(u64::from(span) + 1) as u32);
            for _ in 0..1 + self.rng.below(6) {
                lines += 1;
                let ndc = self.rng.ndc(self.manufacturer);
                let wac = self.rng.wac_cents();
                let price = if on_contract {
                    wac * (40 + self.rng.below(56)) / 100
                } else {
                    wac
                };
                let quantity = self.rng.quantity();
                quantity_total += quantity;
                self.seg(out, format_args!("QTY*39*{quantity}*CA"));
                self.seg(out, format_args!("LIN**N4*{ndc}"));
                self.seg(out, format_args!("UIT*CA*{}", Money(price)));
                if on_contract {
                    self.seg(out, format_args!("AMT*CC*{}", Money(price * quantity)));
                }
                self.seg(out, format_args!("REF*IV*{invoice}"));
                self.seg(out, format_args!("DTM*003*{invoice_date}"));
            }
        }
        self.seg(out, format_args!("CTT*{lines}*{quantity_total}"));
        // SE01 counts ST through SE.
        let count = self.stats.segments - first_segment + 1;
        self.seg(out, format_args!("SE*{count}*{control}"));
    }
}

/// A `Read` over a corpus that is generated as it is read, so memory stays at about one set
/// whatever the corpus size.
#[derive(Debug, Clone)]
pub struct CorpusReader {
    corpus: Corpus,
    buf: Vec<u8>,
    pos: usize,
}

impl CorpusReader {
    /// A reader over the corpus [`corpus`] would write for the same arguments.
    pub fn new(kind: SetKind, target_bytes: usize, seed: u64) -> Self {
        CorpusReader {
            corpus: Corpus::new(kind, target_bytes, seed),
            buf: Vec::with_capacity(16 << 10),
            pos: 0,
        }
    }

    /// Counts of what has been generated so far (all of it once `read` returned 0).
    pub fn stats(&self) -> CorpusStats {
        self.corpus.stats()
    }
}

impl Read for CorpusReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
            if !self.corpus.next_set(&mut self.buf) {
                return Ok(0);
            }
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// An amount in cents, displayed with two decimals (`1875` -> `18.75`).
struct Money(u64);

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// A calendar date, displayed as CCYYMMDD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Date {
    year: u32,
    month: u32,
    day: u32,
}

impl Date {
    fn new(year: u32, month: u32, day: u32) -> Self {
        Date { year, month, day }
    }

    /// 1-based day of the year.
    fn day_of_year(self) -> u32 {
        (1..self.month)
            .map(|m| days_in_month(self.year, m))
            .sum::<u32>()
            + self.day
    }

    fn plus_days(mut self, mut days: u32) -> Self {
        while days > 0 {
            let left = days_in_month(self.year, self.month) - self.day;
            if days <= left {
                self.day += days;
                break;
            }
            days -= left + 1;
            self.day = 1;
            self.month += 1;
            if self.month > 12 {
                self.month = 1;
                self.year += 1;
            }
        }
        self
    }

    fn minus_days(mut self, mut days: u32) -> Self {
        while days > 0 {
            if days < self.day {
                self.day -= days;
                break;
            }
            days -= self.day;
            self.month -= 1;
            if self.month == 0 {
                self.month = 12;
                self.year -= 1;
            }
            self.day = days_in_month(self.year, self.month);
        }
        self
    }

    /// ISA09 form.
    fn yymmdd(self) -> String {
        format!("{:02}{:02}{:02}", self.year % 100, self.month, self.day)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}{:02}{:02}", self.year, self.month, self.day)
    }
}

/// A trading partner: N1 name, DUNS, ISA id and the prefix of its document numbers.
#[derive(Debug)]
struct Party {
    name: &'static str,
    duns: &'static str,
    isa_id: &'static str,
    prefix: &'static str,
    /// NDC labeler code (manufacturers only).
    labeler: &'static str,
}

const fn party(
    name: &'static str,
    duns: &'static str,
    isa_id: &'static str,
    prefix: &'static str,
    labeler: &'static str,
) -> Party {
    Party {
        name,
        duns,
        isa_id,
        prefix,
        labeler,
    }
}

// All parties are fictitious. One party per line reads better than rustfmt's layout.
#[rustfmt::skip]
static DISTRIBUTORS: [Party; 4] = [
    party("GOOD DRUG DISTRIBUTORS", "987654321", "GOODDRUG", "GDD", ""),
    party("MIDLAND MEDICAL SUPPLY CO", "876543219", "MIDLANDMED", "MMS", ""),
    party("COASTAL HEALTH WHOLESALE", "765432198", "COASTALHW", "CHW", ""),
    party("PRAIRIE PHARMA LOGISTICS", "654321987", "PRAIRIEPL", "PPL", ""),
];

#[rustfmt::skip]
static MANUFACTURERS: [Party; 4] = [
    party("ACME PHARMACEUTICALS INC", "123456789", "ACMEPHARMA", "ACM", "12345"),
    party("BLUE RIVER BIOLOGICS", "234567891", "BLUERIVERBIO", "BRB", "23456"),
    party("CORNERSTONE GENERICS LLC", "345678912", "CORNERSTONE", "CSG", "34567"),
    party("DELTA THERAPEUTICS CORP", "456789123", "DELTATHERA", "DTC", "45678"),
];

const PLACE_NAMES: [&str; 16] = [
    "RIVERSIDE",
    "LAKESIDE",
    "WESTSIDE",
    "NORTHGATE",
    "PINE VALLEY",
    "MAPLE RIDGE",
    "CEDAR CREEK",
    "HARBOR VIEW",
    "SUMMIT",
    "ST MARY",
    "OAK HILL",
    "GREENFIELD",
    "SILVER LAKE",
    "EASTWOOD",
    "FAIRVIEW",
    "WILLOW BEND",
];

const FACILITY_KINDS: [&str; 8] = [
    "COMMUNITY HOSPITAL",
    "CLINIC PHARMACY",
    "RETAIL PHARMACY",
    "MEDICAL CENTER",
    "HEALTH SYSTEM",
    "FAMILY PHARMACY",
    "SURGERY CENTER",
    "ONCOLOGY ASSOCIATES",
];

const STREETS: [&str; 12] = [
    "RIVER RD",
    "SHORE DR",
    "MAIN ST",
    "OAK AVE",
    "ELM ST",
    "HOSPITAL BLVD",
    "CENTER ST",
    "PARK AVE",
    "LINCOLN WAY",
    "MARKET ST",
    "HIGHLAND DR",
    "COLLEGE AVE",
];

/// City, state and the first three digits of its ZIP codes.
const CITIES: [(&str, &str, &str); 12] = [
    ("SPRINGFIELD", "IL", "627"),
    ("MADISON", "WI", "537"),
    ("TOPEKA", "KS", "666"),
    ("COLUMBUS", "OH", "432"),
    ("ALBANY", "NY", "122"),
    ("SACRAMENTO", "CA", "958"),
    ("AUSTIN", "TX", "787"),
    ("RALEIGH", "NC", "276"),
    ("DENVER", "CO", "802"),
    ("NASHVILLE", "TN", "372"),
    ("BOISE", "ID", "837"),
    ("RICHMOND", "VA", "232"),
];

/// An end customer (N1*ST) with its identification and address.
struct Customer {
    name: String,
    /// N103: `11` DEA, `21` HIN, `UL` GLN.
    id_qualifier: &'static str,
    id: String,
    street: String,
    city: (&'static str, &'static str),
    postal_code: String,
}

/// splitmix64 (Steele, Lea and Flood): tiny, fast, and good enough to vary test data.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0), by multiply-shift so no value is favoured noticeably.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn digits(&mut self, n: u32) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }

    fn alnum(&mut self, n: u32) -> String {
        const SET: &[u8] = b"ABCDEFGHJKLMNPRSTUVWXYZ0123456789";
        (0..n).map(|_| char::from(*self.pick(SET))).collect()
    }

    fn date(&mut self) -> Date {
        let year = 2025 + self.below(2) as u32;
        Date::new(year, 1, 1).plus_days(self.below(365) as u32)
    }

    /// HHMM.
    fn time(&mut self) -> u32 {
        self.below(24) as u32 * 100 + self.below(60) as u32
    }

    fn contract(&mut self, manufacturer: &Party, date: Date) -> String {
        let number = self.below(200);
        format!("SPA-{}-{}{number:04}", date.year, manufacturer.prefix)
    }

    fn invoice(&mut self) -> String {
        format!("INV{:07}", self.below(10_000_000))
    }

    /// An 11-digit NDC (5-4-2) from the manufacturer's labeler code.
    fn ndc(&mut self, manufacturer: &Party) -> String {
        let product = self.below(40) * 101 % 10_000;
        let package = [1, 5, 10, 30, 90][self.below(5) as usize];
        format!("{}{product:04}{package:02}", manufacturer.labeler)
    }

    /// Wholesale acquisition cost per case, 5.00 to about 900.00.
    fn wac_cents(&mut self) -> u64 {
        match self.below(10) {
            0 => 10_000 + self.below(80_000),
            1..=3 => 2_000 + self.below(8_000),
            _ => 500 + self.below(4_000),
        }
    }

    /// Cases per line: mostly small, now and then a bulk order.
    fn quantity(&mut self) -> u64 {
        if self.below(20) == 0 {
            50 + self.below(451)
        } else {
            1 + self.below(24)
        }
    }

    /// A DEA registration: two letters, six digits and the check digit.
    fn dea(&mut self, name: &str) -> String {
        let first = *self.pick(b"ABFGM");
        let second = name.bytes().next().unwrap_or(b'X');
        let d: Vec<u32> = (0..6).map(|_| self.below(10) as u32).collect();
        let check = (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10;
        let mut s = String::with_capacity(9);
        s.push(char::from(first));
        s.push(char::from(second));
        d.iter().for_each(|v| s.push(char::from(b'0' + *v as u8)));
        s.push(char::from(b'0' + check as u8));
        s
    }

    /// A Health Industry Number: nine alphanumerics.
    fn hin(&mut self) -> String {
        self.alnum(9)
    }

    /// A GLN: twelve digits and the GS1 check digit.
    fn gln(&mut self) -> String {
        let mut s = self.digits(12);
        let sum: u32 = s
            .bytes()
            .rev()
            .enumerate()
            .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
            .sum();
        s.push(char::from(b'0' + ((10 - sum % 10) % 10) as u8));
        s
    }

    fn customer(&mut self) -> Customer {
        let name = format!("{} {}", self.pick(&PLACE_NAMES), self.pick(&FACILITY_KINDS));
        let (id_qualifier, id) = match self.below(3) {
            0 => ("11", self.dea(&name)),
            1 => ("21", self.hin()),
            _ => ("UL", self.gln()),
        };
        let street = format!("{} {}", 1 + self.below(9_999), self.pick(&STREETS));
        let &(city, state, zip) = self.pick(&CITIES);
        let postal_code = format!("{zip}{:02}", self.below(100));
        Customer {
            name,
            id_qualifier,
            id,
            street,
            city: (city, state),
            postal_code,
        }
    }
}

/// `text` (segments ended by `~`, each maybe followed by a line break) with every 867 line's
/// LIN moved before its QTY, as partners with `lenient_867_line_order` send them: for the
/// tests of that leniency.
pub fn lin_before_qty(text: &str) -> String {
    let segments: Vec<&str> = text.split_inclusive('~').collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < segments.len() {
        let starts = |n: usize, id: &str| {
            segments
                .get(n)
                .is_some_and(|s| s.trim_start().starts_with(id))
        };
        if starts(i, "QTY*") && starts(i + 1, "LIN*") {
            // Each keeps the line break before it, so the layout stays as it was.
            let (qty, lin) = (segments[i], segments[i + 1]);
            let (qty_break, qty) = qty.split_at(qty.len() - qty.trim_start().len());
            let (lin_break, lin) = lin.split_at(lin.len() - lin.trim_start().len());
            out.extend([qty_break, lin, lin_break, qty]);
            i += 2;
        } else {
            out.push_str(segments[i]);
            i += 1;
        }
    }
    out
}

/// A copy of `data` with every `nth` occurrence of `from` replaced by `to` (`nth` >= 1): a
/// corpus with errors spread through it, for tests of the error paths at size.
pub fn corrupt_every(data: &[u8], from: &[u8], to: &[u8], nth: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 1024);
    let mut rest = data;
    let mut seen = 0;
    while !from.is_empty()
        && let Some(at) = memchr::memmem::find(rest, from)
    {
        out.extend_from_slice(&rest[..at]);
        seen += 1;
        out.extend_from_slice(if seen % nth.max(1) == 0 { to } else { from });
        rest = &rest[at + from.len()..];
    }
    out.extend_from_slice(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrupt_every_replaces_every_nth_occurrence_only() {
        assert_eq!(corrupt_every(b"a~a~a~a~", b"a~", b"BB~", 2), b"a~BB~a~BB~");
        assert_eq!(corrupt_every(b"xyz", b"a", b"b", 1), b"xyz");
    }
    use crate::ReaderOptions;
    use crate::validate::{ValidateOptions, validate};

    fn generated(kind: SetKind, bytes: usize, seed: u64) -> (Vec<u8>, CorpusStats) {
        let mut out = Vec::new();
        let stats = corpus(kind, bytes, seed, &mut out).expect("writing to a Vec");
        (out, stats)
    }

    fn assert_valid(kind: SetKind) {
        let (data, stats) = generated(kind, 200 << 10, 7);
        let out = validate(
            &data[..],
            ReaderOptions::default(),
            ValidateOptions::default(),
        );
        let msgs: Vec<String> = out
            .diagnostics
            .iter()
            .take(10)
            .map(|d| d.to_string())
            .collect();
        assert!(out.is_valid(), "{kind:?}: {msgs:#?}");
        assert!(out.diagnostics.is_empty(), "{kind:?}: {msgs:#?}");
        assert_eq!(out.segments, stats.segments);
        assert_eq!(out.interchanges.len() as u64, stats.interchanges);
        let sets: u64 = out
            .interchanges
            .iter()
            .flat_map(|i| &i.groups)
            .map(|g| u64::from(g.sets_accepted))
            .sum();
        assert_eq!(sets, stats.sets);
        assert_eq!(stats.bytes, data.len() as u64);
        assert_eq!(
            stats.lines,
            data.iter().filter(|&&b| b == b'\n').count() as u64
        );
        assert!(stats.bytes >= 200 << 10);
    }

    #[test]
    fn generated_844_corpus_validates_clean() {
        assert_valid(SetKind::Claim844);
    }

    #[test]
    fn generated_867_corpus_validates_clean() {
        assert_valid(SetKind::Sales867);
    }

    #[test]
    fn same_seed_gives_same_bytes_and_other_seeds_differ() {
        let (a, _) = generated(SetKind::Claim844, 20_000, 42);
        let (b, _) = generated(SetKind::Claim844, 20_000, 42);
        let (c, _) = generated(SetKind::Claim844, 20_000, 43);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn stops_at_the_first_set_boundary_after_the_target() {
        let (data, stats) = generated(SetKind::Sales867, 10_000, 1);
        assert!(stats.bytes >= 10_000);
        // Dropping the last set (and the trailers) would fall short of the target.
        let last_st = data.windows(4).rposition(|w| w == b"\nST*").expect("a set");
        assert!((last_st as u64) < 10_000);
        assert!(data.ends_with(b"~\n"));
    }

    #[test]
    fn empty_target_still_writes_one_whole_interchange() {
        let (data, stats) = generated(SetKind::Claim844, 0, 3);
        assert_eq!((stats.interchanges, stats.sets), (1, 1));
        let out = validate(
            &data[..],
            ReaderOptions::default(),
            ValidateOptions::default(),
        );
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    }

    #[test]
    fn a_new_interchange_starts_every_thousand_sets() {
        let mut c = Corpus::new(SetKind::Sales867, usize::MAX, 9);
        let mut buf = Vec::new();
        for _ in 0..SETS_PER_INTERCHANGE + 1 {
            assert!(c.next_set(&mut buf));
        }
        assert_eq!(c.stats().interchanges, 2);
        let text = String::from_utf8(buf).expect("ascii");
        assert!(text.contains(&format!("GE*{SETS_PER_INTERCHANGE}*")));
        assert!(text.contains("ST*867*1000~"));
    }

    #[test]
    fn reader_yields_the_same_bytes_as_the_writer() {
        let (data, stats) = generated(SetKind::Claim844, 50_000, 5);
        let mut r = CorpusReader::new(SetKind::Claim844, 50_000, 5);
        let mut read = Vec::new();
        let mut chunk = [0u8; 1000];
        loop {
            let n = r.read(&mut chunk).expect("generated");
            if n == 0 {
                break;
            }
            read.extend_from_slice(&chunk[..n]);
        }
        assert_eq!(read, data);
        assert_eq!(r.stats(), stats);
    }

    #[test]
    fn dates_step_across_months_and_years() {
        let d = Date::new(2024, 12, 30);
        assert_eq!(d.plus_days(2), Date::new(2025, 1, 1));
        assert_eq!(Date::new(2024, 3, 1).minus_days(1), Date::new(2024, 2, 29));
        assert_eq!(
            Date::new(2025, 1, 5).minus_days(36),
            Date::new(2024, 11, 30)
        );
        assert_eq!(Date::new(2025, 12, 31).day_of_year(), 365);
    }
}
