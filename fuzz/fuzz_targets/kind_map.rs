//! The kind map: a root asset's `atriumKinds` attribute, whatever it holds, is refused with a
//! reason or gives a map whose rules all match something and come before the defaults.
//! Input: the attribute's value as JSON; the text is also tried as the string form ThingsBoard
//! stores, and its lines as asset types.

#![no_main]

use atrium_core::{KindMap, KIND_OVERRIDE_ATTRIBUTE};
use atrium_ipc::NodeKind;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tb_client::proto::{EntityId, EntityType};
use uuid::Uuid;

fn check(base: &KindMap, value: &Value, types: &[&str]) {
    let asset = EntityId::new(EntityType::Asset, Uuid::from_u128(1));
    let device = EntityId::new(EntityType::Device, Uuid::from_u128(2));
    let map = match base.with_override(value) {
        Ok(map) => map,
        Err(reason) => {
            assert!(reason.contains(KIND_OVERRIDE_ATTRIBUTE), "{reason}");
            return;
        }
    };
    for rule in &map.rules {
        assert!(!rule.contains.trim().is_empty(), "{rule:?}");
    }
    // The defaults come last, unless replaced.
    let own = map.rules.len().checked_sub(base.rules.len());
    if let Some(own) = own.filter(|own| map.rules[*own..] == base.rules[..]) {
        assert!(map.rules[..own].iter().all(|r| r.contains == r.contains.to_lowercase()));
    }
    // A type named exactly as the first rule is that rule's kind.
    if let Some(first) = map.rules.first() {
        assert_eq!(map.kind_of(asset, &first.contains), first.kind, "{first:?}");
    }
    for type_name in types {
        assert_eq!(map.kind_of(device, type_name), NodeKind::Device);
        let kind = map.kind_of(asset, type_name);
        assert_ne!(kind, NodeKind::Device, "an asset is never a device");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let base = KindMap::default();
    let types: Vec<&str> = text.lines().take(16).collect();
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        check(&base, &value, &types);
    }
    check(&base, &Value::String(text.to_owned()), &types);
});
