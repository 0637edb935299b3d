//! The engine's contract book, rebuilt from the stored contract versions and cached in
//! process. Contract versions are append-only, so their count is an exact cache key: any
//! process adding a version changes it and the next reader rebuilds. GPO memberships and
//! suppliers' reference prices are state of their own, read again whole when the sum of their
//! stored versions moves.

use std::collections::HashMap;
use std::sync::Arc;

use engine::contracts::{ContractBook, Membership, SupplierPrices};
use engine::identity::normalize_contract_number;
use schemas::Contract;
use serde::{Deserialize, Serialize};
use store::StoreRead;
use tokio::sync::{Mutex, MutexGuard};

use crate::error::ApplyError;

/// What a stored contract version holds: the partner it came from and the 845 document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredVersion {
    /// Partner (supplier) that sent it.
    pub partner: String,
    /// The normalized contract document applied.
    pub document: Contract,
}

/// The book and who owns each contract number.
#[derive(Debug, Clone, Default)]
pub(crate) struct Books {
    /// Contract versions the book was built from.
    pub count: i64,
    /// Membership generation (sum of the stored GPO membership versions) loaded into it.
    pub memberships: i64,
    /// Reference price generation (sum of the stored reference price versions) loaded into
    /// it.
    pub reference_prices: i64,
    /// The engine's book.
    pub book: Arc<ContractBook>,
    /// Normalized contract number -> partner (supplier) that sent it.
    pub owners: Arc<HashMap<String, String>>,
}

impl Books {
    /// Applies one stored version to the book (replay order = received order).
    pub(crate) fn apply(
        &mut self,
        version: &StoredVersion,
    ) -> Result<engine::contracts::Applied, ApplyError> {
        let applied = Arc::make_mut(&mut self.book).apply(&version.document)?;
        Arc::make_mut(&mut self.owners).insert(
            normalize_contract_number(&version.document.contract_id),
            version.partner.clone(),
        );
        Ok(applied)
    }

    /// The supplier partner owning a contract number.
    pub(crate) fn owner(&self, contract: &str) -> Option<&str> {
        self.owners
            .get(&normalize_contract_number(contract))
            .map(String::as_str)
    }
}

/// The in-process cache of [`Books`].
#[derive(Debug, Clone, Default)]
pub(crate) struct BookCache {
    inner: Arc<Mutex<Option<Books>>>,
}

/// A locked, fresh book: held while a contract document changes it, so two applications in
/// this process do not interleave; dropped without [`BookGuard::commit`] it forgets the book.
pub(crate) struct BookGuard<'a> {
    guard: MutexGuard<'a, Option<Books>>,
    committed: bool,
}

impl BookGuard<'_> {
    /// The book.
    pub(crate) fn books(&mut self) -> &mut Books {
        self.guard.get_or_insert_with(Books::default)
    }

    /// Keeps the (changed) book after the transaction committed.
    pub(crate) fn commit(mut self) {
        self.committed = true;
    }
}

impl Drop for BookGuard<'_> {
    fn drop(&mut self) {
        if !self.committed {
            // The transaction that changed the book did not commit: rebuild next time.
            *self.guard = None;
        }
    }
}

impl BookCache {
    /// A snapshot of the book as of the reader's view (rebuilt when versions were added).
    pub(crate) async fn snapshot(&self, read: &mut dyn StoreRead) -> Result<Books, ApplyError> {
        let mut guard = self.lock_fresh(read).await?;
        let books = guard.books().clone();
        guard.commit();
        Ok(books)
    }

    /// The book, locked, fresh as of `read`'s view.
    pub(crate) async fn lock_fresh(
        &self,
        read: &mut dyn StoreRead,
    ) -> Result<BookGuard<'_>, ApplyError> {
        let count = read.contract_version_count().await?;
        let generation = read.membership_generation().await?;
        let price_generation = read.reference_price_generation().await?;
        let mut guard = BookGuard {
            guard: self.inner.lock().await,
            committed: false,
        };
        let fresh = guard.guard.as_ref().is_some_and(|b| b.count == count);
        let members_fresh = fresh
            && guard
                .guard
                .as_ref()
                .is_some_and(|b| b.memberships == generation);
        let prices_fresh = fresh
            && guard
                .guard
                .as_ref()
                .is_some_and(|b| b.reference_prices == price_generation);
        if !fresh {
            let mut books = Books::default();
            for version in read.all_contract_versions().await? {
                let stored: StoredVersion =
                    serde_json::from_value(version.payload).map_err(|source| {
                        ApplyError::Corrupt {
                            what: format!(
                                "contract version {}/{}",
                                version.contract_id, version.version_no
                            ),
                            source,
                        }
                    })?;
                books.apply(&stored)?;
            }
            books.count = count;
            tracing::debug!(versions = count, "contract book rebuilt from the store");
            *guard.guard = Some(books);
        }
        if !members_fresh {
            // GPO rosters (2.2): the memberships are state of their own, read whole.
            let stored = read.all_gpo_memberships().await?;
            let books = guard.books();
            let book = Arc::make_mut(&mut books.book);
            book.clear_memberships();
            for record in stored {
                let members: Vec<Membership> =
                    serde_json::from_value(record.payload).map_err(|source| {
                        ApplyError::Corrupt {
                            what: format!("memberships of GPO {}", record.gpo),
                            source,
                        }
                    })?;
                book.set_memberships(&record.gpo, members);
            }
            books.memberships = generation;
        }
        if !prices_fresh {
            // Reference prices (2.2): each supplier's list, read whole.
            let stored = read.all_reference_prices().await?;
            let books = guard.books();
            let book = Arc::make_mut(&mut books.book);
            book.clear_reference_prices();
            for record in stored {
                let prices: SupplierPrices =
                    serde_json::from_value(record.payload).map_err(|source| {
                        ApplyError::Corrupt {
                            what: format!("reference prices of supplier {}", record.supplier),
                            source,
                        }
                    })?;
                book.set_reference_prices(&record.supplier, prices);
            }
            books.reference_prices = price_generation;
        }
        Ok(guard)
    }
}
