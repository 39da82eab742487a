//! pidone never signals outside its own tree, never hangs and never crashes, however the
//! shutdown and its /proc walk are attacked: a /proc of another PID namespace, children
//! files that cannot be read, a caller that ignores SIGCHLD, pause mode without /proc,
//! pid numbers reused during the walk, a small stack, a malformed environment. Each test
//! runs as root and, where the scenario allows, as an unprivileged user.

mod common;
use common::*;

use std::process::Command;

/// `unshare ARGS` as root, or as uid 65534 with `--user` (and `--map-root-user` when the
/// scenario needs to mount something).
fn unshare(nobody: bool, map_root: bool, args: &[&str]) -> Command {
    let mut cmd = Command::new("/usr/bin/unshare");
    if nobody {
        cmd.arg("--user");
        if map_root {
            cmd.arg("--map-root-user");
        }
        as_nobody(&mut cmd);
    }
    cmd.args(args);
    default_signals(&mut cmd);
    cmd
}

/// In `unshare --pid --fork` without `--mount-proc`, /proc/2 is the host's process 2
/// (kthreadd), whose children have the numbers of the first processes here. pidone, PID 2
/// of this namespace, must not take them for its own: it falls back on the command's
/// process group.
#[test]
fn a_proc_of_another_pid_namespace_is_not_trusted() {
    for nobody in [false, true] {
        // sh is PID 1, pidone (its first child) PID 2; three unrelated sleeps follow.
        let script = format!(
            "{bin} -t 1 -- /bin/sh -c 'sleep 100 & exec sleep 0.5' & p=$!; \
             sleep 100 & a=$!; sleep 100 & b=$!; sleep 100 & c=$!; \
             wait $p; echo \"pidone $? (host's pid 2: $(cat /proc/2/comm))\"; \
             for q in $a $b $c; do kill -0 $q 2>/dev/null && echo alive; done; kill $a $b $c 2>/dev/null; true",
            bin = bin()
        );
        let out = run(unshare(nobody, false, &["--pid", "--fork", "--kill-child", "/bin/sh", "-c", &script]), 30);
        assert!(out.stdout.starts_with("pidone 0 "), "nobody {nobody}: {}{}", out.stdout, out.stderr);
        assert_eq!(out.stdout.matches("alive").count(), 3, "nobody {nobody}: {}{}", out.stdout, out.stderr);
    }
}

/// A command that leaves `sleep 100` behind (printing its pid) and exits 3.
const LEAVE_SLEEP: &str = "sleep 100 & echo $!; exit 3";

/// Asserts that pidone exited 3 and that the sleep it was left with is gone.
fn left_sleep_is_gone(out: &Outcome, what: &str) {
    assert_eq!(out.code(), 3, "{what}: {}", out.stderr);
    let pid: i32 = out.stdout.trim().parse().unwrap_or_else(|_| panic!("{what}: {}{}", out.stdout, out.stderr));
    if alive(pid) {
        kill(pid, libc::SIGKILL);
        panic!("{what}: pidone left its own child {pid} running; {}", out.stderr);
    }
    assert!(!out.stderr.contains("gave up"), "{what}: {}", out.stderr);
}

/// With one descriptor to spare pidone opens /proc/PID/task but not the children file in
/// it: the walk is incomplete, and the fallback must stop the sleep the command left.
#[test]
fn a_children_file_that_cannot_be_opened_leads_to_the_fallback() {
    native_only!(NO_SUBREAPER_UNDER_QEMU);
    for nobody in [false, true] {
        let launcher = format!(
            "import os, resource\nos.closerange(3, 65536)\nresource.setrlimit(resource.RLIMIT_NOFILE, (4, 4))\n\
             os.execv('{bin}', ['pidone', '-t', '1', '/bin/sh', '-c', '{LEAVE_SLEEP}'])",
            bin = bin()
        );
        let cmd = python_c(&launcher, nobody);
        left_sleep_is_gone(&run(cmd, 30), &format!("EMFILE, nobody {nobody}"));
    }
}

