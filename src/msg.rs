//! Messages on stderr, and the fixed-size buffers that build them and paths.
//!
//! No `core::fmt`: numbers are formatted by hand and text tables are single byte strings,
//! so neither formatting machinery nor tables of pointers end up in the binary.

use linux_raw_sys::general::{AT_FDCWD, O_NOCTTY, O_NONBLOCK, O_WRONLY};

use crate::signals;
use crate::sys::{self, CPath, Errno, IoSlice};
use crate::table::{bytes, count, split};

/// The C library's texts for the errors pidone can meet, NUL-separated, in the order of
/// `ERRNO_TABLE`'s numbers. Others print as `error N`.
const ERRNO_TEXTS: &[u8] = b"Operation not permitted\0No such file or directory\0No such process\0\
Argument list too long\0Exec format error\0Resource temporarily unavailable\0Cannot allocate memory\0\
Permission denied\0Not a directory\0Is a directory\0Invalid argument\0Text file busy\0File name too long\0\
Too many levels of symbolic links";

/// Each text of `ERRNO_TEXTS` after its error's number on the target (MIPS numbers ELOOP
/// and ENAMETOOLONG differently), as one byte: `<number><text>`, NUL-separated, built at
/// compile time. (Looking the number up in an array of its own and then counting texts
/// cost 72 bytes more on arm64.)
const ERRNO_TABLE: [u8; ERRNO_TEXTS.len() + count(ERRNO_TEXTS, 0)] = {
    use linux_raw_sys::errno::*;
    let numbers = bytes([
        EPERM,
        ENOENT,
        ESRCH,
        E2BIG,
        ENOEXEC,
        EAGAIN,
        ENOMEM,
        EACCES,
        ENOTDIR,
        EISDIR,
        EINVAL,
        ETXTBSY,
        ENAMETOOLONG,
        ELOOP,
    ]);
    assert!(numbers.len() == count(ERRNO_TEXTS, 0));
    let mut out = [0; ERRNO_TEXTS.len() + count(ERRNO_TEXTS, 0)];
    let (mut i, mut o, mut k) = (0, 0, 0);
    while k < numbers.len() {
        out[o] = numbers[k];
        o += 1;
        k += 1;
        while i < ERRNO_TEXTS.len() && ERRNO_TEXTS[i] != 0 {
            out[o] = ERRNO_TEXTS[i];
            (i, o) = (i + 1, o + 1);
        }
        // The NUL between two texts (past the end after the last one, which ends the table).
        (i, o) = (i + 1, o + 1);
    }
    out
};

/// The text for `e`, or `None` when pidone does not carry it.
pub fn errno_text(e: Errno) -> Option<&'static [u8]> {
    let code = e.into_raw();
    split(&ERRNO_TABLE, 0).find_map(|t| match t {
        [n, text @ ..] if *n as i32 == code => Some(text),
        _ => None,
    })
}

/// The longest path the kernel takes, its NUL included.
pub const PATH_MAX: usize = linux_raw_sys::general::PATH_MAX as usize;

/// How many pieces a line holds, its trailing newline included: `say`'s longest format
/// has 13 (the prefix, four texts, three arguments of up to two pieces each, the
/// newline); the pieces past that are left out, never written past the array.
const PIECES: usize = 16;

/// One line for stderr, `pidone: ` and the pieces pushed, written with one writev(2)
/// (see `send`). The line holds only references to its pieces, never a copy of them: a
/// buffer for the longest line (a command name can be a whole path) would have to be
/// PATH_MAX bytes on the stack, and with a 16 KiB stack limit that crashed pidone.
/// Numbers are written into small buffers the caller lends.
pub struct Line<'a> {
    pieces: [IoSlice<'a>; PIECES],
    len: usize,
}

impl<'a> Line<'a> {
    /// A line starting with `pidone: `.
    #[allow(clippy::new_without_default)] // a line always starts with its prefix
    pub fn new() -> Self {
        Line { pieces: [IoSlice::new(b"pidone: "); PIECES], len: 1 }
    }

    /// Appends `s`: to the last piece when it follows it in memory (`say` pushes the
    /// text of its format a byte at a time), else as a piece of its own unless the line
    /// is full (one place stays for the newline).
    #[inline(never)]
    pub fn push(&mut self, s: &'a [u8]) -> &mut Self {
        if self.pieces.get_mut(self.len.wrapping_sub(1)).is_some_and(|last| last.join(s)) {
            return self;
        }
        if self.len < PIECES - 1
            && let Some(slot) = self.pieces.get_mut(self.len)
        {
            *slot = IoSlice::new(s);
            self.len += 1;
        }
        self
    }

