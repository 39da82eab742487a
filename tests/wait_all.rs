//! `--wait-all` (`PIDONE_WAIT_ALL=1`): when the command ends, the processes it left keep
//! running; pidone reaps, forwards every signal to all of them, and exits with the
//! command's status when the last is gone. SIGTERM or SIGINT then starts the usual
//! shutdown. As PID 1 and not.

mod common;
use common::*;

use std::path::Path;

/// Where the tests run: as PID 1, and as a plain child but for a foreign binary, which
/// adopts no orphans under qemu-user (see `NO_SUBREAPER_UNDER_QEMU`).
fn placements() -> Vec<bool> {
    if foreign() {
        eprintln!("PID 1 only: {NO_SUBREAPER_UNDER_QEMU}");
        return vec![true];
    }
    vec![true, false]
}

/// A daemon in the Python `script`, started in a session of its own by a shell that then
/// exits 3 (`service x start`); the daemon writes "up" to `file` once it runs.
fn start_script_leaving(script: &str, file: &Path) -> String {
    format!(
        "setsid {PYTHON} -c \"{script}\" {f} </dev/null >/dev/null 2>&1 & \
         while ! grep -q up {f} 2>/dev/null; do sleep 0.01; done; exit 3",
        f = file.display()
    )
}

/// Records the signals it gets after "up" in argv[1] and exits 0 on SIGUSR1.
const DAEMON: &str = "import signal,sys
signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
open(sys.argv[1], 'a').write('up\\n')
while True:
    s = signal.sigwaitinfo(signal.valid_signals() - {signal.SIGKILL, signal.SIGSTOP}).si_signo
    open(sys.argv[1], 'a').write('%d\\n' % s)
    if s in (signal.SIGUSR1, signal.SIGTERM): sys.exit(0)";

/// Waits until pidone (with -v) says the command has ended and it waits for the rest.
fn wait_until_waiting(s: &Session) {
    wait_for("pidone to wait for the rest", 30, || s.stderr().contains("waiting for the rest to end\n"));
}

#[test]
fn pidone_outlives_the_command_until_the_last_process_is_gone() {
    for pid1 in placements() {
        let file = scratch_dir("wait-all").join("daemon");
        let s =
            Session::start(placed(pid1, &["-v", "--wait-all", "/bin/sh", "-c", &start_script_leaving(DAEMON, &file)]));
        wait_until_waiting(&s);
        // Waiting costs no wake-ups: the daemon's end, or a signal, is what wakes pidone.
        assert_idle(s.pidone_pid());
        // Signals go to everything left: the daemon ends on this one, and pidone with it.
        s.signal(libc::SIGUSR1);
        let out = s.finish(60);
        assert_eq!(out.code(), 3, "PID 1 {pid1}: {}", out.stderr);
        assert_eq!(read_text(&file), "up\n10\n", "PID 1 {pid1}");
        assert!(!out.stderr.contains("shutdown:"), "no shutdown was needed: {}", out.stderr);
    }
}

#[test]
fn sigterm_while_waiting_starts_the_graceful_shutdown() {
    for (sig, flags) in [(libc::SIGTERM, &["-v", "--wait-all"][..]), (libc::SIGINT, &["-v", "--wait-all", "-t", "60"])]
    {
        for pid1 in placements() {
            let file = scratch_dir("wait-all-term").join("daemon");
            let mut args: Vec<&str> = flags.to_vec();
            let script = start_script_leaving(DAEMON, &file);
            args.extend(["/bin/sh", "-c", &script]);
            let s = Session::start(placed(pid1, &args));
            wait_until_waiting(&s);
            s.signal(sig);
            let out = s.finish(60);
            assert_eq!(out.code(), 3, "PID 1 {pid1}: {}", out.stderr);
            // The daemon got the shutdown's SIGTERM, not the signal itself.
            assert_eq!(read_text(&file), "up\n15\n", "signal {sig}, PID 1 {pid1}");
        }
    }
}

#[test]
fn a_process_ignoring_the_shutdown_is_killed_after_the_grace() {
    let stubborn = "import signal,sys,time
for s in (signal.SIGTERM, signal.SIGINT): signal.signal(s, signal.SIG_IGN)
open(sys.argv[1], 'a').write('up\\n')
time.sleep(600)";
    for pid1 in placements() {
        let file = scratch_dir("wait-all-kill").join("daemon");
        let script = start_script_leaving(stubborn, &file);
        let mut cmd = placed(pid1, &["-v", "-t", "0.5", "-e", "3", "/bin/sh", "-c", &script]);
        cmd.env("PIDONE_WAIT_ALL", "1");
        let s = Session::start(cmd);
        wait_until_waiting(&s);
        s.signal(libc::SIGTERM);
        let out = s.finish(60);
        // -e 3 maps the command's 3 to 0, as without --wait-all.
        assert_eq!(out.code(), 0, "PID 1 {pid1}: {}", out.stderr);
        assert!(out.stderr.contains("shutdown: SIGKILL to the rest\n"), "{}", out.stderr);
    }
}

#[test]
fn without_it_the_processes_left_are_stopped_at_once() {
    let file = scratch_dir("no-wait-all").join("daemon");
    let out = run(pid1_command(&["/bin/sh", "-c", &start_script_leaving(DAEMON, &file)]), 60);
    assert_eq!(out.code(), 3, "{}", out.stderr);
    assert_eq!(read_text(&file), "up\n15\n");
}

/// A start script that launches a daemon, then runs its main process in the foreground:
/// `docker stop`'s SIGTERM goes to the script, which dies of it, and the daemon must be
/// stopped too, at once, not waited for (issue 25: Docker waited out its timeout and ended
/// in 137). A SIGTERM or SIGINT received before the command ended is a stop of the whole
/// container: pidone goes straight to the graceful shutdown.
#[test]
fn a_stop_asked_for_while_the_command_runs_stops_the_rest_too() {
    // The main process in the foreground of the shell (which dies of SIGTERM at once), or
    // exec'd (a shell defers SIGINT until its foreground job ends).
    for (sig, code, main) in [(libc::SIGTERM, 143, "sleep 1000"), (libc::SIGINT, 130, "exec sleep 1000")] {
        for pid1 in placements() {
            let file = scratch_dir("wait-all-stop").join("daemon");
            let script = format!(
                "setsid {PYTHON} -c \"{DAEMON}\" {f} </dev/null >/dev/null 2>&1 & \
                 while ! grep -q up {f} 2>/dev/null; do sleep 0.01; done; echo main; {main}",
                f = file.display()
            );
            // A grace of ten minutes: the daemon must end by its SIGTERM, not by a SIGKILL.
            let s = Session::start(placed(pid1, &["-v", "--wait-all", "-t", "600", "/bin/sh", "-c", &script]));
            assert_eq!(s.line(30), "main");
            s.signal(sig);
            let out = s.finish(60);
            assert_eq!(out.code(), code, "signal {sig}, PID 1 {pid1}: {}", out.stderr);
            assert_eq!(read_text(&file), "up\n15\n", "signal {sig}, PID 1 {pid1}: {}", out.stderr);
            assert!(!out.stderr.contains("waiting for the rest"), "{}", out.stderr);
        }
    }
}
