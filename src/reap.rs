//! Wait statuses, exit codes and reaping.

use linux_raw_sys::general as g;

use crate::sys::{self, Errno};

/// The command line could not be parsed.
pub const EXIT_USAGE: i32 = 2;
/// pidone itself failed before the command ran (coreutils' `env`, `nice` and `timeout`,
/// and `docker run`, use 125 the same way, leaving 126 and 127 for the command).
pub const EXIT_FAILURE: i32 = 125;
/// The command exists but cannot be executed (what a POSIX shell returns).
pub const EXIT_CANNOT_EXECUTE: i32 = 126;
/// The command was not found.
pub const EXIT_NOT_FOUND: i32 = 127;
/// A child killed by signal N reports 128 + N, as shells do.
pub const EXIT_SIGNAL_BASE: i32 = 128;

/// How a child ended, decoded from a wait status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    Exited(u8),
    /// The signal, and whether the child dumped core.
    Killed(u32, bool),
}

impl Ended {
    /// Decodes a status from wait4 for a child that terminated (wait4 without
    /// WUNTRACED/WCONTINUED reports nothing else): WIFEXITED when the low 7 bits are 0,
    /// otherwise those bits are WTERMSIG (bit 7 only says whether it dumped core).
    pub fn from_status(status: i32) -> Self {
        match status & 0x7f {
            0 => Ended::Exited(((status >> 8) & 0xff) as u8),
            sig => Ended::Killed(sig as u32, status & 0x80 != 0),
        }
    }

    /// The exit code pidone passes on: the child's own, or 128 + the signal.
    pub fn exit_code(self) -> i32 {
        match self {
            Ended::Exited(code) => code as i32,
            Ended::Killed(sig, _) => EXIT_SIGNAL_BASE + sig as i32,
        }
    }
}

/// The exit code for a failed exec: 127 when the name does not lead to a file, 126 when
/// it does but cannot be executed (permission, directory, format, text busy, ...).
pub fn exec_failure_code(e: Errno) -> i32 {
    match e {
        Errno::ENOENT | Errno::ENOTDIR | Errno::ELOOP | Errno::ENAMETOOLONG => EXIT_NOT_FOUND,
        _ => EXIT_CANNOT_EXECUTE,
    }
}

/// What one pass of reaping found.
pub struct Reaped {
    /// How the main child ended, if it was among the reaped.
    pub main: Option<Ended>,
    /// Whether pidone still has children (alive or not yet reaped).
    pub children_left: bool,
}

/// Reaps every child that has terminated, without blocking: wait4(-1, WNOHANG) until it
/// reports none ready or no children. Calls `each` for every reaped pid; `main` is the
/// command's (none in pause mode).
pub fn reap_zombies(main: Option<i32>, mut each: impl FnMut(i32, Ended)) -> Reaped {
    let mut found = Reaped { main: None, children_left: true };
    loop {
        match sys::wait4(-1, g::WNOHANG) {
            Ok((0, _)) => return found,
            Ok((pid, status)) => {
                let ended = Ended::from_status(status);
                if Some(pid) == main {
                    found.main = Some(ended);
                }
                each(pid, ended);
            }
            // ECHILD: nobody left. Nothing else can happen with these arguments.
            Err(_) => {
                found.children_left = false;
                return found;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_statuses_decode_like_the_c_macros() {
        // WIFEXITED: code in bits 8..16.
        for code in 0..=255 {
            let status = code << 8;
            assert_eq!(Ended::from_status(status), Ended::Exited(code as u8));
            assert_eq!(Ended::from_status(status).exit_code(), code);
        }
        // WIFSIGNALED, with and without the core-dump bit.
        for sig in 1..=64u32 {
            for core in [0, 0x80] {
                let status = sig as i32 | core;
                assert_eq!(Ended::from_status(status), Ended::Killed(sig, core != 0));
                assert_eq!(Ended::from_status(status).exit_code(), 128 + sig as i32);
            }
        }
        assert_eq!(Ended::from_status(15).exit_code(), 143);
        assert_eq!(Ended::from_status(0x8b), Ended::Killed(11, true));
        assert_eq!(Ended::from_status(0x0b), Ended::Killed(11, false));
        assert_eq!(Ended::from_status(9).exit_code(), 137);
    }

    #[test]
    fn exec_failures_map_to_shell_codes() {
        for e in [Errno::ENOENT, Errno::ENOTDIR, Errno::ELOOP, Errno::ENAMETOOLONG] {
            assert_eq!(exec_failure_code(e), 127);
        }
        for e in [Errno::EACCES, Errno::EISDIR, Errno::ENOEXEC, Errno::ETXTBSY, Errno::E2BIG, Errno::EPERM] {
            assert_eq!(exec_failure_code(e), 126);
        }
    }
}
