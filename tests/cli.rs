//! The command line, exec failures and exit codes, end to end as PID 1.

mod common;
use common::*;
use std::process::Command;

#[test]
fn help_goes_to_stdout_and_exits_0() {
    for flag in ["-h", "--help"] {
        let out = pid1(&[flag]);
        assert_eq!(out.code(), 0);
        assert!(out.stdout.starts_with("usage: pidone [OPTIONS] [--] COMMAND [ARG...]\n"), "{}", out.stdout);
        // Whole lines: a shell prompt after `pidone --help` starts on a line of its own.
        assert!(out.stdout.ends_with(" error\n"), "{:?}", &out.stdout[out.stdout.len().saturating_sub(20)..]);
        for opt in [
            "--grace",
            "--group",
            "--single-child",
            "--rewrite",
            "--remap-exit",
            "--pdeathsig",
            "--pause",
            "--verbose",
            "--warn-reap",
            "--stop-delay",
            "--wait-all",
            "--quiet",
            "-s",
            "--license",
            "--help",
            "--version",
        ] {
            assert!(out.stdout.contains(opt), "help lacks {opt}");
        }
        // Every variable, in brace notation: PIDONE_{GRACE,...}.
        for (prefix, names) in [
            ("PIDONE_", "GRACE,GROUP,REWRITE,REMAP,PDEATHSIG,PAUSE,VERBOSE,WARN_REAP"),
            ("PIDONE_", "STOP_DELAY,WAIT_ALL,QUIET"),
            ("TINI_", "SUBREAPER,VERBOSITY,KILL_PROCESS_GROUP"),
            ("DUMB_INIT_", "SETSID,DEBUG"),
        ] {
            assert!(out.stdout.contains(&format!("{prefix}{{{names}}}")), "help lacks {prefix}{names}");
        }
        assert_eq!(out.stderr, "");
    }
}

#[test]
fn version_names_pidone() {
    for flag in ["-V", "--version"] {
        let out = pid1(&[flag]);
        assert_eq!(out.code(), 0);
        // `pidone X.Y.Z - git.<commit>`: docker info reads the part after ` - git.`.
        let rest = out.stdout.strip_prefix(&format!("pidone {} - git.", env!("CARGO_PKG_VERSION"))).unwrap();
        let commit = rest.strip_suffix('\n').unwrap();
        assert!(commit == "unknown" || (commit.len() == 7 && commit.bytes().all(|b| b.is_ascii_hexdigit())), "{rest}");
    }
}

#[test]
fn usage_errors_exit_2_with_one_line_and_the_synopsis() {
    let cases: &[(&[&str], &str)] = &[
        (&[], "pidone: no command given"),
        (&["--"], "pidone: no command given"),
        (&["-v"], "pidone: no command given"),
        (&["-x", "true"], "pidone: unknown option -x"),
        (&["--bogus", "true"], "pidone: unknown option --bogus"),
        (&["-t"], "pidone: missing value for -t"),
        (&["--grace"], "pidone: missing value for --grace"),
        (&["-t", "soon", "true"], "pidone: invalid value for -t: 'soon'"),
        (&["--grace=-1", "true"], "pidone: invalid value for --grace: '-1'"),
    ];
    for (args, first) in cases {
        let out = pid1(args);
        assert_eq!(out.code(), 2, "{args:?}");
        assert_eq!(out.stdout, "");
        let lines: Vec<&str> = out.stderr.lines().collect();
        assert_eq!(lines[0], *first, "{args:?}");
        assert_eq!(lines[1], "usage: pidone [OPTIONS] [--] COMMAND [ARG...]");
        assert_eq!(lines.len(), 3, "{}", out.stderr);
    }
}

#[test]
fn bad_environment_values_are_usage_errors() {
    for (var, value) in [("PIDONE_GRACE", "x"), ("PIDONE_GRACE", "1.0001"), ("PIDONE_VERBOSE", "-1")] {
        let mut cmd = pid1_command(&["true"]);
        cmd.env(var, value);
        let out = run(cmd, 30);
        assert_eq!(out.code(), 2);
        assert_eq!(out.stderr.lines().next(), Some(format!("pidone: invalid value for {var}: '{value}'").as_str()));
    }
}

