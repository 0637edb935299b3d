//! GPO rosters (chargeback-rules 2.2, 5.3): the roster CSV read into memberships, and a
//! roster applied to a GPO's membership list.
//!
//! The CSV (RFC 4180, UTF-8, header row, ISO dates) has exactly these columns, in any order:
//! `gpo_id_qualifier, gpo_id, customer_id_qualifier, customer_id, customer_name,
//! activation_date, deactivation_date, tier`. The four ids are required; the dates are
//! `YYYY-MM-DD` or empty (open); a deactivation date is the last eligible day. Every row names
//! the GPO the roster is uploaded for, and a customer once. Any bad cell refuses the whole file
//! with its row (the header is row 1) and column.
//!
//! A **snapshot** lists every member: members active on the day (no deactivation date, or one
//! not before it) that the file does not list are deactivated that day, but a snapshot that
//! would deactivate more than 5 % of them waits for approval. A **delta** adds and changes the
//! rows it lists and deactivates nobody else. A listed member already known gets the file's
//! dates and tier. A change with a date before the day it is applied (an activation, or a
//! deactivation moved into the past) is retroactive (§5.3).

use std::io::Read;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::calendar::parse_iso_date;
use crate::contracts::{Membership, RosterApplied, RosterError};
use crate::identity::{PartyKey, normalize_id};

/// The roster CSV columns.
pub const COLUMNS: [&str; 8] = [
    "gpo_id_qualifier",
    "gpo_id",
    "customer_id_qualifier",
    "customer_id",
    "customer_name",
    "activation_date",
    "deactivation_date",
    "tier",
];

/// How a roster applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RosterMode {
    /// The full list: members not listed are deactivated.
    Snapshot,
    /// Additions and changes only.
    Delta,
}

impl RosterMode {
    /// `snapshot` or `delta`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Snapshot => "snapshot",
            Self::Delta => "delta",
        }
    }

    /// Reads `snapshot` or `delta`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "snapshot" => Some(Self::Snapshot),
            "delta" => Some(Self::Delta),
            _ => None,
        }
    }
}

/// One roster row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterRow {
    /// Row in the file (the header is row 1).
    pub row: usize,
    /// The member.
    pub customer: PartyKey,
    /// Its name, as sent.
    pub customer_name: Option<String>,
    /// Activation date (empty = open).
    pub start: Option<NaiveDate>,
    /// Deactivation date, inclusive (empty = open).
    pub end: Option<NaiveDate>,
    /// Tier.
    pub tier: Option<String>,
}

impl RosterRow {
    /// The membership this row describes, from roster `roster`.
    pub fn membership(&self, gpo: &PartyKey, roster: &str) -> Membership {
        Membership {
            gpo: gpo.clone(),
            customer: self.customer.clone(),
            start: self.start,
            end: self.end,
            tier: self.tier.clone(),
            roster: Some(roster.to_owned()),
        }
    }
}

/// A roster file that cannot be read; the whole file is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RosterCsvError {
    /// A cell (or the header) is wrong.
    #[error("row {row}, column {column}: {message}")]
    Located {
        /// Row, counting the header as 1.
        row: usize,
        /// Column name.
        column: String,
        /// What is wrong.
        message: String,
    },
    /// The file has no data row.
    #[error("the roster has no member rows")]
    Empty,
}

fn located(row: usize, column: &str, message: impl Into<String>) -> RosterCsvError {
    RosterCsvError::Located {
        row,
        column: column.to_owned(),
        message: message.into(),
    }
}

