//! `[[rules.uom_conversions]]`: exact unit conversions a partner's sales and price lists are
//! read with (chargeback-rules 3 V0 "UOM converts", 4.1 `num/den`), loaded and refused as
//! every other key is: with file, line and key.

use partner_maps::Profile;
use partner_maps::profile::UomConversion;

const MINIMAL: &str = r#"version = 1
id = "acme"
name = "ACME Pharmaceuticals"
role = "supplier"

[x12]
isa_qualifier = "ZZ"
isa_id = "ACMEPHARMA"
version = "004010"
"#;

/// Two entries: an item's EA -> CA (header on line 13, keys 14-17), then a generic CS -> EA
/// (header on line 19, keys 20-22).
fn two_entries(first: &str, second: &str) -> String {
    format!(
        "{MINIMAL}\n[rules]\n\n[[rules.uom_conversions]]\n{first}\n[[rules.uom_conversions]]\n{second}"
    )
}

const FIRST: &str = "from = \"EA\"\nto = \"CA\"\nfactor = \"1/12\"\nitem = \"12345-0100-01\"\n";
const SECOND: &str = "from = \"CS\"\nto = \"EA\"\nfactor = \"24\"\n";

fn err(text: &str) -> String {
    match Profile::from_toml_str(text, "profiles/acme.toml") {
        Ok(p) => panic!("expected an error, loaded {:?}", p.rules.uom_conversions),
        Err(e) => e.to_string(),
    }
}

#[test]
fn conversions_load_in_file_order_with_their_exact_factors() {
    let text = two_entries(
        FIRST,
        "from = \"CS\"\nto = \"EA\"\nfactor = \" 24 / 1 \"\nitem = \"1234501000\"\n\
         item_qualifier = \"N2\"\n\n[[rules.uom_conversions]]\nfrom = \"EA\"\nto = \"CA\"\n\
         factor = \"1/10\"\n",
    );
    let p = Profile::from_toml_str(&text, "profiles/acme.toml").expect("loads");
    assert_eq!(
        p.rules.uom_conversions,
        [
            UomConversion {
                item: Some("12345-0100-01".into()),
                item_qualifier: None,
                from: "EA".into(),
                to: "CA".into(),
                num: 1,
                den: 12,
            },
            UomConversion {
                item: Some("1234501000".into()),
                item_qualifier: Some("N2".into()),
                from: "CS".into(),
                to: "EA".into(),
                num: 24,
                den: 1,
            },
            UomConversion {
                item: None,
                item_qualifier: None,
                from: "EA".into(),
                to: "CA".into(),
                num: 1,
                den: 10,
            },
        ]
    );
    let shown: Vec<String> = p
        .rules
        .uom_conversions
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(
        shown,
        [
            "EA -> CA 1/12, item 12345-0100-01",
            "CS -> EA 24/1, item 1234501000 (N2)",
            "EA -> CA 1/10, every item",
        ]
    );
    // None by default.
    let p = Profile::from_toml_str(MINIMAL, "profiles/acme.toml").expect("loads");
    assert!(p.rules.uom_conversions.is_empty());
}