#[test]
fn options_after_the_command_belong_to_it() {
    let out = pid1(&["/bin/echo", "-v", "-t", "--", "x"]);
    assert_eq!(out.code(), 0);
    assert_eq!(out.stdout, "-v -t -- x\n");
    assert_eq!(out.stderr, "", "pidone must stay quiet without -v");
    let out = pid1(&["--", "/bin/echo", "--", "-h"]);
    assert_eq!(out.stdout, "-- -h\n");
}

#[test]
fn exit_codes_pass_through() {
    for code in [0, 1, 3, 126, 127, 128, 200, 255] {
        let out = pid1(&["/bin/sh", "-c", &format!("exit {code}")]);
        assert_eq!(out.code(), code);
    }
}

#[test]
fn death_by_signal_becomes_128_plus_n() {
    for (sig, code) in [("TERM", 143), ("INT", 130), ("KILL", 137), ("USR1", 138), ("HUP", 129), ("QUIT", 131)] {
        // The command kills itself, so this holds for signals pidone cannot forward (KILL).
        let out = pid1(&[PYTHON, "-c", &format!("import os, signal; os.kill(os.getpid(), signal.SIG{sig})")]);
        assert_eq!(out.code(), 128 + target_sig(code - 128), "SIG{sig}");
    }
}

#[test]
fn missing_command_is_127_with_the_reason() {
    // The last one is a path through a regular file.
    for (cmd, reason) in [
        ("no-such-cmd", "No such file or directory"),
        ("/no/such/path", "No such file or directory"),
        ("", "No such file or directory"),
        ("/etc/passwd/x", "Not a directory"),
    ] {
        let out = pid1(&[cmd]);
        assert_eq!(out.code(), 127, "{cmd:?}");
        assert_eq!(out.stderr, format!("pidone: exec {cmd}: {reason}\n"));
    }
}

#[test]
fn unexecutable_command_is_126_with_the_reason() {
    let dir = scratch_dir("cli-126");
    let plain = dir.join("plain");
    std::fs::write(&plain, "#!/bin/sh\necho hi\n").unwrap();
    let cases = [(plain.to_str().unwrap(), "Permission denied"), (dir.to_str().unwrap(), "Is a directory")];
    for (path, reason) in cases {
        let out = pid1(&[path]);
        assert_eq!(out.code(), 126, "{path}");
        assert_eq!(out.stderr, format!("pidone: exec {path}: {reason}\n"));
    }
}

