//! Link arguments for a static, libc-free executable with our own `_start`.
//!
//! They are given to the `pidone` binary only (`rustc-link-arg-bins`): putting `-static`
//! into RUSTFLAGS would also link this build script statically, and that crashes.
fn main() {
    // Run again by the linker wrapper (see `install_linker_wrapper`) on the linked binary.
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, file] = args.as_slice()
        && flag == CUT_FLAG
    {
        if let Err(e) = cut_section_headers(std::path::Path::new(file)) {
            eprintln!("pidone build: cutting the section headers of {file}: {e}");
            std::process::exit(1);
        }
        return;
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
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
        // The entry point by name: GNU ld's default on MIPS is `__start`.
        "-Wl,--entry=_start",
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
    install_linker_wrapper();
}

const CUT_FLAG: &str = "--cut-section-headers";

/// The section header table and its string table survive `strip`, and nothing needs them
/// to run the binary: the kernel reads only the ELF and program headers. Cutting them off
/// saves 281 bytes on x86_64 (4 headers of 64 bytes and a 25-byte name table; 185 on
/// 32-bit targets). GNU ld cannot leave them out, so the cut happens after it: gcc looks
/// for `ld` first in the directories given with `-B`, where this writes a wrapper that
/// runs the real linker and then this build script's own executable on the output. It
/// is part of the build, so `cargo install` gets the same binary. Where the real linker
/// cannot be found (a driver other than gcc, say), the binary is simply left whole.
///
/// `PIDONE_KEEP_SECTIONS=1` keeps them, for a debugger or `nm` on an unstripped build
/// (`CARGO_PROFILE_RELEASE_STRIP=false`): without section headers there is no symbol table.
fn install_linker_wrapper() {
    println!("cargo:rerun-if-env-changed=PIDONE_KEEP_SECTIONS");
    if std::env::var_os("PIDONE_KEEP_SECTIONS").is_some_and(|v| !v.is_empty() && v != "0") {
        return;
    }
    let out = std::env::var("OUT_DIR").unwrap_or_default();
    let driver = std::env::var("RUSTC_LINKER").unwrap_or_else(|_| "cc".into());
    // GNU ld, or LLVM's lld where Debian's binutils have no GNU ld for the target
    // (loongarch64, linked by clang).
    let lld = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|a| a == "loongarch64");
    let (name, flavour) = if lld { ("ld.lld", "lld") } else { ("ld", "bfd") };
    let ld = std::process::Command::new(&driver)
        .arg(format!("-print-prog-name={name}"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .and_then(|s| absolute(&s));
    let (Some(ld), Ok(me)) = (ld, std::env::current_exe()) else {
        println!("cargo:warning=no linker wrapper: the section headers stay (about 280 bytes)");
        return;
    };
    let wrap = std::path::Path::new(&out).join("ld-wrapper");
    let script = format!(
        "#!/bin/sh\n\
         # Written by pidone's build.rs: the real linker, then the section headers cut off.\n\
         '{ld}' \"$@\" || exit $?\n\
         out=a.out; prev=\n\
         for a in \"$@\"; do [ \"$prev\" = -o ] && out=$a; prev=$a; done\n\
         exec '{me}' {CUT_FLAG} \"$out\"\n",
        me = me.display()
    );
    use std::os::unix::fs::PermissionsExt;
    let written = std::fs::create_dir_all(&wrap)
        .and_then(|()| std::fs::write(wrap.join("ld"), script))
        .and_then(|()| std::fs::set_permissions(wrap.join("ld"), std::fs::Permissions::from_mode(0o755)));
    if let Err(e) = written {
        println!("cargo:warning=no linker wrapper ({e}): the section headers stay");
        return;
    }
    // Also as ld.bfd or ld.lld, which -fuse-ld (below) asks the driver for.
    let alias = wrap.join(format!("ld.{flavour}"));
    let _ = std::fs::remove_file(&alias);
    if let Err(e) = std::os::unix::fs::symlink("ld", &alias) {
        println!("cargo:warning=no linker wrapper as ld.{flavour} ({e})");
    }
    println!("cargo:rustc-link-arg-bins=-B{}/", wrap.display());
    // GNU ld, also where .cargo/config.toml is not read (`cargo install --git` builds in a
    // checkout of its own): rustc's default on x86_64, lld, would give the binary a
    // second segment and keep the section headers, 888 bytes more (measured).
    println!("cargo:rustc-link-arg-bins=-fuse-ld={flavour}");
    if lld {
        // lld puts read-only data in a segment of its own unless told otherwise: one
        // segment, as GNU ld makes with -z noseparate-code.
        println!("cargo:rustc-link-arg-bins=-Wl,--no-rosegment");
    }
}

/// `prog` as gcc would run it: as it is if it is a path, else the first in PATH.
fn absolute(prog: &str) -> Option<String> {
    if prog.contains('/') {
        return Some(prog.to_string());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(prog)).find(|p| p.is_file()).map(|p| p.display().to_string())
}

/// Removes the section header table from the ELF file at `path`: the header's e_shoff,
/// e_shnum and e_shstrndx become 0 and the file ends where its last segment does. ELF32
/// and ELF64, either byte order.
fn cut_section_headers(path: &std::path::Path) -> std::io::Result<()> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    let mut elf = std::fs::read(path)?;
    if elf.get(..4) != Some(b"\x7fELF") {
        return Err(bad("not an ELF file"));
    }
    let wide = elf[4] == 2;
    let big = elf[5] == 2;
    let get = |elf: &[u8], at: usize, n: usize| -> Option<u64> {
        let b = elf.get(at..at + n)?;
        Some(if big {
            b.iter().fold(0, |v, &x| v << 8 | x as u64)
        } else {
            b.iter().rev().fold(0, |v, &x| v << 8 | x as u64)
        })
    };
    // (e_phoff, e_shoff, e_phentsize, e_phnum, e_shentsize) and, in a program header,
    // (p_offset, p_filesz), by class.
    let (phoff, shoff, phentsize, phnum, shentsize, word) =
        if wide { (32, 40, 54, 56, 58, 8) } else { (28, 32, 42, 44, 46, 4) };
    let (p_offset, p_filesz) = if wide { (8, 32) } else { (4, 16) };
    let field = |elf: &[u8], at, n| get(elf, at, n).ok_or_else(|| bad("truncated header"));
    let (ph, size, count) = (field(&elf, phoff, word)?, field(&elf, phentsize, 2)?, field(&elf, phnum, 2)?);
    let mut end = ph + size * count;
    for i in 0..count {
        let at = (ph + i * size) as usize;
        end = end.max(field(&elf, at + p_offset, word)? + field(&elf, at + p_filesz, word)?);
    }
    if end > elf.len() as u64 {
        return Err(bad("a segment ends past the file"));
    }
    // e_shoff, then e_shentsize, e_shnum and e_shstrndx (2 bytes each).
    elf[shoff..shoff + word].fill(0);
    elf[shentsize..shentsize + 6].fill(0);
    elf.truncate(end as usize);
    std::fs::write(path, elf)
}

