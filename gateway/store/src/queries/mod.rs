//! The queries, written once for both backends against [`Exec`](crate::sql::Exec).
//!
//! Every function takes the connection it runs on, so the same function serves a pooled
//! connection (reads) and an open transaction (writes). Statements that differ by dialect say
//! so where they branch.

pub(crate) mod as2;
pub(crate) mod audit;
pub(crate) mod control;
pub(crate) mod engine;
pub(crate) mod keyed_lists;
pub(crate) mod outbox;
pub(crate) mod pipeline;
pub(crate) mod reference_prices;
pub(crate) mod retro;
pub(crate) mod rosters;
pub(crate) mod transmission;

use crate::copy::CopyData;
use crate::error::{StoreError, StoreResult};
use crate::model::SpooledBody;
use crate::sql::{Arg, Dialect, Exec};

/// Whether a row with `long_text` goes by [`copy_row_once`]: on PostgreSQL, above 1 MiB.
pub(crate) fn by_copy(c: &dyn Exec, long_text: &str) -> bool {
    const STREAMED_VALUE: usize = 1 << 20;
    c.dialect() == Dialect::Postgres && long_text.len() > STREAMED_VALUE
}

/// Inserts one row by binary `COPY` (PostgreSQL) unless `exists` (a query with `args`) finds
/// it: the row is `row` followed by `body` as its last column, sent from where it is (a
/// held text, a spooled file) instead of being bound. A bound parameter is held twice more by the driver (its argument buffer and
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
    body: SpooledBody<'_>,
) -> StoreResult<bool> {
    c.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        vec![key.into()],
    )
    .await?;
    if c.fetch_optional(exists, args).await?.is_some() {
        return Ok(false);
    }
    let (head, trailer) = row.around_last(usize::try_from(body.len).unwrap_or(usize::MAX));
    let mut body = exactly(body);
    let n = c
        .copy_in_reading(statement, &[&head], &mut body, &trailer)
        .await?;
    body.check_end().map_err(StoreError::Read)?;
    Ok(n == 1)
}

/// `body`, read as exactly its `len` bytes: fewer is an `UnexpectedEof` error, more is found by
/// [`Exactly::check_end`].
pub(crate) fn exactly(body: SpooledBody<'_>) -> Exactly<'_> {
    Exactly {
        left: body.len,
        read: body.read,
    }
}

pub(crate) struct Exactly<'a> {
    left: u64,
    read: &'a mut (dyn std::io::Read + Send),
}

impl Exactly<'_> {
    /// Whether the body ended where it was announced to.
    pub(crate) fn check_end(&mut self) -> std::io::Result<()> {
        let mut probe = [0u8; 1];
        if self.left > 0 || self.read.read(&mut probe)? > 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the body is not as long as announced",
            ));
        }
        Ok(())
    }
}

impl std::io::Read for Exactly<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let room = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.read.read(&mut buf[..room])?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("the body ended {} bytes early", self.left),
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
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
