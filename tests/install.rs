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

/// How much larger than the release build a `cargo install --git` may be: cargo does not
/// read the repository's .cargo/config.toml for it, whose code generation settings (static
/// relocation model, inline threshold 25, no jump tables, no red zone) save 580 bytes on
/// x86_64 (15,448 against 14,868).
const WITHOUT_THE_CONFIG: u64 = 1024;

/// What the budget test and the container tests rely on, for an installed binary, whose
/// budget is the release's plus `extra`.
fn check(installed: &str, extra: u64) {
    let elf = std::fs::read(installed).unwrap();
    assert_eq!(elf_u16(&elf, 16), 2, "{installed}: not ET_EXEC");
    let headers = program_headers(&elf);
    assert!(!headers.iter().any(|&(t, _)| t == PT_INTERP || t == PT_DYNAMIC), "{installed}: not static");
    let loads: Vec<u32> = headers.iter().filter(|&&(t, _)| t == PT_LOAD).map(|&(_, f)| f).collect();
    assert_eq!(loads, [5], "{installed}: expected one read-only, executable segment");
    // e_shnum: the section headers are cut off (build.rs's linker wrapper).
    assert_eq!(&elf[60..62], [0, 0], "{installed}: still has section headers");
    let budget = budget(&elf) + extra;
    assert!(elf.len() as u64 <= budget, "{installed}: {} bytes, over the budget of {budget}", elf.len());
    let mut cmd = pid1_command_of(installed, &["/bin/sh", "-c", "exit 3"]);
    cmd.current_dir("/");
    assert_eq!(run(cmd, 30).code(), 3, "{installed} as PID 1");
}

#[test]
fn cargo_install_from_the_path_gives_the_release_binary() {
    native_only!("cargo install builds for the host");
    let installed = install("path", &["--path", REPO]);
    check(&installed, 0);
    // From the path, cargo reads the tree's .cargo/config.toml: the very same bytes.
    let built = std::fs::read(env!("CARGO_BIN_EXE_pidone")).unwrap();
    assert!(std::fs::read(&installed).unwrap() == built, "cargo install --path differs from cargo build --release");
}

#[test]
fn cargo_install_from_git_gives_a_static_binary_near_the_budget() {
    native_only!("cargo install builds for the host");
    // The commit HEAD names: what `cargo install --git` of this repository would build.
    if !Path::new(REPO).join(".git").exists() {
        eprintln!("skipped: {REPO} is not a git checkout");
        return;
    }
    let installed = install("git", &["--git", &format!("file://{REPO}")]);
    check(&installed, WITHOUT_THE_CONFIG);
    eprintln!("cargo install --git: {} bytes", std::fs::metadata(&installed).unwrap().len());
}

/// Built from its package (what crates.io serves, and `cargo install pidone` builds) there
/// is no `.git`: `--version` still names the commit, read from the `.cargo_vcs_info.json`
/// that `cargo package` writes, and `docker info` can show it.
#[test]
fn a_build_from_the_package_names_its_commit() {
    native_only!("cargo package builds for the host");
    if !Path::new(REPO).join(".git").exists() {
        eprintln!("skipped: {REPO} is not a git checkout");
        return;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let packaged = scratch_dir("package");
    let out = Command::new(&cargo)
        .args(["package", "--no-verify", "--allow-dirty", "--target-dir", packaged.to_str().unwrap()])
        .current_dir(REPO)
        .output()
        .unwrap();
    assert!(out.status.success(), "cargo package: {}", String::from_utf8_lossy(&out.stderr));
    let version = env!("CARGO_PKG_VERSION");
    let crate_file = packaged.join(format!("package/pidone-{version}.crate"));
    // Unpacked and built outside the tree, where no git repository is around.
    let elsewhere = std::env::temp_dir().join(format!("pidone-package-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&elsewhere);
    std::fs::create_dir_all(&elsewhere).unwrap();
    let out = Command::new("tar").arg("-xzf").arg(&crate_file).arg("-C").arg(&elsewhere).output().unwrap();
    assert!(out.status.success(), "tar: {}", String::from_utf8_lossy(&out.stderr));
    let src = elsewhere.join(format!("pidone-{version}"));
    assert!(!src.join(".git").exists() && src.join(".cargo_vcs_info.json").exists());
    let out = Command::new(&cargo)
        .args(["build", "--release", "--locked"])
        .current_dir(&src)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    assert!(out.status.success(), "cargo build: {}", String::from_utf8_lossy(&out.stderr));
    let head = Command::new("git").args(["rev-parse", "--short=7", "HEAD"]).current_dir(REPO).output().unwrap();
    let head = String::from_utf8(head.stdout).unwrap().trim().to_string();
    let out = Command::new(src.join("target/release/pidone")).arg("--version").output().unwrap();
    let _ = std::fs::remove_dir_all(&elsewhere);
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("pidone {version} - git.{head}\n"));
}

/// Debian 12's own `rustc` (1.63) is too old for pidone (1.88 or later, Cargo.toml's
/// rust-version), but its `rustc-web` and `cargo-web` (1.96) build it: a static binary
/// with one read-only segment that runs as PID 1, inside the budget. It is not byte for
/// byte the rustup build's, and is not expected to be: another compiler version (and LLVM)
/// generates other code (measured with 1.96 against rustup's 1.95: the same size, 14,868
/// bytes on x86_64, with 258 bytes that differ); the test prints both sizes.
#[test]
fn debians_rustc_web_builds_it() {
    native_only!("a build for the host");
    if !Path::new("/usr/bin/cargo").exists() || !Path::new("/usr/bin/rustc").exists() {
        assert!(
            std::env::var("CI").map_or(true, |v| v.is_empty() || v == "false"),
            "CI installs rustc-web and cargo-web"
        );
        eprintln!("skipped: no Debian rustc-web/cargo-web (/usr/bin/cargo, /usr/bin/rustc)");
        return;
    }
    let target = scratch_dir("rustc-web");
    let out = Command::new("/usr/bin/cargo")
        .args(["build", "--release", "--locked", "--target-dir", target.to_str().unwrap()])
        .current_dir(REPO)
        // Debian's cargo would otherwise find the rustup proxy first on PATH.
        .env("RUSTC", "/usr/bin/rustc")
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    assert!(out.status.success(), "Debian's cargo build: {}", String::from_utf8_lossy(&out.stderr));
    let built = target.join("release/pidone");
    let version = Command::new("/usr/bin/rustc").arg("--version").output().unwrap();
    eprintln!(
        "{}: {} bytes; rustup's: {} bytes",
        String::from_utf8_lossy(&version.stdout).trim(),
        std::fs::metadata(&built).unwrap().len(),
        std::fs::metadata(env!("CARGO_BIN_EXE_pidone")).unwrap().len()
    );
    check(built.to_str().unwrap(), 0);
}
