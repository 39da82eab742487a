//! The main loop: sleep in the kernel until a signal arrives, forward it or reap, and when
//! the command has ended, stop everything else (SIGTERM, grace, SIGKILL) before exiting.
//!
//! Nothing here may end pidone early: after the command has started, failures are
//! reported and the loop goes on, because PID 1 exiting kills the whole container.

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
use crate::reap::{self, Ended};
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
    /// The command's pid; `None` in pause mode, which has none (and so no process group
    /// to signal: never a kill(0, ...)).
    command: Option<i32>,
    opts: &'a Options,
    /// pidone's own pid, to recognise signals the kernel raised for pidone itself.
    self_pid: i32,
    /// Whether pidone still has children (alive or not yet reaped).
    children_left: bool,
    /// Whether the command's process group has been found empty (see `signal_rest`).
    group_gone: bool,
}

/// Where the supervisor is.
enum Phase {
    /// The command runs (in pause mode: pidone sleeps); signals go to the command.
    Running,
    /// The command has ended: the rest are being stopped.
    Stopping(Stopping),
}

/// The shutdown: SIGTERM and the grace period, then SIGKILL every KILL_RETRY_MS until the
/// rest are gone or KILL_ROUNDS have gone out.
struct Stopping {
    /// The exit code pidone ends with (the command's, after -e).
    code: i32,
    /// When the grace period ends, or SIGKILL is due again.
    deadline: u64,
    /// How many times SIGKILL has gone out.
    kills: u32,
}

impl<'a> Supervisor<'a> {
    pub fn new(command: Option<i32>, opts: &'a Options, self_pid: i32) -> Self {
        Supervisor { command, opts, self_pid, children_left: true, group_gone: false }
    }

    /// Runs until the command has ended and everything else is gone; returns the exit
    /// code. While the command runs pidone sleeps with no timeout; once it has ended,
    /// until the next deadline of the shutdown.
    pub fn run(mut self) -> i32 {
        let mut phase = Phase::Running;
        loop {
            let timeout = match &mut phase {
                Phase::Running => None,
                Phase::Stopping(stop) => match self.next_wakeup(stop) {
                    Some(ms) => Some(ms),
                    None => {
                        log!(self, b"exiting with \x01", stop.code);
                        return stop.code;
                    }
                },
            };
            let Ok(info) = sys::sigtimedwait(WAITED, timeout) else { continue };
            let running = matches!(phase, Phase::Running);
            if let Some(ended) = self.handle(info, running)
                && running
            {
                phase = Phase::Stopping(self.begin_shutdown(ended));
            }
        }
    }

    /// Acts on one signal: reaps on SIGCHLD, passes the others on. Returns how the command
    /// ended when this signal says so (pause mode's SIGTERM and SIGINT count as an exit 0).
    fn handle(&mut self, info: SigInfo, running: bool) -> Option<Ended> {
        if info.signo == g::SIGCHLD {
            return self.reap();
        }
        if self.raised_by_self(info) {
            return None;
        }
        let sig = self.opts.rewritten(info.signo);
        if running && self.command.is_none() {
            // Pause mode: SIGTERM and SIGINT end it, like a command that exited 0 (with
            // whatever children it has, and no SIGCHLD to say so); the rest are ignored.
            if sig == g::SIGTERM || sig == g::SIGINT {
                self.reap();
                return Some(Ended::Exited(0));
            }
            return None;
        }
        self.pass_on(info.signo, sig, running);
        None
    }

    /// Whether the kernel raised this signal for pidone's own doing: SIGPIPE (or SIGXFSZ)
    /// for a failed write, e.g. to a closed stderr; the sender is then pidone itself.
    /// Those are not for the command, and not worth a log line: writing it would raise
    /// the next one.
    fn raised_by_self(&self, info: SigInfo) -> bool {
        info.code == g::SI_USER as i32 && info.pid == self.self_pid
    }

    /// Passes a received signal on as `sig` (its rewritten form; 0 drops it): to the
    /// command, or its process group with -g, while it runs; to everything that is left
    /// once it has ended.
    fn pass_on(&mut self, got: u32, sig: u32, running: bool) {
        if sig == 0 {
            log!(self, b"received \x02, dropped", got);
            return;
        }
        // The target as kill(2) takes it: a pid, -pgid for a group, -1 for everyone.
        let target = match (running, self.command) {
            (true, Some(pid)) => self.signal_command(pid, sig),
            _ => {
                self.signal_rest(&[sig]);
                -1
            }
        };
        log!(self, b"received \x02, sent \x02 to \x01", got, sig, target);
    }

