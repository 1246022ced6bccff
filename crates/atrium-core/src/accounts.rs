//! Saved servers and accounts: where and who, the CA trusted for a server, which account was
//! used last. Never a secret: kept sessions live in the [`crate::secrets`] store.
//!
//! The document is plain JSON behind [`SettingsStore`]: the Tauri shell keeps it with
//! `tauri-plugin-store`, tests and the CLI in memory. A document that does not parse is
//! replaced by an empty one (the person signs in again), never an error.

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

/// The format written now; a document with another is started afresh.
const SETTINGS_FORMAT: u32 = 1;
/// Accounts kept at most: the least recently used ones go first.
const MAX_ACCOUNTS: usize = 20;

/// Where the settings document lives.
pub trait SettingsStore: Send + Sync + 'static {
    /// The last saved document, if any.
    fn load(&self) -> Option<serde_json::Value>;
    /// Replaces the document; `Err` says why it could not be written.
    fn save(&self, document: serde_json::Value) -> Result<(), String>;
}

/// Settings kept for this run only.
#[derive(Debug, Default)]
pub struct MemorySettings(Mutex<Option<serde_json::Value>>);

impl SettingsStore for MemorySettings {
    fn load(&self) -> Option<serde_json::Value> {
        self.0.lock().clone()
    }

    fn save(&self, document: serde_json::Value) -> Result<(), String> {
        *self.0.lock() = Some(document);
        Ok(())
    }
}

/// What Atrium knows about one server, whoever signs in to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerSettings {
    /// As [`tb_client::ServerUrl::display`] writes it.
    pub url: String,
    /// A private CA (PEM) the person chose to trust for this server.
    #[serde(default)]
    pub trusted_ca_pem: Option<String>,
    /// The person agreed to send passwords to this `http://` server unencrypted.
    #[serde(default)]
    pub plain_http_accepted: bool,
}

/// A saved account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub server_url: String,
    /// As typed at sign-in.
    pub username: String,
    /// As the server knows the user (the token's subject); the cached building is filed under it.
    pub email: String,
    pub display_name: String,
    pub authority: String,
    pub last_used_ms: i64,
    /// A session is kept for it in the secret store (the token itself is never here).
    #[serde(default)]
    pub kept: bool,
}

impl Account {
    /// A stable id for the account: its server and username (usernames are e-mail addresses,
    /// which ThingsBoard compares without case).
    pub fn id(&self) -> String {
        account_id(&self.server_url, &self.username)
    }
}

/// The id of the account `username` on `server_url`.
pub fn account_id(server_url: &str, username: &str) -> String {
    format!("{}|{}", username.trim().to_lowercase(), server_url.trim_end_matches('/'))
}

/// The whole settings document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub format: u32,
    #[serde(default)]
    pub servers: Vec<ServerSettings>,
    /// Most recently used first.
    #[serde(default)]
    pub accounts: Vec<Account>,
    /// The account to reopen at start; `None` after a sign-out.
    #[serde(default)]
    pub last_account: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self { format: SETTINGS_FORMAT, servers: Vec::new(), accounts: Vec::new(), last_account: None }
    }
}

impl Settings {
    /// Reads a stored document; anything unreadable or of another format is a fresh start.
    pub fn from_document(document: Option<serde_json::Value>) -> Self {
        let Some(document) = document else { return Self::default() };
        match serde_json::from_value::<Settings>(document) {
            Ok(settings) if settings.format == SETTINGS_FORMAT => settings,
            Ok(settings) => {
                tracing::warn!(
                    "settings of format {} are not {SETTINGS_FORMAT}: starting afresh",
                    settings.format
                );
                Self::default()
            }
            Err(e) => {
                tracing::warn!("the settings are unreadable ({e}): starting afresh");
                Self::default()
            }
        }
    }

    pub fn to_document(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    pub fn account(&self, id: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.id() == id)
    }

    pub fn server(&self, url: &str) -> Option<&ServerSettings> {
        let url = url.trim_end_matches('/');
        self.servers.iter().find(|s| s.url.trim_end_matches('/') == url)
    }

    fn server_mut(&mut self, url: &str) -> &mut ServerSettings {
        let url = url.trim_end_matches('/');
        match self.servers.iter().position(|s| s.url.trim_end_matches('/') == url) {
            Some(i) => &mut self.servers[i],
            None => {
                self.servers.push(ServerSettings {
                    url: url.to_owned(),
                    trusted_ca_pem: None,
                    plain_http_accepted: false,
                });
                self.servers.last_mut().expect("just pushed")
            }
        }
    }

