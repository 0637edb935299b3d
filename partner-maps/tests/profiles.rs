//! The profile format through the public API: the shipped profiles, a minimal one, and the
//! errors an operator sees for a broken one.

use std::path::{Path, PathBuf};

use partner_maps::profile::{
    AckKind, BatchMode, ClaimRef, ContractRef, DateBasis, LineEnding, ReferencePriceBasis,
    RejectReason, Role, RoundingStrategy, SetKind, StatusRule, Ta1Policy,
};
use partner_maps::{LoadError, Profile, ProfileErrorKind, ProfileSet, VersionedProfile};
use rust_decimal::Decimal;
use x12::dict::Version;
use x12::writer::DelimiterPolicy;

fn profiles_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles")
}

fn dec(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

const MINIMAL: &str = r#"version = 1
id = "acme"
name = "ACME Pharmaceuticals"
role = "supplier"

[x12]
isa_qualifier = "ZZ"
isa_id = "ACMEPHARMA"
version = "004010"
"#;

fn err(text: &str) -> String {
    match Profile::from_toml_str(text, "profiles/acme.toml") {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn loads_a_minimal_profile_with_every_default() {
    let p = Profile::from_toml_str(MINIMAL, "acme.toml").expect("minimal profile loads");
    assert_eq!(p.id, "acme");
    assert_eq!(p.role, Role::Supplier);
    assert_eq!(p.x12.gs_id, "ACMEPHARMA", "gs_id defaults to isa_id");
    assert_eq!(p.x12.version, Version::V004010);
    assert_eq!(p.x12.acknowledgment, AckKind::Ack997);
    assert_eq!(p.x12.ta1, Ta1Policy::OnRequest);
    assert!(p.x12.isa_strict);
    assert_eq!(p.x12.delimiters.element, b'*');
    assert_eq!(p.x12.delimiters.repetition, None);
    assert_eq!(p.x12.allowed_sets, SetKind::ALL);
    assert_eq!(p.x12.control_numbers.interchange.end, 999_999_999);
    assert!(p.as2.is_none() && p.sftp.is_none());
    assert_eq!(p.dialect.contract_ref, ContractRef::Con02);
    assert_eq!(p.dialect.claim_ref, ClaimRef::Baa05);
    assert_eq!(p.dialect.customer_id_priority, ["11", "21", "UL", "PI"]);
    assert_eq!(p.dialect.status_rule, StatusRule::Amounts);
    assert_eq!(p.money.scale, 2);
    assert_eq!(p.money.header_tol, dec("1.00"));
    assert_eq!(p.rules.batch_mode, BatchMode::ReviewAndClaim);
    assert_eq!(p.rules.pricing_date_basis, DateBasis::Invoice);
    assert_eq!(p.rules.claim_window_days, None);
    assert!(p.rules.derive_contract, "on as claimant");
    assert_eq!(p.rules.auto_approve_limit, Decimal::ZERO);
    assert_eq!(
        p.reject_codes.aaa03(RejectReason::ContractPriceMismatch),
        "06"
    );
}

#[test]
fn loads_the_shipped_profile_directory() {
    let set = ProfileSet::load_dir(profiles_dir()).expect("profiles load");
    let ids: Vec<&str> = set.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["acmepharma", "caresupply", "gooddrug", "voltadist"]);

    let gd = set.get("gooddrug").expect("gooddrug");
    assert_eq!(gd.role, Role::Distributor);
    assert_eq!(gd.x12.isa_id, "GOODDRUG");
    assert_eq!(gd.dialect.reference_price_basis, ["WH"]);
    assert_eq!(gd.dialect.contract_price_basis, ["CT"]);
    assert_eq!(gd.dialect.customer_id_priority, ["11", "21"]);
    assert_eq!(gd.rules.claim_window_days, Some(180));
    assert!(!gd.rules.derive_contract, "off as adjudicator");
    assert_eq!(gd.x12.control_numbers.set.end, 9999);

    let acme = set.get("acmepharma").expect("acmepharma");
    assert_eq!(acme.role, Role::Supplier);
    assert_eq!(acme.x12.version, Version::V005010);
    assert_eq!(acme.x12.acknowledgment, AckKind::Ack999);
    assert_eq!(acme.x12.delimiters.repetition, Some(b'^'));
    assert_eq!(acme.x12.line_ending, LineEnding::None);
    assert_eq!(acme.dialect.eligible_entity, ["EB", "BG"]);
    assert_eq!(acme.dialect.ctp_reference, ["WHL"]);
    assert_eq!(acme.dialect.uom("CS"), "CA");
    assert_eq!(acme.dialect.uom("EA"), "EA");
    let as2 = acme.as2.as_ref().expect("as2");
    assert_eq!(as2.id, "ACMEAS2");
    assert_eq!(
        as2.certificates[0],
        profiles_dir().join("certs/acmepharma-2026.pem"),
        "certificates are relative to the profile directory"
    );
    assert_eq!(acme.rules.writeoff_threshold, dec("5.00"));
    assert_eq!(
        acme.reject_codes.aaa04(RejectReason::ContractNotStarted),
        "C"
    );

    let volta = set.get("voltadist").expect("voltadist");
    assert_eq!(volta.dialect.reference_price_basis, ["DI"]);
    assert_eq!(volta.dialect.product_id_priority, ["VP", "BP"]);
    assert_eq!(volta.dialect.eligibility_date, DateBasis::Ship);
    assert_eq!(volta.dialect.eligibility_date_qualifier(), "011");
    assert_eq!(volta.rules.pricing_date_basis, DateBasis::Ship);
    assert_eq!(volta.rules.reference_price_basis, ReferencePriceBasis::Book);
    assert_eq!(
        volta
            .reject_codes
            .aaa03(RejectReason::ReferencePriceMismatch),
        "31"
    );
    assert_eq!(volta.rules.batch_mode, BatchMode::ImmediateClaim);
    assert_eq!(volta.x12.ta1, Ta1Policy::Never);
    assert_eq!(volta.x12.write_options().line_ending, "\r\n");
    assert!(volta.x12.accepts_inbound(volta.role, SetKind::Ts844));
    assert!(!volta.x12.accepts_inbound(volta.role, SetKind::Ts867));
    assert!(volta.x12.may_send(volta.role, SetKind::Ts849));
    assert_eq!(volta.money.tolerance(dec("1000.00")), dec("1.00000"));

    let care = set.get("caresupply").expect("caresupply");
    assert_eq!(care.dialect.contract_ref, ContractRef::RefCt);
    assert_eq!(
        care.dialect.contract_refs().collect::<Vec<_>>(),
        [ContractRef::RefCt, ContractRef::Ptd05]
    );
    assert!(care.dialect.lenient_867_line_order);
    assert!(care.dialect.omits("PER"));
    assert_eq!(care.dialect.product_id_priority, ["VN", "UP"]);
    assert_eq!(care.money.rounding, RoundingStrategy::HalfEven);
    assert_eq!(care.x12.delimiters.component, b':');
}

#[test]
fn finds_profiles_by_sender() {
    let set = ProfileSet::load_dir(profiles_dir()).expect("profiles load");
    let found = set
        .find_by_sender("ZZ", "GOODDRUG       ", Some("GOODDRUG"))
        .map(|p| p.id.as_str());
    assert_eq!(found, Some("gooddrug"), "ISA06 padding is trimmed");
    assert_eq!(
        set.find_by_sender("ZZ", "CARESUPPLY", Some("CARESUPPLYMS"))
            .map(|p| p.id.as_str()),
        Some("caresupply"),
        "an extra inbound GS id is accepted"
    );
    assert!(
        set.find_by_sender("ZZ", "GOODDRUG", Some("OTHER"))
            .is_none()
    );
    assert!(set.find_by_sender("01", "GOODDRUG", None).is_none());
    assert!(set.find_by_sender("ZZ", "NOBODY", None).is_none());
    assert_eq!(
        set.find_by_sender("ZZ", "VOLTADIST", None)
            .map(|p| p.id.as_str()),
        Some("voltadist")
    );
}

#[test]
fn unknown_key_names_file_line_and_table() {
    let text = format!("{MINIMAL}\n[dialect]\nwac_qualfier = [\"WH\"]\n");
    assert_eq!(text.lines().count(), 12, "the key is on line 12");
    assert_eq!(
        err(&text),
        "profiles/acme.toml:12: unknown key \"wac_qualfier\" in [dialect]"
    );
}

#[test]
fn misspelt_key_suggests_the_right_one() {
    let text = format!("{MINIMAL}\n[dialect]\nrefrence_price_basis = [\"WH\"]\n");
    assert_eq!(
        err(&text),
        "profiles/acme.toml:12: unknown key \"refrence_price_basis\" in [dialect] \
         (did you mean \"reference_price_basis\"?)"
    );
}

#[test]
fn unknown_key_at_the_top_and_in_nested_tables() {
    let top = MINIMAL.replace(
        "role = \"supplier\"",
        "role = \"supplier\"\ncolour = \"red\"",
    );
    assert_eq!(
        err(&top),
        "profiles/acme.toml:5: unknown key \"colour\" at the top level"
    );
    let nested = format!("{MINIMAL}\n[x12.delimiters]\nelement = \"*\"\nterminator = \"~\"\n");
    assert_eq!(
        err(&nested),
        "profiles/acme.toml:13: unknown key \"terminator\" in [x12.delimiters]"
    );
    let inline = MINIMAL.replace(
        "version = \"004010\"",
        "version = \"004010\"\ncontrol_numbers = { interchange = [1, 9], gruop = [1, 9] }",
    );
    let e = err(&inline);
    assert!(
        e.starts_with("profiles/acme.toml:10: unknown key \"gruop\" in [x12.control_numbers]"),
        "{e}"
    );
}

#[test]
fn wrong_enum_value_names_the_allowed_values() {
    let text = format!("{MINIMAL}\n[x12.delimiters]\nline_ending = \"crlf2\"\n");
    assert_eq!(
        err(&text),
        "profiles/acme.toml:12: bad value \"crlf2\" for key \"line_ending\" in \
         [x12.delimiters]: expected one of \"none\", \"lf\", \"crlf\""
    );
    let role = MINIMAL.replace("\"supplier\"", "\"wholesaler\"");
    assert_eq!(
        err(&role),
        "profiles/acme.toml:4: bad value \"wholesaler\" for key \"role\" at the top level: \
         expected one of \"supplier\", \"distributor\""
    );
    let contract = format!("{MINIMAL}\n[dialect]\ncontract_ref = \"REF*CT\"\n");
    let e = err(&contract);
    assert!(
        e.contains("key \"contract_ref\" in [dialect]: expected one of \"CON02\", \"REF:CT\""),
        "{e}"
    );
}

#[test]
fn unknown_reject_reason_is_an_unknown_key() {
    let text = format!("{MINIMAL}\n[reject_codes]\nCUSTOMER_NOT_ELIGBLE = \"26\"\n");
    assert_eq!(
        err(&text),
        "profiles/acme.toml:12: unknown key \"CUSTOMER_NOT_ELIGBLE\" in [reject_codes] \
         (did you mean \"CUSTOMER_NOT_ELIGIBLE\"?)"
    );
}

#[test]
fn version_2_is_refused_clearly() {
    let text = MINIMAL.replace("version = 1", "version = 2");
    assert_eq!(
        err(&text),
        "profiles/acme.toml:1: unsupported profile version 2: this build reads profile version 1"
    );
    let missing = MINIMAL.replace("version = 1\n", "");
    assert_eq!(
        err(&missing),
        "profiles/acme.toml:1: missing key \"version\" at the top level"
    );
    let text = MINIMAL.replace("version = 1", "version = \"1\"");
    assert_eq!(
        err(&text),
        "profiles/acme.toml:1: wrong type for key \"version\" at the top level: expected an \
         integer, found string"
    );
}

#[test]
fn missing_and_mistyped_keys_are_located() {
    let text = MINIMAL.replace("isa_id = \"ACMEPHARMA\"\n", "");
    assert_eq!(
        err(&text),
        "profiles/acme.toml:6: missing key \"isa_id\" in [x12]"
    );
    let text = MINIMAL.replace("id = \"acme\"\n", "");
    assert_eq!(
        err(&text),
        "profiles/acme.toml:1: missing key \"id\" at the top level"
    );
    let text = format!("{MINIMAL}isa_strict = \"yes\"\n");
    assert_eq!(
        err(&text),
        "profiles/acme.toml:10: wrong type for key \"isa_strict\" in [x12]: expected a \
         boolean, found string \"yes\""
    );
    let text = format!("{MINIMAL}\n[money]\nabs_tol = 0.01\n");
    assert_eq!(
        err(&text),
        "profiles/acme.toml:12: wrong type for key \"abs_tol\" in [money]: expected a string, \
         found floating point 0.01"
    );
}

#[test]
fn bad_values_found_while_building_are_located() {
    let cases = [
        (
            "\n[money]\nscale = 2\nabs_tol = \"ten cents\"\n",
            "profiles/acme.toml:13: bad value \"ten cents\" for key \"abs_tol\" in [money]: \
             expected a decimal number written as a string, like \"0.01\"",
        ),
        (
            "\n[dialect]\nreference_price_basis = [\"WH\", \"QQ\"]\n",
            "profiles/acme.toml:12: bad value \"QQ\" for key \"reference_price_basis\" in \
             [dialect]: not a UIT03 price basis code (X12 element 639)",
        ),
        (
            "\n[dialect]\ncontract_price_basis = [\"WH\"]\n",
            "profiles/acme.toml:12: bad value \"WH\" for key \"contract_price_basis\" in \
             [dialect]: also listed in reference_price_basis",
        ),
        (
            "\n[x12.control_numbers]\nset = [9999, 1]\n",
            "profiles/acme.toml:12: bad value \"[9999, 1]\" for key \"set\" in \
             [x12.control_numbers]: expected 1 <= start <= end <= 999999999",
        ),
        (
            "\n[x12.delimiters]\ncomponent = \"*\"\n",
            "profiles/acme.toml:12: bad value \"*\" for key \"component\" in \
             [x12.delimiters]: invalid component separator '*': delimiters must be distinct",
        ),
        (
            "\n[reject_codes]\nCUSTOMER_NOT_ELIGIBLE = \"99X\"\n",
            "profiles/acme.toml:12: bad value \"99X\" for key \"CUSTOMER_NOT_ELIGIBLE\" in \
             [reject_codes]: not an AAA03 reject reason code (X12 element 901)",
        ),
        (
            "\n[dialect]\neligibility_date = \"011\"\n[rules]\npricing_date_basis = \"invoice\"\n",
            "profiles/acme.toml:12: bad value \"ship\" for key \"eligibility_date\" in \
             [dialect]: conflicts with rules.pricing_date_basis = \"invoice\"; they name the \
             same date, set one",
        ),
    ];
    for (extra, expected) in cases {
        assert_eq!(err(&format!("{MINIMAL}{extra}")), expected);
    }
    let bad_id = MINIMAL.replace("id = \"acme\"", "id = \"ACME Pharma\"");
    assert!(
        err(&bad_id).starts_with("profiles/acme.toml:2: bad value \"ACME Pharma\" for key \"id\""),
        "{}",
        err(&bad_id)
    );
}

#[test]
fn syntax_errors_are_located() {
    let text = format!("{MINIMAL}\n[dialect\n");
    let e = err(&text);
    assert!(
        e.starts_with("profiles/acme.toml:11: invalid TOML: "),
        "{e}"
    );
}

#[test]
fn eligibility_date_alone_sets_the_pricing_date() {
    let p = Profile::from_toml_str(
        &format!("{MINIMAL}\n[dialect]\neligibility_date = \"011\"\n"),
        "a",
    )
    .expect("loads");
    assert_eq!(p.rules.pricing_date_basis, DateBasis::Ship);
    let p = Profile::from_toml_str(
        &format!("{MINIMAL}\n[rules]\npricing_date_basis = \"ship\"\n"),
        "a",
    )
    .expect("loads");
    assert_eq!(p.dialect.eligibility_date, DateBasis::Ship);
}

#[test]
fn substitute_policy_carries_its_character() {
    let p = Profile::from_toml_str(
        &format!("{MINIMAL}delimiter_in_value = \"substitute\"\nsubstitute_with = \"-\"\n"),
        "a",
    )
    .expect("loads");
    assert_eq!(p.x12.delimiter_in_value, DelimiterPolicy::Substitute(b'-'));
}

/// A scratch directory under the system temp dir, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("partner-maps-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        Scratch(dir)
    }

    fn write(&self, file: &str, text: &str) {
        std::fs::write(self.0.join(file), text).expect("write");
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn file_name_must_equal_the_id() {
    let dir = Scratch::new("name");
    dir.write("acmepharma.toml", MINIMAL);
    match ProfileSet::load_dir(&dir.0) {
        Err(e @ LoadError::FileNameMismatch { .. }) => {
            assert!(e.to_string().ends_with(
                "acmepharma.toml: file name must equal the profile id: id is \"acme\", so the \
                 file must be \"acme.toml\""
            ))
        }
        other => panic!("expected a file name mismatch, got {other:?}"),
    }
}

#[test]
fn duplicate_isa_ids_are_refused() {
    let dir = Scratch::new("dup");
    dir.write("acme.toml", MINIMAL);
    dir.write(
        "acme2.toml",
        &MINIMAL.replace("id = \"acme\"", "id = \"acme2\""),
    );
    dir.write("README.md", "not a profile");
    match ProfileSet::load_dir(&dir.0) {
        Err(e @ LoadError::DuplicateIsa { .. }) => assert!(
            e.to_string()
                .ends_with("acme2.toml: ISA id ZZ/ACMEPHARMA is already used by profile \"acme\""),
            "{e}"
        ),
        other => panic!("expected a duplicate ISA, got {other:?}"),
    }
}

#[test]
fn a_broken_file_fails_the_load_with_its_location() {
    let dir = Scratch::new("broken");
    dir.write(
        "acme.toml",
        &format!("{MINIMAL}\n[dialect]\nwac_qualfier = 1\n"),
    );
    match ProfileSet::load_dir(&dir.0) {
        Err(LoadError::Profile(e)) => {
            assert_eq!(e.line, 12);
            assert!(matches!(*e.kind, ProfileErrorKind::UnknownKey { .. }));
            assert!(e.file.ends_with("acme.toml"));
        }
        other => panic!("expected a profile error, got {other:?}"),
    }
    assert!(matches!(
        ProfileSet::load_dir(dir.0.join("missing")),
        Err(LoadError::Io { .. })
    ));
}

#[test]
fn versioned_profile_dispatches_on_version_then_builds() {
    let raw = VersionedProfile::from_toml_str(MINIMAL, "acme.toml").expect("parses");
    let VersionedProfile::V1(v1) = &raw;
    assert_eq!(v1.version, 1);
    assert_eq!(v1.x12.isa_id, "ACMEPHARMA");
    assert!(
        v1.dialect.eligibility_date.is_none(),
        "raw keeps what was written"
    );
    let built = raw.validate_and_build().expect("builds");
    assert_eq!(
        built,
        Profile::from_toml_str(MINIMAL, "acme.toml").expect("loads")
    );
    let acme = set_profile("acmepharma");
    assert_eq!(acme.dialect.party_kind("PI"), schemas::PartyKind::B340);
    assert_eq!(acme.dialect.party_kind("11"), schemas::PartyKind::Dea);
}

fn set_profile(id: &str) -> Profile {
    ProfileSet::load_dir(profiles_dir())
        .expect("profiles load")
        .get(id)
        .cloned()
        .expect("profile")
}

#[test]
fn a_line_ending_that_would_write_an_empty_segment_is_refused() {
    // After an LF terminator any line ending is an empty segment; after a CR terminator LF
    // makes a CRLF file, but CRLF would put an empty segment between the two CRs.
    for (segment, ending, ok) in [
        ("\\r", "lf", true),
        ("\\r", "none", true),
        ("\\r", "crlf", false),
        ("\\n", "lf", false),
        ("\\n", "crlf", false),
        ("\\n", "none", true),
    ] {
        let text = format!(
            "{MINIMAL}\n[x12.delimiters]\nsegment = \"{segment}\"\nline_ending = \"{ending}\"\n"
        );
        let loaded = Profile::from_toml_str(&text, "profiles/acme.toml");
        assert_eq!(loaded.is_ok(), ok, "{segment} {ending}: {loaded:?}");
    }
}
