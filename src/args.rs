//! Command line and environment parsing, and the texts that describe them (usage, version,
//! license, usage errors). Pure but for `usage_error`, which writes its message: the
//! parser takes byte strings and makes no system calls.
//!
//! Options end at `--` or at the first word that is not an option (like tini's and
//! getopt's `+` mode), so everything after that belongs to the command untouched.
//! Every option is known by its letter; long names and environment variables map to it
//! through pairs of tables: space-separated names, and the letter of each in order.
//!
//! To add an option:
//! 1. Give it a letter in `LETTERS` (and in `WITH_VALUE` if it takes a value).
//! 2. A long name: add the name to `LONG_NAMES` and its letter to `LONG_LETTERS`, at the
//!    same position (a `const` assert checks the counts). A variable: likewise in
//!    `ENV_NAMES` and `ENV_LETTERS`, in the order variables apply (pidone's after the
//!    peers').
//! 3. Store it in `Options` and set it in `apply` under its letter.
//! 4. Say it in `USAGE`, the README's option table, and a unit test in this file; the
//!    end-to-end tests in tests/ show what it does.

use crate::msg::Line;
use crate::signals::{self, parse_u32};
use crate::sys::CStrList;
use crate::table::{count, has, split, word_index};

/// Default grace period between SIGTERM and SIGKILL at shutdown.
pub const DEFAULT_GRACE_MS: u64 = 5000;

/// The option letters pidone knows: its own and those of tini, dumb-init and catatonit.
const LETTERS: &[u8] = b"tgcvwspePrqlLhV";
/// The letters whose option takes a value (`d`, the stop delay, has no short form: it is
/// not in `LETTERS`, nor is `a`, wait-all).
const WITH_VALUE: &[u8] = b"tperd";
/// Long options (dumb-init's and pidone's) and their letters.
const LONG_NAMES: &[u8] =
    b"grace group single-child rewrite remap-exit pdeathsig pause verbose warn-reap license help version \
stop-delay wait-all quiet";
const LONG_LETTERS: &[u8] = b"tgcrepPvwlhVdaq";
/// Environment variables and their letters, in the order they apply, so that pidone's own
/// win over the peers' (and flags, parsed afterwards, over both). The peers' variables
/// come first and have letters of their own (`apply` reads each as its peer does).
/// The names are given without their prefix, `TINI_` (the first three), `DUMB_INIT_` (the
/// next two) or `PIDONE_` (the rest), which `parse` knows (measured: 56 bytes less than
/// the whole names on x86_64).
const ENV_NAMES: &[u8] = b"SUBREAPER VERBOSITY KILL_PROCESS_GROUP SETSID DEBUG \
GRACE VERBOSE GROUP WARN_REAP PDEATHSIG REMAP REWRITE PAUSE STOP_DELAY WAIT_ALL QUIET";
const ENV_LETTERS: &[u8] = b"sTGSDtvgwperPdaq";
/// How many of the variables are the peers': read as the peer reads them, never an error,
/// and set even when empty (tini tests its switches for presence).
const PEER_VARIABLES: usize = 5;
// Each name has its letter: the parallel tables cannot drift apart.
const _: () = assert!(count(LONG_NAMES, b' ') == LONG_LETTERS.len());
const _: () = assert!(count(ENV_NAMES, b' ') == ENV_LETTERS.len());

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Milliseconds between SIGTERM and SIGKILL for the processes left at shutdown.
    pub grace_ms: u64,
    /// Milliseconds the first SIGTERM is held back before it is forwarded (0: not at all).
    pub stop_delay_ms: u64,
    /// When the command has ended, wait for every other process instead of stopping them.
    pub wait_all: bool,
    /// No line when the command dies of a signal pidone did not send it.
    pub quiet: bool,
    /// One line per event on stderr (-v).
    pub verbose: bool,
    /// Forward signals to the command's whole process group.
    pub group: bool,
    /// Log each zombie reaped that is not the command (tini's -w).
    pub warn_reap: bool,
    /// No command: sleep, reap, and exit 0 on SIGTERM or SIGINT (catatonit's -P).
    pub pause: bool,
    /// Signal pidone gets when its parent dies (tini's -p), 0 for none.
    pub pdeathsig: u32,
    /// Exit codes of the command that pidone turns into 0 (tini's -e), one bit each.
    pub remap: [u32; 8],
    /// Signal rewriting (dumb-init's -r): entry N-1 is 0 to forward signal N as it is,
    /// otherwise 1 + the signal to send instead (1 itself: drop it).
    pub rewrite: [u8; signals::MAX as usize],
}

impl Default for Options {
    fn default() -> Self {
        Options {
            grace_ms: DEFAULT_GRACE_MS,
            stop_delay_ms: 0,
            wait_all: false,
            quiet: false,
            verbose: false,
            group: false,
            warn_reap: false,
            pause: false,
            pdeathsig: 0,
            remap: [0; 8],
            rewrite: [0; signals::MAX as usize],
        }
    }
}

impl Options {
    /// What a received signal is forwarded as; 0 to drop it.
    pub fn rewritten(&self, sig: u32) -> u32 {
        match self.rewrite.get((sig as usize).wrapping_sub(1)) {
            Some(&r) if r > 0 => r as u32 - 1,
            _ => sig,
        }
    }

