//! The main loop: sleep in the kernel until a signal arrives, forward it or reap, and when
//! the command has ended, stop everything else (SIGTERM, grace, SIGKILL) before exiting.
//!
//! Nothing here may end pidone early: after the command has started, failures are
//! reported and the loop goes on, because PID 1 exiting kills the whole container.

use linux_raw_sys::general as g;

use crate::args::Options;
use crate::msg::Line;
use crate::{cgroup, say, signals, spawn};

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
use crate::sys::{self, Errno, SigInfo, SigSet};
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
/// With --wait-all, how often pidone looks whether processes that are not its children
/// (as PID 1: say, a `docker exec` session) have ended, when only they are left.
const WAIT_POLL_MS: u64 = 1000;

pub struct Supervisor<'a> {
    /// The command's pid; `None` in pause mode, which has none (and so no process group
    /// to signal: never a kill(0, ...)).
    command: Option<i32>,
    /// The stand-in that keeps the command's process group number from being reused once
    /// the command has been reaped (`spawn::pin_group`), while pidone may still signal
    /// that group: not PID 1 only.
    pin: Option<i32>,
    /// The command's name as given, for the line that says what killed it.
    name: &'a [u8],
    opts: &'a Options,
    /// pidone's own pid, to recognise signals the kernel raised for pidone itself.
    self_pid: i32,
    /// Whether pidone still has children (alive or not yet reaped).
    children_left: bool,
    /// Whether SIGTERM or SIGINT has been received: a stop of the whole container, so
    /// --wait-all does not wait once the command has ended.
    stop_asked: bool,
    /// The signals pidone has sent the command, one bit each: dying of one of them needs
    /// no explaining.
    sent: SigSet,
    /// The OOM killer's count in pidone's cgroup before the command started.
    oom_kills: Option<u32>,
    /// The stop delay still to come (it holds the first SIGTERM only): 0 once it began.
    delay_ms: u64,
    /// When the SIGTERM held back for the stop delay goes out; 0 when none is held.
    held_until: u64,
    /// Where the supervisor is.
    phase: Phase,
    /// The exit code pidone ends with (the command's, after -e), once the command has
    /// ended.
    code: i32,
    /// When the grace period ends, or SIGKILL is due again.
    deadline: u64,
    /// How many times SIGKILL has gone out.
    kills: u32,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The command runs (in pause mode: pidone sleeps); signals go to the command.
    Running,
    /// The command has ended, and with --wait-all pidone waits for the rest to end by
    /// themselves, forwarding signals to them; SIGTERM or SIGINT stops them.
    Waiting,
    /// The command has ended: the rest are being stopped (SIGTERM and the grace period,
    /// then SIGKILL every KILL_RETRY_MS until they are gone or KILL_ROUNDS went out).
    Stopping,
}

/// SIGTERM and SIGINT: what ends pause mode, the wait of --wait-all and the stop delay.
fn asks_to_stop(sig: u32) -> bool {
    sig == g::SIGTERM || sig == g::SIGINT
}

/// The SIGTERM the stop delay held back, as it is handled when the delay ends (the sender
/// does not matter: it is not pidone itself).
const HELD_SIGTERM: SigInfo = SigInfo { signo: g::SIGTERM, code: 0, pid: 0 };

impl<'a> Supervisor<'a> {
    pub fn new(command: Option<i32>, name: &'a [u8], opts: &'a Options, self_pid: i32, oom_kills: Option<u32>) -> Self {
        Supervisor {
            command,
            pin: None,
            name,
            opts,
            self_pid,
            children_left: true,
            stop_asked: false,
            sent: 0,
            oom_kills,
            delay_ms: opts.stop_delay_ms,
            held_until: 0,
            phase: Phase::Running,
            code: 0,
            deadline: 0,
            kills: 0,
        }
    }

