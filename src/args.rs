//! Command line and environment parsing. Pure: takes byte strings, makes no system calls.
//!
//! Options end at `--` or at the first word that is not an option (like tini's and
//! getopt's `+` mode), so everything after that belongs to the command untouched.
//! Every option is known by its letter; long names and environment variables map to it.

use crate::msg::has;
use crate::signals::parse_u32;
use crate::sys::CStrList;

/// What PATH is when the environment has none: the one tini, Docker and systemd use.
pub const DEFAULT_PATH: &[u8] = b"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Default grace period between SIGTERM and SIGKILL at shutdown.
pub const DEFAULT_GRACE_MS: u64 = 5000;

/// The option letters pidone knows.
const LETTERS: &[u8] = b"tgvshV";
/// The letters whose option takes a value.
const WITH_VALUE: &[u8] = b"t";
/// Long options, each as `<letter><name>`, space-separated.
const LONG: &[u8] = b"tgrace vverbose hhelp Vversion";
/// Environment variables, each as `<letter><name>`: they set the option's default.
const ENV: &[u8] = b"tPIDONE_GRACE vPIDONE_VERBOSE";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Milliseconds between SIGTERM and SIGKILL for the processes left at shutdown.
    pub grace_ms: u64,
    /// 0: silent; 1 or more: one line per event on stderr.
    pub verbose: u32,
    /// Forward signals to the command's whole process group.
    pub group: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { grace_ms: DEFAULT_GRACE_MS, verbose: 0, group: false }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Run the command that starts at index `cmd` of argv.
    Run { opts: Options, cmd: usize },
    Help,
    Version,
}

/// A usage error, printed as `<msg><name>` and then `: '<value>'` if there is a value.
#[derive(Debug, PartialEq, Eq)]
pub struct ArgError<'a> {
    pub msg: &'static [u8],
    pub name: &'a [u8],
    pub value: Option<&'a [u8]>,
}

const fn error<'a>(msg: &'static [u8], name: &'a [u8], value: Option<&'a [u8]>) -> ArgError<'a> {
    ArgError { msg, name, value }
}

/// The value of variable `name` in `env` (entries `NAME=value`); the first one wins, as
/// with getenv. An empty value counts as unset.
pub fn getenv(env: CStrList, name: &[u8]) -> Option<&'static [u8]> {
    let mut i = 0;
    while let Some(entry) = env.bytes(i) {
        i += 1;
        if let Some(value) = entry.strip_prefix(name).and_then(|v| v.strip_prefix(b"=")) {
            return Some(value).filter(|v| !v.is_empty());
        }
    }
    None
}

/// `<letter><name>` entries of a space-separated table.
fn entries(table: &'static [u8]) -> impl Iterator<Item = (u8, &'static [u8])> {
    table.split(|&c| c == b' ').filter_map(|e| e.split_first().map(|(l, n)| (*l, n)))
}

/// Parses argv (including argv[0]) and the environment. Environment variables set the
/// defaults; command-line flags override them.
pub fn parse(argv: CStrList, env: CStrList) -> Result<Action, ArgError<'static>> {
    let mut opts = Options::default();
    for (letter, var) in entries(ENV) {
        if let Some(value) = getenv(env, var) {
            apply(letter, Some(value), &mut opts).ok_or(error(b"invalid value for ", var, Some(value)))?;
        }
    }

    let mut i = 1;
    while let Some(arg) = argv.bytes(i) {
        if arg == b"--" {
            i += 1;
            break;
        }
        // A lone `-` or a word without one starts the command.
        let Some(body) = arg.strip_prefix(b"-").filter(|b| !b.is_empty()) else { break };
        i += 1;
        let mut next = || {
            i += 1;
            argv.bytes(i - 1)
        };
        let done = if let Some(long) = body.strip_prefix(b"-") {
            // --name or --name=value
            let (name, inline) = match long.iter().position(|&c| c == b'=') {
                Some(eq) => (&arg[..eq + 2], Some(&long[eq + 1..])),
                None => (arg, None),
            };
            let (letter, _) = entries(LONG)
                .find(|(_, n)| Some(*n) == name.get(2..))
                .ok_or(error(b"unknown option ", name, None))?;
            let value = match (has(WITH_VALUE, letter), inline) {
                (true, None) => Some(next().ok_or(error(b"missing value for ", name, None))?),
                (false, Some(v)) => return Err(error(b"invalid value for ", name, Some(v))),
                (_, value) => value,
            };
            apply(letter, value, &mut opts).ok_or(error(b"invalid value for ", name, value))?
        } else {
            // A cluster of short options: -vvg, -t5, -vt 5.
            let mut done = None;
            let mut k = 0;
            while let (None, Some(&letter)) = (done, body.get(k)) {
                let name = &body[k..=k];
                k += 1;
                if !has(LETTERS, letter) {
                    return Err(error(b"unknown option -", name, None));
                }
                let mut value = None;
                if has(WITH_VALUE, letter) {
                    value = match &body[k..] {
                        [] => Some(next().ok_or(error(b"missing value for -", name, None))?),
                        rest => Some(rest),
                    };
                    k = body.len();
                }
                done = apply(letter, value, &mut opts).ok_or(error(b"invalid value for -", name, value))?;
            }
            done
        };
        if let Some(action) = done {
            return Ok(action);
        }
    }
    match argv.bytes(i) {
        Some(_) => Ok(Action::Run { opts, cmd: i }),
        None => Err(error(b"no command given", b"", None)),
    }
}

