//! Drop-in use for tini, dumb-init and catatonit users: their options and environment
//! variables, pause mode, signal rewriting, and pidone invoked under their names.

mod common;
use common::*;

use std::process::Command;

fn sleeper() -> Vec<String> {
    vec![PYTHON.into(), "-c".into(), SLEEPER.into()]
}

/// Runs pidone as PID 1 with `args` + a sleeping command, sends it `sig`, returns the exit code.
fn code_after_signal(args: &[&str], env: &[(&str, &str)], sig: i32) -> i32 {
    let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    all.extend(sleeper());
    let mut cmd = pid1_command(&all);
    cmd.envs(env.iter().copied());
    let s = Session::start(cmd);
    assert_eq!(s.line(10), "ready");
    s.signal(sig);
    s.finish(10).code()
}

// ---- tini ----

#[test]
fn tini_exit_code_remap_covers_0_to_255() {
    // One pidone per code, each remapping only that code: it becomes 0, the next does not.
    for code in 0..=255 {
        let other = (code + 1) % 256;
        let script = format!("exit {code}");
        let out = pid1(&["-e", &code.to_string(), "-e", "77", "/bin/sh", "-c", &script]);
        assert_eq!(out.code(), 0, "-e {code}");
        if other != 77 {
            let out = pid1(&["-e", &code.to_string(), "/bin/sh", "-c", &format!("exit {other}")]);
            assert_eq!(out.code(), if other == 0 { 0 } else { other }, "-e {code} must leave {other} alone");
        }
    }
    // 128 + N counts too: a JVM's 143 on SIGTERM, remapped to success.
    assert_eq!(code_after_signal(&["-e", "143"], &[], libc::SIGTERM), 0);
    assert_eq!(code_after_signal(&[], &[("PIDONE_REMAP", "143,130")], libc::SIGINT), 0);
}

#[test]
fn tini_parent_death_signal_is_forwarded() {
    for spec in ["SIGUSR1".to_string(), "USR1".into(), target_sig(libc::SIGUSR1).to_string()] {
        // A launcher starts pidone (not PID 1); once the command is ready (pidone set its
        // parent-death signal before it started the command), the launcher is killed:
        // pidone gets SIGUSR1 and passes it on.
        let launcher = format!(
            "import subprocess, time\n\
             subprocess.Popen(['{bin}', '-p', '{spec}', '{py}', '{echo}', '1'])\n\
             time.sleep(600)",
            bin = bin(),
            py = PYTHON,
            echo = helper("sigecho.py"),
        );
        let mut cmd = Command::new(PYTHON);
        cmd.args(["-c", &launcher]);
        default_signals(&mut cmd);
        let s = Session::start(cmd);
        assert_eq!(s.line(10), "ready");
        kill(s.child.id() as i32, libc::SIGKILL);
        assert_eq!(s.line(10), "10", "-p {spec}");
        s.finish(10);
    }
    let out = pid1(&["-p", "SIGNOPE", "true"]);
    assert_eq!(out.code(), 2);
    assert_eq!(out.stderr.lines().next(), Some("pidone: invalid value for -p: 'SIGNOPE'"));
}

#[test]
fn tini_verbosity_flags_and_variable() {
    let out = pid1(&["-vvv", "true"]);
    assert!(out.stderr.starts_with("pidone: spawned "), "{}", out.stderr);
    let mut cmd = pid1_command(&["true"]);
    cmd.env("TINI_VERBOSITY", "2");
    assert!(run(cmd, 30).stderr.starts_with("pidone: spawned "));
    // tini's default, 1, is quiet.
    let mut cmd = pid1_command(&["true"]);
    cmd.env("TINI_VERBOSITY", "1");
    assert_eq!(run(cmd, 30).stderr, "");
}

#[test]
fn tini_warn_on_reap_reports_zombies_only() {
    // The shell waits until its orphan is gone (reaped by pidone), so it exits 0 for sure.
    let wait_orphan = "(/bin/sleep 0.1 &); while pgrep -x sleep >/dev/null; do sleep 0.05; done";
    let out = pid1(&["-w", "/bin/sh", "-c", wait_orphan]);
    assert_eq!(out.code(), 0);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", out.stderr);
    assert!(lines[0].starts_with("pidone: reaped ") && lines[0].ends_with(": exited 0"), "{}", out.stderr);
    let mut cmd = pid1_command(&["/bin/sh", "-c", wait_orphan]);
    cmd.env("PIDONE_WARN_REAP", "1");
    assert_eq!(run(cmd, 30).stderr.lines().count(), 1);
}

