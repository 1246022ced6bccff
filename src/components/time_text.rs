//! Moments as a person reads them off a clock: "14:02" today, "3 Dec, 14:02" before today, in
//! the person's locale and time zone.

use wasm_bindgen::JsValue;

/// `ms` (epoch milliseconds) as a clock time, with the day when it is not the day of `now_ms`.
pub(crate) fn moment(ms: f64, now_ms: f64) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(ms));
    let now = js_sys::Date::new(&JsValue::from_f64(now_ms));
    let same_day = date.get_full_year() == now.get_full_year()
        && date.get_month() == now.get_month()
        && date.get_date() == now.get_date();
    let options = js_sys::Object::new();
    let set = |key: &str, value: &str| {
        // Setting a property on a fresh plain object cannot fail.
        let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
    };
    set("hour", "2-digit");
    set("minute", "2-digit");
    if !same_day {
        set("day", "numeric");
        set("month", "short");
    }
    String::from(date.to_locale_string("default", &options))
}