    /// `v` in decimal, written into `digits`.
    pub fn num(&mut self, v: u64, digits: &'a mut [u8; 20]) -> &mut Self {
        self.push(decimal(v, digits))
    }

    /// A signal's name: `SIGTERM`, `SIGRTMIN+3`, `SIG32` (`digits` holds the number).
    pub fn sig(&mut self, sig: u32, digits: &'a mut [u8; 20]) -> &mut Self {
        self.push(b"SIG");
        match signals::name(sig) {
            Some(name) => self.push(name),
            None if sig > signals::RTMIN && sig < signals::MAX => {
                self.push(b"RTMIN+").num((sig - signals::RTMIN) as u64, digits)
            }
            None => self.num(sig as u64, digits),
        }
    }

    /// The C library's text for `e`, or `error N` (`digits` holds the number).
    pub fn errno(&mut self, e: Errno, digits: &'a mut [u8; 20]) -> &mut Self {
        match errno_text(e) {
            Some(text) => self.push(text),
            None => self.push(b"error ").num(e.into_raw().unsigned_abs() as u64, digits),
        }
    }

    /// The pieces so far.
    pub fn pieces(&self) -> &[IoSlice<'a>] {
        self.pieces.get(..self.len).unwrap_or_default()
    }

    /// Ends the line and writes it to stderr without ever waiting (see `write_stderr`).
    pub fn send(&mut self) {
        if let Some(slot) = self.pieces.get_mut(self.len) {
            *slot = IoSlice::new(b"\n");
            self.len += 1;
        }
        write_stderr(self.pieces());
    }
}

/// Writes `pieces` to stderr in one call that cannot block pidone. stderr is shared with
/// the command (and a log reader may stall: a full pipe), so pidone neither waits for
/// room nor changes the file description's mode (O_NONBLOCK on it would change the
/// command's stderr too). A line stderr cannot take at once is dropped:
/// - a regular file never waits for a reader: written as it is;
/// - a pipe or socket: pwritev2 with RWF_NOWAIT, which gives up with EAGAIN;
/// - where the kernel cannot do that (a named FIFO, a terminal, kernels before 4.14,
///   qemu-user): through a new file description of the same file, opened with
///   O_NONBLOCK through /proc/self/fd/2;
/// - where that fails too (no /proc, or a pipe pidone may not open, made by another
///   user): only if ppoll says there is room now. This last way alone leaves a window:
///   if the command fills the pipe between the ppoll and the write, the write waits for
///   the reader.
///
/// A line of up to PIPE_BUF bytes reaches a pipe whole or not at all (POSIX), so lines
/// never interleave with the command's output.
pub fn write_stderr(pieces: &[IoSlice]) {
    if sys::is_regular(2) {
        return sys::writev(2, pieces);
    }
    if let Err(Errno::EOPNOTSUPP | Errno::EINVAL | Errno::ENOSYS) = sys::write_nowait(2, pieces) {
        match sys::openat(AT_FDCWD, CPath::of(c"/proc/self/fd/2"), O_WRONLY | O_NONBLOCK | O_NOCTTY) {
            Ok(fd) => {
                sys::writev(fd, pieces);
                sys::close(fd);
            }
            Err(_) if sys::writable(2) => sys::writev(2, pieces),
            Err(_) => {}
        }
    }
}

/// Bytes built in a buffer the caller lends: a path for the kernel. A push that does not
/// fit spoils it: `cpath` then refuses it.
pub struct PathBuf<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> PathBuf<'b> {
    /// An empty path in `buf`, which holds the path and its NUL.
    pub fn new(buf: &'b mut [u8]) -> Self {
        PathBuf { buf, len: 0 }
    }

    pub fn clear(&mut self) -> &mut Self {
        self.len = 0;
        self
    }

    pub fn push(&mut self, s: &[u8]) -> &mut Self {
        for &c in s {
            // Past the end, `len` still grows, so that `cpath` sees the overflow.
            if let Some(slot) = self.buf.get_mut(self.len) {
                *slot = c;
            }
            self.len += 1;
        }
        self
    }

    /// `v` in decimal.
    pub fn num(&mut self, v: u64) -> &mut Self {
        self.push(decimal(v, &mut [0; 20]))
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    /// The path with its NUL, or `None` when it did not fit.
    pub fn cpath(&mut self) -> Option<CPath<'_>> {
        *self.buf.get_mut(self.len)? = 0;
        CPath::new(self.buf.get(..=self.len)?)
    }
}

