//! The documents: every relative link and anchor in the Markdown files resolves, the
//! README stays short enough to read in five minutes, its headline figures are the ones
//! BENCHMARKS.md measured, and the man page's SEE ALSO names only pages Debian has.

use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The project's own Markdown files.
fn markdown_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = ["README.md", "CONTRIBUTING.md", "CHANGELOG.md", "BENCHMARKS.md"]
        .iter()
        .map(|f| Path::new(ROOT).join(f))
        .collect();
    for entry in std::fs::read_dir(Path::new(ROOT).join("doc")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    files
}

/// The anchor GitHub gives a heading: lower case, punctuation but `-` and `_` dropped,
/// spaces made hyphens.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The lines of a Markdown text outside fenced code blocks.
fn outside_code(text: &str) -> impl Iterator<Item = &str> {
    let mut fenced = false;
    text.lines().filter(move |line| {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            return false;
        }
        !fenced
    })
}

/// The anchors of a Markdown file's headings (outside code blocks).
fn anchors(text: &str) -> Vec<String> {
    outside_code(text).filter(|l| l.starts_with('#')).map(|l| anchor(l.trim_start_matches('#'))).collect()
}

/// The targets of the `[text](target)` links of a Markdown text, outside code.
fn links(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in outside_code(text) {
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            found.push(after[..end].to_string());
            rest = &after[end..];
        }
    }
    found
}

#[test]
fn every_relative_link_and_anchor_resolves() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        for link in links(&text) {
            if link.starts_with("http://") || link.starts_with("https://") || link.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (path, fragment) = link.split_once('#').unwrap_or((&link, ""));
            let target = if path.is_empty() { file.clone() } else { file.parent().unwrap().join(path) };
            if !target.exists() {
                broken.push(format!("{}: {link}: no such file", file.display()));
                continue;
            }
            if !fragment.is_empty() {
                let target_text = std::fs::read_to_string(&target).unwrap_or_default();
                if !anchors(&target_text).iter().any(|a| a == fragment) {
                    broken.push(format!("{}: {link}: no such heading", file.display()));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(checked > 30, "only {checked} links found: is the parser broken?");
}

#[test]
fn the_anchor_rules_are_githubs() {
    assert_eq!(anchor(" Docker and Podman `--init`"), "docker-and-podman---init");
    assert_eq!(anchor("What pidone does, precisely"), "what-pidone-does-precisely");
    assert_eq!(anchors("# A\n```\n# not a heading\n```\n## B c"), ["a", "b-c"]);
    assert_eq!(links("[x](a.md#b) `[y](z)` [w](c.md)\n```\n[q](r)\n```"), ["a.md#b", "z", "c.md"]);
}

/// tini's README, the yardstick, is about 10 KB.
#[test]
fn the_readme_reads_in_five_minutes() {
    let size = std::fs::metadata(Path::new(ROOT).join("README.md")).unwrap().len();
    assert!(size <= 12 * 1024, "README.md is {size} bytes, over 12 KB: move details to doc/");
}

/// The README's headline table is the one `bench/run` wrote into BENCHMARKS.md.
#[test]
fn the_readme_headline_figures_are_the_benchmarks() {
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).unwrap();
    let bench = std::fs::read_to_string(Path::new(ROOT).join("BENCHMARKS.md")).unwrap();
    let rows: Vec<&str> =
        readme.lines().skip_while(|l| !l.starts_with("| init |")).take_while(|l| l.starts_with('|')).collect();
    assert!(rows.len() >= 4, "no headline table in README.md");
    for row in rows {
        assert!(bench.lines().any(|l| l == row), "README.md's {row:?} is not in BENCHMARKS.md");
    }
}

/// SEE ALSO names only pages a Debian system with pidone's peers has (`man -w` finds each).
#[test]
fn the_man_pages_see_also_exists() {
    let page = std::fs::read_to_string(Path::new(ROOT).join("doc/pidone.1")).unwrap();
    let see_also = page.split(".SH SEE ALSO").nth(1).unwrap();
    let see_also = see_also.split(".SH").next().unwrap();
    let mut names = Vec::new();
    for line in see_also.lines().filter(|l| l.starts_with(".BR ")) {
        let mut words = line[4..].split_whitespace();
        let name = words.next().unwrap().replace("\\-", "-");
        let section = words.next().unwrap().trim_matches(|c: char| !c.is_ascii_digit());
        names.push((name, section.to_string()));
    }
    assert!(!names.is_empty());
    if std::process::Command::new("man").arg("--version").output().is_err() {
        assert!(std::env::var("CI").map_or(true, |v| v.is_empty() || v == "false"), "CI installs man-db");
        eprintln!("skipped: no man");
        return;
    }
    for (name, section) in names {
        let found = std::process::Command::new("man").args(["-w", &section, &name]).output().unwrap();
        assert!(found.status.success(), "SEE ALSO names {name}({section}), which man does not find");
    }
}

/// BENCHMARKS.md is what `bench/run` wrote: its tables and the prose that reads them are
/// rendered again from the results kept at its end, and must come out the same, so no
/// figure or sentence can be edited apart from the others.
#[test]
fn the_benchmarks_page_is_what_its_results_give() {
    let out = std::process::Command::new("python3")
        .args(["bench/bench.py", "--check", "BENCHMARKS.md"])
        .current_dir(ROOT)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

/// `--check` finds a figure changed by hand.
#[test]
fn a_hand_edited_benchmark_figure_is_found() {
    let page = std::fs::read_to_string(Path::new(ROOT).join("BENCHMARKS.md")).unwrap();
    let row = page.lines().find(|l| l.starts_with("| pidone |")).expect("no pidone row in the full table");
    let cells: Vec<&str> = row.split(" | ").collect();
    let edited = page.replacen(row, &row.replacen(cells[3], &format!("{}1", cells[3]), 1), 1);
    assert_ne!(edited, page);
    let dir = std::env::temp_dir().join(format!("pidone-bench-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let copy = dir.join("BENCHMARKS.md");
    std::fs::write(&copy, edited).unwrap();
    let out = std::process::Command::new("python3")
        .arg("bench/bench.py")
        .arg("--check")
        .arg(&copy)
        .current_dir(ROOT)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!out.status.success(), "an edited figure passed --check");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("rendered from its results") && said.contains(&format!("+{row}")), "{said}");
}

/// The stack figure README.md and doc/security.md give is one bench/stack.py measured for
/// BENCHMARKS.md.
#[test]
fn the_stack_figures_are_the_benchmarks() {
    let bench = std::fs::read_to_string(Path::new(ROOT).join("BENCHMARKS.md")).unwrap();
    let stack: Vec<&str> = bench
        .lines()
        .skip_while(|l| *l != "## Stack")
        .take_while(|l| !l.starts_with("## Sizes"))
        .filter(|l| l.starts_with("| "))
        .collect();
    assert!(stack.len() > 3, "no stack table in BENCHMARKS.md");
    for file in ["README.md", "doc/security.md"] {
        let text = std::fs::read_to_string(Path::new(ROOT).join(file)).unwrap();
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let figure = text.split("deepest stack use is ").nth(1).and_then(|t| t.split(' ').next());
        let figure = figure.unwrap_or_else(|| panic!("{file} gives no deepest stack use"));
        assert!(stack.iter().any(|l| l.ends_with(&format!("| {figure} |"))), "{file}'s {figure} bytes is not measured");
    }
}
