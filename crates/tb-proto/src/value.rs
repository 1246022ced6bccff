//! How ThingsBoard's values read, for every side that reads them: the server sends time series
//! as text (Java's `Double.toString` for doubles: `25.0`, `1.0E-4`), devices report switches as
//! booleans, numbers or words, and a later value of a key replaces an earlier one only if it is
//! newer (`TsKvEntry`'s ts).

use std::collections::BTreeMap;

/// A finite decimal number in JSON/Java syntax: `-12`, `22.5`, `1.0E-4`, `1.23456789E8`.
/// Text with a leading zero before more digits (`007`, an id) stays text, as does `NaN`/`Infinity`.
/// This is how the server's text becomes a typed value.
pub fn java_number(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let digits_start = usize::from(bytes.first() == Some(&b'-'));
    let rest = &bytes[digits_start..];
    if rest.is_empty() || !rest[0].is_ascii_digit() {
        return None;
    }
    if rest[0] == b'0' && rest.get(1).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let mut i = 0;
    let mut seen_dot = false;
    let mut seen_exp = false;
    while i < rest.len() {
        match rest[i] {
            b'0'..=b'9' => {}
            b'.' if !seen_dot && !seen_exp => {
                seen_dot = true;
                if !rest.get(i + 1).is_some_and(u8::is_ascii_digit) {
                    return None;
                }
            }
            b'e' | b'E' if !seen_exp => {
                seen_exp = true;
                if matches!(rest.get(i + 1), Some(b'+' | b'-')) {
                    i += 1;
                }
                if !rest.get(i + 1).is_some_and(u8::is_ascii_digit) {
                    return None;
                }
            }
            _ => return None,
        }
        i += 1;
    }
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Text read as a number when one is wanted (a reading, a bound): any finite decimal, spaces
/// around allowed (`" 21.5"`, `"007"`).
pub fn number_in_text(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Text read as on/off: `true`/`false`, `on`/`off`, `1`/`0`, any case, spaces around allowed.
pub fn switch_in_text(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "on" | "1" => Some(true),
        "false" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// A number read as on/off: 0 is off, any other finite number on.
pub fn switch_in_number(n: f64) -> Option<bool> {
    n.is_finite().then_some(n != 0.0)
}

/// A value as the readings see it: every typed value (the client's, the UI's) maps onto this, so
/// they all read numbers and switches alike.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reading<'a> {
    Number(f64),
    Bool(bool),
    Text(&'a str),
    /// Structured JSON or no data: neither a number nor a switch.
    Other,
}

impl Reading<'_> {
    /// A finite number, or text that reads as one ([`number_in_text`]); never a boolean.
    pub fn number(self) -> Option<f64> {
        match self {
            Self::Number(n) => n.is_finite().then_some(n),
            Self::Text(t) => number_in_text(t),
            Self::Bool(_) | Self::Other => None,
        }
    }

    /// A boolean, a number ([`switch_in_number`]) or text ([`switch_in_text`]).
    pub fn switch(self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(b),
            Self::Number(n) => switch_in_number(n),
            Self::Text(t) => switch_in_text(t),
            Self::Other => None,
        }
    }
}

/// A value with the server's timestamp, held latest-per-slot (a key, or an entity's key).
pub trait Stamped {
    type Slot: Ord;
    fn slot(&self) -> Self::Slot;
    /// The server's timestamp (ms).
    fn ts(&self) -> i64;
}

/// Merges `incoming` into `held`: per slot the newest timestamp wins, an equal one replaces
/// (a later frame with the same ts is the newer report), an older one is dropped (frames and
/// batches can arrive out of order).
pub fn merge_newest<T: Stamped>(held: &mut BTreeMap<T::Slot, T>, incoming: impl IntoIterator<Item = T>) {
    for value in incoming {
        let slot = value.slot();
        match held.get(&slot) {
            Some(current) if current.ts() > value.ts() => {}
            _ => {
                held.insert(slot, value);
            }
        }
    }
}

/// [`merge_newest`], holding at most `limit` slots: a value for a slot not held yet is dropped
/// once `limit` are (a server sending ever new keys must not grow what is held without end).
/// Answers how many were dropped.
pub fn merge_newest_within<T: Stamped>(
    held: &mut BTreeMap<T::Slot, T>,
    incoming: impl IntoIterator<Item = T>,
    limit: usize,
) -> usize {
    let mut dropped = 0;
    for value in incoming {
        let slot = value.slot();
        match held.get(&slot) {
            Some(current) if current.ts() > value.ts() => {}
            None if held.len() >= limit => dropped += 1,
            _ => {
                held.insert(slot, value);
            }
        }
    }
    dropped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_double_text_becomes_numbers() {
        for (text, n) in [
            ("25.0", 25.0),
            ("1.0E-4", 1.0e-4),
            ("1.23456789E8", 1.23456789e8),
            ("-0.5", -0.5),
            ("61", 61.0),
            ("0", 0.0),
            ("0.25", 0.25),
        ] {
            assert_eq!(java_number(text), Some(n), "{text}");
        }
        for text in ["007", "NaN", "Infinity", "1.", ".5", "1e", "12a", "", "-", "on", "1,5", " 1"] {
            assert_eq!(java_number(text), None, "{text}");
        }
    }

    #[test]
    fn readings_are_lenient_where_the_java_syntax_is_strict() {
        assert_eq!(number_in_text(" 21.5 "), Some(21.5));
        assert_eq!(number_in_text("007"), Some(7.0));
        assert_eq!(number_in_text("NaN"), None);
        assert_eq!(number_in_text("inf"), None);
        assert_eq!(number_in_text("warm"), None);
    }

    #[test]
    fn switches_read_words_and_numbers() {
        for (text, on) in
            [("true", true), (" ON ", true), ("1", true), ("False", false), ("off", false), ("0", false)]
        {
            assert_eq!(switch_in_text(text), Some(on), "{text}");
        }
        assert_eq!(switch_in_text("open"), None);
        assert_eq!(switch_in_number(0.0), Some(false));
        assert_eq!(switch_in_number(2.0), Some(true));
        assert_eq!(switch_in_number(f64::NAN), None);
    }

    #[test]
    fn readings_never_take_a_boolean_for_a_number() {
        assert_eq!(Reading::Bool(true).number(), None);
        assert_eq!(Reading::Text(" 7").number(), Some(7.0));
        assert_eq!(Reading::Number(f64::INFINITY).number(), None);
        assert_eq!(Reading::Other.switch(), None);
        assert_eq!(Reading::Text("on").switch(), Some(true));
    }

    #[derive(Debug, PartialEq)]
    struct Point(&'static str, i64, u8);

    impl Stamped for Point {
        type Slot = &'static str;
        fn slot(&self) -> &'static str {
            self.0
        }
        fn ts(&self) -> i64 {
            self.1
        }
    }

    #[test]
    fn the_newest_value_per_slot_wins_whatever_the_order() {
        let mut held = BTreeMap::new();
        merge_newest(&mut held, [Point("t", 3, 1), Point("h", 1, 2), Point("t", 2, 3)]);
        merge_newest(&mut held, [Point("t", 3, 4), Point("h", 0, 5)]);
        assert_eq!(held["t"], Point("t", 3, 4), "an equal ts replaces");
        assert_eq!(held["h"], Point("h", 1, 2), "an older one is dropped");
    }
}
