//! The release that `scripts/release` writes: the ten binaries, a Debian package per
//! architecture, the multi-architecture OCI image archive and SHA256SUMS. `.ci/run` builds
//! it and runs these tests with `PIDONE_RELEASE_DIR` naming it; without that variable
//! they say so and do nothing (a release takes every architecture's toolchain).

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::Command;

const ARCHES: [(&str, &str, u16); 10] = [
    // (scripts/dist name, Debian architecture, ELF e_machine)
    ("amd64", "amd64", 62),
    ("arm64", "arm64", EM_AARCH64),
    ("armv7", "armhf", EM_ARM),
    ("armv6", "armel", EM_ARM),
    ("riscv64", "riscv64", 243),
    ("386", "i386", 3),
    ("ppc64le", "ppc64el", EM_PPC64),
    ("s390x", "s390x", EM_S390),
    ("mips64le", "mips64el", EM_MIPS),
    ("loong64", "loong64", EM_LOONGARCH),
];

/// The lintian tags a package may show (warnings at most), each with why it stays. Any
/// error, or any other tag, fails. Two more are overridden in the package itself
/// (/usr/share/lintian/overrides/pidone), with their reasons: statically-linked-binary
/// (an error by lintian's rules, and the point of pidone: it runs in images with no C
/// library; catatonit's package overrides it too), and on loong64 only
/// binary-from-other-architecture (Debian 12's lintian does not know loong64's ELF
/// machine; this suite checks it).
const LINTIAN_ALLOWED: &[(&str, &str)] = &[
    (
        "initial-upload-closes-no-bugs",
        "the first Debian changelog entry closes no ITP bug: the packages are not uploaded to Debian",
    ),
    ("unknown-architecture", "loong64 only: Debian 12's lintian predates the loong64 port"),
];

fn release_dir() -> Option<PathBuf> {
    match std::env::var_os("PIDONE_RELEASE_DIR") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => {
            eprintln!("skipped: PIDONE_RELEASE_DIR names no release (.ci/run's release part sets it)");
            None
        }
    }
}

fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

fn deb(dir: &Path, debarch: &str) -> PathBuf {
    dir.join(format!("pidone_{}-1_{debarch}.deb", version()))
}

fn output(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_file_is_there_and_summed() {
    let Some(dir) = release_dir() else { return };
    let mut expected: Vec<String> = vec!["SHA256SUMS".into(), format!("pidone-{}-oci.tar", version())];
    for (arch, debarch, machine) in ARCHES {
        expected.push(format!("pidone-{arch}"));
        expected.push(deb(&dir, debarch).file_name().unwrap().to_str().unwrap().to_string());
        let elf = std::fs::read(dir.join(format!("pidone-{arch}"))).unwrap();
        assert_eq!(elf_u16(&elf, 18), machine, "pidone-{arch}");
        assert!(elf.len() as u64 <= budget(&elf), "pidone-{arch}: {} bytes", elf.len());
    }
    let mut found: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    expected.sort();
    found.sort();
    assert_eq!(found, expected);
    let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).unwrap();
    assert_eq!(sums.lines().count(), expected.len() - 1);
    output(Command::new("sha256sum").arg("-c").arg("--strict").arg("SHA256SUMS").current_dir(&dir));
    // The amd64 binary is the one this suite built and tested.
    assert!(std::fs::read(dir.join("pidone-amd64")).unwrap() == std::fs::read(bin()).unwrap());
}

