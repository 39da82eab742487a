//! The Kubernetes node path: no Docker, but an OCI runtime (runc, crun) started on a
//! bundle, or containerd (`ctr`) with an image imported from an archive, as the kubelet
//! has containerd or CRI-O do. Each scenario runs with pidone as the container's entry
//! point and, where it shows the difference, with a baseline without it. Every runtime
//! keeps its state in a directory of the test's own; containerd is the private one
//! `.ci/run` starts (`CONTAINERD_ADDRESS`), in a namespace of the test's own.
//!
//! crun 1.8 refuses this machine's hybrid cgroup layout (cgroup v1 controllers with the
//! unified hierarchy at /sys/fs/cgroup/unified), even with --cgroup-manager=disabled: it
//! runs here in a private mount namespace where that hierarchy is unmounted. The machine's
//! mounts are not changed.

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[derive(Clone, Copy, PartialEq)]
enum Runtime {
    Runc,
    Crun,
}

impl Runtime {
    fn name(self) -> &'static str {
        match self {
            Runtime::Runc => "runc",
            Runtime::Crun => "crun",
        }
    }

    /// `<runtime> --root STATE ARGS`: for crun in a mount namespace without the unified
    /// cgroup hierarchy (see the top of this file).
    fn command(self, state: &Path, args: &[&str]) -> Command {
        let mut cmd = match self {
            Runtime::Runc => Command::new("runc"),
            Runtime::Crun => {
                let mut cmd = Command::new("/usr/bin/unshare");
                cmd.args(["--mount", "--propagation", "private", "/bin/sh", "-c"]);
                cmd.arg("if grep -q ' /sys/fs/cgroup/unified ' /proc/self/mounts; then umount /sys/fs/cgroup/unified || exit 125; fi; exec crun \"$@\"");
                cmd.arg("sh");
                cmd
            }
        };
        cmd.arg("--root").arg(state).args(args);
        cmd
    }
}

/// Whether `program` is installed; in CI (which installs it) a missing one fails.
fn have(program: &str) -> bool {
    let found =
        Command::new("sh").args(["-c", &format!("command -v {program}")]).output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var("CI").map_or(true, |v| v.is_empty() || v == "false"), "{program} is required in CI");
        eprintln!("skipped: no {program}");
    }
    found && is_root()
}

