//! Login transactions in `sessionStorage`, one key per `state`, so two logins
//! started in two tabs never clobber each other. Only transactions live here:
//! no token is ever written to any storage.

use super::{api_error, window};
use crate::core::authorize::Transaction;
use crate::core::error::Result;

/// The transactions of one client, under `spa-auth.tx.{client_id}.{state}`.
pub struct TransactionStore {
    prefix: String,
}

impl TransactionStore {
    /// The store for `client_id`.
    pub fn new(client_id: &str) -> Self {
        TransactionStore { prefix: format!("spa-auth.tx.{client_id}.") }
    }

    fn storage() -> Result<web_sys::Storage> {
        window()?.session_storage().ok().flatten().ok_or_else(|| api_error("sessionStorage"))
    }

    /// Stores a transaction under its state, after dropping expired ones.
    pub fn put(&self, tx: &Transaction, now: i64) -> Result<()> {
        let storage = Self::storage()?;
        for key in self.keys(&storage) {
            let stale = match storage.get_item(&key).ok().flatten() {
                Some(text) => Transaction::from_json(&text, now).is_err(),
                None => true,
            };
            if stale {
                let _ = storage.remove_item(&key);
            }
        }
        storage.set_item(&format!("{}{}", self.prefix, tx.state), &tx.to_json()).map_err(|_| api_error("sessionStorage.setItem"))
    }

    /// Reads and removes the transaction stored under `state`, in one synchronous step:
    /// whoever takes it first owns it, and a replayed callback finds nothing.
    pub fn take(&self, state: &str) -> Result<Option<String>> {
        let storage = Self::storage()?;
        let key = format!("{}{}", self.prefix, state);
        let text = storage.get_item(&key).map_err(|_| api_error("sessionStorage.getItem"))?;
        if text.is_some() {
            storage.remove_item(&key).map_err(|_| api_error("sessionStorage.removeItem"))?;
        }
        Ok(text)
    }

    /// Whether any login of this client is pending in this tab.
    pub fn any_pending(&self) -> Result<bool> {
        Ok(!self.keys(&Self::storage()?).is_empty())
    }

    fn keys(&self, storage: &web_sys::Storage) -> Vec<String> {
        let n = storage.length().unwrap_or(0);
        (0..n).filter_map(|i| storage.key(i).ok().flatten()).filter(|k| k.starts_with(&self.prefix)).collect()
    }
}