/// A kernel without CONFIG_PROC_CHILDREN, simulated: a tmpfs over /proc that has pidone's
/// task directory and /proc/self, but no children files.
#[test]
fn a_kernel_without_children_files_leads_to_the_fallback() {
    native_only!(NO_SUBREAPER_UNDER_QEMU);
    for nobody in [false, true] {
        // PID 1 of a new PID and mount namespace; the first process it forks is PID 2.
        let launcher = format!(
            r#"
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.mount(b"none", b"/proc", b"tmpfs", 0, None) != 0:
    sys.exit("mount: " + os.strerror(ctypes.get_errno()))
os.makedirs("/proc/2/task/2")
os.symlink("2", "/proc/self")
pid = os.fork()
if pid == 0:
    os.execv("{bin}", ["pidone", "-t", "1", "/bin/sh", "-c", "sleep 100 & exit 3"])
_, status = os.waitpid(pid, 0)
# What pidone left is now this process's child.
try:
    left = "left running" if os.waitpid(-1, os.WNOHANG)[0] == 0 else "none left"
except ChildProcessError:
    left = "none left"
print("pidone", os.waitstatus_to_exitcode(status), left, flush=True)
"#,
            bin = bin()
        );
        let args = ["--mount", "--propagation", "private", "--pid", "--fork", "--kill-child", PYTHON, "-c", &launcher];
        let out = run(unshare(nobody, true, &args), 30);
        assert_eq!(out.stdout, "pidone 3 none left\n", "nobody {nobody}: {}", out.stderr);
        assert!(!out.stderr.contains("gave up"), "nobody {nobody}: {}", out.stderr);
    }
}

/// An ignored SIGCHLD survives execve, and the kernel then reaps pidone's children itself
/// without a word: pidone hung and lost the exit code. The command must still get SIGCHLD
/// ignored, as pidone was started.
#[test]
fn a_caller_that_ignores_sigchld() {
    let launcher = format!(
        "import os, signal\nsignal.signal(signal.SIGCHLD, signal.SIG_IGN)\n\
         os.execv('{bin}', ['pidone', '{py}', '-c', \"import sys; print(open('/proc/self/status').read()); sys.exit(3)\"])",
        bin = bin(),
        py = PYTHON
    );
    for (pid1, nobody) in [(true, false), (true, true), (false, false), (false, true)] {
        let mut cmd = if pid1 {
            unshare(nobody, true, &["--pid", "--fork", "--mount-proc", "--kill-child", PYTHON, "-c", &launcher])
        } else {
            python_c(&launcher, nobody)
        };
        cmd.env_remove("PIDONE_VERBOSE");
        let out = run(cmd, 10);
        assert_eq!(out.code(), 3, "PID 1 {pid1}, nobody {nobody}: {}", out.stderr);
        // (Read by Python: a shell would reset SIGCHLD for what it runs.)
        let ignored = out
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("SigIgn:"))
            .map(|m| u64::from_str_radix(m.trim(), 16).unwrap());
        assert_eq!(ignored.map(|m| m & (1 << (libc::SIGCHLD - 1)) != 0), Some(true), "{}", out.stdout);
    }
}

/// Pause mode has no command, so its fallback without /proc has no process group to
/// signal: it was kill(0, ...), pidone's caller's group. Here the caller is a launcher in
/// a group of its own, and pidone inherited a child it cannot find without /proc.
#[test]
fn pause_mode_without_proc_never_signals_its_callers_group() {
    native_only!("under qemu-user /proc/PID/exe names the emulator, by which the launcher would know pidone");
    for nobody in [false, true] {
        let unshare_args = if nobody { "'--user', '--map-root-user', " } else { "" };
        let launcher = format!(
            r#"
import os, signal, subprocess, time
os.setpgid(0, 0)
got = []
signal.signal(signal.SIGTERM, lambda *a: got.append("TERM"))
p = subprocess.Popen(["/usr/bin/unshare", {unshare_args}"--mount", "--propagation", "private", "/bin/sh", "-c",
    "mount -t tmpfs none /proc || exit 9; sleep 100 & echo $!; exec {bin} -P -t 0.3"], stdout=subprocess.PIPE)
sleep = int(p.stdout.readline())
# Until pidone sleeps: it sleeps only in sigtimedwait, with every signal blocked
# (unshare and sh exec it in place, so it has the pid Popen gave).
while True:
    try:
        state = open("/proc/%d/stat" % p.pid).read().rsplit(")", 1)[1].split()[0]
        if os.readlink("/proc/%d/exe" % p.pid) == "{bin}" and state == "S":
            break
    except OSError:
        pass
    time.sleep(0.01)
os.kill(p.pid, signal.SIGTERM)
code = p.wait()
try:
    os.kill(sleep, signal.SIGKILL)
except ProcessLookupError:
    got.append("(its sleep was killed)")
print("pidone", code, "launcher got", got, flush=True)
"#,
            bin = bin()
        );
        let cmd = python_c(&launcher, nobody);
        let out = run(cmd, 30);
        assert_eq!(out.stdout, "pidone 0 launcher got []\n", "nobody {nobody}: {}", out.stderr);
    }
}

