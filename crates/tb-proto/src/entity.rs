//! Assets, devices and `PageData` (`CD/asset/Asset`, `CD/Device`, `CD/page/PageData`).

use crate::id::{AssetId, CustomerId, DeviceId, DeviceProfileId, EntityId};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One page of a paged list: `{"data": [...], "totalPages", "totalElements", "hasNext"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageData<T> {
    pub data: Vec<T>,
    pub total_pages: i64,
    pub total_elements: i64,
    pub has_next: bool,
}

impl<T> PageData<T> {
    /// `new PageData<>()`: no rows, no pages.
    pub fn empty() -> Self {
        Self { data: Vec::new(), total_pages: 0, total_elements: 0, has_next: false }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Asset {
    pub id: AssetId,
    #[serde(default)]
    pub created_time: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<EntityId>,
    /// The NULL customer when unassigned; see [`CustomerId::assigned`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<CustomerId>,
    pub name: String,
    #[serde(rename = "type")]
    pub asset_type: String,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset_profile_id: Option<EntityId>,
    #[serde(default)]
    pub additional_info: Option<Value>,
    #[serde(default)]
    pub external_id: Option<EntityId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    pub id: DeviceId,
    #[serde(default)]
    pub created_time: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<EntityId>,
    /// The NULL customer when unassigned; see [`CustomerId::assigned`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<CustomerId>,
    pub name: String,
    /// The device profile's name.
    #[serde(rename = "type")]
    pub device_type: String,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_profile_id: Option<DeviceProfileId>,
    #[serde(default)]
    pub firmware_id: Option<EntityId>,
    #[serde(default)]
    pub software_id: Option<EntityId>,
    #[serde(default)]
    pub device_data: Option<Value>,
    #[serde(default)]
    pub additional_info: Option<Value>,
    #[serde(default)]
    pub external_id: Option<EntityId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
}

impl Asset {
    /// The customer it is assigned to, if any (absent, `null` and the NULL customer are none).
    pub fn customer(&self) -> Option<CustomerId> {
        CustomerId::assigned(self.customer_id)
    }
}

impl Device {
    /// The customer it is assigned to, if any (absent, `null` and the NULL customer are none).
    pub fn customer(&self) -> Option<CustomerId> {
        CustomerId::assigned(self.customer_id)
    }
}

/// `AssetInfo` (`GET /api/asset/info/{id}`): an asset plus its customer's title and profile name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetInfo {
    #[serde(flatten)]
    pub asset: Asset,
    #[serde(default)]
    pub customer_title: Option<String>,
    #[serde(default)]
    pub customer_is_public: bool,
    #[serde(default)]
    pub asset_profile_name: Option<String>,
}

/// `DeviceInfo`: a device plus its customer, profile name and connectivity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceInfo {
    #[serde(flatten)]
    pub device: Device,
    #[serde(default)]
    pub customer_title: Option<String>,
    #[serde(default)]
    pub customer_is_public: bool,
    #[serde(default)]
    pub device_profile_name: Option<String>,
    #[serde(default)]
    pub active: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_parses_reference_example() {
        let asset: Asset = serde_json::from_str(
            r#"{"id": {"entityType": "ASSET", "id": "0f4e5d60-3b7e-11ef-9a1d-1b2c3d4e5f60"}, "createdTime": 1719830400000,
 "tenantId": {"entityType": "TENANT", "id": "1a2b3c40-3b7e-11ef-9a1d-1b2c3d4e5f60"},
 "customerId": {"entityType": "CUSTOMER", "id": "13814000-1dd2-11b2-8080-808080808080"},
 "name": "Greenhouse North", "type": "greenhouse", "label": "GH-N",
 "assetProfileId": {"entityType": "ASSET_PROFILE", "id": "2b3c4d50-3b7e-11ef-9a1d-1b2c3d4e5f60"},
 "additionalInfo": {"description": "Tomatoes"}, "externalId": null, "version": 4}"#,
        )
        .unwrap();
        assert_eq!(asset.asset_type, "greenhouse");
        assert_eq!(asset.label.as_deref(), Some("GH-N"));
    }

    #[test]
    fn asset_info_carries_the_customer_title_and_tolerates_new_fields() {
        let info: AssetInfo = serde_json::from_str(
            r#"{"id":{"entityType":"ASSET","id":"0f4e5d60-3b7e-11ef-9a1d-1b2c3d4e5f60"},"createdTime":1719830400000,
 "tenantId":{"entityType":"TENANT","id":"1a2b3c40-3b7e-11ef-9a1d-1b2c3d4e5f60"},
 "customerId":{"entityType":"CUSTOMER","id":"5e1f0000-3b7e-11ef-9a1d-1b2c3d4e5f60"},
 "name":"Flat 12B","type":"apartment","label":null,
 "assetProfileId":{"entityType":"ASSET_PROFILE","id":"2b3c4d50-3b7e-11ef-9a1d-1b2c3d4e5f60"},
 "additionalInfo":null,"externalId":null,"version":3,
 "customerTitle":"Tenants of 12B","customerIsPublic":false,"assetProfileName":"apartment","somethingNew":1}"#,
        )
        .unwrap();
        assert_eq!(info.customer_title.as_deref(), Some("Tenants of 12B"));
        assert!(info.asset.customer().is_some());
    }

    #[test]
    fn unassigned_reads_the_same_whether_null_absent_or_the_null_customer() {
        let base = r#""id":{"entityType":"DEVICE","id":"6c0a1e20-3b7e-11ef-9a1d-1b2c3d4e5f60"},"name":"d","type":"t""#;
        for customer in [
            "",
            r#","customerId":null"#,
            r#","customerId":{"entityType":"CUSTOMER","id":"13814000-1dd2-11b2-8080-808080808080"}"#,
        ] {
            let device: Device = serde_json::from_str(&format!("{{{base}{customer}}}")).unwrap();
            assert_eq!(device.customer(), None, "{customer}");
        }
    }

    #[test]
    fn page_data_shape() {
        let page: PageData<u32> =
            serde_json::from_str(r#"{"data":[1,2],"totalPages":3,"totalElements":27,"hasNext":true}"#)
                .unwrap();
        assert!(page.has_next);
        assert_eq!(page.data, vec![1, 2]);
    }
}