    /// The exit code pidone reports for the command's `code`.
    pub fn remapped(&self, code: i32) -> i32 {
        let bit = self.remap.get((code as usize) / 32).map_or(0, |w| w >> (code % 32) & 1);
        if bit == 1 { 0 } else { code }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Run the command that starts at this index of argv (none in pause mode).
    Run(usize),
    Help,
    Version,
    License,
}

/// What was wrong with the command line; its message is `MESSAGES` piece `kind as usize`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    Unknown,
    Missing,
    Invalid,
    NoCommand,
    PauseCommand,
}

/// A usage error: the message of its kind, the option or variable (`-` before a short
/// option's letter), and for an invalid value `: '<value>'`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArgError<'a> {
    pub kind: ArgKind,
    pub short: bool,
    pub name: &'a [u8],
    pub value: &'a [u8],
}

/// The messages of `ArgError::kind`, `|`-separated.
pub const MESSAGES: &[u8] =
    b"unknown option |missing value for |invalid value for |no command given|pause mode runs no command: ";
// One message for each kind.
const _: () = assert!(count(MESSAGES, b'|') == ArgKind::PauseCommand as usize + 1);
use ArgKind::*;

/// The value of the variable that `entry` (`NAME=`) starts in `env`; the first one wins, as
/// with getenv.
pub fn getenv(env: CStrList, entry: &[u8]) -> Option<&'static [u8]> {
    find_var(env, entry).map(|(_, value)| value)
}

/// Where the variable that `entry` (`NAME=`) starts is in `env`, and its value.
pub fn find_var(env: CStrList, entry: &[u8]) -> Option<(usize, &'static [u8])> {
    let at = (0..env.len()).find(|&i| env.starts_with(i, entry))?;
    Some((at, env.bytes(at)?.get(entry.len()..)?))
}

/// `pidone X.Y.Z - git.<commit>`: the same shape as tini's `tini version X.Y.Z - git.<commit>`,
/// so `docker info` can show the commit of pidone used as `--init`.
pub const VERSION: &[u8] =
    concat!("pidone ", env!("CARGO_PKG_VERSION"), " - git.", env!("PIDONE_GIT_COMMIT"), "\n").as_bytes();

pub const LICENSE: &[u8] = b"pidone is distributed under the MIT License (the LICENSE file of its source).\n";

/// The first line of the help, also printed after a usage error.
macro_rules! synopsis {
    () => {
        "usage: pidone [OPTIONS] [--] COMMAND [ARG...]\n"
    };
}

pub const USAGE: &[u8] = concat!(
    synopsis!(),
    "       pidone -P [OPTIONS]
 -t,--grace SECS    from SIGTERM to SIGKILL at shutdown (5)
 -g,--group         signal COMMAND's group; -c,--single-child: only it
 -r,--rewrite S:R   send signal S as R (0: drop)
 -e,--remap-exit N  exit 0 when COMMAND exits N
 -p,--pdeathsig SIG get SIG when the parent dies
 -P,--pause         no COMMAND: exit 0 on SIGTERM/SIGINT
 --stop-delay SECS  hold back the first SIGTERM this long (0)
 --wait-all         when COMMAND ends, wait for all the rest
 -v,--verbose       log events; -w,--warn-reap: log zombies
 -q,--quiet         no line when COMMAND dies of a signal
 -s  -l,-L,--license  -h,--help  -V,--version
Env: PIDONE_{GRACE,GROUP,REWRITE,REMAP,PDEATHSIG,PAUSE,VERBOSE,WARN_REAP},
PIDONE_{STOP_DELAY,WAIT_ALL,QUIET}, DUMB_INIT_{SETSID,DEBUG},
TINI_{SUBREAPER,VERBOSITY,KILL_PROCESS_GROUP}
Exit: COMMAND's; 126 cannot run, 127 not found, 2 usage, 125 error
"
)
.as_bytes();

/// One line saying what was wrong, then the usage, on stderr; exit 2. Not inlined: its
/// line buffer would otherwise sit in the frame of `run` and the idle loop below it.
#[inline(never)]
pub fn usage_error(e: ArgError) -> i32 {
    let mut line = Line::new();
    let msg = split(MESSAGES, b'|').nth(e.kind as usize).unwrap_or_default();
    line.push(msg).push(if e.short { b"-" } else { b"" }).push(e.name);
    if e.kind == ArgKind::Invalid {
        line.push(b": '").push(e.value).push(b"'");
    }
    // The synopsis and the hint after the line, in the same write.
    line.push(concat!("\n", synopsis!(), "Try 'pidone --help' for more information.").as_bytes());
    line.send();
    crate::reap::EXIT_USAGE
}

