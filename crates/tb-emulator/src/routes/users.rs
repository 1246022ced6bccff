//! Users (`UserController`): creating customer users, listing a customer's users, reading one,
//! activation links; and activation itself (`AuthController`, no authentication).

use super::entities::{page_of, PageLink};
use super::{entity_not_found, json_body, param, parse_uuid};
use crate::auth::{AuthUser, Credentials, UserRec};
use crate::error::ApiError;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::sync::Arc;
use tb_proto::auth::{Authority, JwtPair};
use tb_proto::entity::PageData;
use tb_proto::id::NULL_UUID;
use tb_proto::user::{ActivateUserRequest, SaveUser, User, UserActivationLink};
use tb_proto::{EntityId, EntityType};
use uuid::Uuid;

type Params = Query<Vec<(String, String)>>;

/// `POST /api/user[?sendActivationMail=true|false]` (`UserController.saveUser`,
/// `UserDataValidator`). The emulator sends no mail, like a fresh install whose mail settings
/// point at nothing: asking for the mail (the default) fails as the server does, deleting the
/// new user and answering 500 "Couldn't send user activation email" (3.9 and later).
pub(super) async fn save(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Query(query): Params,
    body: Bytes,
) -> Result<Json<User>, ApiError> {
    // A customer user may change only itself (`CustomerUserPermissions.userPermissionChecker`),
    // and a new user has no id yet.
    user.require_tenant()?;
    let body: SaveUser = json_body(&body)?;
    if body.id.is_some() {
        return Err(ApiError::BadRequest("Updating users is not served by the emulator".into()));
    }
    let send_mail = match param(&query, "sendActivationMail") {
        None => true,
        Some(text) => text.parse::<bool>().map_err(|_| {
            ApiError::BadRequest(format!(
                "Failed to convert value of type 'java.lang.String' to required type 'boolean'; Invalid boolean value [{text}]"
            ))
        })?,
    };
    let email = body.email.trim().to_owned();
    if email.is_empty() {
        return Err(ApiError::BadRequest("User email should be specified!".into()));
    }
    crate::data_validator::check_email(&email)?;
    for (field, value) in [("firstName", &body.first_name), ("lastName", &body.last_name)] {
        crate::data_validator::check_length(field, value.as_deref().unwrap_or_default())?;
    }
    let authority =
        body.authority.ok_or_else(|| ApiError::BadRequest("User authority isn't defined!".into()))?;
    let customer = body.customer_id.map(|c| c.uuid()).filter(|c| *c != NULL_UUID);
    match authority {
        Authority::CustomerUser if customer.is_none() => {
            return Err(ApiError::BadRequest("Customer user should be assigned to customer!".into()))
        }
        Authority::TenantAdmin if customer.is_some() => {
            return Err(ApiError::BadRequest("Tenant administrator can't be assigned to customer!".into()))
        }
        Authority::CustomerUser | Authority::TenantAdmin => {}
        // `TenantAdminPermissions`: a tenant administrator may not make system administrators.
        _ => return Err(ApiError::PermissionDenied),
    }
    let customer_title =
        match customer {
            Some(id) => Some(state.store().customer(id).map(|c| c.title.clone()).ok_or_else(|| {
                ApiError::BadRequest("User is referencing to non-existent customer!".into())
            })?),
            None => None,
        };
    let now = crate::clock::now_ms();
    let record = UserRec {
        id: Uuid::new_v4(),
        created_time: now,
        email,
        credentials: Credentials::default(),
        authority,
        customer,
        customer_title,
        first_name: body.first_name.unwrap_or_default(),
        last_name: body.last_name.unwrap_or_default(),
        phone: body.phone,
        additional_info: body.additional_info,
        two_factor: None,
        must_set_up_two_factor: false,
    };
    let created = state.auth.create_user(record, now)?;
    if send_mail {
        state.auth.delete_user(created.id);
        return Err(ApiError::General("Couldn't send user activation email".into()));
    }
    Ok(Json(state.auth.user_json(&created)))
}