fn ok(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A container of `runtime` on a bundle of its own; deleted when the test ends.
struct Container {
    runtime: Runtime,
    state: PathBuf,
    id: String,
    /// `<runtime> run` in the foreground: its exit code is the container's.
    session: Option<Session>,
    out: PathBuf,
}

impl Container {
    /// Writes the bundle (tests/helpers/bundle.py) and starts `args` in it; waits until it
    /// runs.
    fn start(runtime: Runtime, name: &str, args: &[&str], opts: &[&str]) -> Container {
        let mut c = Container::launch(runtime, name, args, opts);
        let what = format!("{} to run {}", runtime.name(), c.id);
        wait_for(&what, 60, || {
            let session = c.session.as_mut().unwrap();
            if let Some(status) = session.child.try_wait().unwrap() {
                panic!("{what}: it ended first ({status}): {}", session.stderr());
            }
            c.pid().is_some()
        });
        c
    }

    /// `start` without waiting until it runs (a command that ends at once).
    fn launch(runtime: Runtime, name: &str, args: &[&str], opts: &[&str]) -> Container {
        let dir = scratch_dir(&format!("rt-{}-{name}", runtime.name()));
        let (bundle, state, out) = (dir.join("bundle"), dir.join("state"), dir.join("out"));
        std::fs::create_dir_all(&out).unwrap();
        let args_json = format!("[{}]", args.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>().join(","));
        let mut helper_cmd = Command::new(PYTHON);
        helper_cmd.arg(helper("bundle.py")).arg(&bundle).arg(bin()).arg(&args_json).args(opts).arg("--out").arg(&out);
        ok(helper_cmd.output().unwrap(), "bundle.py");
        // The runtime's name too: runc and crun put a container without a cgroupsPath in
        // the cgroup named by its id, and their tests run at the same time.
        let id = format!("pidone-{}-{name}-{}", runtime.name(), std::process::id());
        let session = Session::start(runtime.command(&state, &["run", "--bundle", bundle.to_str().unwrap(), &id]));
        Container { runtime, state, id, session: Some(session), out }
    }

    /// The container's init as the host sees it, once it runs.
    fn pid(&self) -> Option<i32> {
        let out = self.runtime.command(&self.state, &["state", &self.id]).output().ok()?;
        let state = String::from_utf8_lossy(&out.stdout).into_owned();
        if !state.contains("\"running\"") {
            return None;
        }
        state.split("\"pid\":").nth(1)?.split(',').next()?.trim().parse().ok().filter(|&p: &i32| p > 0)
    }

    fn kill(&self, sig: &str) {
        ok(self.runtime.command(&self.state, &["kill", &self.id, sig]).output().unwrap(), "kill");
    }

    /// `<runtime> exec` of busybox ARGS in the container; its stdout.
    fn exec(&self, args: &[&str]) -> String {
        let mut all = vec!["exec", self.id.as_str(), "/bin/busybox"];
        all.extend(args);
        ok(self.runtime.command(&self.state, &all).output().unwrap(), "exec")
    }

    /// How many zombies the container's PID namespace holds.
    fn zombies(&self) -> usize {
        ps_zombies(&self.exec(&["ps", "-o", "stat"]))
    }

    /// Waits for the container's end; its exit code.
    fn wait(&mut self) -> i32 {
        let out = self.session.take().unwrap().finish(120);
        out.code()
    }

    fn file(&self, name: &str) -> String {
        read_text(&self.out.join(name))
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = self.runtime.command(&self.state, &["delete", "--force", &self.id]).output();
    }
}

/// Three survivors that trap TERM (each writes /out/<n> when it gets one), one of them in
/// a session of its own, then five orphans that exit, then a `sleep` that never reaps.
const SCRIPT: &str = "for n in a b c; do \
        s=''; [ $n = c ] && s='busybox setsid'; \
        $s busybox sh -c \"trap 'echo cleaned > /out/\\$0; exit 0' TERM; echo > /out/\\$0.started; \
        while :; do busybox sleep 0.1; done\" $n & \
    done; \
    for i in 1 2 3 4 5; do busybox sh -c 'busybox sleep 0.3 &'; done; \
    exec busybox sleep 1000";

/// The scenario of the issue on one runtime: orphans reaped, and `kill TERM` stops the
/// container gracefully, every survivor's trap running; the baseline (the script as PID
/// 1) keeps 5 zombies, ignores TERM and ends in 137 when SIGKILL follows.
fn stop_and_orphans(runtime: Runtime, userns: bool) {
    let opts: &[&str] = if userns { &["--userns"] } else { &[] };
    let what = format!("{}{}", runtime.name(), if userns { " in a user namespace" } else { "" });
    for with in [true, false] {
        let mut args = vec!["/bin/busybox", "sh", "-c", SCRIPT];
        if with {
            args.splice(0..0, ["/pidone", "--"]);
        }
        let tag = format!("stop-{}{}", if with { "with" } else { "base" }, if userns { "-userns" } else { "" });
        let mut c = Container::start(runtime, &tag, &args, opts);
        wait_for("the survivors to start", 60, || {
            ["a", "b", "c"].iter().all(|n| c.out.join(format!("{n}.started")).exists())
        });
        wait_for("the orphans to exit", 60, || !ps_running(&c.exec(&["ps", "-o", "stat,args"]), "sleep 0.3"));
        let zombies = count_until(if with { 0 } else { 5 }, 60, || c.zombies());
        c.kill("TERM");
        if !with {
            // The script's sleep as PID 1 has no handler: the kernel drops the SIGTERM.
            c.kill("KILL");
        }
        let code = c.wait();
        let cleaned = ["a", "b", "c"].iter().filter(|n| c.file(n) == "cleaned\n").count();
        eprintln!(
            "{what}, {}: {zombies} zombies, exit {code}, {cleaned} of 3 cleaned up",
            if with { "pidone" } else { "baseline" }
        );
        if with {
            assert_eq!((zombies, code, cleaned), (0, 143, 3), "{what} with pidone");
        } else {
            assert_eq!((zombies, code, cleaned), (5, 137, 0), "{what} without pidone");
        }
    }
    // The command's exit code passes through.
    let mut c = Container::launch(
        runtime,
        &format!("exit{}", if userns { "-userns" } else { "" }),
        &["/pidone", "--", "/bin/busybox", "sh", "-c", "exit 42"],
        opts,
    );
    assert_eq!(c.wait(), 42, "{what}");
}

#[test]
fn runc_runs_pidone_as_pid_1() {
    if !have("runc") {
        return;
    }
    native_only!("the container's command is the native busybox");
    stop_and_orphans(Runtime::Runc, false);
    stop_and_orphans(Runtime::Runc, true);
}

#[test]
fn crun_runs_pidone_as_pid_1() {
    if !have("crun") || !have("runc") {
        return;
    }
    native_only!("the container's command is the native busybox");
    stop_and_orphans(Runtime::Crun, false);
    stop_and_orphans(Runtime::Crun, true);
}

/// A pod as the kubelet makes one with `shareProcessNamespace: true`: `pidone -P` is the
/// pause container, PID 1 of the pod's PID namespace, and the application containers join
/// it. An application without an init leaves orphans: the pause's pidone reaps them. One
/// with pidone as its entry point (not PID 1 there: a subreaper) reaps its own and, on
/// `kill TERM`, stops only its own tree: the other application goes on. Then the pause
/// container stops with 0.
#[test]
fn a_pod_sharing_its_pid_namespace() {
    if !have("runc") {
        return;
    }
    native_only!("the container's command is the native busybox");
    let runtime = Runtime::Runc;
    let mut pause = Container::start(runtime, "pause", &["/pidone", "-P"], &[]);
    let ns = format!("/proc/{}/ns/pid", pause.pid().unwrap());
    // Without an init: five orphans, then a sleep that never reaps.
    let orphans = "for i in 1 2 3 4 5; do busybox sh -c 'busybox sleep 0.3 &'; done; exec busybox sleep 1000";
    let mut bare = Container::start(runtime, "pod-bare", &["/bin/busybox", "sh", "-c", orphans], &["--join-pid", &ns]);
    // With pidone: its own orphans and a survivor that traps TERM.
    let script = "busybox sh -c \"trap 'echo cleaned > /out/app; exit 0' TERM; echo > /out/app.started; \
                  while :; do busybox sleep 0.1; done\" & \
                  for i in 1 2 3 4 5; do busybox sh -c 'busybox sleep 0.3 &'; done; exec busybox sleep 1000";
    let mut app = Container::start(
        runtime,
        "pod-app",
        &["/pidone", "--", "/bin/busybox", "sh", "-c", script],
        &["--join-pid", &ns],
    );
    wait_for("the app's survivor", 60, || app.out.join("app.started").exists());
    wait_for("every orphan to exit", 60, || !ps_running(&pause.exec(&["ps", "-o", "stat,args"]), "sleep 0.3"));
    assert_eq!(count_until(0, 60, || pause.zombies()), 0, "{}", pause.exec(&["ps", "-o", "pid,ppid,stat,args"]));
    app.kill("TERM");
    assert_eq!(app.wait(), 143);
    assert_eq!(app.file("app"), "cleaned\n");
    // The application without an init, and the pause, were not touched.
    let ps = pause.exec(&["ps", "-o", "args"]);
    assert!(ps.lines().any(|l| l.trim() == "busybox sleep 1000"), "{ps}");
    assert!(bare.pid().is_some());
    bare.kill("KILL");
    assert_eq!(bare.wait(), 137);
    pause.kill("TERM");
    assert_eq!(pause.wait(), 0);
}

/// containerd's `ctr`, with an image imported from an archive: the release's image archive
/// when `PIDONE_RELEASE_DIR` names a release, else one `scripts/oci.py` (which makes the
/// release's) writes for the binary under test. The image holds only /pidone: busybox is
/// bind-mounted. `ctr task kill -s SIGTERM` gives 143 with every survivor's trap run, the
/// command's exit code passes through, and no orphan is left a zombie.
#[test]
fn containerd_runs_an_imported_image() {
    if !have("ctr") {
        return;
    }
    native_only!("the image under test is the amd64 one");
    let Ok(address) = std::env::var("CONTAINERD_ADDRESS") else {
        assert!(std::env::var("CI").map_or(true, |v| v.is_empty() || v == "false"), "CI needs the private containerd");
        eprintln!("skipped: no private containerd (CONTAINERD_ADDRESS), which .ci/run starts");
        return;
    };
    let dir = scratch_dir("ctr");
    let version = env!("CARGO_PKG_VERSION");
    let archive = match std::env::var_os("PIDONE_RELEASE_DIR") {
        Some(release) => PathBuf::from(release).join(format!("pidone-{version}-oci.tar")),
        None => {
            let archive = dir.join("image.tar");
            let mut cmd = Command::new(PYTHON);
            cmd.arg(format!("{}/scripts/oci.py", env!("CARGO_MANIFEST_DIR"))).args([version, "0"]).arg(&archive);
            cmd.arg(format!("amd64={}", bin()));
            ok(cmd.output().unwrap(), "oci.py");
            archive
        }
    };
    let ns = format!("pidone-test-{}", std::process::id());
    let ctr = |args: &[&str]| {
        let mut cmd = Command::new("ctr");
        cmd.args(["--address", &address, "--namespace", &ns]).args(args);
        cmd
    };
    let image = format!("pidone.test/pidone:{version}");
    ok(
        ctr(&[
            "images",
            "import",
            "--snapshotter",
            "native",
            "--platform",
            "linux/amd64",
            "--index-name",
            &image,
            archive.to_str().unwrap(),
        ])
        .output()
        .unwrap(),
        "import",
    );
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let mounts = [
        "--mount".to_string(),
        "type=bind,src=/bin/busybox,dst=/bin/busybox,options=rbind:ro".to_string(),
        "--mount".to_string(),
        format!("type=bind,src={},dst=/out,options=rbind:rw", out.display()),
    ];
    let start = |id: &str, script: &str| {
        let mut cmd = ctr(&["run", "--snapshotter", "native", "--rm"]);
        cmd.args(&mounts).args([&image, id, "/pidone", "--", "/bin/busybox", "sh", "-c", script]);
        Session::start(cmd)
    };
    let task_running = |id: &str| {
        String::from_utf8_lossy(&ctr(&["tasks", "ls"]).output().unwrap().stdout)
            .lines()
            .any(|l| l.starts_with(id) && l.ends_with("RUNNING"))
    };
    let id = format!("pidone-ctr-{}", std::process::id());
    let s = start(&id, SCRIPT);
    wait_for("the task to run", 60, || task_running(&id));
    wait_for("the survivors to start", 60, || {
        ["a", "b", "c"].iter().all(|n| out.join(format!("{n}.started")).exists())
    });
    let ps = |id: &str| {
        String::from_utf8_lossy(
            &ctr(&["tasks", "exec", "--exec-id", "ps", id, "/bin/busybox", "ps", "-o", "stat,args"])
                .output()
                .unwrap()
                .stdout,
        )
        .into_owned()
    };
    wait_for("the orphans to exit", 60, || !ps_running(&ps(&id), "sleep 0.3"));
    let zombies = count_until(0, 60, || ps_zombies(&ps(&id)));
    ok(ctr(&["tasks", "kill", "--signal", "SIGTERM", &id]).output().unwrap(), "kill");
    let code = s.finish(120).code();
    let cleaned = ["a", "b", "c"].iter().filter(|n| read_text(&out.join(n)) == "cleaned\n").count();
    let exit = start(&format!("{id}-exit"), "exit 42").finish(120).code();
    let _ = ctr(&["images", "rm", &image]).output();
    assert_eq!((zombies, code, cleaned, exit), (0, 143, 3, 42));
}
