//! Kept sessions: each account's refresh token in the operating system's secret store (never the
//! password, never the access token, never a plain file).
//!
//! [`OsSecretStore`] picks, once, the best store this machine has: Secret Service on a Linux
//! desktop (sessions survive reboots), else the kernel's session keyring (they survive restarts
//! until the person logs out), the Keychain on macOS and iOS, the Credential Manager on Windows.
//! Android has none that `keyring` can reach, so there, as anywhere without a store, a session
//! lasts while the app runs. Every call blocks (D-Bus, system calls): the core makes them on a
//! blocking thread with a deadline.

use atrium_ipc::SecretStoreStatus;
use parking_lot::Mutex;
use std::collections::HashMap;
use tb_client::Secret;

/// Why the secret store could not do what was asked; the text says it for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretStoreError(pub String);

impl std::fmt::Display for SecretStoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SecretStoreError {}

/// Where refresh tokens are kept, by account id.
pub trait SecretStore: Send + Sync + 'static {
    fn status(&self) -> SecretStoreStatus;
    fn get(&self, account: &str) -> Result<Option<Secret>, SecretStoreError>;
    /// Replaces what is kept for `account`.
    fn set(&self, account: &str, secret: &Secret) -> Result<(), SecretStoreError>;
    /// Absent is fine.
    fn delete(&self, account: &str) -> Result<(), SecretStoreError>;
}

/// Secrets kept in this process only: for tests, and the CLI.
#[derive(Debug, Default)]
pub struct MemorySecrets(Mutex<HashMap<String, Secret>>);

impl MemorySecrets {
    fn map(&self) -> parking_lot::MutexGuard<'_, HashMap<String, Secret>> {
        self.0.lock()
    }
}

impl SecretStore for MemorySecrets {
    fn status(&self) -> SecretStoreStatus {
        SecretStoreStatus::Unavailable { reason: "sessions are kept in memory only".into() }
    }

    fn get(&self, account: &str) -> Result<Option<Secret>, SecretStoreError> {
        Ok(self.map().get(account).cloned())
    }

    fn set(&self, account: &str, secret: &Secret) -> Result<(), SecretStoreError> {
        self.map().insert(account.to_owned(), secret.clone());
        Ok(())
    }

    fn delete(&self, account: &str) -> Result<(), SecretStoreError> {
        self.map().remove(account);
        Ok(())
    }
}

/// No store at all: nothing is kept, and the status says why.
#[derive(Debug)]
pub struct NoSecrets(pub String);

impl SecretStore for NoSecrets {
    fn status(&self) -> SecretStoreStatus {
        SecretStoreStatus::Unavailable { reason: self.0.clone() }
    }

    fn get(&self, _: &str) -> Result<Option<Secret>, SecretStoreError> {
        Ok(None)
    }

    fn set(&self, _: &str, _: &Secret) -> Result<(), SecretStoreError> {
        Err(SecretStoreError(self.0.clone()))
    }

    fn delete(&self, _: &str) -> Result<(), SecretStoreError> {
        Ok(())
    }
}

/// The operating system's secret store, chosen on first use.
#[derive(Debug)]
pub struct OsSecretStore {
    /// The service name entries are filed under (the app's identifier).
    service: String,
    backend: std::sync::OnceLock<os::Backend>,
}

impl OsSecretStore {
    pub fn new(service: impl Into<String>) -> Self {
        Self { service: service.into(), backend: std::sync::OnceLock::new() }
    }

    fn backend(&self) -> &os::Backend {
        self.backend.get_or_init(|| {
            let backend = os::probe(&self.service);
            tracing::info!("kept sessions: {:?}", backend.status());
            backend
        })
    }
}

impl SecretStore for OsSecretStore {
    fn status(&self) -> SecretStoreStatus {
        self.backend().status()
    }

    fn get(&self, account: &str) -> Result<Option<Secret>, SecretStoreError> {
        self.backend().get(&self.service, account)
    }

    fn set(&self, account: &str, secret: &Secret) -> Result<(), SecretStoreError> {
        self.backend().set(&self.service, account, secret)
    }

    fn delete(&self, account: &str) -> Result<(), SecretStoreError> {
        self.backend().delete(&self.service, account)
    }
}

/// The platform parts. Every platform offers the same four operations over `keyring` entries;
/// only how an entry is made, and what the store is called, differ.
#[cfg(any(target_os = "linux", target_os = "macos", target_os = "ios", windows))]
mod os {
    use super::SecretStoreError;
    use atrium_ipc::SecretStoreStatus;
    use keyring::Entry;
    use tb_client::Secret;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(super) enum Store {
        #[cfg(target_os = "linux")]
        SecretService,
        #[cfg(target_os = "linux")]
        KernelKeyring,
        #[cfg(not(target_os = "linux"))]
        Native,
    }

    #[derive(Debug)]
    pub(super) enum Backend {
        Ready(Store),
        None(String),
    }