#[test]
fn each_bad_entry_is_refused_at_its_line_and_key() {
    let second = |replace: &str, with: &str| two_entries(FIRST, &SECOND.replace(replace, with));
    let cases = [
        (
            second("\"24\"", "\"0/12\""),
            "profiles/acme.toml:22: bad value \"0/12\" for key \"factor\" in \
             [rules.uom_conversions]: must be above zero: a sale unit is some part of a \
             contract unit",
        ),
        (
            second("\"24\"", "\"1/0\""),
            "profiles/acme.toml:22: bad value \"1/0\" for key \"factor\" in \
             [rules.uom_conversions]: the denominator must not be zero",
        ),
        (
            second("\"24\"", "\"0.5\""),
            "profiles/acme.toml:22: bad value \"0.5\" for key \"factor\" in \
             [rules.uom_conversions]: expected an exact factor, contract units per sale unit: \
             \"N/D\" (\"1/12\") or a whole number (\"12\"), each at most 4294967295",
        ),
        (
            second("\"24\"", "\"-1/12\""),
            "profiles/acme.toml:22: bad value \"-1/12\" for key \"factor\" in \
             [rules.uom_conversions]: expected an exact factor, contract units per sale unit: \
             \"N/D\" (\"1/12\") or a whole number (\"12\"), each at most 4294967295",
        ),
        (
            second("from = \"CS\"", "from = \"\""),
            "profiles/acme.toml:20: bad value \"\" for key \"from\" in \
             [rules.uom_conversions]: expected an X12 unit of measure code",
        ),
        (
            second("to = \"EA\"", "to = \"\""),
            "profiles/acme.toml:21: bad value \"\" for key \"to\" in \
             [rules.uom_conversions]: expected an X12 unit of measure code",
        ),
        (
            second("to = \"EA\"", "to = \"cs\""),
            "profiles/acme.toml:21: bad value \"cs\" for key \"to\" in \
             [rules.uom_conversions]: not an X12 unit of measure code (X12 element 355)",
        ),
        (
            second("to = \"EA\"", "to = \"CS\""),
            "profiles/acme.toml:21: bad value \"CS\" for key \"to\" in \
             [rules.uom_conversions]: same unit as from: a unit needs no conversion to itself",
        ),
        (
            two_entries(FIRST, &format!("{SECOND}item_qualifier = \"N4\"\n")),
            "profiles/acme.toml:23: bad value \"N4\" for key \"item_qualifier\" in \
             [rules.uom_conversions]: qualifies an item: set item too, or leave both out for \
             every item",
        ),
        (
            two_entries(FIRST, FIRST),
            "profiles/acme.toml:23: bad value \"12345-0100-01\" for key \"item\" in \
             [rules.uom_conversions]: repeats entry 1 of [[rules.uom_conversions]]: the same \
             item, from and to",
        ),
        (
            two_entries(SECOND, SECOND),
            "profiles/acme.toml:19: bad value \"CS\" for key \"from\" in \
             [rules.uom_conversions]: repeats entry 1 of [[rules.uom_conversions]]: the same \
             item, from and to",
        ),
        (
            two_entries(FIRST, &format!("{SECOND}item = \"\"\n")),
            "profiles/acme.toml:23: bad value \"\" for key \"item\" in \
             [rules.uom_conversions]: must not be empty: leave item out for a conversion of \
             every item",
        ),
        (
            two_entries(
                FIRST,
                &format!("{SECOND}item = \"AB-100\"\nitem_qualifier = \"QQQ\"\n"),
            ),
            "profiles/acme.toml:24: bad value \"QQQ\" for key \"item_qualifier\" in \
             [rules.uom_conversions]: not a product id qualifier (X12 element 235)",
        ),
        (
            two_entries(
                FIRST,
                "from = \"CA\"\nto = \"EA\"\nfactor = \"10\"\nitem = \"12345-0100-01\"\n",
            ),
            "profiles/acme.toml:22: bad value \"10\" for key \"factor\" in \
             [rules.uom_conversions]: contradicts entry 1 of [[rules.uom_conversions]] (EA -> \
             CA 1/12): the way back must be 12/1, or leave this entry out and it is derived",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(err(&text), expected, "{text}");
    }
}

#[test]
fn both_ways_may_be_written_when_they_agree() {
    // 1/12 one way and 12 (or 24/2) the other state the same case; another item's or every
    // item's way back is no contradiction.
    for back in [
        "factor = \"12\"\nitem = \"12345-0100-01\"\n",
        "factor = \"24/2\"\nitem = \"12345-0100-01\"\n",
        "factor = \"10\"\n",
        "factor = \"10\"\nitem = \"12345-0200-01\"\n",
    ] {
        let text = two_entries(FIRST, &format!("from = \"CA\"\nto = \"EA\"\n{back}"));
        let p = Profile::from_toml_str(&text, "profiles/acme.toml").expect(back);
        assert_eq!(p.rules.uom_conversions.len(), 2, "{back}");
    }
}

#[test]
fn a_factor_is_read_one_way_wherever_it_is_written() {
    use partner_maps::profile::FactorError;
    assert_eq!(UomConversion::parse_factor("1/12"), Ok((1, 12)));
    assert_eq!(UomConversion::parse_factor(" 12 "), Ok((12, 1)));
    assert_eq!(UomConversion::parse_factor("24/2"), Ok((24, 2)));
    for bad in ["", "+1/12", "1.5", "1/12/2", "-12", "4294967296", "a/b"] {
        assert_eq!(
            UomConversion::parse_factor(bad),
            Err(FactorError::NotExact),
            "{bad:?}"
        );
    }
    assert_eq!(
        UomConversion::parse_factor("1/0"),
        Err(FactorError::ZeroDenominator)
    );
    assert_eq!(UomConversion::parse_factor("0/12"), Err(FactorError::Zero));
}

#[test]
fn unknown_missing_and_mistyped_keys_are_located() {
    let e = err(&two_entries(FIRST, &SECOND.replace("factor", "facter")));
    assert_eq!(
        e,
        "profiles/acme.toml:22: unknown key \"facter\" in [rules.uom_conversions] (did you \
         mean \"factor\"?)"
    );
    let e = err(&two_entries(
        FIRST,
        &SECOND.replace("factor = \"24\"\n", ""),
    ));
    assert_eq!(
        e,
        "profiles/acme.toml:19: missing key \"factor\" in [rules.uom_conversions]"
    );
    let e = err(&two_entries(FIRST, &SECOND.replace("\"24\"", "24")));
    assert_eq!(
        e,
        "profiles/acme.toml:22: wrong type for key \"factor\" in [rules.uom_conversions]: \
         expected a string, found integer 24"
    );
    let e = err(&format!("{MINIMAL}\n[rules]\nuom_conversion = []\n"));
    assert_eq!(
        e,
        "profiles/acme.toml:12: unknown key \"uom_conversion\" in [rules] (did you mean \
         \"uom_conversions\"?)"
    );
}
