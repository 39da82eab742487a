//! Signal forwarding, the command's signal state and the terminal, end to end as PID 1.

mod common;
use common::*;

/// Signals pidone forwards that a Python child can block and collect with sigwaitinfo
/// (glibc keeps 32 and 33 for itself; those are checked by `reserved_realtime_signals_too`).
fn collectable() -> Vec<i32> {
    let faults = [libc::SIGSEGV, libc::SIGBUS, libc::SIGFPE, libc::SIGILL, libc::SIGABRT, libc::SIGTRAP, libc::SIGSYS];
    (1..=64)
        .filter(|s| ![libc::SIGKILL, libc::SIGSTOP, libc::SIGCHLD, 32, 33].contains(s) && !faults.contains(s))
        .collect()
}

#[test]
fn every_catchable_signal_reaches_the_command() {
    let sigs = collectable();
    let s = Session::start(pid1_command(&py("sigecho.py", &[&sigs.len().to_string()])));
    assert_eq!(s.line(10), "ready");
    // The command exits after the last signal, and pidone right after it: look at pidone
    // before that one.
    let (last, first) = sigs.split_last().unwrap();
    for &sig in first {
        s.signal(sig);
        assert_eq!(s.line(10), sig.to_string(), "signal {sig} was not forwarded");
    }
    // TSTP, TTIN and TTOU went to the command; pidone itself never stopped.
    let state = std::fs::read_to_string(format!("/proc/{}/stat", s.pidone_pid())).unwrap();
    assert_ne!(state.rsplit(')').next().unwrap().split_whitespace().next(), Some("T"));
    s.signal(*last);
    assert_eq!(s.line(10), last.to_string(), "signal {last} was not forwarded");
    let out = s.finish(10);
    assert_eq!(out.code(), 0, "{}", out.stderr);
}

#[test]
fn reserved_realtime_signals_too() {
    native_only!("host signals 32 and 33 belong to the C library qemu-user runs on; they never reach the guest");
    // 32 and 33 terminate a command that does not handle them: 128 + N shows they arrived.
    for sig in [32, 33, 64] {
        let s = Session::start(pid1_command(&[PYTHON, "-c", SLEEPER]));
        assert_eq!(s.line(10), "ready");
        s.signal(sig);
        assert_eq!(s.finish(10).code(), 128 + sig);
    }
}

#[test]
fn five_hundred_queued_realtime_signals_arrive_exactly_once_each() {
    let (sig, end) = (libc::SIGRTMIN() + 1, libc::SIGRTMIN() + 6);
    let s = Session::start(pid1_command(&py("rtcount.py", &[&sig.to_string(), &end.to_string()])));
    assert_eq!(s.line(10), "ready");
    let pid = s.pidone_pid();
    for _ in 0..500 {
        kill(pid, sig);
    }
    // Real-time signals are dequeued lowest number first, so END comes after all 500.
    kill(pid, end);
    assert_eq!(s.line(20), "500");
    assert_eq!(s.finish(10).code(), 0);
}

#[test]
fn forwarded_signals_become_the_exit_status() {
    for (sig, code) in [(libc::SIGTERM, 143), (libc::SIGINT, 130), (libc::SIGUSR1, 138), (libc::SIGHUP, 129)] {
        // -v: should this ever fail, stderr says what pidone received and sent.
        let s = Session::start(pid1_command(&["-v", PYTHON, "-c", SLEEPER]));
        assert_eq!(s.line(10), "ready");
        s.signal(sig);
        assert_eq!(s.finish(10).code(), 128 + target_sig(code - 128));
    }
}

#[test]
fn group_flag_forwards_to_the_whole_process_group() {
    assert!(term_reaches_grandchild(&["-g"], &[]));
    assert!(!term_reaches_grandchild(&[], &[]));
}

#[test]
fn command_gets_the_signal_state_pidone_started_with() {
    native_only!(
        "qemu-user keeps a host signal mask and handlers of its own, which a native command exec'd from it inherits instead of the guest's"
    );
    // A launcher blocks USR1 and ignores USR2 and PIPE, then execs pidone; the command
    // must see exactly that, while pidone itself blocks everything but the CPU faults.
    let launcher = format!(
        "import os, signal\n\
         signal.pthread_sigmask(signal.SIG_BLOCK, {{signal.SIGUSR1}})\n\
         signal.signal(signal.SIGUSR2, signal.SIG_IGN)\n\
         signal.signal(signal.SIGPIPE, signal.SIG_IGN)\n\
         print([l for l in open('/proc/self/status') if l.startswith(('SigBlk', 'SigIgn'))], flush=True)\n\
         os.execv('{bin}', ['pidone', '{py}', '-c', \"import os; print([l for l in open('/proc/self/status') if l.startswith(('SigBlk', 'SigIgn'))], os.getpgrp() == os.getpid(), flush=True); import time; time.sleep(100)\"])",
        bin = bin(),
        py = PYTHON
    );
    let mut cmd = std::process::Command::new("/usr/bin/unshare");
    cmd.args(["--pid", "--fork", "--mount-proc", "--kill-child", PYTHON, "-c", &launcher]);
    default_signals(&mut cmd);
    let s = Session::start(cmd);
    let before = s.line(10);
    let after = s.line(10);
    // The launcher's own state: USR1 blocked; USR2 and PIPE (and Python's XFSZ) ignored.
    assert!(before.contains("SigBlk:\\t0000000000000200\\n"), "{before}");
    assert!(before.contains("SigIgn:\\t0000000001001800\\n"), "{before}");
    assert_eq!(after, format!("{before} True"), "the command's mask or ignored set differs");
    s.signal(libc::SIGTERM);
    assert_eq!(s.finish(10).code(), 143);
}

#[test]
fn idle_pidone_never_wakes_up() {
    let s = Session::start(pid1_command(&[PYTHON, "-c", SLEEPER]));
    assert_eq!(s.line(10), "ready");
    assert_idle(s.pidone_pid());
    s.signal(libc::SIGTERM);
    assert_eq!(s.finish(10).code(), 143);
}

#[test]
fn ctrl_c_on_a_terminal_reaches_the_command() {
    // SIGINT blocked and taken with sigwait: a Python handler could miss one that comes
    // just before its sleep (see SLEEPER).
    let child_script = "import signal, sys\n\
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})\nprint('ready', flush=True)\n\
        signal.sigwait({signal.SIGINT})\nprint('got INT', flush=True)\nsys.exit(42)";
    let mut pty = Pty::spawn(pid1_command(&[PYTHON, "-c", child_script]));
    pty.expect("ready");
    pty.write(b"\x03");
    pty.expect("got INT");
    assert_eq!(pty.wait(10).code(), Some(42));
}