#[test]
fn tini_subreaper_flag_and_variable_are_accepted() {
    assert_eq!(pid1(&["-s", "/bin/sh", "-c", "exit 6"]).code(), 6);
    let mut cmd = plain_command(&["/bin/sh", "-c", "exit 6"]);
    cmd.env("TINI_SUBREAPER", "1");
    assert_eq!(run(cmd, 30).code(), 6);
}

#[test]
fn license_flags() {
    for flag in ["-l", "-L", "--license"] {
        let out = pid1(&[flag]);
        assert_eq!(out.code(), 0);
        assert!(out.stdout.contains("MIT License"), "{}", out.stdout);
    }
}

#[test]
fn group_forwarding_switches_and_their_precedence() {
    assert!(term_reaches_grandchild(&[], &[("TINI_KILL_PROCESS_GROUP", "1")]));
    assert!(term_reaches_grandchild(&[], &[("PIDONE_GROUP", "1")]));
    assert!(term_reaches_grandchild(&[], &[("DUMB_INIT_SETSID", "1")]));
    assert!(!term_reaches_grandchild(&[], &[("DUMB_INIT_SETSID", "0")]));
    // pidone's variable beats the peers'; a flag beats both.
    assert!(!term_reaches_grandchild(&[], &[("TINI_KILL_PROCESS_GROUP", "1"), ("PIDONE_GROUP", "0")]));
    assert!(term_reaches_grandchild(&["-g"], &[("PIDONE_GROUP", "0")]));
    assert!(!term_reaches_grandchild(&["--single-child"], &[("PIDONE_GROUP", "1")]));
    assert!(!term_reaches_grandchild(&["-c"], &[("DUMB_INIT_SETSID", "1")]));
}

// ---- dumb-init ----

#[test]
fn rewrite_every_signal_pidone_knows() {
    // Each signal pidone can receive and a Python child can collect is rewritten to
    // another one (a rotation), written as a name, a SIG name or a number.
    // Under qemu-user 7.2 the guest's real-time signal numbers are the host's minus two
    // (qemu keeps the host's first two for itself), so a real-time signal *named* by the
    // guest arrives as another number: the real-time part runs natively only.
    // The fault signals too: qemu-user handles the host's SIGSEGV and SIGBUS itself, and
    // sent with kill in quick succession they can kill the emulator (see hardening.rs).
    // (MIPS has no SIGSTKFLT.)
    let mut skip = vec![libc::SIGKILL, libc::SIGSTOP, libc::SIGCHLD, 32, 33];
    if target_sig(libc::SIGSTKFLT) < 0 {
        skip.push(libc::SIGSTKFLT);
    }
    let top = if foreign() {
        eprintln!("native only: rewriting to and from real-time and fault signals (qemu renumbers or handles them)");
        skip.extend(FAULTS);
        31
    } else {
        64
    };
    let sigs: Vec<i32> = (1..=top).filter(|s| !skip.contains(s)).collect();
    // Names as util-linux `kill -l` spells them (POLL for 29), and the real-time ones
    // as bash's `kill -l` does.
    let name = |s: i32| -> String {
        match s {
            34 => "RTMIN".into(),
            64 => "RTMAX".into(),
            35..=49 => format!("RTMIN+{}", s - 34),
            50..=63 => format!("RTMAX-{}", 64 - s),
            _ => {
                let out = std::process::Command::new("/usr/bin/kill").args(["-l", &s.to_string()]).output().unwrap();
                String::from_utf8(out.stdout).unwrap().trim().to_string()
            }
        }
    };
    let mut args: Vec<String> = Vec::new();
    for (i, &s) in sigs.iter().enumerate() {
        let to = sigs[(i + 1) % sigs.len()];
        let from = match i % 3 {
            0 => name(s),
            1 => format!("SIG{}", name(s).to_lowercase()),
            _ => target_sig(s).to_string(),
        };
        args.push("-r".into());
        args.push(format!("{from}:{}", if i % 2 == 0 { name(to) } else { target_sig(to).to_string() }));
    }
    args.extend(py("sigecho.py", &[&sigs.len().to_string()]));
    let s = Session::start(pid1_command(&args));
    assert_eq!(s.line(10), "ready");
    for (i, &sig) in sigs.iter().enumerate() {
        s.signal(sig);
        assert_eq!(s.line(10), sigs[(i + 1) % sigs.len()].to_string(), "rewrite of {sig} ({})", name(sig));
    }
    assert_eq!(s.finish(10).code(), 0);
}

