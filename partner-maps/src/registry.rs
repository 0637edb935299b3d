//! The set of profiles the gateway knows, loaded from a directory, with look-ups by id and by
//! the envelope ids of an inbound file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::profile::{Profile, ProfileError};

/// Why a profile directory could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The directory or a file in it could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// What was being read.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A profile is invalid; the error names file, line and key.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// A file's name differs from the `id` inside it.
    #[error("{}: file name must equal the profile id: id is \"{id}\", so the file must be \"{id}.toml\"", path.display())]
    FileNameMismatch {
        /// The file.
        path: PathBuf,
        /// The id inside.
        id: String,
    },
    /// Two profiles claim the same ISA sender.
    #[error(
        "{}: ISA id {qualifier}/{isa_id} is already used by profile \"{first}\"",
        path.display()
    )]
    DuplicateIsa {
        /// The second file.
        path: PathBuf,
        /// ISA qualifier.
        qualifier: String,
        /// ISA id.
        isa_id: String,
        /// The profile that had it first.
        first: String,
    },
    /// Two profiles have the same id (only possible through [`ProfileSet::from_profiles`]).
    #[error("profile id \"{id}\" appears twice")]
    DuplicateId {
        /// The id.
        id: String,
    },
}

/// Validated profiles by id, with an index on ISA sender ids.
#[derive(Debug, Clone, Default)]
pub struct ProfileSet {
    profiles: BTreeMap<String, Profile>,
    by_isa: BTreeMap<(String, String), String>,
}

impl ProfileSet {
    /// Reads every `*.toml` file directly in `dir` (sub-directories such as `<id>/samples` are
    /// not searched). Each file's name must equal its `id`; no two profiles may share an ISA
    /// qualifier and id. Certificate paths in `[as2]` are made relative to `dir`.
    pub fn load_dir(dir: impl AsRef<Path>) -> Result<ProfileSet, LoadError> {
        let dir = dir.as_ref();
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| LoadError::Io { path, source }
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io(dir))? {
            let path = entry.map_err(io(dir))?.path();
            if path.extension().is_some_and(|e| e == "toml") && path.is_file() {
                files.push(path);
            }
        }
        files.sort();
        let mut set = ProfileSet::default();
        for path in files {
            let text = std::fs::read_to_string(&path).map_err(io(&path))?;
            let mut profile = Profile::from_toml_str(&text, &path.display().to_string())?;
            if path.file_stem().and_then(|s| s.to_str()) != Some(profile.id.as_str()) {
                return Err(LoadError::FileNameMismatch {
                    path,
                    id: profile.id,
                });
            }
            if let Some(as2) = &mut profile.as2 {
                for cert in &mut as2.certificates {
                    if cert.is_relative() {
                        *cert = dir.join(&*cert);
                    }
                }
            }
            set.insert(profile, Some(&path))?;
        }
        Ok(set)
    }

    /// A set from profiles built elsewhere (tests, embedded defaults), with the same checks.
    pub fn from_profiles(profiles: impl IntoIterator<Item = Profile>) -> Result<Self, LoadError> {
        let mut set = ProfileSet::default();
        for p in profiles {
            set.insert(p, None)?;
        }
        Ok(set)
    }

    fn insert(&mut self, profile: Profile, path: Option<&Path>) -> Result<(), LoadError> {
        if self.profiles.contains_key(&profile.id) {
            return Err(LoadError::DuplicateId { id: profile.id });
        }
        let key = (
            profile.x12.isa_qualifier.clone(),
            profile.x12.isa_id.clone(),
        );
        if let Some(first) = self.by_isa.get(&key) {
            return Err(LoadError::DuplicateIsa {
                path: path.map_or_else(|| PathBuf::from(&profile.id), Path::to_path_buf),
                qualifier: key.0,
                isa_id: key.1,
                first: first.clone(),
            });
        }
        self.by_isa.insert(key, profile.id.clone());
        self.profiles.insert(profile.id.clone(), profile);
        Ok(())
    }

    /// The profile with this id.
    pub fn get(&self, id: &str) -> Option<&Profile> {
        self.profiles.get(id)
    }

    /// The profile of an inbound sender: ISA05 qualifier and ISA06 id (padding is trimmed
    /// here), and the GS02 when known. A GS02 that is neither the profile's `gs_id` nor one of
    /// its `inbound_gs_ids` finds nothing, so a file is never mapped with the wrong profile.
    pub fn find_by_sender(
        &self,
        isa_qualifier: &str,
        isa_id: &str,
        gs_id: Option<&str>,
    ) -> Option<&Profile> {
        let key = (isa_qualifier.trim().to_owned(), isa_id.trim().to_owned());
        let profile = self.profiles.get(self.by_isa.get(&key)?)?;
        match gs_id {
            Some(gs) if !profile.x12.accepts_gs_id(gs.trim()) => None,
            _ => Some(profile),
        }
    }

    /// All profiles, by id.
    pub fn iter(&self) -> impl Iterator<Item = &Profile> {
        self.profiles.values()
    }

    /// Number of profiles.
    pub fn len(&self) -> usize {
        self.profiles.len()
    }

    /// True when there is no profile.
    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }
}
