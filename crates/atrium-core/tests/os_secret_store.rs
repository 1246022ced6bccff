//! The operating system's secret store as Atrium uses it: keep a session, replace it (a
//! rotation), read it back from a second handle (a restart), delete it.
//!
//! `cargo xtask test` runs this twice: inside a kernel session keyring (`keyctl session -`,
//! what a login gives a desktop user), where it expects the kernel keyring, and inside a D-Bus
//! session with an unlocked gnome-keyring, where it expects Secret Service. It names the store
//! it expects in `ATRIUM_EXPECT_SECRET_STORE` (`secret-service`, `kernel-keyring`, `none`); run
//! by hand without it, it checks whichever store this machine offers.

use atrium_core::secrets::{OsSecretStore, SecretStore};
use atrium_ipc::SecretStoreStatus;
use tb_client::Secret;

#[test]
fn the_os_secret_store_keeps_replaces_and_deletes_a_session() {
    let service = format!("io.atrium.client.test-{}", std::process::id());
    let store = OsSecretStore::new(&service);
    let status = store.status();
    match std::env::var("ATRIUM_EXPECT_SECRET_STORE").as_deref() {
        Ok("secret-service") => {
            assert_eq!(status, SecretStoreStatus::Persistent { name: "Secret Service".into() })
        }
        Ok("kernel-keyring") => {
            assert_eq!(status, SecretStoreStatus::UntilLogout { name: "kernel keyring".into() })
        }
        Ok("none") => assert!(matches!(status, SecretStoreStatus::Unavailable { .. }), "{status:?}"),
        Ok(other) => panic!("unknown ATRIUM_EXPECT_SECRET_STORE {other:?}"),
        Err(_) => eprintln!("secret store on this machine: {status:?}"),
    }
    let account = "tenant@thingsboard.org|https://tb.example.com";
    if let SecretStoreStatus::Unavailable { reason } = &status {
        assert!(!reason.is_empty());
        assert!(store.set(account, &Secret::new("x")).is_err(), "nothing is kept without a store");
        assert_eq!(store.get(account).unwrap(), None);
        return;
    }
    assert_eq!(store.get(account).unwrap(), None);
    store.set(account, &Secret::new("refresh-1")).unwrap();
    store.set(account, &Secret::new("refresh-2")).unwrap();
    let restarted = OsSecretStore::new(&service);
    assert_eq!(restarted.get(account).unwrap().map(|s| s.expose().to_owned()).as_deref(), Some("refresh-2"));
    restarted.delete(account).unwrap();
    assert_eq!(store.get(account).unwrap(), None);
    restarted.delete(account).unwrap();
}