    /// Sends `sig` to the command: with -g to its process group, or to the command alone
    /// when that group is gone (it called setsid). Returns the target as kill(2) takes it.
    fn signal_command(&self, pid: i32, sig: u32) -> i32 {
        let mut target = if self.opts.group { -pid } else { pid };
        let mut sent = sys::kill(target, sig);
        if target < 0 && sent == Err(Errno::ESRCH) {
            target = pid;
            sent = sys::kill(pid, sig);
        }
        if let Err(e) = sent {
            say!(b"failed to forward \x02: \x03", sig, e.into_raw());
        }
        target
    }

    /// The command has ended (or pause mode was told to stop): the exit code is decided,
    /// and the rest get SIGTERM, with SIGCONT so that a stopped process does not sleep
    /// through it. Nothing to stop unless pidone has children (or, as PID 1, neighbours).
    fn begin_shutdown(&mut self, ended: Ended) -> Stopping {
        let code = self.opts.remapped(ended.exit_code());
        log!(self, b"command \x01 ended; exit code \x01", self.command.unwrap_or(0), code);
        if self.opts.grace_ms > 0 && (self.children_left || self.neighbours_left()) {
            log!(self, b"shutdown: SIGTERM to the rest, grace \x01 ms", self.opts.grace_ms);
            self.signal_rest(&[g::SIGTERM, g::SIGCONT]);
        }
        Stopping { code, deadline: sys::monotonic_ms() + self.opts.grace_ms, kills: 0 }
    }

    /// One step of the shutdown at each wake-up: `None` when it is over, else how long to
    /// sleep until the next look.
    fn next_wakeup(&mut self, stop: &mut Stopping) -> Option<u64> {
        let now = sys::monotonic_ms();
        // After SIGKILL only children can be waited for; as PID 1 the rest dies with
        // pidone anyway.
        if !self.children_left && (stop.kills > 0 || !self.neighbours_left()) {
            return None;
        }
        if stop.kills == KILL_ROUNDS && now >= stop.deadline {
            say!(b"gave up on processes SIGKILL did not reach");
            return None;
        }
        if now >= stop.deadline {
            self.kill_the_rest(stop, now);
        }
        // Processes that joined the namespace from outside (PID 1 only) end without a
        // SIGCHLD to pidone: look again every POLL_MS.
        Some(if self.children_left { stop.deadline - now } else { POLL_MS })
    }

    /// The grace period is over, or the last SIGKILL KILL_RETRY_MS ago: SIGKILL again.
    fn kill_the_rest(&mut self, stop: &mut Stopping, now: u64) {
        log!(self, b"shutdown: SIGKILL to the rest");
        self.signal_rest(&[g::SIGKILL]);
        stop.kills += 1;
        stop.deadline = now + KILL_RETRY_MS;
    }

    fn pid1(&self) -> bool {
        self.self_pid == 1
    }

    /// As PID 1: whether processes that are not pidone's children (they joined the
    /// namespace from outside, say with `docker exec`) are still there.
    fn neighbours_left(&self) -> bool {
        self.pid1() && sys::kill(-1, 0).is_ok()
    }

    /// Reaps every zombie; returns how the command ended if it was among them.
    #[inline(never)]
    fn reap(&mut self) -> Option<Ended> {
        let reaped = reap::reap_zombies(self.command, |pid, ended| {
            if self.opts.verbose || (self.opts.warn_reap && Some(pid) != self.command) {
                match ended {
                    Ended::Exited(code) => say!(b"reaped \x01: exited \x01", pid, code),
                    Ended::Killed(sig) => say!(b"reaped \x01: killed by \x02", pid, sig),
                }
            }
        });
        self.children_left = reaped.children_left;
        reaped.main
    }

    /// Sends `sigs` to every process pidone is responsible for besides the command: as
    /// PID 1 every other process of the namespace (pid -1); otherwise only its own
    /// descendants, never pid -1.
    fn signal_rest(&mut self, sigs: &[u32]) {
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
        // can still reach. Not in pause mode, which has no command, and never again once
        // the group is empty: its number could then be reused for somebody else's group.
        let Some(pid) = self.command.filter(|_| !self.group_gone) else { return };
        for &sig in sigs {
            if sys::kill(-pid, sig) == Err(Errno::ESRCH) {
                self.group_gone = true;
            }
        }
    }
}
