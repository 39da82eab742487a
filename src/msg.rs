//! Messages on stderr, and the fixed-size buffers that build them and paths.
//!
//! No `core::fmt`: numbers are formatted by hand and text tables are single byte strings,
//! so neither formatting machinery nor tables of pointers end up in the binary.

use crate::signals;
use crate::sys::{self, CPath, Errno};
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

/// Bytes built in a fixed buffer of PATH_MAX bytes: a line for stderr (`Line`) or a path
/// (`PathBuf`). Pieces are appended with `push`, `num`, `sig` and `errno`. When the buffer
/// is full, a line is written out in parts rather than cut, while a path is spoilt: a
/// push that does not fit makes `cpath` refuse it. One type serves both, so the binary
/// carries one copy of the code.
pub struct Buf {
    buf: [u8; PATH_MAX],
    len: usize,
    /// Where a full buffer goes to make room: stderr for a line, -1 for a path.
    fd: i32,
}

pub type Line = Buf;
pub type PathBuf = Buf;

const PATH_MAX: usize = linux_raw_sys::general::PATH_MAX as usize;

impl Default for Buf {
    fn default() -> Self {
        Self::path()
    }
}

impl Buf {
    /// A line for stderr, starting with `pidone: `.
    pub fn new() -> Self {
        let mut line = Buf { buf: [0; PATH_MAX], len: 0, fd: 2 };
        line.push(b"pidone: ");
        line
    }

    /// An empty path.
    pub fn path() -> Self {
        Buf { buf: [0; PATH_MAX], len: 0, fd: -1 }
    }

    pub fn clear(&mut self) -> &mut Self {
        self.len = 0;
        self
    }

    #[inline(never)]
    pub fn push(&mut self, s: &[u8]) -> &mut Self {
        for &c in s {
            if self.len == PATH_MAX {
                if self.fd < 0 {
                    break;
                }
                self.flush();
            }
            let Some(slot) = self.buf.get_mut(self.len) else { break };
            *slot = c;
            self.len += 1;
        }
        self
    }

    /// `v` in decimal.
    pub fn num(&mut self, v: u64) -> &mut Self {
        self.push(decimal(v, &mut [0; 20]))
    }

    /// A signal's name: `SIGTERM`, `SIGRTMIN+3`, `SIG32`.
    pub fn sig(&mut self, sig: u32) -> &mut Self {
        self.push(b"SIG");
        match signals::name(sig) {
            Some(name) => self.push(name),
            None if sig > signals::RTMIN && sig < signals::MAX => {
                self.push(b"RTMIN+").num((sig - signals::RTMIN) as u64)
            }
            None => self.num(sig as u64),
        }
    }

    pub fn errno(&mut self, e: Errno) -> &mut Self {
        match errno_text(e) {
            Some(text) => self.push(text),
            None => self.push(b"error ").num(e.into_raw().unsigned_abs() as u64),
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    /// Ends the line and writes it. Errors are ignored: a closed stderr must not stop PID 1.
    pub fn send(&mut self) {
        self.push(b"\n");
        self.flush();
    }

    fn flush(&mut self) {
        sys::write(self.fd, self.as_bytes());
        self.len = 0;
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
    let mut line = Line::new();
    let mut args = [a, b, c].into_iter();
    let mut arg = || args.next().unwrap_or(0);
    for &ch in fmt {
        match ch {
            1 => {
                let n = arg();
                if n < 0 {
                    line.push(b"-");
                }
                line.num(n.unsigned_abs())
            }
            2 => line.sig(arg() as u32),
            3 => line.errno(Errno::new(arg() as i32)),
            _ => line.push(&[ch]),
        };
    }
    line.send();
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn lines_format_numbers_signals_and_errors() {
        let mut l = Line::new();
        l.push(b"x ").num(0).push(b" ").num(u64::MAX).push(b" ").sig(15).push(b" ").sig(34);
        l.push(b" ").sig(40).push(b" ").sig(64).push(b" ").sig(32).push(b" ").errno(Errno::ENOENT);
        l.push(b" ").errno(Errno::EDOM);
        assert_eq!(
            std::str::from_utf8(l.as_bytes()).unwrap(),
            "pidone: x 0 18446744073709551615 SIGTERM SIGRTMIN SIGRTMIN+6 SIGRTMAX SIG32 \
             No such file or directory error 33"
        );
        assert_eq!(Buf::path().num(1234567890).as_bytes(), b"1234567890");
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
        let mut p = PathBuf::path();
        assert_eq!(p.push(b"/proc/").num(1).cpath().map(|c| c.bytes()), Some(&b"/proc/1"[..]));
        let long = [b'x'; PATH_MAX];
        // PATH_MAX bytes leave no room for the NUL.
        assert!(p.clear().push(&long[1..]).cpath().is_some());
        assert!(p.clear().push(&long).cpath().is_none());
        assert!(p.clear().push(&long[2..]).push(b"/ab").push(b"").cpath().is_none());
        assert_eq!(p.clear().cpath().map(|c| c.bytes()), Some(&b""[..]));
    }
}
