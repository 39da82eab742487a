//! The system call layer: the only module that calls `syscall!`.
//!
//! One thin typed wrapper per call, in alphabetical order, each returning `Result<_, Errno>`
//! (nolibc's and rustix's shape). Everything above this module is safe Rust.

use core::ffi::{CStr, c_char};
use core::marker::PhantomData;
use core::ptr;

use linux_raw_sys::general as g;
use syscalls::Sysno;

/// An error number as the target's kernel numbers it. Not `syscalls::Errno`, whose
/// constants are the generic (x86) numbers: MIPS numbers many errors differently (ELOOP
/// is 90 there, not 40), so the constants come from `linux_raw_sys::errno` of the target.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Errno(i32);

impl Errno {
    pub fn new(n: i32) -> Self {
        Errno(n)
    }

    pub fn into_raw(self) -> i32 {
        self.0
    }
}

macro_rules! errnos {
    ($($name:ident)*) => {
        impl Errno {
            $(pub const $name: Errno = Errno(linux_raw_sys::errno::$name as i32);)*
        }
    };
}
errnos!(E2BIG EACCES EAGAIN EDOM EINVAL EISDIR ELOOP ENAMETOOLONG ENODEV ENOENT ENOEXEC ENOMEM ENOSYS ENOTDIR
    EOPNOTSUPP EPERM ESRCH ESTALE ETIMEDOUT ETXTBSY);

/// A system call: `Err` with the error in the target's numbering when the kernel returns
/// a negative value (-errno), else `Ok`. The sign alone tells them apart because no call
/// pidone makes succeeds with a value that has the top bit set (counts, pids, signal
/// numbers and zeros; no mmap): a smaller test than the usual `> -4096` (measured: NN bytes).
macro_rules! syscall {
    ($($arg:tt)*) => {{
        let ret = syscalls::raw_syscall!($($arg)*) as isize;
        if ret < 0 { Err(Errno(ret.wrapping_neg() as i32)) } else { Ok(ret as usize) }
    }};
}

pub type Result<T> = core::result::Result<T, Errno>;

/// A signal set as the kernel sees it: bit `n - 1` stands for signal `n`. 64 signals, or
/// 128 on MIPS, whose kernel set is two 64-bit words, low word first: the layout of a
/// `u128` on little-endian mips64el.
#[cfg(not(target_arch = "mips64"))]
pub type SigSet = u64;
#[cfg(target_arch = "mips64")]
pub type SigSet = u128;
#[cfg(all(target_arch = "mips64", target_endian = "big"))]
compile_error!("big-endian mips64 keeps the two words of a signal set in the other order than a u128");
/// `sizeof(kernel_sigset_t)`, which the kernel checks on every call that takes a set.
const SIGSET_SIZE: usize = core::mem::size_of::<SigSet>();
const _: () = assert!(SIGSET_SIZE * 8 == g::_NSIG as usize);

// 32-bit targets keep the old calls for a 32-bit `time_t`; the `_time64` ones take the
// same `__kernel_timespec` as the 64-bit targets' plain calls.
#[cfg(target_pointer_width = "64")]
const SYS_CLOCK_GETTIME: Sysno = Sysno::clock_gettime;
#[cfg(target_pointer_width = "32")]
const SYS_CLOCK_GETTIME: Sysno = Sysno::clock_gettime64;
#[cfg(target_pointer_width = "64")]
const SYS_PPOLL: Sysno = Sysno::ppoll;
#[cfg(target_pointer_width = "32")]
const SYS_PPOLL: Sysno = Sysno::ppoll_time64;
#[cfg(target_pointer_width = "64")]
const SYS_SIGTIMEDWAIT: Sysno = Sysno::rt_sigtimedwait;
#[cfg(target_pointer_width = "32")]
const SYS_SIGTIMEDWAIT: Sysno = Sysno::rt_sigtimedwait_time64;

/// An argv or envp array as the kernel laid it out on the initial stack: `len` pointers to
/// NUL-terminated strings followed by a NULL pointer, alive for the whole program.
#[derive(Clone, Copy)]
pub struct CStrList {
    ptr: *const *const c_char,
    len: usize,
}

