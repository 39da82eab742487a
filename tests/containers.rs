//! pidone in real container engines: a FROM scratch image (Dockerfile.scratch) run by
//! Docker and Podman, as ENTRYPOINT and as the engines' `--init`, and a Kubernetes-style
//! pod sharing one PID namespace. Each scenario runs once without pidone as the baseline
//! where that shows the difference.
//!
//! In CI (CI set) a missing engine fails these tests; elsewhere they are skipped with a
//! note. `.ci/run` installs Docker and Podman and runs engines of its own: a dockerd on a
//! private socket (`DOCKER_HOST`) with `--init-path=$PIDONE_DOCKER_INIT`, and Podman with
//! private storage (`CONTAINERS_STORAGE_CONF`, `CONTAINERS_CONF`). The tests reach the
//! engines only through those variables.

mod common;
use common::*;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Where .ci/run points its dockerd's --init-path (`PIDONE_DOCKER_INIT`); the tests keep it
/// a copy of the binary under test. `None` when the engine is not one .ci/run started.
fn docker_init() -> Option<String> {
    std::env::var("PIDONE_DOCKER_INIT").ok().filter(|p| !p.is_empty())
}
/// Podman, as root here, may not raise limits: give every container fixed ones.
const PODMAN_LIMITS: [&str; 4] = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"];

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
}

/// Whether `engine` works; in CI a missing engine is a failure, elsewhere a skip.
fn engine_ready(engine: &str) -> bool {
    let ok = Command::new(engine).arg("info").output().is_ok_and(|o| o.status.success());
    if !ok {
        assert!(!in_ci(), "{engine} is required in CI: .ci/run installs it (and starts dockerd)");
        eprintln!("skipped: no working {engine}");
    }
    ok
}

macro_rules! need {
    ($engine:expr) => {
        if !engine_ready($engine) {
            return;
        }
    };
}

