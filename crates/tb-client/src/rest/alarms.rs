//! Alarms (`AlarmController`): lists of one entity's alarms or of everything the user may see;
//! alarms of the entities a query selects (`EntityQueryController`).

use crate::client::{Client, RequestSpec};
use crate::error::{AlarmAction, Error};
use crate::rest::paging::read_pages;
use crate::rest::PageRequest;
use reqwest::Method;
use tb_proto::alarm::{AlarmInfo, AlarmSearchStatus};
use tb_proto::entity::PageData;
use tb_proto::query::{AlarmData, AlarmDataQuery};
use tb_proto::EntityId;
use uuid::Uuid;

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
        read_pages("alarms", |page| async move {
            let page = PageRequest {
                page,
                sort_property: Some("createdTime".into()),
                sort_order: Some("DESC".into()),
                ..PageRequest::first(BULK_PAGE)
            };
            self.alarms_page(entity, search_status, &page).await
        })
        .await
    }

    /// One page of the alarms of the entities an alarm data query selects
    /// (`POST /api/alarmsQuery/find`). The server looks at the first 10,000 entities (by creation
    /// time; `server.ws.max_entities_per_alarm_subscription`) only. The query needs an entity
    /// filter and a page link; without them it is refused before sending.
    pub async fn find_alarm_data(&self, query: &AlarmDataQuery) -> Result<PageData<AlarmData>, Error> {
        if query.entity_filter.is_none() {
            return Err(Error::InvalidArgument("an alarm data query needs an entity filter".into()));
        }
        match &query.page_link {
            Some(link) if link.page_size >= 1 && link.page >= 0 => {}
            _ => {
                return Err(Error::InvalidArgument(
                    "an alarm data query needs a page link with pageSize >= 1 and page >= 0".into(),
                ))
            }
        }
        self.get_json(RequestSpec::post("api/alarmsQuery/find", query)).await
    }

    /// Every page of an alarm data query from the first, keeping its filters and sort order.
    pub async fn find_all_alarm_data(&self, query: &AlarmDataQuery) -> Result<Vec<AlarmData>, Error> {
        read_pages("alarms", |page| {
            let mut query = query.clone();
            if let Some(link) = query.page_link.as_mut() {
                link.page = i32::try_from(page).unwrap_or(i32::MAX);
            }
            async move { self.find_alarm_data(&query).await }
        })
        .await
    }

    /// `GET /api/alarm/info/{alarmId}`.
    pub async fn alarm_info(&self, id: Uuid) -> Result<AlarmInfo, Error> {
        self.get_json(RequestSpec::get(format!("api/alarm/info/{id}"))).await
    }

    /// Acknowledges an alarm and returns it as it is now. An alarm that was already acknowledged
    /// is [`Error::AlarmAlreadyDone`].
    pub async fn ack_alarm(&self, id: Uuid) -> Result<AlarmInfo, Error> {
        self.change_alarm(id, AlarmAction::Acknowledge).await
    }

    /// Clears an alarm and returns it as it is now. An alarm that was already cleared
    /// is [`Error::AlarmAlreadyDone`].
    pub async fn clear_alarm(&self, id: Uuid) -> Result<AlarmInfo, Error> {
        self.change_alarm(id, AlarmAction::Clear).await
    }

    async fn change_alarm(&self, id: Uuid, action: AlarmAction) -> Result<AlarmInfo, Error> {
        let verb = match action {
            AlarmAction::Acknowledge => "ack",
            AlarmAction::Clear => "clear",
        };
        let spec = RequestSpec::get(format!("api/alarm/{id}/{verb}")).method(Method::POST);
        let raw = self.execute(&spec).await?;
        if !raw.status.is_success() {
            return Err(match raw.into_error() {
                // "Alarm was already acknowledged!" / "Alarm was already cleared!" (400/31).
                Error::Api { status: 400, message, .. } if message.contains("already") => {
                    Error::AlarmAlreadyDone { action }
                }
                other => other,
            });
        }
        // Servers before 3.5 answer 200 with an empty body: read the alarm back.
        if raw.body.iter().all(u8::is_ascii_whitespace) {
            return self.alarm_info(id).await;
        }
        raw.json()
    }
}
