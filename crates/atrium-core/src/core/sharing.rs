//! Sharing in `Core`: who has access to a place of the loaded building, plans to share it with
//! a customer or stop, and runs of those plans (`crate::sharing` does the work).

use super::{Active, Core};
use crate::sharing::Sharing;
use atrium_ipc::{
    AppError, CustomerChoice, CustomerRef, ErrorCode, NewCustomerUser, OnConflict, PlaceAccess, SharePlan,
    ShareSummary, SharingProgress, TreeNode, UnsharePlan, UnshareSummary,
};
use std::sync::Arc;

impl Core {
    /// The signed-in session and its loaded (or cached) building.
    fn sharing_scope(&self) -> Result<(Arc<Active>, Vec<TreeNode>), AppError> {
        let active = self.shared.require()?;
        let tree = self.with_loaded_tree(<[TreeNode]>::to_vec).ok_or_else(|| {
            AppError::new(ErrorCode::NotFound, "The building is not loaded yet; load it first.", false)
        })?;
        Ok((active, tree))
    }

    /// Ends the session when the error says it has ended, as every other command does.
    fn sharing_failed(&self, active: &Arc<Active>, error: AppError) -> AppError {
        if error.code == ErrorCode::SessionExpired {
            self.shared.end_session(active, error.clone());
        }
        error
    }

    /// The tenant's customers whose title contains `search` (all when `None`), by title, to
    /// share with. Tenant administrators only.
    pub async fn customers(&self, search: Option<&str>) -> Result<Vec<CustomerRef>, AppError> {
        let active = self.shared.require()?;
        Sharing::new(&active.client).customers(search).await.map_err(|e| self.sharing_failed(&active, e))
    }

    /// Who has access to a place of the loaded building: the customers that have it or
    /// something below it, with their users (active or still to activate).
    pub async fn place_access(&self, node_id: &str) -> Result<PlaceAccess, AppError> {
        let (active, tree) = self.sharing_scope()?;
        Sharing::new(&active.client)
            .place_access(&tree, node_id)
            .await
            .map_err(|e| self.sharing_failed(&active, e))
    }

    /// What sharing a place (and everything below it) with a customer would do, and the
    /// user it would give access to; changes nothing. Show it, then [`Core::share`] it.
    pub async fn plan_share(
        &self,
        node_id: &str,
        customer: CustomerChoice,
        user: Option<NewCustomerUser>,
    ) -> Result<SharePlan, AppError> {
        let (active, tree) = self.sharing_scope()?;
        Sharing::new(&active.client)
            .plan_share(&tree, node_id, &customer, user.as_ref())
            .await
            .map_err(|e| self.sharing_failed(&active, e))
    }

    /// Carries out a share plan (see [`crate::sharing::Sharing::share`]); `progress` hears each
    /// item answered.
    pub async fn share(
        &self,
        plan: &SharePlan,
        on_conflict: OnConflict,
        progress: impl Fn(SharingProgress) + Send + Sync,
    ) -> Result<ShareSummary, AppError> {
        let active = self.shared.require()?;
        Sharing::new(&active.client)
            .share(plan, on_conflict, &progress)
            .await
            .map_err(|e| self.sharing_failed(&active, e))
    }

    /// What stopping sharing a place with a customer would do; changes nothing.
    pub async fn plan_unshare(
        &self,
        node_id: &str,
        customer: CustomerChoice,
    ) -> Result<UnsharePlan, AppError> {
        let (active, tree) = self.sharing_scope()?;
        Sharing::new(&active.client)
            .plan_unshare(&tree, node_id, &customer)
            .await
            .map_err(|e| self.sharing_failed(&active, e))
    }

    /// Carries out an unshare plan; `progress` hears each item answered.
    pub async fn unshare(
        &self,
        plan: &UnsharePlan,
        progress: impl Fn(SharingProgress) + Send + Sync,
    ) -> Result<UnshareSummary, AppError> {
        let active = self.shared.require()?;
        Sharing::new(&active.client)
            .unshare(plan, &progress)
            .await
            .map_err(|e| self.sharing_failed(&active, e))
    }
}
