//! Starting the command: fork, give it its own process group (and the terminal), restore
//! the signal mask pidone started with, and exec it with an `execvp`-style PATH search.

use linux_raw_sys::general as g;

use crate::args;
use crate::msg::{self, Line, PATH_MAX, PathBuf};
use crate::reap;
use crate::signals;
use crate::sys::{self, CPath, CStrList, Errno, SigAction, SigSet, Swap};
use crate::table::{has, split};

/// What PATH is when the environment has none: the one tini, Docker and systemd use.
pub const DEFAULT_PATH: &[u8] = b"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// What pidone was started with and changed for itself, which the command gets back.
pub struct Inherited {
    /// The signal mask.
    pub mask: SigSet,
    /// SIGCHLD's disposition (pidone resets it to the default for itself).
    pub sigchld: SigAction,
}

/// What `execvp` runs a file with when the kernel cannot (ENOEXEC): a script without `#!`.
const SHELL: CPath = CPath::of(c"/bin/sh");

/// The variable of socket activation (sd_listen_fds), as it starts an entry.
const LISTEN_PID: &[u8] = b"LISTEN_PID=";

/// Forks and execs the command, `argv[cmd..]`, with `env`. Returns the child's pid; the
/// child never returns (it execs, or reports the failure and exits 126/127). `cmd` is at
/// least 1: the entry before the command is where `/bin/sh` goes for a script.
pub fn spawn_child(argv: CStrList, cmd: usize, env: CStrList, inherited: &Inherited) -> Result<i32, Errno> {
    let parent = sys::getpid();
    // SAFETY: pidone has one thread: it never starts another.
    let pid = unsafe { sys::fork(g::SIGCHLD) }?;
    if pid == 0 {
        sys::exit(exec_child(argv, cmd, env, inherited, parent));
    }
    // Also set in the parent, so the group exists before pidone forwards anything to it,
    // whichever process runs first. Fails harmlessly (EACCES) once the child has exec'd.
    let _ = sys::setpgid(pid, pid);
    Ok(pid)
}

/// Keeps the number of process group `pgid` from being given to anybody else, once its
/// leader (the command) has ended and been reaped: a child of pidone joins the group and
/// exits at once, and its zombie, a member of the group, keeps the number in use until
/// pidone reaps it (`sys::reap`). A zombie takes no signal, so signalling the group can do
/// it no harm. Returns its pid, or `None` when it could not join (the command made a
/// session of its own, which a process of pidone's session cannot enter) or be made.
///
/// Why not keep the command's own zombie: pidone must go on reaping orphans with
/// wait4(-1), which would reap it too. A child that reports its end with no signal (exit
/// signal 0, not SIGCHLD) is one wait4 without __WALL never reaps, but exec makes every
/// process report with SIGCHLD again; this child never execs. (qemu-user refuses exit
/// signals other than SIGCHLD: no stand-in there, and the group is not signalled once
/// the command has been reaped.)
pub fn pin_group(pgid: i32) -> Option<i32> {
    // SAFETY: pidone has one thread: it never starts another.
    let pid = unsafe { sys::fork(0) }.ok()?;
    if pid == 0 {
        sys::exit(sys::setpgid(0, pgid).is_err() as i32);
    }
    // Its end, without reaping it: it exits at once, after its setpgid.
    if sys::wait_end(pid, 0) == Ok(Some(0)) {
        return Some(pid);
    }
    sys::reap(pid);
    None
}

