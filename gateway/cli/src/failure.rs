//! The one line `main` writes when a command fails: the error and its causes, each said once.
//!
//! anyhow's `{:#}` joins every message of the chain with `: `. The libraries' errors mostly
//! say their source in their own message (`#[error("store: {0}")] Store(#[from] …)`, so an
//! API body or a log line read alone is whole) and keep it as their source too, so `{:#}`
//! said the cause twice: `configuration: file not found: file not found`. A cause whose
//! message the line already ends with is left out here; every other one is still said (a
//! test on the end, not anywhere in the line, so a short cause is never lost by chance).

use std::fmt::Write;

/// `error` and the causes the messages before them do not end with, joined with `: `.
pub fn message(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if text.is_empty() || line.ends_with(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        let _ = write!(line, "{text}");
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    enum StoreError {
        #[error("store: {0}")]
        Io(#[from] std::io::Error),
    }

    fn not_found() -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::NotFound, "no such file")
    }

    #[test]
    fn a_source_the_message_already_says_is_said_once() {
        let e = anyhow::Error::from(StoreError::from(not_found())).context("loading prices");
        assert_eq!(
            format!("{e:#}"),
            "loading prices: store: no such file: no such file"
        );
        assert_eq!(message(&e), "loading prices: store: no such file");
    }

    #[test]
    fn causes_not_in_the_message_are_all_said() {
        let e = anyhow::Error::from(not_found())
            .context("reading prices.csv")
            .context("prices load");
        assert_eq!(message(&e), "prices load: reading prices.csv: no such file");
    }

    #[test]
    fn an_error_without_causes_is_its_message() {
        let e = anyhow::anyhow!("batch gooddrug/B-1 is closed and cannot change");
        assert_eq!(
            message(&e),
            "batch gooddrug/B-1 is closed and cannot change"
        );
    }
}
