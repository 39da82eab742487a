//! The line pidone writes when the command dies of a signal that pidone did not send it:
//! the signal, whether it dumped core, and for SIGKILL whether the OOM killer did it.
//! Nothing for an exit or a forwarded signal, and nothing with -q.

mod common;
use common::*;

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Command;

/// A command that dies of a real segmentation fault.
const SEGFAULT: [&str; 3] = [PYTHON, "-c", "import ctypes; ctypes.string_at(0)"];

#[test]
fn a_real_segmentation_fault_is_named() {
    let mut cmd = pid1_command(&SEGFAULT);
    no_core_dumps(&mut cmd);
    let out = run(cmd, 60);
    assert_eq!((out.code(), out.stderr.as_str()), (139, "pidone: /usr/bin/python3 was killed by SIGSEGV\n"));
}

/// Allows core files of any size, in a fresh directory that the test removes.
fn with_core_dumps(cmd: &mut Command, dir: &Path) {
    cmd.current_dir(dir);
    limit_core(cmd, libc::RLIM_INFINITY);
}

#[test]
fn a_core_dump_is_said_when_the_kernel_reports_one() {
    if !is_root() {
        eprintln!("skipped: raising RLIMIT_CORE's hard limit needs root");
        return;
    }
    // The oracle: whether the same fault, run directly in the same conditions, dumps core
    // (it depends on the machine's core_pattern).
    let dir = scratch_dir("core-dump");
    let mut direct = Command::new(SEGFAULT[0]);
    direct.args(&SEGFAULT[1..]);
    with_core_dumps(&mut direct, &dir);
    let dumped = direct.status().unwrap().core_dumped();
    let mut cmd = pid1_command(&SEGFAULT);
    with_core_dumps(&mut cmd, &dir);
    let out = run(cmd, 60);
    let _ = std::fs::remove_dir_all(&dir);
    let expected = if dumped { " (core dumped)" } else { "" };
    assert_eq!(out.code(), 139);
    assert_eq!(out.stderr, format!("pidone: /usr/bin/python3 was killed by SIGSEGV{expected}\n"));
    eprintln!("core dumped: {dumped}");
}

#[test]
fn a_sigkill_from_elsewhere_is_named_without_blaming_memory() {
    for pid1 in [true, false] {
        let args = ["/bin/sh", "-c", "kill -KILL $$"];
        let out = run(placed(pid1, &args), 30);
        // Under qemu-user a pidone that is not PID 1 also says it could not become a
        // subreaper (NO_SUBREAPER_UNDER_QEMU); that line is not the one under test.
        let lines: Vec<&str> = out
            .stderr
            .lines()
            .filter(|l| !(foreign() && l.starts_with("pidone: failed to become a subreaper")))
            .collect();
        assert_eq!((out.code(), lines), (137, vec!["pidone: /bin/sh was killed by SIGKILL"]), "PID 1 {pid1}");
    }
}

#[test]
fn nothing_is_said_for_a_signal_pidone_forwarded_or_an_exit() {
    for flags in [&[][..], &["-g"], &["-r", "TERM:INT"], &["-r", "TERM:KILL"]] {
        let mut args: Vec<&str> = flags.to_vec();
        args.extend(["/bin/sleep", "600"]);
        let s = Session::start(pid1_command(&args));
        let pid = s.pidone_pid();
        wait_for("the command to start", 30, || {
            std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).is_ok_and(|c| !c.trim().is_empty())
        });
        s.signal(libc::SIGTERM);
        let out = s.finish(30);
        assert!(out.code() > 128, "{flags:?}: {}", out.code());
        assert_eq!(out.stderr, "", "{flags:?}");
    }
    let out = pid1(&["/bin/sh", "-c", "exit 3"]);
    assert_eq!((out.code(), out.stderr.as_str()), (3, ""));
}

#[test]
fn quiet_silences_the_line() {
    for (flags, env) in [(&["-q"][..], None), (&["--quiet"], None), (&[], Some("1"))] {
        let mut args: Vec<&str> = flags.to_vec();
        args.extend(["/bin/sh", "-c", "kill -KILL $$"]);
        let mut cmd = pid1_command(&args);
        if let Some(v) = env {
            cmd.env("PIDONE_QUIET", v);
        }
        let out = run(cmd, 30);
        assert_eq!((out.code(), out.stderr.as_str()), (137, ""), "{flags:?} {env:?}");
    }
}

