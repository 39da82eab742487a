//! The main loop: sleep in the kernel until a signal arrives, forward it or reap, and when
//! the command has ended, stop everything else (SIGTERM, grace, SIGKILL) before exiting.
//!
//! Nothing here may end pidone early: after the command has started, failures are
//! reported and the loop goes on, because PID 1 exiting kills the whole container.

use linux_raw_sys::general as g;

use crate::args::Options;
use crate::msg::say;
use crate::reap::{self, Ended, Reaped};
use crate::signals::WAITED;
use crate::sys::{self, Errno, SigInfo};
use crate::tree;

/// While only processes that are not pidone's children remain (PID 1 only: say, a
/// `docker exec` session), nothing wakes pidone when they exit; it looks this often.
const POLL_MS: u64 = 10;
/// After SIGKILL, how long to wait for exits before sending it again to anything new.
const KILL_RETRY_MS: u64 = 100;

pub struct Supervisor {
    /// The main child: the command.
    pub child: i32,
    pub opts: Options,
    /// pidone's own pid, to recognise signals the kernel raised for pidone itself.
    pub self_pid: i32,
}

impl Supervisor {
    /// Runs until the command has ended and everything else is gone; returns the exit code.
    pub fn run(&self) -> i32 {
        loop {
            // No timeout: no periodic wake-ups while the command runs.
            let Ok(info) = sys::sigtimedwait(WAITED, None) else { continue };
            if info.signo == g::SIGCHLD {
                let reaped = self.reap();
                if let Some(ended) = reaped.main {
                    return self.shutdown(ended, reaped.children_left);
                }
            } else if self.forward(info, true) {
                // Pause mode was told to stop: end like a command that exited 0.
                let reaped = self.reap();
                return self.shutdown(Ended::Exited(0), reaped.children_left);
            }
        }
    }

    /// Whether to log events (-v).
    fn verbose(&self) -> bool {
        self.opts.verbose
    }

    /// One line of the verbose log (see `msg::say` for the format).
    fn log(&self, fmt: &[u8], a: i64, b: i64, c: i64) {
        if self.verbose() {
            say(fmt, a, b, c);
        }
    }

    fn pid1(&self) -> bool {
        self.self_pid == 1
    }

    /// Passes a received signal on (rewritten with -r): to the command, or its process
    /// group with -g, while it runs; to everything that is left once it has ended.
    /// In pause mode there is no command: returns true for SIGTERM and SIGINT, which
    /// end it, and ignores the rest.
    fn forward(&self, info: SigInfo, to_command: bool) -> bool {
        let got = info.signo;
        // The kernel raises SIGPIPE (or SIGXFSZ) for pidone's own failed writes, e.g. to a
        // closed stderr; the sender is then pidone itself. Those are not for the command.
        if info.code == g::SI_USER as i32 && info.pid == self.self_pid {
            self.log(b"ignored \x02 raised by pidone itself", got as i64, 0, 0);
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
            say(b"failed to forward \x02: \x03", sig as i64, e.into_raw() as i64, 0);
        }
        // The target as kill(2) takes it: a pid, -pgid for a group, -1 for everyone.
        let fmt: &[u8] = if sig == 0 { b"received \x02, dropped" } else { b"received \x02, sent \x02 to \x01" };
        self.log(fmt, got as i64, sig as i64, target as i64);
        false
    }

    fn reap(&self) -> Reaped {
        reap::reap_zombies(self.child, |pid, ended| {
            if self.verbose() || (self.opts.warn_reap && pid != self.child) {
                let (fmt, n): (&[u8], u32) = match ended {
                    Ended::Exited(code) => (b"reaped \x01: exited \x01", code as u32),
                    Ended::Killed(sig) => (b"reaped \x01: killed by \x02", sig),
                };
                say(fmt, pid as i64, n as i64, 0);
            }
        })
    }

    /// Sends `sigs` to every process pidone is responsible for besides the command: as
    /// PID 1 every other process of the namespace (pid -1); otherwise only its own
    /// descendants, never pid -1.
    fn signal_rest(&self, sigs: &[u32]) {
        let target = if self.pid1() {
            -1
        } else if tree::signal_descendants(self.self_pid, sigs).is_ok() {
            return;
        } else {
            // No /proc: the command's process group is the best pidone can still find.
            -self.child
        };
        for &sig in sigs {
            let _ = sys::kill(target, sig);
        }
    }

    /// Whether anything pidone must wait for is left. Its children say so themselves; as
    /// PID 1, processes that joined the namespace from outside count too.
    fn anyone_left(&self, children_left: bool) -> bool {
        children_left || (self.pid1() && sys::kill(-1, 0).is_ok())
    }

    /// The command has ended: stop whatever is left, then return its exit code.
    fn shutdown(&self, ended: Ended, children_left: bool) -> i32 {
        let code = self.opts.remapped(ended.exit_code());
        self.log(b"command \x01 ended; exit code \x01", self.child as i64, code as i64, 0);
        let mut left = children_left;
        if self.anyone_left(left) && self.opts.grace_ms > 0 {
            self.log(b"shutdown: SIGTERM to the rest, grace \x01 ms", self.opts.grace_ms as i64, 0, 0);
            // SIGCONT too: a stopped process would otherwise sleep through its SIGTERM.
            self.signal_rest(&[g::SIGTERM, g::SIGCONT]);
            left = self.wait_until(self.opts.grace_ms, left, true);
        }
        while self.anyone_left(left) {
            self.log(b"shutdown: SIGKILL to the rest", 0, 0, 0);
            self.signal_rest(&[g::SIGKILL]);
            // Only children can be waited for now; as PID 1, anything else dies with it.
            left = self.wait_until(KILL_RETRY_MS, left, false);
            if !left {
                break;
            }
        }
        self.log(b"exiting with \x01", code as i64, 0, 0);
        code
    }

    /// Reaps, and forwards signals to what is left, for up to `ms` milliseconds or until
    /// nothing is left (only children count unless `everyone`). Returns whether pidone
    /// still has children.
    fn wait_until(&self, ms: u64, mut left: bool, everyone: bool) -> bool {
        let deadline = sys::monotonic_ms().saturating_add(ms);
        while if everyone { self.anyone_left(left) } else { left } {
            let now = sys::monotonic_ms();
            if now >= deadline {
                break;
            }
            let wait = if left { deadline - now } else { (deadline - now).min(POLL_MS) };
            match sys::sigtimedwait(WAITED, Some(wait)) {
                Ok(info) if info.signo == g::SIGCHLD => left = self.reap().children_left,
                Ok(info) => {
                    self.forward(info, false);
                }
                Err(_) => {}
            }
        }
        left
    }
}
