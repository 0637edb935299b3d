//! What every worker of one gateway process shares.

use std::sync::{Arc, Mutex};

use apply::Partners;
use bus::Bus;
use partner_maps::ProfileSet;
use store::Store;
use tokio::sync::Notify;
use transport::as2::{LocalIdentity, Sender};
use transport::drop::DropRoot;

use crate::profiles::Profiles;
use crate::raw::RawStore;
use crate::settings::Settings;

/// Handles shared by the steps.
pub struct Shared {
    /// Configuration.
    pub settings: Settings,
    /// The database.
    pub store: Arc<dyn Store>,
    /// The bus.
    pub bus: Arc<dyn Bus>,
    /// Raw files.
    pub raw: RawStore,
    /// Partner profiles.
    pub profiles: Arc<Profiles>,
    /// Drop folders.
    pub drops: DropRoot,
    /// Wakes the outbox relay after a step wrote to the outbox.
    pub wake_relay: Arc<Notify>,
    /// Our AS2 identity (key and certificate), when AS2 is set up.
    pub as2_identity: Option<Arc<LocalIdentity>>,
    /// Posts AS2 messages and asynchronous MDNs.
    pub as2_sender: Option<Sender>,
    partners: Mutex<Option<(Arc<ProfileSet>, Arc<Partners>)>>,
}

impl Shared {
    /// Shared handles.
    pub fn new(
        settings: Settings,
        store: Arc<dyn Store>,
        bus: Arc<dyn Bus>,
        profiles: Arc<Profiles>,
    ) -> Self {
        Self {
            raw: RawStore::new(&settings.paths.data),
            drops: DropRoot::new(settings.paths.drop_root.clone()),
            settings,
            store,
            bus,
            profiles,
            wake_relay: Arc::new(Notify::new()),
            as2_identity: None,
            as2_sender: None,
            partners: Mutex::new(None),
        }
    }

    /// Sets our AS2 identity and the sender that uses it.
    pub fn with_as2(mut self, me: LocalIdentity) -> Result<Self, transport::as2::As2Error> {
        let me = Arc::new(me);
        self.as2_sender = Some(Sender::new(
            me.clone(),
            std::time::Duration::from_secs(120),
        )?);
        self.as2_identity = Some(me);
        Ok(self)
    }

    /// The context of an action by `actor` now, on the configured business day
    /// ([`crate::settings::EngineSettings::business_day`]) or today.
    pub fn context(&self, actor: impl Into<String>) -> apply::Context {
        self.settings.engine.context(chrono::Utc::now(), actor)
    }

    /// A queue's name on the bus (with the configured prefix).
    pub fn queue(&self, name: &str) -> String {
        match self.settings.bus.prefix.as_str() {
            "" => name.to_owned(),
            prefix => format!("{prefix}.{name}"),
        }
    }

    /// Our AS2 URL as partners reach it (`http://<listen>/as2`).
    pub fn as2_url(&self) -> String {
        format!("http://{}/as2", self.settings.http.listen)
    }

    /// The engine's view of the partners, rebuilt when the profiles changed (the engine's
    /// contract cache lives in it, so it is kept otherwise).
    pub fn partners(&self) -> Result<Arc<Partners>, apply::ApplyError> {
        let current = self.profiles.current();
        let mut slot = match self.partners.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if let Some((set, partners)) = slot.as_ref()
            && Arc::ptr_eq(set, &current)
        {
            return Ok(partners.clone());
        }
        let partners = Arc::new(Partners::from_profiles(&current)?);
        *slot = Some((current, partners.clone()));
        Ok(partners)
    }
}
