//! ThingsBoard value text: how the server's text (`25.0`, `1.0E-4`, `true`, `007`) becomes a
//! typed value, and how values read as numbers and switches, agree everywhere they are read.
//! Input: the value's text; its lines, as `key ts`, also go through the newest-wins merge.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::collections::BTreeMap;
use tb_client::TbValue;
use tb_proto::value::{
    java_number, merge_newest, merge_newest_within, number_in_text, switch_in_text, Stamped,
};

#[derive(Debug, Clone, PartialEq)]
struct Point {
    key: String,
    ts: i64,
    order: usize,
}

impl Stamped for Point {
    type Slot = String;
    fn slot(&self) -> String {
        self.key.clone()
    }
    fn ts(&self) -> i64 {
        self.ts
    }
}

fn check_text(text: &str) {
    let value = TbValue::from_text(text);
    assert_eq!(TbValue::from_json(&Value::String(text.to_owned())), value);
    match java_number(text) {
        Some(n) => {
            assert!(n.is_finite(), "{text:?} read as {n}");
            assert_eq!(number_in_text(text), Some(n), "{text:?}: both readings agree");
            assert_eq!(value, TbValue::Number(n));
            assert_eq!(value.as_f64(), Some(n));
            assert_eq!(value.to_json().as_f64(), Some(n), "{text:?} goes to JSON as a number");
        }
        None => match text {
            "true" | "false" => assert_eq!(value, TbValue::Bool(text == "true")),
            _ => {
                assert_eq!(value, TbValue::Text(text.to_owned()));
                assert_eq!(value.to_json(), Value::String(text.to_owned()));
                assert_eq!(value.as_f64(), number_in_text(text));
                assert_eq!(value.as_bool(), switch_in_text(text));
            }
        },
    }
    if let Some(n) = value.as_f64() {
        assert!(n.is_finite());
    }
}

fn check_merge(text: &str) {
    let points: Vec<Point> = text
        .lines()
        .enumerate()
        .filter_map(|(order, line)| {
            let (key, ts) = line.rsplit_once(' ')?;
            Some(Point { key: key.to_owned(), ts: ts.parse().ok()?, order })
        })
        .collect();
    let mut all = BTreeMap::new();
    merge_newest(&mut all, points.clone());
    for (key, held) in &all {
        // The newest ts wins; of equal ones the later.
        let newest = points.iter().filter(|p| &p.key == key).max_by_key(|p| (p.ts, p.order)).unwrap();
        assert_eq!(held, newest);
    }
    let mut some = BTreeMap::new();
    let dropped = merge_newest_within(&mut some, points.clone(), 3);
    assert!(some.len() <= 3 && some.len() <= all.len());
    assert!(dropped <= points.len());
    for (key, held) in &some {
        assert_eq!(held.ts, all[key].ts, "a held key still takes its newest value");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    check_text(text);
    for line in text.lines() {
        check_text(line);
    }
    if let Ok(json) = serde_json::from_str::<Value>(text) {
        let value = TbValue::from_json(&json);
        let _ = (value.as_f64(), value.as_bool(), value.to_json());
        if let Some(n) = json.as_f64() {
            assert_eq!(value, TbValue::Number(n));
        }
    }
    check_merge(text);
});
