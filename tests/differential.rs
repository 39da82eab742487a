//! The differential suite: every scenario runs under the real peer (Debian's tini,
//! dumb-init and catatonit) and under pidone in the same conditions, and what a user can
//! observe is compared: the exit code, what the command printed (its arguments, its
//! environment, its descriptors), which signals it received, what became of the processes
//! it left behind, and which stream help, version and usage errors go to.
//!
//! pidone must observe the same as the peer, except for the scenarios in `DELIBERATE`,
//! each with the reason pidone is better there; doc/drop-in.md's "Deliberate differences" is
//! the same list (a test below holds them together). A deliberate difference that stops being one fails too, so the list
//! cannot go stale. Each peer's table is one test; it reports every mismatch at once and
//! prints how many scenarios matched.

mod common;

use common::*;
use std::process::Command;

const TINI: &str = "/usr/bin/tini-static";
const DUMB_INIT: &str = "/usr/bin/dumb-init";
const CATATONIT: &str = "/usr/bin/catatonit";

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// PID 1 of a fresh PID namespace, as in a container.
    Pid1,
    /// A plain child of the test, as when an init is used outside a container.
    Plain,
}
use Mode::*;

/// What each scenario runs: `init` is the peer's path or pidone's.
type Observe = fn(init: &str) -> String;

/// A scenario: its name, which peers' tables it is in, and what it observes.
struct Scenario {
    name: &'static str,
    peers: &'static [&'static str],
    observe: Observe,
}

const ALL: &[&str] = &[TINI, DUMB_INIT, CATATONIT];

/// Reasons that more than one deliberate difference has.
const EXIT_2: &str = "usage errors exit 2, never to be mistaken for the command's own exit 1";
const ON_STDOUT: &str = "help and version go to stdout, where `pidone --help | less` finds them";
const AS_A_SHELL: &str = "127 for a command not found, 126 for one that cannot run, as a shell says";

/// Where pidone differs on purpose: (scenario, peers, why pidone is better there).
const DELIBERATE: &[(&str, &[&str], &str)] = &[
    ("usage error", ALL, EXIT_2),
    ("no command", ALL, EXIT_2),
    (
        "options after the command",
        &[TINI, CATATONIT],
        "options end at the command (getopt's `+`, as dumb-init does): `pidone sh -c CMD` needs no `--`",
    ),
    (
        "log stream",
        &[TINI],
        "-v lines go to stderr, never into the command's output on stdout (tini writes them to stdout)",
    ),
    ("help", &[DUMB_INIT, CATATONIT], ON_STDOUT),
    ("version", &[DUMB_INIT], ON_STDOUT),
    (
        "death by a signal from elsewhere, said",
        ALL,
        "one line names the signal (and an OOM kill) that ended the command, where `docker logs` showed nothing",
    ),
    ("missing command", &[DUMB_INIT, CATATONIT], AS_A_SHELL),
    ("command without permission", &[DUMB_INIT, CATATONIT], AS_A_SHELL),
    (
        "script without #! and no /bin/sh",
        &[TINI],
        "126 and 'Exec format error' name the real problem; tini's 127 blames the missing shell",
    ),
    (
        "script without #! and no /bin/sh",
        &[CATATONIT],
        "126 and 'Exec format error' name the real problem; catatonit exits 1",
    ),
    (
        "default forwarding",
        &[DUMB_INIT],
        "tini's default: signals go to the command alone and it keeps the terminal; `-g` is dumb-init's group forwarding",
    ),
    (
        "process left behind as PID 1",
        ALL,
        "graceful shutdown: what the command leaves behind gets SIGTERM and the grace period, not the kernel's SIGKILL",
    ),
    (
        "process left behind, not PID 1",
        ALL,
        "nothing outlives pidone: it stops its descendants gracefully before exiting",
    ),
    ("orphans adopted, not PID 1", &[TINI], "always a subreaper: orphans are reaped without -s"),
    ("orphans adopted, not PID 1", &[DUMB_INIT], "always a subreaper: orphans are reaped outside a container too"),
    ("job-control signals", &[TINI], "SIGTTIN and SIGTTOU are forwarded (tini drops them as PID 1)"),
    ("job-control signals", &[CATATONIT], "SIGTSTP, SIGTTIN and SIGTTOU are forwarded (catatonit drops them)"),
    (
        "job-control signals, not PID 1",
        &[TINI],
        "SIGTTIN and SIGTTOU are forwarded; they stop tini and leave the command without its init",
    ),
    (
        "job-control signals, not PID 1",
        &[DUMB_INIT],
        "pidone never stops; dumb-init stops itself after forwarding SIGTSTP",
    ),
    (
        "job-control signals, not PID 1",
        &[CATATONIT],
        "SIGTSTP, SIGTTIN and SIGTTOU are forwarded (catatonit drops them)",
    ),
    (
        "job-control signals, dumb-init's default mode",
        &[DUMB_INIT],
        "forwarded as they are, so a command that catches SIGTSTP decides; dumb-init's answer is `-g -r TSTP:STOP -r TTIN:STOP -r TTOU:STOP`",
    ),
    ("fault signals sent with kill", &[TINI], "forwarded like dumb-init does; as PID 1 tini drops them"),
    ("fault signals sent with kill", &[CATATONIT], "forwarded like dumb-init does; as PID 1 catatonit drops them"),
    (
        "fault signals sent with kill, not PID 1",
        &[TINI],
        "forwarded like dumb-init does; they kill tini and leave the command without its init",
    ),
    (
        "fault signals sent with kill, not PID 1",
        &[CATATONIT],
        "forwarded like dumb-init does; they kill catatonit and leave the command without its init",
    ),
    (
        "descriptors the init keeps",
        &[TINI, DUMB_INIT],
        "pidone closes its own copies once the command runs (as catatonit does): EOF reaches whoever waits on a pipe the command closed",
    ),
    (
        "LISTEN_PID naming the init",
        &[TINI, DUMB_INIT],
        "socket activation through the init works: LISTEN_PID is rewritten to the command's pid, as catatonit does",
    ),
];

