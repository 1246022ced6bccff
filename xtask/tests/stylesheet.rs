//! `styles/app.css` is whole: every block closes, and a rule opens only at the top level or
//! inside an at-rule (`@media`, `@supports`). A rule left open (a merge once cut `.tile-reading {`
//! off from its body) does not fail to parse: CSS nesting turns every later rule into a
//! descendant of it, so all of them silently stop applying.

use std::path::Path;

fn stylesheet() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../styles/app.css");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The stylesheet without its comments, each replaced by as many newlines as it spans.
fn without_comments(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("*/").map_or(rest.len(), |e| start + e + 2);
        out.extend(rest[start..end].chars().filter(|&c| c == '\n'));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Problems with the block structure of `css`, each naming its line.
fn block_problems(css: &str) -> Vec<String> {
    let css = without_comments(css);
    let mut problems = Vec::new();
    // The open blocks' preludes (`@media (...)`, `.tile-reading`) and lines.
    let mut open: Vec<(String, usize)> = Vec::new();
    let mut prelude = String::new();
    let mut line = 1;
    for c in css.chars() {
        match c {
            '{' => {
                let name = prelude.trim().to_owned();
                if let Some((parent, at)) = open.last() {
                    if !parent.starts_with('@') {
                        problems.push(format!(
                            "line {line}: `{name}` opens inside `{parent}` (line {at}), which is not closed"
                        ));
                    }
                }
                open.push((name, line));
                prelude.clear();
            }
            '}' => {
                if open.pop().is_none() {
                    problems.push(format!("line {line}: a `}}` closes nothing"));
                }
                prelude.clear();
            }
            ';' => prelude.clear(),
            '\n' => {
                line += 1;
                prelude.push(' ');
            }
            c => prelude.push(c),
        }
    }
    problems.extend(open.iter().map(|(name, at)| format!("line {at}: `{name}` is never closed")));
    problems
}

#[test]
fn every_rule_of_the_stylesheet_is_closed_where_it_belongs() {
    let problems = block_problems(&stylesheet());
    assert!(problems.is_empty(), "styles/app.css:\n{}", problems.join("\n"));
}

#[test]
fn a_rule_left_open_is_found() {
    let cut = ".a {\n  color: red;\n}\n\n.b {\n\n/* next */\n.c {\n  color: blue;\n}\n";
    let problems = block_problems(cut);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].starts_with("line 8: `.c` opens inside `.b` (line 5)"), "{}", problems[0]);
    assert!(problems[1].starts_with("line 5: `.b` is never closed"), "{}", problems[1]);
    let fine = "@media (max-width: 599px) {\n  .a { color: red; }\n}\n";
    assert!(block_problems(fine).is_empty());
}