/// How many argument placeholders (`\x01`, `\x02`, `\x03`) `fmt` holds; for `say!`.
pub const fn placeholders(fmt: &[u8]) -> usize {
    let (mut n, mut i) = (0, 0);
    while i < fmt.len() {
        if matches!(fmt[i], 1..=3) {
            n += 1;
        }
        i += 1;
    }
    n
}

/// `say!(b"format", args...)`: one line on stderr through `msg::say`, with the number of
/// arguments checked against the format's placeholders when compiling (catatonit's
/// PRINTF_LIKE does this for printf). At most three arguments.
#[macro_export]
macro_rules! say {
    ($fmt:expr) => { $crate::say!(@ $fmt, 0; 0, 0, 0) };
    ($fmt:expr, $a:expr) => { $crate::say!(@ $fmt, 1; $a, 0, 0) };
    ($fmt:expr, $a:expr, $b:expr) => { $crate::say!(@ $fmt, 2; $a, $b, 0) };
    ($fmt:expr, $a:expr, $b:expr, $c:expr) => { $crate::say!(@ $fmt, 3; $a, $b, $c) };
    (@ $fmt:expr, $n:expr; $a:expr, $b:expr, $c:expr) => {{
        const _: () = assert!($crate::msg::placeholders($fmt) == $n, "placeholders and arguments differ");
        $crate::msg::say($fmt, $a as i64, $b as i64, $c as i64)
    }};
}

/// `v` in decimal, written at the end of `digits`.
pub fn decimal(mut v: u64, digits: &mut [u8; 20]) -> &[u8] {
    let mut at = digits.len();
    loop {
        at -= 1;
        let (q, r) = div10(v);
        if let Some(d) = digits.get_mut(at) {
            *d = b'0' + r;
        }
        v = q;
        if v == 0 {
            return digits.get(at..).unwrap_or_default();
        }
    }
}

/// `v / 10` and `v % 10`.
#[cfg(target_pointer_width = "64")]
fn div10(v: u64) -> (u64, u8) {
    (v / 10, (v % 10) as u8)
}

/// On a 32-bit target a 64-bit division is a call into compiler-builtins' routine (240
/// bytes on i686): there it is three 32-bit divisions instead.
#[cfg(target_pointer_width = "32")]
use div10_by_halves as div10;

/// `v / 10` and `v % 10` with 32-bit divisions only: the high word, then each 16-bit half
/// of the low word with the remainder carried in front (below 10 * 2^16, so each
/// quotient fits its 16 bits).
pub fn div10_by_halves(v: u64) -> (u64, u8) {
    let (hi, lo) = ((v >> 32) as u32, v as u32);
    let mid = (hi % 10) << 16 | lo >> 16;
    let low = (mid % 10) << 16 | (lo & 0xffff);
    (((hi / 10) as u64) << 32 | ((mid / 10) as u64) << 16 | (low / 10) as u64, (low % 10) as u8)
}

/// Writes `pidone: ` and `fmt` as one line on stderr. In `fmt`, `\x01` stands for the next
/// argument as a number, `\x02` as a signal name and `\x03` as an error text. One shared
/// formatter keeps each message down to a string and a call. Called through `say!`.
#[inline(never)]
pub fn say(fmt: &[u8], a: i64, b: i64, c: i64) {
    // The numbers' digits, one buffer per argument.
    let mut digits = [[0; 20]; 3];
    let mut args = [a, b, c].into_iter().zip(&mut digits);
    let mut line = Line::new();
    for ch in fmt {
        if !matches!(ch, 1..=3) {
            // One byte of text: it joins the text before it into one piece.
            line.push(core::slice::from_ref(ch));
            continue;
        }
        let Some((n, digits)) = args.next() else { break };
        match ch {
            1 => {
                if n < 0 {
                    line.push(b"-");
                }
                line.num(n.unsigned_abs(), digits)
            }
            2 => line.sig(n as u32, digits),
            _ => line.errno(Errno::new(n as i32), digits),
        };
    }
    line.send();
}

#[cfg(test)]
pub mod tests {
    use super::*;