impl CStrList {
    /// # Safety
    /// `ptr` must point to `len` pointers to NUL-terminated strings followed by a NULL
    /// pointer, all valid and unchanged for the rest of the program; the array of pointers
    /// must be writable (`execve_with` swaps entries for the length of one call).
    pub unsafe fn from_raw(ptr: *const *const c_char, len: usize) -> Self {
        Self { ptr, len }
    }

    pub fn get(&self, i: usize) -> Option<&'static CStr> {
        if i >= self.len {
            return None;
        }
        // SAFETY: `i < len`, so by the contract of `from_raw` the slot holds a pointer to a
        // NUL-terminated string that lives for the rest of the program.
        Some(unsafe { CStr::from_ptr(*self.ptr.add(i)) })
    }

    /// The list without its first `n` entries, still NULL-terminated (what execve needs).
    pub fn skip(&self, n: usize) -> Self {
        let n = n.min(self.len);
        // SAFETY: `n <= len`, so the pointer stays inside the array or at its NULL slot.
        Self { ptr: unsafe { self.ptr.add(n) }, len: self.len - n }
    }

    /// Entry `i` without its NUL.
    pub fn bytes(&self, i: usize) -> Option<&'static [u8]> {
        self.get(i).map(CStr::to_bytes)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first byte of entry `i` (0 for an empty one or past the end).
    pub fn first_byte(&self, i: usize) -> u8 {
        if i >= self.len {
            return 0;
        }
        // SAFETY: `i < len`: a NUL-terminated string, whose first byte (at worst the NUL)
        // is readable.
        unsafe { (*self.ptr.add(i)).cast::<u8>().read() }
    }

    /// Whether entry `i` starts with `prefix`, found without measuring the whole string:
    /// scanning a large environment stays cheap. A prefix holding a NUL never matches (a C
    /// string has none).
    pub fn starts_with(&self, i: usize, prefix: &[u8]) -> bool {
        if i >= self.len {
            return false;
        }
        // SAFETY: `i < len`, so the slot holds a pointer to a NUL-terminated string.
        let s = unsafe { *self.ptr.add(i) }.cast::<u8>();
        // SAFETY: `all` stops at the first byte that fails. Byte k of the string is read
        // only when `prefix[k]` is not NUL and bytes 0..k matched non-NUL bytes of
        // `prefix`: they were not the string's NUL, so byte k is still inside the string;
        // and if it is the NUL it fails the comparison, so nothing after it is read.
        prefix.iter().enumerate().all(|(k, &c)| c != 0 && unsafe { s.add(k).read() } == c)
    }
}

/// A path for the kernel: bytes that end in a NUL (the kernel stops at the first NUL,
/// so it never reads past the slice).
#[derive(Clone, Copy)]
pub struct CPath<'a>(&'a [u8]);

impl<'a> CPath<'a> {
    pub fn new(with_nul: &'a [u8]) -> Option<Self> {
        (with_nul.last() == Some(&0)).then_some(CPath(with_nul))
    }

    pub const fn of(s: &'a CStr) -> Self {
        CPath(s.to_bytes_with_nul())
    }

    /// The bytes before the NUL.
    pub fn bytes(self) -> &'a [u8] {
        self.0.split_last().map_or(&[], |(_, b)| b)
    }

    fn ptr(self) -> *const u8 {
        self.0.as_ptr()
    }
}

/// The part of `siginfo_t` that pidone looks at.
#[derive(Clone, Copy)]
pub struct SigInfo {
    pub signo: u32,
    pub code: i32,
    pub pid: i32,
}

/// One piece of a `writev`: a `struct iovec` that borrows its bytes, so the kernel is
/// only ever given memory that is alive (std's `IoSlice`, without std).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct IoSlice<'a> {
    base: *const u8,
    len: usize,
    _bytes: PhantomData<&'a [u8]>,
}

impl<'a> IoSlice<'a> {
    pub const fn new(bytes: &'a [u8]) -> Self {
        IoSlice { base: bytes.as_ptr(), len: bytes.len(), _bytes: PhantomData }
    }