/// `checkUserId(READ)`: a tenant administrator reads the tenant's users; a customer user the
/// customer users of its own customer (`CustomerUserPermissions.userPermissionChecker`).
fn readable(state: &AppState, user: &AuthUser, id: &str) -> Result<UserRec, ApiError> {
    let id = parse_uuid(id)?;
    let record = state.auth.user(id).ok_or_else(|| entity_not_found(&EntityId::new(EntityType::User, id)))?;
    let allowed = match user.authority {
        Authority::TenantAdmin => record.authority != Authority::SysAdmin,
        Authority::CustomerUser => {
            record.authority == Authority::CustomerUser && record.customer == user.customer
        }
        _ => false,
    };
    if allowed {
        Ok(record)
    } else {
        Err(ApiError::PermissionDenied)
    }
}

/// `GET /api/user/{id}`, with the activation state in `additionalInfo` (3.9 and later).
pub(super) async fn one(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<User>, ApiError> {
    let record = readable(&state, &user, &id)?;
    Ok(Json(state.auth.user_info_json(&record)))
}

/// `GET /api/customer/{customerId}/users`: tenant administrators only; the customer's
/// `CUSTOMER_USER`s, `textSearch` on the e-mail address (`UserRepository.findUsersByAuthority`).
pub(super) async fn of_customer(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path(customer): Path<String>,
    Query(query): Params,
) -> Result<Json<PageData<User>>, ApiError> {
    user.require_tenant()?;
    let customer = parse_uuid(&customer)?;
    if state.store().customer(customer).is_none() {
        return Err(entity_not_found(&EntityId::new(EntityType::Customer, customer)));
    }
    let link = PageLink::parse(&query)?;
    let mut rows: Vec<UserRec> = state
        .auth
        .users()
        .into_iter()
        .filter(|u| u.authority == Authority::CustomerUser && u.customer == Some(customer))
        .filter(|u| link.matches([Some(&u.email), None, None]))
        .collect();
    rows.sort_by(|a, b| {
        let ordering = match link.sort_property.as_deref() {
            Some("email") => a.email.cmp(&b.email),
            Some("firstName") => a.first_name.cmp(&b.first_name),
            Some("lastName") => a.last_name.cmp(&b.last_name),
            Some("createdTime") => a.created_time.cmp(&b.created_time),
            _ => a.id.cmp(&b.id),
        };
        ordering.then(a.id.cmp(&b.id))
    });
    if link.descending {
        rows.reverse();
    }
    let rows: Vec<User> = rows.iter().map(|u| state.auth.user_json(u)).collect();
    Ok(Json(page_of(link.page_size, link.page, rows)))
}

/// `MiscUtils.constructBaseUrl`: scheme and port from `X-Forwarded-*` when present, else from
/// the request; the port is always written, even 80 or 443.
fn base_url(headers: &HeaderMap) -> String {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let scheme = get("x-forwarded-proto").unwrap_or("http");
    let host_header = get("host").unwrap_or("127.0.0.1");
    let (host, request_port) = match host_header.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => (host, Some(port)),
        _ => (host_header, None),
    };
    let port = match (get("x-forwarded-port"), get("x-forwarded-proto")) {
        (Some(port), _) => port.to_owned(),
        (None, Some("https")) => "443".to_owned(),
        (None, Some(_)) => "80".to_owned(),
        (None, None) => request_port.unwrap_or("80").to_owned(),
    };
    format!("{scheme}://{host}:{port}")
}

/// The link and time left for `GET /api/user/{id}/activationLink[Info]`: tenant administrators
/// only (`@PreAuthorize("hasAnyAuthority('SYS_ADMIN', 'TENANT_ADMIN')")`).
fn activation_link(
    state: &AppState,
    user: &AuthUser,
    id: &str,
    headers: &HeaderMap,
) -> Result<UserActivationLink, ApiError> {
    user.require_tenant()?;
    let record = readable(state, user, id)?;
    let (token, ttl_ms) = state.auth.activation_token(record.id, crate::clock::now_ms())?;
    Ok(UserActivationLink {
        value: format!("{}/api/noauth/activate?activateToken={token}", base_url(headers)),
        ttl_ms,
    })
}