/// A memory cgroup of its own with a 64 MiB limit and no swap, mounted where pidone looks
/// (/sys/fs/cgroup/memory for v1, /sys/fs/cgroup for v2) in a mount namespace of its
/// own, as a container engine gives a container. `None` where this machine cannot.
fn oom_command(name: &str, pidone_args: &[&str]) -> Option<(Command, String)> {
    let (cgroup, mount_at, limits): (String, &str, &[(&str, &str)]) =
        if Path::new("/sys/fs/cgroup/memory/memory.oom_control").exists() {
            let limits: &[(&str, &str)] = if Path::new("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes").exists() {
                &[("memory.limit_in_bytes", "64M"), ("memory.memsw.limit_in_bytes", "64M")]
            } else {
                &[("memory.limit_in_bytes", "64M")]
            };
            (format!("/sys/fs/cgroup/memory/{name}"), "/sys/fs/cgroup/memory", limits)
        } else if Path::new("/sys/fs/cgroup/cgroup.subtree_control").exists() {
            (format!("/sys/fs/cgroup/{name}"), "/sys/fs/cgroup", &[("memory.max", "64M"), ("memory.swap.max", "0")])
        } else {
            return None;
        };
    let _ = std::fs::remove_dir(&cgroup);
    std::fs::create_dir(&cgroup).ok()?;
    for (file, value) in limits {
        std::fs::write(format!("{cgroup}/{file}"), value).ok()?;
    }
    let mut words = vec![bin()];
    words.extend(pidone_args.iter().map(|s| s.to_string()));
    let script = format!(
        "echo $$ > {cgroup}/cgroup.procs && mount --bind {cgroup} {mount_at} && \
         exec unshare --pid --fork --mount-proc --kill-child {}",
        words.join(" ")
    );
    let mut cmd = Command::new("/usr/bin/unshare");
    cmd.args(["--mount", "--propagation", "private", "/bin/sh", "-c", &script]);
    default_signals(&mut cmd);
    Some((cmd, cgroup))
}

#[test]
fn an_out_of_memory_kill_is_named() {
    if !is_root() {
        eprintln!("skipped: a cgroup of its own needs root");
        return;
    }
    // Python allocating (and touching) 1 MiB at a time until the OOM killer ends it.
    let hog = scratch_dir("oom").join("hog.py");
    std::fs::write(&hog, "a = []\nwhile True:\n    a.append(bytearray(1 << 20))\n").unwrap();
    let name = format!("pidone-oom-{}", std::process::id());
    let Some((cmd, cgroup)) = oom_command(&name, &[PYTHON, hog.to_str().unwrap()]) else {
        eprintln!("skipped: no memory cgroup to limit");
        return;
    };
    let out = run(cmd, 120);
    wait_for("the cgroup to empty", 30, || std::fs::remove_dir(&cgroup).is_ok());
    assert_eq!(out.code(), 137, "{}", out.stderr);
    assert_eq!(out.stderr, "pidone: /usr/bin/python3 was killed by SIGKILL: out of memory\n");
}

/// A FIFO where pidone reads the OOM killer's count (a tmpfs over /sys/fs/cgroup, in a
/// mount namespace of its own). Opening cgroup v2's memory.events as a FIFO nobody writes
/// to blocked pidone before the command ever started (issue 25); now it is opened without
/// waiting. And a file that is not a regular one counts as unreadable: v1's
/// memory.oom_control as a FIFO that offers a count of 0 before the command starts and 5
/// as it dies (the command writes it, through the descriptor 3 it was given) must not
/// make pidone blame memory.
#[test]
fn a_fifo_where_the_oom_count_is_read_is_not_waited_for_nor_believed() {
    if !is_root() {
        eprintln!("skipped: mounting a tmpfs over /sys/fs/cgroup needs root");
        return;
    }
    let v2 = ("mkfifo memory.events", "kill -KILL $$");
    // The sleep keeps the FIFO open for writing while pidone reads it after the death.
    let v1 = (
        "mkdir memory && mkfifo memory/memory.oom_control && exec 3<>memory/memory.oom_control && \
         echo 'oom_kill 0' >&3",
        "sleep 30 & echo oom_kill 5 >&3; kill -KILL $$",
    );
    for (fifo, command) in [v2, v1] {
        for pid1 in [true, false] {
            let mut words = vec![bin()];
            if pid1 {
                words.splice(0..0, ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"].map(String::from));
            }
            let script = format!(
                "mount -t tmpfs none /sys/fs/cgroup && cd /sys/fs/cgroup && {fifo} && \
                 exec {} /bin/sh -c '{command}'",
                words.join(" ")
            );
            let mut cmd = Command::new("/usr/bin/unshare");
            cmd.args(["--mount", "--propagation", "private", "/bin/sh", "-c", &script]);
            default_signals(&mut cmd);
            let out = run(cmd, 30);
            let what = format!("{fifo}, PID 1 {pid1}");
            assert_eq!(out.code(), 137, "{what}: {}", out.stderr);
            assert!(out.stderr.ends_with("pidone: /bin/sh was killed by SIGKILL\n"), "{what}: {}", out.stderr);
        }
    }
}
