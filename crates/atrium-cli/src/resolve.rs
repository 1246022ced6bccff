//! `<device>` and `<entity>` arguments: a UUID is used as-is, a name must match exactly one entity
//! the user can see (tenant or customer list endpoints, narrowed by `textSearch`).

use crate::failure::Failure;
use tb_client::proto::entity::PageData;
use tb_client::proto::{AssetId, DeviceId, EntityId};
use tb_client::{Client, Error, PageRequest};
use uuid::Uuid;

const PAGE: u32 = 100;

/// A device by UUID or unique name.
pub(crate) async fn device(client: &Client, arg: &str) -> anyhow::Result<DeviceId> {
    if let Ok(id) = Uuid::parse_str(arg) {
        return Ok(DeviceId(id));
    }
    let found = devices_named(client, arg).await?;
    one(arg, "device", found)
}

/// A device or an asset by UUID or unique name. A UUID is looked up to learn which it is.
pub(crate) async fn entity(client: &Client, arg: &str) -> anyhow::Result<EntityId> {
    if let Ok(id) = Uuid::parse_str(arg) {
        return match client.device(DeviceId(id)).await {
            Ok(_) => Ok(DeviceId(id).entity_id()),
            Err(e) if e.is_not_found() || e.is_forbidden() => match client.asset(AssetId(id)).await {
                Ok(_) => Ok(AssetId(id).entity_id()),
                Err(e) if e.is_not_found() || e.is_forbidden() => {
                    Err(Failure::not_found(format!("no device or asset with id {id}")).into())
                }
                Err(e) => Err(e.into()),
            },
            Err(e) => Err(e.into()),
        };
    }
    let (devices, assets) = tokio::try_join!(devices_named(client, arg), assets_named(client, arg))?;
    let mut found: Vec<EntityId> = devices.into_iter().map(EntityId::from).collect();
    found.extend(assets.into_iter().map(EntityId::from));
    one(arg, "device or asset", found)
}

fn one<Id: Copy + Into<EntityId>>(name: &str, what: &str, found: Vec<Id>) -> anyhow::Result<Id> {
    match found.as_slice() {
        [] => Err(Failure::not_found(format!("no {what} named {name}")).into()),
        [id] => Ok(*id),
        many => {
            let list: Vec<String> = many
                .iter()
                .map(|&id| {
                    let e: EntityId = id.into();
                    format!("{} {}", e.entity_type.as_str(), e.id)
                })
                .collect();
            Err(Failure::not_found(format!(
                "{} entities are named {name}: {}; use the id instead",
                many.len(),
                list.join(", ")
            ))
            .into())
        }
    }
}

async fn devices_named(client: &Client, name: &str) -> Result<Vec<DeviceId>, Error> {
    let mut out = Vec::new();
    let mut page = search(name);
    loop {
        let data = client.devices_page(&page).await?;
        out.extend(data.data.iter().filter(|d| d.name == name).map(|d| d.id));
        if !next(&mut page, &data) {
            return Ok(out);
        }
    }
}

async fn assets_named(client: &Client, name: &str) -> Result<Vec<AssetId>, Error> {
    let mut out = Vec::new();
    let mut page = search(name);
    loop {
        let data = client.assets_page(&page).await?;
        out.extend(data.data.iter().filter(|a| a.name == name).map(|a| a.id));
        if !next(&mut page, &data) {
            return Ok(out);
        }
    }
}

fn search(name: &str) -> PageRequest {
    PageRequest { text_search: Some(name.to_owned()), ..PageRequest::first(PAGE) }
}

fn next<T>(page: &mut PageRequest, data: &PageData<T>) -> bool {
    page.page += 1;
    data.has_next
}