/// Parses argv (including argv[0]) and the environment into `opts`. Environment
/// variables set the defaults; command-line flags override them.
pub fn parse(argv: CStrList, env: CStrList, opts: &mut Options) -> Result<Action, ArgError<'static>> {
    // One pass over the environment: the first definition of each variable wins, as with
    // getenv. Only entries starting like pidone's or the peers' variables are measured.
    // `found[k]`: 1 + the index in env of the variable ENV_NAMES[k], 0 if there is none.
    let mut found = [0u32; ENV_LETTERS.len()];
    for i in 0..env.len() {
        // The prefix, and which of ENV_NAMES have it.
        let (prefix, names): (&[u8], _) = match env.first_byte(i) {
            b'T' => (b"TINI_", 0..3),
            b'D' => (b"DUMB_INIT_", 3..PEER_VARIABLES),
            b'P' => (b"PIDONE_", PEER_VARIABLES..ENV_LETTERS.len()),
            _ => continue,
        };
        if !env.starts_with(i, prefix) {
            continue;
        }
        // An entry without `=` defines no variable (getenv skips it too): it must not
        // hide a later `NAME=value`.
        let Some(entry) = env.bytes(i) else { continue };
        let Some(eq) = entry.iter().position(|&c| c == b'=') else { continue };
        if let Some(slot) = entry
            .get(prefix.len()..eq)
            .and_then(|n| word_index(ENV_NAMES, n))
            .filter(|k| names.contains(k))
            .and_then(|k| found.get_mut(k))
            && *slot == 0
        {
            *slot = i as u32 + 1;
        }
    }
    // In table order: peers' variables first, pidone's over them.
    for (k, (&letter, &at)) in ENV_LETTERS.iter().zip(&found).enumerate() {
        let Some(entry) = at.checked_sub(1).and_then(|i| env.bytes(i as usize)) else { continue };
        let eq = entry.iter().position(|&c| c == b'=').unwrap_or(entry.len());
        let (name, value) = (entry.get(..eq).unwrap_or(entry), entry.get(eq + 1..).unwrap_or_default());
        // An empty variable of pidone's counts as unset.
        if (k < PEER_VARIABLES || !value.is_empty()) && apply(letter, value, opts).is_none() {
            return Err(ArgError { kind: Invalid, short: false, name, value });
        }
    }

    let mut i = 1;
    while let Some(arg) = argv.bytes(i) {
        // A lone `-` or a word without one starts the command; `--` ends the options.
        let Some(body) = arg.strip_prefix(b"-").filter(|b| !b.is_empty()) else { break };
        i += 1;
        if body == b"-" {
            break;
        }
        let long = body.strip_prefix(b"-");
        // Each pass takes one option: the whole `--name[=value]`, or the next letter of a
        // cluster such as `-vg`, whose value may be the rest of the word (`-t5`).
        let mut k = 0;
        'options: while k < body.len() {
            let (short, name, letter, mut value);
            if let Some(long) = long {
                let eq = long.iter().position(|&c| c == b'=').unwrap_or(long.len());
                (short, name, value) = (false, arg.get(..eq + 2).unwrap_or(arg), long.get(eq + 1..));
                letter = long
                    .get(..eq)
                    .and_then(|n| word_index(LONG_NAMES, n))
                    .and_then(|i| LONG_LETTERS.get(i).copied())
                    .unwrap_or(0);
                k = body.len();
            } else {
                (short, name, value) = (true, body.get(k..=k).unwrap_or_default(), None);
                letter = match name {
                    [c] if has(LETTERS, *c) => *c,
                    _ => 0,
                };
                k += 1;
                if has(WITH_VALUE, letter) && k < body.len() {
                    value = body.get(k..);
                    k = body.len();
                }
            }
            let kind = 'bad: {
                if letter == 0 {
                    break 'bad Unknown;
                }
                if has(WITH_VALUE, letter) {
                    if value.is_none() {
                        value = argv.bytes(i);
                        i += 1;
                        if value.is_none() {
                            break 'bad Missing;
                        }
                    }
                } else if value.is_some() {
                    // A switch given a value (`--group=x`).
                    break 'bad Invalid;
                }
                match letter {
                    b'h' => return Ok(Action::Help),
                    b'V' => return Ok(Action::Version),
                    b'l' | b'L' => return Ok(Action::License),
                    _ => {}
                }
                // A switch on the command line turns on, as `1` does in a variable.
                match apply(letter, value.unwrap_or(b"1"), opts) {
                    Some(()) => continue 'options,
                    None => Invalid,
                }
            };
            return Err(ArgError { kind, short, name, value: value.unwrap_or_default() });
        }
    }
    match (argv.bytes(i), opts.pause) {
        (Some(_), false) | (None, true) => Ok(Action::Run(i)),
        (None, false) => Err(ArgError { kind: NoCommand, short: false, name: b"", value: b"" }),
        (Some(name), true) => Err(ArgError { kind: PauseCommand, short: false, name, value: b"" }),
    }
}

