//! The price list reader: rows read and normalized, and every fault of a refused file
//! located by row, column and value.

use super::*;

fn read(csv: &str) -> Result<Vec<PriceListRow>, PriceListError> {
    read_price_list(csv.as_bytes())
}

/// The faults of a refused file, one per line as the CLI prints them.
fn faults(csv: &str) -> Vec<String> {
    match read(csv) {
        Ok(rows) => panic!("read {} rows, expected faults", rows.len()),
        Err(e) => e.faults.iter().map(ToString::to_string).collect(),
    }
}

fn shown(row: &PriceListRow) -> String {
    let r = &row.reference;
    let end = r.end.map_or("open".to_owned(), |e| e.to_string());
    format!(
        "row {} {} {} {} {}..{end} {:?}",
        row.row, row.item, r.price, r.uom, r.start, r.basis
    )
}

#[test]
fn rows_are_read_with_their_items_normalized_as_contracts_are() {
    let csv = "\
item,price,uom,start,end,basis
12345-0100-01,18.75,CA,2026-01-01,2026-06-30,
12345010001,19.10,ca,2026-07-01,,wac
312345020101,42.000000,CA,2026-01-01,,BOOK
nws-mcu32f4,2.45,EA,2026-01-01,,
";
    let rows = read(csv).unwrap_or_else(|e| panic!("{e}"));
    let rows: Vec<String> = rows.iter().map(shown).collect();
    assert_eq!(
        rows,
        [
            "row 2 NDC:12345010001 18.75 CA 2026-01-01..2026-06-30 Wac",
            "row 3 NDC:12345010001 19.10 CA 2026-07-01..open Wac",
            "row 4 UP:312345020101 42.000000 CA 2026-01-01..open Book",
            "row 5 VP:NWS-MCU32F4 2.45 EA 2026-01-01..open Wac",
        ]
    );
}

#[test]
fn optional_columns_may_be_left_out_and_an_item_qualifier_named() {
    let csv = "start,uom,price,item,item_qualifier\n2026-01-01,CA,18.75,1234501000,N2\n";
    let rows = read(csv).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        rows.iter().map(shown).collect::<Vec<_>>(),
        ["row 2 NDC:12345001000 18.75 CA 2026-01-01..open Wac"]
    );
}

#[test]
fn every_bad_cell_is_reported_with_its_row_column_and_value() {
    let csv = "\
item,price,uom,start,end,basis
12345010001,-18.75,CA,2026-01-01,,
12345010001,,CA,2026-01-01,,
12345010001,18.1234567,CA,2026-01-01,,
12345010001,18.75,CA,2026-1-5,,
12345010001,18.75,CA,2026-03-01,2026-02-01,
12345010001,18.75,CA,2026-01-01,,LIST
1234567890,18.75,CA,2026-01-01,,
12345-0100-001,18.75,CA,2026-01-01,,
,18.75,,,,
12345010001,1e3,C A,2026-01-01,,
12345010001,0.00,CA,2026-01-01,,
";
    assert_eq!(
        faults(csv),
        [
            r#"row 2, column price: "-18.75" is negative"#,
            "row 3, column price: required",
            r#"row 4, column price: "18.1234567" has 7 decimal places; at most 6"#,
            r#"row 5, column start: "2026-1-5" is not a date (YYYY-MM-DD)"#,
            r#"row 6, column end: "2026-02-01" is before start (2026-03-01)"#,
            r#"row 7, column basis: "LIST" is not WAC or BOOK"#,
            r#"row 8, column item: "1234567890" is ten digits: write an NDC-10 with its hyphens, or name its item_qualifier (N1, N2 or N3; VP for a part number)"#,
            r#"row 9, column item: "12345-0100-001" is not an NDC-11, a GTIN or a part number"#,
            "row 10, column item: required",
            "row 10, column uom: required",
            "row 10, column start: required",
            r#"row 11, column price: "1e3" is not a decimal number (digits, one optional point)"#,
            r#"row 11, column uom: "C A" is not a unit of measure code (letters and digits)"#,
            r#"row 12, column price: "0.00" is zero: a reference price is more than zero"#,
        ]
    );
}