/// A second release from the same commit, with another umask, time zone and output
/// folder, is the same, byte for byte.
#[test]
fn two_releases_from_one_commit_are_identical() {
    let Some(dir) = release_dir() else { return };
    let again = scratch_dir("release-again");
    let mut cmd = Command::new("/bin/sh");
    cmd.args(["-c", "umask 077; exec scripts/release --allow-dirty \"$1\"", "sh", again.to_str().unwrap()]);
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).env("TZ", "Pacific/Kiritimati");
    output(&mut cmd);
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name();
        let (a, b) = (std::fs::read(dir.join(&name)).unwrap(), std::fs::read(again.join(&name)).unwrap());
        assert!(a == b, "{name:?} differs between two releases of the same commit");
    }
    // dist/, rebuilt under that umask, stays readable by the tests that run its binaries
    // as nobody (scripts/test-foreign runs after this).
    use std::os::unix::fs::PermissionsExt;
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("dist");
    for entry in std::fs::read_dir(&dist).unwrap().map(|e| e.unwrap().path()).chain([dist.clone()]) {
        let mode = std::fs::metadata(&entry).unwrap().permissions().mode() & 0o777;
        assert!(mode & 0o005 == 0o005 || entry.ends_with("SHA256SUMS"), "{entry:?} has mode {mode:o}");
    }
    let _ = std::fs::remove_dir_all(&again);
}

#[test]
fn debian_packages_have_their_fields_and_files() {
    let Some(dir) = release_dir() else { return };
    for (arch, debarch, _) in ARCHES {
        let deb = deb(&dir, debarch);
        let field = |name: &str| output(Command::new("dpkg-deb").arg("-f").arg(&deb).arg(name)).trim().to_string();
        assert_eq!(field("Package"), "pidone");
        assert_eq!(field("Version"), format!("{}-1", version()));
        assert_eq!(field("Architecture"), debarch, "{arch}");
        assert_eq!(field("Section"), "admin");
        assert_eq!(field("Priority"), "optional");
        assert!(field("Maintainer").contains('@'));
        let description = field("Description");
        assert!(description.starts_with("smallest correct init (PID 1) for containers\n"), "{description}");
        assert!(!description.contains("cargo build"), "the long description is not the README");
        let listing = output(Command::new("dpkg-deb").arg("-c").arg(&deb));
        let files: Vec<&str> =
            listing.lines().filter(|l| l.starts_with('-')).map(|l| l.rsplit(' ').next().unwrap()).collect();
        assert_eq!(
            files,
            [
                "./usr/bin/pidone",
                "./usr/share/doc/pidone/changelog.Debian.gz",
                "./usr/share/doc/pidone/changelog.gz",
                "./usr/share/doc/pidone/copyright",
                "./usr/share/lintian/overrides/pidone",
                "./usr/share/man/man1/pidone.1.gz",
            ],
            "{arch}"
        );
        assert!(listing.contains("-rwxr-xr-x root/root"), "{listing}");
        // The packaged binary is the release's.
        let extracted = scratch_dir(&format!("deb-{arch}"));
        output(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&extracted));
        assert!(
            std::fs::read(extracted.join("usr/bin/pidone")).unwrap()
                == std::fs::read(dir.join(format!("pidone-{arch}"))).unwrap(),
            "{arch}"
        );
        let copyright = std::fs::read_to_string(extracted.join("usr/share/doc/pidone/copyright")).unwrap();
        assert!(copyright.starts_with("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"));
    }
}

#[test]
fn lintian_finds_no_error_and_only_the_listed_tags() {
    let Some(dir) = release_dir() else { return };
    for (_, debarch, _) in ARCHES {
        let deb = deb(&dir, debarch);
        // Every tag, informational ones too; lintian's exit code says nothing we use here.
        let out =
            Command::new("lintian").args(["--display-info", "--tag-display-limit", "0"]).arg(&deb).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            assert!(!line.starts_with("E:"), "{debarch}: {line}");
            if line.starts_with("N:") {
                continue;
            }
            // "W: pidone: tag [where]"
            let tag = line.splitn(3, ": ").nth(2).and_then(|rest| rest.split(' ').next()).unwrap_or(line);
            assert!(LINTIAN_ALLOWED.iter().any(|(t, _)| *t == tag), "{debarch}: lintian says {line:?}");
            assert!(tag != "unknown-architecture" || debarch == "loong64", "{debarch}: {line}");
        }
        eprintln!("{debarch}: {}", if text.trim().is_empty() { "no tags" } else { text.trim() });
    }
}

