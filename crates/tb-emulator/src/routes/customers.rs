//! Customers (`CustomerController`) and assigning assets and devices to them
//! (`AssetController`, `DeviceController`): tenant administrators only, except reading one's own
//! customer.

use super::entities::{page_of, PageLink};
use super::{entity_not_found, json_body, param, parse_uuid};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::store::{CustomerRec, Store};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::Json;
use std::sync::Arc;
use tb_proto::customer::{Customer, SaveCustomer};
use tb_proto::entity::{Asset, AssetInfo, Device, PageData};
use tb_proto::{EntityId, EntityType};
use uuid::Uuid;

type Params = Query<Vec<(String, String)>>;

/// `POST /api/customer` (`CustomerController.saveCustomer`).
pub(super) async fn save(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    body: Bytes,
) -> Result<Json<Customer>, ApiError> {
    user.require_tenant()?;
    let body: SaveCustomer = json_body(&body)?;
    Ok(Json(state.store().save_customer(body, crate::clock::now_ms())?))
}

/// `GET /api/customers`: the tenant's customers, `textSearch` on the title.
pub(super) async fn list(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Query(query): Params,
) -> Result<Json<PageData<Customer>>, ApiError> {
    user.require_tenant()?;
    let link = PageLink::parse(&query)?;
    let store = state.store();
    let mut rows: Vec<&CustomerRec> =
        store.customers.iter().filter(|c| link.matches([Some(&c.title), None, None])).collect();
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    rows.sort_by(|a, b| {
        let ordering = match link.sort_property.as_deref() {
            Some("title") => a.title.cmp(&b.title),
            Some("email") => text(&a.email).cmp(&text(&b.email)),
            Some("createdTime") => a.created_time.cmp(&b.created_time),
            _ => a.id.cmp(&b.id),
        };
        ordering.then(a.id.cmp(&b.id))
    });
    if link.descending {
        rows.reverse();
    }
    let rows: Vec<Customer> = rows.into_iter().map(|c| store.customer_json(c)).collect();
    Ok(Json(page_of(link.page_size, link.page, rows)))
}

/// `GET /api/customer/{id}`: a customer user reads only its own customer
/// (`CustomerUserPermissions.customerPermissionChecker`).
pub(super) async fn one(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Customer>, ApiError> {
    let id = parse_uuid(&id)?;
    let store = state.store();
    let customer = existing(&store, id)?;
    if user.viewer().customer.is_some_and(|own| own != id) {
        return Err(ApiError::PermissionDenied);
    }
    Ok(Json(store.customer_json(customer)))
}

/// `GET /api/tenant/customers?customerTitle=` (`CustomerController.getTenantCustomer`).
pub(super) async fn by_title(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Query(query): Params,
) -> Result<Json<Customer>, ApiError> {
    user.require_tenant()?;
    // The mapping has `params = {"customerTitle"}`: without it no handler matches.
    let title = param(&query, "customerTitle").ok_or_else(|| {
        ApiError::BadRequest(
            "Parameter conditions \"customerTitle\" not met for actual request parameters".into(),
        )
    })?;
    let store = state.store();
    let customer = store
        .customer_by_title(title)
        .ok_or_else(|| ApiError::NotFound(format!("Customer with title [{title}] is not found")))?;
    Ok(Json(store.customer_json(customer)))
}

fn existing(store: &Store, id: Uuid) -> Result<&CustomerRec, ApiError> {
    store.customer(id).ok_or_else(|| entity_not_found(&EntityId::new(EntityType::Customer, id)))
}

/// `toUUID(customerId)`, `checkCustomerId(READ)`, `toUUID(entityId)`, `checkAssetId`: in the
/// controller's order, so an unknown customer wins over an unknown or malformed entity id.
fn assignment(
    store: &Store,
    customer: &str,
    entity: &str,
    entity_type: EntityType,
) -> Result<(Uuid, EntityId), ApiError> {
    let customer = parse_uuid(customer)?;
    existing(store, customer)?;
    let entity = EntityId::new(entity_type, parse_uuid(entity)?);
    if !store.exists(&entity) {
        return Err(entity_not_found(&entity));
    }
    Ok((customer, entity))
}

/// `POST /api/customer/{customerId}/asset/{assetId}`: another customer's asset moves, the same
/// customer's stays as it is (`BaseAssetService.assignAssetToCustomer`).
pub(super) async fn assign_asset(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path((customer, asset)): Path<(String, String)>,
) -> Result<Json<Asset>, ApiError> {
    user.require_tenant()?;
    let mut store = state.store();
    let (customer, asset) = assignment(&store, &customer, &asset, EntityType::Asset)?;
    store.set_owner(asset, Some(customer));
    let record = store.assets.get(&asset.id).ok_or_else(|| entity_not_found(&asset))?;
    Ok(Json(store.asset_json(record)))
}

/// `POST /api/customer/{customerId}/device/{deviceId}` (`DeviceServiceImpl.assignDeviceToCustomer`).
pub(super) async fn assign_device(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path((customer, device)): Path<(String, String)>,
) -> Result<Json<Device>, ApiError> {
    user.require_tenant()?;
    let mut store = state.store();
    let (customer, device) = assignment(&store, &customer, &device, EntityType::Device)?;
    store.set_owner(device, Some(customer));
    let record = store.devices.get(&device.id).ok_or_else(|| entity_not_found(&device))?;
    Ok(Json(store.device_json(record)))
}

/// `AssetController.unassignAssetFromCustomer` and its device twin: 400 when no customer has
/// it, 404 for a customer that no longer exists.
fn unassign(store: &mut Store, entity: EntityId, kind: &str) -> Result<(), ApiError> {
    let owner = match entity.entity_type {
        EntityType::Asset => store.assets.get(&entity.id).map(|a| a.customer),
        _ => store.devices.get(&entity.id).map(|d| d.customer),
    };
    let owner = owner.ok_or_else(|| entity_not_found(&entity))?;
    let Some(customer) = owner else {
        return Err(ApiError::BadRequest(format!("{kind} isn't assigned to any customer!")));
    };
    existing(store, customer)?;
    store.set_owner(entity, None);
    Ok(())
}

/// `DELETE /api/customer/asset/{assetId}`.
pub(super) async fn unassign_asset(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path(asset): Path<String>,
) -> Result<Json<Asset>, ApiError> {
    user.require_tenant()?;
    let asset = EntityId::new(EntityType::Asset, parse_uuid(&asset)?);
    let mut store = state.store();
    unassign(&mut store, asset, "Asset")?;
    let record = store.assets.get(&asset.id).ok_or_else(|| entity_not_found(&asset))?;
    Ok(Json(store.asset_json(record)))
}

/// `DELETE /api/customer/device/{deviceId}`.
pub(super) async fn unassign_device(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path(device): Path<String>,
) -> Result<Json<Device>, ApiError> {
    user.require_tenant()?;
    let device = EntityId::new(EntityType::Device, parse_uuid(&device)?);
    let mut store = state.store();
    unassign(&mut store, device, "Device")?;
    let record = store.devices.get(&device.id).ok_or_else(|| entity_not_found(&device))?;
    Ok(Json(store.device_json(record)))
}

/// `GET /api/asset/info/{id}`.
pub(super) async fn asset_info(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<AssetInfo>, ApiError> {
    let id = parse_uuid(&id)?;
    let store = state.store();
    super::entities::check_read(&store, &user, &EntityId::new(EntityType::Asset, id))?;
    let asset = store.assets.get(&id).ok_or_else(|| ApiError::asset_not_found(id))?;
    Ok(Json(store.asset_info_json(asset)))
}