#[test]
fn one_bad_row_refuses_the_file_whatever_the_good_rows() {
    let csv =
        "item,price,uom,start\n12345010001,18.75,CA,2026-01-01\n12345020101,abc,CA,2026-01-01\n";
    let e = read(csv)
        .err()
        .unwrap_or_else(|| panic!("a bad row was loaded"));
    assert_eq!(e.faults.len(), 1);
    assert_eq!(
        e.to_string(),
        r#"row 3, column price: "abc" is not a decimal number (digits, one optional point)"#
    );
}

#[test]
fn rows_of_one_item_unit_and_basis_may_not_overlap() {
    let csv = "\
item,price,uom,start,end,basis
12345010001,18.75,CA,2026-01-01,2026-12-31,
12345-0100-01,19.00,CA,2026-06-01,,
12345010001,1.60,EA,2026-06-01,,
12345010001,17.00,CA,2026-06-01,,BOOK
12345010001,20.00,CA,2027-01-01,2027-03-31,
12345010001,20.50,CA,2027-03-01,,
";
    assert_eq!(
        faults(csv),
        [
            r#"row 3, column start: "2026-06-01" overlaps row 2 (same item, uom and basis, 2026-01-01..2026-12-31)"#,
            r#"row 6, column start: "2027-01-01" overlaps row 3 (same item, uom and basis, 2026-06-01..open)"#,
            r#"row 7, column start: "2027-03-01" overlaps row 3 (same item, uom and basis, 2026-06-01..open)"#,
        ]
    );
}

#[test]
fn the_header_names_its_columns_once_and_only_known_ones() {
    assert_eq!(
        faults("item,price,uom,item,wac\n12345010001,1,CA,x,y\n"),
        [
            "row 1, column item: column listed twice",
            "row 1, column wac: unknown column",
            "row 1, column start: column missing",
        ]
    );
    assert_eq!(
        faults("item,price,uom,start\n"),
        ["row 1, column *: the price list has no price rows"]
    );
    // A spreadsheet's byte order mark is not part of the first column's name.
    assert!(read("\u{feff}item,price,uom,start\n12345010001,18.75,CA,2026-01-01\n").is_ok());
}

#[test]
fn short_rows_and_bytes_that_are_not_utf8_are_faults_of_their_row() {
    let mut csv = b"item,price,uom,start\n12345010001,18.75,CA\n12345010001,18.75,".to_vec();
    csv.extend_from_slice(b"C\xffA,2026-01-01\n12345010001,18.75,CA,2026-01-01,extra\n");
    let e = read_price_list(&csv[..])
        .err()
        .unwrap_or_else(|| panic!("loaded"));
    let shown: Vec<String> = e.faults.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "row 2, column *: 3 fields where the header has 4",
            "row 3, column uom: is not UTF-8",
            "row 4, column *: 5 fields where the header has 4",
        ]
    );
}

#[test]
fn a_file_of_faults_lists_the_first_thousand_and_counts_the_rest() {
    let mut csv = "item,price,uom,start\n".to_owned();
    for _ in 0..1_005 {
        csv.push_str("12345010001,-1,CA,2026-01-01\n");
    }
    let e = read(&csv).err().unwrap_or_else(|| panic!("loaded"));
    assert_eq!((e.faults.len(), e.unlisted), (MAX_LISTED_FAULTS, 5));
    assert_eq!(
        e.to_string(),
        r#"row 2, column price: "-1" is negative (and 1004 more faults)"#
    );
}

#[test]
fn a_list_loads_into_a_suppliers_prices_once() {
    let csv = "item,price,uom,start\n12345010001,18.75,CA,2026-01-01\n";
    let rows = read(csv).unwrap_or_else(|e| panic!("{e}"));
    let mut prices = SupplierPrices::default();
    let today = "2026-11-18".parse().unwrap_or_default();
    let first = load_price_list(&mut prices, &rows, today);
    assert_eq!((first.added, first.unchanged), (1, 0));
    assert_eq!(
        first.retroactive_from.map(|d| d.to_string()).as_deref(),
        Some("2026-01-01")
    );
    let again = load_price_list(&mut prices, &rows, today);
    assert_eq!(
        (again.added, again.unchanged, again.changed()),
        (0, 1, false)
    );
}
