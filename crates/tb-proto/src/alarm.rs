//! Alarms (`CD/alarm/Alarm`, `AlarmInfo`, `AlarmSeverity`, `AlarmStatus`, `AlarmSearchStatus`),
//! as served by `/api/alarm/...` and `/api/alarms`.

use crate::id::EntityId;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `AlarmSeverity`, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlarmSeverity {
    Critical,
    Major,
    Minor,
    Warning,
    Indeterminate,
}

impl AlarmSeverity {
    pub const ALL: [Self; 5] = [Self::Critical, Self::Major, Self::Minor, Self::Warning, Self::Indeterminate];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "CRITICAL",
            Self::Major => "MAJOR",
            Self::Minor => "MINOR",
            Self::Warning => "WARNING",
            Self::Indeterminate => "INDETERMINATE",
        }
    }

    /// The exact upper-case name (the server parses enums case-sensitively).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// `AlarmStatus`: computed by the server from `cleared` and `acknowledged` (`Alarm.getStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlarmStatus {
    ActiveUnack,
    ActiveAck,
    ClearedUnack,
    ClearedAck,
}

impl AlarmStatus {
    pub const ALL: [Self; 4] = [Self::ActiveUnack, Self::ActiveAck, Self::ClearedUnack, Self::ClearedAck];

    /// `Alarm.getStatus`.
    pub fn of(cleared: bool, acknowledged: bool) -> Self {
        match (cleared, acknowledged) {
            (false, false) => Self::ActiveUnack,
            (false, true) => Self::ActiveAck,
            (true, false) => Self::ClearedUnack,
            (true, true) => Self::ClearedAck,
        }
    }

    pub fn is_cleared(self) -> bool {
        matches!(self, Self::ClearedUnack | Self::ClearedAck)
    }

    pub fn is_ack(self) -> bool {
        matches!(self, Self::ActiveAck | Self::ClearedAck)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ActiveUnack => "ACTIVE_UNACK",
            Self::ActiveAck => "ACTIVE_ACK",
            Self::ClearedUnack => "CLEARED_UNACK",
            Self::ClearedAck => "CLEARED_ACK",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// `AlarmSearchStatus`, the `searchStatus` query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlarmSearchStatus {
    Any,
    Active,
    Cleared,
    Ack,
    Unack,
}

impl AlarmSearchStatus {
    pub const ALL: [Self; 5] = [Self::Any, Self::Active, Self::Cleared, Self::Ack, Self::Unack];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Any => "ANY",
            Self::Active => "ACTIVE",
            Self::Cleared => "CLEARED",
            Self::Ack => "ACK",
            Self::Unack => "UNACK",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether an alarm in `status` is selected by this search status.
    pub fn matches(self, status: AlarmStatus) -> bool {
        match self {
            Self::Any => true,
            Self::Active => !status.is_cleared(),
            Self::Cleared => status.is_cleared(),
            Self::Ack => status.is_ack(),
            Self::Unack => !status.is_ack(),
        }
    }
}

/// `Alarm` (`GET /api/alarm/{id}`). `status` and `name` are read-only on the server
/// (computed from `cleared`/`acknowledged` and equal to `type`); build alarms with
/// [`Alarm::new`] and change them with [`Alarm::set_flags`] to keep them in step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alarm {
    pub id: EntityId,
    #[serde(default)]
    pub created_time: i64,
    #[serde(default)]
    pub tenant_id: Option<EntityId>,
    #[serde(default)]
    pub customer_id: Option<EntityId>,
    #[serde(rename = "type")]
    pub alarm_type: String,
    /// Equal to `type` (`Alarm.getName`).
    #[serde(default)]
    pub name: String,
    pub originator: EntityId,
    pub severity: AlarmSeverity,
    #[serde(default)]
    pub acknowledged: bool,
    #[serde(default)]
    pub cleared: bool,
    /// Computed from `cleared` and `acknowledged`.
    pub status: AlarmStatus,
    #[serde(default)]
    pub assignee_id: Option<EntityId>,
    #[serde(default)]
    pub start_ts: i64,
    #[serde(default)]
    pub end_ts: i64,
    #[serde(default)]
    pub ack_ts: i64,
    #[serde(default)]
    pub clear_ts: i64,
    #[serde(default)]
    pub assign_ts: i64,
    #[serde(default)]
    pub details: Option<Value>,
    #[serde(default)]
    pub propagate: bool,
    #[serde(default)]
    pub propagate_to_owner: bool,
    #[serde(default)]
    pub propagate_to_tenant: bool,
    #[serde(default)]
    pub propagate_relation_types: Vec<String>,
}

impl Alarm {
    /// A new active, unacknowledged alarm raised at `ts` (`createdTime = startTs = endTs = ts`).
    pub fn new(
        id: EntityId,
        alarm_type: &str,
        originator: EntityId,
        severity: AlarmSeverity,
        ts: i64,
    ) -> Self {
        Self {
            id,
            created_time: ts,
            tenant_id: None,
            customer_id: None,
            alarm_type: alarm_type.to_owned(),
            name: alarm_type.to_owned(),
            originator,
            severity,
            acknowledged: false,
            cleared: false,
            status: AlarmStatus::ActiveUnack,
            assignee_id: None,
            start_ts: ts,
            end_ts: ts,
            ack_ts: 0,
            clear_ts: 0,
            assign_ts: 0,
            details: None,
            propagate: false,
            propagate_to_owner: false,
            propagate_to_tenant: false,
            propagate_relation_types: Vec::new(),
        }
    }

