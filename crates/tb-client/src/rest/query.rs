//! The entity data query (`POST /api/entitiesQuery/find`, `EntityQueryController.findEntityDataByQuery`, served since 3.1).

use crate::client::{Client, RequestSpec};
use crate::error::Error;
use crate::rest::history::TsPoint;
use crate::rest::paging::read_pages;
use crate::value::TbValue;
use std::collections::BTreeMap;
use tb_proto::entity::PageData;
use tb_proto::query::{
    AvailableEntityKeys, AvailableEntityKeysV2, EntityData, EntityDataPageLink, EntityDataQuery,
    EntityKeyType,
};
use tb_proto::EntityId;

/// Page size used when the caller wants every row.
const BULK_PAGE: i32 = 1000;

/// One row of an entity data query, its values typed.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityRow {
    pub entity_id: EntityId,
    /// `ENTITY_FIELD` values (`name`, `label`, `type`, ...) as text: never parsed as numbers.
    pub fields: BTreeMap<String, String>,
    /// Latest time-series and attribute values by key type, then key. A key without data is
    /// [`TbValue::Missing`] with `ts` 0.
    pub latest: BTreeMap<EntityKeyType, BTreeMap<String, TsPoint>>,
}

impl EntityRow {
    fn from_wire(data: EntityData) -> Self {
        let mut fields = BTreeMap::new();
        let mut latest = BTreeMap::new();
        for (key_type, values) in data.latest {
            if key_type == EntityKeyType::EntityField {
                fields.extend(values.into_iter().map(|(k, v)| (k, v.value)));
                continue;
            }
            let typed = values
                .into_iter()
                .map(|(k, v)| {
                    let value = if v.ts == 0 && v.value.is_empty() {
                        TbValue::Missing
                    } else {
                        TbValue::from_text(&v.value)
                    };
                    (k, TsPoint { ts: v.ts, value })
                })
                .collect();
            latest.insert(key_type, typed);
        }
        Self { entity_id: data.entity_id, fields, latest }
    }

    /// An entity field (`name`, `label`, ...), if the query asked for it.
    pub fn field(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str)
    }

    /// The latest value of `key` of `key_type`, if the query asked for it.
    pub fn value(&self, key_type: EntityKeyType, key: &str) -> Option<&TsPoint> {
        self.latest.get(&key_type)?.get(key)
    }
}

impl Client {
    /// One page of an entity data query. The query needs an entity filter and a page link;
    /// without them it is refused before sending.
    pub async fn find_entity_data(&self, query: &EntityDataQuery) -> Result<PageData<EntityRow>, Error> {
        if query.entity_filter.is_none() {
            return Err(Error::InvalidArgument("an entity data query needs an entity filter".into()));
        }
        match &query.page_link {
            Some(link) if link.page_size >= 1 && link.page >= 0 => {}
            _ => {
                return Err(Error::InvalidArgument(
                    "an entity data query needs a page link with pageSize >= 1 and page >= 0".into(),
                ))
            }
        }
        let page: PageData<EntityData> =
            self.get_json(RequestSpec::post("api/entitiesQuery/find", query)).await?;
        Ok(PageData {
            data: page.data.into_iter().map(EntityRow::from_wire).collect(),
            total_pages: page.total_pages,
            total_elements: page.total_elements,
            has_next: page.has_next,
        })
    }

    /// Every row of an entity data query, all pages from the first, keeping the query's sort
    /// order and text search (its page size, or 1000 when it has no page link).
    pub async fn find_all_entity_data(&self, query: &EntityDataQuery) -> Result<Vec<EntityRow>, Error> {
        let mut query = query.clone();
        let mut link = query.page_link.take().unwrap_or_else(|| EntityDataPageLink::new(BULK_PAGE, 0));
        link.dynamic = false;
        if link.page_size < 1 {
            link.page_size = BULK_PAGE;
        }
        read_pages("entities", |page| {
            let mut query = query.clone();
            query.page_link =
                Some(EntityDataPageLink { page: i32::try_from(page).unwrap_or(i32::MAX), ..link.clone() });
            async move { self.find_entity_data(&query).await }
        })
        .await
    }

    /// The distinct time-series keys of the entities a query matches (the server looks at its
    /// first 100), sorted. Uses `POST /api/entitiesQuery/find/keys`, and its v2 successor when a
    /// server no longer has it.
    pub async fn timeseries_keys_by_query(&self, query: &EntityDataQuery) -> Result<Vec<String>, Error> {
        let mut query = query.clone();
        // The server caps the page at 100 entities anyway.
        query.page_link = Some(EntityDataPageLink::new(100, 0));
        let v1 = RequestSpec::post("api/entitiesQuery/find/keys", &query)
            .query("timeseries", true)
            .query("attributes", false);
        let mut keys = match self.get_json::<AvailableEntityKeys>(v1).await {
            Ok(found) => found.timeseries,
            // A missing route may answer with an HTML page, so the status alone decides.
            Err(e) if e.status() == Some(404) => {
                let v2 = RequestSpec::post("api/v2/entitiesQuery/find/keys", &query)
                    .query("includeTimeseries", true)
                    .query("includeAttributes", false);
                let found: AvailableEntityKeysV2 = self.get_json(v2).await?;
                found.timeseries.unwrap_or_default().into_iter().map(|k| k.key).collect()
            }
            Err(e) => return Err(e),
        };
        keys.sort();
        keys.dedup();
        Ok(keys)
    }
}
