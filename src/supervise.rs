//! The main loop: sleep in the kernel until a signal arrives, forward it or reap, and when
//! the command has ended, stop everything else (SIGTERM, grace, SIGKILL) before exiting.
//!
//! Nothing here may end pidone early: after the command has started, failures are
//! reported and the loop goes on, because PID 1 exiting kills the whole container.

use core::cell::Cell;

use linux_raw_sys::general as g;

use crate::args::Options;
use crate::say;

/// One line of the verbose log (-v): `say!` when verbose.
macro_rules! log {
    ($s:expr, $($t:tt)*) => {
        if $s.opts.verbose {
            say!($($t)*);
        }
    };
}
use crate::reap::{self, Ended, Reaped};
use crate::signals::WAITED;
use crate::sys::{self, Errno, SigInfo};
use crate::tree;

/// While only processes that are not pidone's children remain (PID 1 only: say, a
/// `docker exec` session), nothing wakes pidone when they exit; it looks this often.
const POLL_MS: u64 = 10;
/// After SIGKILL, how long to wait for exits before sending it again to anything new.
const KILL_RETRY_MS: u64 = 100;
/// How many times SIGKILL goes out before pidone gives up on what it cannot reach: when
/// it is not PID 1 and /proc is missing, a child that left the command's process group
/// cannot be found to be signalled (as PID 1, the kernel kills the rest when pidone exits).
const KILL_ROUNDS: u32 = 20;

pub struct Supervisor<'a> {
    /// The main child: the command.
    pub child: i32,
    pub opts: &'a Options,
    /// pidone's own pid, to recognise signals the kernel raised for pidone itself.
    pub self_pid: i32,
    /// Whether the command's process group has been found empty (see `signal_rest`).
    pub group_gone: Cell<bool>,
}