    /// Takes in `next` too when it starts right where this piece ends, and says whether it
    /// did. The piece then spans two slices that are each alive for 'a: memory the kernel
    /// may read in one go (which is all an `IoSlice` is for), though Rust would not make it
    /// one slice.
    pub fn join(&mut self, next: &'a [u8]) -> bool {
        let joins = self.base.wrapping_add(self.len) == next.as_ptr();
        if joins {
            self.len += next.len();
        }
        joins
    }
}
// The kernel's `struct iovec`: a pointer and a length.
const _: () = assert!(core::mem::size_of::<IoSlice>() == core::mem::size_of::<g::iovec>());

/// chdir(2)
pub fn chdir(path: CPath) -> Result<()> {
    // SAFETY: `path` is NUL-terminated and only read by the kernel.
    unsafe { syscall!(Sysno::chdir, path.ptr()) }.map(drop)
}

/// close(2)
pub fn close(fd: i32) {
    // SAFETY: no pointers are passed. Errors are meaningless for a read-only descriptor.
    let _ = unsafe { syscall!(Sysno::close, fd) };
}

/// close_range(2) from `first` to the last descriptor (Linux 5.9; ENOSYS before).
pub fn close_from(first: u32) -> Result<()> {
    // SAFETY: no pointers are passed; closing descriptors touches no memory of ours.
    unsafe { syscall!(Sysno::close_range, first, u32::MAX, 0) }.map(drop)
}

/// A slot of an argv or envp array and what to put there for one `execve_with` call.
#[derive(Clone, Copy)]
pub struct Swap<'a> {
    /// Null for no swap.
    slot: *mut *const c_char,
    /// The new entry; during the call, the old one.
    with: *const c_char,
    _with: PhantomData<CPath<'a>>,
}

impl Swap<'_> {
    pub const NONE: Self = Swap { slot: ptr::null_mut(), with: ptr::null(), _with: PhantomData };
}

impl CStrList {
    /// Entry `at` of the list replaced by `with` (no swap outside the list).
    pub fn swap<'a>(&self, at: usize, with: CPath<'a>) -> Swap<'a> {
        if at >= self.len {
            return Swap::NONE;
        }
        Swap { slot: self.ptr.wrapping_add(at).cast_mut(), with: with.ptr().cast(), _with: PhantomData }
    }
}

/// execve(2) with entries of argv or envp replaced. The arrays are changed in place for
/// the call and put back before it returns, so no other code ever sees an entry that does
/// not live as long as the list. Only a forked child about to exec calls it: the arrays
/// it changes are its own copy. Returns only on failure.
pub fn execve_with(path: CPath, argv: CStrList, envp: CStrList, mut swaps: [Swap; 3]) -> Errno {
    for s in swaps.iter_mut().filter(|s| !s.slot.is_null()) {
        // SAFETY: a slot inside the array (`CStrList::swap`), which `from_raw` requires to
        // be writable; pidone has one thread and no signal handlers, so nothing reads it
        // before it is put back below.
        s.with = unsafe { s.slot.replace(s.with) };
    }
    let err = execve(path, argv, envp);
    // Back in reverse order, so a slot swapped twice gets its first value back.
    for s in swaps.iter().rev().filter(|s| !s.slot.is_null()) {
        // SAFETY: as above.
        unsafe { s.slot.write(s.with) };
    }
    err
}

/// execve(2); returns only on failure.
pub fn execve(path: CPath, argv: CStrList, envp: CStrList) -> Errno {
    // SAFETY: `path` is NUL-terminated; `argv` and `envp` are NULL-terminated arrays of
    // NUL-terminated strings (the contract of `CStrList`). The kernel only reads them.
    match unsafe { syscall!(Sysno::execve, path.ptr(), argv.ptr, envp.ptr) } {
        Ok(_) => Errno::EINVAL,
        Err(e) => e,
    }
}

/// exit_group(2)
pub fn exit(code: i32) -> ! {
    loop {
        // SAFETY: no pointers are passed; exit_group does not return.
        let _ = unsafe { syscall!(Sysno::exit_group, code) };
    }
}