#[test]
fn rewrite_to_zero_drops_and_term_to_quit_works() {
    let mut args: Vec<String> = ["--rewrite", "USR1:0", "-r", "TERM:QUIT"].iter().map(|s| s.to_string()).collect();
    args.extend(py("sigecho.py", &["2"]));
    let s = Session::start(pid1_command(&args));
    assert_eq!(s.line(10), "ready");
    s.signal(libc::SIGUSR1);
    s.signal(libc::SIGUSR2);
    assert_eq!(s.line(10), libc::SIGUSR2.to_string(), "USR1 should have been dropped");
    s.signal(libc::SIGTERM);
    assert_eq!(s.line(10), libc::SIGQUIT.to_string());
    assert_eq!(s.finish(10).code(), 0);
    // From the environment, and a bad spec is a usage error.
    assert_eq!(code_after_signal(&[], &[("PIDONE_REWRITE", "TERM:INT")], libc::SIGTERM), 130);
    let out = pid1(&["-r", "TERM", "true"]);
    assert_eq!(out.code(), 2);
    assert_eq!(out.stderr.lines().next(), Some("pidone: invalid value for -r: 'TERM'"));
}

#[test]
fn dumb_init_debug_variable_is_verbose() {
    let mut cmd = pid1_command(&["true"]);
    cmd.env("DUMB_INIT_DEBUG", "1");
    assert!(run(cmd, 30).stderr.starts_with("pidone: spawned "));
}

#[test]
fn tstp_is_forwarded_and_pidone_never_stops() {
    // dumb-init stops itself after forwarding SIGTSTP; pidone must not.
    let s = Session::start(pid1_command(&py("sigecho.py", &["3"])));
    assert_eq!(s.line(10), "ready");
    let pid = s.pidone_pid();
    for sig in [libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU] {
        s.signal(sig);
        assert_eq!(s.line(10), sig.to_string());
        // After the third signal the helper exits and pidone may be gone already: no stat
        // then. A pidone that had stopped could not exit, and `finish` would fail.
        if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            assert_ne!(stat.rsplit(')').next().unwrap().split_whitespace().next(), Some("T"));
        }
    }
    assert_eq!(s.finish(10).code(), 0);
}

// ---- catatonit ----

#[test]
fn pause_mode_exits_0_on_term_or_int_and_ignores_the_rest() {
    for (args, env) in [(vec!["-P"], vec![]), (vec!["--pause"], vec![]), (vec![], vec![("PIDONE_PAUSE", "1")])] {
        for sig in [libc::SIGTERM, libc::SIGINT] {
            let s = pause(&args, &env);
            s.signal(libc::SIGHUP);
            s.signal(libc::SIGUSR1);
            std::thread::sleep(std::time::Duration::from_millis(200));
            assert!(alive(s.pidone_pid()), "pause mode must ignore HUP and USR1");
            s.signal(sig);
            let out = s.finish(10);
            assert_eq!(out.code(), 0, "{}", out.stderr);
        }
    }
}

#[test]
fn pause_mode_reaps_what_joins_the_namespace_and_never_wakes() {
    let s = pause(&["-P", "-v"], &[]);
    let pid = s.pidone_pid();
    let switches = || {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        status.lines().filter(|l| l.contains("ctxt_switches")).collect::<Vec<_>>().join(",")
    };
    let before = switches();
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert_eq!(switches(), before, "pause mode woke up while idle");
    // A process entering the namespace from outside leaves orphans; they come to pidone.
    let script = "import os
for _ in range(20):
    if os.fork() == 0:
        if os.fork() == 0:
            os._exit(0)
        os._exit(0)
    os.wait()
import time
def zombies():
    z = 0
    for p in os.listdir('/proc'):
        try:
            if p.isdigit() and open('/proc/%s/stat' % p).read().rsplit(')', 1)[1].split()[0] == 'Z': z += 1
        except OSError: pass
    return z
deadline = time.monotonic() + 60
while zombies() and time.monotonic() < deadline: time.sleep(0.01)
print(zombies())";
    let out = Command::new("nsenter")
        .args(["--target", &pid.to_string(), "--pid", "--mount", "--", PYTHON, "-c", script])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0", "{}", String::from_utf8_lossy(&out.stderr));
    s.signal(libc::SIGTERM);
    let out = s.finish(10);
    assert_eq!(out.code(), 0);
    assert!(out.stderr.contains("reaped "), "{}", out.stderr);
}

