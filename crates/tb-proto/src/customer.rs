//! Customers (`CD/Customer`): the occupants a tenant shares assets and devices with.

use crate::id::{CustomerId, EntityId};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A customer as the server sends it (`GET /api/customer/{id}`, `GET /api/customers`, ...).
/// Unknown fields are ignored, as for every REST DTO here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    pub id: CustomerId,
    #[serde(default)]
    pub created_time: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<EntityId>,
    pub title: String,
    /// A read-only copy of `title` (`Customer.getName`, `@JsonProperty(access = READ_ONLY)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub address2: Option<String>,
    #[serde(default)]
    pub zip: Option<String>,
    #[serde(default)]
    pub additional_info: Option<Value>,
    #[serde(default)]
    pub external_id: Option<EntityId>,
    /// 3.9 and later (optimistic locking).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
}

impl Customer {
    /// The tenant's "Public" customer (`Customer.isPublic`: `additionalInfo.isPublic`).
    pub fn is_public(&self) -> bool {
        self.additional_info.as_ref().and_then(|i| i.get("isPublic")).and_then(Value::as_bool) == Some(true)
    }
}

/// The body of `POST /api/customer` (`CustomerController.saveCustomer`): no `id` creates a
/// customer; only `title` is required. Fields left `None` are not sent.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SaveCustomer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<CustomerId>,
    #[serde(default)]
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_info: Option<Value>,
    /// The current version, required to update on 3.9 and later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
}

impl SaveCustomer {
    /// A new customer with this title and, optionally, a contact e-mail address.
    pub fn new(title: impl Into<String>, email: Option<String>) -> Self {
        Self { title: title.into(), email, ..Self::default() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_parses_the_servers_shape() {
        let customer: Customer = serde_json::from_str(
            r#"{"id":{"entityType":"CUSTOMER","id":"5e1f0000-3b7e-11ef-9a1d-1b2c3d4e5f60"},"createdTime":1719900000000,
 "tenantId":{"entityType":"TENANT","id":"1a2b3c40-3b7e-11ef-9a1d-1b2c3d4e5f60"},"title":"Flat 12B","name":"Flat 12B",
 "email":"tenants@example.com","phone":null,"country":null,"state":null,"city":null,"address":null,"address2":null,
 "zip":null,"additionalInfo":{"description":"2nd floor"},"externalId":null,"version":1}"#,
        )
        .unwrap();
        assert_eq!(customer.title, "Flat 12B");
        assert_eq!(customer.email.as_deref(), Some("tenants@example.com"));
        assert!(!customer.is_public());
        let public: Customer = serde_json::from_str(
            r#"{"id":{"entityType":"CUSTOMER","id":"5e1f0000-3b7e-11ef-9a1d-1b2c3d4e5f61"},"title":"Public","additionalInfo":{"isPublic":true}}"#,
        )
        .unwrap();
        assert!(public.is_public());
    }

    #[test]
    fn a_new_customer_sends_only_what_is_set() {
        let body = serde_json::to_value(SaveCustomer::new("Flat 12B", None)).unwrap();
        assert_eq!(body, serde_json::json!({"title": "Flat 12B"}));
        let body = serde_json::to_value(SaveCustomer::new("Flat 12B", Some("t@example.com".into()))).unwrap();
        assert_eq!(body, serde_json::json!({"title": "Flat 12B", "email": "t@example.com"}));
    }
}