/// fork(), built on clone(2) because aarch64 and riscv64 have no fork syscall. The child
/// reports its end to the parent with `exit_signal` (fork's is SIGCHLD). Returns 0 in the
/// child and the child's pid in the parent.
///
/// # Safety
/// The calling process must have one thread. The child gets a copy of the address space
/// with only the calling thread in it: memory that another thread was changing, or a lock
/// it held, would be left half-done there forever. (pidone never starts a thread.)
pub unsafe fn fork(exit_signal: u32) -> Result<i32> {
    // s390 takes the new stack before the flags, every other architecture after them.
    #[cfg(not(target_arch = "s390x"))]
    let args = (exit_signal as usize, 0);
    #[cfg(target_arch = "s390x")]
    let args = (0, exit_signal as usize);
    // SAFETY: without CLONE_VM the child gets its own copy of the address space, like
    // fork(2); every pointer argument is NULL (a NULL stack: the child keeps the caller's).
    unsafe { syscall!(Sysno::clone, args.0, args.1, 0, 0, 0) }.map(|pid| pid as i32)
}

/// getdents64(2): fills `buf` with `linux_dirent64` records; 0 at the end.
pub fn getdents64(fd: i32, buf: &mut [u8]) -> Result<usize> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
    unsafe { syscall!(Sysno::getdents64, fd, buf.as_mut_ptr(), buf.len()) }
}

/// getpid(2)
pub fn getpid() -> i32 {
    // SAFETY: no pointers are passed; getpid cannot fail.
    unsafe { syscall!(Sysno::getpid) }.map_or(0, |pid| pid as i32)
}

/// Whether `fd` is a regular file, from statx(2) (the one stat call every architecture
/// has: loongarch64 has no fstat). `false` when it cannot be told.
pub fn is_regular(fd: i32) -> bool {
    let mut st = core::mem::MaybeUninit::<g::statx>::uninit();
    // SAFETY: the path is an empty C string (AT_EMPTY_PATH: `fd` itself); the kernel writes
    // one `struct statx` into `st`, which is large enough for it.
    let done = unsafe { syscall!(Sysno::statx, fd, c"".as_ptr(), g::AT_EMPTY_PATH, g::STATX_TYPE, st.as_mut_ptr()) };
    // SAFETY: on success the kernel has filled in the whole struct (fields it was not asked
    // for included); stx_mode is a plain integer.
    done.is_ok() && unsafe { st.assume_init_ref() }.stx_mode as u32 & g::S_IFMT == g::S_IFREG
}

/// kill(2)
pub fn kill(pid: i32, sig: u32) -> Result<()> {
    // SAFETY: no pointers are passed.
    unsafe { syscall!(Sysno::kill, pid, sig) }.map(drop)
}

/// clock_gettime(2) on CLOCK_MONOTONIC, in milliseconds.
pub fn monotonic_ms() -> u64 {
    let mut ts = g::__kernel_timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: the kernel writes one timespec through the pointer to a live local.
    let _ = unsafe { syscall!(SYS_CLOCK_GETTIME, g::CLOCK_MONOTONIC, &raw mut ts) };
    // (tv_nsec is below 10^9: a 32-bit division, which a 32-bit target does inline.)
    (ts.tv_sec as u64).wrapping_mul(1000).wrapping_add((ts.tv_nsec as u32 / 1_000_000) as u64)
}

/// openat(2) relative to the directory `dir` (`AT_FDCWD`: the current one), read-only and
/// close-on-exec, so no descriptor of pidone ever leaks into a child.
pub fn openat(dir: i32, path: CPath, flags: u32) -> Result<i32> {
    // SAFETY: `path` is NUL-terminated and only read by the kernel.
    unsafe { syscall!(Sysno::openat, dir, path.ptr(), flags | g::O_CLOEXEC, 0) }.map(|fd| fd as i32)
}

/// The start of the regular file at `path` (as much as one read(2) gives, at most
/// `buf.len()` bytes), or `None` when it cannot be opened or read or is not a regular
/// file. Opened without waiting: a FIFO put where a /proc or /sys file was expected would
/// otherwise block the open until somebody writes to it.
pub fn read_file<'a>(path: CPath, buf: &'a mut [u8]) -> Option<&'a [u8]> {
    let fd = open_regular(g::AT_FDCWD, path).ok()?;
    let n = read(fd, buf);
    close(fd);
    buf.get(..n.ok()?)
}

