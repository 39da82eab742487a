//! The man page, doc/pidone.1: it renders without a warning, and it names every option and
//! variable that `--help` names, so the two cannot drift apart.

mod common;
use common::*;
use std::process::Command;

const PAGE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/doc/pidone.1");

#[test]
fn the_man_page_renders_without_warnings() {
    let out = Command::new("groff").args(["-ww", "-z", "-man", PAGE]).output().expect("groff (Debian: groff-base)");
    assert!(out.status.success(), "groff failed: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "groff warns about doc/pidone.1");
}

/// The options and variables `--help` names: every word starting with `-` (split at
/// commas), and the variables written as `PREFIX_{A,B}`.
fn named_in_help() -> Vec<String> {
    let help = run(plain_command(&["--help"]), 10).stdout;
    let mut names = Vec::new();
    for word in help.split(|c: char| c.is_whitespace() || c == ',') {
        if word.starts_with('-') && word.len() > 1 && word != "--" {
            names.push(word.trim_end_matches(':').to_string());
        }
    }
    for part in help.split_whitespace() {
        if let Some((prefix, rest)) = part.split_once('{') {
            let list = rest.trim_end_matches([',', '}']).trim_end_matches('}');
            for name in list.split(',') {
                names.push(format!("{prefix}{name}"));
            }
        }
    }
    names
}

#[test]
fn the_man_page_names_every_option_and_variable_of_the_help() {
    // Rendered as plain text on one long line per paragraph, without hyphenation, so that
    // every name is whole.
    let out = Command::new("groff")
        .args(["-man", "-Tascii", "-rLL=2000n", "-rHY=0", "-P-cbou", PAGE])
        .output()
        .expect("groff (Debian: groff-base)");
    let text = String::from_utf8(out.stdout).unwrap();
    let words: Vec<&str> =
        text.split(|c: char| c.is_whitespace() || ",.;:()\"".contains(c)).filter(|w| !w.is_empty()).collect();
    let names = named_in_help();
    assert!(names.len() > 25, "too few names read from --help: {names:?}");
    let missing: Vec<&String> =
        names.iter().filter(|n| !words.iter().any(|w| w == n || w.starts_with(&format!("{n}=")))).collect();
    assert!(missing.is_empty(), "doc/pidone.1 does not name {missing:?}");
}
