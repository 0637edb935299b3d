//! Everything `translate` hands out for a file, as text, for comparing two builds byte for
//! byte: each outcome (`Debug`, the documents as JSON, every located diagnostic and the
//! error), then the interchange reports, envelope diagnostics and tokenizer error, under the
//! default profile, offline, and (given a profile directory) each profile and the sender
//! lookup. Translations use the default options (two threads).
//!
//! ```text
//! cargo run --release -p partner-maps --example translate_dump -- FILE [PROFILE_DIR] > out.txt
//! ```

use std::io::{self, BufWriter, Write};

use partner_maps::translate::{PartnerLookup, TranslateOptions, translate_with};
use partner_maps::{Profile, ProfileSet};

fn dump(
    data: &[u8],
    lookup: PartnerLookup<'_>,
    name: &str,
    out: &mut impl Write,
) -> io::Result<()> {
    writeln!(out, "=== profile {name}")?;
    let options = TranslateOptions {
        file: Some("input.x12".into()),
        ..TranslateOptions::default()
    };
    let mut translator = translate_with(data, "sha", lookup, options);
    for outcome in translator.by_ref() {
        writeln!(out, "{outcome:?}")?;
        let json = serde_json::to_string(outcome.documents()).map_err(io::Error::other)?;
        writeln!(out, "{json}")?;
        for d in outcome.all_diagnostics() {
            writeln!(out, "D {d}")?;
        }
        if let Err(e) = &outcome.result {
            writeln!(out, "E {e}")?;
        }
    }
    writeln!(out, "R {:?}", translator.take_reports())?;
    writeln!(out, "V {:?}", translator.take_envelope_diagnostics())?;
    writeln!(out, "T {:?}", translator.token_error())
}

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let file = args
        .next()
        .expect("usage: translate_dump FILE [PROFILE_DIR]");
    let data = std::fs::read(&file)?;
    let mut out = BufWriter::new(io::stdout().lock());
    let default = Profile::default_for_unknown("bench");
    dump(&data, PartnerLookup::Profile(&default), "default", &mut out)?;
    dump(&data, PartnerLookup::Offline, "offline", &mut out)?;
    if let Some(dir) = args.next() {
        let profiles = ProfileSet::load_dir(&dir).expect("a readable profile directory");
        for p in profiles.iter() {
            dump(&data, PartnerLookup::Profile(p), &p.id, &mut out)?;
        }
        dump(&data, PartnerLookup::Sender(&profiles), "sender", &mut out)?;
    }
    out.flush()
}