/// Runs `engine args`, failing the test if it does not finish within `secs`.
fn engine(engine: &str, args: &[&str], secs: u64) -> Output {
    let mut cmd = Command::new("timeout");
    cmd.arg(secs.to_string()).arg(engine).args(args);
    let out = cmd.output().unwrap();
    assert_ne!(out.status.code(), Some(124), "{engine} {args:?} timed out");
    out
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Builds image `tag` with `eng` from a fresh build context of `files` (the file, and its
/// path in the context) and `dockerfile`.
fn build_image(eng: &str, tag: &str, files: &[(&str, &str)], dockerfile: &str) {
    let ctx = scratch_dir(&format!("image-{eng}-{}", tag.replace([':', '/'], "-")));
    std::fs::create_dir_all(ctx.join("dist")).unwrap();
    for (from, to) in files {
        // /bin/busybox comes from busybox-static.
        std::fs::copy(from, ctx.join(to)).unwrap_or_else(|e| panic!("{from}: {e}"));
    }
    std::fs::write(ctx.join("Dockerfile"), dockerfile).unwrap();
    let out = engine(eng, &["build", "-q", "-t", tag, ctx.to_str().unwrap()], 300);
    assert!(out.status.success(), "{eng} build {tag}: {}", String::from_utf8_lossy(&out.stderr));
}

/// The repository's file `name`.
fn repo_file(name: &str) -> String {
    std::fs::read_to_string(format!("{}/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Builds the scratch image from Dockerfile.scratch once per engine and test run.
fn image(eng: &str) -> String {
    static DOCKER: OnceLock<String> = OnceLock::new();
    static PODMAN: OnceLock<String> = OnceLock::new();
    let cell = if eng == "docker" { &DOCKER } else { &PODMAN };
    cell.get_or_init(|| {
        let tag = format!("pidone-test:{}", std::process::id());
        let pidone = bin();
        let files = [(pidone.as_str(), "dist/pidone-amd64"), ("/bin/busybox", "dist/busybox-amd64")];
        build_image(eng, &tag, &files, &repo_file("Dockerfile.scratch"));
        tag
    })
    .clone()
}

/// A container that is removed when the test ends, however it ends.
struct Container {
    engine: &'static str,
    name: String,
}

impl Container {
    /// `engine run -d --name <unique> --network none <args>`.
    fn start(engine: &'static str, tag: &str, args: &[&str]) -> Container {
        let name = format!("pidone-{tag}-{}", std::process::id());
        let _ = self::engine(engine, &["rm", "-f", &name], 60);
        let mut all = vec!["run", "-d", "--name", &name, "--network", "none"];
        if engine == "podman" {
            all.extend(PODMAN_LIMITS);
        }
        all.extend(args);
        let out = self::engine(engine, &all, 120);
        assert!(out.status.success(), "{engine} run: {}", String::from_utf8_lossy(&out.stderr));
        Container { engine, name }
    }

    fn run(&self, args: &[&str], secs: u64) -> Output {
        let mut all: Vec<&str> = args.to_vec();
        all.push(&self.name);
        engine(self.engine, &all, secs)
    }

    /// `engine exec <container> args...`, its stdout.
    fn exec(&self, args: &[&str]) -> String {
        let mut all = vec!["exec", self.name.as_str()];
        all.extend(args);
        text(&engine(self.engine, &all, 60))
    }

    fn exit_code(&self) -> i32 {
        text(&self.run(&["inspect", "--format", "{{.State.ExitCode}}"], 60)).parse().unwrap()
    }

    fn logs(&self) -> String {
        let out = self.run(&["logs"], 60);
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    }

    /// Waits until the container's output contains `text`.
    fn wait_log(&self, text: &str) {
        wait_for(text, 30, || self.logs().contains(text));
    }

    /// `engine stop -t <timeout>`; returns how long it took.
    fn stop(&self, timeout: u32) -> Duration {
        let start = Instant::now();
        let out = self.run(&["stop", "-t", &timeout.to_string()], timeout as u64 + 60);
        assert!(out.status.success(), "stop: {}", String::from_utf8_lossy(&out.stderr));
        start.elapsed()
    }

    /// Waits for the container to exit by itself; returns its exit code.
    fn wait(&self) -> i32 {
        let out = self.run(&["wait"], 60);
        text(&out).parse().unwrap_or_else(|_| panic!("wait: {}", String::from_utf8_lossy(&out.stderr)))
    }

    /// The pids of the processes (as the container sees them) whose command line is `args`.
    fn pids_of(&self, args: &str) -> Vec<String> {
        let ps = self.exec(&["/bin/busybox", "ps", "-o", "pid,args"]);
        ps.lines()
            .filter_map(|l| l.trim().split_once(' '))
            .filter(|(_, a)| a.trim() == args)
            .map(|(p, _)| p.to_string())
            .collect()
    }

    /// How many zombies the container's PID namespace holds (busybox ps).
    fn zombies(&self) -> usize {
        ps_zombies(&self.exec(&["/bin/busybox", "ps", "-o", "stat"]))
    }

    /// Waits until no `busybox sleep 0.1` (the orphans these tests leave) is still running,
    /// so that a zombie count means something.
    fn orphans_exited(&self) {
        wait_for("the orphans to exit", 60, || {
            !ps_running(&self.exec(&["/bin/busybox", "ps", "-o", "stat,args"]), "sleep 0.1")
        });
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = engine(self.engine, &["rm", "-f", &self.name], 60);
    }
}

const SLEEP: [&str; 3] = ["/bin/busybox", "sleep", "1000"];

/// Under pidone `engine stop` ends `sleep` at once with 143; without it, the sleep as
/// PID 1 ignores SIGTERM and waits out the timeout for SIGKILL: 137.
fn stop_scenario(eng: &'static str) {
    let img = image(eng);
    let with = Container::start(eng, "stop", &[&img, SLEEP[0], SLEEP[1], SLEEP[2]]);
    let without = Container::start(eng, "stop-base", &["--entrypoint", SLEEP[0], &img, SLEEP[1], SLEEP[2]]);
    wait_for("both running", 30, || {
        with.exec(&["/bin/busybox", "true"]).is_empty() && without.exec(&["/bin/busybox", "true"]).is_empty()
    });
    let took = with.stop(10);
    let base = without.stop(2);
    eprintln!("{eng} stop: pidone {took:?} exit {}; baseline {base:?} exit {}", with.exit_code(), without.exit_code());
    assert_eq!(with.exit_code(), 143);
    assert_eq!(without.exit_code(), 137);
}

#[test]
fn docker_stop_forwards_sigterm() {
    need!("docker");
    stop_scenario("docker");
}

#[test]
fn podman_stop_forwards_sigterm() {
    need!("podman");
    stop_scenario("podman");
}

#[test]
fn docker_kill_int_and_usr1() {
    need!("docker");
    let img = image("docker");
    let c = Container::start("docker", "kill-int", &[&img, SLEEP[0], SLEEP[1], SLEEP[2]]);
    wait_for("running", 30, || c.exec(&["/bin/busybox", "true"]).is_empty());
    assert!(c.run(&["kill", "-s", "INT"], 30).status.success());
    assert_eq!(c.wait(), 130);

    let script = "trap 'echo got USR1' USR1; echo ready; while :; do /bin/busybox sleep 0.1; done";
    let c = Container::start("docker", "kill-usr1", &[&img, "/bin/busybox", "sh", "-c", script]);
    c.wait_log("ready");
    assert!(c.run(&["kill", "-s", "USR1"], 30).status.success());
    c.wait_log("got USR1");
    c.stop(10);
}

fn exit_code_scenario(eng: &'static str) {
    let img = image(eng);
    let mut args = vec!["run", "--rm", "--network", "none"];
    if eng == "podman" {
        args.extend(PODMAN_LIMITS);
    }
    args.extend([img.as_str(), "/bin/busybox", "sh", "-c", "exit 42"]);
    let out = engine(eng, &args, 120);
    assert_eq!(out.status.code(), Some(42), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn docker_exit_codes_pass_through() {
    need!("docker");
    exit_code_scenario("docker");
}

#[test]
fn podman_exit_codes_pass_through() {
    need!("podman");
    exit_code_scenario("podman");
}

#[test]
fn docker_run_it_ctrl_c_reaches_the_command() {
    need!("docker");
    let img = image("docker");
    let name = format!("pidone-tty-{}", std::process::id());
    let script = "trap 'echo got INT; exit 42' INT; echo ready; while :; do /bin/busybox sleep 0.1; done";
    let mut cmd = Command::new("docker");
    cmd.args(["run", "-it", "--rm", "--name", &name, "--network", "none", &img, "/bin/busybox", "sh", "-c", script]);
    let mut pty = Pty::spawn(cmd);
    pty.expect("ready");
    pty.write(b"\x03");
    pty.expect("got INT");
    assert_eq!(pty.wait(30).code(), Some(42));
}

/// Leaves 30 orphans, then execs a sleep that never reaps. Under pidone they are reaped;
/// with the sleep itself as PID 1 they stay zombies.
fn orphans_scenario(eng: &'static str) {
    let img = image(eng);
    let script = "for i in $(/bin/busybox seq 30); do (/bin/busybox sleep 0.1 &); done; exec /bin/busybox sleep 1000";
    let with = Container::start(eng, "orphans", &[&img, "/bin/busybox", "sh", "-c", script]);
    let without = Container::start(eng, "orphans-base", &["--entrypoint", "/bin/busybox", &img, "sh", "-c", script]);
    with.orphans_exited();
    without.orphans_exited();
    let (z, base) = (count_until(0, 60, || with.zombies()), count_until(30, 60, || without.zombies()));
    eprintln!("{eng} orphans: {z} zombies under pidone, {base} without");
    assert_eq!(z, 0);
    assert_eq!(base, 30);
}

#[test]
fn docker_orphans_are_reaped() {
    need!("docker");
    orphans_scenario("docker");
}

#[test]
fn podman_orphans_are_reaped() {
    need!("podman");
    orphans_scenario("podman");
}

#[test]
fn docker_stop_lets_survivors_clean_up() {
    need!("docker");
    let img = image("docker");
    let mut results = Vec::new();
    for (tag, entry) in [("survivors", None), ("survivors-base", Some("/bin/busybox"))] {
        let dir = scratch_dir(tag);
        std::fs::write(
            dir.join("survivor.sh"),
            "trap '/bin/busybox sleep 1; echo cleaned > /out/$1; exit 0' TERM\n\
             echo > /out/$1.started\n\
             while :; do /bin/busybox sleep 0.1; done\n",
        )
        .unwrap();
        let script = "/bin/busybox sh /out/survivor.sh a & /bin/busybox sh /out/survivor.sh b & \
                      /bin/busybox setsid /bin/busybox sh /out/survivor.sh c & wait";
        let volume = format!("{}:/out", dir.display());
        let mut args = vec!["-v", volume.as_str()];
        if let Some(e) = entry {
            args.extend(["--entrypoint", e]);
        }
        args.push(&img);
        if entry.is_none() {
            args.push("/bin/busybox");
        }
        args.extend(["sh", "-c", script]);
        let c = Container::start("docker", tag, &args);
        wait_for("survivors to start", 30, || {
            ["a", "b", "c"].iter().all(|n| dir.join(format!("{n}.started")).exists())
        });
        let took = c.stop(if entry.is_none() { 10 } else { 3 });
        let cleaned = ["a", "b", "c"].iter().filter(|n| dir.join(n).exists()).count();
        eprintln!("docker stop {tag}: {took:?}, {cleaned} of 3 cleaned up, exit {}", c.exit_code());
        results.push((cleaned, c.exit_code()));
    }
    assert_eq!(results[0], (3, 143), "under pidone every survivor cleans up");
    assert_eq!(results[1], (0, 137), "without pidone none does");
}

#[test]
fn docker_as_nobody_with_a_read_only_root() {
    need!("docker");
    let img = image("docker");
    let script = "for i in $(/bin/busybox seq 10); do (/bin/busybox sleep 0.1 &); done; exec /bin/busybox sleep 1000";
    let c = Container::start(
        "docker",
        "nobody",
        &["--user", "65534:65534", "--read-only", &img, "/bin/busybox", "sh", "-c", script],
    );
    c.orphans_exited();
    assert_eq!(c.exec(&["/bin/busybox", "id", "-u"]), "65534");
    assert_eq!(count_until(0, 60, || c.zombies()), 0);
    c.stop(10);
    assert_eq!(c.exit_code(), 143);
}

/// Makes sure dockerd's --init-path (.ci/run's own file) holds the binary under test.
fn install_docker_init(path: &str) {
    let want = std::fs::read(bin()).unwrap();
    if std::fs::read(path).ok().as_deref() != Some(&want[..]) {
        let tmp = format!("{path}.new");
        std::fs::write(&tmp, &want).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::rename(&tmp, path).unwrap();
    }
}

#[test]
fn docker_init_path_makes_pidone_the_init_for_any_image() {
    need!("docker");
    // Only .ci/run's own dockerd has pidone as its --init; the user's is left alone.
    let Some(init) = docker_init() else {
        assert!(!in_ci(), "PIDONE_DOCKER_INIT is required in CI: .ci/run sets it for its dockerd");
        eprintln!("skipped: PIDONE_DOCKER_INIT is not set (run through .ci/run)");
        return;
    };
    install_docker_init(&init);
    let info = engine("docker", &["info", "--format", "{{.InitBinary}} {{.InitCommit.ID}}"], 60);
    let version = text(&Command::new(bin()).arg("--version").output().unwrap());
    let commit = version.rsplit("git.").next().unwrap();
    assert_eq!(
        text(&info),
        format!("{init} {commit}"),
        "dockerd must run with --init-path={init} (.ci/run starts it so)"
    );
    let full = engine("docker", &["info"], 60);
    let all = format!("{}{}", String::from_utf8_lossy(&full.stdout), String::from_utf8_lossy(&full.stderr));
    assert!(!all.lines().any(|l| l.contains("WARNING") && l.to_lowercase().contains("init")), "{all}");

    // An image with no init of its own: docker run --init puts pidone in front.
    let img = image("docker");
    let script = "for i in $(/bin/busybox seq 20); do (/bin/busybox sleep 0.1 &); done; exec /bin/busybox sleep 1000";
    let c = Container::start("docker", "init", &["--init", "--entrypoint", "/bin/busybox", &img, "sh", "-c", script]);
    wait_for("running", 30, || c.exec(&["/bin/busybox", "true"]).is_empty());
    assert!(c.exec(&["/bin/busybox", "cat", "/proc/1/cmdline"]).starts_with("/sbin/docker-init"));
    assert!(c.exec(&["/sbin/docker-init", "--version"]).starts_with("pidone "));
    c.orphans_exited();
    assert_eq!(count_until(0, 60, || c.zombies()), 0);
    let took = c.stop(10);
    eprintln!("docker run --init stop: {took:?}");
    assert_eq!(c.exit_code(), 143);
    let out = engine(
        "docker",
        &["run", "--rm", "--network", "none", "--init", "--entrypoint", "/bin/busybox", &img, "sh", "-c", "exit 42"],
        120,
    );
    assert_eq!(out.status.code(), Some(42));
}

#[test]
fn podman_init_path_and_entrypoint() {
    need!("podman");
    let img = image("podman");
    let init = format!("--init-path={}", bin());
    // --init with an image whose entrypoint is not pidone: pidone comes in as PID 1.
    let script = "for i in $(/bin/busybox seq 20); do (/bin/busybox sleep 0.1 &); done; exec /bin/busybox sleep 1000";
    let c = Container::start(
        "podman",
        "init",
        &["--init", &init, "--entrypoint", "/bin/busybox", &img, "sh", "-c", script],
    );
    wait_for("running", 30, || c.exec(&["/bin/busybox", "true"]).is_empty());
    let init_exe = c.exec(&["/bin/busybox", "readlink", "/proc/1/exe"]);
    assert!(c.exec(&[&init_exe, "--version"]).starts_with("pidone "), "PID 1 is {init_exe}");
    c.orphans_exited();
    assert_eq!(count_until(0, 60, || c.zombies()), 0);
    c.stop(10);
    assert_eq!(c.exit_code(), 143);
    let out = engine(
        "podman",
        &[
            "run",
            "--rm",
            "--network",
            "none",
            PODMAN_LIMITS[0],
            PODMAN_LIMITS[1],
            PODMAN_LIMITS[2],
            PODMAN_LIMITS[3],
            "--init",
            &init,
            "--entrypoint",
            "/bin/busybox",
            &img,
            "sh",
            "-c",
            "exit 42",
        ],
        120,
    );
    assert_eq!(out.status.code(), Some(42));
}

#[test]
fn pod_with_a_shared_pid_namespace() {
    need!("docker");
    let img = image("docker");
    // The pod's infra container: pidone in pause mode as PID 1.
    let pod = Container::start("docker", "pod", &["--entrypoint", "/pidone", &img, "-P"]);
    wait_for("the pod", 30, || pod.exec(&["/bin/busybox", "true"]).is_empty());
    // A process of the pod's own container, which the app's pidone must leave alone.
    engine("docker", &["exec", "-d", &pod.name, "/bin/busybox", "sleep", "999"], 60);
    let neighbour = || pod.pids_of("/bin/busybox sleep 999");
    wait_for("the neighbour", 30, || neighbour().len() == 1);
    let neighbour_pid = neighbour();

    // The app: pidone not PID 1; its command leaves orphans and a survivor.
    let pid = format!("container:{}", pod.name);
    let script = "for i in $(/bin/busybox seq 10); do (/bin/busybox sleep 0.1 &); done; \
                  /bin/busybox sleep 500 & exec /bin/busybox sleep 1000";
    let app = Container::start("docker", "app", &["--pid", &pid, &img, "/bin/busybox", "sh", "-c", script]);
    app.orphans_exited();
    // The app's pidone reaped its orphans as a subreaper: no zombie in the shared namespace.
    assert_eq!(count_until(0, 60, || app.zombies()), 0);
    // Two pidones in one namespace: the pod's PID 1 and the app's.
    let ps = app.exec(&["/bin/busybox", "ps", "-o", "args"]);
    assert_eq!(ps.lines().filter(|l| l.starts_with("/pidone")).count(), 2, "{ps}");
    app.stop(10);
    assert_eq!(app.exit_code(), 143);
    // The pod's neighbour survived the app's shutdown; the app's own sleeps are gone.
    assert_eq!(neighbour(), neighbour_pid);
    assert!(pod.pids_of("/bin/busybox sleep 500").is_empty());

    // Exit codes pass through for a second app in the same pod.
    let out = engine(
        "docker",
        &["run", "--rm", "--network", "none", "--pid", &pid, &img, "/bin/busybox", "sh", "-c", "exit 42"],
        120,
    );
    assert_eq!(out.status.code(), Some(42));

    // Stopping the pod: pause mode exits 0 after stopping what is left.
    pod.stop(10);
    assert_eq!(pod.exit_code(), 0);
}

/// Dockerfile.pidone: an image with pidone alone, and an application image that takes
/// pidone from it with `COPY --from` and runs with it as its entry point.
#[test]
fn an_image_of_pidone_alone_for_copy_from() {
    need!("docker");
    let id = std::process::id();
    let only = format!("pidone-only:{id}");
    build_image("docker", &only, &[(&bin(), "dist/pidone-amd64")], &repo_file("Dockerfile.pidone"));
    let ctx = scratch_dir("image-only");

    // One layer, holding one file: pidone, byte for byte.
    let saved = ctx.join("saved");
    std::fs::create_dir_all(&saved).unwrap();
    let tar = ctx.join("image.tar");
    let out = engine("docker", &["save", "-o", tar.to_str().unwrap(), &only], 120);
    assert!(out.status.success(), "docker save: {}", String::from_utf8_lossy(&out.stderr));
    let untar = |file: &Path, dir: &Path| {
        let ok = Command::new("tar").arg("-xf").arg(file).arg("-C").arg(dir).status().unwrap().success();
        assert!(ok, "tar -xf {}", file.display());
    };
    untar(&tar, &saved);
    let manifest = std::fs::read_to_string(saved.join("manifest.json")).unwrap();
    let layers: Vec<&str> = manifest.split('"').filter(|s| s.ends_with(".tar") || s.contains("/sha256/")).collect();
    assert_eq!(layers.len(), 1, "layers: {manifest}");
    let files = ctx.join("files");
    std::fs::create_dir_all(&files).unwrap();
    untar(&saved.join(layers[0]), &files);
    let listed: Vec<String> =
        std::fs::read_dir(&files).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(listed, ["pidone"]);
    assert!(std::fs::read(files.join("pidone")).unwrap() == std::fs::read(bin()).unwrap(), "not the binary under test");

    // An application image that copies it from there.
    let dockerfile = format!(
        "FROM scratch\nCOPY --from={only} /pidone /pidone\nCOPY busybox /bin/busybox\n\
         ENTRYPOINT [\"/pidone\", \"--\"]\nCMD [\"/bin/busybox\", \"sh\", \"-c\", \"echo ready; exec /bin/busybox sleep 1000\"]\n"
    );
    let app = format!("pidone-from:{id}");
    build_image("docker", &app, &[("/bin/busybox", "busybox")], &dockerfile);
    let c = Container::start("docker", "from", &[&app]);
    c.wait_log("ready");
    assert_eq!(c.exec(&["/bin/busybox", "cat", "/proc/1/cmdline"]).split('\0').next(), Some("/pidone"));
    c.stop(10);
    assert_eq!(c.exit_code(), 143);
    drop(c);
    let _ = engine("docker", &["rmi", "-f", &app, &only], 120);
}

/// A Podman pod whose infra container is pidone in pause mode (`--infra-command` takes no
/// arguments, so the image sets PIDONE_PAUSE=1), with the PID namespace shared: it is PID 1
/// of the pod and reaps the orphans of an application container that has no init of its
/// own; `podman pod stop` ends the application with 143 and pidone with 0.
#[test]
fn podman_pod_with_pidone_as_its_infra_container() {
    need!("podman");
    let img = image("podman");
    let id = std::process::id();
    let dockerfile = "FROM scratch\nCOPY pidone /pidone\nENV PIDONE_PAUSE=1\nENTRYPOINT [\"/pidone\"]\n";
    let infra = format!("localhost/pidone-infra:{id}");
    build_image("podman", &infra, &[(&bin(), "pidone")], dockerfile);

    let pod = format!("pidone-pod-{id}");
    let _ = engine("podman", &["pod", "rm", "-f", &pod], 60);
    let create = [
        "pod",
        "create",
        "--name",
        &pod,
        "--share",
        "ipc,net,uts,pid",
        "--network",
        "none",
        "--infra-image",
        &infra,
        "--infra-command",
        "/pidone",
    ];
    let out = engine("podman", &create, 120);
    assert!(out.status.success(), "podman pod create: {}", String::from_utf8_lossy(&out.stderr));
    struct Pod(String);
    impl Drop for Pod {
        fn drop(&mut self) {
            let _ = engine("podman", &["pod", "rm", "-f", &self.0], 60);
        }
    }
    let _pod = Pod(pod.clone());
    let out = engine("podman", &["pod", "start", &pod], 120);
    assert!(out.status.success(), "podman pod start: {}", String::from_utf8_lossy(&out.stderr));

    let script = "for i in $(/bin/busybox seq 10); do (/bin/busybox sleep 0.1 &); done; exec /bin/busybox sleep 1000";
    let app = Container::start(
        "podman",
        "podapp",
        &["--pod", &pod, "--entrypoint", "/bin/busybox", &img, "sh", "-c", script],
    );
    wait_for("the app", 30, || app.pids_of("/bin/busybox sleep 1000").len() == 1);
    // PID 1 of the pod is the infra container's pidone.
    assert_eq!(app.exec(&["/bin/busybox", "cat", "/proc/1/cmdline"]).trim_end_matches('\0'), "/pidone");
    app.orphans_exited();
    assert_eq!(count_until(0, 60, || app.zombies()), 0);

    let out = engine("podman", &["pod", "stop", "-t", "10", &pod], 120);
    assert!(out.status.success(), "podman pod stop: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(app.exit_code(), 143);
    let infra_exit = text(&engine("podman", &["pod", "inspect", "--format", "{{.InfraContainerID}}", &pod], 60));
    let code = text(&engine("podman", &["inspect", "--format", "{{.State.ExitCode}}", &infra_exit], 60));
    assert_eq!(code, "0", "the infra container's exit code");
    let state = text(&engine("podman", &["pod", "inspect", "--format", "{{.State}}", &pod], 60));
    assert_eq!(state, "Exited");
    drop(app);
    let _ = engine("podman", &["rmi", "-f", &infra], 120);
}

#[test]
fn docker_stop_with_a_stop_delay() {
    need!("docker");
    // An image that sets the delay, as a user would in their Dockerfile.
    let tag = format!("pidone-test-delay:{}", std::process::id());
    build_image("docker", &tag, &[], &format!("FROM {}\nENV PIDONE_STOP_DELAY=2\n", image("docker")));
    let c = Container::start("docker", "delay", &[&tag, SLEEP[0], SLEEP[1], SLEEP[2]]);
    wait_for("running", 30, || c.exec(&["/bin/busybox", "true"]).is_empty());
    let took = c.stop(10);
    eprintln!("docker stop -t 10 with PIDONE_STOP_DELAY=2: {took:?}, exit {}", c.exit_code());
    // 143: the sleep got SIGTERM from pidone (137 would be Docker's SIGKILL at 10 s).
    assert_eq!(c.exit_code(), 143);
    assert!(took >= Duration::from_secs(2), "the SIGTERM was held for 2 s: {took:?}");
    let _ = engine("docker", &["rmi", "-f", &tag], 60);
}

#[test]
fn docker_out_of_memory_kill_is_named() {
    need!("docker");
    let img = image("docker");
    // The shell doubles a string until the container's 32 MiB run out.
    let c = Container::start(
        "docker",
        "oom",
        &["--memory", "32m", "--memory-swap", "32m", &img, "/bin/busybox", "sh", "-c", "a=x; while :; do a=$a$a; done"],
    );
    assert_eq!(c.wait(), 137, "{}", c.logs());
    assert_eq!(c.logs(), "pidone: /bin/busybox was killed by SIGKILL: out of memory\n");
    assert_eq!(text(&c.run(&["inspect", "--format", "{{.State.OOMKilled}}"], 60)), "true");
}

/// An image with `PIDONE_WAIT_ALL=1` whose start script launches a daemon that traps TERM,
/// then runs its main process in the foreground, the common shape of `--wait-all`'s users.
/// `docker stop`'s SIGTERM ends the script; the daemon must get its SIGTERM too, at once,
/// and the container exit 143 well inside the stop timeout (issue 25: pidone waited for
/// the daemon, and Docker ended it with SIGKILL after its timeout: 137).
#[test]
fn docker_stop_with_wait_all_stops_the_daemons_too() {
    need!("docker");
    let dir = scratch_dir("wait-all-docker");
    std::fs::write(
        dir.join("daemon.sh"),
        "trap 'echo trapped > /out/daemon; exit 0' TERM\n\
         echo > /out/daemon.started\n\
         while :; do /bin/busybox sleep 0.1; done\n",
    )
    .unwrap();
    let tag = format!("pidone-test-wait-all:{}", std::process::id());
    build_image("docker", &tag, &[], &format!("FROM {}\nENV PIDONE_WAIT_ALL=1\n", image("docker")));
    let volume = format!("{}:/out", dir.display());
    let script = "/bin/busybox sh /out/daemon.sh & /bin/busybox sleep 1000";
    let c = Container::start("docker", "wait-all", &["-v", &volume, &tag, "/bin/busybox", "sh", "-c", script]);
    wait_for("the daemon to start", 30, || dir.join("daemon.started").exists());
    let took = c.stop(30);
    eprintln!("docker stop -t 30 with PIDONE_WAIT_ALL=1: {took:?}, exit {}", c.exit_code());
    assert_eq!(c.exit_code(), 143, "{}", c.logs());
    // 143, not 137: the SIGKILL Docker sends when its timeout runs out never came.
    assert_eq!(std::fs::read_to_string(dir.join("daemon")).unwrap_or_default(), "trapped\n");
    let _ = engine("docker", &["rmi", "-f", &tag], 60);
}