/// The amd64 package installed into a throwaway root with a dpkg database of its own
/// (never the machine's): the installed pidone runs as PID 1, its man page is found, and
/// removing the package leaves nothing behind.
#[test]
fn the_amd64_package_installs_runs_and_goes_away() {
    let Some(dir) = release_dir() else { return };
    if !is_root() {
        eprintln!("skipped: dpkg --root needs root to give files their owners");
        return;
    }
    let root = scratch_dir("deb-root");
    let admin = root.join("var/lib/dpkg");
    for sub in ["info", "updates", "triggers"] {
        std::fs::create_dir_all(admin.join(sub)).unwrap();
    }
    std::fs::write(admin.join("status"), "").unwrap();
    let dpkg = |args: &[&str]| {
        let mut cmd = Command::new("dpkg");
        cmd.arg(format!("--root={}", root.display())).arg(format!("--admindir={}", admin.display()));
        cmd.args(["--force-script-chrootless", "--force-not-root"]).args(args);
        output(&mut cmd)
    };
    dpkg(&["-i", deb(&dir, "amd64").to_str().unwrap()]);
    let status = dpkg(&["-s", "pidone"]);
    assert!(status.contains("Status: install ok installed"), "{status}");
    let installed = root.join("usr/bin/pidone");
    let out = run(pid1_command_of(installed.to_str().unwrap(), &["/bin/sh", "-c", "exit 7"]), 30);
    assert_eq!(out.code(), 7, "{}", out.stderr);
    let page = output(Command::new("man").arg("-M").arg(root.join("usr/share/man")).args(["-w", "pidone"]));
    assert_eq!(page.trim(), root.join("usr/share/man/man1/pidone.1.gz").to_str().unwrap());
    dpkg(&["--purge", "pidone"]);
    let left: Vec<PathBuf> = walk(&root.join("usr"));
    assert!(left.is_empty(), "left after removal: {left:?}");
    assert!(!dpkg(&["-l"]).contains("pidone"), "still in the package database");
}

/// The files under `dir` (not directories).
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// The archive's image index names the ten platforms as Docker's TARGETARCH and
/// TARGETVARIANT spell them (variants for arm/v6, arm/v7 and arm64/v8), each manifest
/// holding one layer, and is tagged with the version.
#[test]
fn the_image_index_names_every_platform() {
    let Some(dir) = release_dir() else { return };
    let source = format!("oci-archive:{}", dir.join(format!("pidone-{}-oci.tar", version())).display());
    let index = output(Command::new("skopeo").args(["inspect", "--raw", &source]));
    let mut platforms = Vec::new();
    for manifest in index.split("\"platform\":{").skip(1) {
        let field = |name: &str| {
            manifest
                .split_once(&format!("\"{name}\":\""))
                .map(|(_, rest)| rest.split('"').next().unwrap().to_string())
                .filter(|_| manifest.find(&format!("\"{name}\"")) < manifest.find('}'))
        };
        let mut p = format!("{}/{}", field("os").unwrap(), field("architecture").unwrap());
        if let Some(v) = field("variant") {
            p = format!("{p}/{v}");
        }
        platforms.push(p);
    }
    platforms.sort();
    assert_eq!(
        platforms,
        [
            "linux/386",
            "linux/amd64",
            "linux/arm/v6",
            "linux/arm/v7",
            "linux/arm64/v8",
            "linux/loong64",
            "linux/mips64le",
            "linux/ppc64le",
            "linux/riscv64",
            "linux/s390x"
        ]
    );
    assert!(index.contains(&format!("\"org.opencontainers.image.version\":\"{}\"", version())), "{index}");
    // What the README's push command does, to a directory instead of a registry: all ten
    // images go.
    let copied = scratch_dir("skopeo-all");
    let _ = std::fs::remove_dir_all(&copied);
    output(Command::new("skopeo").args(["copy", "--all", &source, &format!("dir:{}", copied.display())]));
    let manifests = std::fs::read_dir(&copied)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_str().unwrap().ends_with(".manifest.json"))
        .count();
    assert_eq!(manifests, 10);
}

