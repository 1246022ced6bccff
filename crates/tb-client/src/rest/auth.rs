use crate::client::{Client, RequestSpec};
use crate::error::Error;
use tb_proto::auth::User;

impl Client {
    /// `GET /api/auth/user`.
    pub async fn current_user(&self) -> Result<User, Error> {
        self.get_json(RequestSpec::get("api/auth/user")).await
    }
}
