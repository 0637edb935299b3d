//! The queries, written once for both backends against [`Exec`](crate::sql::Exec).
//!
//! Every function takes the connection it runs on, so the same function serves a pooled
//! connection (reads) and an open transaction (writes). Statements that differ by dialect say
//! so where they branch.

pub(crate) mod as2;
pub(crate) mod audit;
pub(crate) mod control;
pub(crate) mod engine;
pub(crate) mod outbox;
pub(crate) mod pipeline;
pub(crate) mod retro;
pub(crate) mod rosters;
pub(crate) mod transmission;

use crate::copy::CopyData;
use crate::error::StoreResult;
use crate::sql::{Arg, Dialect, Exec};

/// Whether a row with `long_text` goes by [`copy_row_once`]: on PostgreSQL, above 1 MiB.
pub(crate) fn by_copy(c: &dyn Exec, long_text: &str) -> bool {
    const STREAMED_VALUE: usize = 1 << 20;
    c.dialect() == Dialect::Postgres && long_text.len() > STREAMED_VALUE
}

/// Inserts one row by binary `COPY` (PostgreSQL) unless `exists` (a query with `args`) finds
/// it: the row is `row` followed by `long_text` as its last column, sent as it is instead of
/// being bound. A bound parameter is held twice more by the driver (its argument buffer and
/// the message): for a claim #1 844 of 850 K lines, ~270 MB each. `COPY` has no
/// `ON CONFLICT`, so `key` is taken first with a transaction-scoped advisory lock: a
/// concurrent insert of the same row waits for this transaction, then finds the row, and the
/// answer is `INSERT ... ON CONFLICT DO NOTHING`'s (whether the row was written).
pub(crate) async fn copy_row_once(
    c: &mut dyn Exec,
    key: &str,
    (exists, args): (&str, Vec<Arg>),
    statement: &str,
    row: CopyData,
    long_text: &str,
) -> StoreResult<bool> {
    c.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        vec![key.into()],
    )
    .await?;
    if c.fetch_optional(exists, args).await?.is_some() {
        return Ok(false);
    }
    let (head, trailer) = row.around_last_text(long_text);
    let n = c
        .copy_in(statement, &[&head, long_text.as_bytes(), &trailer])
        .await?;
    Ok(n == 1)
}

/// Collects arguments of a dynamically built statement and hands out their placeholders.
#[derive(Default)]
pub(crate) struct Params {
    pub(crate) args: Vec<Arg>,
}

impl Params {
    /// Adds `arg` and returns its placeholder (`$N`).
    pub(crate) fn push(&mut self, arg: impl Into<Arg>) -> String {
        self.args.push(arg.into());
        format!("${}", self.args.len())
    }

    /// `$a, $b, ...` for every value of `values`.
    pub(crate) fn list<T: Into<Arg> + Clone>(&mut self, values: &[T]) -> String {
        values
            .iter()
            .map(|v| self.push(v.clone()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}
