//! pidone: the smallest correct PID 1 for containers.
//!
//! It runs the command as a child, forwards every signal it receives to it, reaps every
//! zombie, and when the command ends it stops everything else (SIGTERM, a grace period,
//! SIGKILL) before exiting with the command's status. `run` is the table of contents.
//!
//! The library holds everything but the entry point (src/main.rs), so that the pure logic
//! is unit-tested on the host with std while the binary stays libc-free.

#![cfg_attr(not(test), no_std)]
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]

pub mod args;
pub mod cgroup;
pub mod msg;
pub mod reap;
pub mod signals;
pub mod spawn;
pub mod supervise;
pub mod sys;
pub mod table;
pub mod tree;

use args::{Action, usage_error};
use linux_raw_sys::general as g;
use linux_raw_sys::prctl;
use sys::{CPath, CStrList};

/// Called by the binary's entry point with the process's arguments and environment;
/// returns the exit code.
pub fn run(argv: CStrList, env: CStrList) -> i32 {
    // First of all, block every signal: as PID 1 a signal that arrives unblocked with no
    // handler is dropped by the kernel, so the window from execve to here is the only
    // time pidone can lose one. The command gets the original mask back.
    let mask = match sys::set_sigmask(signals::WAITED) {
        Ok(mask) => mask,
        Err(e) => {
            say!(b"failed to block signals: \x03", e.into_raw());
            return reap::EXIT_FAILURE;
        }
    };
    // A caller that ignores SIGCHLD hands that on through execve, and the kernel then
    // reaps pidone's children itself and never tells it: pidone would wait forever and
    // lose the exit code (tini and catatonit do; dumb-init does not). pidone takes the
    // default back for itself; the command gets the caller's disposition again.
    let inherited = match sys::sigaction(g::SIGCHLD, &sys::default_action()) {
        Ok(sigchld) => spawn::Inherited { mask, sigchld },
        Err(e) => {
            say!(b"failed to reset SIGCHLD: \x03", e.into_raw());
            return reap::EXIT_FAILURE;
        }
    };
    let mut opts = args::Options::default();
    let cmd = match args::parse(argv, env, &mut opts) {
        Ok(Action::Run(cmd)) => cmd,
        Ok(action) => {
            let text = match action {
                Action::Help => args::USAGE,
                Action::Version => args::VERSION,
                _ => args::LICENSE,
            };
            // One call: a blocking write(2) takes all of it (pidone's signals are blocked,
            // so none can cut it short).
            sys::writev(1, &[sys::IoSlice::new(text)]);
            return 0;
        }
        Err(e) => return usage_error(e),
    };

    // Orphans of pidone's tree come to pidone even when it is not PID 1 (as PID 1 every
    // orphan of the namespace does anyway).
    let self_pid = sys::getpid();
    if self_pid != 1
        && let Err(e) = sys::prctl(prctl::PR_SET_CHILD_SUBREAPER, 1)
    {
        say!(b"failed to become a subreaper: \x03", e.into_raw());
    }
    // tini's -p: the signal arrives like any other and is forwarded.
    if opts.pdeathsig != 0
        && let Err(e) = sys::prctl(prctl::PR_SET_PDEATHSIG, opts.pdeathsig as usize)
    {
        say!(b"failed to set the parent-death signal: \x03", e.into_raw());
        return reap::EXIT_FAILURE;
    }
    // The OOM killer's count before the command starts: if it grows, the command's
    // SIGKILL may have been the OOM killer's (see `Supervisor::command_ended`). Not read
    // with -q, which says nothing, nor in pause mode, which has no command.
    let oom_kills = if opts.quiet || opts.pause { None } else { cgroup::oom_kills() };
    // Pause mode has no command.
    let mut command = None;
    if !opts.pause {
        let child = match spawn::spawn_child(argv, cmd, env, &inherited) {
            Ok(pid) => pid,
            Err(e) => {
                say!(b"failed to fork: \x03", e.into_raw());
                return reap::EXIT_FAILURE;
            }
        };
        if opts.verbose {
            say!(b"spawned \x01", child);
        }
        command = Some(child);
        // The command has its copies of the descriptors pidone was given; pidone's own
        // would keep a pipe or socket open after the command closed it, and whoever waits
        // for its end would wait as long as pidone lives (catatonit closes them too).
        // Before Linux 5.9 (no close_range) they stay.
        let _ = sys::close_from(3);
    }
    // Sit in / so pidone does not keep the caller's directory (and its mount) busy.
    let _ = sys::chdir(CPath::of(c"/"));
    let name = argv.bytes(cmd).unwrap_or_default();
    supervise::Supervisor::new(command, name, &opts, self_pid, oom_kills).run()
}
