//! pidone's lines on stderr never block it. stderr is shared with the command and read by
//! a log collector that may stall: with a full pipe, pidone used to sit in write(2) on
//! its death line or its -v lines, with nothing reaped and no shutdown, and the container
//! never exited (issue 25). A line stderr cannot take at once is dropped; the file
//! description's mode (O_NONBLOCK) is never changed, since the command shares it. And
//! where stderr has room, every kind of file gets the lines: a pipe, a named FIFO and a
//! terminal (the last two through a file description of pidone's own).

mod common;
use common::*;

use std::ffi::CString;
use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::Stdio;

/// A command that dies of a signal pidone did not send: pidone writes its line then.
const DIES: [&str; 3] = ["/bin/sh", "-c", "kill -SEGV $$"];

/// The kinds of stderr: (name, reader end kept by the test, writer end given to pidone).
fn stderr_kinds(dir: &std::path::Path) -> Vec<(&'static str, File, OwnedFd)> {
    let mut kinds = Vec::new();
    // SAFETY: plain libc calls on descriptors this function owns.
    unsafe {
        let mut fds = [0; 2];
        assert_eq!(libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC), 0);
        kinds.push(("pipe", File::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])));

        let fifo = dir.join("fifo");
        let path = CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(libc::mkfifo(path.as_ptr(), 0o600), 0);
        let r = libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_NONBLOCK | libc::O_CLOEXEC);
        let w = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        assert!(r >= 0 && w >= 0);
        kinds.push(("fifo", File::from_raw_fd(r), OwnedFd::from_raw_fd(w)));

        let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        assert!(master >= 0);
        assert_eq!(libc::grantpt(master), 0);
        assert_eq!(libc::unlockpt(master), 0);
        let slave = libc::open(libc::ptsname(master), libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        assert!(slave >= 0);
        // Raw mode: what is written arrives as it is, newlines untranslated.
        let mut t: libc::termios = std::mem::zeroed();
        libc::tcgetattr(slave, &mut t);
        libc::cfmakeraw(&mut t);
        libc::tcsetattr(slave, libc::TCSANOW, &t);
        kinds.push(("terminal", File::from_raw_fd(master), OwnedFd::from_raw_fd(slave)));
    }
    kinds
}

/// Whether O_NONBLOCK is set on the file description behind `fd`.
fn nonblocking(fd: &OwnedFd) -> bool {
    // SAFETY: fcntl on a descriptor the caller owns.
    unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) & libc::O_NONBLOCK != 0 }
}

/// Fills the file behind `fd` until it takes no more, through a description of its own
/// opened with O_NONBLOCK (so `fd`'s own stays blocking, as a log pipe is).
fn fill(fd: &OwnedFd) {
    let path = CString::new(format!("/proc/self/fd/{}", fd.as_raw_fd())).unwrap();
    // SAFETY: plain libc calls on a descriptor this function opens and closes.
    unsafe {
        // The smallest pipe: one page.
        libc::fcntl(fd.as_raw_fd(), libc::F_SETPIPE_SZ, 4096);
        let w = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC);
        assert!(w >= 0, "{}", std::io::Error::last_os_error());
        let chunk = [b'x'; 512];
        let mut total = 0;
        loop {
            let n = libc::write(w, chunk.as_ptr().cast(), chunk.len());
            if n <= 0 {
                break;
            }
            total += n;
            assert!(total < 1 << 24, "the file never filled up");
        }
        libc::close(w);
    }
}

/// Everything the reader end holds now, without waiting.
fn drain(reader: &mut File) -> String {
    use std::io::Read;
    // SAFETY: fcntl on a descriptor the caller owns.
    unsafe {
        let fl = libc::fcntl(reader.as_raw_fd(), libc::F_GETFL);
        libc::fcntl(reader.as_raw_fd(), libc::F_SETFL, fl | libc::O_NONBLOCK);
    }
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n @ 1..) = reader.read(&mut buf) {
        out.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Runs `cmd` with `writer` as its stderr; its exit code, or a test failure after 30 s.
fn run_into(mut cmd: std::process::Command, writer: &OwnedFd, what: &str) -> Option<i32> {
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(writer.try_clone().unwrap());
    let mut child = cmd.spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: pidone did not exit within 30 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn a_stderr_that_takes_nothing_never_stops_pidone() {
    for pid1 in [true, false] {
        let dir = scratch_dir(&format!("stderr-full-{pid1}"));
        for (kind, _reader, writer) in stderr_kinds(&dir) {
            fill(&writer);
            // -v: a line for each event, then the death line; every one finds stderr full.
            let mut cmd = placed(pid1, &["-v", "-w", DIES[0], DIES[1], DIES[2]]);
            no_core_dumps(&mut cmd);
            let code = run_into(cmd, &writer, &format!("{kind}, PID 1 {pid1}"));
            assert_eq!(code, Some(139), "{kind}, PID 1 {pid1}");
            assert!(!nonblocking(&writer), "{kind}, PID 1 {pid1}: stderr was made non-blocking");
        }
    }
}

#[test]
fn every_kind_of_stderr_with_room_gets_the_lines() {
    for pid1 in [true, false] {
        let dir = scratch_dir(&format!("stderr-room-{pid1}"));
        for (kind, mut reader, writer) in stderr_kinds(&dir) {
            let mut cmd = placed(pid1, &DIES);
            no_core_dumps(&mut cmd);
            assert_eq!(run_into(cmd, &writer, &format!("{kind}, PID 1 {pid1}")), Some(139));
            let text = drain(&mut reader);
            // (Under qemu-user a pidone that is not PID 1 also says it could not become a
            // subreaper: NO_SUBREAPER_UNDER_QEMU.)
            assert!(text.ends_with("pidone: /bin/sh was killed by SIGSEGV\n"), "{kind}, PID 1 {pid1}: {text:?}");
            assert_eq!(text.lines().count(), if foreign() && !pid1 { 2 } else { 1 }, "{kind}, PID 1 {pid1}: {text:?}");
            assert!(!nonblocking(&writer), "{kind}, PID 1 {pid1}: stderr was made non-blocking");
        }
    }
}