/// Reads a roster CSV uploaded for the GPO `gpo_id` (compared normalized: case, blanks and
/// hyphens do not matter). Returns the GPO's key (from the first row) and the rows.
pub fn parse_roster<R: Read>(
    gpo_id: &str,
    input: R,
) -> Result<(PartyKey, Vec<RosterRow>), RosterCsvError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::None)
        .from_reader(input);
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(csv_error(&e, None)),
    };
    let mut index = [0usize; COLUMNS.len()];
    for (slot, column) in index.iter_mut().zip(COLUMNS) {
        match headers.iter().position(|h| h.trim() == column) {
            Some(p) => *slot = p,
            None => return Err(located(1, column, "column missing")),
        }
    }
    if let Some(extra) = headers.iter().find(|h| !COLUMNS.contains(&h.trim())) {
        return Err(located(1, extra, "unknown column"));
    }
    let wanted = normalize_id(gpo_id);
    let mut gpo: Option<PartyKey> = None;
    let mut rows: Vec<RosterRow> = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let row = i + 2;
        let record = record.map_err(|e| csv_error(&e, Some(&headers)))?;
        let cell = |c: usize| record.get(index[c]).unwrap_or("").trim();
        let required = |c: usize| {
            let v = cell(c);
            if v.is_empty() {
                Err(located(row, COLUMNS[c], "required"))
            } else {
                Ok(v)
            }
        };
        let optional = |c: usize| Some(cell(c)).filter(|v| !v.is_empty()).map(str::to_owned);
        let date = |c: usize| -> Result<Option<NaiveDate>, RosterCsvError> {
            let v = cell(c);
            if v.is_empty() {
                return Ok(None);
            }
            match parse_iso_date(v) {
                Some(d) => Ok(Some(d)),
                None => Err(located(
                    row,
                    COLUMNS[c],
                    format!("'{v}' is not a date (YYYY-MM-DD)"),
                )),
            }
        };
        let key = PartyKey::new(required(0)?, required(1)?);
        if key.id != wanted {
            return Err(located(
                row,
                "gpo_id",
                format!("'{}' is not the GPO of this roster ({gpo_id})", cell(1)),
            ));
        }
        if let Some(first) = &gpo
            && first.kind != key.kind
        {
            return Err(located(
                row,
                "gpo_id_qualifier",
                format!("'{}' differs from the first row's", cell(0)),
            ));
        }
        gpo.get_or_insert(key);
        let customer = PartyKey::new(required(2)?, required(3)?);
        if let Some(first) = rows.iter().find(|r| r.customer == customer) {
            return Err(located(
                row,
                "customer_id",
                format!("customer listed twice (first on row {})", first.row),
            ));
        }
        let start = date(5)?;
        let end = date(6)?;
        if let (Some(s), Some(e)) = (start, end)
            && e < s
        {
            return Err(located(
                row,
                "deactivation_date",
                "before the activation date",
            ));
        }
        rows.push(RosterRow {
            row,
            customer,
            customer_name: optional(4),
            start,
            end,
            tier: optional(7),
        });
    }
    match gpo {
        Some(gpo) => Ok((gpo, rows)),
        None => Err(RosterCsvError::Empty),
    }
}

fn csv_error(e: &csv::Error, headers: Option<&csv::StringRecord>) -> RosterCsvError {
    let row = e
        .position()
        .map_or(1, |p| usize::try_from(p.record()).unwrap_or(0) + 1);
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => located(
            row,
            "*",
            format!("{len} fields where the header has {expected_len}"),
        ),
        csv::ErrorKind::Utf8 { err, .. } => {
            let column = headers
                .and_then(|h| h.get(err.field()))
                .unwrap_or("*")
                .to_owned();
            located(row, &column, "not UTF-8")
        }
        _ => located(row, "*", e.to_string()),
    }
}

fn active_on(m: &Membership, today: NaiveDate) -> bool {
    m.end.is_none_or(|e| e >= today)
}

fn earliest(a: Option<NaiveDate>, b: NaiveDate) -> Option<NaiveDate> {
    Some(a.map_or(b, |a| a.min(b)))
}

/// Applies roster rows (as memberships) to a GPO's memberships as of `today`; see the module
/// doc. Nothing changes when a snapshot waits for approval.
pub fn apply_roster(
    current: &mut Vec<Membership>,
    incoming: &[Membership],
    mode: RosterMode,
    today: NaiveDate,
    approved: bool,
) -> Result<RosterApplied, RosterError> {
    let active: Vec<usize> = (0..current.len())
        .filter(|&i| active_on(&current[i], today))
        .collect();
    let leaving: Vec<usize> = match mode {
        RosterMode::Delta => Vec::new(),
        RosterMode::Snapshot => active
            .iter()
            .copied()
            .filter(|&i| !incoming.iter().any(|m| m.customer == current[i].customer))
            .collect(),
    };
    // More than 5 %: leaving × 100 > active × 5.
    if !approved && leaving.len() * 100 > active.len() * 5 {
        return Err(RosterError::NeedsApproval {
            deactivating: leaving.len(),
            members: active.len(),
        });
    }
    let mut out = RosterApplied {
        added: 0,
        updated: 0,
        deactivated: leaving.len(),
        retroactive_from: None,
    };
    for &i in &leaving {
        current[i].end = Some(today);
    }
    let after = |d: NaiveDate| d.checked_add_days(Days::new(1)).unwrap_or(d);
    for member in incoming {
        // The member's latest membership still in force (or starting later).
        let known = current
            .iter()
            .rposition(|m| m.customer == member.customer && active_on(m, today));
        match known {
            Some(i) => {
                let m = &mut current[i];
                if (m.start, m.end, &m.tier) == (member.start, member.end, &member.tier) {
                    continue;
                }
                if m.start != member.start {
                    let moved = [m.start, member.start].into_iter().flatten().min();
                    if let Some(d) = moved.filter(|d| *d < today) {
                        out.retroactive_from = earliest(out.retroactive_from, d);
                    }
                }
                if m.end != member.end
                    && let Some(d) = [m.end, member.end].into_iter().flatten().min()
                    && d < today
                {
                    out.retroactive_from = earliest(out.retroactive_from, after(d));
                }
                m.start = member.start;
                m.end = member.end;
                m.tier = member.tier.clone();
                m.roster = member.roster.clone();
                out.updated += 1;
            }
            None => {
                if let Some(d) = member.start.filter(|d| *d < today) {
                    out.retroactive_from = earliest(out.retroactive_from, d);
                }
                current.push(member.clone());
                out.added += 1;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
