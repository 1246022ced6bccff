//! Customers and what is assigned to them (`CustomerController`; `AssetController` and
//! `DeviceController` assignment): the tenant administrator's side of sharing a place
//! (`docs/thingsboard-sharing.md`).

use crate::client::{Client, RequestSpec};
use crate::error::Error;
use crate::rest::PageRequest;
use reqwest::Method;
use tb_proto::customer::{Customer, SaveCustomer};
use tb_proto::entity::{Asset, AssetInfo, Device, PageData};
use tb_proto::{AssetId, CustomerId, DeviceId};

/// Rows per page when reading a whole list.
pub(crate) const LIST_PAGE: u32 = 100;
/// Pages read at most for one list, whatever `hasNext` says: 10,000 rows at [`LIST_PAGE`].
pub(crate) const MAX_PAGES: u32 = 100;

/// Reads pages from the first until one is empty, `hasNext` is false or [`MAX_PAGES`] were read.
pub(crate) async fn bounded_pages<T, F, Fut>(first: PageRequest, fetch: F) -> Result<Vec<T>, Error>
where
    F: Fn(PageRequest) -> Fut,
    Fut: std::future::Future<Output = Result<PageData<T>, Error>>,
{
    let mut out = Vec::new();
    let mut page = first;
    for _ in 0..MAX_PAGES {
        let data = fetch(page.clone()).await?;
        let empty = data.data.is_empty();
        out.extend(data.data);
        if empty || !data.has_next {
            return Ok(out);
        }
        page.page += 1;
    }
    tracing::warn!("stopped reading a list after {MAX_PAGES} pages ({} rows)", out.len());
    Ok(out)
}

/// Whether an unassign was refused because the entity belongs to no customer
/// ("Asset isn't assigned to any customer!", 400/31, `AssetController.unassignAssetFromCustomer`).
fn not_assigned(error: &Error) -> bool {
    matches!(error, Error::Api { status: 400, message, .. } if message.contains("isn't assigned to any customer"))
}

impl Client {
    /// One page of the tenant's customers (`GET /api/customers`, tenant administrators only);
    /// `textSearch` matches the title, case-insensitively.
    pub async fn customers_page(&self, page: &PageRequest) -> Result<PageData<Customer>, Error> {
        self.get_json(page.apply(RequestSpec::get("api/customers"))).await
    }

    /// The tenant's customers whose title contains `text_search` (all when `None`), sorted by
    /// title; at most [`MAX_PAGES`] pages are read.
    pub async fn customers(&self, text_search: Option<&str>) -> Result<Vec<Customer>, Error> {
        let first = PageRequest {
            text_search: text_search.map(str::to_owned).filter(|t| !t.is_empty()),
            sort_property: Some("title".into()),
            sort_order: Some("ASC".into()),
            ..PageRequest::first(LIST_PAGE)
        };
        bounded_pages(first, |page| async move { self.customers_page(&page).await }).await
    }

    /// `GET /api/customer/{id}`: a tenant administrator reads any of the tenant's customers, a
    /// customer user only its own.
    pub async fn customer(&self, id: CustomerId) -> Result<Customer, Error> {
        self.get_json(RequestSpec::get(format!("api/customer/{id}"))).await
    }