/// The child's side: returns only the exit code of a failed exec.
fn exec_child(argv: CStrList, cmd: usize, env: CStrList, inherited: &Inherited, parent: i32) -> i32 {
    // Its own process group, and the terminal's foreground group if stdin is one, so
    // Ctrl-C reaches the command and not pidone. Done here, while SIGTTOU is still
    // blocked, like tini: no tty (ENOTTY) or someone else's tty (EPERM) is fine.
    let _ = sys::setpgid(0, 0);
    let _ = sys::tcsetpgrp(0, sys::getpid());
    // The command gets exactly the mask and dispositions pidone was started with. pidone
    // installs no handlers (execve keeps only what was ignored); it only reset SIGCHLD.
    let _ = sys::sigaction(g::SIGCHLD, &inherited.sigchld);
    let _ = sys::set_sigmask(inherited.mask);
    let args = argv.skip(cmd);
    let Some(name) = args.get(0).map(CPath::of) else {
        return reap::EXIT_NOT_FOUND;
    };
    // Socket activation: sockets passed to pidone (`LISTEN_PID` naming pidone) are meant
    // for the command, which sd_listen_fds only accepts when LISTEN_PID names it: say so
    // (catatonit does the same). Any other LISTEN_PID is left alone; only digits name a
    // pid (sd_listen_fds's reading; catatonit also takes `1x` for 1).
    let mut entry = [0; 32];
    let listen = match args::find_var(env, LISTEN_PID) {
        Some((at, value)) if signals::parse_u32(value) == Some(parent as u32) => {
            listen_pid_entry(sys::getpid(), &mut entry).map_or(Swap::NONE, |with| env.swap(at, with))
        }
        _ => Swap::NONE,
    };
    // (search_path uses PATH only for a name without a slash.)
    let path = args::getenv(env, b"PATH=").unwrap_or(DEFAULT_PATH);
    let mut err = search_path(name, path, |file| {
        let err = sys::execve_with(file, args, env, [listen, Swap::NONE, Swap::NONE]);
        if err == Errno::ENOEXEC
            && let Some(before) = cmd.checked_sub(1)
        {
            // execvp's fallback for a file the kernel does not know how to run: a shell
            // script without `#!`, run as `/bin/sh FILE ARG...`. Where there is no shell
            // (a scratch image), the file's own error is the one to report.
            let script = argv.skip(before);
            let _ = sys::execve_with(SHELL, script, env, [listen, script.swap(0, SHELL), script.swap(1, file)]);
        }
        err
    });
    // execve says EACCES for a directory; say what a shell says.
    if err == Errno::EACCES
        && has(name.bytes(), b'/')
        && let Ok(fd) = sys::openat(g::AT_FDCWD, name, g::O_RDONLY | g::O_DIRECTORY)
    {
        sys::close(fd);
        err = Errno::EISDIR;
    }
    // Block signals again so a broken stderr (SIGPIPE) cannot turn 127 into 141.
    let _ = sys::set_sigmask(!0);
    Line::new().push(b"exec ").push(name.bytes()).push(b": ").errno(err, &mut [0; 20]).send();
    reap::exec_failure_code(err)
}

/// `LISTEN_PID=<pid>` with its NUL, in `buf`: a few bytes, where a PATH_MAX buffer would
/// double the child's stack frame (a command started with a 16 KiB stack must still run).
fn listen_pid_entry(pid: i32, buf: &mut [u8; 32]) -> Option<CPath<'_>> {
    let mut digits = [0; 20];
    let mut len = 0;
    for part in [LISTEN_PID, msg::decimal(pid as u64, &mut digits), b"\0"] {
        for &c in part {
            *buf.get_mut(len)? = c;
            len += 1;
        }
    }
    CPath::new(buf.get(..len)?)
}

/// `execvp`'s search: a name with a slash is used as it is; otherwise each PATH entry is
/// tried in order (an empty entry, or an empty PATH, is the current directory). Permission errors are
/// remembered and reported if nothing else is found; errors other than "not here" stop
/// the search. `exec` is only called with paths that fit PATH_MAX and returns on failure.
pub fn search_path(name: CPath, path: &[u8], mut exec: impl FnMut(CPath) -> Errno) -> Errno {
    let bytes = name.bytes();
    if bytes.is_empty() {
        return Errno::ENOENT;
    }
    if has(bytes, b'/') {
        return exec(name);
    }
    // What execvp says for a name no directory entry can have.
    if bytes.len() > g::NAME_MAX as usize {
        return Errno::ENAMETOOLONG;
    }
    search_dirs(bytes, path, exec)
}