    /// Runs until the command has ended and everything else is gone; returns the exit
    /// code. While the command runs pidone sleeps with no timeout (but for a stop delay);
    /// once it has ended, until the next deadline of the shutdown.
    #[inline(never)]
    pub fn run(mut self) -> i32 {
        loop {
            // The time to sleep: until the next step of the shutdown once the command has
            // ended, or the end of the stop delay if a SIGTERM is held.
            let mut timeout = match self.phase {
                Phase::Running => None,
                _ => match self.next_wakeup() {
                    Some(ms) => Some(ms),
                    None => {
                        log!(self, b"exiting with \x01", self.code);
                        // The stand-in for the command's group, kept until now.
                        if let Some(pin) = self.pin {
                            sys::reap(pin);
                        }
                        return self.code;
                    }
                },
            };
            if self.held_until > 0 {
                let held = self.held_until.saturating_sub(sys::monotonic_ms());
                timeout = Some(timeout.map_or(held, |t| t.min(held)));
            }
            let info = sys::sigtimedwait(WAITED, timeout);
            // The stop delay ends when its time is over, whatever else keeps waking pidone,
            // or early on a second SIGTERM or a SIGINT: the held SIGTERM goes out (before
            // the signal that ended it). The clock is read only while one is held, not at
            // every wake-up of the shutdown.
            if self.held_until > 0
                && (info.is_ok_and(|info| asks_to_stop(info.signo)) || sys::monotonic_ms() >= self.held_until)
            {
                self.held_until = 0;
                log!(self, b"stop delay over");
                self.handle(HELD_SIGTERM);
            }
            if let Ok(info) = info {
                self.handle(info);
            }
        }
    }

