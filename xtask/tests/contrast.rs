//! The stylesheet's colours meet WCAG AA in both palettes: every pair of a text role on the
//! surfaces it is drawn on at least 4.5:1 (WCAG 2.2, 1.4.3), the focus ring and the edges of
//! fields, selects and switches against their surfaces at least 3:1 (1.4.11). The palettes are read from `styles/app.css` itself, so a
//! colour changed there is checked here.

use std::collections::BTreeMap;
use std::path::Path;

/// (foreground role, background roles, minimum ratio).
const PAIRS: &[(&str, &[&str], f64)] = &[
    ("text", &["bg", "surface", "surface-muted", "accent-soft", "danger-soft", "warn-soft", "ok-soft"], 4.5),
    ("text-muted", &["bg", "surface", "surface-muted"], 4.5),
    ("text-faint", &["bg", "surface", "surface-muted"], 4.5),
    ("accent", &["bg", "surface", "surface-muted"], 4.5),
    ("accent-strong", &["surface", "surface-muted", "accent-soft"], 4.5),
    ("on-accent", &["accent", "accent-strong"], 4.5),
    ("on-danger", &["danger", "danger-strong"], 4.5),
    ("danger", &["surface", "danger-soft"], 4.5),
    ("warn", &["surface", "warn-soft"], 4.5),
    ("ok", &["surface", "ok-soft"], 4.5),
    ("focus", &["bg", "surface"], 3.0),
    // A field's, select's or switch's edge tells where the control is (1.4.11, non-text contrast).
    ("control-edge", &["bg", "surface", "surface-muted"], 3.0),
];

fn stylesheet() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../styles/app.css");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The `--name: #rrggbb;` declarations of the block opened by `selector`.
fn palette(css: &str, selector: &str) -> BTreeMap<String, [f64; 3]> {
    let start =
        css.find(&format!("{selector} {{")).unwrap_or_else(|| panic!("app.css has no `{selector}` block"));
    let end = start + css[start..].find('}').expect("the block ends");
    css[start..end]
        .lines()
        .filter_map(|line| {
            let (name, value) = line.trim().strip_prefix("--")?.split_once(':')?;
            Some((name.trim().to_owned(), hex(value.trim().trim_end_matches(';'))?))
        })
        .collect()
}

fn hex(value: &str) -> Option<[f64; 3]> {
    let digits = value.strip_prefix('#').filter(|d| d.len() == 6)?;
    let channel = |i: usize| u8::from_str_radix(&digits[i..i + 2], 16).ok().map(f64::from);
    Some([channel(0)?, channel(2)?, channel(4)?])
}

/// WCAG relative luminance of an sRGB colour.
fn luminance([r, g, b]: [f64; 3]) -> f64 {
    let linear = |c: f64| {
        let c = c / 255.0;
        if c <= 0.040_45 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
}

fn contrast(a: [f64; 3], b: [f64; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[test]
fn the_formula_matches_wcags_examples() {
    assert!((contrast([0.0; 3], [255.0; 3]) - 21.0).abs() < 1e-9);
    assert!((contrast([118.0; 3], [255.0; 3]) - 4.54).abs() < 0.01, "#767676 on white is the AA threshold");
}

#[test]
fn every_text_pair_meets_aa_in_light_and_dark() {
    let css = stylesheet();
    let light = palette(&css, ":root");
    // The dark block names only what differs.
    let mut dark = light.clone();
    dark.extend(palette(&css, r#":root[data-theme="dark"]"#));
    let mut failures = Vec::new();
    for (theme, colours) in [("light", &light), ("dark", &dark)] {
        for (fg, backgrounds, minimum) in PAIRS {
            for bg in *backgrounds {
                let (Some(f), Some(b)) = (colours.get(*fg), colours.get(*bg)) else {
                    failures.push(format!("{theme}: --{fg} or --{bg} is not a #rrggbb colour in app.css"));
                    continue;
                };
                let ratio = contrast(*f, *b);
                if ratio < *minimum {
                    failures.push(format!("{theme}: --{fg} on --{bg} is {ratio:.2}:1, under {minimum}:1"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "colour pairs under WCAG AA:\n{}", failures.join("\n"));
}
