//! Asset and device lists (`PageData`) and single-entity reads.

use super::{param, parse_uuid};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::store::{AssetRec, DeviceRec, Store};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::Json;
use std::sync::Arc;
use tb_proto::entity::{Asset, Device, DeviceInfo, PageData};
use tb_proto::{EntityId, EntityType};
use uuid::Uuid;

type Params = Query<Vec<(String, String)>>;

/// `PageLink`: `pageSize`, `page`, `textSearch`, `sortProperty`, `sortOrder`.
#[derive(Debug)]
pub(super) struct PageLink {
    pub(super) page_size: usize,
    pub(super) page: usize,
    /// Lower-cased.
    pub(super) text_search: Option<String>,
    pub(super) sort_property: Option<String>,
    pub(super) descending: bool,
}

fn required_int(query: &[(String, String)], name: &str) -> Result<i64, ApiError> {
    let text = param(query, name).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "Required request parameter '{name}' for method parameter type int is not present"
        ))
    })?;
    text.parse().map_err(|_| ApiError::BadRequest(format!("Failed to convert value of type 'java.lang.String' to required type 'int'; For input string: \"{text}\"")))
}

impl PageLink {
    pub(super) fn parse(query: &[(String, String)]) -> Result<Self, ApiError> {
        let page_size = required_int(query, "pageSize")?;
        let page = required_int(query, "page")?;
        if page_size < 1 {
            return Err(ApiError::BadRequest(format!(
                "Incorrect page link page size '{page_size}'. Page size must be greater than zero."
            )));
        }
        if page < 0 {
            return Err(ApiError::BadRequest(format!(
                "Incorrect page link page '{page}'. Page must be positive integer."
            )));
        }
        let descending = match param(query, "sortOrder") {
            None => false,
            Some(order) if order.eq_ignore_ascii_case("ASC") => false,
            Some(order) if order.eq_ignore_ascii_case("DESC") => true,
            Some(order) => {
                return Err(ApiError::BadRequest(format!(
                    "Unsupported sort order '{order}'! Only 'ASC' or 'DESC' allowed!"
                )))
            }
        };
        Ok(Self {
            page_size: page_size as usize,
            page: page as usize,
            text_search: param(query, "textSearch").filter(|t| !t.is_empty()).map(str::to_lowercase),
            sort_property: param(query, "sortProperty").map(str::to_owned),
            descending,
        })
    }

    pub(super) fn matches(&self, fields: [Option<&str>; 3]) -> bool {
        self.text_search
            .as_ref()
            .is_none_or(|needle| fields.into_iter().flatten().any(|f| f.to_lowercase().contains(needle)))
    }
}

pub(super) use crate::paging::page_of;

/// Fields a list can be sorted by.
struct SortKey<'a> {
    id: Uuid,
    created_time: i64,
    name: &'a str,
    entity_type: &'a str,
    label: &'a str,
}

fn paginate<R, T>(
    link: &PageLink,
    mut rows: Vec<R>,
    key: impl Fn(&R) -> SortKey<'_>,
    render: impl Fn(&R) -> T,
) -> PageData<T> {
    let property = link.sort_property.as_deref().unwrap_or("id");
    rows.sort_by(|a, b| {
        let (a, b) = (key(a), key(b));
        let ordering = match property {
            "name" => a.name.cmp(b.name),
            "createdTime" => a.created_time.cmp(&b.created_time),
            "type" => a.entity_type.cmp(b.entity_type),
            "label" => a.label.cmp(b.label),
            _ => a.id.cmp(&b.id),
        };
        ordering.then(a.id.cmp(&b.id))
    });
    if link.descending {
        rows.reverse();
    }
    let total = rows.len();
    let start = link.page.saturating_mul(link.page_size).min(total);
    let end = start.saturating_add(link.page_size).min(total);
    let data: Vec<T> = rows[start..end].iter().map(render).collect();
    PageData {
        total_pages: total.div_ceil(link.page_size) as i64,
        total_elements: total as i64,
        has_next: total > end,
        data,
    }
}

fn asset_key<'b>(a: &'b &AssetRec) -> SortKey<'b> {
    SortKey {
        id: a.id,
        created_time: a.created_time,
        name: &a.name,
        entity_type: &a.asset_type,
        label: a.label.as_deref().unwrap_or(""),
    }
}

fn device_key<'b>(d: &'b &DeviceRec) -> SortKey<'b> {
    SortKey {
        id: d.id,
        created_time: d.created_time,
        name: &d.name,
        entity_type: &d.device_type,
        label: d.label.as_deref().unwrap_or(""),
    }
}

fn list_assets(
    store: &Store,
    query: &[(String, String)],
    customer: Option<Uuid>,
) -> Result<PageData<Asset>, ApiError> {
    let link = PageLink::parse(query)?;
    let wanted_type = param(query, "type").filter(|t| !t.is_empty());
    let rows: Vec<&AssetRec> = store
        .assets
        .values()
        .filter(|a| customer.is_none_or(|c| a.customer == Some(c)))
        .filter(|a| wanted_type.is_none_or(|t| a.asset_type == t))
        .filter(|a| link.matches([Some(&a.name), a.label.as_deref(), Some(&a.asset_type)]))
        .collect();
    Ok(paginate(&link, rows, asset_key, |a| store.asset_json(a)))
}

