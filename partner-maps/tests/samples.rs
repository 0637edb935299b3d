//! Every sample shipped with a profile (`profiles/<id>/samples/*.x12`) is a clean interchange,
//! and every sample the partner sent agrees with its profile: found by its ISA sender, from an
//! allowed GS id, with sets its role sends.

use std::path::{Path, PathBuf};

use partner_maps::ProfileSet;
use partner_maps::profile::SetKind;
use x12::validate::{ValidateOptions, validate};

fn profiles_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles")
}

/// (profile id, file name, bytes) for every sample, sorted.
fn samples() -> Vec<(String, String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(profiles_dir())
        .expect("profiles dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let id = dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("utf-8 name")
            .to_owned();
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("samples"))
            .expect("samples dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "x12"))
            .collect();
        files.sort();
        for f in files {
            let name = f
                .file_name()
                .and_then(|n| n.to_str())
                .expect("utf-8 name")
                .to_owned();
            out.push((id.clone(), name, std::fs::read(&f).expect("read sample")));
        }
    }
    out
}

#[test]
fn every_profile_has_samples_and_every_sample_dir_has_a_profile() {
    let set = ProfileSet::load_dir(profiles_dir()).expect("profiles load");
    let all = samples();
    for p in set.iter() {
        assert!(
            all.iter().any(|(id, _, _)| *id == p.id),
            "profile {} has no samples",
            p.id
        );
    }
    for (id, name, _) in &all {
        assert!(
            set.get(id).is_some(),
            "{id}/samples/{name}: no profile {id}"
        );
    }
    assert!(all.len() >= 9, "{} samples", all.len());
}

#[test]
fn every_sample_validates_with_zero_errors() {
    let set = ProfileSet::load_dir(profiles_dir()).expect("profiles load");
    for (id, name, bytes) in samples() {
        let profile = set.get(&id).expect("profile");
        let file = format!("{id}/samples/{name}");
        let out = validate(
            &bytes[..],
            profile.x12.reader_options(),
            ValidateOptions {
                file: Some(file.clone()),
                ..ValidateOptions::default()
            },
        );
        let msgs: Vec<String> = out.diagnostics.iter().map(|d| d.to_string()).collect();
        assert!(msgs.is_empty(), "{file}: {msgs:#?}");
        assert!(out.is_valid(), "{file}");
        assert_eq!(out.interchanges.len(), 1, "{file}");
        let ic = &out.interchanges[0];
        assert!(ic.errors.is_empty(), "{file}: {:?}", ic.errors);
        for g in &ic.groups {
            assert_eq!(g.status(), "A", "{file}: group {}", g.control_number);
            assert_eq!(g.sets_received, g.sets_accepted, "{file}");
        }
    }
}

#[test]
fn samples_sent_by_a_partner_agree_with_its_profile() {
    let set = ProfileSet::load_dir(profiles_dir()).expect("profiles load");
    let mut checked = 0;
    for (id, name, bytes) in samples() {
        let profile = set.get(&id).expect("profile");
        let (interchanges, _) = x12::envelope::read_interchanges(&bytes[..])
            .map(|v| v.into_iter().unzip::<_, _, Vec<_>, Vec<_>>())
            .unwrap_or_else(|e| panic!("{id}/{name}: {e}"));
        for ic in interchanges {
            if ic.header.sender_id.trim() != profile.x12.isa_id {
                // A sample we (or the other side) sent to the partner, kept for reference.
                continue;
            }
            let found = set
                .find_by_sender(&ic.header.sender_qualifier, &ic.header.sender_id, None)
                .map(|p| p.id.as_str());
            assert_eq!(found, Some(id.as_str()), "{id}/{name}");
            for g in &ic.groups {
                assert!(
                    profile.x12.accepts_gs_id(&g.header.sender),
                    "{id}/{name}: GS02 {}",
                    g.header.sender
                );
                for s in &g.sets {
                    let kind = SetKind::from_st01(&s.id).expect("business set");
                    assert!(
                        profile.x12.accepts_inbound(profile.role, kind),
                        "{id}/{name}: a {} does not send {}",
                        profile.role.as_str(),
                        s.id
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 9, "{checked} sets checked");
}