    /// The tenant's customer with exactly this title (case-sensitive), or `None`
    /// (`GET /api/tenant/customers?customerTitle=`, whose 404 means there is none).
    pub async fn customer_by_title(&self, title: &str) -> Result<Option<Customer>, Error> {
        let spec = RequestSpec::get("api/tenant/customers").query("customerTitle", title);
        match self.get_json(spec).await {
            Ok(customer) => Ok(Some(customer)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates (no `id`) or updates a customer (`POST /api/customer`). A title the tenant already
    /// has is refused with 400 "Customer with such title already exists!".
    pub async fn save_customer(&self, customer: &SaveCustomer) -> Result<Customer, Error> {
        self.get_json(RequestSpec::post("api/customer", customer)).await
    }

    /// `GET /api/asset/info/{id}`: the asset with its customer's title.
    pub async fn asset_info(&self, id: AssetId) -> Result<AssetInfo, Error> {
        self.get_json(RequestSpec::get(format!("api/asset/info/{id}"))).await
    }

    /// Assigns an asset to a customer and answers it as it is now
    /// (`POST /api/customer/{customerId}/asset/{assetId}`). The server moves an asset of another
    /// customer without a word (`BaseAssetService.assignAssetToCustomer`): check the owner first.
    pub async fn assign_asset(&self, customer: CustomerId, asset: AssetId) -> Result<Asset, Error> {
        let spec = RequestSpec::get(format!("api/customer/{customer}/asset/{asset}")).method(Method::POST);
        self.get_json(spec).await
    }

    /// Assigns a device to a customer (`POST /api/customer/{customerId}/device/{deviceId}`);
    /// like [`Client::assign_asset`], it moves a device of another customer.
    pub async fn assign_device(&self, customer: CustomerId, device: DeviceId) -> Result<Device, Error> {
        let spec = RequestSpec::get(format!("api/customer/{customer}/device/{device}")).method(Method::POST);
        self.get_json(spec).await
    }

    /// Takes an asset back from its customer (`DELETE /api/customer/asset/{assetId}`); `None`
    /// when it belonged to no customer (the server's 400 "Asset isn't assigned to any customer!").
    pub async fn unassign_asset(&self, asset: AssetId) -> Result<Option<Asset>, Error> {
        let spec = RequestSpec::get(format!("api/customer/asset/{asset}")).method(Method::DELETE);
        match self.get_json(spec).await {
            Ok(asset) => Ok(Some(asset)),
            Err(e) if not_assigned(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Takes a device back from its customer (`DELETE /api/customer/device/{deviceId}`); `None`
    /// when it belonged to no customer.
    pub async fn unassign_device(&self, device: DeviceId) -> Result<Option<Device>, Error> {
        let spec = RequestSpec::get(format!("api/customer/device/{device}")).method(Method::DELETE);
        match self.get_json(spec).await {
            Ok(device) => Ok(Some(device)),
            Err(e) if not_assigned(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(rows: Vec<u32>, has_next: bool) -> PageData<u32> {
        PageData { total_pages: 0, total_elements: 0, has_next, data: rows }
    }

    #[tokio::test]
    async fn lists_stop_at_an_empty_page_even_when_the_server_says_there_is_more() {
        let calls = std::sync::atomic::AtomicU32::new(0);
        let rows = bounded_pages(PageRequest::first(2), |p| {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            async move { Ok(if p.page == 0 { page(vec![1, 2], true) } else { page(vec![], true) }) }
        })
        .await
        .unwrap();
        assert_eq!(rows, [1, 2]);
        assert_eq!(calls.into_inner(), 2);
    }

    #[tokio::test]
    async fn lists_stop_after_the_page_cap() {
        let calls = std::sync::atomic::AtomicU32::new(0);
        let rows = bounded_pages(PageRequest::first(1), |_| {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            async { Ok(page(vec![7], true)) }
        })
        .await
        .unwrap();
        assert_eq!(rows.len(), MAX_PAGES as usize);
        assert_eq!(calls.into_inner(), MAX_PAGES);
    }

    #[test]
    fn only_the_not_assigned_refusal_counts_as_nothing_to_unassign() {
        let api =
            |status, message: &str| Error::Api { status, error_code: Some(31), message: message.into() };
        assert!(not_assigned(&api(400, "Asset isn't assigned to any customer!")));
        assert!(not_assigned(&api(400, "Device isn't assigned to any customer!")));
        assert!(!not_assigned(&api(400, "Invalid UUID string: x")));
        assert!(!not_assigned(&api(404, "Asset with id [x] is not found")));
    }
}
