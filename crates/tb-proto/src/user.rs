//! Users (`CD/User`), the body that creates one, activation links and activating an account
//! (`UserController`, `AuthController.activateUser`).

use crate::auth::Authority;
use crate::id::{CustomerId, EntityId, UserId};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A user as the server sends it (`GET /api/auth/user`, `GET /api/user/{id}`, lists).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: UserId,
    #[serde(default)]
    pub created_time: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<EntityId>,
    /// The NULL customer for tenant administrators; see [`User::customer`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<CustomerId>,
    pub email: String,
    /// A read-only copy of `email`.
    #[serde(default)]
    pub name: String,
    pub authority: Authority,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub additional_info: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
}

impl User {
    /// The customer the user belongs to, if any.
    pub fn customer(&self) -> Option<CustomerId> {
        CustomerId::assigned(self.customer_id)
    }

    /// Whether the user has set a password, when the answer says: `additionalInfo.userActivated`,
    /// which only `GET /api/user/{id}` adds, from 3.9 on (`BaseController.checkUserInfo`).
    /// `None` on older servers and in lists.
    pub fn activated(&self) -> Option<bool> {
        self.additional_info.as_ref()?.get("userActivated")?.as_bool()
    }

    /// "First Last", one of them, or the e-mail address.
    pub fn display_name(&self) -> String {
        let part =
            |p: &Option<String>| p.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        match (part(&self.first_name), part(&self.last_name)) {
            (Some(f), Some(l)) => format!("{f} {l}"),
            (Some(n), None) | (None, Some(n)) => n,
            (None, None) => self.email.clone(),
        }
    }
}

/// The body of `POST /api/user` (`UserController.saveUser`): no `id` creates the user.
/// `email` and `authority` are required, and a `CUSTOMER_USER` needs its `customerId`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SaveUser {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<UserId>,
    #[serde(default)]
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<Authority>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<CustomerId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_info: Option<Value>,
}

impl SaveUser {
    /// A new user of `customer` (authority `CUSTOMER_USER`).
    pub fn customer_user(
        customer: CustomerId,
        email: impl Into<String>,
        first_name: Option<String>,
        last_name: Option<String>,
    ) -> Self {
        Self {
            id: None,
            email: email.into(),
            authority: Some(Authority::CustomerUser),
            customer_id: Some(customer),
            first_name,
            last_name,
            phone: None,
            additional_info: None,
        }
    }
}

/// `GET /api/user/{id}/activationLinkInfo` (3.8 and later, `UserActivationLink`): the link a
/// person opens to set their password, and how long it stays valid.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserActivationLink {
    pub value: String,
    #[serde(default)]
    pub ttl_ms: i64,
}

impl std::fmt::Debug for UserActivationLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The link holds the activation token: whoever has it can take the account.
        f.debug_struct("UserActivationLink")
            .field("value", &"<redacted>")
            .field("ttl_ms", &self.ttl_ms)
            .finish()
    }
}

/// The body of `POST /api/noauth/activate` (`AuthController.activateUser`, `ActivateUserRequest`);
/// the answer is a `JwtPair` for the activated user.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivateUserRequest {
    pub activate_token: String,
    pub password: String,
}

impl std::fmt::Debug for ActivateUserRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ActivateUserRequest { activate_token: <redacted>, password: <redacted> }")
    }
}

/// The `activateToken` query parameter of an activation link
/// (`<baseUrl>/api/noauth/activate?activateToken=<token>`, `UserController.getActivationLink`).
pub fn activation_token(link: &str) -> Option<&str> {
    let (_, query) = link.split_once('?')?;
    query.split('&').find_map(|pair| pair.strip_prefix("activateToken=")).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CUSTOMER_USER: &str = r#"{"id":{"entityType":"USER","id":"7d3f2b10-3b7e-11ef-9a1d-1b2c3d4e5f60"},"createdTime":1719900000000,
 "tenantId":{"entityType":"TENANT","id":"1a2b3c40-3b7e-11ef-9a1d-1b2c3d4e5f60"},
 "customerId":{"entityType":"CUSTOMER","id":"5e1f0000-3b7e-11ef-9a1d-1b2c3d4e5f60"},
 "email":"alice@example.com","name":"alice@example.com","authority":"CUSTOMER_USER","firstName":"Alice","lastName":"Doe",
 "phone":null,"additionalInfo":{"description":"occupant"},"version":1}"#;

    #[test]
    fn a_created_user_parses_and_says_nothing_of_activation() {
        let user: User = serde_json::from_str(CUSTOMER_USER).unwrap();
        assert_eq!(user.authority, Authority::CustomerUser);
        assert!(user.customer().is_some());
        assert_eq!(user.activated(), None);
        assert_eq!(user.display_name(), "Alice Doe");
    }

    #[test]
    fn user_by_id_on_3_9_says_whether_activated() {
        let text = CUSTOMER_USER.replace(
            r#"{"description":"occupant"}"#,
            r#"{"description":"occupant","userCredentialsEnabled":false,"userActivated":false,"lastLoginTs":null}"#,
        );
        let user: User = serde_json::from_str(&text).unwrap();
        assert_eq!(user.activated(), Some(false));
    }

    #[test]
    fn a_tenant_admin_has_the_null_customer() {
        let admin: User = serde_json::from_str(
            r#"{"id":{"entityType":"USER","id":"7d3f2b10-3b7e-11ef-9a1d-1b2c3d4e5f61"},
 "customerId":{"entityType":"CUSTOMER","id":"13814000-1dd2-11b2-8080-808080808080"},
 "email":"ops@example.com","authority":"TENANT_ADMIN","firstName":"","lastName":null}"#,
        )
        .unwrap();
        assert_eq!(admin.customer(), None);
        assert_eq!(admin.display_name(), "ops@example.com");
    }

    #[test]
    fn a_new_customer_user_sends_its_customer_and_authority() {
        let customer = CustomerId(uuid::Uuid::from_u128(5));
        let body =
            serde_json::to_value(SaveUser::customer_user(customer, "a@example.com", None, None)).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"email": "a@example.com", "authority": "CUSTOMER_USER",
                "customerId": {"entityType": "CUSTOMER", "id": "00000000-0000-0000-0000-000000000005"}})
        );
    }

    #[test]
    fn activation_links_give_their_token_and_hide_it_when_printed() {
        let link = "http://127.0.0.1:8080/api/noauth/activate?activateToken=Zx9abc";
        assert_eq!(activation_token(link), Some("Zx9abc"));
        assert_eq!(activation_token("http://h/api/noauth/activate"), None);
        let info: UserActivationLink =
            serde_json::from_str(&format!(r#"{{"value":"{link}","ttlMs":86399512}}"#)).unwrap();
        assert_eq!(info.ttl_ms, 86_399_512);
        assert!(!format!("{info:?}").contains("Zx9abc"));
        let request = ActivateUserRequest { activate_token: "Zx9abc".into(), password: "pw123456".into() };
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            serde_json::json!({"activateToken": "Zx9abc", "password": "pw123456"})
        );
        assert!(!format!("{request:?}").contains("pw123456"));
    }
}
