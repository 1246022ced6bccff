//! Customers, assigning assets and devices to them, customer users and their activation, with
//! the server's permission checks and one-customer-per-entity rule (`CustomerController`,
//! `AssetController`, `DeviceController`, `UserController`, `AuthController.activateUser`).

use crate::common::*;
use serde_json::{json, Value};

const NULL_CUSTOMER: &str = "13814000-1dd2-11b2-8080-808080808080";

async fn delete(emulator: &tb_emulator::Emulator, token: &str, path: &str) -> reqwest::Response {
    http()
        .delete(format!("{}{path}", emulator.base_url()))
        .header("X-Authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap()
}

async fn error(response: reqwest::Response) -> (u16, i64, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (status, body["errorCode"].as_i64().unwrap(), body["message"].as_str().unwrap().to_owned())
}

async fn create_customer(emulator: &tb_emulator::Emulator, token: &str, title: &str) -> String {
    let response =
        post(emulator, token, "/api/customer", &json!({"title": title, "email": "t@example.com"})).await;
    assert_eq!(response.status(), 200);
    let customer: Value = response.json().await.unwrap();
    assert_eq!(customer["title"], title);
    assert_eq!(customer["name"], title);
    customer["id"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn customers_are_created_listed_and_found_by_exact_title() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let id = create_customer(&emulator, &token, "Flat 12B").await;
    let (status, code, message) =
        error(post(&emulator, &token, "/api/customer", &json!({"title": "Flat 12B"})).await).await;
    assert_eq!((status, code, message.as_str()), (400, 31, "Customer with such title already exists!"));
    let (status, _, message) =
        error(post(&emulator, &token, "/api/customer", &json!({"email": "x@example.com"})).await).await;
    assert_eq!((status, message.as_str()), (400, "Customer title should be specified!"));

    let found: Value =
        get(&emulator, &token, "/api/tenant/customers?customerTitle=Flat%2012B").await.json().await.unwrap();
    assert_eq!(found["id"]["id"], id.as_str());
    let (status, code, message) =
        error(get(&emulator, &token, "/api/tenant/customers?customerTitle=flat%2012b").await).await;
    assert_eq!((status, code, message.as_str()), (404, 32, "Customer with title [flat 12b] is not found"));

    let page: Value = get(
        &emulator,
        &token,
        "/api/customers?pageSize=10&page=0&textSearch=FLAT&sortProperty=title&sortOrder=ASC",
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(page["totalElements"], 1);
    assert_eq!(page["data"][0]["title"], "Flat 12B");
    let all: Value = get(&emulator, &token, "/api/customers?pageSize=2&page=0").await.json().await.unwrap();
    assert_eq!((all["totalElements"].as_i64(), all["hasNext"].as_bool()), (Some(3), Some(true)));
    let one: Value = get(&emulator, &token, &format!("/api/customer/{id}")).await.json().await.unwrap();
    assert_eq!(one["email"], "t@example.com");
    emulator.shutdown().await;
}

#[tokio::test]
async fn customer_users_are_refused_everything_but_their_own_customer() {
    let emulator = start().await;
    let tenant = tenant_token(&emulator).await;
    let own = emulator.customer_id("Customer A").unwrap();
    let other = emulator.customer_id("Customer B").unwrap();
    let lobby = emulator.asset_id("Lobby").unwrap();
    let light = emulator.device_id("Lobby Light").unwrap();
    let (token, _) = login(&emulator, "customer@thingsboard.org", "customer").await;
    assert_eq!(get(&emulator, &token, &format!("/api/customer/{own}")).await.status(), 200);
    for response in [
        get(&emulator, &token, &format!("/api/customer/{other}")).await,
        get(&emulator, &token, "/api/customers?pageSize=10&page=0").await,
        get(&emulator, &token, "/api/tenant/customers?customerTitle=Customer%20A").await,
        post(&emulator, &token, "/api/customer", &json!({"title": "Mine"})).await,
        post(&emulator, &token, &format!("/api/customer/{own}/asset/{lobby}"), &json!({})).await,
        post(&emulator, &token, &format!("/api/customer/{own}/device/{light}"), &json!({})).await,
        delete(&emulator, &token, &format!("/api/customer/asset/{lobby}")).await,
        delete(&emulator, &token, &format!("/api/customer/device/{light}")).await,
        get(&emulator, &token, &format!("/api/customer/{own}/users?pageSize=10&page=0")).await,
        post(&emulator, &token, "/api/user?sendActivationMail=false", &json!({"email": "n@example.com", "authority": "CUSTOMER_USER", "customerId": {"entityType": "CUSTOMER", "id": own}})).await,
    ] {
        let (status, code, message) = error(response).await;
        assert_eq!((status, code), (403, 20));
        assert_eq!(message, "You don't have permission to perform this operation!");
    }
    // Nothing changed for the tenant either.
    assert_eq!(emulator.owner(lobby), Some(own));
    let page: Value =
        get(&emulator, &tenant, "/api/customers?pageSize=10&page=0").await.json().await.unwrap();
    assert_eq!(page["totalElements"], 2);
    emulator.shutdown().await;
}

#[tokio::test]
async fn assignment_moves_silently_repeats_quietly_and_unassign_says_when_there_is_nothing() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let flat = create_customer(&emulator, &token, "Flat 12B").await;
    let customer_a = emulator.customer_id("Customer A").unwrap();
    let lobby = emulator.asset_id("Lobby").unwrap();
    let light = emulator.device_id("Lobby Light").unwrap();
    assert_eq!(emulator.owner(lobby), Some(customer_a));

    // Another customer's asset moves without a word (`BaseAssetService.assignAssetToCustomer`).
    let response =
        post(&emulator, &token, &format!("/api/customer/{flat}/asset/{lobby}"), &json!(null)).await;
    assert_eq!(response.status(), 200);
    let asset: Value = response.json().await.unwrap();
    assert_eq!(asset["customerId"]["id"], flat.as_str());
    assert_eq!(asset["name"], "Lobby");
    // The same customer again: 200, nothing changes.
    let again = post(&emulator, &token, &format!("/api/customer/{flat}/asset/{lobby}"), &json!(null)).await;
    assert_eq!(again.status(), 200);
    let info: Value = get(&emulator, &token, &format!("/api/asset/info/{lobby}")).await.json().await.unwrap();
    assert_eq!(info["customerTitle"], "Flat 12B");
    assert_eq!(info["assetProfileName"], "room");

    let device: Value =
        post(&emulator, &token, &format!("/api/customer/{flat}/device/{light}"), &json!(null))
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(device["customerId"]["id"], flat.as_str());
    let info: Value =
        get(&emulator, &token, &format!("/api/device/info/{light}")).await.json().await.unwrap();
    assert_eq!(info["customerTitle"], "Flat 12B");

    let unassigned: Value =
        delete(&emulator, &token, &format!("/api/customer/asset/{lobby}")).await.json().await.unwrap();
    assert_eq!(unassigned["customerId"]["id"], NULL_CUSTOMER);
    let (status, code, message) =
        error(delete(&emulator, &token, &format!("/api/customer/asset/{lobby}")).await).await;
    assert_eq!((status, code, message.as_str()), (400, 31, "Asset isn't assigned to any customer!"));
    assert_eq!(delete(&emulator, &token, &format!("/api/customer/device/{light}")).await.status(), 200);
    let (_, _, message) =
        error(delete(&emulator, &token, &format!("/api/customer/device/{light}")).await).await;
    assert_eq!(message, "Device isn't assigned to any customer!");
    emulator.shutdown().await;
}

#[tokio::test]
async fn assignment_errors_name_what_is_missing_customer_first() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let lobby = emulator.asset_id("Lobby").unwrap();
    let customer = emulator.customer_id("Customer B").unwrap();
    let nobody = "5e1f0000-3b7e-11ef-9a1d-1b2c3d4e5f60";
    let (status, code, message) = error(
        post(&emulator, &token, &format!("/api/customer/{nobody}/asset/not-a-uuid"), &json!(null)).await,
    )
    .await;
    assert_eq!((status, code), (404, 32));
    assert_eq!(message, format!("Customer with id [{nobody}] is not found"));
    let (status, _, message) = error(
        post(&emulator, &token, &format!("/api/customer/{customer}/device/{nobody}"), &json!(null)).await,
    )
    .await;
    assert_eq!((status, message), (404, format!("Device with id [{nobody}] is not found")));
    let (status, _, message) = error(
        post(&emulator, &token, &format!("/api/customer/{customer}/asset/{lobby}x"), &json!(null)).await,
    )
    .await;
    assert_eq!((status, message), (400, format!("Invalid UUID string: {lobby}x")));
    let (status, _, _) =
        error(delete(&emulator, &token, &format!("/api/customer/asset/{nobody}")).await).await;
    assert_eq!(status, 404);
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_customer_user_sees_exactly_what_is_assigned_to_its_customer_as_it_changes() {
    let emulator = start().await;
    let tenant = tenant_token(&emulator).await;
    let customer_b = emulator.customer_id("Customer B").unwrap();
    let lobby = emulator.asset_id("Lobby").unwrap();
    let light = emulator.device_id("Lobby Light").unwrap();
    let (token, _) = login(&emulator, "customerb@thingsboard.org", "customer").await;
    assert_eq!(get(&emulator, &token, &format!("/api/asset/{lobby}")).await.status(), 403);

    post(&emulator, &tenant, &format!("/api/customer/{customer_b}/asset/{lobby}"), &json!(null)).await;
    post(&emulator, &tenant, &format!("/api/customer/{customer_b}/device/{light}"), &json!(null)).await;
    assert_eq!(get(&emulator, &token, &format!("/api/asset/{lobby}")).await.status(), 200);
    let values =
        get(&emulator, &token, &format!("/api/plugins/telemetry/DEVICE/{light}/values/timeseries")).await;
    assert_eq!(values.status(), 200);
    let assets: Value = get(
        &emulator,
        &token,
        &format!("/api/customer/{customer_b}/assets?pageSize=1000&page=0&textSearch=Lobby"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(assets["data"].as_array().unwrap().len(), 1);
    let relations: Value =
        get(&emulator, &token, &format!("/api/relations/info?fromId={lobby}&fromType=ASSET"))
            .await
            .json()
            .await
            .unwrap();
    let names: Vec<&str> =
        relations.as_array().unwrap().iter().filter_map(|r| r["toName"].as_str()).collect();
    assert_eq!(names, ["Lobby Light"], "only the shared device of the lobby");

    delete(&emulator, &tenant, &format!("/api/customer/device/{light}")).await;
    let values =
        get(&emulator, &token, &format!("/api/plugins/telemetry/DEVICE/{light}/values/timeseries")).await;
    assert_eq!(values.status(), 403);
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_user_is_created_without_mail_activated_from_its_link_and_then_signs_in() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let flat = create_customer(&emulator, &token, "Flat 12B").await;
    let body = json!({"email": "alice@example.com", "authority": "CUSTOMER_USER", "firstName": "Alice",
        "customerId": {"entityType": "CUSTOMER", "id": flat}});

    // The default asks for mail, which this server cannot send: the user is not kept.
    let (status, code, message) = error(post(&emulator, &token, "/api/user", &body).await).await;
    assert_eq!((status, code, message.as_str()), (500, 2, "Couldn't send user activation email"));
    let users: Value = get(&emulator, &token, &format!("/api/customer/{flat}/users?pageSize=10&page=0"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(users["totalElements"], 0);

    let response = post(&emulator, &token, "/api/user?sendActivationMail=false", &body).await;
    assert_eq!(response.status(), 200);
    let user: Value = response.json().await.unwrap();
    let id = user["id"]["id"].as_str().unwrap().to_owned();
    assert_eq!(user["email"], "alice@example.com");
    assert_eq!(user["customerId"]["id"], flat.as_str());
    assert!(user["additionalInfo"].get("userActivated").is_none(), "the create answer is not enriched");
    let (status, _, message) =
        error(post(&emulator, &token, "/api/user?sendActivationMail=false", &body).await).await;
    assert_eq!(
        (status, message.as_str()),
        (400, "User with email 'alice@example.com' already present in database!")
    );

    let users: Value =
        get(&emulator, &token, &format!("/api/customer/{flat}/users?pageSize=10&page=0&textSearch=ALICE"))
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(users["data"][0]["id"]["id"], id.as_str());
    let read: Value = get(&emulator, &token, &format!("/api/user/{id}")).await.json().await.unwrap();
    assert_eq!(read["additionalInfo"]["userActivated"], false);

    let response = http()
        .get(format!("{}/api/user/{id}/activationLink", emulator.base_url()))
        .header("X-Authorization", format!("Bearer {token}"))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 406, "the mapping produces text/plain only");
    let response = http()
        .get(format!("{}/api/user/{id}/activationLink", emulator.base_url()))
        .header("X-Authorization", format!("Bearer {token}"))
        .header("Accept", "text/plain")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let link = response.text().await.unwrap();
    let prefix = format!("{}/api/noauth/activate?activateToken=", emulator.base_url());
    assert!(link.starts_with(&prefix), "{link}");
    let activate_token = link[prefix.len()..].to_owned();
    let info: Value =
        get(&emulator, &token, &format!("/api/user/{id}/activationLinkInfo")).await.json().await.unwrap();
    assert_eq!(info["value"], link.as_str(), "the same token while it has more than 15 minutes left");
    assert!(info["ttlMs"].as_i64().unwrap() > 23 * 3_600_000);

    // Not activated yet: no password works.
    let login_url = format!("{}/api/auth/login", emulator.base_url());
    let refused = http()
        .post(&login_url)
        .json(&json!({"username": "alice@example.com", "password": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);

    let no_redirects =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let check = no_redirects.get(&link).send().await.unwrap();
    assert_eq!(check.status(), 303);
    assert_eq!(
        check.headers()["location"],
        format!("/login/createPassword?activateToken={activate_token}").as_str()
    );

    let activate = format!("{}/api/noauth/activate", emulator.base_url());
    let short = http()
        .post(&activate)
        .json(&json!({"activateToken": activate_token, "password": "abc"}))
        .send()
        .await
        .unwrap();
    assert_eq!(error(short).await.2, "Password must be 6 or more characters in length.");
    let response = http()
        .post(&activate)
        .json(&json!({"activateToken": activate_token, "password": "s3cret-pass"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let pair: Value = response.json().await.unwrap();
    let me: Value =
        get(&emulator, pair["token"].as_str().unwrap(), "/api/auth/user").await.json().await.unwrap();
    assert_eq!(me["email"], "alice@example.com");
    assert_eq!(me["authority"], "CUSTOMER_USER");

    let again = http()
        .post(&activate)
        .json(&json!({"activateToken": activate_token, "password": "s3cret-pass"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error(again).await.2,
        format!("Unable to find user credentials by activateToken [{activate_token}]")
    );
    assert_eq!(no_redirects.get(&link).send().await.unwrap().status(), 409);
    let (status, code, message) =
        error(get(&emulator, &token, &format!("/api/user/{id}/activationLink")).await).await;
    assert_eq!((status, code, message.as_str()), (400, 31, "User is already activated!"));
    let read: Value = get(&emulator, &token, &format!("/api/user/{id}")).await.json().await.unwrap();
    assert_eq!(read["additionalInfo"]["userActivated"], true);
    login(&emulator, "alice@example.com", "s3cret-pass").await;
    emulator.shutdown().await;
}

#[tokio::test]
async fn user_bodies_are_validated_as_the_server_does() {
    let emulator = start().await;
    let token = tenant_token(&emulator).await;
    let unknown = "5e1f0000-3b7e-11ef-9a1d-1b2c3d4e5f60";
    let cases = [
        (json!({"authority": "CUSTOMER_USER"}), "User email should be specified!"),
        (json!({"email": "nope", "authority": "CUSTOMER_USER"}), "Invalid email address format 'nope'!"),
        (json!({"email": "a@example.com"}), "User authority isn't defined!"),
        (
            json!({"email": "a@example.com", "authority": "CUSTOMER_USER"}),
            "Customer user should be assigned to customer!",
        ),
        (
            json!({"email": "a@example.com", "authority": "CUSTOMER_USER", "customerId": {"entityType": "CUSTOMER", "id": NULL_CUSTOMER}}),
            "Customer user should be assigned to customer!",
        ),
        (
            json!({"email": "a@example.com", "authority": "CUSTOMER_USER", "customerId": {"entityType": "CUSTOMER", "id": unknown}}),
            "User is referencing to non-existent customer!",
        ),
        (
            json!({"email": "customer@thingsboard.org", "authority": "CUSTOMER_USER", "customerId": {"entityType": "CUSTOMER", "id": emulator.customer_id("Customer A").unwrap()}}),
            "User with email 'customer@thingsboard.org' already present in database!",
        ),
    ];
    for (body, expected) in cases {
        let (status, code, message) =
            error(post(&emulator, &token, "/api/user?sendActivationMail=false", &body).await).await;
        assert_eq!((status, code, message.as_str()), (400, 31, expected), "{body}");
    }
    let nobody = "7d3f2b10-3b7e-11ef-9a1d-1b2c3d4e5f60";
    let (status, _, message) =
        error(get(&emulator, &token, &format!("/api/user/{nobody}/activationLink")).await).await;
    assert_eq!((status, message), (404, format!("User with id [{nobody}] is not found")));
    emulator.shutdown().await;
}
