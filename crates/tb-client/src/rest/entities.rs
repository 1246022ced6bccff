//! Assets and devices: tenant or customer endpoints, chosen from the user's authority.

use super::paging::read_pages;
use crate::client::{Client, RequestSpec};
use crate::error::Error;
use tb_proto::auth::Authority;
use tb_proto::entity::{Asset, Device, DeviceInfo, PageData};
use tb_proto::{AssetId, DeviceId};

/// Paging parameters (`pageSize`, `page`, `textSearch`, `sortProperty`, `sortOrder`, `type`).
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    pub page_size: u32,
    pub page: u32,
    pub text_search: Option<String>,
    pub sort_property: Option<String>,
    pub sort_order: Option<String>,
    pub type_filter: Option<String>,
}

impl PageRequest {
    pub fn first(page_size: u32) -> Self {
        Self { page_size, ..Self::default() }
    }

    pub(crate) fn apply(&self, mut spec: RequestSpec) -> RequestSpec {
        spec = spec.query("pageSize", self.page_size).query("page", self.page);
        for (key, value) in [
            ("textSearch", &self.text_search),
            ("sortProperty", &self.sort_property),
            ("sortOrder", &self.sort_order),
            ("type", &self.type_filter),
        ] {
            if let Some(value) = value {
                spec = spec.query(key, value);
            }
        }
        spec
    }
}

/// Name, type and label of an asset or device, as the hierarchy needs them.
#[derive(Debug, Clone, PartialEq)]
pub struct EntitySummary {
    pub id: tb_proto::EntityId,
    pub name: String,
    pub type_name: String,
    pub label: Option<String>,
}

/// Page size used when the caller wants everything.
const BULK_PAGE: u32 = 1000;

impl Client {
    /// The list path for `kind` ("assets"/"devices"), tenant-wide for a tenant admin and the
    /// customer's for a customer user. Chosen from the authority, not from the presence of a customer id.
    async fn list_path(&self, kind: &str) -> Result<String, Error> {
        let principal = self.current_principal().await?;
        match principal.authority {
            Authority::TenantAdmin => Ok(format!("api/tenant/{kind}")),
            Authority::CustomerUser => {
                let customer = principal.customer_id.ok_or_else(|| Error::Api {
                    status: 403,
                    error_code: None,
                    message: "this user belongs to no customer".into(),
                })?;
                Ok(format!("api/customer/{customer}/{kind}"))
            }
            other => Err(Error::Api {
                status: 403,
                error_code: Some(tb_proto::error::code::PERMISSION_DENIED),
                message: format!("a {other:?} user has no buildings to show"),
            }),
        }
    }

    pub async fn assets_page(&self, page: &PageRequest) -> Result<PageData<Asset>, Error> {
        let path = self.list_path("assets").await?;
        self.get_json(page.apply(RequestSpec::get(path))).await
    }

    pub async fn devices_page(&self, page: &PageRequest) -> Result<PageData<Device>, Error> {
        let path = self.list_path("devices").await?;
        self.get_json(page.apply(RequestSpec::get(path))).await
    }

    /// Every asset the user may see, all pages.
    pub async fn all_assets(&self) -> Result<Vec<Asset>, Error> {
        read_pages("assets", |page| async move {
            self.assets_page(&PageRequest { page, ..PageRequest::first(BULK_PAGE) }).await
        })
        .await
    }

    /// Every device the user may see, all pages.
    pub async fn all_devices(&self) -> Result<Vec<Device>, Error> {
        read_pages("devices", |page| async move {
            self.devices_page(&PageRequest { page, ..PageRequest::first(BULK_PAGE) }).await
        })
        .await
    }

    pub async fn asset(&self, id: AssetId) -> Result<Asset, Error> {
        self.get_json(RequestSpec::get(format!("api/asset/{id}"))).await
    }

    pub async fn device(&self, id: DeviceId) -> Result<Device, Error> {
        self.get_json(RequestSpec::get(format!("api/device/{id}"))).await
    }

    /// The device with its profile name and `active` flag.
    pub async fn device_info(&self, id: DeviceId) -> Result<DeviceInfo, Error> {
        self.get_json(RequestSpec::get(format!("api/device/info/{id}"))).await
    }
}