    /// Records a sign-in: the account moves to the front and becomes the one reopened at start;
    /// the server keeps the CA and the plain-http consent that worked. Returns the accounts that
    /// no longer fit (their kept sessions are the caller's to delete).
    pub fn signed_in(
        &mut self,
        account: Account,
        trusted_ca_pem: Option<String>,
        plain_http_accepted: bool,
    ) -> Vec<Account> {
        let id = account.id();
        let server = self.server_mut(&account.server_url);
        if trusted_ca_pem.is_some() {
            server.trusted_ca_pem = trusted_ca_pem;
        }
        server.plain_http_accepted |= plain_http_accepted;
        self.accounts.retain(|a| a.id() != id);
        self.accounts.insert(0, account);
        let dropped = self.accounts.split_off(self.accounts.len().min(MAX_ACCOUNTS));
        self.last_account = Some(id);
        self.drop_unused_servers();
        dropped
    }

    /// Notes whether a session is kept for the account `id`.
    pub fn set_kept(&mut self, id: &str, kept: bool) {
        if let Some(account) = self.accounts.iter_mut().find(|a| a.id() == id) {
            account.kept = kept;
        }
    }

    /// Forgets an account; its server goes too once no account uses it.
    pub fn forget(&mut self, id: &str) -> Option<Account> {
        let position = self.accounts.iter().position(|a| a.id() == id)?;
        let account = self.accounts.remove(position);
        if self.last_account.as_deref() == Some(id) {
            self.last_account = None;
        }
        self.drop_unused_servers();
        Some(account)
    }

    /// Stops trusting the private CA of `server_url`.
    pub fn forget_trusted_ca(&mut self, server_url: &str) {
        self.server_mut(server_url).trusted_ca_pem = None;
    }

    fn drop_unused_servers(&mut self) {
        let accounts = &self.accounts;
        self.servers.retain(|s| {
            accounts.iter().any(|a| a.server_url.trim_end_matches('/') == s.url.trim_end_matches('/'))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(server: &str, user: &str, at: i64) -> Account {
        Account {
            server_url: server.into(),
            username: user.into(),
            email: user.to_lowercase(),
            display_name: user.into(),
            authority: "TENANT_ADMIN".into(),
            last_used_ms: at,
            kept: false,
        }
    }

    #[test]
    fn the_latest_sign_in_comes_first_and_is_reopened() {
        let mut s = Settings::default();
        s.signed_in(account("https://a", "x@a", 1), Some("CA".into()), false);
        s.signed_in(account("https://b", "y@b", 2), None, false);
        s.signed_in(account("https://a/", "X@a", 3), None, false);
        assert_eq!(s.accounts.len(), 2, "the same account, whatever the case of its username");
        assert_eq!(s.accounts[0].last_used_ms, 3);
        assert_eq!(s.last_account.as_deref(), Some(account_id("https://a", "x@a").as_str()));
        assert_eq!(
            s.server("https://a").unwrap().trusted_ca_pem.as_deref(),
            Some("CA"),
            "a CA stays trusted"
        );
    }

    #[test]
    fn accounts_that_no_longer_fit_are_handed_back() {
        let mut s = Settings::default();
        for i in 0..MAX_ACCOUNTS {
            assert!(s.signed_in(account("https://a", &format!("u{i}@a"), i as i64), None, false).is_empty());
        }
        let dropped = s.signed_in(account("https://b", "new@b", 99), None, false);
        assert_eq!(dropped.len(), 1);
        assert_eq!(dropped[0].username, "u0@a", "the least recently used goes");
        assert_eq!(s.accounts.len(), MAX_ACCOUNTS);
    }

    #[test]
    fn forgetting_the_last_account_of_a_server_forgets_its_ca() {
        let mut s = Settings::default();
        s.signed_in(account("https://a", "x@a", 1), Some("CA".into()), true);
        let id = s.accounts[0].id();
        assert!(s.forget(&id).is_some());
        assert!(s.server("https://a").is_none());
        assert_eq!(s.last_account, None);
        assert!(s.forget(&id).is_none());
    }

    #[test]
    fn unreadable_documents_start_afresh() {
        assert_eq!(Settings::from_document(Some(serde_json::json!({"format": 99}))), Settings::default());
        assert_eq!(Settings::from_document(Some(serde_json::json!("garbage"))), Settings::default());
        let mut s = Settings::default();
        s.signed_in(account("https://a", "x@a", 1), None, false);
        assert_eq!(Settings::from_document(Some(s.to_document())), s);
    }
}
