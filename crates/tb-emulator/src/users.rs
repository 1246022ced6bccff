//! Users created at run time and their activation (`UserServiceImpl.saveUser`,
//! `DefaultUserService.getActivationLink`, `UserServiceImpl.activateUserCredentials`).

use crate::auth::{Auth, Credentials, UserRec};
use crate::error::ApiError;
use rand::distributions::{Alphanumeric, DistString};
use serde_json::Value;
use tb_proto::user::User;
use uuid::Uuid;

/// How long an activation token lives (`SecuritySettings.userActivationTokenTtl`, 24 h by default).
const ACTIVATION_TTL_MS: i64 = 24 * 3_600_000;
/// An activation link asked for with less than this left gets a new token
/// (`UserServiceImpl.checkUserActivationToken`, 3.8 and later).
const RENEW_BELOW_MS: i64 = 15 * 60_000;
/// The default password policy's minimum length (`UserPasswordPolicy.minimumLength`).
const MIN_PASSWORD: usize = 6;

/// A fresh token: 40 URL-safe characters, as long as the server's 30 random bytes in base64.
fn new_token() -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), 40)
}

impl Auth {
    /// Adds a user whose account waits for activation (enabled false, an activation token), as
    /// `UserServiceImpl.saveUser` creates its `UserCredentials`. The e-mail address is unique
    /// across the platform (`tb_user_email_key`).
    pub(crate) fn create_user(&self, mut user: UserRec, now: i64) -> Result<UserRec, ApiError> {
        let mut users = self.users_mut();
        if users.iter().any(|u| u.email == user.email) {
            return Err(ApiError::BadRequest(format!(
                "User with email '{}' already present in database!",
                user.email
            )));
        }
        user.credentials = Credentials {
            password: None,
            enabled: false,
            activate_token: Some(new_token()),
            activate_token_exp: now + ACTIVATION_TTL_MS,
        };
        users.push(user.clone());
        Ok(user)
    }

    /// Removes a user (the server deletes a new user whose activation mail failed).
    pub(crate) fn delete_user(&self, id: Uuid) {
        self.users_mut().retain(|u| u.id != id);
    }

    /// The user's activation token and its time left, renewed when under 15 minutes; 400
    /// "User is already activated!" once the user has set a password.
    pub(crate) fn activation_token(&self, id: Uuid, now: i64) -> Result<(String, i64), ApiError> {
        let mut users = self.users_mut();
        let user = users
            .iter_mut()
            .find(|u| u.id == id)
            .ok_or_else(|| ApiError::NotFound(format!("User with id [{id}] is not found")))?;
        let credentials = &mut user.credentials;
        let Some(token) = credentials.activate_token.clone().filter(|_| !credentials.enabled) else {
            return Err(ApiError::BadRequest("User is already activated!".into()));
        };
        if credentials.activate_token_exp - now < RENEW_BELOW_MS {
            let token = new_token();
            credentials.activate_token = Some(token.clone());
            credentials.activate_token_exp = now + ACTIVATION_TTL_MS;
            return Ok((token, ACTIVATION_TTL_MS));
        }
        Ok((token, credentials.activate_token_exp - now))
    }

    /// Whether `token` is a live activation token (`AuthController.checkActivateToken`):
    /// `None` when unknown, `Some(false)` when expired.
    pub(crate) fn activation_token_live(&self, token: &str, now: i64) -> Option<bool> {
        let users = self.users_mut();
        let user = users.iter().find(|u| u.credentials.activate_token.as_deref() == Some(token))?;
        Some(user.credentials.activate_token_exp > now)
    }

    /// Sets the password of the account holding `token` and enables it
    /// (`UserServiceImpl.activateUserCredentials`, after `validatePassword`).
    pub(crate) fn activate(&self, token: &str, password: &str, now: i64) -> Result<UserRec, ApiError> {
        if password.chars().count() < MIN_PASSWORD {
            return Err(ApiError::BadRequest(format!(
                "Password must be {MIN_PASSWORD} or more characters in length."
            )));
        }
        if token.is_empty() {
            return Err(ApiError::BadRequest(format!("Incorrect activateToken {token}")));
        }
        let mut users = self.users_mut();
        let user = users
            .iter_mut()
            .find(|u| u.credentials.activate_token.as_deref() == Some(token))
            .ok_or_else(|| {
                ApiError::BadRequest(format!("Unable to find user credentials by activateToken [{token}]"))
            })?;
        if user.credentials.enabled {
            return Err(ApiError::BadRequest("User credentials already activated".into()));
        }
        if user.credentials.activate_token_exp <= now {
            return Err(ApiError::BadRequest("Activation token expired".into()));
        }
        user.credentials = Credentials {
            password: Some(password.to_owned()),
            enabled: true,
            activate_token: None,
            activate_token_exp: 0,
        };
        Ok(user.clone())
    }

    /// `GET /api/user/{id}`'s answer: the user with what `BaseController.checkUserInfo` adds to
    /// `additionalInfo` from 3.9 on.
    pub(crate) fn user_info_json(&self, user: &UserRec) -> User {
        let mut json = self.user_json(user);
        let mut info = match json.additional_info.take() {
            Some(Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        info.insert("userCredentialsEnabled".into(), Value::Bool(user.credentials.enabled));
        info.insert("userActivated".into(), Value::Bool(user.credentials.activate_token.is_none()));
        info.insert("lastLoginTs".into(), Value::Null);
        json.additional_info = Some(Value::Object(info));
        json
    }
}
