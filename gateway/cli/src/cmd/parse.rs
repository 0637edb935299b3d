//! `chargegate parse FILE`: the structure of a file, set by set.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Value, json};
use x12::stream::{Event, SetContext, SetReader};
use x12::validate::ValidateOptions;

use super::input::{ReadFlags, open};
use crate::Outcome;

/// Arguments of `parse`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The X12 file.
    file: PathBuf,
    /// Print JSON on stdout.
    #[arg(long)]
    json: bool,
    /// Also print every segment of every set.
    #[arg(long)]
    segments: bool,
    #[command(flatten)]
    read: ReadFlags,
}

fn delims(ctx: &SetContext) -> String {
    let d = ctx.delimiters;
    let show = |b: u8| match b {
        b'\n' => "\\n".to_owned(),
        b'\r' => "\\r".to_owned(),
        _ => (b as char).to_string(),
    };
    format!(
        "element {} component {} repetition {} segment {}",
        show(d.element),
        show(d.component),
        d.repetition.map_or("-".to_owned(), show),
        show(d.segment)
    )
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let profile = args.read.profile_for(&args.file)?;
    let src = open(&args.file)?;
    let name = args.file.display().to_string();
    let opts = ValidateOptions {
        file: Some(name.clone()),
        ..ValidateOptions::default()
    };
    let mut reader = SetReader::new(
        src,
        args.read.reader_options(profile.as_ref()),
        opts,
        64 << 20,
    );
    let mut valid = true;
    let mut last_ctx: Option<Arc<SetContext>> = None;
    let mut sets_json: Vec<Value> = Vec::new();
    let mut out_json: Vec<Value> = Vec::new();
    if !args.json {
        outln!("{name}")?;
    }
    loop {
        let event = match reader.next_event() {
            Ok(Some(e)) => e,
            Ok(None) => break,
            Err(e) => {
                eprintln!("{name}: {e}");
                valid = false;
                break;
            }
        };
        for d in reader.take_envelope_diagnostics() {
            valid &= d.severity < x12::Severity::Error;
            eprintln!("{d}");
        }
        match event {
            Event::Set(set) => {
                for d in &set.diagnostics {
                    eprintln!("{d}");
                }
                valid &= set.is_valid();
                let ctx = set.context.clone();
                let new_isa = last_ctx.as_ref().is_none_or(|l| l.isa != ctx.isa);
                let new_group = new_isa || last_ctx.as_ref().is_none_or(|l| l.group != ctx.group);
                if !args.json {
                    if new_isa {
                        let i = &ctx.isa;
                        outln!(
                            "  interchange {} {}:{} -> {}:{} version {} usage {} ack-requested {} ({})",
                            i.control_number,
                            i.sender_qualifier,
                            i.sender_id,
                            i.receiver_qualifier,
                            i.receiver_id,
                            i.version,
                            i.usage,
                            i.ack_requested,
                            delims(&ctx)
                        )?;
                    }
                    if new_group {
                        let g = &ctx.group;
                        outln!(
                            "    group {} {} {} -> {} version {}",
                            g.control_number,
                            g.functional_id,
                            g.sender,
                            g.receiver,
                            g.version_code
                        )?;
                    }
                    let verdict = if set.is_valid() { "ok" } else { "errors" };
                    outln!(
                        "      set {} {}: {} segments, {verdict}",
                        set.id,
                        set.control_number,
                        set.len()
                    )?;
                }
                let mut segs = Vec::new();
                if args.segments {
                    let d = ctx.delimiters;
                    for (i, s) in set.segments().enumerate() {
                        let text = String::from_utf8_lossy(s.raw()).into_owned();
                        if args.json {
                            segs.push(json!(text));
                        } else {
                            let _ = d;
                            outln!("        {:>4} {text}", i + 1)?;
                        }
                    }
                }
                if args.json {
                    let mut v = json!({
                        "interchange": ctx.isa.control_number,
                        "group": ctx.group.control_number,
                        "functional_id": ctx.group.functional_id,
                        "version": ctx.group.version_code,
                        "set": set.id,
                        "control_number": set.control_number,
                        "segment_count": set.len(),
                        "valid": set.is_valid(),
                    });
                    if args.segments {
                        v["segments"] = json!(segs);
                    }
                    sets_json.push(v);
                }
                last_ctx = Some(ctx);
            }
            Event::InterchangeEnd(r) => {
                valid &= !r.rejected();
                if args.json {
                    out_json.push(json!({
                        "control_number": r.isa.control_number,
                        "sender": format!("{}:{}", r.isa.sender_qualifier, r.isa.sender_id),
                        "receiver": format!("{}:{}", r.isa.receiver_qualifier, r.isa.receiver_id),
                        "version": r.isa.version,
                        "groups": r.groups.iter().map(|g| json!({
                            "control_number": g.control_number,
                            "functional_id": g.functional_id,
                            "version": g.version_code,
                            "sets_received": g.sets_received,
                            "sets_accepted": g.sets_accepted,
                            "status": g.status(),
                        })).collect::<Vec<_>>(),
                        "sets": std::mem::take(&mut sets_json),
                    }));
                }
                last_ctx = None;
            }
        }
    }
    for d in reader.take_envelope_diagnostics() {
        valid &= d.severity < x12::Severity::Error;
        eprintln!("{d}");
    }
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(
                &json!({ "file": name, "valid": valid, "interchanges": out_json })
            )?
        )?;
    }
    Ok(if valid {
        Outcome::Valid
    } else {
        Outcome::Invalid
    })
}
