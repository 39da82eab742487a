//! The core scenarios in every mode, as dumb-init's fixtures run each test in every
//! debug x setsid mode: {default, -v, -g} x {PID 1 of a PID namespace, a plain child}.
//! Each asserts what the processes experienced (exit codes, the signals that arrived,
//! adoption and reaping, what survivors recorded), never the wording of `-v` lines.

mod common;
use common::*;

use std::process::Command;

const FLAGS: [&[&str]; 3] = [&[], &["-v"], &["-g"]];

/// Every mode: (flags, as PID 1, a name for messages).
fn modes() -> Vec<(&'static [&'static str], bool, String)> {
    let mut all = Vec::new();
    for flags in FLAGS {
        for pid1 in [true, false] {
            all.push((flags, pid1, format!("flags {flags:?}, PID 1 {pid1}")));
        }
    }
    all
}

/// pidone in `flags` and placement with `args` after them.
fn command<S: AsRef<str>>(flags: &[&str], pid1: bool, args: &[S]) -> Command {
    let mut all: Vec<&str> = flags.to_vec();
    all.extend(args.iter().map(AsRef::as_ref));
    placed(pid1, &all)
}

#[test]
fn exit_codes_pass_through() {
    for (flags, pid1, mode) in modes() {
        for code in [0, 1, 42, 255] {
            let out = run(command(flags, pid1, &["/bin/sh", "-c", &format!("exit {code}")]), 30);
            assert_eq!(out.code(), code, "{mode}: {}", out.stderr);
        }
    }
}

#[test]
fn a_command_killed_by_a_signal_gives_128_plus_n() {
    for (flags, pid1, mode) in modes() {
        for (sig, code) in [("TERM", 143), ("KILL", 137), ("HUP", 129)] {
            let out = run(command(flags, pid1, &["/bin/sh", "-c", &format!("kill -{sig} $$")]), 30);
            assert_eq!(out.code(), code, "{mode}, SIG{sig}: {}", out.stderr);
        }
    }
}

#[test]
fn sigterm_to_pidone_reaches_the_command() {
    for (flags, pid1, mode) in modes() {
        let s = Session::start(command(flags, pid1, &py("sigecho.py", &["1"])));
        assert_eq!(s.line(10), "ready", "{mode}");
        s.signal(libc::SIGTERM);
        assert_eq!(s.line(10), libc::SIGTERM.to_string(), "{mode}");
        let out = s.finish(10);
        assert_eq!(out.code(), 0, "{mode}: {}", out.stderr);
    }
}

#[test]
fn orphans_are_adopted_and_reaped() {
    native_only!(NO_SUBREAPER_UNDER_QEMU);
    for (flags, pid1, mode) in modes() {
        let out = run(command(flags, pid1, &py("adopt.py", &["20"])), 60);
        assert_eq!(out.code(), 0, "{mode}: {}", out.stderr);
        assert_eq!(out.stdout, "adopted 20 reaped 20\n", "{mode}: {}", out.stderr);
    }
}

#[test]
fn survivors_get_sigterm_when_the_command_ends() {
    native_only!(NO_SUBREAPER_UNDER_QEMU);
    for (flags, pid1, mode) in modes() {
        let dir = scratch_dir("modes-survivor");
        let file = dir.join("log");
        // One survivor in the command's session, one in a session of its own: both are
        // pidone's to stop, whatever the flags.
        let script = format!(
            "{py} {h} record {f} & setsid {py} {h} record {f} & \
             while [ $(cat {f} 2>/dev/null | grep -c started) -lt 2 ]; do sleep 0.01; done; exit 3",
            py = PYTHON,
            h = helper("survivor.py"),
            f = file.display()
        );
        let out = run(command(flags, pid1, &["-t", "60", "/bin/sh", "-c", &script]), 90);
        assert_eq!(out.code(), 3, "{mode}: {}", out.stderr);
        let log = std::fs::read_to_string(&file).unwrap_or_default();
        assert_eq!(log.matches("got TERM").count(), 2, "{mode}: {log}\n{}", out.stderr);
    }
}
