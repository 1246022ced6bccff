//! Customers, assignment, customer users and activation links against the emulator.

use tb_client::proto::customer::SaveCustomer;
use tb_client::proto::user::{activation_token, SaveUser};
use tb_client::proto::{AssetId, CustomerId, DeviceId};
use tb_client::{Client, Secret};
use tb_emulator::{Emulator, EmulatorConfig};

async fn tenant(emu: &Emulator) -> Client {
    let client = Client::builder(emu.base_url()).build().unwrap();
    client.login("tenant@thingsboard.org", &Secret::new("tenant")).await.unwrap();
    client
}

#[tokio::test]
async fn customers_are_created_found_and_listed() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let client = tenant(&emu).await;
    assert!(client.customer_by_title("Flat 12B").await.unwrap().is_none());
    let created =
        client.save_customer(&SaveCustomer::new("Flat 12B", Some("t@example.com".into()))).await.unwrap();
    let found = client.customer_by_title("Flat 12B").await.unwrap().expect("found by its exact title");
    assert_eq!(found.id, created.id);
    assert_eq!(client.customer(created.id).await.unwrap().email.as_deref(), Some("t@example.com"));
    let titles: Vec<String> = client.customers(None).await.unwrap().into_iter().map(|c| c.title).collect();
    assert_eq!(titles, ["Customer A", "Customer B", "Flat 12B"]);
    assert_eq!(client.customers(Some("12b")).await.unwrap().len(), 1);
    let err = client.save_customer(&SaveCustomer::new("Flat 12B", None)).await.unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert!(err.to_string().contains("already exists"), "{err}");
}

#[tokio::test]
async fn assign_and_unassign_report_the_owner_and_an_unassigned_entity_is_none() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let client = tenant(&emu).await;
    let flat = client.save_customer(&SaveCustomer::new("Flat 12B", None)).await.unwrap();
    let lobby = AssetId(emu.asset_id("Lobby").unwrap());
    let light = DeviceId(emu.device_id("Lobby Light").unwrap());
    assert_eq!(client.asset_info(lobby).await.unwrap().customer_title.as_deref(), Some("Customer A"));

    let asset = client.assign_asset(flat.id, lobby).await.unwrap();
    assert_eq!(asset.customer(), Some(flat.id));
    let device = client.assign_device(flat.id, light).await.unwrap();
    assert_eq!(device.customer(), Some(flat.id));
    assert_eq!(client.device_info(light).await.unwrap().customer_title.as_deref(), Some("Flat 12B"));

    let back = client.unassign_asset(lobby).await.unwrap().expect("it was assigned");
    assert_eq!(back.customer(), None);
    assert!(client.unassign_asset(lobby).await.unwrap().is_none(), "nothing left to unassign");
    assert!(client.unassign_device(light).await.unwrap().is_some());
    assert!(client.unassign_device(light).await.unwrap().is_none());

    let nobody = CustomerId(uuid::Uuid::new_v4());
    let err = client.assign_asset(nobody, lobby).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

#[tokio::test]
async fn a_customer_user_is_refused_assignment() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let client = Client::builder(emu.base_url()).build().unwrap();
    client.login("customer@thingsboard.org", &Secret::new("customer")).await.unwrap();
    let own = CustomerId(emu.customer_id("Customer A").unwrap());
    let lobby = AssetId(emu.asset_id("Lobby").unwrap());
    let err = client.assign_asset(own, lobby).await.unwrap_err();
    assert!(err.is_forbidden(), "{err:?}");
    assert!(client.customers(None).await.unwrap_err().is_forbidden());
    assert!(client.customer_users(own).await.unwrap_err().is_forbidden());
}

#[tokio::test]
async fn a_created_user_gets_a_link_activates_with_it_and_then_counts_as_activated() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let client = tenant(&emu).await;
    let flat = client.save_customer(&SaveCustomer::new("Flat 12B", None)).await.unwrap();
    let body = SaveUser::customer_user(flat.id, "alice@example.com", Some("Alice".into()), None);
    // No mail is asked for, so a server without mail keeps the user.
    let user = client.create_user(&body).await.unwrap();
    assert_eq!(user.customer(), Some(flat.id));
    assert_eq!(client.customer_users(flat.id).await.unwrap().len(), 1);
    assert!(!client.user_activated(user.id).await.unwrap());

    let link = client.activation_link(user.id).await.unwrap().expect("not activated yet");
    assert!(link.starts_with(&emu.base_url()), "{link}");
    let token = activation_token(&link).expect("the link carries its token");

    let alice = Client::builder(emu.base_url()).build().unwrap();
    let me = alice.activate_user(token, &Secret::new("s3cret-pass")).await.unwrap();
    assert_eq!(me.email, "alice@example.com");
    assert_eq!(me.customer_id, Some(flat.id.to_string()));
    assert_eq!(alice.current_user().await.unwrap().id, user.id);

    assert!(client.user_activated(user.id).await.unwrap());
    assert_eq!(client.activation_link(user.id).await.unwrap(), None);
    let again = client.create_user(&body).await.unwrap_err();
    assert_eq!(again.status(), Some(400));
    let fresh = Client::builder(emu.base_url()).build().unwrap();
    fresh.login("alice@example.com", &Secret::new("s3cret-pass")).await.unwrap();
}
