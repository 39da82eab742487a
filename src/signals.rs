//! Signal numbers, names and the sets pidone blocks and waits for. Pure: no system calls.

use linux_raw_sys::general as g;

use crate::sys::SigSet;
use crate::table::{bytes, count, word_index, words};

/// The names pidone knows, without the `SIG` prefix: the standard signals, then the
/// aliases the C library and `kill -l` accept, then the two real-time names. Each is
/// numbered by the entry at the same position in `NUMBERS`; a name comes before its
/// aliases, so `name` gives it. Space-separated: one byte string serves `parse` and `name`.
const NAMES: &[u8] = concat!(
    "HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM ",
    odd_one!(),
    " CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS IOT POLL CLD RTMIN RTMAX"
)
.as_bytes();

/// The number of each name on the target, from the kernel's own constants: MIPS numbers
/// most signals differently from the others (SIGUSR1 is 16 there, SIGBUS 10), so nothing
/// here may assume the x86 numbers.
const NUMBERS: [u8; count(NAMES, b' ')] = {
    use g::*;
    bytes([
        SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGKILL, SIGUSR1, SIGSEGV, SIGUSR2, SIGPIPE,
        SIGALRM, SIGTERM, ODD_ONE, SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG, SIGXCPU, SIGXFSZ,
        SIGVTALRM, SIGPROF, SIGWINCH, SIGIO, SIGPWR, SIGSYS, SIGABRT, SIGIO, SIGCHLD, RTMIN, MAX,
    ])
};

// The one standard signal that only some architectures have: SIGSTKFLT, or MIPS's SIGEMT
// in its place.
#[cfg(not(target_arch = "mips64"))]
macro_rules! odd_one {
    () => {
        "STKFLT"
    };
}
#[cfg(not(target_arch = "mips64"))]
const ODD_ONE: u32 = g::SIGSTKFLT;
#[cfg(target_arch = "mips64")]
macro_rules! odd_one {
    () => {
        "EMT"
    };
}
#[cfg(target_arch = "mips64")]
const ODD_ONE: u32 = g::SIGEMT;
use odd_one;

/// The highest signal number: `_NSIG`, 64 everywhere but MIPS. MIPS has 128, but signal
/// 128 cannot be told apart in a wait status (its number would set the core-dump bit),
/// so the C library's SIGRTMAX there, and pidone's, is 127.
#[cfg(not(target_arch = "mips64"))]
pub const MAX: u32 = g::_NSIG;
#[cfg(target_arch = "mips64")]
pub const MAX: u32 = 127;
/// `SIGRTMIN` as programs see it. The kernel's first real-time signal is 32, but glibc and
/// musl keep 32 and 33 for themselves, so `kill -l`, tini and dumb-init call 34 RTMIN.
pub const RTMIN: u32 = g::SIGRTMIN + 2;

/// The signal number of word `i` of `NAMES`.
fn number(i: usize) -> Option<u32> {
    NUMBERS.get(i).map(|&n| n as u32)
}

/// What pidone blocks and then waits for with sigtimedwait: every signal (the kernel
/// silently ignores the SIGKILL and SIGSTOP bits). The CPU faults too: sent with kill(2)
/// they are forwarded like any other (dumb-init does the same), while a real fault of
/// pidone's own still kills it, because the kernel unblocks and forces a synchronous
/// fault signal whose delivery is blocked.
pub const WAITED: SigSet = !0;

pub const fn bit(sig: u32) -> SigSet {
    1 << (sig - 1)
}

/// Parses a signal as `TERM`, `SIGTERM`, `sigterm`, `15`, `SIG32`, `RTMIN`, `RTMIN+3`,
/// `RTMAX-2` or `SIGRTMIN+3`. Only 1..=64 are accepted.
pub fn parse(s: &[u8]) -> Option<u32> {
    // Names are matched case-insensitively: upper-case into a small buffer first.
    let mut buf = [0u8; 16];
    let upper = buf.get_mut(..s.len())?;
    for (u, c) in upper.iter_mut().zip(s) {
        *u = c.to_ascii_uppercase();
    }
    let s: &[u8] = upper;
    let s = s.strip_prefix(b"SIG").unwrap_or(s);
    // A number, as given or as pidone prints signals without a name (SIG32), or a name,
    // which RTMIN and RTMAX may follow with `+n` or `-n`.
    let at = s.iter().position(|&c| c == b'+' || c == b'-').unwrap_or(s.len());
    let (word, offset) = s.split_at(at);
    let mut sig = match parse_u32(word) {
        Some(n) if offset.is_empty() => n,
        Some(_) => return None,
        None => number(word_index(NAMES, word)?)?,
    };
    if let [sign, n @ ..] = offset {
        let (base, n) = (sig, parse_u32(n)?.min(MAX));
        sig = if *sign == b'+' { base + n } else { base.saturating_sub(n) };
        // Only real-time names take an offset, which must stay in the real-time range.
        if base.min(sig) < RTMIN {
            return None;
        }
    }
    (1..=MAX).contains(&sig).then_some(sig)
}

/// The name of `sig` without `SIG` when it has one of its own: `TERM`, `RTMIN`, `RTMAX`.
/// (`Line::sig` spells the others as `RTMIN+n` or the bare number.)
pub fn name(sig: u32) -> Option<&'static [u8]> {
    words(NAMES).enumerate().find_map(|(i, n)| (number(i) == Some(sig)).then_some(n))
}