/// `podman ARGS` with the private storage .ci/run set up; its stdout.
fn podman(args: &[&str]) -> String {
    let mut cmd = Command::new("timeout");
    cmd.arg("300").arg("podman").args(args);
    output(&mut cmd)
}

/// The image archive in the private Podman: the amd64 image runs, an application image
/// takes /pidone from it with `COPY --from` and stops with 143, and the arm64 and s390x
/// images run under qemu-user, each with its own architecture's binary.
#[test]
fn the_image_archive_runs_in_podman_on_three_architectures() {
    let Some(dir) = release_dir() else { return };
    if std::env::var_os("CONTAINERS_STORAGE_CONF").is_none() {
        assert!(std::env::var("CI").map_or(true, |v| v.is_empty() || v == "false"), "CI needs the private Podman");
        eprintln!("skipped: no private Podman (CONTAINERS_STORAGE_CONF), which .ci/run starts");
        return;
    }
    let archive = dir.join(format!("pidone-{}-oci.tar", version()));
    let source = format!("oci-archive:{}", archive.display());
    let tag = format!("localhost/pidone-release:{}", std::process::id());
    let want = format!("pidone {} - git.", version());
    for (arch, platform) in [("amd64", "linux/amd64"), ("arm64", "linux/arm64"), ("s390x", "linux/s390x")] {
        let image = format!("{tag}-{arch}");
        // `pull -q` prints the id of the image it took for that platform.
        let id = podman(&["pull", "-q", "--platform", platform, &source]);
        podman(&["tag", id.trim(), &image]);
        let inspect = podman(&["image", "inspect", "--format", "{{.Os}}/{{.Architecture}}", &image]);
        assert_eq!(inspect.trim(), platform, "{arch}");
        let version = podman(&["run", "--rm", "--platform", platform, "--network", "none", &image, "--version"]);
        assert!(version.starts_with(&want), "{arch}: {version}");
        // The binary in the image is the release's for that architecture.
        let cid = podman(&["create", "--platform", platform, &image]);
        let copied = scratch_dir(&format!("image-{arch}")).join("pidone");
        podman(&["cp", &format!("{}:/pidone", cid.trim()), copied.to_str().unwrap()]);
        podman(&["rm", cid.trim()]);
        assert!(
            std::fs::read(&copied).unwrap() == std::fs::read(dir.join(format!("pidone-{arch}"))).unwrap(),
            "{arch}"
        );
    }
    // An application image that takes pidone with COPY --from, stopped by podman stop.
    let build = scratch_dir("release-app");
    std::fs::copy("/bin/busybox", build.join("busybox")).unwrap();
    std::fs::write(
        build.join("Containerfile"),
        format!(
            "FROM {tag}-amd64 AS pidone\nFROM scratch\nCOPY --from=pidone /pidone /pidone\nCOPY busybox /bin/busybox\n\
             ENTRYPOINT [\"/pidone\", \"--\"]\nCMD [\"/bin/busybox\", \"sleep\", \"1000\"]\n"
        ),
    )
    .unwrap();
    let app = format!("{tag}-app");
    podman(&["build", "-q", "-t", &app, build.to_str().unwrap()]);
    let name = format!("pidone-release-{}", std::process::id());
    podman(&[
        "run",
        "-d",
        "--name",
        &name,
        "--network",
        "none",
        "--ulimit",
        "nofile=1024:1024",
        "--ulimit",
        "nproc=1024:1024",
        &app,
    ]);
    wait_for("the app to run", 60, || {
        Command::new("podman").args(["exec", &name, "/bin/busybox", "true"]).status().is_ok_and(|s| s.success())
    });
    podman(&["stop", "-t", "30", &name]);
    let code = podman(&["inspect", "--format", "{{.State.ExitCode}}", &name]);
    podman(&["rm", "-f", &name]);
    assert_eq!(code.trim(), "143");
    for suffix in ["amd64", "arm64", "s390x", "app"] {
        let _ = Command::new("podman").args(["rmi", "-f", &format!("{tag}-{suffix}")]).output();
    }
}
