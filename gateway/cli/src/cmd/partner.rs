//! `chargegate partner new|check`: onboarding a partner without writing code.

use std::path::{Path, PathBuf};

use anyhow::Context;
use partner_maps::Profile;
use x12::Severity;
use x12::stream::{Event, SetReader};

use super::input::open;
use crate::Outcome;

/// `partner` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Draft a profile from a partner's sample files and say where it was written.
    New(NewArgs),
    /// Check a profile and run its samples (or the given ones) through it.
    Check(CheckArgs),
}

/// Arguments of `partner new`.
#[derive(clap::Args, Debug)]
pub struct NewArgs {
    /// Sample files the partner sent.
    #[arg(long = "from", required = true, num_args = 1..)]
    from: Vec<PathBuf>,
    /// Profile id (default: the lowercased ISA sender id).
    #[arg(long)]
    id: Option<String>,
    /// Directory to write `<id>.toml` and `<id>/samples/` into.
    #[arg(long, default_value = "partner-maps/profiles")]
    out: PathBuf,
    /// Overwrite an existing profile of that id.
    #[arg(long)]
    force: bool,
}

/// Arguments of `partner check`.
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// The profile file.
    profile: PathBuf,
    /// Sample files (default: the `samples/` folder next to the profile).
    samples: Vec<PathBuf>,
}

/// Runs a `partner` subcommand.
pub fn run(cmd: Command) -> anyhow::Result<Outcome> {
    match cmd {
        Command::New(a) => new(a),
        Command::Check(a) => check(a),
    }
}

fn new(args: NewArgs) -> anyhow::Result<Outcome> {
    let mut samples = Vec::new();
    for p in &args.from {
        let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
        samples.push((file_name(p), bytes));
    }
    let draft = match partner_maps::draft(&samples, args.id.as_deref()) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("chargegate: cannot draft a profile: {e}");
            return Ok(Outcome::Invalid);
        }
    };
    let path = args.out.join(format!("{}.toml", draft.id));
    anyhow::ensure!(
        args.force || !path.exists(),
        "{} exists; pass --force to overwrite it",
        path.display()
    );
    let sample_dir = args.out.join(&draft.id).join("samples");
    std::fs::create_dir_all(&sample_dir)
        .with_context(|| format!("creating {}", sample_dir.display()))?;
    std::fs::write(&path, &draft.toml).with_context(|| format!("writing {}", path.display()))?;
    for (name, bytes) in &samples {
        let to = sample_dir.join(name);
        std::fs::write(&to, bytes).with_context(|| format!("writing {}", to.display()))?;
    }
    for note in &draft.notes {
        eprintln!("note: {note}");
    }
    println!("{}", path.display());
    eprintln!(
        "wrote {} and copied {} sample(s) to {}; next: chargegate partner check {}",
        path.display(),
        samples.len(),
        sample_dir.display(),
        path.display()
    );
    Ok(Outcome::Valid)
}

fn check(args: CheckArgs) -> anyhow::Result<Outcome> {
    let text = std::fs::read_to_string(&args.profile)
        .with_context(|| format!("reading {}", args.profile.display()))?;
    let profile = match Profile::from_toml_str(&text, &args.profile.display().to_string()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            println!("{}: invalid profile", args.profile.display());
            return Ok(Outcome::Invalid);
        }
    };
    println!(
        "{}: profile {} ({}) loads",
        args.profile.display(),
        profile.id,
        profile.name
    );
    let samples = if args.samples.is_empty() {
        default_samples(&args.profile, &profile.id)?
    } else {
        args.samples.clone()
    };
    let mut ok = true;
    for path in &samples {
        ok &= check_sample(&profile, path)?;
    }
    if samples.is_empty() {
        eprintln!("note: no samples found next to the profile; pass sample files to check them");
    }
    Ok(if ok { Outcome::Valid } else { Outcome::Invalid })
}

fn default_samples(profile_path: &Path, id: &str) -> anyhow::Result<Vec<PathBuf>> {
    let dir = profile_path
        .parent()
        .unwrap_or(Path::new("."))
        .join(id)
        .join("samples");
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// Runs one sample through the profile's envelope and set rules; prints what passed and
/// exactly what did not.
fn check_sample(profile: &Profile, path: &Path) -> anyhow::Result<bool> {
    let name = path.display().to_string();
    let src = open(path)?;
    let opts = profile.x12.validate_options(Some(name.clone()));
    let mut reader = SetReader::new(src, profile.x12.reader_options(), opts, 64 << 20);
    let mut ok = true;
    let mut sets = 0;
    loop {
        let event = match reader.next_event() {
            Ok(Some(e)) => e,
            Ok(None) => break,
            Err(e) => {
                println!("{name}: unreadable: {e}");
                ok = false;
                break;
            }
        };
        for d in reader.take_envelope_diagnostics() {
            if d.severity == Severity::Error {
                ok = false;
            }
            println!("{d}");
        }
        let Event::Set(set) = event else { continue };
        sets += 1;
        let isa = &set.context.isa;
        let sender_is_partner = isa.sender_qualifier == profile.x12.isa_qualifier
            && isa.sender_id == profile.x12.isa_id;
        let gs_ok = profile.x12.accepts_gs_id(&set.context.group.sender);
        let label = format!("{name}: set {} {}", set.id, set.control_number);
        if sender_is_partner && !gs_ok {
            println!(
                "{label}: GS02 {:?} is not one of the profile's GS ids",
                set.context.group.sender
            );
            ok = false;
        }
        let kind = partner_maps::profile::SetKind::from_st01(&set.id);
        match kind {
            Some(k) if sender_is_partner && !profile.x12.accepts_inbound(profile.role, k) => {
                println!(
                    "{label}: the profile does not accept {} from a {:?}",
                    set.id, profile.role
                );
                ok = false;
            }
            None if !matches!(set.id.as_str(), "997" | "999") => {
                println!("{label}: set {} is not exchanged by Chargegate", set.id);
                ok = false;
            }
            _ => {}
        }
        if set.is_valid() {
            println!("{label}: envelope and syntax ok ({} segments)", set.len());
        } else {
            ok = false;
            for d in &set.diagnostics {
                println!("{d}");
            }
        }
    }
    if sets == 0 {
        println!("{name}: no transaction set found");
        ok = false;
    }
    Ok(ok)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sample.x12".to_owned())
}