/// Applies one option's value (a switch's is `1` or `0`); `None` if it cannot be used.
fn apply(letter: u8, v: &[u8], opts: &mut Options) -> Option<()> {
    let on = match v {
        b"1" => Some(true),
        b"0" => Some(false),
        _ => None,
    };
    match letter {
        b't' => opts.grace_ms = parse_seconds(v)?,
        b'd' => opts.stop_delay_ms = parse_seconds(v)?,
        b'a' => opts.wait_all = on?,
        b'q' => opts.quiet = on?,
        b'g' => opts.group = on?,
        // dumb-init's --single-child: the opposite of -g (and pidone's default);
        // TINI_KILL_PROCESS_GROUP: tini turns it on when it is set at all, even empty.
        b'c' | b'G' => opts.group = letter == b'G',
        // DUMB_INIT_SETSID: only `0` leaves dumb-init's setsid mode, whose forwarding to the
        // group is what pidone's -g does; any other value keeps it.
        b'S' => opts.group = v != b"0",
        // DUMB_INIT_DEBUG: only `1` turns dumb-init's debug output on; others do nothing.
        b'D' => opts.verbose |= v == b"1",
        b'v' => opts.verbose = parse_u32(v)? > 0,
        // TINI_VERBOSITY, read with atoi as tini does (`abc` is 0), counts from tini's
        // default of 1 (warnings), which is pidone's quiet.
        b'T' => opts.verbose = atoi_above_1(v),
        b'w' => opts.warn_reap = on?,
        b'P' => opts.pause = on?,
        b'p' => opts.pdeathsig = signals::parse(v)?,
        // Lists: `-e 1,143`, `-r TERM:QUIT,HUP:0`.
        b'e' | b'r' => {
            for item in split(v, b',') {
                if letter == b'e' {
                    let code = parse_u32(item).filter(|c| *c <= 255)?;
                    opts.remap[code as usize / 32] |= 1 << (code % 32);
                } else {
                    let colon = item.iter().position(|&c| c == b':')?;
                    let (from, to) = (item.get(..colon)?, item.get(colon + 1..)?);
                    let to = if to == b"0" { 0 } else { signals::parse(to)? };
                    *opts.rewrite.get_mut(signals::parse(from)? as usize - 1)? = to as u8 + 1;
                }
            }
        }
        // -s, TINI_SUBREAPER: pidone always makes itself a subreaper; accepted for tini users.
        _ => {}
    }
    Some(())
}

/// Whether C's atoi reads `s` as a number above 1: leading blanks, then an optional `+`,
/// then the leading digits (a `-` or no digit at all is 0 or less). Never an error, as
/// atoi is not. The value is capped at 2, which is all the question needs.
pub fn atoi_above_1(s: &[u8]) -> bool {
    let (mut n, mut started) = (0u8, false);
    for &c in s {
        match c {
            b' ' | b'\t'..=b'\r' if !started => {}
            b'+' if !started => started = true,
            b'0'..=b'9' => (n, started) = ((n * 10 + (c - b'0')).min(2), true),
            _ => break,
        }
    }
    n > 1
}

