//! `chargegate translate FILE`: one normalized document per transaction set, as JSON lines.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use partner_maps::translate::{
    PartnerLookup, TranslateOptions, envelope_rejections, translate_with,
};
use partner_maps::{TranslateError, Translator};
use schemas::Document;
use sha2::{Digest, Sha256};
use x12::{Diagnostic, Severity};

use super::input::{ReadFlags, open};
use crate::Outcome;

/// Arguments of `translate`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The X12 file.
    file: PathBuf,
    #[command(flatten)]
    read: ReadFlags,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let (docs, ok) = translate_file(&args.file, &args.read)?;
    let mut out = crate::out::stdout();
    for doc in &docs {
        serde_json::to_writer(&mut out, doc).context("writing a document")?;
        writeln!(out).context("writing a document")?;
    }
    Ok(if ok { Outcome::Valid } else { Outcome::Invalid })
}

/// Translates a whole file with the partner's profile (or the standard dialect), printing
/// every located problem on stderr. Returns the documents and whether every set mapped.
pub fn translate_file(path: &Path, read: &ReadFlags) -> anyhow::Result<(Vec<Document>, bool)> {
    let profile = read.profile_for(path)?;
    let sha = sha256_file(path)?;
    let lookup = match &profile {
        Some(p) => PartnerLookup::Profile(p),
        None => PartnerLookup::Offline,
    };
    let name = path.display().to_string();
    // The profile's way of reading the ISA, unless `--lenient` says to count separators.
    let reader = read.reader_options(profile.as_ref());
    let options = TranslateOptions {
        file: Some(name.clone()),
        reader: Some(reader),
        ..TranslateOptions::default()
    };
    // Sets in an interchange or group the acknowledgment rejects give no documents.
    let rejected = envelope_rejections(open(path)?, reader);
    let mut translator = translate_with(open(path)?, &sha, lookup, options);
    let mut docs = Vec::new();
    let mut ok = true;
    for mut outcome in translator.by_ref() {
        rejected.apply(&mut outcome, Some(&name));
        for d in outcome.all_diagnostics() {
            ok &= report_finding(&d);
        }
        match (&outcome.result, outcome.acknowledgment) {
            // A received 997/999 or TA1: its document, nothing else to translate.
            (Err(TranslateError::NotTranslated { .. }), Some(ack)) => {
                docs.push(Document::Acknowledgment(ack));
            }
            (Ok(set_docs), _) => docs.extend(set_docs.iter().cloned()),
            (Err(_), _) => ok = false,
        }
    }
    ok &= report_outside_sets(&mut translator, &name);
    Ok((docs, ok))
}

/// Prints a finding on stderr; true when it is no error.
pub fn report_finding(d: &Diagnostic) -> bool {
    eprintln!("{d}");
    d.severity < Severity::Error
}

/// Prints what a translation run to its end found outside its sets (the envelopes, input
/// that could not be read further); true when none of it is an error.
pub fn report_outside_sets<R: Read>(translator: &mut Translator<'_, R>, file: &str) -> bool {
    let mut ok = true;
    for d in translator.take_envelope_diagnostics() {
        ok &= report_finding(&d);
    }
    if let Some(e) = translator.token_error() {
        eprintln!("{file}: {e}");
        ok = false;
    }
    ok
}

/// The content hash a document's `source.file` names (raw files are stored by it).
pub fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let mut f = open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 << 10];
    loop {
        let n = f
            .read(&mut buf)
            .with_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}