/// Opens the regular file `path` (relative to `dir`) read-only without waiting; an error
/// (EINVAL) for anything else, a FIFO or a device.
pub fn open_regular(dir: i32, path: CPath) -> Result<i32> {
    let fd = openat(dir, path, g::O_RDONLY | g::O_NONBLOCK | g::O_NOCTTY)?;
    if is_regular(fd) {
        return Ok(fd);
    }
    close(fd);
    Err(Errno::EINVAL)
}

/// pidfd_open(2): a descriptor that stays bound to the process `pid` names now, even if the
/// number is reused later (Linux 5.3; ENOSYS before). Close-on-exec, like every descriptor
/// pidone opens.
pub fn pidfd_open(pid: i32) -> Result<i32> {
    // SAFETY: no pointers are passed.
    unsafe { syscall!(Sysno::pidfd_open, pid, 0) }.map(|fd| fd as i32)
}

/// pidfd_send_signal(2) with no siginfo: like kill(2), to the process behind `pidfd`.
pub fn pidfd_send_signal(pidfd: i32, sig: u32) -> Result<()> {
    // SAFETY: the siginfo pointer is NULL; no other pointers are passed.
    unsafe { syscall!(Sysno::pidfd_send_signal, pidfd, sig, ptr::null::<u8>(), 0) }.map(drop)
}

/// prctl(2) with one integer argument.
pub fn prctl(option: u32, arg: usize) -> Result<()> {
    // SAFETY: the options pidone uses take integers, not pointers.
    unsafe { syscall!(Sysno::prctl, option, arg, 0, 0, 0) }.map(drop)
}

/// Whether `fd` can take a write now (ppoll(2) for POLLOUT, without waiting): for a pipe,
/// room for at least PIPE_BUF bytes.
pub fn writable(fd: i32) -> bool {
    let mut pfd = g::pollfd { fd, events: g::POLLOUT as _, revents: 0 };
    let now = g::__kernel_timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: the kernel reads one pollfd and the timespec and writes the pollfd's revents,
    // all live locals; the signal mask pointer is NULL.
    let ready = unsafe { syscall!(SYS_PPOLL, &raw mut pfd, 1, &raw const now, ptr::null::<u8>(), 0) };
    ready == Ok(1) && pfd.revents as u32 & g::POLLOUT != 0
}

/// pwritev2(2) at the file's current position (offset -1) with `RWF_NOWAIT`: EAGAIN rather
/// than waiting for room (a full pipe, a socket); EOPNOTSUPP where the file cannot say
/// (named FIFOs, terminals), EINVAL or ENOSYS on kernels before 4.14.
pub fn write_nowait(fd: i32, pieces: &[IoSlice]) -> Result<usize> {
    // SAFETY: the kernel reads `pieces.len()` iovecs, each naming live bytes (`IoSlice`).
    // The offset -1 is passed as both halves, which is -1 on 32- and 64-bit kernels alike.
    unsafe { syscall!(Sysno::pwritev2, fd, pieces.as_ptr(), pieces.len(), usize::MAX, usize::MAX, g::RWF_NOWAIT) }
}

/// read(2)
pub fn read(fd: i32, buf: &mut [u8]) -> Result<usize> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
    unsafe { syscall!(Sysno::read, fd, buf.as_mut_ptr(), buf.len()) }
}

/// readlinkat(2) relative to the current directory: the link's target in `buf` (not
/// NUL-terminated, cut at `buf.len()`).
pub fn readlink(path: CPath, buf: &mut [u8]) -> Result<usize> {
    // SAFETY: `path` is NUL-terminated and only read; the kernel writes at most `buf.len()`
    // bytes into `buf`.
    unsafe { syscall!(Sysno::readlinkat, g::AT_FDCWD, path.ptr(), buf.as_mut_ptr(), buf.len()) }
}

/// rt_sigprocmask(SIG_SETMASK): installs `set` and returns the previous mask.
pub fn set_sigmask(set: SigSet) -> Result<SigSet> {
    let mut old: SigSet = 0;
    // SAFETY: both pointers are to live 8-byte sets; the kernel reads `set`, writes `old`.
    unsafe { syscall!(Sysno::rt_sigprocmask, g::SIG_SETMASK, &raw const set, &raw mut old, SIGSET_SIZE) }.map(|_| old)
}

