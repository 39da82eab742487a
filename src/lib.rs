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
pub mod msg;
pub mod reap;
pub mod signals;
pub mod spawn;
pub mod supervise;
pub mod sys;
pub mod tree;

use args::{Action, ArgError};
use linux_raw_sys::prctl;
use msg::Line;
use sys::{CPath, CStrList};

const VERSION: &[u8] = concat!("pidone ", env!("CARGO_PKG_VERSION"), "\n").as_bytes();

/// The first line of the help, also printed after a usage error.
macro_rules! synopsis {
    () => {
        "usage: pidone [OPTIONS] [--] COMMAND [ARG...]\n"
    };
}

const USAGE: &[u8] = concat!(synopsis!(), "
Runs COMMAND as a child: forwards signals to it, reaps zombies, and when it ends
sends the processes left SIGTERM, waits a grace period, SIGKILLs the rest, then
exits with COMMAND's status (128+N if it died of signal N).

  -t, --grace SECS  grace period before SIGKILL (default 5, 0 = at once) [PIDONE_GRACE]
  -g                forward signals to COMMAND's process group
  -v, --verbose     one line per event on stderr (repeatable) [PIDONE_VERBOSE]
  -s                accepted for tini compatibility: pidone is always a subreaper
  -h, --help        show this help
  -V, --version     show the version

Exit: COMMAND's status; 126 cannot execute, 127 not found, 2 usage, 125 pidone failed.
").as_bytes();

/// Called by the binary's entry point with the process's arguments and environment;
/// returns the exit code.
pub fn run(argv: CStrList, env: CStrList) -> i32 {
    let (opts, cmd) = match args::parse(argv, env) {
        Ok(Action::Run { opts, cmd }) => (opts, cmd),
        Ok(Action::Help) => return print(USAGE),
        Ok(Action::Version) => return print(VERSION),
        Err(e) => return usage_error(e),
    };

    // Block every signal but the CPU faults before the child exists, so none is lost
    // between now and the first sigtimedwait; the child gets the original mask back.
    let mask = match sys::set_sigmask(signals::WAITED) {
        Ok(mask) => mask,
        Err(e) => return fatal(b"block signals", e),
    };
    // Orphans of pidone's tree come to pidone even when it is not PID 1.
    if let Err(e) = sys::prctl(prctl::PR_SET_CHILD_SUBREAPER, 1) {
        msg::report(b"become a subreaper", e);
    }
    let path = args::getenv(env, b"PATH").unwrap_or(args::DEFAULT_PATH);
    let child = match spawn::spawn_child(argv.skip(cmd), env, path, mask) {
        Ok(pid) => pid,
        Err(e) => return fatal(b"fork", e),
    };
    if opts.verbose > 0 {
        let name = argv.bytes(cmd).unwrap_or_default();
        Line::new().push(b"spawned ").num(child as u64).push(b": ").push(name).send();
    }
    // Sit in / so pidone does not keep the caller's directory (and its mount) busy.
    let _ = sys::chdir(CPath::of(c"/"));
    supervise::Supervisor { child, opts, self_pid: sys::getpid() }.run()
}

fn print(text: &[u8]) -> i32 {
    sys::write(1, text);
    0
}

fn fatal(what: &[u8], e: sys::Errno) -> i32 {
    msg::report(what, e);
    reap::EXIT_FAILURE
}

/// One line saying what was wrong, then the usage, on stderr; exit 2.
fn usage_error(e: ArgError) -> i32 {
    let mut line = Line::new();
    line.push(e.msg).push(e.name);
    if let Some(value) = e.value {
        line.push(b": '").push(value).push(b"'");
    }
    line.send();
    sys::write(2, concat!(synopsis!(), "Try 'pidone --help' for more information.\n").as_bytes());
    reap::EXIT_USAGE
}
