//! `chargegate partner new|check`: onboarding a partner without writing code.

use std::path::{Path, PathBuf};

use anyhow::Context;
use partner_maps::{Profile, ProfileSet};

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
    if let Some(other) = sender_taken(&args.out, &draft)? {
        eprintln!("chargegate: cannot draft a profile: {other}");
        return Ok(Outcome::Invalid);
    }
    let sample_dir = args.out.join(&draft.id).join("samples");
    std::fs::create_dir_all(&sample_dir)
        .with_context(|| format!("creating {}", sample_dir.display()))?;
    std::fs::write(&path, &draft.toml).with_context(|| format!("writing {}", path.display()))?;
    // Only the partner's own files: one from another sender would fail its check.
    samples.retain(|(name, _)| !draft.skipped.contains(name));
    for (name, bytes) in &samples {
        let to = sample_dir.join(name);
        std::fs::write(&to, bytes).with_context(|| format!("writing {}", to.display()))?;
    }
    for note in &draft.notes {
        eprintln!("note: {note}");
    }
    outln!("{}", path.display())?;
    eprintln!(
        "wrote {} and copied {} sample(s) to {}; next: chargegate partner check {}",
        path.display(),
        samples.len(),
        sample_dir.display(),
        path.display()
    );
    Ok(Outcome::Valid)
}

/// Another profile in `dir` already has the draft's ISA sender: two profiles of one sender
/// would stop every profile in the directory from loading. Says which, and what to do.
fn sender_taken(dir: &Path, draft: &partner_maps::Draft) -> anyhow::Result<Option<String>> {
    let drafted = Profile::from_toml_str(&draft.toml, &format!("{}.toml", draft.id))
        .context("the drafted profile does not load")?;
    if !dir.is_dir() {
        return Ok(None);
    }
    let existing = ProfileSet::load_dir(dir)
        .with_context(|| format!("loading the profiles in {}", dir.display()))?;
    let (qualifier, isa_id) = (&drafted.x12.isa_qualifier, &drafted.x12.isa_id);
    Ok(existing
        .find_by_sender(qualifier, isa_id, None)
        .filter(|p| p.id != draft.id)
        .map(|p| {
            format!(
                "ISA sender {qualifier}/{isa_id} is already profile {:?} ({}); adjust that profile, or redraft it with --id {} --force",
                p.id,
                dir.join(format!("{}.toml", p.id)).display(),
                p.id
            )
        }))
}

fn check(args: CheckArgs) -> anyhow::Result<Outcome> {
    let text = std::fs::read_to_string(&args.profile)
        .with_context(|| format!("reading {}", args.profile.display()))?;
    let profile = match Profile::from_toml_str(&text, &args.profile.display().to_string()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            outln!("{}: invalid profile", args.profile.display())?;
            return Ok(Outcome::Invalid);
        }
    };
    outln!(
        "{}: profile {} ({}) loads",
        args.profile.display(),
        profile.id,
        profile.name
    )?;
    // The engine settings the gateway makes of it: an item of `[[rules.uom_conversions]]`
    // that does not normalize stops the gateway, so it stops the check.
    let partner = match apply::partner_from_profile(&profile) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{}: {e}", args.profile.display());
            outln!("{}: invalid profile", args.profile.display())?;
            return Ok(Outcome::Invalid);
        }
    };
    for (i, (raw, engine)) in profile
        .rules
        .uom_conversions
        .iter()
        .zip(&partner.settings.uom_conversions)
        .enumerate()
    {
        // The engine also converts the other way by the inverse, unless an entry states it.
        let stated_back = profile
            .rules
            .uom_conversions
            .iter()
            .any(|c| c.is_inverse_of(raw));
        let back = if stated_back {
            String::new()
        } else {
            format!(
                "; {} -> {} {}/{} by its inverse",
                raw.to, raw.from, raw.den, raw.num
            )
        };
        match &engine.item {
            Some(key) => outln!("uom conversion {}: {raw} (read as {key}){back}", i + 1)?,
            None => outln!("uom conversion {}: {raw}{back}", i + 1)?,
        }
    }
    // The gateway loads the whole directory: a profile that clashes with another (the same
    // ISA sender, the same id) stops them all.
    let dir = args.profile.parent().unwrap_or(Path::new("."));
    if let Err(e) = ProfileSet::load_dir(dir) {
        eprintln!("{e}");
        outln!(
            "{}: the profiles in {} do not load together: {e}",
            args.profile.display(),
            dir.display()
        )?;
        return Ok(Outcome::Invalid);
    }
    let paths = if args.samples.is_empty() {
        default_samples(&args.profile, &profile.id)?
    } else {
        args.samples.clone()
    };
    if paths.is_empty() {
        eprintln!("note: no samples found next to the profile; pass sample files to check them");
    }
    let mut samples = Vec::new();
    for p in &paths {
        let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
        samples.push((p.display().to_string(), bytes));
    }
    let borrowed: Vec<(&str, &[u8])> = samples
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let report = partner_maps::check(&profile, &borrowed);
    out!("{report}")?;
    Ok(if report.is_ok() {
        Outcome::Valid
    } else {
        Outcome::Invalid
    })
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

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sample.x12".to_owned())
}