    /// Sets `cleared`/`acknowledged` and recomputes `status`.
    pub fn set_flags(&mut self, cleared: bool, acknowledged: bool) {
        self.cleared = cleared;
        self.acknowledged = acknowledged;
        self.status = AlarmStatus::of(cleared, acknowledged);
    }
}

/// `AlarmInfo`: an alarm plus its originator's names and the assignee.
/// `originatorDisplayName` is the label, or the name when the label is empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmInfo {
    #[serde(flatten)]
    pub alarm: Alarm,
    #[serde(default)]
    pub originator_name: Option<String>,
    #[serde(default)]
    pub originator_label: Option<String>,
    #[serde(default)]
    pub originator_display_name: Option<String>,
    /// `AlarmAssignee {id, firstName, lastName, email}` or null.
    #[serde(default)]
    pub assignee: Option<Value>,
}

impl AlarmInfo {
    /// Fills the originator fields the way the alarm info view does (display name falls back label -> name).
    pub fn new(alarm: Alarm, originator_name: &str, originator_label: Option<&str>) -> Self {
        let label = originator_label.filter(|l| !l.is_empty());
        Self {
            alarm,
            originator_name: Some(originator_name.to_owned()),
            originator_label: originator_label.map(str::to_owned),
            originator_display_name: Some(label.unwrap_or(originator_name).to_owned()),
            assignee: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const REFERENCE: &str = r#"{"id": {"entityType": "ALARM", "id": "4a5b6c70-3b7e-11ef-9a1d-1b2c3d4e5f60"}, "createdTime": 1751450900000,
 "tenantId": {"entityType": "TENANT", "id": "1a2b3c40-3b7e-11ef-9a1d-1b2c3d4e5f60"},
 "customerId": {"entityType": "CUSTOMER", "id": "9e8d7c60-3b7e-11ef-9a1d-1b2c3d4e5f60"},
 "type": "High Temperature", "name": "High Temperature",
 "originator": {"entityType": "DEVICE", "id": "6c0a1e20-3b7e-11ef-9a1d-1b2c3d4e5f60"},
 "severity": "MAJOR", "acknowledged": false, "cleared": false, "status": "ACTIVE_UNACK", "assigneeId": null,
 "startTs": 1751450900000, "endTs": 1751451200000, "ackTs": 0, "clearTs": 0, "assignTs": 0,
 "details": {"temperature": 41.3}, "propagate": false, "propagateToOwner": false, "propagateToTenant": false,
 "propagateRelationTypes": [], "originatorName": "Soil probe 7", "originatorLabel": "SP-7",
 "originatorDisplayName": "SP-7", "assignee": null}"#;

    #[test]
    fn reference_alarm_info_round_trips_exactly() {
        let info: AlarmInfo = serde_json::from_str(REFERENCE).unwrap();
        assert_eq!(info.alarm.status, AlarmStatus::ActiveUnack);
        assert_eq!(info.alarm.severity, AlarmSeverity::Major);
        assert_eq!(info.originator_display_name.as_deref(), Some("SP-7"));
        let original: Value = serde_json::from_str(REFERENCE).unwrap();
        assert_eq!(serde_json::to_value(&info).unwrap(), original);
    }

    #[test]
    fn constructors_compute_status_name_and_display_name() {
        let id = serde_json::from_value(
            json!({"entityType": "ALARM", "id": "4a5b6c70-3b7e-11ef-9a1d-1b2c3d4e5f60"}),
        )
        .unwrap();
        let device = serde_json::from_value(
            json!({"entityType": "DEVICE", "id": "6c0a1e20-3b7e-11ef-9a1d-1b2c3d4e5f60"}),
        )
        .unwrap();
        let mut alarm = Alarm::new(id, "High Temperature", device, AlarmSeverity::Major, 5);
        alarm.set_flags(false, true);
        let info = AlarmInfo::new(alarm, "Lobby Thermostat", Some(""));
        let v = serde_json::to_value(&info).unwrap();
        assert_eq!(v["status"], "ACTIVE_ACK");
        assert_eq!(v["name"], "High Temperature");
        assert_eq!(v["originatorDisplayName"], "Lobby Thermostat");
        assert_eq!(v["assignee"], Value::Null);
    }

    #[test]
    fn search_status_selects_like_the_dao() {
        use AlarmSearchStatus as S;
        use AlarmStatus::*;
        assert!(S::Active.matches(ActiveAck) && !S::Active.matches(ClearedUnack));
        assert!(S::Unack.matches(ClearedUnack) && !S::Unack.matches(ActiveAck));
        assert!(S::Ack.matches(ClearedAck) && S::Cleared.matches(ClearedAck));
        assert!(AlarmStatus::ALL.into_iter().all(|s| S::Any.matches(s)));
        assert_eq!(AlarmStatus::of(true, false), ClearedUnack);
        assert_eq!(S::parse("UNACK"), Some(S::Unack));
        assert_eq!(S::parse("unack"), None);
        assert_eq!(AlarmSeverity::parse("WARNING"), Some(AlarmSeverity::Warning));
        assert_eq!(serde_json::to_value(AlarmStatus::ClearedAck).unwrap(), json!("CLEARED_ACK"));
    }
}