/// Whether an `Accept` header takes `text/plain` (the mapping `produces` only that).
fn accepts_text(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT).iter().next().is_none()
        || headers.get_all(header::ACCEPT).iter().filter_map(|v| v.to_str().ok()).any(|v| {
            v.split(',')
                .map(|t| t.split(';').next().unwrap_or("").trim())
                .any(|t| matches!(t, "text/plain" | "text/*" | "*/*"))
        })
}

/// `GET /api/user/{id}/activationLink`: the bare URL as `text/plain`; 400 "User is already
/// activated!" once the user has a password.
pub(super) async fn link(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    // Spring refuses a request that accepts nothing the mapping produces before the controller runs.
    if !accepts_text(&headers) {
        return Err(ApiError::Status(StatusCode::NOT_ACCEPTABLE));
    }
    let link = activation_link(&state, &user, &id, &headers)?;
    Ok(([(header::CONTENT_TYPE, "text/plain;charset=UTF-8")], link.value).into_response())
}

/// `GET /api/user/{id}/activationLinkInfo` (3.8 and later): `{"value", "ttlMs"}`.
pub(super) async fn link_info(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<UserActivationLink>, ApiError> {
    Ok(Json(activation_link(&state, &user, &id, &headers)?))
}

/// `GET /api/noauth/activate?activateToken=` (`AuthController.checkActivateToken`): to the
/// create-password page, to the expired-link page, or 409 for a token nobody holds.
pub(super) async fn check(State(state): State<Arc<AppState>>, Query(query): Params) -> Response {
    let token = param(&query, "activateToken").unwrap_or_default();
    match state.auth.activation_token_live(token, crate::clock::now_ms()) {
        None => StatusCode::CONFLICT.into_response(),
        Some(false) => {
            (StatusCode::SEE_OTHER, [(header::LOCATION, "/activationLinkExpired".to_owned())]).into_response()
        }
        Some(true) => (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("/login/createPassword?activateToken={token}"))],
        )
            .into_response(),
    }
}

/// `POST /api/noauth/activate` (`AuthController.activateUser`): sets the password and answers a
/// token pair for the user, who can sign in from then on.
pub(super) async fn activate(
    State(state): State<Arc<AppState>>,
    body: Bytes,
) -> Result<Json<JwtPair>, ApiError> {
    let request: ActivateUserRequest = json_body(&body)?;
    let user = state.auth.activate(&request.activate_token, &request.password, crate::clock::now_ms())?;
    Ok(Json(state.auth.issue_pair(&user)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (header::HeaderName::from_static(k), v.parse().unwrap())).collect()
    }

    #[test]
    fn the_base_url_always_has_a_port() {
        assert_eq!(base_url(&headers(&[("host", "127.0.0.1:8080")])), "http://127.0.0.1:8080");
        assert_eq!(base_url(&headers(&[("host", "tb.example.com")])), "http://tb.example.com:80");
        assert_eq!(
            base_url(&headers(&[("host", "tb.example.com"), ("x-forwarded-proto", "https")])),
            "https://tb.example.com:443"
        );
        assert_eq!(
            base_url(&headers(&[
                ("host", "tb:1"),
                ("x-forwarded-proto", "https"),
                ("x-forwarded-port", "8443")
            ])),
            "https://tb:8443"
        );
    }

    #[test]
    fn text_plain_must_be_acceptable() {
        assert!(accepts_text(&headers(&[])));
        assert!(accepts_text(&headers(&[("accept", "text/plain, */*")])));
        assert!(accepts_text(&headers(&[("accept", "application/json, */*;q=0.1")])));
        assert!(!accepts_text(&headers(&[("accept", "application/json")])));
    }
}
