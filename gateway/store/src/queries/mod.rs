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

use crate::sql::Arg;

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