fn filtered_devices<'a>(
    store: &'a Store,
    link: &PageLink,
    query: &[(String, String)],
    customer: Option<Uuid>,
) -> Vec<&'a DeviceRec> {
    let wanted_type = param(query, "type").filter(|t| !t.is_empty());
    let active = param(query, "active").and_then(|a| a.parse::<bool>().ok());
    store
        .devices
        .values()
        .filter(|d| customer.is_none_or(|c| d.customer == Some(c)))
        .filter(|d| wanted_type.is_none_or(|t| d.device_type == t))
        .filter(|d| active.is_none_or(|a| d.online == a))
        .filter(|d| link.matches([Some(&d.name), d.label.as_deref(), Some(&d.device_type)]))
        .collect()
}

/// A customer id in the path: a customer user may only name its own customer.
fn check_customer(store: &Store, user: &AuthUser, customer_id: &str) -> Result<Uuid, ApiError> {
    let id = parse_uuid(customer_id)?;
    if let Some(own) = user.viewer().customer {
        if own != id {
            return Err(ApiError::PermissionDenied);
        }
    }
    if store.customer_title(id).is_none() {
        return Err(super::entity_not_found(&EntityId::new(EntityType::Customer, id)));
    }
    Ok(id)
}

pub(super) async fn tenant_assets(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Query(query): Params,
) -> Result<Json<PageData<Asset>>, ApiError> {
    user.require_tenant()?;
    Ok(Json(list_assets(&state.store(), &query, None)?))
}

pub(super) async fn customer_assets(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path(customer_id): Path<String>,
    Query(query): Params,
) -> Result<Json<PageData<Asset>>, ApiError> {
    let store = state.store();
    let customer = check_customer(&store, &user, &customer_id)?;
    Ok(Json(list_assets(&store, &query, Some(customer))?))
}

pub(super) async fn tenant_devices(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Query(query): Params,
) -> Result<Json<PageData<Device>>, ApiError> {
    user.require_tenant()?;
    let store = state.store();
    let link = PageLink::parse(&query)?;
    let rows = filtered_devices(&store, &link, &query, None);
    Ok(Json(paginate(&link, rows, device_key, |d| store.device_json(d))))
}

pub(super) async fn tenant_device_infos(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Query(query): Params,
) -> Result<Json<PageData<DeviceInfo>>, ApiError> {
    user.require_tenant()?;
    let store = state.store();
    let link = PageLink::parse(&query)?;
    let rows = filtered_devices(&store, &link, &query, None);
    Ok(Json(paginate(&link, rows, device_key, |d| store.device_info_json(d))))
}

pub(super) async fn customer_devices(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path(customer_id): Path<String>,
    Query(query): Params,
) -> Result<Json<PageData<Device>>, ApiError> {
    let store = state.store();
    let customer = check_customer(&store, &user, &customer_id)?;
    let link = PageLink::parse(&query)?;
    let rows = filtered_devices(&store, &link, &query, Some(customer));
    Ok(Json(paginate(&link, rows, device_key, |d| store.device_json(d))))
}

pub(super) async fn customer_device_infos(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path(customer_id): Path<String>,
    Query(query): Params,
) -> Result<Json<PageData<DeviceInfo>>, ApiError> {
    let store = state.store();
    let customer = check_customer(&store, &user, &customer_id)?;
    let link = PageLink::parse(&query)?;
    let rows = filtered_devices(&store, &link, &query, Some(customer));
    Ok(Json(paginate(&link, rows, device_key, |d| store.device_info_json(d))))
}

/// `checkEntityId(.., READ)`: 404 when missing, 403 when someone else's.
pub(super) fn check_read(store: &Store, user: &AuthUser, id: &EntityId) -> Result<(), ApiError> {
    if !store.exists(id) {
        return Err(super::entity_not_found(id));
    }
    if !store.can_read(user.viewer(), id) {
        return Err(ApiError::PermissionDenied);
    }
    Ok(())
}

pub(super) async fn asset(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Asset>, ApiError> {
    let id = parse_uuid(&id)?;
    let store = state.store();
    check_read(&store, &user, &EntityId::new(EntityType::Asset, id))?;
    let asset = store.assets.get(&id).ok_or_else(|| ApiError::asset_not_found(id))?;
    Ok(Json(store.asset_json(asset)))
}

fn device_rec<'a>(store: &'a Store, user: &AuthUser, id: &str) -> Result<&'a DeviceRec, ApiError> {
    let id = parse_uuid(id)?;
    check_read(store, user, &EntityId::new(EntityType::Device, id))?;
    store.devices.get(&id).ok_or_else(|| ApiError::device_not_found(id))
}

pub(super) async fn device(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Device>, ApiError> {
    let store = state.store();
    let device = device_rec(&store, &user, &id)?;
    Ok(Json(store.device_json(device)))
}

pub(super) async fn device_info(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<DeviceInfo>, ApiError> {
    let store = state.store();
    let device = device_rec(&store, &user, &id)?;
    Ok(Json(store.device_info_json(device)))
}