impl Supervisor<'_> {
    /// Runs until the command has ended and everything else is gone; returns the exit
    /// code. One loop serves both phases: while the command runs pidone sleeps with no
    /// timeout; once it has ended, until the next deadline of the shutdown.
    pub fn run(&self) -> i32 {
        // The command's exit code once it has ended (-1 before).
        let mut code = -1;
        // Whether pidone still has children; how many times SIGKILL has gone out.
        let (mut left, mut kills) = (true, 0);
        // When the grace period ends or SIGKILL is due again.
        let mut deadline = 0;
        loop {
            let mut timeout = None;
            if code >= 0 {
                // After SIGKILL only children can be waited for; as PID 1 the rest dies
                // with pidone anyway.
                let now = sys::monotonic_ms();
                if (!left && (kills > 0 || !self.neighbours_left())) || (kills == KILL_ROUNDS && now >= deadline) {
                    if left {
                        say!(b"gave up on processes SIGKILL did not reach");
                    }
                    log!(self, b"exiting with \x01", code);
                    return code;
                }
                if now >= deadline {
                    log!(self, b"shutdown: SIGKILL to the rest");
                    self.signal_rest(&[g::SIGKILL]);
                    kills += 1;
                    deadline = now + KILL_RETRY_MS;
                }
                // Processes that joined the namespace from outside (PID 1 only) end
                // without a SIGCHLD to pidone: look again every POLL_MS.
                timeout = Some(if left { deadline - now } else { POLL_MS });
            }
            let info = match sys::sigtimedwait(WAITED, timeout) {
                Ok(info) => info,
                Err(_) => continue,
            };
            let ended = if info.signo == g::SIGCHLD {
                let reaped = self.reap();
                left = reaped.children_left;
                reaped.main
            } else if self.forward(info, code < 0) {
                // Pause mode was told to stop: end like a command that exited 0, with
                // whatever children it has (and no SIGCHLD to say so).
                left = self.reap().children_left;
                Some(Ended::Exited(0))
            } else {
                None
            };
            if let (Some(ended), true) = (ended, code < 0) {
                code = self.opts.remapped(ended.exit_code());
                log!(self, b"command \x01 ended; exit code \x01", self.child, code);
                // Nothing to stop unless pidone has children (or, as PID 1, neighbours).
                if self.opts.grace_ms > 0 && (left || self.neighbours_left()) {
                    log!(self, b"shutdown: SIGTERM to the rest, grace \x01 ms", self.opts.grace_ms);
                    // SIGCONT too: a stopped process would otherwise sleep through SIGTERM.
                    self.signal_rest(&[g::SIGTERM, g::SIGCONT]);
                }
                deadline = sys::monotonic_ms() + self.opts.grace_ms;
            }
        }
    }

    fn pid1(&self) -> bool {
        self.self_pid == 1
    }

    /// As PID 1: whether processes that are not pidone's children (they joined the
    /// namespace from outside, say with `docker exec`) are still there.
    fn neighbours_left(&self) -> bool {
        self.pid1() && sys::kill(-1, 0).is_ok()
    }

    /// Passes a received signal on (rewritten with -r): to the command, or its process
    /// group with -g, while it runs; to everything that is left once it has ended.
    /// In pause mode there is no command: returns true for SIGTERM and SIGINT, which
    /// end it, and ignores the rest.
    fn forward(&self, info: SigInfo, to_command: bool) -> bool {
        let got = info.signo;
        // The kernel raises SIGPIPE (or SIGXFSZ) for pidone's own failed writes, e.g. to a
        // closed stderr; the sender is then pidone itself. Those are not for the command,
        // and not worth a log line: writing it would raise the next one.
        if info.code == g::SI_USER as i32 && info.pid == self.self_pid {
            return false;
        }
        let sig = self.opts.rewritten(got);
        if to_command && self.opts.pause {
            return sig == g::SIGTERM || sig == g::SIGINT;
        }
        let mut target = self.child;
        if sig == 0 {
            target = 0;
        } else if !to_command {
            self.signal_rest(&[sig]);
            target = -1;
        // With -g the whole group; the command alone if it has left its group (setsid).
        } else if self.opts.group && sys::kill(-target, sig) != Err(Errno::ESRCH) {
            target = -target;
        } else if let Err(e) = sys::kill(target, sig) {
            say!(b"failed to forward \x02: \x03", sig, e.into_raw());
        }
        // The target as kill(2) takes it: a pid, -pgid for a group, -1 for everyone.
        if sig == 0 {
            log!(self, b"received \x02, dropped", got);
        } else {
            log!(self, b"received \x02, sent \x02 to \x01", got, sig, target);
        }
        false
    }

    #[inline(never)]
    fn reap(&self) -> Reaped {
        reap::reap_zombies(self.child, |pid, ended| {
            if self.opts.verbose || (self.opts.warn_reap && pid != self.child) {
                match ended {
                    Ended::Exited(code) => say!(b"reaped \x01: exited \x01", pid, code),
                    Ended::Killed(sig) => say!(b"reaped \x01: killed by \x02", pid, sig),
                }
            }
        })
    }

    /// Sends `sigs` to every process pidone is responsible for besides the command: as
    /// PID 1 every other process of the namespace (pid -1); otherwise only its own
    /// descendants, never pid -1.
    fn signal_rest(&self, sigs: &[u32]) {
        if self.pid1() {
            for &sig in sigs {
                let _ = sys::kill(-1, sig);
            }
            return;
        }
        if tree::signal_descendants(self.self_pid, sigs).is_ok() {
            return;
        }
        // The tree could not be learnt (no /proc, a /proc of another PID namespace, a
        // children file that cannot be read): the command's process group is what pidone
        // can still reach. Not in pause mode, which has no command (the group would be
        // pidone's caller's), and never again once the group is empty: its number could
        // then be reused for somebody else's group.
        if self.child <= 0 || self.group_gone.get() {
            return;
        }
        for &sig in sigs {
            if sys::kill(-self.child, sig) == Err(Errno::ESRCH) {
                self.group_gone.set(true);
            }
        }
    }
}
