//! Reaping zombies, the subreaper outside a PID namespace, and exiting as soon as
//! nothing is left.

mod common;
use common::*;

fn orphans(n: usize) -> String {
    let out = pid1(&py("orphans.py", &[&n.to_string()]));
    assert_eq!(out.code(), 0, "{}", out.stderr);
    eprintln!("{n} orphans: {}", out.stdout.trim());
    out.stdout
}

#[test]
fn orphans_are_reaped() {
    assert!(orphans(100).starts_with("zombies 0 alive 0 "));
}

#[test]
fn a_storm_of_3000_orphans_leaves_no_zombie() {
    assert!(orphans(3000).starts_with("zombies 0 alive 0 "));
}

#[test]
fn outside_a_pid_namespace_pidone_is_a_subreaper() {
    native_only!(NO_SUBREAPER_UNDER_QEMU);
    // The command's grandchild is orphaned; it must come to pidone (not to the real init)
    // and be reaped when it exits.
    // The grandchild lives until the command closes `hold`; nothing waits for a time but
    // the wait for the reaping, which gives up after 20 s.
    let script = "import os, time
r, w = os.pipe()
release, hold = os.pipe()
if os.fork() == 0:
    if os.fork() == 0:
        os.close(hold)
        os.write(w, b'%d ' % os.getpid()); os.read(release, 1); os._exit(0)
    os._exit(0)
os.wait()
gc = int(os.read(r, 20))
ppid = int(open('/proc/%d/stat' % gc).read().rsplit(')', 1)[1].split()[1])
print('adopted', ppid == os.getppid(), flush=True)
os.close(hold)
deadline = time.monotonic() + 20
while os.path.exists('/proc/%d' % gc) and time.monotonic() < deadline: time.sleep(0.01)
print('reaped', not os.path.exists('/proc/%d' % gc), flush=True)";
    let out = run(plain_command(&[PYTHON, "-c", script]), 30);
    assert_eq!(out.code(), 0, "{}", out.stderr);
    assert_eq!(out.stdout, "adopted True\nreaped True\n");
}

#[test]
fn exits_at_once_when_nothing_is_left() {
    // A 60 s grace would fail the 20 s timeout if pidone waited it out needlessly.
    let out = run(pid1_command(&["-t", "60", "/bin/sh", "-c", "exit 9"]), 20);
    assert_eq!(out.code(), 9);
    let out = run(plain_command(&["-t", "60", "/bin/sh", "-c", "exit 9"]), 20);
    assert_eq!(out.code(), 9);
}
