//! Customer users (`UserController`): listing them, creating one without mail, its activation
//! link, and whether it has been activated (`docs/thingsboard-sharing.md`, section 3).

use crate::client::{Client, RequestSpec};
use crate::error::Error;
use crate::rest::customers::{bounded_pages, LIST_PAGE};
use crate::rest::PageRequest;
use tb_proto::entity::PageData;
use tb_proto::user::{SaveUser, User};
use tb_proto::{CustomerId, UserId};

/// Whether an activation-link request was refused because the user has set a password
/// (400/31 "User is already activated!", `DefaultUserService.getActivationLink`).
fn already_activated(error: &Error) -> bool {
    matches!(error, Error::Api { status: 400, message, .. } if message.contains("already activated"))
}

impl Client {
    /// One page of a customer's users (`GET /api/customer/{customerId}/users`, tenant
    /// administrators only); `textSearch` matches the e-mail address.
    pub async fn customer_users_page(
        &self,
        customer: CustomerId,
        page: &PageRequest,
    ) -> Result<PageData<User>, Error> {
        self.get_json(page.apply(RequestSpec::get(format!("api/customer/{customer}/users")))).await
    }

    /// A customer's users, by e-mail address; at most a bounded number of pages are read.
    pub async fn customer_users(&self, customer: CustomerId) -> Result<Vec<User>, Error> {
        let first = PageRequest {
            sort_property: Some("email".into()),
            sort_order: Some("ASC".into()),
            ..PageRequest::first(LIST_PAGE)
        };
        bounded_pages(first, |page| async move { self.customer_users_page(customer, &page).await }).await
    }

    /// `GET /api/user/{id}`; from 3.9 on its `additionalInfo` says whether the user is activated
    /// ([`User::activated`]).
    pub async fn user(&self, id: UserId) -> Result<User, Error> {
        self.get_json(RequestSpec::get(format!("api/user/{id}"))).await
    }

    /// Creates a user (`POST /api/user`). No activation mail is ever asked for: the server
    /// deletes the new user and answers 500 when sending fails, which a fresh install's
    /// placeholder mail settings always do (`DefaultUserService.save`). Hand the person
    /// [`Client::activation_link`] instead. A used e-mail address is refused with 400
    /// "User with email '...' already present in database!".
    pub async fn create_user(&self, user: &SaveUser) -> Result<User, Error> {
        let spec = RequestSpec::post("api/user", user).query("sendActivationMail", false);
        self.get_json(spec).await
    }

    /// The link a user opens to set a password (`GET /api/user/{id}/activationLink`, plain
    /// text), or `None` once the user is activated. The server renews a token with less than
    /// 15 minutes left (3.8 and later), which ends links handed out before.
    pub async fn activation_link(&self, id: UserId) -> Result<Option<String>, Error> {
        let mut spec = RequestSpec::get(format!("api/user/{id}/activationLink"));
        // The mapping produces text/plain only.
        spec.accept = Some("text/plain, */*");
        match self.execute(&spec).await?.text() {
            Ok(link) => Ok(Some(link)),
            Err(e) if already_activated(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether the user has set a password: `additionalInfo.userActivated` of
    /// `GET /api/user/{id}` (3.9 and later), else whether an activation link is still offered.
    pub async fn user_activated(&self, id: UserId) -> Result<bool, Error> {
        if let Some(activated) = self.user(id).await?.activated() {
            return Ok(activated);
        }
        Ok(self.activation_link(id).await?.is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_already_activated_refusal_means_activated() {
        let api =
            |status, message: &str| Error::Api { status, error_code: Some(31), message: message.into() };
        assert!(already_activated(&api(400, "User is already activated!")));
        assert!(!already_activated(&api(404, "User with id [x] is not found")));
        assert!(!already_activated(&api(403, "You don't have permission to perform this operation!")));
    }
}