/// An executable file without `#!` that prints its $0 and arguments and exits 7.
fn script_without_shebang(dir: &std::path::Path) -> String {
    let path = dir.join("noshebang");
    std::fs::write(&path, "echo \"$0\" \"$@\"\nexit 7\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn a_script_without_shebang_runs_under_bin_sh_as_execvp_does() {
    // execvp runs it as `/bin/sh FILE ARG...`: $0 is the file as found.
    let dir = scratch_dir("cli-noshebang");
    let script = script_without_shebang(&dir);
    let out = pid1(&[&script, "a", "b c"]);
    assert_eq!((out.code(), out.stdout.as_str()), (7, format!("{script} a b c\n").as_str()), "{}", out.stderr);
    // Found on PATH: the path it was found at.
    let mut cmd = pid1_command(&["noshebang", "d"]);
    cmd.env("PATH", format!("/nonexistent:{}", dir.display()));
    let out = run(cmd, 30);
    assert_eq!(out.stdout, format!("{script} d\n"), "{}", out.stderr);
    // The shell gets LISTEN_PID rewritten too (the second exec of the same child).
    let listen = dir.join("listen");
    std::fs::write(&listen, "[ \"$LISTEN_PID\" = $$ ] && echo mine\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&listen, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut cmd = pid1_command(&[&listen]);
    cmd.env("LISTEN_PID", "1");
    let out = run(cmd, 30);
    assert_eq!(out.stdout, "mine\n", "{}", out.stderr);
}

#[test]
fn a_script_without_shebang_and_no_shell_is_126_with_the_reason() {
    native_only!("qemu-user cannot run a foreign binary inside a root that lacks it");
    // A root with pidone and the script and nothing else: no /bin/sh to fall back to.
    let root = scratch_dir("cli-noshell");
    std::fs::copy(bin(), root.join("pidone")).unwrap();
    script_without_shebang(&root);
    let mut cmd = Command::new("/usr/bin/unshare");
    if !is_root() {
        cmd.args(["--user", "--map-root-user"]);
    }
    cmd.args(["--pid", "--fork", "--kill-child"]).arg(format!("--root={}", root.display()));
    cmd.args(["/pidone", "/noshebang"]);
    let out = run(cmd, 30);
    assert_eq!(out.code(), 126);
    assert_eq!(out.stderr, "pidone: exec /noshebang: Exec format error\n");
}

#[test]
fn listen_pid_naming_pidone_names_the_command() {
    // Socket activation (catatonit's rule): LISTEN_PID naming pidone is rewritten to the
    // command's pid; naming anyone else, or not a plain number, it is left alone.
    for (value, expect) in [("1", "mine"), ("5", "5"), ("01x", "01x"), ("", "")] {
        let mut cmd = pid1_command(&["/bin/sh", "-c", "[ \"$LISTEN_PID\" = $$ ] && echo mine || echo \"$LISTEN_PID\""]);
        cmd.env("LISTEN_PID", value);
        let out = run(cmd, 30);
        assert_eq!(out.stdout, format!("{expect}\n"), "LISTEN_PID={value}: {}", out.stderr);
    }
    // Not PID 1: a shell names itself, then becomes pidone with exec.
    let script = format!("LISTEN_PID=$$ exec {} -- /bin/sh -c '[ \"$LISTEN_PID\" = $$ ] && echo mine'", bin());
    let out = run(
        {
            let mut c = std::process::Command::new("/bin/sh");
            c.args(["-c", &script]);
            c
        },
        30,
    );
    assert_eq!(out.stdout, "mine\n", "{}", out.stderr);
}

#[test]
fn path_search_follows_execvp() {
    let dir = scratch_dir("cli-path");
    let tool = dir.join("pidone-test-tool");
    std::fs::write(&tool, "#!/bin/sh\necho found \"$@\"\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();

    // Found in a PATH entry, after entries that do not have it.
    let mut cmd = pid1_command(&["pidone-test-tool", "a"]);
    cmd.env("PATH", format!("/nonexistent:{}:/bin", dir.display()));
    let out = run(cmd, 30);
    assert_eq!((out.code(), out.stdout.as_str()), (0, "found a\n"), "{}", out.stderr);

    // An empty entry is the current directory.
    let mut cmd = pid1_command(&["pidone-test-tool", "b"]);
    cmd.env("PATH", "/nonexistent:").current_dir(&dir);
    let out = run(cmd, 30);
    assert_eq!((out.code(), out.stdout.as_str()), (0, "found b\n"), "{}", out.stderr);

    // No PATH at all: the default one finds sh.
    let mut cmd = pid1_command(&["sh", "-c", "echo default"]);
    cmd.env_remove("PATH");
    let out = run(cmd, 30);
    assert_eq!(out.stdout, "default\n", "{}", out.stderr);

    // A PATH entry with the name but no permission: 126 unless found later.
    let locked = scratch_dir("cli-path-locked");
    let noexec = locked.join("pidone-test-tool");
    std::fs::write(&noexec, "#!/bin/sh\necho wrong\n").unwrap();
    let mut cmd = pid1_command(&["pidone-test-tool"]);
    cmd.env("PATH", locked.display().to_string());
    let out = run(cmd, 30);
    assert_eq!(out.code(), 126);
    assert_eq!(out.stderr, "pidone: exec pidone-test-tool: Permission denied\n");
    let mut cmd = pid1_command(&["pidone-test-tool", "c"]);
    cmd.env("PATH", format!("{}:{}", locked.display(), dir.display()));
    let out = run(cmd, 30);
    assert_eq!(out.stdout, "found c\n");
}

#[test]
fn environment_and_arguments_pass_through_untouched() {
    use std::os::unix::ffi::OsStrExt;
    let weird = std::ffi::OsStr::from_bytes(b"\xff\xfe bytes \x01");
    let mut cmd = pid1_command(&[
        std::ffi::OsStr::new(PYTHON),
        std::ffi::OsStr::new("-c"),
        std::ffi::OsStr::new(
            "import os, sys; sys.stdout.buffer.write(os.environb[b'WEIRD'] + b'|' + sys.argv[1].encode('utf-8', 'surrogateescape'))",
        ),
        weird,
    ]);
    cmd.env("WEIRD", weird);
    let out = run(cmd, 30);
    assert_eq!(out.code(), 0, "{}", out.stderr);
    // The pipe reader decodes lossily; compare after the same decoding.
    let expect = String::from_utf8_lossy(b"\xff\xfe bytes \x01|\xff\xfe bytes \x01").to_string();
    assert_eq!(out.stdout, expect);
}

#[test]
fn verbose_reports_each_event() {
    let mut cmd = pid1_command(&["-v", "/bin/sh", "-c", "exit 4"]);
    cmd.env("PIDONE_VERBOSE", "0");
    let out = run(cmd, 30);
    assert_eq!(out.code(), 4);
    let log = out.stderr;
    // The command is pid 2 of the namespace natively (not so under qemu-user, whose own
    // thread takes a pid first).
    let pid = spawned_pid(&log);
    assert_eq!(
        log,
        format!(
            "pidone: spawned {pid}\npidone: reaped {pid}: exited 4\npidone: command {pid} ended; exit code 4\n\
             pidone: exiting with 4\n"
        )
    );
    // PIDONE_VERBOSE alone turns it on too.
    let mut cmd = pid1_command(&["true"]);
    cmd.env("PIDONE_VERBOSE", "1");
    assert!(run(cmd, 30).stderr.starts_with("pidone: spawned "));
}

#[test]
fn the_command_runs_in_the_callers_directory() {
    let dir = scratch_dir("cli-cwd");
    let mut cmd = pid1_command(&["/bin/pwd"]);
    cmd.current_dir(&dir);
    assert_eq!(run(cmd, 30).stdout.trim_end(), dir.to_str().unwrap());
}

/// The `-v` lines name real-time signals as `kill -l` does and give the target as kill(2)
/// takes it: `-PGID` with -g, `-1` for everything left during the shutdown.
#[test]
fn verbose_lines_name_real_time_signals_and_group_targets() {
    native_only!("qemu-user numbers the guest's real-time signals two below the host's");
    let rt = libc::SIGRTMIN() + 3;
    let s = Session::start(pid1_command(&["-v", "-g", "-r", "USR1:RTMAX", PYTHON, &helper("sigecho.py"), "2"]));
    assert_eq!(s.line(10), "ready");
    s.signal(rt);
    assert_eq!(s.line(10), rt.to_string());
    s.signal(libc::SIGUSR1);
    assert_eq!(s.line(10), "64");
    let out = s.finish(10);
    let pid = spawned_pid(&out.stderr);
    assert!(
        out.stderr.contains(&format!("pidone: received SIGRTMIN+3, sent SIGRTMIN+3 to -{pid}\n")),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains(&format!("pidone: received SIGUSR1, sent SIGRTMAX to -{pid}\n")), "{}", out.stderr);

    // During the shutdown a signal goes to everything left: -1 as PID 1.
    let script = "trap '' TERM USR2; sleep 30 & echo ready; exit 3";
    let s = Session::start(pid1_command(&["-v", "-t", "30", "/bin/sh", "-c", script]));
    assert_eq!(s.line(10), "ready");
    let pid = s.pidone_pid();
    wait_for("the grace period", 10, || {
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
            .is_ok_and(|c| c.split_whitespace().count() == 1)
            && s.stderr().contains("SIGTERM to the rest")
    });
    s.signal(libc::SIGUSR2);
    wait_for("the USR2 line", 10, || s.stderr().contains("received SIGUSR2"));
    s.signal(libc::SIGKILL);
    let out = s.finish(10);
    assert!(out.stderr.contains("pidone: received SIGUSR2, sent SIGUSR2 to -1\n"), "{}", out.stderr);
}