/// A plain decimal number: digits only, no sign, no overflow.
pub fn parse_u32(s: &[u8]) -> Option<u32> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u32, |n, &c| {
        let d = c.checked_sub(b'0').filter(|d| *d <= 9)?;
        n.checked_mul(10)?.checked_add(d as u32)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_kernel_numbering() {
        let expect = [
            (g::SIGHUP, "HUP"),
            (g::SIGINT, "INT"),
            (g::SIGQUIT, "QUIT"),
            (g::SIGILL, "ILL"),
            (g::SIGTRAP, "TRAP"),
            (g::SIGABRT, "ABRT"),
            (g::SIGBUS, "BUS"),
            (g::SIGFPE, "FPE"),
            (g::SIGKILL, "KILL"),
            (g::SIGUSR1, "USR1"),
            (g::SIGSEGV, "SEGV"),
            (g::SIGUSR2, "USR2"),
            (g::SIGPIPE, "PIPE"),
            (g::SIGALRM, "ALRM"),
            (g::SIGTERM, "TERM"),
            (g::SIGSTKFLT, "STKFLT"),
            (g::SIGCHLD, "CHLD"),
            (g::SIGCONT, "CONT"),
            (g::SIGSTOP, "STOP"),
            (g::SIGTSTP, "TSTP"),
            (g::SIGTTIN, "TTIN"),
            (g::SIGTTOU, "TTOU"),
            (g::SIGURG, "URG"),
            (g::SIGXCPU, "XCPU"),
            (g::SIGXFSZ, "XFSZ"),
            (g::SIGVTALRM, "VTALRM"),
            (g::SIGPROF, "PROF"),
            (g::SIGWINCH, "WINCH"),
            (g::SIGIO, "IO"),
            (g::SIGPWR, "PWR"),
            (g::SIGSYS, "SYS"),
        ];
        assert_eq!(words(NAMES).count(), expect.len() + 5);
        for (sig, n) in expect {
            assert_eq!(name(sig), Some(n.as_bytes()), "signal {sig}");
            assert_eq!(parse(n.as_bytes()), Some(sig));
            assert_eq!(parse(std::format!("SIG{n}").as_bytes()), Some(sig));
            assert_eq!(parse(n.to_lowercase().as_bytes()), Some(sig));
            assert_eq!(parse(std::format!("sig{}", n.to_lowercase()).as_bytes()), Some(sig));
            assert_eq!(parse(sig.to_string().as_bytes()), Some(sig));
        }
    }

    #[test]
    fn real_time_signals_are_named_like_kill_l() {
        assert_eq!(RTMIN, 34);
        assert_eq!(MAX, 64);
        assert_eq!(name(34), Some(&b"RTMIN"[..]));
        assert_eq!(name(64), Some(&b"RTMAX"[..]));
        assert_eq!(name(35), None);
        assert_eq!(name(32), None);
        assert_eq!(name(0), None);
        assert_eq!(parse(b"RTMIN"), Some(34));
        assert_eq!(parse(b"SIGRTMIN+1"), Some(35));
        assert_eq!(parse(b"rtmin+30"), Some(64));
        assert_eq!(parse(b"RTMAX"), Some(64));
        assert_eq!(parse(b"RTMAX-1"), Some(63));
        assert_eq!(parse(b"RTMAX-30"), Some(34));
        for bad in [
            &b"RTMIN+31"[..],
            b"RTMAX-31",
            b"RTMIN-1",
            b"RTMAX+1",
            b"RTMIN+",
            b"RTMIN+x",
            b"RTMIN1",
            b"TERM+20",
            b"HUP+33",
            b"KILL-1",
            b"34+1",
            b"RTMIN+-1",
            b"RTMIN+4294967295",
        ] {
            assert_eq!(parse(bad), None, "{:?}", std::str::from_utf8(bad));
        }
    }

    #[test]
    fn aliases_and_bad_input() {
        assert_eq!(parse(b"IOT"), Some(g::SIGABRT));
        assert_eq!(parse(b"SIGPOLL"), Some(g::SIGIO));
        assert_eq!(parse(b"cld"), Some(g::SIGCHLD));
        for bad in [
            &b""[..],
            b"0",
            b"65",
            b"-1",
            b"+1",
            b"SIG",
            b"TERMX",
            b"XTERM",
            b"SIGSIGTERM",
            b"99999999999",
            b"SIGVERYLONGNAMEINDEED",
            b" TERM",
        ] {
            assert_eq!(parse(bad), None, "{:?}", std::str::from_utf8(bad));
        }
        for n in 1..=64u32 {
            assert_eq!(parse(n.to_string().as_bytes()), Some(n));
        }
    }

    #[test]
    fn every_signal_is_waited_for() {
        for sig in 1..=MAX {
            assert_ne!(WAITED & bit(sig), 0, "signal {sig}");
        }
    }

    #[test]
    fn decimal_numbers() {
        assert_eq!(parse_u32(b"0"), Some(0));
        assert_eq!(parse_u32(b"007"), Some(7));
        assert_eq!(parse_u32(b"4294967295"), Some(u32::MAX));
        assert_eq!(parse_u32(b"4294967296"), None);
        assert_eq!(parse_u32(b""), None);
        assert_eq!(parse_u32(b"1a"), None);
        assert_eq!(parse_u32(b"-1"), None);
    }
}