    fn entry(store: Store, service: &str, account: &str) -> keyring::Result<Entry> {
        match store {
            #[cfg(target_os = "linux")]
            Store::SecretService => Ok(Entry::new_with_credential(Box::new(
                keyring::secret_service::SsCredential::new_with_target(None, service, account)?,
            ))),
            #[cfg(target_os = "linux")]
            Store::KernelKeyring => Ok(Entry::new_with_credential(Box::new(
                keyring::keyutils::KeyutilsCredential::new_with_target(None, service, account)?,
            ))),
            #[cfg(not(target_os = "linux"))]
            Store::Native => Entry::new(service, account),
        }
    }

    fn name(store: Store) -> &'static str {
        match store {
            #[cfg(target_os = "linux")]
            Store::SecretService => "Secret Service",
            #[cfg(target_os = "linux")]
            Store::KernelKeyring => "kernel keyring",
            #[cfg(any(target_os = "macos", target_os = "ios"))]
            Store::Native => "Keychain",
            #[cfg(windows)]
            Store::Native => "Credential Manager",
        }
    }

    const PROBE: &str = "atrium-probe";

    /// Whether `store` keeps a value and gives it back (a store that refuses to link a key into
    /// a keyring reports success and then has nothing).
    fn works(store: Store, service: &str) -> Result<(), keyring::Error> {
        let probe = entry(store, service, PROBE)?;
        probe.set_password("probe")?;
        let read = probe.get_password();
        let _ = probe.delete_credential();
        match read? {
            value if value == "probe" => Ok(()),
            _ => Err(keyring::Error::NoEntry),
        }
    }

    pub(super) fn probe(service: &str) -> Backend {
        #[cfg(target_os = "linux")]
        let candidates = [Store::SecretService, Store::KernelKeyring];
        #[cfg(not(target_os = "linux"))]
        let candidates = [Store::Native];
        let mut refusals = Vec::new();
        for store in candidates {
            match works(store, service) {
                Ok(()) => return Backend::Ready(store),
                Err(e) => refusals.push(format!("{}: {e}", name(store))),
            }
        }
        Backend::None(format!("no secret store answered ({})", refusals.join("; ")))
    }

    fn failed(store: Store, e: keyring::Error) -> SecretStoreError {
        SecretStoreError(format!("the {} refused: {e}", name(store)))
    }

    impl Backend {
        pub(super) fn status(&self) -> SecretStoreStatus {
            match self {
                #[cfg(target_os = "linux")]
                Backend::Ready(store @ Store::KernelKeyring) => {
                    SecretStoreStatus::UntilLogout { name: name(*store).into() }
                }
                Backend::Ready(store) => SecretStoreStatus::Persistent { name: name(*store).into() },
                Backend::None(reason) => SecretStoreStatus::Unavailable { reason: reason.clone() },
            }
        }

        fn store(&self) -> Result<Store, SecretStoreError> {
            match self {
                Backend::Ready(store) => Ok(*store),
                Backend::None(reason) => Err(SecretStoreError(reason.clone())),
            }
        }

        pub(super) fn get(&self, service: &str, account: &str) -> Result<Option<Secret>, SecretStoreError> {
            let Backend::Ready(store) = self else { return Ok(None) };
            let entry = entry(*store, service, account).map_err(|e| failed(*store, e))?;
            match entry.get_password() {
                Ok(value) => Ok(Some(Secret::new(value))),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(e) => Err(failed(*store, e)),
            }
        }

        pub(super) fn set(
            &self,
            service: &str,
            account: &str,
            secret: &Secret,
        ) -> Result<(), SecretStoreError> {
            let store = self.store()?;
            let entry = entry(store, service, account).map_err(|e| failed(store, e))?;
            entry.set_password(secret.expose()).map_err(|e| failed(store, e))
        }

        pub(super) fn delete(&self, service: &str, account: &str) -> Result<(), SecretStoreError> {
            let Backend::Ready(store) = self else { return Ok(()) };
            let entry = entry(*store, service, account).map_err(|e| failed(*store, e))?;
            match entry.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(e) => Err(failed(*store, e)),
            }
        }
    }
}

/// Platforms without a store `keyring` can reach (Android): nothing is kept.
#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "ios", windows)))]
mod os {
    use super::SecretStoreError;
    use atrium_ipc::SecretStoreStatus;
    use tb_client::Secret;

    #[derive(Debug)]
    pub(super) struct Backend;

    pub(super) fn probe(_: &str) -> Backend {
        Backend
    }

    const REASON: &str = "this device has no secret store Atrium can use";

    impl Backend {
        pub(super) fn status(&self) -> SecretStoreStatus {
            SecretStoreStatus::Unavailable { reason: REASON.into() }
        }

        pub(super) fn get(&self, _: &str, _: &str) -> Result<Option<Secret>, SecretStoreError> {
            Ok(None)
        }

        pub(super) fn set(&self, _: &str, _: &str, _: &Secret) -> Result<(), SecretStoreError> {
            Err(SecretStoreError(REASON.into()))
        }

        pub(super) fn delete(&self, _: &str, _: &str) -> Result<(), SecretStoreError> {
            Ok(())
        }
    }
}