/// `init OPTS -- CMDLINE` (tini and catatonit take options after the command as their
/// own without the `--`; pidone does not, see the scenario "options after the command").
fn command(init: &str, mode: Mode, opts: &[&str], cmdline: &[&str], env: &[(&str, &str)]) -> Command {
    let mut args = opts.to_vec();
    if !cmdline.is_empty() {
        args.push("--");
        args.extend(cmdline);
    }
    let args = &args;
    let mut cmd = match mode {
        Pid1 => pid1_command_of(init, args),
        Plain => {
            let mut cmd = Command::new(init);
            cmd.args(args);
            default_signals(&mut cmd);
            cmd
        }
    };
    // A peer that dies of a fault signal sent to it must not leave a core file.
    no_core_dumps(&mut cmd);
    cmd.envs(env.iter().copied());
    cmd
}

/// Gives the init `file` as descriptor 3.
fn give_fd3(cmd: &mut Command, file: &std::fs::File) {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    let fd = file.as_raw_fd();
    // SAFETY: dup2 and fcntl are async-signal-safe; `file` stays open until the child has
    // exec'd. (dup2 onto itself would leave close-on-exec set.)
    unsafe {
        cmd.pre_exec(move || {
            let r = if fd == 3 { libc::fcntl(3, libc::F_SETFD, 0) } else { libc::dup2(fd, 3) };
            if r < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Runs to the end: the exit code and what the command printed.
fn outcome(init: &str, mode: Mode, cmdline: &[&str], env: &[(&str, &str)]) -> String {
    outcome_with(init, mode, &[], cmdline, env)
}

fn outcome_with(init: &str, mode: Mode, opts: &[&str], cmdline: &[&str], env: &[(&str, &str)]) -> String {
    let out = run(command(init, mode, opts, cmdline, env), 30);
    format!("exit {}; stdout {:?}", out.code(), out.stdout)
}

/// Runs to the end: the exit code, and which streams got text (help, version, errors).
fn streams(init: &str, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = run(command(init, Plain, args, &[], env), 30);
    format!("exit {}; stdout {}; stderr {}", out.code(), !out.stdout.is_empty(), !out.stderr.is_empty())
}

/// A command that leaves an orphan and waits until the init has reaped it. The orphan
/// exits only once its parent is gone, so no shell reaps it before the init can.
const REAPED_ORPHAN: &str = "p=$(/bin/sh -c '/bin/sh -c \"while kill -0 $$ 2>/dev/null; do sleep 0.01; done\" >/dev/null & echo $!'); \
                             while [ -e /proc/$p ]; do sleep 0.01; done";

/// Runs as PID 1 a command with a zombie orphan to reap: whether the init said anything,
/// on either stream (the log options and variables; "log stream" compares the streams).
fn logs(init: &str, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = run(command(init, Pid1, args, &["/bin/sh", "-c", REAPED_ORPHAN], env), 30);
    format!("exit {}; logged {}", out.code(), !out.stdout.is_empty() || !out.stderr.is_empty())
}

/// The signal each `forwarded` step ends with: the highest, which an init and the command
/// take last of everything pending, so once it has arrived everything before it has too.
const MARK: i32 = 64;

/// The pid of the Python command whose command line holds `needle` (not the init's or
/// unshare's, which hold it too).
fn pid_with_arg(needle: &str) -> Option<i32> {
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: i32 = e.file_name().to_str()?.parse().ok()?;
        let cmdline = String::from_utf8_lossy(&std::fs::read(format!("/proc/{pid}/cmdline")).ok()?).into_owned();
        (cmdline.starts_with(&format!("{PYTHON}\0")) && cmdline.contains(needle)).then_some(pid)
    })
}

fn state(pid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit(')').next()?.split_whitespace().next()?.chars().next()
}

/// Sends each of `sigs` to the init, with MARK after each, while the command records what
/// reaches it; then SIGTERM ends it. Returns the signals the command received (without
/// the marks), what happened to the init on the way, and the exit code.
fn forwarded(init: &str, mode: Mode, args: &[&str], sigs: &[i32]) -> String {
    let dir = scratch_dir(&format!("diff-{}", unique()));
    let record = dir.join("record");
    let record_s = record.to_str().unwrap().to_string();
    let s = Session::start(command(init, mode, args, &[PYTHON, &helper("sigrecord.py"), &record_s], &[]));
    assert_eq!(s.line(10), "ready", "{init}");
    let pid = s.pidone_pid();
    let marks = || std::fs::read_to_string(&record).unwrap_or_default().lines().filter(|l| *l == "64").count();
    let mut events = Vec::new();
    for (i, &sig) in sigs.iter().enumerate() {
        kill(pid, sig);
        // SAFETY: kill has no memory arguments. (It fails if the signal killed the init.)
        unsafe { libc::kill(pid, MARK) };
        let (mut stopped, mut command_stopped) = (false, false);
        wait_for(&format!("{init}: the mark after {sig} to pass the init"), 20, || {
            if state(pid) == Some('T') && !stopped {
                stopped = true;
                events.push(format!("init stopped by {sig}"));
                kill(pid, libc::SIGCONT);
            }
            if let Some(cmd) = pid_with_arg(&record_s).filter(|&c| c != pid && state(c) == Some('T'))
                && !command_stopped
            {
                command_stopped = true;
                events.push(format!("command stopped by {sig}"));
                kill(cmd, libc::SIGCONT);
            }
            marks() > i || !alive(pid)
        });
        if !alive(pid) {
            events.push(format!("init died of {sig}"));
            break;
        }
    }
    let got: Vec<String> =
        std::fs::read_to_string(&record).unwrap_or_default().lines().filter(|l| *l != "64").map(String::from).collect();
    if alive(pid) {
        kill(pid, libc::SIGTERM);
    } else if let Some(cmd) = pid_with_arg(&record_s) {
        // The init is gone and the command runs on without it: end it.
        kill(cmd, libc::SIGKILL);
    }
    let code = s.finish(20).code();
    format!("received {got:?}; {events:?}; exit {code}")
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// The command leaves a process behind that notes SIGTERM, and exits 3: the exit code,
/// and what became of that process once the init had exited. (dumb-init runs with -c:
/// in its default mode it sends the command's group SIGTERM as it exits, without waiting,
/// so whether the note is written first is a race; "default forwarding" covers that mode.)
fn left_behind(init: &str, mode: Mode) -> String {
    let dir = scratch_dir(&format!("diff-left-{}", unique()));
    let file = dir.join("survivor");
    let script = format!(
        "{PYTHON} {} record {f} & while ! grep -q started {f} 2>/dev/null; do sleep 0.01; done; exit 3",
        helper("survivor.py"),
        f = file.display()
    );
    let opts = &["-c"][..usize::from(init == DUMB_INIT)];
    let out = run(command(init, mode, opts, &["/bin/sh", "-c", &script], &[]), 30);
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let survivor: i32 = text.lines().find_map(|l| l.strip_prefix("started ")?.parse().ok()).unwrap_or(0);
    // As PID 1 the namespace is gone with its init; outside one the survivor may live on.
    let fate = if mode == Plain && survivor > 0 && alive(survivor) {
        kill(survivor, libc::SIGKILL);
        "still running"
    } else if text.contains("got TERM") {
        "got SIGTERM"
    } else {
        "killed"
    };
    format!("exit {}; left behind: {fate}", out.code())
}

/// Not PID 1: the command's child leaves a grandchild orphaned. Who adopts it: the init,
/// or someone outside.
fn orphan_adopted(init: &str, args: &[&str], env: &[(&str, &str)]) -> String {
    let script = "/bin/sh -c 'sleep 1000 & echo $!'; echo ready; exec sleep 1000";
    let s = Session::start(command(init, Plain, args, &["/bin/sh", "-c", script], env));
    let orphan: i32 = s.line(10).parse().unwrap();
    assert_eq!(s.line(10), "ready");
    let init_pid = s.child.id() as i32;
    let mut parent = 0;
    wait_for("the orphan to be adopted", 10, || {
        let status = std::fs::read_to_string(format!("/proc/{orphan}/status")).unwrap_or_default();
        parent = status.lines().find_map(|l| l.strip_prefix("PPid:")?.trim().parse().ok()).unwrap_or(0);
        parent != 0
            && parent != orphan
            && std::fs::read_to_string(format!("/proc/{parent}/cmdline")).is_ok_and(|c| !c.starts_with("/bin/sh"))
    });
    kill(init_pid, libc::SIGTERM);
    let out = s.finish(20);
    if alive(orphan) {
        kill(orphan, libc::SIGKILL);
    }
    format!("exit {}; adopted by the init: {}", out.code(), parent == init_pid)
}

/// Which descriptors from 3 up the init itself holds once the command runs and a signal
/// has gone through it (so it is past its start-up), with descriptor 3 given to it.
fn init_descriptors(init: &str) -> String {
    let dir = scratch_dir(&format!("diff-fds-{}", unique()));
    let record = dir.join("record");
    let mut cmd = command(init, Plain, &[], &[PYTHON, &helper("sigrecord.py"), record.to_str().unwrap()], &[]);
    let file = std::fs::File::create(dir.join("fd3")).unwrap();
    give_fd3(&mut cmd, &file);
    let s = Session::start(cmd);
    assert_eq!(s.line(10), "ready");
    let pid = s.child.id() as i32;
    kill(pid, libc::SIGUSR1);
    wait_for("USR1 to pass the init", 10, || std::fs::read_to_string(&record).is_ok_and(|r| r.contains("10")));
    // (The init's own descriptors, like catatonit's signalfd, do not count.)
    let holds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
        .any(|e| std::fs::read_link(e.path()).is_ok_and(|target| target == dir.join("fd3")));
    kill(pid, libc::SIGTERM);
    let out = s.finish(20);
    format!("exit {}; init still holds what it was given: {holds}", out.code())
}

/// A script without `#!` run in a root that has no /bin/sh: only static inits run there.
fn script_without_shell(init: &str) -> String {
    let root = scratch_dir(&format!("diff-root-{}", unique()));
    std::fs::copy(init, root.join("init")).unwrap();
    std::fs::write(root.join("script"), "echo hi\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(root.join("script"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut cmd = Command::new("/usr/bin/unshare");
    if !is_root() {
        cmd.args(["--user", "--map-root-user"]);
    }
    cmd.args(["--pid", "--fork", "--kill-child"])
        .arg(format!("--root={}", root.display()))
        .args(["/init", "--", "/script"]);
    let out = run(cmd, 30);
    format!("exit {}", out.code())
}

/// An executable script without `#!` that prints its $0 and arguments.
fn script_file() -> String {
    let dir = scratch_dir(&format!("diff-script-{}", unique()));
    let path = dir.join("noshebang");
    std::fs::write(&path, "echo \"$0\" \"$@\"\nexit 7\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.to_str().unwrap().to_string()
}

const JOB_CONTROL: &[i32] = &[libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU, libc::SIGCONT];
const ORDINARY: &[i32] = &[
    libc::SIGHUP,
    libc::SIGINT,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGPIPE,
    libc::SIGALRM,
    libc::SIGWINCH,
    libc::SIGURG,
    libc::SIGPWR,
];

const SCENARIOS: &[Scenario] = &[
    // ---- exit codes and exec failures ----
    Scenario {
        name: "exit codes pass through",
        peers: ALL,
        observe: |init| {
            [0, 1, 3, 126, 255].map(|c| outcome(init, Pid1, &["/bin/sh", "-c", &format!("exit {c}")], &[])).join(" | ")
        },
    },
    Scenario {
        name: "death by a signal is 128+N",
        peers: ALL,
        observe: |init| {
            [
                outcome(init, Pid1, &["/bin/sh", "-c", "kill -USR1 $$"], &[]),
                outcome(init, Plain, &["/bin/sh", "-c", "kill -KILL $$"], &[]),
            ]
            .join(" | ")
        },
    },
    Scenario {
        name: "death by a signal from elsewhere, said",
        peers: ALL,
        observe: |init| {
            ["USR1", "KILL"]
                .map(|sig| {
                    let out = run(command(init, Pid1, &[], &["/bin/sh", "-c", &format!("kill -{sig} $$")], &[]), 30);
                    format!("exit {}; stderr {}", out.code(), !out.stderr.is_empty())
                })
                .join(" | ")
        },
    },
    Scenario {
        name: "missing command",
        peers: ALL,
        observe: |init| outcome(init, Pid1, &["/nonexistent/command"], &[]),
    },
    Scenario {
        name: "command without permission",
        peers: ALL,
        observe: |init| {
            let dir = scratch_dir(&format!("diff-noexec-{}", unique()));
            std::fs::write(dir.join("file"), "echo hi\n").unwrap();
            let path = dir.join("file").to_str().unwrap().to_string();
            outcome(init, Pid1, &[&path], &[])
        },
    },
    Scenario {
        name: "command found on PATH",
        peers: ALL,
        observe: |init| outcome(init, Pid1, &["echo", "found"], &[("PATH", "/nonexistent:/usr/bin:/bin")]),
    },
    Scenario {
        name: "script without #! runs under /bin/sh",
        peers: ALL,
        observe: |init| {
            let script = script_file();
            let by_path = outcome(init, Pid1, &[&script, "a", "b c"], &[]);
            let dir = std::path::Path::new(&script).parent().unwrap().to_str().unwrap().to_string();
            let searched = outcome(init, Pid1, &["noshebang", "d"], &[("PATH", &format!("/nonexistent:{dir}"))]);
            format!("{} | {}", by_path.replace(&script, "SCRIPT"), searched.replace(&dir, "DIR"))
        },
    },
    Scenario { name: "script without #! and no /bin/sh", peers: &[TINI, CATATONIT], observe: script_without_shell },
    Scenario {
        name: "options after the command",
        peers: ALL,
        observe: |init| {
            let out = run(command(init, Pid1, &["/bin/sh", "-c", "echo \"$0\" -c"], &[], &[]), 30);
            format!("exit {}; stdout {:?}", out.code(), out.stdout)
        },
    },
    // ---- what the command is given ----
    Scenario {
        name: "arguments and environment pass through",
        peers: ALL,
        observe: |init| {
            let mut cmd = command(
                init,
                Pid1,
                &[],
                &["/bin/sh", "-c", "printf '%s|' \"$@\"; env | sort", "sh", "a b", "", "*"],
                &[],
            );
            cmd.env_clear().envs([("PATH", "/usr/bin:/bin"), ("PIDONE_DIFF_VAR", "x=y z"), ("EMPTY", "")]);
            let out = run(cmd, 30);
            format!("exit {}; stdout {:?}", out.code(), out.stdout)
        },
    },
    Scenario {
        name: "descriptors the command gets",
        peers: ALL,
        observe: |init| {
            let file = std::fs::File::open("/dev/null").unwrap();
            let mut cmd = command(init, Pid1, &[], &["/bin/sh", "-c", "ls /proc/$$/fd"], &[]);
            give_fd3(&mut cmd, &file);
            let out = run(cmd, 30);
            format!("exit {}; stdout {:?}", out.code(), out.stdout)
        },
    },
    Scenario { name: "descriptors the init keeps", peers: ALL, observe: init_descriptors },
    Scenario {
        name: "LISTEN_PID naming the init",
        peers: ALL,
        observe: |init| {
            outcome(
                init,
                Pid1,
                &["/bin/sh", "-c", "[ \"$LISTEN_PID\" = $$ ] && echo mine || echo \"$LISTEN_PID\""],
                &[("LISTEN_PID", "1")],
            )
        },
    },
    Scenario {
        name: "LISTEN_PID naming another process",
        peers: ALL,
        observe: |init| outcome(init, Pid1, &["/bin/sh", "-c", "echo \"$LISTEN_PID\""], &[("LISTEN_PID", "5")]),
    },
    // ---- signals ----
    Scenario { name: "ordinary signals", peers: ALL, observe: |init| forwarded(init, Pid1, &[], ORDINARY) },
    Scenario { name: "ordinary signals, not PID 1", peers: ALL, observe: |init| forwarded(init, Plain, &[], ORDINARY) },
    Scenario {
        name: "job-control signals",
        peers: ALL,
        // dumb-init with -c: its default mode sends the group SIGSTOP instead, which is
        // its setsid mode ("default forwarding").
        observe: |init| forwarded(init, Pid1, &["-c"][..usize::from(init == DUMB_INIT)], JOB_CONTROL),
    },
    Scenario {
        name: "job-control signals, not PID 1",
        peers: ALL,
        observe: |init| forwarded(init, Plain, &["-c"][..usize::from(init == DUMB_INIT)], JOB_CONTROL),
    },
    // dumb-init's default (setsid) mode answers SIGTSTP, SIGTTIN and SIGTTOU by stopping the
    // command's whole group with SIGSTOP; pidone forwards them as they are, and a command
    // that catches or ignores them keeps running. `-g` and three rewrites do what dumb-init
    // does, which the second scenario holds pidone to.
    Scenario {
        name: "job-control signals, dumb-init's default mode",
        peers: &[DUMB_INIT],
        observe: |init| forwarded(init, Pid1, &[], JOB_CONTROL),
    },
    Scenario {
        name: "job-control signals, dumb-init's default mode and pidone -g -r TSTP:STOP,TTIN:STOP,TTOU:STOP",
        peers: &[DUMB_INIT],
        observe: |init| {
            let as_dumb_init: &[&str] = &["-g", "-r", "TSTP:STOP", "-r", "TTIN:STOP", "-r", "TTOU:STOP"];
            forwarded(init, Pid1, if init == DUMB_INIT { &[] } else { as_dumb_init }, JOB_CONTROL)
        },
    },
    Scenario {
        name: "real-time signals",
        peers: ALL,
        observe: |init| forwarded(init, Pid1, &[], &[34, 35, 40, 50, 62, 63]),
    },
    Scenario { name: "fault signals sent with kill", peers: ALL, observe: |init| forwarded(init, Pid1, &[], FAULTS) },
    Scenario {
        name: "fault signals sent with kill, not PID 1",
        peers: ALL,
        observe: |init| {
            // One init per signal: a peer that dies of the first never sees the rest.
            FAULTS.iter().map(|&sig| forwarded(init, Plain, &[], &[sig])).collect::<Vec<_>>().join(" | ")
        },
    },
    // ---- the command's end, and what it leaves ----
    Scenario { name: "process left behind as PID 1", peers: ALL, observe: |init| left_behind(init, Pid1) },
    Scenario { name: "process left behind, not PID 1", peers: ALL, observe: |init| left_behind(init, Plain) },
    Scenario {
        name: "orphans adopted, not PID 1",
        peers: ALL,
        observe: |init| orphan_adopted(init, &["-c"][..usize::from(init == DUMB_INIT)], &[]),
    },
    Scenario {
        name: "zombies reaped as PID 1",
        peers: ALL,
        observe: |init| {
            // Five orphans that exit; the command waits until each is reaped.
            let script = format!("for i in 1 2 3 4 5; do {REAPED_ORPHAN}; done; echo all reaped");
            outcome(init, Pid1, &["/bin/sh", "-c", &script], &[])
        },
    },
    // ---- the peers' options and variables ----
    Scenario {
        name: "help",
        peers: ALL,
        observe: |init| streams(init, &[if init == DUMB_INIT { "--help" } else { "-h" }], &[]),
    },
    Scenario {
        name: "version",
        peers: ALL,
        observe: |init| streams(init, &[if init == CATATONIT { "-V" } else { "--version" }], &[]),
    },
    Scenario { name: "license", peers: &[TINI], observe: |init| streams(init, &["-l"], &[]) },
    Scenario { name: "license -L", peers: &[CATATONIT], observe: |init| streams(init, &["-L"], &[]) },
    Scenario { name: "usage error", peers: ALL, observe: |init| streams(init, &["-Z", "true"], &[]) },
    Scenario { name: "no command", peers: ALL, observe: |init| streams(init, &[], &[]) },
    Scenario {
        name: "default forwarding",
        peers: ALL,
        observe: |init| term_reaches_grandchild_under(init, &["--"], &[]).0.to_string(),
    },
    Scenario {
        name: "group forwarding -g",
        peers: &[TINI, CATATONIT],
        observe: |init| term_reaches_grandchild_under(init, &["-g", "--"], &[]).0.to_string(),
    },
    Scenario {
        name: "TINI_KILL_PROCESS_GROUP",
        peers: &[TINI],
        observe: |init| {
            ["1", "", "0"]
                .map(|v| term_reaches_grandchild_under(init, &["--"], &[("TINI_KILL_PROCESS_GROUP", v)]).0.to_string())
                .join(" ")
        },
    },
    Scenario {
        name: "single child -c",
        peers: &[DUMB_INIT],
        observe: |init| term_reaches_grandchild_under(init, &["-c", "--"], &[]).0.to_string(),
    },
    Scenario {
        name: "DUMB_INIT_SETSID",
        peers: &[DUMB_INIT],
        observe: |init| {
            ["0", "1", "true", ""]
                .map(|v| term_reaches_grandchild_under(init, &["--"], &[("DUMB_INIT_SETSID", v)]).0.to_string())
                .join(" ")
        },
    },
    Scenario {
        name: "rewrite -r",
        peers: &[DUMB_INIT],
        observe: |init| {
            [
                forwarded(init, Pid1, &["-c", "-r", "10:12"], &[libc::SIGUSR1, libc::SIGHUP]),
                forwarded(init, Pid1, &["-c", "--rewrite", "1:0", "-r", "12:2"], &[libc::SIGHUP, libc::SIGUSR2]),
            ]
            .join(" | ")
        },
    },
    Scenario {
        name: "remap exit -e",
        peers: &[TINI],
        observe: |init| {
            [
                outcome_with(init, Pid1, &["-e", "3"], &["/bin/sh", "-c", "exit 3"], &[]),
                outcome_with(init, Pid1, &["-e", "3", "-e", "4"], &["/bin/sh", "-c", "exit 4"], &[]),
                outcome_with(init, Pid1, &["-e", "3"], &["/bin/sh", "-c", "exit 5"], &[]),
            ]
            .join(" | ")
        },
    },
    Scenario {
        name: "subreaper -s and TINI_SUBREAPER",
        peers: &[TINI],
        observe: |init| {
            [orphan_adopted(init, &["-s"], &[]), orphan_adopted(init, &[], &[("TINI_SUBREAPER", "")])].join(" | ")
        },
    },
    Scenario {
        name: "parent-death signal -p",
        peers: &[TINI],
        observe: |init| {
            // A launcher starts the init and exits: the init gets SIGUSR1 and passes it on.
            let dir = scratch_dir(&format!("diff-pdeath-{}", unique()));
            let record = dir.join("record");
            let script = format!(
                "import subprocess, sys\np = subprocess.Popen([{init:?}, '-s', '-p', 'SIGUSR1', '--', {PYTHON:?}, {h:?}, {r:?}], \
                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)\np.stdout.readline()\nprint(p.pid, flush=True)",
                h = helper("sigrecord.py"),
                r = record.to_str().unwrap()
            );
            let out = run(python_c(&script, false), 30);
            let pid: i32 = out.stdout.trim().parse().unwrap();
            wait_for("the parent-death signal", 10, || {
                std::fs::read_to_string(&record).is_ok_and(|r| r.contains("10"))
            });
            kill(pid, libc::SIGTERM);
            wait_for("the init to end", 10, || !alive(pid));
            std::fs::read_to_string(&record).unwrap()
        },
    },
    Scenario {
        name: "verbosity -v and TINI_VERBOSITY",
        peers: &[TINI],
        observe: |init| {
            let mut seen = vec![logs(init, &[], &[]), logs(init, &["-v"], &[]), logs(init, &["-vvv"], &[])];
            for v in ["0", "1", "2", "3x", "abc", ""] {
                seen.push(logs(init, &[], &[("TINI_VERBOSITY", v)]));
            }
            seen.join(" | ")
        },
    },
    Scenario {
        name: "log stream",
        peers: &[TINI],
        observe: |init| {
            let out = run(command(init, Pid1, &["-v"], &["/bin/true"], &[]), 30);
            format!("stdout {}; stderr {}", !out.stdout.is_empty(), !out.stderr.is_empty())
        },
    },
    Scenario { name: "warn on reaping -w", peers: &[TINI], observe: |init| logs(init, &["-w"], &[]) },
    Scenario {
        name: "verbose -v and DUMB_INIT_DEBUG",
        peers: &[DUMB_INIT],
        observe: |init| {
            let mut seen = vec![logs(init, &[], &[]), logs(init, &["-v"], &[]), logs(init, &["--verbose"], &[])];
            for v in ["1", "0", "yes", ""] {
                seen.push(logs(init, &[], &[("DUMB_INIT_DEBUG", v)]));
            }
            seen.join(" | ")
        },
    },
    Scenario {
        name: "pause -P",
        peers: &[CATATONIT],
        observe: |init| {
            [libc::SIGTERM, libc::SIGINT]
                .map(|sig| {
                    let s = Session::start(command(init, Pid1, &["-P"], &[], &[]));
                    let pid = s.pidone_pid();
                    // Wait until the init sleeps: nothing before its wait for signals sleeps,
                    // so its signals are blocked by then.
                    wait_for("the init to wait for signals", 10, || state(pid) == Some('S'));
                    kill(pid, sig);
                    format!("exit {}", s.finish(20).code())
                })
                .join(" | ")
        },
    },
];

fn table(peer_path: &str) {
    native_only!("the peers are native binaries: the suite compares behaviour, not architectures");
    let Some(peer_path) = peer(peer_path) else { return };
    let name = std::path::Path::new(&peer_path).file_name().unwrap().to_str().unwrap().to_string();
    let pidone = bin();
    let (mut matched, mut deliberate, mut failures) = (0, 0, Vec::new());
    let scenarios: Vec<&Scenario> = SCENARIOS.iter().filter(|s| s.peers.contains(&peer_path.as_str())).collect();
    for s in &scenarios {
        eprintln!("{name}: {}", s.name);
        let theirs = (s.observe)(&peer_path);
        let ours = (s.observe)(&pidone).replace(&pidone, &peer_path);
        let why = DELIBERATE.iter().find(|d| d.0 == s.name && d.1.contains(&peer_path.as_str())).map(|d| d.2);
        match (why, theirs == ours) {
            (None, true) => matched += 1,
            (Some(why), false) => {
                deliberate += 1;
                eprintln!("{name}: {}: deliberate difference ({why})\n  {name}: {theirs}\n  pidone: {ours}", s.name);
            }
            (None, false) => failures.push(format!("{}:\n  {name}: {theirs}\n  pidone: {ours}", s.name)),
            (Some(_), true) => {
                failures.push(format!("{}: listed as a deliberate difference but the same: {ours}", s.name))
            }
        }
    }
    eprintln!("{name}: {} scenarios, {matched} match, {deliberate} deliberate differences", scenarios.len());
    assert!(failures.is_empty(), "{name}:\n{}", failures.join("\n"));
}

#[test]
fn against_tini() {
    table(TINI);
}

#[test]
fn against_dumb_init() {
    table(DUMB_INIT);
}

#[test]
fn against_catatonit() {
    table(CATATONIT);
}

#[test]
fn every_deliberate_difference_names_a_scenario_of_its_peer() {
    for (name, peers, _) in DELIBERATE {
        for peer in *peers {
            assert!(SCENARIOS.iter().any(|s| s.name == *name && s.peers.contains(peer)), "{name} / {peer}");
        }
    }
}

/// doc/drop-in.md's table of deliberate differences names exactly the (scenario, peer) pairs of
/// `DELIBERATE`: a user reads there what this suite holds pidone to.
#[test]
fn the_readme_lists_exactly_the_deliberate_differences() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/drop-in.md")).unwrap();
    let section =
        readme.split("## Deliberate differences").nth(1).expect("doc/drop-in.md has no deliberate differences");
    let section = section.split("\n#").next().unwrap();
    let mut listed: Vec<(String, String)> = Vec::new();
    for row in section.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| scenario")) {
        let cells: Vec<&str> = row.split(" | ").collect();
        let (scenario, peers) = (cells[0].trim_start_matches("| "), cells[1]);
        for peer in peers.split(", ") {
            let path = match peer {
                "tini" => TINI,
                "dumb-init" => DUMB_INIT,
                "catatonit" => CATATONIT,
                other => panic!("doc/drop-in.md names an unknown peer {other:?} for {scenario:?}"),
            };
            listed.push((scenario.to_string(), path.to_string()));
        }
    }
    let mut expected: Vec<(String, String)> = DELIBERATE
        .iter()
        .flat_map(|(name, peers, _)| peers.iter().map(|peer| (name.to_string(), peer.to_string())))
        .collect();
    listed.sort();
    expected.sort();
    assert_eq!(listed, expected, "doc/drop-in.md's deliberate differences and DELIBERATE disagree");
}
