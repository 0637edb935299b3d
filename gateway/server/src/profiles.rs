//! Partner profiles as the service sees them: loaded from the profiles folder and reloaded
//! when a file there changes, so an integration team fixes a profile and replays a failed
//! transaction without restarting the gateway.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use partner_maps::{LoadError, ProfileSet};

/// The current profiles, reloaded on change.
#[derive(Debug)]
pub struct Profiles {
    dir: PathBuf,
    state: Mutex<(Fingerprint, Arc<ProfileSet>)>,
}

type Fingerprint = Vec<(PathBuf, SystemTime, u64)>;

impl Profiles {
    /// Loads every profile in `dir`; an invalid profile stops the start with its location.
    pub fn load(dir: &Path) -> Result<Self, LoadError> {
        let fp = fingerprint(dir);
        let set = ProfileSet::load_dir(dir)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            state: Mutex::new((fp, Arc::new(set))),
        })
    }

    /// Fixed profiles (tests, the demo).
    pub fn fixed(set: ProfileSet) -> Self {
        Self {
            dir: PathBuf::new(),
            state: Mutex::new((Vec::new(), Arc::new(set))),
        }
    }

    /// The profiles now: reloaded when a `*.toml` changed. A profile edited into an invalid
    /// state is reported and the previous set is kept, so one typo does not stop the gateway.
    pub fn current(&self) -> Arc<ProfileSet> {
        let mut state = match self.state.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if self.dir.as_os_str().is_empty() {
            return state.1.clone();
        }
        let fp = fingerprint(&self.dir);
        if fp != state.0 {
            match ProfileSet::load_dir(&self.dir) {
                Ok(set) => {
                    tracing::info!(dir = %self.dir.display(), profiles = set.len(), "profiles reloaded");
                    *state = (fp, Arc::new(set));
                }
                Err(error) => {
                    tracing::error!(dir = %self.dir.display(), %error, "profile change not loaded; keeping the previous profiles");
                    state.0 = fp;
                }
            }
        }
        state.1.clone()
    }
}

fn fingerprint(dir: &Path) -> Fingerprint {
    let mut fp: Fingerprint = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "toml"))
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            Some((e.path(), meta.modified().ok()?, meta.len()))
        })
        .collect();
    fp.sort();
    fp
}