/// setpgid(2)
pub fn setpgid(pid: i32, pgid: i32) -> Result<()> {
    // SAFETY: no pointers are passed.
    unsafe { syscall!(Sysno::setpgid, pid, pgid) }.map(drop)
}

/// A signal's disposition as the kernel stores it: its own layout on each architecture.
pub type SigAction = g::kernel_sigaction;

/// The default disposition, with no flags (every field zero).
pub fn default_action() -> SigAction {
    // SAFETY: all-zero bytes are a valid `kernel_sigaction`: no handler (SIG_DFL), no
    // flags, no restorer, an empty mask.
    unsafe { core::mem::zeroed() }
}

/// rt_sigaction(2): installs `new` for `sig` and returns the previous disposition.
pub fn sigaction(sig: u32, new: &SigAction) -> Result<SigAction> {
    let mut old = core::mem::MaybeUninit::<SigAction>::uninit();
    // SAFETY: the kernel reads one `kernel_sigaction` from `new` and writes one into `old`,
    // both in this architecture's layout (linux-raw-sys's per-target definition).
    unsafe { syscall!(Sysno::rt_sigaction, sig, new as *const SigAction, old.as_mut_ptr(), SIGSET_SIZE) }?;
    // SAFETY: on success the kernel has written the whole struct. SIG_IGN (1) lands in the
    // handler field as a non-null function pointer that is never called, only handed back.
    Ok(unsafe { old.assume_init() })
}

/// rt_sigtimedwait(2): dequeues one signal of `set`, waiting at most `timeout_ms`
/// (forever with `None`; EAGAIN when the time runs out).
pub fn sigtimedwait(set: SigSet, timeout_ms: Option<u64>) -> Result<SigInfo> {
    let mut info = core::mem::MaybeUninit::<g::siginfo_t>::uninit();
    let ts;
    let ts_ptr = match timeout_ms {
        Some(ms) => {
            // At most about 49 days, in 32-bit arithmetic (a 64-bit division would pull a
            // compiler-builtins routine into 32-bit targets); waking early is harmless, the
            // caller works out its deadline again.
            let ms = ms.min(u32::MAX as u64) as u32;
            ts = g::__kernel_timespec { tv_sec: (ms / 1000) as _, tv_nsec: ((ms % 1000) * 1_000_000) as _ };
            &raw const ts
        }
        None => ptr::null(),
    };
    // SAFETY: the kernel reads the set and the optional timespec (live locals or NULL) and
    // writes one siginfo_t into `info`, which is large enough for it.
    let sig = unsafe { syscall!(SYS_SIGTIMEDWAIT, &raw const set, info.as_mut_ptr(), ts_ptr, SIGSET_SIZE) }?;
    // SAFETY: on success the kernel has filled in the whole siginfo_t (copy_siginfo_to_user
    // writes all of its bytes, clearing what the signal does not use); `_kill` is the
    // union member laid out for SI_USER, SI_QUEUE and SIGCHLD (pid first in all of them).
    let info = unsafe { &info.assume_init_ref().__bindgen_anon_1.__bindgen_anon_1 };
    // SAFETY: as above; a union field of plain integers.
    let pid = unsafe { info._sifields._kill._pid };
    Ok(SigInfo { signo: sig as u32, code: info.si_code, pid })
}

/// ioctl(TIOCSPGRP): makes `pgrp` the foreground process group of the terminal on `fd`.
pub fn tcsetpgrp(fd: i32, pgrp: i32) -> Result<()> {
    // SAFETY: the kernel reads one pid_t from the pointer to a live local.
    unsafe { syscall!(Sysno::ioctl, fd, linux_raw_sys::ioctl::TIOCSPGRP, &raw const pgrp) }.map(drop)
}