#[test]
fn pause_mode_stops_the_processes_left_gracefully() {
    // As a pod's infra container: processes of the pod in its namespace get SIGTERM first.
    let dir = scratch_dir("pause-survivor");
    let file = dir.join("log");
    // A grace far beyond the 0.5 s cleanup (on a loaded machine it took over 5 s, the
    // default); the shutdown ends as soon as the survivor is gone.
    let s = pause(&["-P", "-t", "60"], &[]);
    let pid = s.pidone_pid();
    let mut joined = Command::new("nsenter")
        .args(["--target", &pid.to_string(), "--pid", "--mount", "--"])
        .args([PYTHON, &helper("survivor.py"), "trap", file.to_str().unwrap()])
        .spawn()
        .unwrap();
    wait_for("the survivor to start", 10, || std::fs::read_to_string(&file).is_ok_and(|l| l.contains("started")));
    s.signal(libc::SIGTERM);
    assert_eq!(s.finish(90).code(), 0);
    assert!(std::fs::read_to_string(&file).unwrap().contains("cleaned"));
    let _ = joined.wait();
}

#[test]
fn pause_mode_takes_no_command() {
    let out = pid1(&["-P", "sleep", "1"]);
    assert_eq!(out.code(), 2);
    assert_eq!(out.stderr.lines().next(), Some("pidone: pause mode runs no command: sleep"));
}

// ---- names ----

#[test]
fn invoked_under_a_peers_name_it_is_still_pidone() {
    let dir = scratch_dir("names");
    for name in ["docker-init", "tini", "dumb-init", "catatonit"] {
        let link = dir.join(name);
        std::os::unix::fs::symlink(bin(), &link).unwrap();
        let mut version = Command::new(&link);
        version.arg("--version");
        let out = run(version, 10);
        assert!(out.stdout.starts_with("pidone "), "{name}: {}", out.stdout);
        assert!(out.stdout.contains(" - git."), "{name}: docker info parses ` - git.`");
        let mut cmd = Command::new("/usr/bin/unshare");
        cmd.args(["--pid", "--fork", "--mount-proc", "--kill-child"])
            .arg(&link)
            .args(["-g", "-e", "3", "--", "/bin/sh", "-c", "exit 3"]);
        default_signals(&mut cmd);
        assert_eq!(run(cmd, 30).code(), 0, "{name}");
        let mut bad = Command::new(&link);
        bad.arg("-x");
        let out = run(bad, 10);
        assert_eq!(out.code(), 2);
        assert_eq!(out.stderr.lines().next(), Some("pidone: unknown option -x"));
    }
}

/// The peers' variables read as the peers read them, side by side with the real binaries:
/// a value the peer accepts never stops pidone from starting, and group forwarding is on
/// or off as the peer has it. (dumb-init forwards to the group by default, pidone does
/// not, a deliberate difference: so DUMB_INIT_DEBUG is compared on its own effect, quiet
/// output, not on the mode.)
#[test]
fn peer_variables_match_the_real_peers() {
    let cases: &[(&str, &str, &str)] = &[
        ("/usr/bin/tini-static", "TINI_KILL_PROCESS_GROUP", ""),
        ("/usr/bin/tini-static", "TINI_KILL_PROCESS_GROUP", "0"),
        ("/usr/bin/tini-static", "TINI_VERBOSITY", "abc"),
        ("/usr/bin/tini-static", "TINI_VERBOSITY", "0"),
        ("/usr/bin/tini-static", "TINI_SUBREAPER", ""),
        ("/usr/bin/dumb-init", "DUMB_INIT_SETSID", "true"),
        ("/usr/bin/dumb-init", "DUMB_INIT_SETSID", "1"),
        ("/usr/bin/dumb-init", "DUMB_INIT_SETSID", "0"),
        ("/usr/bin/dumb-init", "DUMB_INIT_SETSID", "yes"),
    ];
    for &(path, var, value) in cases {
        let Some(init) = peer(path) else { continue };
        let (theirs, _) = term_reaches_grandchild_under(&init, &["--"], &[(var, value)]);
        let (ours, _) = term_reaches_grandchild_under(&bin(), &[], &[(var, value)]);
        assert_eq!(ours, theirs, "{var}={value:?}: group forwarding under pidone and {path}");
    }
    for (path, var, value) in
        [("/usr/bin/dumb-init", "DUMB_INIT_DEBUG", "yes"), ("/usr/bin/tini-static", "TINI_VERBOSITY", "abc")]
    {
        let Some(init) = peer(path) else { continue };
        let (_, theirs) = term_reaches_grandchild_under(&init, &["--"], &[(var, value)]);
        let (_, ours) = term_reaches_grandchild_under(&bin(), &[], &[(var, value)]);
        assert_eq!((ours.as_str(), theirs.as_str()), ("", ""), "{var}={value:?}: both run the command, quietly");
    }
}
