//! Link arguments for a static, libc-free executable with our own `_start`.
//!
//! They are given to the `pidone` binary only (`rustc-link-arg-bins`): putting `-static`
//! into RUSTFLAGS would also link this build script statically, and that crashes.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    embed_git_commit();
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os != "linux" {
        return;
    }
    for arg in [
        // Our `_start` lives in src/arch; crt1.o's would collide with it.
        "-nostartfiles",
        // No libc, no libgcc: the memory intrinsics are in src/start.rs.
        "-nostdlib",
        // A static executable has no PT_INTERP: it runs in a scratch image.
        "-static",
        // Not static-pie: without a self-relocator the GOT would stay unrelocated.
        "-no-pie",
        // Drop every section nothing references (most of `core`).
        "-Wl,--gc-sections",
        // A build id is 36 bytes that nothing here reads.
        "-Wl,--build-id=none",
        // One segment for code and read-only data instead of page-aligned separate ones.
        "-Wl,-z,noseparate-code",
        // No PT_GNU_RELRO: without a dynamic loader nothing would apply it (the kernel
        // ignores it), so it is only a program header and padding.
        "-Wl,-z,norelro",
        // No unwinder reads .eh_frame_hdr in a panic=abort binary.
        "-Wl,--no-eh-frame-hdr",
    ] {
        println!("cargo:rustc-link-arg-bins={arg}");
    }
    // Drops the unwind tables and .comment (see the script for why).
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    println!("cargo:rerun-if-changed=link.ld");
    println!("cargo:rustc-link-arg-bins=-Wl,-T,{dir}/link.ld");
}

/// `--version` says `pidone X.Y.Z - git.<commit>`: the ` - git.` part is what `docker info`
/// parses from an init's `--version` (moby's parseInitVersion, made for tini's output).
fn embed_git_commit() {
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short=7", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric()))
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=PIDONE_GIT_COMMIT={commit}");
    for path in [".git/HEAD", ".git/refs/heads", ".git/packed-refs"] {
        if std::path::Path::new(path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}
