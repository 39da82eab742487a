//! `cargo install`, as a user runs it from outside the source tree: from the path, and
//! from git. Both give a static executable with no program interpreter, one read-only
//! segment and no section headers, inside the size budget, that runs as PID 1.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// `cargo install ARGS --root <fresh dir>` run in a directory outside the tree; returns
/// the installed binary.
fn install(name: &str, args: &[&str]) -> String {
    let root = scratch_dir(&format!("install-{name}"));
    let elsewhere = scratch_dir(&format!("install-{name}-cwd"));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .arg("install")
        .args(args)
        .args(["--locked", "--root", root.to_str().unwrap()])
        .current_dir(&elsewhere)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    assert!(out.status.success(), "cargo install {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    root.join("bin/pidone").to_str().unwrap().to_string()
}

/// What the budget test and the container tests rely on, for an installed binary.
fn check(installed: &str) {
    let elf = std::fs::read(installed).unwrap();
    assert_eq!(elf_u16(&elf, 16), 2, "{installed}: not ET_EXEC");
    let headers = program_headers(&elf);
    assert!(!headers.iter().any(|&(t, _)| t == PT_INTERP || t == PT_DYNAMIC), "{installed}: not static");
    let loads: Vec<u32> = headers.iter().filter(|&&(t, _)| t == PT_LOAD).map(|&(_, f)| f).collect();
    assert_eq!(loads, [5], "{installed}: expected one read-only, executable segment");
    // e_shnum: the section headers are cut off (build.rs's linker wrapper).
    assert_eq!(&elf[60..62], [0, 0], "{installed}: still has section headers");
    let budget = budget(&elf);
    assert!(elf.len() as u64 <= budget, "{installed}: {} bytes, over the budget of {budget}", elf.len());
    let mut cmd = pid1_command_of(installed, &["/bin/sh", "-c", "exit 3"]);
    cmd.current_dir("/");
    assert_eq!(run(cmd, 30).code(), 3, "{installed} as PID 1");
}

#[test]
fn cargo_install_from_the_path_gives_the_release_binary() {
    native_only!("cargo install builds for the host");
    let installed = install("path", &["--path", REPO]);
    check(&installed);
    // From the path, cargo reads the tree's .cargo/config.toml: the very same bytes.
    let built = std::fs::read(env!("CARGO_BIN_EXE_pidone")).unwrap();
    assert!(std::fs::read(&installed).unwrap() == built, "cargo install --path differs from cargo build --release");
}

#[test]
fn cargo_install_from_git_gives_a_static_binary_inside_the_budget() {
    native_only!("cargo install builds for the host");
    // The commit HEAD names: what `cargo install --git` of this repository would build.
    if !Path::new(REPO).join(".git").exists() {
        eprintln!("skipped: {REPO} is not a git checkout");
        return;
    }
    let installed = install("git", &["--git", &format!("file://{REPO}")]);
    check(&installed);
}
