//! The entity data query, one page and all pages, against the emulator.

use std::collections::BTreeSet;
use tb_client::proto::query::{
    DeviceTypeFilter, EntityDataPageLink, EntityDataQuery, EntityDataSortOrder, EntityFilter, EntityKey,
    EntityKeyType, SortDirection,
};
use tb_client::{Client, Error, Secret, TbValue};
use tb_emulator::{Emulator, EmulatorConfig};

fn thermostats(page_size: i32) -> EntityDataQuery {
    let name = EntityKey::new(EntityKeyType::EntityField, "name");
    EntityDataQuery {
        entity_filter: Some(EntityFilter::DeviceType(DeviceTypeFilter {
            device_types: vec!["thermostat".into()],
            ..DeviceTypeFilter::default()
        })),
        page_link: Some(EntityDataPageLink {
            sort_order: Some(EntityDataSortOrder { key: name.clone(), direction: SortDirection::Asc }),
            ..EntityDataPageLink::new(page_size, 0)
        }),
        entity_fields: vec![name, EntityKey::new(EntityKeyType::EntityField, "label")],
        latest_values: vec![
            EntityKey::new(EntityKeyType::TimeSeries, "temperature"),
            EntityKey::new(EntityKeyType::SharedAttribute, "minSetpoint"),
            EntityKey::new(EntityKeyType::TimeSeries, "never-written"),
        ],
        key_filters: vec![],
    }
}

async fn tenant(emu: &Emulator) -> Client {
    let client = Client::builder(emu.base_url()).build().unwrap();
    client.login("tenant@thingsboard.org", &Secret::new("tenant")).await.unwrap();
    client
}

#[tokio::test]
async fn one_page_has_typed_values_and_text_fields() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let client = tenant(&emu).await;
    let page = client.find_entity_data(&thermostats(3)).await.unwrap();
    assert_eq!(page.data.len(), 3);
    assert!(page.has_next && page.total_elements > 3, "{} rows", page.total_elements);
    let names: Vec<&str> = page.data.iter().map(|r| r.field("name").unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "sorted by name");
    let row = &page.data[0];
    assert!(matches!(row.value(EntityKeyType::TimeSeries, "temperature").unwrap().value, TbValue::Number(_)));
    assert_eq!(
        row.value(EntityKeyType::SharedAttribute, "minSetpoint").unwrap().value,
        TbValue::Number(16.0)
    );
    let never = row.value(EntityKeyType::TimeSeries, "never-written").unwrap();
    assert_eq!((never.ts, &never.value), (0, &TbValue::Missing));
    assert!(!row.latest.contains_key(&EntityKeyType::EntityField), "entity fields stay text, apart");
}

#[tokio::test]
async fn all_pages_give_every_thermostat_once() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let client = tenant(&emu).await;
    let expected: BTreeSet<_> = client
        .all_devices()
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.device_type == "thermostat")
        .map(|d| d.id.entity_id())
        .collect();
    emu.faults().reset_counters();
    let rows = client.find_all_entity_data(&thermostats(4)).await.unwrap();
    let got: BTreeSet<_> = rows.iter().map(|r| r.entity_id).collect();
    assert_eq!(got.len(), rows.len(), "no row twice");
    assert_eq!(got, expected);
    let pages = emu.faults().counters().requests("POST /api/entitiesQuery/find");
    assert_eq!(pages, expected.len().div_ceil(4) as u64);
}

#[tokio::test]
async fn a_customer_query_is_scoped_and_an_incomplete_query_is_refused() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let tenant = tenant(&emu).await;
    let customer = Client::builder(emu.base_url()).build().unwrap();
    customer.login("customer@thingsboard.org", &Secret::new("customer")).await.unwrap();
    let all = tenant.find_all_entity_data(&thermostats(100)).await.unwrap();
    let mine = customer.find_all_entity_data(&thermostats(100)).await.unwrap();
    assert!(!mine.is_empty() && mine.len() < all.len(), "{} of {}", mine.len(), all.len());

    let before = customer.request_count();
    let no_filter = EntityDataQuery { entity_filter: None, ..thermostats(10) };
    let no_page = EntityDataQuery { page_link: None, ..thermostats(10) };
    for query in [no_filter, no_page] {
        let err = customer.find_entity_data(&query).await.unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    }
    assert_eq!(customer.request_count(), before);
}

fn devices_of_the_demo() -> EntityDataQuery {
    EntityDataQuery {
        entity_filter: Some(EntityFilter::DeviceType(DeviceTypeFilter {
            device_types: vec!["thermostat".into(), "air-quality".into()],
            ..DeviceTypeFilter::default()
        })),
        page_link: Some(EntityDataPageLink::new(10, 0)),
        ..EntityDataQuery::default()
    }
}

#[tokio::test]
async fn timeseries_keys_come_from_the_keys_endpoint_and_its_v2_successor() {
    let emu = Emulator::start(EmulatorConfig::for_tests()).await.unwrap();
    let client = Client::builder(emu.base_url()).build().unwrap();
    client.login("tenant@thingsboard.org", &Secret::new("tenant")).await.unwrap();
    let keys = client.timeseries_keys_by_query(&devices_of_the_demo()).await.unwrap();
    assert!(keys.contains(&"temperature".to_owned()), "{keys:?}");
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "sorted and distinct: {keys:?}");
    assert_eq!(emu.faults().counters().requests("POST /api/entitiesQuery/find/keys"), 1);

    // A server without the deprecated endpoint: the v2 one gives the same keys.
    emu.faults().fail_next_requests(1, tb_emulator::FailureKind::MissingRoute);
    let again = client.timeseries_keys_by_query(&devices_of_the_demo()).await.unwrap();
    assert_eq!(again, keys);
    assert_eq!(emu.faults().counters().requests("POST /api/v2/entitiesQuery/find/keys"), 1);

    // Nothing matches: no keys, no error.
    let mut nothing = devices_of_the_demo();
    nothing.entity_filter = Some(EntityFilter::DeviceType(DeviceTypeFilter {
        device_types: vec!["no-such-type".into()],
        ..DeviceTypeFilter::default()
    }));
    assert!(client.timeseries_keys_by_query(&nothing).await.unwrap().is_empty());
}