    /// Acts on one signal: reaps on SIGCHLD, passes the others on, and moves on to the
    /// shutdown when the command has ended or a stop is asked for.
    fn handle(&mut self, info: SigInfo) {
        if info.signo == g::SIGCHLD {
            if let Some(ended) = self.reap()
                && self.phase == Phase::Running
            {
                self.command_ended(ended);
            }
            return;
        }
        if self.raised_by_self(info) {
            return;
        }
        if asks_to_stop(info.signo) {
            self.stop_asked = true;
        }
        if info.signo == g::SIGTERM && self.delay_ms > 0 && self.phase != Phase::Stopping {
            // The stop delay: the first SIGTERM waits while a load balancer drains.
            log!(self, b"received SIGTERM, held for \x01 ms", self.delay_ms);
            // The clock counts whole milliseconds, so now may be up to 1 ms later than it
            // says: one more keeps the hold from ever being shorter than asked.
            self.held_until = sys::monotonic_ms() + self.delay_ms + 1;
            self.delay_ms = 0;
            return;
        }
        let sig = self.opts.rewritten(info.signo);
        match self.phase {
            // Pause mode: SIGTERM and SIGINT end it, like a command that exited 0 (with
            // whatever children it has, and no SIGCHLD to say so); the rest are ignored.
            Phase::Running if self.command.is_none() => {
                if asks_to_stop(sig) {
                    self.reap();
                    self.begin_shutdown(self.opts.remapped(0));
                }
            }
            // --wait-all: a stop ends the wait.
            Phase::Waiting if asks_to_stop(info.signo) => self.begin_shutdown(self.code),
            _ => self.pass_on(info.signo, sig),
        }
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
    fn pass_on(&mut self, got: u32, sig: u32) {
        if sig == 0 {
            log!(self, b"received \x02, dropped", got);
            return;
        }
        // The target as kill(2) takes it: a pid, -pgid for a group, -1 for everyone.
        let target = match (self.phase, self.command) {
            (Phase::Running, Some(pid)) => self.signal_command(pid, sig),
            _ => {
                self.signal_rest(&[sig]);
                -1
            }
        };
        log!(self, b"received \x02, sent \x02 to \x01", got, sig, target);
    }

    /// Sends `sig` to the command: with -g to its process group, or to the command alone
    /// when that group is gone (it called setsid). Returns the target as kill(2) takes it.
    fn signal_command(&mut self, pid: i32, sig: u32) -> i32 {
        self.sent |= signals::bit(sig);
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

    /// The command has ended: the exit code is decided, a death by a signal pidone did
    /// not send is explained, and the rest are waited for (--wait-all) or stopped.
    fn command_ended(&mut self, ended: Ended) {
        let code = self.opts.remapped(ended.exit_code());
        log!(self, b"command \x01 ended; exit code \x01", self.command.unwrap_or(0), code);
        if let Ended::Killed(sig, core) = ended
            && !self.opts.quiet
            && self.sent & signals::bit(sig) == 0
        {
            self.say_killed(sig, core);
        }
        // --wait-all waits, unless a stop was asked for before the command ended: the
        // command died of the SIGTERM of `docker stop`, and the rest are to stop too.
        if self.opts.wait_all && !self.stop_asked {
            log!(self, b"waiting for the rest to end");
            self.code = code;
            self.phase = Phase::Waiting;
        } else {
            self.begin_shutdown(code);
        }
    }

    /// Says what killed the command: the signal, whether it dumped core, and for SIGKILL
    /// whether the OOM killer's count in pidone's cgroup has grown (it then most likely
    /// chose the command).
    fn say_killed(&self, sig: u32, core: bool) {
        let mut digits = [0; 20];
        let mut line = Line::new();
        line.push(self.name).push(b" was killed by ").sig(sig, &mut digits);
        if core {
            line.push(b" (core dumped)");
        }
        if sig == g::SIGKILL
            && let (Some(before), Some(now)) = (self.oom_kills, cgroup::oom_kills())
            && now > before
        {
            line.push(b": out of memory");
        }
        line.send();
    }

    /// The rest get SIGTERM, with SIGCONT so that a stopped process does not sleep
    /// through it; pidone then exits with `code`. Nothing to stop unless pidone has
    /// children (or, as PID 1, neighbours).
    fn begin_shutdown(&mut self, code: i32) {
        self.code = code;
        self.phase = Phase::Stopping;
        // A SIGTERM held back by the stop delay is moot: everything gets one now.
        self.held_until = 0;
        if self.opts.grace_ms > 0 && (self.children_left || self.neighbours_left()) {
            log!(self, b"shutdown: SIGTERM to the rest, grace \x01 ms", self.opts.grace_ms);
            self.signal_rest(&[g::SIGTERM, g::SIGCONT]);
        }
        self.deadline = sys::monotonic_ms() + self.opts.grace_ms;
    }

    /// One step of the shutdown at each wake-up: `None` when it is over, else how long to
    /// sleep until the next look. While --wait-all waits, only the first part applies.
    fn next_wakeup(&mut self) -> Option<u64> {
        let now = sys::monotonic_ms();
        // After SIGKILL only children can be waited for; as PID 1 the rest dies with
        // pidone anyway.
        if !self.children_left && (self.kills > 0 || !self.neighbours_left()) {
            return None;
        }
        // --wait-all: nothing is due. While pidone has children their ends wake it; when
        // only processes that joined the namespace from outside are left (PID 1 only),
        // nothing does, so it looks once a second.
        if self.phase == Phase::Waiting {
            return Some(if self.children_left { u64::MAX } else { WAIT_POLL_MS });
        }
        if self.kills == KILL_ROUNDS && now >= self.deadline {
            say!(b"gave up on processes SIGKILL did not reach");
            return None;
        }
        if now >= self.deadline {
            self.kill_the_rest(now);
        }
        // Processes that joined the namespace from outside (PID 1 only) end without a
        // SIGCHLD to pidone: look again every POLL_MS.
        Some(if self.children_left { self.deadline - now } else { POLL_MS })
    }

    /// The grace period is over, or the last SIGKILL KILL_RETRY_MS ago: SIGKILL again.
    fn kill_the_rest(&mut self, now: u64) {
        log!(self, b"shutdown: SIGKILL to the rest");
        self.signal_rest(&[g::SIGKILL]);
        self.kills += 1;
        self.deadline = now + KILL_RETRY_MS;
    }

    fn pid1(&self) -> bool {
        self.self_pid == 1
    }

    /// As PID 1: whether processes that are not pidone's children (they joined the
    /// namespace from outside, say with `docker exec`) are still there.
    fn neighbours_left(&self) -> bool {
        self.pid1() && sys::kill(-1, 0).is_ok()
    }

    /// Reaps every zombie; returns how the command ended if it was among them. Not PID 1,
    /// the command's process group number is pinned first (`spawn::pin_group`): pidone
    /// may still signal that group when it cannot learn its tree.
    #[inline(never)]
    fn reap(&mut self) -> Option<Ended> {
        if let Some(pid) = self.command.filter(|_| !self.pid1() && self.phase == Phase::Running)
            && sys::wait_end(pid, g::WNOHANG).is_ok_and(|end| end.is_some())
        {
            self.pin = spawn::pin_group(pid);
        }
        let reaped = reap::reap_zombies(self.command, |pid, ended| {
            if self.opts.verbose || (self.opts.warn_reap && Some(pid) != self.command) {
                match ended {
                    Ended::Exited(code) => say!(b"reaped \x01: exited \x01", pid, code),
                    Ended::Killed(sig, _) => say!(b"reaped \x01: killed by \x02", pid, sig),
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
        // can still reach. Not in pause mode, which has no command, and never once the
        // command has been reaped: its number could then be somebody else's group's.
        let Some(pid) = self.command.filter(|_| self.phase == Phase::Running || self.pin.is_some()) else { return };
        for &sig in sigs {
            let _ = sys::kill(-pid, sig);
        }
    }
}