/// `--version` says `pidone X.Y.Z - git.<commit>`: the ` - git.` part is what `docker info`
/// parses from an init's `--version` (moby's parseInitVersion, made for tini's output).
/// The commit comes from `.cargo_vcs_info.json` in a crate built from its package (a
/// crates.io download, `cargo package`), where there is no `.git`, or a `.git` that is
/// not the crate's; otherwise from git.
fn embed_git_commit() {
    let commit = std::fs::read_to_string(".cargo_vcs_info.json")
        .ok()
        .and_then(|json| packaged_commit(&json))
        .or_else(|| {
            std::process::Command::new("git")
                .args(["rev-parse", "--short=7", "HEAD"])
                .output()
                .ok()
                .filter(|o| o.status.success())
                .and_then(|o| String::from_utf8(o.stdout).ok())
        })
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric()))
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=PIDONE_GIT_COMMIT={commit}");
    // (Only files that exist: cargo runs a build script again every time for a missing one.)
    for path in [".cargo_vcs_info.json", ".git/HEAD", ".git/refs/heads", ".git/packed-refs"] {
        if std::path::Path::new(path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}

/// The first 7 hex digits of `"sha1": "<40 hex digits>"` in cargo's `.cargo_vcs_info.json`
/// (`{"git": {"sha1": "..."}, "path_in_vcs": ""}`), without a JSON parser.
fn packaged_commit(json: &str) -> Option<String> {
    let rest = &json[json.find("\"sha1\"")? + 6..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start().strip_prefix('"')?;
    let sha: String = rest.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
    (sha.len() == 40).then(|| sha[..7].to_string())
}