/// Applies one option (a value from the environment counts as the option's value).
/// `None` for a value it cannot use; `Some(Some(_))` when it ends parsing (help, version).
fn apply(letter: u8, value: Option<&[u8]>, opts: &mut Options) -> Option<Option<Action>> {
    let v = value.unwrap_or_default();
    match letter {
        b't' => opts.grace_ms = parse_seconds(v)?,
        b'g' => opts.group = true,
        // -v counts up; PIDONE_VERBOSE gives the level.
        b'v' => opts.verbose = if value.is_some() { parse_u32(v)? } else { opts.verbose.saturating_add(1) },
        b'h' => return Some(Some(Action::Help)),
        b'V' => return Some(Some(Action::Version)),
        // -s: pidone always makes itself a subreaper; tini's flag is accepted for drop-in use.
        _ => {}
    }
    Some(None)
}

/// Seconds as `5`, `0`, `2.5` or `0.125`, to milliseconds (finer digits are refused).
pub fn parse_seconds(s: &[u8]) -> Option<u64> {
    let (whole, frac) = match s.iter().position(|&c| c == b'.') {
        Some(dot) => (&s[..dot], &s[dot + 1..]),
        None => (s, &b"0"[..]),
    };
    let mut ms = [b'0'; 3];
    ms.get_mut(..frac.len())?.copy_from_slice(frac);
    if frac.is_empty() {
        return None;
    }
    (parse_u32(whole)? as u64).checked_mul(1000)?.checked_add(parse_u32(&ms)? as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::test_list;

    fn run(args: &[&[u8]], env: &[&[u8]]) -> Result<Action, ArgError<'static>> {
        parse(test_list(args), test_list(env))
    }

    fn opts(args: &[&[u8]], env: &[&[u8]]) -> (Options, usize) {
        match run(args, env) {
            Ok(Action::Run { opts, cmd }) => (opts, cmd),
            other => panic!("expected Run, got {other:?}"),
        }
    }

    #[test]
    fn command_starts_at_first_word_that_is_not_an_option() {
        assert_eq!(opts(&[b"pidone", b"sleep", b"-t", b"1"], &[]), (Options::default(), 1));
        let (o, cmd) = opts(&[b"pidone", b"-v", b"-g", b"cmd", b"-v"], &[]);
        assert_eq!((o.verbose, o.group, cmd), (1, true, 3));
        // `--` ends options; what follows is the command even if it looks like an option.
        assert_eq!(opts(&[b"pidone", b"--", b"-v"], &[]).1, 2);
        assert_eq!(opts(&[b"pidone", b"-v", b"--", b"--", b"x"], &[]).1, 3);
        // A lone `-` is a word, not an option.
        assert_eq!(opts(&[b"pidone", b"-", b"x"], &[]).1, 1);
    }

    #[test]
    fn short_options_cluster_and_take_attached_or_separate_values() {
        assert_eq!(opts(&[b"pidone", b"-vvg", b"x"], &[]).0.verbose, 2);
        assert_eq!(opts(&[b"pidone", b"-t5", b"x"], &[]).0.grace_ms, 5000);
        let (o, cmd) = opts(&[b"pidone", b"-vt", b"2.5", b"x"], &[]);
        assert_eq!((o.verbose, o.grace_ms, cmd), (1, 2500, 3));
        assert_eq!(opts(&[b"pidone", b"-s", b"x"], &[]).0, Options::default());
    }

    #[test]
    fn long_options_take_values_with_equals_or_separately() {
        assert_eq!(opts(&[b"pidone", b"--grace=0", b"x"], &[]).0.grace_ms, 0);
        assert_eq!(opts(&[b"pidone", b"--grace", b"7", b"x"], &[]).0.grace_ms, 7000);
        assert_eq!(opts(&[b"pidone", b"--verbose", b"--verbose", b"x"], &[]).0.verbose, 2);
        assert_eq!(run(&[b"pidone", b"--help", b"x"], &[]), Ok(Action::Help));
        assert_eq!(run(&[b"pidone", b"--version"], &[]), Ok(Action::Version));
        assert_eq!(run(&[b"pidone", b"-h"], &[]), Ok(Action::Help));
        assert_eq!(run(&[b"pidone", b"-vV"], &[]), Ok(Action::Version));
    }

    #[test]
    fn usage_errors_name_what_was_wrong() {
        let err = |args: &[&[u8]]| run(args, &[]).unwrap_err();
        assert_eq!(err(&[b"pidone"]), error(b"no command given", b"", None));
        assert_eq!(err(&[]), error(b"no command given", b"", None));
        assert_eq!(err(&[b"pidone", b"--"]), error(b"no command given", b"", None));
        assert_eq!(err(&[b"pidone", b"-v"]), error(b"no command given", b"", None));
        assert_eq!(err(&[b"pidone", b"-x", b"cmd"]), error(b"unknown option -", b"x", None));
        assert_eq!(err(&[b"pidone", b"-vqx", b"cmd"]), error(b"unknown option -", b"q", None));
        assert_eq!(err(&[b"pidone", b"--nope", b"cmd"]), error(b"unknown option ", b"--nope", None));
        assert_eq!(err(&[b"pidone", b"--nope=1", b"cmd"]), error(b"unknown option ", b"--nope", None));
        assert_eq!(err(&[b"pidone", b"-t"]), error(b"missing value for -", b"t", None));
        assert_eq!(err(&[b"pidone", b"--grace"]), error(b"missing value for ", b"--grace", None));
        assert_eq!(err(&[b"pidone", b"-t", b"x", b"cmd"]), error(b"invalid value for -", b"t", Some(b"x")));
        assert_eq!(
            err(&[b"pidone", b"--grace=-1", b"cmd"]),
            error(b"invalid value for ", b"--grace", Some(b"-1"))
        );
        assert_eq!(
            err(&[b"pidone", b"-t", b"99999999999999999999", b"c"]),
            error(b"invalid value for -", b"t", Some(b"99999999999999999999"))
        );
        assert_eq!(
            err(&[b"pidone", b"--help=1", b"cmd"]),
            error(b"invalid value for ", b"--help", Some(b"1"))
        );
    }

    #[test]
    fn environment_sets_defaults_and_flags_win() {
        let (o, _) = opts(&[b"pidone", b"x"], &[b"PIDONE_GRACE=1.5", b"PIDONE_VERBOSE=3"]);
        assert_eq!((o.grace_ms, o.verbose), (1500, 3));
        let (o, _) = opts(&[b"pidone", b"-t", b"9", b"x"], &[b"PIDONE_GRACE=1"]);
        assert_eq!(o.grace_ms, 9000);
        // Empty means unset; the first definition wins, as with getenv.
        assert_eq!(opts(&[b"pidone", b"x"], &[b"PIDONE_GRACE="]).0.grace_ms, DEFAULT_GRACE_MS);
        assert_eq!(opts(&[b"pidone", b"x"], &[b"PIDONE_GRACE=2", b"PIDONE_GRACE=3"]).0.grace_ms, 2000);
        // A variable whose name only starts the same is another variable.
        assert_eq!(opts(&[b"pidone", b"x"], &[b"PIDONE_GRACEX=2"]).0.grace_ms, DEFAULT_GRACE_MS);
        assert_eq!(
            run(&[b"pidone", b"x"], &[b"PIDONE_VERBOSE=yes"]).unwrap_err(),
            error(b"invalid value for ", b"PIDONE_VERBOSE", Some(b"yes"))
        );
        assert_eq!(
            run(&[b"pidone", b"-t", b"1", b"x"], &[b"PIDONE_GRACE=bad"]).unwrap_err(),
            error(b"invalid value for ", b"PIDONE_GRACE", Some(b"bad"))
        );
    }

    #[test]
    fn getenv_finds_exact_names() {
        let env = test_list(&[b"PATHX=1", b"PATH=/bin", b"PATH=/usr/bin", b"EMPTY="]);
        assert_eq!(getenv(env, b"PATH"), Some(&b"/bin"[..]));
        assert_eq!(getenv(env, b"EMPTY"), None);
        assert_eq!(getenv(env, b"NOPE"), None);
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