/// Seconds as `5`, `0`, `2.5` or `0.125`, to milliseconds (finer digits are refused).
pub fn parse_seconds(s: &[u8]) -> Option<u64> {
    let (whole, frac) = match s.iter().position(|&c| c == b'.') {
        Some(dot) => (s.get(..dot)?, s.get(dot + 1..)?),
        None => (s, &b"0"[..]),
    };
    // `.5` is 500 ms, `.05` 50 ms, `.005` 5 ms.
    let scale = match frac.len() {
        1 => 100,
        2 => 10,
        3 => 1,
        _ => return None,
    };
    (parse_u32(whole)? as u64).checked_mul(1000)?.checked_add(parse_u32(frac)? as u64 * scale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::test_list;
    use std::vec::Vec;

    fn run(args: &[&[u8]], env: &[&[u8]]) -> Result<Action, ArgError<'static>> {
        parse(test_list(args), test_list(env), &mut Options::default())
    }

    fn opts(args: &[&[u8]], env: &[&[u8]]) -> (Options, usize) {
        let mut o = Options::default();
        match parse(test_list(args), test_list(env), &mut o) {
            Ok(Action::Run(cmd)) => (o, cmd),
            other => panic!("expected Run, got {other:?}"),
        }
    }

    fn long<'a>(kind: ArgKind, name: &'a [u8], value: &'a [u8]) -> ArgError<'a> {
        ArgError { kind, short: false, name, value }
    }

    fn short<'a>(kind: ArgKind, letter: &'a [u8], value: &'a [u8]) -> ArgError<'a> {
        ArgError { kind, short: true, name: letter, value }
    }

    const NO_CMD: ArgError<'static> = ArgError { kind: NoCommand, short: false, name: b"", value: b"" };

    #[test]
    fn command_starts_at_first_word_that_is_not_an_option() {
        assert_eq!(opts(&[b"pidone", b"sleep", b"-t", b"1"], &[]), (Options::default(), 1));
        let (o, cmd) = opts(&[b"pidone", b"-v", b"-g", b"cmd", b"-v"], &[]);
        assert_eq!((o.verbose, o.group, cmd), (true, true, 3));
        // `--` ends options; what follows is the command even if it looks like an option.
        assert_eq!(opts(&[b"pidone", b"--", b"-v"], &[]).1, 2);
        assert_eq!(opts(&[b"pidone", b"-v", b"--", b"--", b"x"], &[]).1, 3);
        // A lone `-` is a word, not an option.
        assert_eq!(opts(&[b"pidone", b"-", b"x"], &[]).1, 1);
    }

    #[test]
    fn short_options_cluster_and_take_attached_or_separate_values() {
        assert!(opts(&[b"pidone", b"-vvg", b"x"], &[]).0.verbose);
        assert_eq!(opts(&[b"pidone", b"-t5", b"x"], &[]).0.grace_ms, 5000);
        let (o, cmd) = opts(&[b"pidone", b"-vt", b"2.5", b"x"], &[]);
        assert_eq!((o.verbose, o.grace_ms, cmd), (true, 2500, 3));
        assert_eq!(opts(&[b"pidone", b"-s", b"x"], &[]).0, Options::default());
    }

    #[test]
    fn long_options_take_values_with_equals_or_separately() {
        assert_eq!(opts(&[b"pidone", b"--grace=0", b"x"], &[]).0.grace_ms, 0);
        assert_eq!(opts(&[b"pidone", b"--grace", b"7", b"x"], &[]).0.grace_ms, 7000);
        assert!(opts(&[b"pidone", b"--verbose", b"--verbose", b"x"], &[]).0.verbose);
        assert_eq!(run(&[b"pidone", b"--help", b"x"], &[]), Ok(Action::Help));
        assert_eq!(run(&[b"pidone", b"--version"], &[]), Ok(Action::Version));
        assert_eq!(run(&[b"pidone", b"-h"], &[]), Ok(Action::Help));
        assert_eq!(run(&[b"pidone", b"-vV"], &[]), Ok(Action::Version));
    }

    #[test]
    fn usage_errors_name_what_was_wrong() {
        let err = |args: &[&[u8]]| run(args, &[]).unwrap_err();
        assert_eq!(err(&[b"pidone"]), NO_CMD);
        assert_eq!(err(&[]), NO_CMD);
        assert_eq!(err(&[b"pidone", b"--"]), NO_CMD);
        assert_eq!(err(&[b"pidone", b"-v"]), NO_CMD);
        assert_eq!(err(&[b"pidone", b"-x", b"cmd"]), short(Unknown, b"x", b""));
        assert_eq!(err(&[b"pidone", b"-vqx", b"cmd"]), short(Unknown, b"x", b""));
        assert_eq!(err(&[b"pidone", b"--nope", b"cmd"]), long(Unknown, b"--nope", b""));
        assert_eq!(err(&[b"pidone", b"--nope=1", b"cmd"]), long(Unknown, b"--nope", b"1"));
        assert_eq!(err(&[b"pidone", b"-t"]), short(Missing, b"t", b""));
        assert_eq!(err(&[b"pidone", b"--grace"]), long(Missing, b"--grace", b""));
        assert_eq!(err(&[b"pidone", b"-t", b"x", b"cmd"]), short(Invalid, b"t", b"x"));
        assert_eq!(err(&[b"pidone", b"--grace=-1", b"cmd"]), long(Invalid, b"--grace", b"-1"));
        assert_eq!(err(&[b"pidone", b"-t", b"", b"cmd"]), short(Invalid, b"t", b""));
        assert_eq!(
            err(&[b"pidone", b"-t", b"99999999999999999999", b"c"]),
            short(Invalid, b"t", b"99999999999999999999")
        );
        assert_eq!(err(&[b"pidone", b"--group=1", b"cmd"]), long(Invalid, b"--group", b"1"));
        assert_eq!(err(&[b"pidone", b"--help=1", b"cmd"]), long(Invalid, b"--help", b"1"));
    }

    #[test]
    fn every_message_kind_has_its_text() {
        let texts: Vec<&[u8]> = MESSAGES.split(|&c| c == b'|').collect();
        assert_eq!(texts.len(), PauseCommand as usize + 1);
        assert_eq!(texts[Invalid as usize], b"invalid value for ");
    }

    #[test]
    fn environment_sets_defaults_and_flags_win() {
        let (o, _) = opts(&[b"pidone", b"x"], &[b"PIDONE_GRACE=1.5", b"PIDONE_VERBOSE=3"]);
        assert_eq!((o.grace_ms, o.verbose), (1500, true));
        assert!(!opts(&[b"pidone", b"x"], &[b"PIDONE_VERBOSE=0"]).0.verbose);
        let (o, _) = opts(&[b"pidone", b"-t", b"9", b"x"], &[b"PIDONE_GRACE=1"]);
        assert_eq!(o.grace_ms, 9000);
        // Empty means unset; the first definition wins, as with getenv.
        assert_eq!(opts(&[b"pidone", b"x"], &[b"PIDONE_GRACE="]).0.grace_ms, DEFAULT_GRACE_MS);
        assert_eq!(opts(&[b"pidone", b"x"], &[b"PIDONE_GRACE=2", b"PIDONE_GRACE=3"]).0.grace_ms, 2000);
        // A variable whose name only starts the same is another variable.
        assert_eq!(opts(&[b"pidone", b"x"], &[b"PIDONE_GRACEX=2"]).0.grace_ms, DEFAULT_GRACE_MS);
        assert_eq!(
            run(&[b"pidone", b"x"], &[b"PIDONE_VERBOSE=yes"]).unwrap_err(),
            long(Invalid, b"PIDONE_VERBOSE", b"yes")
        );
        assert_eq!(
            run(&[b"pidone", b"-t", b"1", b"x"], &[b"PIDONE_GRACE=bad"]).unwrap_err(),
            long(Invalid, b"PIDONE_GRACE", b"bad")
        );
    }

    #[test]
    fn stop_delay_wait_all_and_quiet() {
        let err = |args: &[&[u8]]| run(args, &[]).unwrap_err();
        let (o, _) = opts(&[b"pidone", b"--stop-delay", b"2.5", b"--wait-all", b"-q", b"x"], &[]);
        assert_eq!((o.stop_delay_ms, o.wait_all, o.quiet), (2500, true, true));
        let (o, _) = opts(&[b"pidone", b"--stop-delay=0.125", b"--quiet", b"x"], &[]);
        assert_eq!((o.stop_delay_ms, o.wait_all, o.quiet), (125, false, true));
        let env: &[&[u8]] = &[b"PIDONE_STOP_DELAY=2", b"PIDONE_WAIT_ALL=1", b"PIDONE_QUIET=1"];
        let (o, _) = opts(&[b"pidone", b"x"], env);
        assert_eq!((o.stop_delay_ms, o.wait_all, o.quiet), (2000, true, true));
        // Flags win over variables; a switch on the command line takes no value.
        let (o, _) = opts(&[b"pidone", b"--stop-delay", b"0", b"x"], env);
        assert_eq!(o.stop_delay_ms, 0);
        assert_eq!(err(&[b"pidone", b"--wait-all=0", b"x"]), long(Invalid, b"--wait-all", b"0"));
        let d = Options::default();
        assert_eq!((d.stop_delay_ms, d.wait_all, d.quiet), (0, false, false));
        // The stop delay and wait-all have no short form.
        assert_eq!(err(&[b"pidone", b"-d", b"1", b"x"]), short(Unknown, b"d", b""));
        assert_eq!(err(&[b"pidone", b"-a", b"x"]), short(Unknown, b"a", b""));
        assert_eq!(err(&[b"pidone", b"--stop-delay", b"1s", b"x"]), long(Invalid, b"--stop-delay", b"1s"));
        assert_eq!(err(&[b"pidone", b"--stop-delay"]), long(Missing, b"--stop-delay", b""));
        assert_eq!(
            run(&[b"pidone", b"x"], &[b"PIDONE_WAIT_ALL=yes"]).unwrap_err(),
            long(Invalid, b"PIDONE_WAIT_ALL", b"yes")
        );
        assert_eq!(run(&[b"pidone", b"x"], &[b"PIDONE_QUIET=2"]).unwrap_err(), long(Invalid, b"PIDONE_QUIET", b"2"));
    }

    #[test]
    fn peer_options() {
        let (o, cmd) =
            opts(&[b"tini", b"-s", b"-vvv", b"-w", b"-g", b"-e", b"3", b"-e143", b"-p", b"SIGKILL", b"--", b"x"], &[]);
        assert_eq!((o.verbose, o.warn_reap, o.group, o.pdeathsig, cmd), (true, true, true, 9, 11));
        assert_eq!((o.remapped(3), o.remapped(143), o.remapped(4), o.remapped(0)), (0, 0, 4, 0));
        let (o, _) = opts(&[b"dumb-init", b"--single-child", b"--rewrite", b"15:3", b"-r", b"HUP:0", b"x"], &[]);
        assert!(!o.group);
        assert_eq!((o.rewritten(15), o.rewritten(1), o.rewritten(2)), (3, 0, 2));
        let (o, _) = opts(&[b"dumb-init", b"--rewrite=SIGTERM:sigquit,usr1:rtmin+2", b"x"], &[]);
        assert_eq!((o.rewritten(15), o.rewritten(10)), (3, 36));
        assert!(opts(&[b"catatonit", b"-g", b"x"], &[]).0.group);
        let (o, cmd) = opts(&[b"catatonit", b"-P"], &[]);
        assert_eq!((o.pause, cmd), (true, 2));
        assert_eq!(run(&[b"catatonit", b"-L"], &[]), Ok(Action::License));
        assert_eq!(run(&[b"tini", b"-l"], &[]), Ok(Action::License));
        assert_eq!(run(&[b"x", b"--license"], &[]), Ok(Action::License));
        // -c after -g, and the other way round: the last one wins.
        assert!(!opts(&[b"p", b"-g", b"-c", b"x"], &[]).0.group);
        assert!(opts(&[b"p", b"-c", b"-g", b"x"], &[]).0.group);
    }

    #[test]
    fn remap_covers_every_exit_code() {
        for code in 0..=255u32 {
            let arg = code.to_string();
            let (o, _) = opts(&[b"p", b"-e", arg.as_bytes(), b"x"], &[]);
            for other in 0..=255 {
                assert_eq!(o.remapped(other), if other == code as i32 { 0 } else { other });
            }
        }
        let (o, _) = opts(&[b"p", b"x"], &[b"PIDONE_REMAP=1,2,255"]);
        assert_eq!((o.remapped(1), o.remapped(2), o.remapped(255), o.remapped(3)), (0, 0, 0, 3));
        for bad in [&b"256"[..], b"-1", b"", b"1,", b"x", b"1.5"] {
            assert!(run(&[b"p", b"-e", bad, b"x"], &[]).is_err(), "{:?}", bad);
        }
    }

    #[test]
    fn rewrite_accepts_every_signal_name_and_number() {
        for sig in 1..=64u32 {
            let mut digits = [0; 20];
            let mut l = crate::msg::Line::new();
            l.sig(sig, &mut digits);
            // The name as pidone prints it, without the `pidone: ` prefix.
            let text = crate::msg::tests::text(&l);
            let name = text.strip_prefix("pidone: ").unwrap().as_bytes().to_vec();
            for spec in [[&name[..], b":USR2"].concat(), std::format!("{sig}:0").into_bytes()] {
                let (o, _) = opts(&[b"p", b"-r", &spec, b"x"], &[]);
                let want = if spec.ends_with(b":0") { 0 } else { 12 };
                assert_eq!(o.rewritten(sig), want, "{:?}", std::str::from_utf8(&spec));
            }
        }
        for bad in [&b"15"[..], b"15:", b":3", b"0:3", b"65:1", b"15:65", b"TERM:NOPE", b"15:3,", b""] {
            assert!(run(&[b"p", b"-r", bad, b"x"], &[]).is_err(), "{:?}", std::str::from_utf8(bad));
        }
    }

    #[test]
    fn pause_mode_takes_no_command() {
        assert_eq!(
            run(&[b"p", b"-P", b"sleep"], &[]).unwrap_err(),
            ArgError { kind: PauseCommand, short: false, name: b"sleep", value: b"" }
        );
        let (o, cmd) = opts(&[b"p"], &[b"PIDONE_PAUSE=1"]);
        assert!(o.pause);
        assert_eq!(cmd, 1);
    }

    #[test]
    fn peer_variables_and_precedence() {
        // tini: any value turns them on; verbosity counts from tini's default of 1.
        let (o, _) = opts(&[b"p", b"x"], &[b"TINI_KILL_PROCESS_GROUP=0", b"TINI_SUBREAPER=1", b"TINI_VERBOSITY=3"]);
        assert_eq!((o.group, o.verbose), (true, true));
        assert!(opts(&[b"p", b"x"], &[b"TINI_VERBOSITY=2"]).0.verbose);
        assert!(!opts(&[b"p", b"x"], &[b"TINI_VERBOSITY=1"]).0.verbose);
        assert!(!opts(&[b"p", b"x"], &[b"TINI_VERBOSITY=0"]).0.verbose);
        // dumb-init: SETSID=0 is single-child, 1 its group mode; DEBUG=1 is verbose.
        assert!(!opts(&[b"p", b"x"], &[b"DUMB_INIT_SETSID=0"]).0.group);
        assert!(opts(&[b"p", b"x"], &[b"DUMB_INIT_SETSID=1"]).0.group);
        assert!(opts(&[b"p", b"x"], &[b"DUMB_INIT_DEBUG=1"]).0.verbose);
        // pidone's variables beat the peers', flags beat both.
        assert!(!opts(&[b"p", b"x"], &[b"PIDONE_GROUP=0", b"TINI_KILL_PROCESS_GROUP=1"]).0.group);
        assert!(opts(&[b"p", b"-g", b"x"], &[b"PIDONE_GROUP=0", b"DUMB_INIT_SETSID=0"]).0.group);
        assert!(!opts(&[b"p", b"-c", b"x"], &[b"PIDONE_GROUP=1"]).0.group);
        assert!(!opts(&[b"p", b"x"], &[b"PIDONE_VERBOSE=0", b"TINI_VERBOSITY=4"]).0.verbose);
        let (o, _) = opts(&[b"p", b"-r", b"TERM:INT", b"x"], &[b"PIDONE_REWRITE=TERM:QUIT,HUP:USR1"]);
        assert_eq!((o.rewritten(15), o.rewritten(1)), (2, 10));
        let (o, _) = opts(&[b"p", b"-p", b"TERM", b"x"], &[b"PIDONE_PDEATHSIG=KILL"]);
        assert_eq!(o.pdeathsig, 15);
        assert_eq!(opts(&[b"p", b"x"], &[b"PIDONE_PDEATHSIG=KILL"]).0.pdeathsig, 9);
        assert!(opts(&[b"p", b"x"], &[b"PIDONE_WARN_REAP=1"]).0.warn_reap);
    }

    #[test]
    fn peer_variables_are_read_as_the_peers_read_them() {
        let on = |entry: &[u8], want_group: bool, want_verbose: bool| {
            let (o, _) = opts(&[b"p", b"x"], &[entry]);
            assert_eq!((o.group, o.verbose), (want_group, want_verbose), "{:?}", std::str::from_utf8(entry));
        };
        // tini: its switches by presence, even empty; TINI_VERBOSITY with atoi.
        on(b"TINI_KILL_PROCESS_GROUP=", true, false);
        on(b"TINI_KILL_PROCESS_GROUP=no", true, false);
        on(b"TINI_SUBREAPER=", false, false);
        for (v, verbose) in
            [("abc", false), ("", false), ("2", true), ("3x", true), (" 2", true), ("-5", false), ("1", false)]
        {
            on(std::format!("TINI_VERBOSITY={v}").as_bytes(), false, verbose);
        }
        // dumb-init: only SETSID=0 leaves its group mode, only DEBUG=1 turns debug on.
        for (v, group) in [("0", false), ("1", true), ("true", true), ("", true), ("no", true)] {
            on(std::format!("DUMB_INIT_SETSID={v}").as_bytes(), group, false);
        }
        for (v, verbose) in [("1", true), ("yes", false), ("", false), ("0", false)] {
            on(std::format!("DUMB_INIT_DEBUG={v}").as_bytes(), false, verbose);
        }
        // Never a usage error, whatever the value.
        for entry in [&b"TINI_VERBOSITY=loud"[..], b"DUMB_INIT_SETSID=yes", b"DUMB_INIT_DEBUG=on", b"TINI_SUBREAPER=x"]
        {
            assert!(run(&[b"p", b"x"], &[entry]).is_ok());
        }
        for (v, above) in [
            (&b"  +12abc"[..], true),
            (b"-3", false),
            (b"", false),
            (b"007", true),
            (b"001", false),
            (b"10", true),
            (b"\t2", true),
            (b"x2", false),
            (b"99999999999", true),
            (b"0000", false),
            // Blanks and a sign only before the digits, as for atoi.
            (b"1 1", false),
            (b"1+1", false),
            (b"++2", false),
        ] {
            assert_eq!(atoi_above_1(v), above, "{:?}", std::str::from_utf8(v));
        }
    }

    #[test]
    fn invalid_variables_are_named() {
        let cases: &[&[u8]] = &[
            b"PIDONE_GROUP=2",
            b"PIDONE_PAUSE=true",
            b"PIDONE_WARN_REAP=x",
            b"PIDONE_PDEATHSIG=SIGNOPE",
            b"PIDONE_REMAP=300",
            b"PIDONE_REWRITE=TERM",
            b"PIDONE_GRACE=1e3",
            b"PIDONE_VERBOSE=-1",
        ];
        for entry in cases {
            let eq = entry.iter().position(|&c| c == b'=').unwrap();
            assert_eq!(run(&[b"p", b"x"], &[entry]).unwrap_err(), long(Invalid, &entry[..eq], &entry[eq + 1..]));
        }
    }

    /// Thousands of random argument vectors and environments, built from the pieces the
    /// parser looks at: it must always answer (never panic, never index out of bounds),
    /// and a command index it returns must point into argv.
    #[test]
    fn random_command_lines_never_panic() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let pieces: &[&[u8]] = &[
            b"-",
            b"--",
            b"=",
            b",",
            b":",
            b"t",
            b"g",
            b"c",
            b"v",
            b"w",
            b"s",
            b"p",
            b"e",
            b"P",
            b"r",
            b"q",
            b"a",
            b"d",
            b"stop-delay",
            b"wait-all",
            b"l",
            b"L",
            b"h",
            b"V",
            b"x",
            b"0",
            b"1",
            b"9",
            b"255",
            b"256",
            b".",
            b"5.5",
            b"TERM",
            b"SIG",
            b"rtmin+",
            b"RTMAX-",
            b"grace",
            b"rewrite",
            b"help",
            b"\xff",
            b"99999999999999999999",
            b"",
        ];
        let vars: &[&[u8]] = &[
            b"PIDONE_GRACE=",
            b"PIDONE_REWRITE=",
            b"PIDONE_REMAP=",
            b"PIDONE_PDEATHSIG=",
            b"PIDONE_PAUSE=",
            b"TINI_VERBOSITY=",
            b"DUMB_INIT_SETSID=",
            b"PIDONE_GROUP=",
            b"PIDONE_STOP_DELAY=",
            b"PIDONE_WAIT_ALL=",
            b"PIDONE_QUIET=",
            b"PATH=",
        ];
        let word = |next: &mut dyn FnMut(usize) -> usize| {
            let mut w = Vec::new();
            for _ in 0..next(6) {
                w.extend_from_slice(pieces[next(pieces.len())]);
            }
            w
        };
        for _ in 0..20_000 {
            let argc = next(8);
            let args: Vec<Vec<u8>> = (0..argc).map(|_| word(&mut next)).collect();
            let env: Vec<Vec<u8>> = (0..next(3)).map(|_| [vars[next(vars.len())], &word(&mut next)].concat()).collect();
            let args: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
            let env: Vec<&[u8]> = env.iter().map(|e| e.as_slice()).collect();
            let mut o = Options::default();
            match parse(test_list(&args), test_list(&env), &mut o) {
                // In pause mode there is no command to point at.
                Ok(Action::Run(i)) => assert!(o.pause || i < argc, "{args:?}"),
                Ok(_) => {}
                Err(e) => assert!(e.kind as usize <= PauseCommand as usize),
            }
        }
    }

    #[test]
    fn getenv_finds_exact_names() {
        let env = test_list(&[b"PATHX=1", b"PATH=/bin", b"PATH=/usr/bin", b"EMPTY="]);
        assert_eq!(getenv(env, b"PATH="), Some(&b"/bin"[..]));
        assert_eq!(getenv(env, b"EMPTY="), Some(&b""[..]));
        assert_eq!(getenv(env, b"NOPE="), None);
        assert_eq!(find_var(env, b"PATH="), Some((1, &b"/bin"[..])));
        assert_eq!(find_var(env, b"EMPTY="), Some((3, &b""[..])));
    }

    #[test]
    fn seconds_parse_to_milliseconds() {
        let cases: &[(&[u8], Option<u64>)] = &[
            (b"0", Some(0)),
            (b"5", Some(5000)),
            (b"2.5", Some(2500)),
            (b"0.125", Some(125)),
            (b"10.05", Some(10050)),
            (b"4294967295", Some(4_294_967_295_000)),
            (b"", None),
            (b".5", None),
            (b"5.", None),
            (b"1.2345", None),
            (b"-1", None),
            (b"+1", None),
            (b"1s", None),
            (b" 1", None),
            (b"1.2.3", None),
            (b"4294967296", None),
            (b"99999999999999999999", None),
        ];
        for &(input, want) in cases {
            assert_eq!(parse_seconds(input), want, "{:?}", std::str::from_utf8(input));
        }
    }
}