/// The PATH search proper: `dir/name` for each entry, built in a PATH_MAX buffer. Not
/// inlined, so that the buffer takes stack only while PATH is searched, not for a name
/// with a slash: the child then needs 4 KiB less (bench/stack.py).
#[inline(never)]
fn search_dirs(bytes: &[u8], path: &[u8], mut exec: impl FnMut(CPath) -> Errno) -> Errno {
    let mut space = [0; PATH_MAX];
    let mut buf = PathBuf::new(&mut space);
    let mut denied = false;
    for dir in split(path, b':') {
        buf.clear();
        if !dir.is_empty() {
            buf.push(dir).push(b"/");
        }
        let Some(file) = buf.push(bytes).cpath() else {
            continue;
        };
        match exec(file) {
            Errno::EACCES => denied = true,
            Errno::ENOENT | Errno::ENOTDIR | Errno::ESTALE | Errno::ENODEV | Errno::ETIMEDOUT => {}
            e => return e,
        }
    }
    if denied { Errno::EACCES } else { Errno::ENOENT }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;
    use std::vec::Vec;

    /// Runs `search_path` with a fake exec that answers from `results` (by path) and
    /// records what was tried.
    fn search(name: &str, path: &str, results: &[(&str, Errno)]) -> (Errno, Vec<String>) {
        let name = std::format!("{name}\0");
        let mut tried = Vec::new();
        let e = search_path(CPath::new(name.as_bytes()).unwrap(), path.as_bytes(), |p| {
            let p = String::from_utf8(p.bytes().to_vec()).unwrap();
            let e = results.iter().find(|(q, _)| *q == p).map_or(Errno::ENOENT, |r| r.1);
            tried.push(p);
            e
        });
        (e, tried)
    }

    #[test]
    fn listen_pid_entries_name_the_pid() {
        let mut buf = [0xff; 32];
        assert_eq!(listen_pid_entry(1, &mut buf).map(|c| c.bytes()), Some(&b"LISTEN_PID=1"[..]));
        assert_eq!(buf[12], 0);
        let max = listen_pid_entry(i32::MAX, &mut buf).map(|c| c.bytes());
        assert_eq!(max, Some(&b"LISTEN_PID=2147483647"[..]));
    }

    #[test]
    fn names_with_a_slash_are_not_searched() {
        assert_eq!(search("./x", "/bin", &[]), (Errno::ENOENT, std::vec!["./x".into()]));
        assert_eq!(search("/a/b", "/bin", &[("/a/b", Errno::EACCES)]).0, Errno::EACCES);
    }

    #[test]
    fn path_entries_are_tried_in_order_and_empty_means_here() {
        let (e, tried) = search("ls", "/a::/b/", &[]);
        assert_eq!(e, Errno::ENOENT);
        assert_eq!(tried, ["/a/ls", "ls", "/b//ls"]);
        let (_, tried) = search("ls", "", &[]);
        assert_eq!(tried, ["ls"]);
        let (_, tried) = search("ls", ":", &[]);
        assert_eq!(tried, ["ls", "ls"]);
    }

    #[test]
    fn permission_errors_are_remembered_other_errors_stop() {
        assert_eq!(search("x", "/a:/b", &[("/a/x", Errno::EACCES)]).0, Errno::EACCES);
        let (e, tried) = search("x", "/a:/b:/c", &[("/a/x", Errno::EACCES), ("/b/x", Errno::ENOEXEC)]);
        assert_eq!((e, tried.len()), (Errno::ENOEXEC, 2));
        let (e, tried) = search("x", "/a:/b", &[("/a/x", Errno::ENOTDIR)]);
        assert_eq!((e, tried.len()), (Errno::ENOENT, 2));
    }

    #[test]
    fn empty_names_and_overlong_paths() {
        assert_eq!(search("", "/bin", &[]), (Errno::ENOENT, Vec::new()));
        assert_eq!(search(&"n".repeat(256), "/bin", &[]), (Errno::ENAMETOOLONG, Vec::new()));
        assert_eq!(search(&"n".repeat(255), "/bin", &[]).1.len(), 1);
        let long = "d".repeat(g::PATH_MAX as usize);
        let (e, tried) = search("x", &std::format!("{long}:/bin"), &[]);
        assert_eq!((e, tried), (Errno::ENOENT, std::vec!["/bin/x".into()]));
    }
}
