//! Graceful shutdown of everything the command leaves behind: SIGTERM, a grace period,
//! SIGKILL for the rest, and never a process outside pidone's own tree.

mod common;
use common::*;

use std::path::Path;

/// A shell command that starts survivors (`mode` per helper), waits until each has
/// written "started", and exits with `code`.
fn leave_behind(modes: &[&str], file: &Path, code: i32) -> String {
    let mut script = String::new();
    for mode in modes {
        script += &format!("{PYTHON} {} {mode} {} & ", helper("survivor.py"), file.display());
    }
    script += &format!(
        "while [ $(cat {f} 2>/dev/null | grep -c started) -lt {n} ]; do sleep 0.01; done; exit {code}",
        f = file.display(),
        n = modes.len()
    );
    script
}

#[test]
fn survivors_get_sigterm_and_time_to_clean_up() {
    let dir = scratch_dir("shutdown-clean");
    let file = dir.join("log");
    // One in the command's session, one that moved to a session of its own.
    // A grace far beyond the 0.5 s cleanup: it ends as soon as the survivors are gone.
    let out = run(pid1_command(&["-v", "-t", "60", "/bin/sh", "-c", &leave_behind(&["trap", "setsid"], &file, 3)]), 90);
    assert_eq!(out.code(), 3, "{}", out.stderr);
    let log = read_text(&file);
    assert_eq!(log.matches("cleaned").count(), 2, "{log}\n{}", out.stderr);
}

#[test]
fn shutdown_ends_as_soon_as_the_last_survivor_is_gone() {
    // Cleanup takes 0.5 s; a 60 s grace waited out would fail the 20 s timeout.
    let dir = scratch_dir("shutdown-early");
    let file = dir.join("log");
    let out = run(pid1_command(&["-t", "60", "/bin/sh", "-c", &leave_behind(&["trap"], &file, 0)]), 20);
    assert_eq!(out.code(), 0);
    assert_eq!(read_text(&file).matches("cleaned").count(), 1);
}

#[test]
fn a_survivor_ignoring_sigterm_is_killed_after_the_grace() {
    let dir = scratch_dir("shutdown-ignore");
    let file = dir.join("log");
    let out = pid1(&["-v", "-t", "1", "/bin/sh", "-c", &leave_behind(&["ignore"], &file, 5)]);
    assert_eq!(out.code(), 5);
    let pid = read_text(&file).trim().strip_prefix("started ").unwrap().to_string();
    assert!(out.stderr.contains("shutdown: SIGTERM to the rest, grace 1000 ms\n"), "{}", out.stderr);
    assert!(out.stderr.contains("shutdown: SIGKILL to the rest\n"), "{}", out.stderr);
    assert!(out.stderr.contains(&format!("reaped {pid}: killed by SIGKILL\n")), "{}", out.stderr);
}

#[test]
fn grace_zero_kills_at_once() {
    let dir = scratch_dir("shutdown-zero");
    let file = dir.join("log");
    let out = pid1(&["-v", "--grace=0", "/bin/sh", "-c", &leave_behind(&["record"], &file, 0)]);
    assert_eq!(out.code(), 0);
    let log = read_text(&file);
    assert!(!log.contains("got TERM"), "grace 0 must not send SIGTERM: {log}");
    let pid = log.trim().strip_prefix("started ").unwrap().to_string();
    assert!(out.stderr.contains(&format!("reaped {pid}: killed by SIGKILL\n")), "{}", out.stderr);
    assert!(!out.stderr.contains("SIGTERM"), "{}", out.stderr);
}

#[test]
fn grace_comes_from_the_environment_and_the_flag_wins() {
    let dir = scratch_dir("shutdown-env");
    let file = dir.join("log");
    let mut cmd = pid1_command(&["-v", "/bin/sh", "-c", &leave_behind(&["ignore"], &file, 0)]);
    cmd.env("PIDONE_GRACE", "0.5");
    let out = run(cmd, 30);
    assert!(out.stderr.contains("grace 500 ms\n"), "{}", out.stderr);
    assert!(out.stderr.contains("killed by SIGKILL\n"), "{}", out.stderr);
    let mut cmd = pid1_command(&["-v", "-t", "0.2", "/bin/sh", "-c", &leave_behind(&["ignore"], &file, 0)]);
    cmd.env("PIDONE_GRACE", "100");
    let out = run(cmd, 30);
    assert!(out.stderr.contains("grace 200 ms\n"), "{}", out.stderr);
}

#[test]
fn a_stopped_survivor_still_ends() {
    // SIGCONT follows SIGTERM, so a stopped process wakes up to clean up.
    let dir = scratch_dir("shutdown-stopped");
    let file = dir.join("log");
    let script = leave_behind(&["trap"], &file, 0).replace("; exit 0", "; kill -STOP $!; exit 0");
    let out = run(pid1_command(&["-t", "60", "/bin/sh", "-c", &script]), 90);
    assert_eq!(out.code(), 0);
    assert_eq!(read_text(&file).matches("cleaned").count(), 1, "{}", read_text(&file));
}

/// Runs pidone (not PID 1) next to an unrelated process of the same user and checks that
/// pidone's own leftovers are gone afterwards while the unrelated one lives on.
fn only_own_tree(pidone_args: &[&str], script: &str, pidone_signal: Option<i32>) {
    let mut unrelated = std::process::Command::new("/bin/sleep").arg("60").spawn().unwrap();
    let mut args: Vec<&str> = pidone_args.to_vec();
    args.extend(["/bin/sh", "-c", script]);
    let s = Session::start(plain_command(&args));
    // The script prints the pids it leaves behind, then "go".
    let mut own = Vec::new();
    loop {
        let line = s.line(10);
        if line == "go" {
            break;
        }
        own.push(line.parse::<i32>().unwrap());
    }
    if let Some(sig) = pidone_signal {
        s.signal(sig);
    }
    let out = s.finish(30);
    for pid in &own {
        assert!(!alive(*pid), "pidone left its own descendant {pid} alive; {}", out.stderr);
    }
    assert!(alive(unrelated.id() as i32), "pidone killed an unrelated process; {}", out.stderr);
    unrelated.kill().unwrap();
    unrelated.wait().unwrap();
}

#[test]
fn not_pid_1_only_its_own_tree_is_stopped() {
    native_only!(NO_SUBREAPER_UNDER_QEMU);
    // Normal exit of the command; survivors end on SIGTERM.
    only_own_tree(&["-t", "5"], "sleep 60 & echo $!; sleep 60 & echo $!; echo go", None);
    // A grandchild whose parent is still alive, and one in its own session.
    // The grandchild's number comes through a file, before "go", however slow its shell is.
    let f = scratch_dir("own-tree").join("grandchild");
    only_own_tree(
        &["-t", "5"],
        &format!(
            "sh -c 'sleep 60 & echo $! > {f}; sleep 60' & echo $!; setsid sleep 60 & echo $!; \
             while [ ! -s {f} ]; do sleep 0.01; done; cat {f}; echo go",
            f = f.display()
        ),
        None,
    );
    // Grace expiry: a survivor that ignores SIGTERM needs SIGKILL.
    only_own_tree(&["-t", "0.3"], "trap '' TERM; sleep 60 & echo $!; echo go; exit 0", None);
    // SIGTERM to pidone itself while the command runs.
    only_own_tree(&["-t", "1"], "sleep 60 & echo $!; echo go; exec sleep 60", Some(libc::SIGTERM));
    // Grace 0: SIGKILL at once.
    only_own_tree(&["-t", "0"], "sleep 60 & echo $!; echo go", None);
}
