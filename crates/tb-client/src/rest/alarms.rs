//! Alarms (`AlarmController`): lists of one entity's alarms or of everything the user may see.

use crate::client::{Client, RequestSpec};
use crate::error::Error;
use crate::rest::PageRequest;
use tb_proto::alarm::{AlarmInfo, AlarmSearchStatus};
use tb_proto::entity::PageData;
use tb_proto::EntityId;

/// Page size used when the caller wants every alarm.
const BULK_PAGE: u32 = 1000;

impl Client {
    /// One page of alarms with `searchStatus`: of `entity` (`GET /api/alarm/{type}/{id}`), or of
    /// everything the user may see (`GET /api/alarms`: the tenant's, or the customer's for a customer user).
    pub async fn alarms_page(
        &self,
        entity: Option<EntityId>,
        search_status: AlarmSearchStatus,
        page: &PageRequest,
    ) -> Result<PageData<AlarmInfo>, Error> {
        let path = match entity {
            Some(entity) => format!("api/alarm/{}/{}", entity.entity_type.as_str(), entity.id),
            None => "api/alarms".to_owned(),
        };
        let mut spec = RequestSpec::get(path)
            .query("searchStatus", search_status.as_str())
            .query("pageSize", page.page_size)
            .query("page", page.page);
        for (key, value) in [
            ("textSearch", &page.text_search),
            ("sortProperty", &page.sort_property),
            ("sortOrder", &page.sort_order),
        ] {
            if let Some(value) = value {
                spec = spec.query(key, value);
            }
        }
        self.get_json(spec).await
    }

    /// Every alarm with `searchStatus`, of `entity` or of everything the user may see, all pages,
    /// newest first.
    pub async fn all_alarms(
        &self,
        entity: Option<EntityId>,
        search_status: AlarmSearchStatus,
    ) -> Result<Vec<AlarmInfo>, Error> {
        let mut page = PageRequest {
            sort_property: Some("createdTime".into()),
            sort_order: Some("DESC".into()),
            ..PageRequest::first(BULK_PAGE)
        };
        let mut out = Vec::new();
        loop {
            let data = self.alarms_page(entity, search_status, &page).await?;
            out.extend(data.data);
            if !data.has_next {
                return Ok(out);
            }
            page.page += 1;
        }
    }
}