/// How the child `pid` ended, if it has, without reaping it (waitid(2) with WNOWAIT): its
/// zombie, and so its pid and process group numbers, stay until `reap`. Any kind of child
/// (`__WALL`); `flags` is WNOHANG or 0 (wait for the end). `Ok(None)` while it runs; once
/// it has ended, the siginfo's si_status: the exit code, or the signal that killed it
/// (never 0).
pub fn wait_end(pid: i32, flags: u32) -> Result<Option<i32>> {
    let mut info = core::mem::MaybeUninit::<g::siginfo_t>::uninit();
    let flags = flags | g::WEXITED | g::WNOWAIT | g::__WALL;
    // SAFETY: the kernel writes into `info`, which is a whole siginfo_t; rusage is NULL.
    unsafe { syscall!(Sysno::waitid, g::P_PID, pid, info.as_mut_ptr(), flags, ptr::null_mut::<u8>()) }?;
    // SAFETY: on success waitid has written si_signo, si_errno, si_code, si_pid, si_uid and
    // si_status (zeros while the child runs), the only fields read here, through a raw
    // pointer, without claiming the rest of the struct is initialised. `_sigchld` is the
    // member waitid fills.
    let (child, status) = unsafe {
        let fields = &raw const (*info.as_ptr()).__bindgen_anon_1.__bindgen_anon_1._sifields._sigchld;
        ((*fields)._pid, (*fields)._status)
    };
    Ok((child != 0).then_some(status))
}

/// Reaps the child `pid`, of any kind (`__WALL`), if it has ended.
pub fn reap(pid: i32) {
    let _ = wait4(pid, g::WNOHANG | g::__WALL);
}

/// wait4(2) without rusage: returns (pid, raw wait status); pid 0 with WNOHANG when
/// children exist but none has changed state.
pub fn wait4(pid: i32, flags: u32) -> Result<(i32, i32)> {
    let mut status: i32 = 0;
    // SAFETY: the kernel writes one int through the pointer to a live local; rusage is NULL.
    unsafe { syscall!(Sysno::wait4, pid, &raw mut status, flags, ptr::null_mut::<u8>()) }.map(|p| (p as i32, status))
}

/// writev(2) once: what the kernel takes now (all of it, for a regular file or a pipe
/// that has room). Errors are ignored: a closed stderr must not stop PID 1.
pub fn writev(fd: i32, pieces: &[IoSlice]) {
    // SAFETY: the kernel reads `pieces.len()` iovecs, each naming live bytes (`IoSlice`).
    let _ = unsafe { syscall!(Sysno::writev, fd, pieces.as_ptr(), pieces.len()) };
}

/// Builds a `CStrList` from test data. The strings are leaked, as the `'static` contract
/// of `CStrList` demands.
#[cfg(test)]
pub fn test_list(words: &[&[u8]]) -> CStrList {
    extern crate std;
    use std::{boxed::Box, ffi::CString, vec::Vec};
    let mut ptrs: Vec<*const c_char> =
        words.iter().map(|w| CString::new(*w).unwrap().into_raw() as *const c_char).collect();
    ptrs.push(ptr::null());
    let len = words.len();
    let ptrs = Box::leak(ptrs.into_boxed_slice());
    // SAFETY: `ptrs` holds `len` pointers to leaked NUL-terminated strings and a NULL.
    unsafe { CStrList::from_raw(ptrs.as_ptr(), len) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_join_only_what_follows_them_in_memory() {
        let text = b"abcdef";
        let mut piece = IoSlice::new(&text[..2]);
        assert!(piece.join(&text[2..4]));
        assert_eq!(piece.len, 4);
        assert!(!piece.join(&text[5..]));
        assert!(!piece.join(&text[..1]));
        assert_eq!((piece.base, piece.len), (text.as_ptr(), 4));
    }

    #[test]
    fn starts_with_never_reads_past_the_nul() {
        let list = test_list(&[b"PATH=/bin", b"", b"AB"]);
        assert!(list.starts_with(0, b"PATH"));
        assert!(list.starts_with(0, b"PATH=/bin"));
        assert!(!list.starts_with(0, b"PATH=/bin/"));
        assert!(list.starts_with(1, b""));
        // A NUL in the prefix: the string's own NUL must not match it (and nothing after
        // the NUL may be read: Miri or ASan would catch that here).
        assert!(!list.starts_with(2, b"AB\0"));
        assert!(!list.starts_with(2, b"AB\0CD"));
        assert!(!list.starts_with(1, b"\0"));
        assert!(!list.starts_with(3, b""));
    }
}
