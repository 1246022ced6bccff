//! Customers and the one customer an asset or device belongs to (`CustomerServiceImpl`,
//! `BaseAssetService.assignAssetToCustomer`, `DeviceServiceImpl.assignDeviceToCustomer`).

use super::{CustomerRec, Store};
use crate::data_validator::{check_email, check_length};
use crate::error::ApiError;
use tb_proto::customer::{Customer, SaveCustomer};
use tb_proto::entity::AssetInfo;
use tb_proto::{CustomerId, EntityId, EntityType};
use uuid::Uuid;

impl Store {
    pub(crate) fn customer(&self, id: Uuid) -> Option<&CustomerRec> {
        self.customers.iter().find(|c| c.id == id)
    }

    /// Exact, case-sensitive, as the unique constraint `customer_title_unq_key` compares.
    pub(crate) fn customer_by_title(&self, title: &str) -> Option<&CustomerRec> {
        self.customers.iter().find(|c| c.title == title)
    }

    pub(crate) fn customer_json(&self, c: &CustomerRec) -> Customer {
        Customer {
            id: CustomerId(c.id),
            created_time: c.created_time,
            tenant_id: Some(EntityId::new(EntityType::Tenant, self.tenant_id)),
            title: c.title.clone(),
            name: Some(c.title.clone()),
            email: c.email.clone(),
            phone: c.phone.clone(),
            country: None,
            state: None,
            city: None,
            address: None,
            address2: None,
            zip: None,
            additional_info: c.additional_info.clone(),
            external_id: None,
            version: Some(c.version),
        }
    }

    /// `CustomerServiceImpl.saveCustomer` with `CustomerDataValidator`: creates a customer, or
    /// updates one when the body has an id.
    pub(crate) fn save_customer(&mut self, body: SaveCustomer, now: i64) -> Result<Customer, ApiError> {
        let title = body.title.trim();
        if title.is_empty() {
            return Err(ApiError::BadRequest("Customer title should be specified!".into()));
        }
        check_length("title", &body.title)?;
        if body.title == "Public" {
            return Err(ApiError::BadRequest("'Public' title for customer is system reserved!".into()));
        }
        if let Some(email) = body.email.as_deref().filter(|e| !e.is_empty()) {
            check_email(email)?;
        }
        let existing = body.id.map(|id| id.uuid());
        if let Some(id) = existing {
            if self.customer(id).is_none() {
                return Err(crate::routes::entity_not_found(&EntityId::new(EntityType::Customer, id)));
            }
        }
        if self.customers.iter().any(|c| c.title == body.title && Some(c.id) != existing) {
            return Err(ApiError::BadRequest("Customer with such title already exists!".into()));
        }
        let record = match existing.and_then(|id| self.customers.iter_mut().find(|c| c.id == id)) {
            Some(record) => {
                record.title = body.title;
                record.email = body.email;
                record.phone = body.phone;
                record.additional_info = body.additional_info;
                record.version += 1;
                record.clone()
            }
            None => {
                let record = CustomerRec {
                    id: Uuid::new_v4(),
                    created_time: now,
                    title: body.title,
                    email: body.email,
                    phone: body.phone,
                    additional_info: body.additional_info,
                    version: 1,
                };
                self.customers.push(record.clone());
                record
            }
        };
        Ok(self.customer_json(&record))
    }

    /// Sets the one customer of an asset or device (`None` unassigns it). Another customer's
    /// entity simply moves: the server checks no previous owner.
    pub(crate) fn set_owner(&mut self, entity: EntityId, customer: Option<Uuid>) -> bool {
        match entity.entity_type {
            EntityType::Asset => self.assets.get_mut(&entity.id).map(|a| a.customer = customer).is_some(),
            EntityType::Device => self.devices.get_mut(&entity.id).map(|d| d.customer = customer).is_some(),
            _ => false,
        }
    }

    /// `AssetInfo`: the asset with its customer's title and its profile's name (the asset type).
    pub(crate) fn asset_info_json(&self, a: &super::AssetRec) -> AssetInfo {
        AssetInfo {
            asset: self.asset_json(a),
            customer_title: a.customer.and_then(|c| self.customer_title(c)).map(str::to_owned),
            customer_is_public: false,
            asset_profile_name: Some(a.asset_type.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn save(store: &mut Store, title: &str) -> Result<Customer, ApiError> {
        store.save_customer(SaveCustomer::new(title, None), 1)
    }

    #[test]
    fn titles_are_required_unique_and_not_public() {
        let mut store = Store::default();
        let first = save(&mut store, "Flat 12B").unwrap();
        assert_eq!(first.name.as_deref(), Some("Flat 12B"));
        let err = save(&mut store, "Flat 12B").unwrap_err();
        assert_eq!(err.to_string(), "Customer with such title already exists!");
        assert!(save(&mut store, "flat 12b").is_ok(), "the comparison is case-sensitive");
        assert_eq!(save(&mut store, " ").unwrap_err().to_string(), "Customer title should be specified!");
        assert_eq!(
            save(&mut store, "Public").unwrap_err().to_string(),
            "'Public' title for customer is system reserved!"
        );
        let bad = store.save_customer(SaveCustomer::new("X", Some("nope".into())), 1).unwrap_err();
        assert_eq!(bad.to_string(), "Invalid email address format 'nope'!");
    }

    #[test]
    fn an_update_keeps_the_id_and_an_unknown_id_is_not_found() {
        let mut store = Store::default();
        let created = save(&mut store, "Flat 12B").unwrap();
        let update = SaveCustomer { id: Some(created.id), ..SaveCustomer::new("Flat 12C", None) };
        let updated = store.save_customer(update, 2).unwrap();
        assert_eq!((updated.id, updated.title.as_str(), updated.version), (created.id, "Flat 12C", Some(2)));
        let unknown =
            SaveCustomer { id: Some(CustomerId(Uuid::from_u128(9))), ..SaveCustomer::new("Y", None) };
        assert!(matches!(store.save_customer(unknown, 3), Err(ApiError::NotFound(_))));
    }
}