    #[test]
    fn errno_texts_match_the_c_library() {
        let cases: &[(Errno, &str)] = &[
            (Errno::EPERM, "Operation not permitted"),
            (Errno::ENOENT, "No such file or directory"),
            (Errno::ESRCH, "No such process"),
            (Errno::E2BIG, "Argument list too long"),
            (Errno::ENOEXEC, "Exec format error"),
            (Errno::EAGAIN, "Resource temporarily unavailable"),
            (Errno::ENOMEM, "Cannot allocate memory"),
            (Errno::EACCES, "Permission denied"),
            (Errno::ENOTDIR, "Not a directory"),
            (Errno::EISDIR, "Is a directory"),
            (Errno::EINVAL, "Invalid argument"),
            (Errno::ETXTBSY, "Text file busy"),
            (Errno::ENAMETOOLONG, "File name too long"),
            (Errno::ELOOP, "Too many levels of symbolic links"),
        ];
        for &(e, text) in cases {
            assert_eq!(errno_text(e), Some(text.as_bytes()));
            // The same text std (glibc's strerror) gives.
            let std_text = std::io::Error::from_raw_os_error(e.into_raw()).to_string();
            assert!(std_text.starts_with(text), "{std_text}");
        }
        assert_eq!(errno_text(Errno::EDOM), None);
        assert_eq!(errno_text(Errno::new(0)), None);
        assert_eq!(errno_text(Errno::new(4095)), None);
    }

    /// The bytes a line writes: its pieces written with writev into a pipe and read back
    /// (the kernel reads them as pidone's stderr would).
    pub fn text(line: &Line) -> std::string::String {
        use std::io::Read;
        use std::os::fd::{AsRawFd, FromRawFd};
        let mut fds = [0; 2];
        // SAFETY: pipe writes two descriptors into the array, which the files below own.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        // SAFETY: fresh descriptors, owned from here on.
        let (mut r, w) = unsafe { (std::fs::File::from_raw_fd(fds[0]), std::fs::File::from_raw_fd(fds[1])) };
        sys::writev(w.as_raw_fd(), line.pieces());
        drop(w);
        let mut out = std::string::String::new();
        r.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn lines_format_numbers_signals_and_errors() {
        let mut d = [[0; 20]; 9];
        let [d0, d1, d2, d3, d4, d5, d6, d7, d8] = &mut d;
        let mut l = Line::new();
        l.push(b"x ").num(0, d0).push(b" ").num(u64::MAX, d1).push(b" ").sig(15, d2).push(b" ").sig(34, d3);
        assert_eq!(text(&l), "pidone: x 0 18446744073709551615 SIGTERM SIGRTMIN");
        let mut l = Line::new();
        l.sig(40, d4).push(b" ").sig(64, d5).push(b" ").sig(32, d6);
        assert_eq!(text(&l), "pidone: SIGRTMIN+6 SIGRTMAX SIG32");
        let mut l = Line::new();
        l.errno(Errno::ENOENT, d7).push(b" ").errno(Errno::EDOM, d8);
        assert_eq!(text(&l), "pidone: No such file or directory error 33");
        let mut digits = [0; 20];
        assert_eq!(PathBuf::new(&mut [0; 16]).num(1234567890).as_bytes(), b"1234567890");
        assert_eq!(decimal(1234567890, &mut digits), b"1234567890");
    }

    #[test]
    fn a_full_line_keeps_its_newline() {
        let mut l = Line::new();
        for _ in 0..40 {
            l.push(b"x");
        }
        assert_eq!(l.pieces().len(), PIECES - 1);
        l.send();
        assert_eq!(l.pieces().len(), PIECES);
        assert!(text(&l).ends_with("xx\n"), "{}", text(&l));
    }

    #[test]
    fn division_by_ten_in_halves_matches_the_native_one() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut values =
            std::vec![0, 1, 9, 10, 11, 65535, 65536, 655359, u32::MAX as u64, 1 << 32, u64::MAX, u64::MAX - 9];
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.push(x >> (x % 64));
        }
        for v in values {
            assert_eq!(div10_by_halves(v), (v / 10, (v % 10) as u8), "{v}");
        }
    }

    #[test]
    fn paths_refuse_to_overflow() {
        let mut buf = [0; PATH_MAX];
        let mut p = PathBuf::new(&mut buf);
        assert_eq!(p.push(b"/proc/").num(1).cpath().map(|c| c.bytes()), Some(&b"/proc/1"[..]));
        let long = [b'x'; PATH_MAX];
        // PATH_MAX bytes leave no room for the NUL.
        assert!(p.clear().push(&long[1..]).cpath().is_some());
        assert!(p.clear().push(&long).cpath().is_none());
        assert!(p.clear().push(&long[2..]).push(b"/ab").push(b"").cpath().is_none());
        assert_eq!(p.clear().cpath().map(|c| c.bytes()), Some(&b""[..]));
        let mut small = [0; 8];
        let mut p = PathBuf::new(&mut small);
        assert_eq!(p.push(b"1234567").cpath().map(|c| c.bytes()), Some(&b"1234567"[..]));
        assert!(p.push(b"8").cpath().is_none());
    }
}