/// A pid read from a children file can be reaped and given to an unrelated process before
/// pidone signals it. tests/helpers/reuse.py makes that likely (a small pid_max kept
/// exhausted, churning trees inside and outside pidone's, pidone stopped mid-walk as a
/// busy scheduler would) and counts the signals that reached the outsiders: the previous
/// walk let 11 rounds in 1,000 through, so 2,000 rounds would show about 22 (and none
/// with a chance of about e^-22). As root only: its 940 sleepers would meet an
/// unprivileged user's process limit.
#[test]
fn a_reused_pid_is_never_signalled() {
    native_only!(NO_SUBREAPER_UNDER_QEMU);
    let mut cmd = Command::new("/usr/bin/unshare");
    cmd.args(["--pid", "--fork", "--mount-proc", "--kill-child", PYTHON, &helper("reuse.py"), &bin(), "2000"]);
    default_signals(&mut cmd);
    // About 30 s on an idle 2-core machine.
    let out = run(cmd, 300);
    if let Some(why) = out.stdout.strip_prefix("skip: ") {
        eprintln!("skipped: {why}");
        return;
    }
    assert_eq!(out.stdout, "outsiders hit 0 rounds 2000\n", "{}", out.stderr);
}

/// A chain of 40 nested shells on a stack of 16, 24 and 32 KiB: the walk must not need
/// more stack with depth (a recursive one crashed and left all 41 running). Only pidone's
/// stack is small: the limit is a soft one, which every shell raises back at once.
#[test]
fn a_deep_tree_on_a_small_stack() {
    native_only!(NO_SUBREAPER_UNDER_QEMU);
    for kib in [16u64, 24, 32] {
        let dir = scratch_dir(&format!("tree-stack-{kib}"));
        let file = dir.join("pids");
        let script = format!(
            "ulimit -S -s 8192; /bin/sh {chain} 40 {f} & while ! grep -q ready {f} 2>/dev/null; do sleep 0.01; done; exit 3",
            chain = helper("chain.sh"),
            f = file.display()
        );
        let mut cmd = plain_command(&["-t", "5", "/bin/sh", "-c", &script]);
        // The environment lives on the initial stack too: keep it small.
        cmd.env_clear().env("PATH", "/usr/bin:/bin");
        limit_stack(&mut cmd, kib * 1024);
        no_core_dumps(&mut cmd);
        let out = run(cmd, 60);
        let pids: Vec<i32> = std::fs::read_to_string(&file).unwrap().lines().filter_map(|l| l.parse().ok()).collect();
        let left: Vec<i32> = pids.iter().copied().filter(|&p| alive(p)).collect();
        for &p in &left {
            kill(p, libc::SIGKILL);
        }
        assert_eq!(out.code(), 3, "{kib} KiB stack: {}", out.stderr);
        assert_eq!(pids.len(), 41);
        assert!(left.is_empty(), "{kib} KiB stack: {} of 41 left running", left.len());
    }
}

/// An environment entry without `=` defines no variable: it must not hide a later
/// `PIDONE_GRACE=x`, whose invalid value is a usage error.
#[test]
fn an_environment_entry_without_equals_hides_nothing() {
    let launcher = format!(
        "import ctypes, os\nlibc = ctypes.CDLL(None)\n\
         argv = (ctypes.c_char_p * 3)(b'pidone', b'true', None)\n\
         envp = (ctypes.c_char_p * 3)(b'PIDONE_GRACE', b'PIDONE_GRACE=x', None)\n\
         libc.execve(b'{bin}', argv, envp)",
        bin = bin()
    );
    let mut cmd = Command::new(PYTHON);
    cmd.args(["-c", &launcher]);
    let out = run(cmd, 10);
    assert_eq!(out.code(), 2, "{}", out.stderr);
    assert_eq!(out.stderr.lines().next(), Some("pidone: invalid value for PIDONE_GRACE: 'x'"));
}

/// Not PID 1 and without a usable /proc, pidone falls back to the command's process group.
/// Once the command had been reaped, its number could be given to an unrelated process
/// that leads a group of its own, and that group got what pidone sent: a forwarded signal
/// while `--wait-all` waits, the shutdown's SIGTERM, a signal forwarded during the grace
/// period, the SIGKILL at its end and the SIGKILL rounds after (issue 25, forced with
/// ns_last_pid). The command's zombie now keeps its number until pidone exits: the
/// outsider gets another pid, and nothing.
#[test]
fn the_commands_group_number_is_never_anybody_elses() {
    native_only!(NO_SUBREAPER_UNDER_QEMU);
    if !is_root() {
        eprintln!("skipped: ns_last_pid needs root");
        return;
    }
    for mode in ["wait", "grace"] {
        let mut cmd = Command::new("/usr/bin/unshare");
        cmd.args(["--pid", "--fork", "--kill-child", PYTHON, &helper("pin.py"), &bin(), mode]);
        default_signals(&mut cmd);
        let out = run(cmd, 120);
        assert!(out.stdout.contains("signals [] alive True; pidone 3"), "{mode}: {}{}", out.stdout, out.stderr);
    }
}
