//! Program start and the little runtime a libc would otherwise provide: turning the
//! initial stack into argv/envp, the memory functions LLVM calls, and the panic handler.

use core::ffi::c_char;

use pidone::msg::Line;
use pidone::reap::EXIT_FAILURE;
use pidone::sys::{self, CStrList};

/// Called by the per-architecture `_start` with the address of argc on the initial stack.
///
/// # Safety
/// `sp` must be the initial stack pointer the kernel gave the process.
pub unsafe extern "C" fn entry(sp: *const usize) -> ! {
    // SAFETY: the kernel's initial stack holds argc, then argc argv pointers and a NULL,
    // then the envp pointers and a NULL. We only read inside that layout.
    let (args, env) = unsafe {
        let argc = *sp;
        let argv = sp.add(1) as *const *const c_char;
        let envp = argv.add(argc + 1);
        let mut envc = 0;
        while !(*envp.add(envc)).is_null() {
            envc += 1;
        }
        (CStrList::from_raw(argv, argc), CStrList::from_raw(envp, envc))
    };
    sys::exit(pidone::run(args, env))
}

/// A bug, never an expected path: say so in one line and exit with pidone's own failure code.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    Line::new().push(b"internal error (panic)").send();
    sys::exit(EXIT_FAILURE)
}

/// The prebuilt `core` references this from its unwind tables even with panic=abort.
#[unsafe(no_mangle)]
extern "C" fn rust_eh_personality() {}

// The memory functions LLVM emits calls to. The prebuilt `compiler_builtins` does not
// export them, and there is no libc. Their loops use volatile accesses so LLVM cannot
// recognise them as memcpy/memset and turn them back into calls to themselves.

/// # Safety
/// `dst` and `src` must be valid for `n` bytes and must not overlap.
#[unsafe(no_mangle)]
unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // Its own loop rather than a tail call to memmove: LLVM emits that tail call through
    // the GOT, and a GOT is a writable segment this binary otherwise does not need.
    let mut i = 0;
    while i < n {
        // SAFETY: `i < n`, inside both ranges the caller vouched for.
        unsafe { dst.add(i).write_volatile(src.add(i).read_volatile()) };
        i += 1;
    }
    dst
}

/// # Safety
/// `dst` and `src` must be valid for `n` bytes; they may overlap.
#[unsafe(no_mangle)]
unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: every offset is below `n`, inside both ranges by contract. Copying forwards
    // when dst is below src (and backwards otherwise) never reads a byte already overwritten.
    unsafe {
        if (dst as usize) <= (src as usize) {
            let mut i = 0;
            while i < n {
                dst.add(i).write_volatile(src.add(i).read_volatile());
                i += 1;
            }
        } else {
            let mut i = n;
            while i > 0 {
                i -= 1;
                dst.add(i).write_volatile(src.add(i).read_volatile());
            }
        }
    }
    dst
}

/// # Safety
/// `dst` must be valid for `n` bytes.
#[unsafe(no_mangle)]
unsafe extern "C" fn memset(dst: *mut u8, c: i32, n: usize) -> *mut u8 {
    let mut i = 0;
    while i < n {
        // SAFETY: `i < n`, inside the range the caller vouched for.
        unsafe { dst.add(i).write_volatile(c as u8) };
        i += 1;
    }
    dst
}

/// # Safety
/// `a` and `b` must be valid for `n` bytes.
#[unsafe(no_mangle)]
unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    while i < n {
        // SAFETY: `i < n`, inside both ranges the caller vouched for.
        let (x, y) = unsafe { (a.add(i).read_volatile(), b.add(i).read_volatile()) };
        if x != y {
            return x as i32 - y as i32;
        }
        i += 1;
    }
    0
}

/// # Safety
/// `a` and `b` must be valid for `n` bytes.
#[unsafe(no_mangle)]
unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: forwarded contract.
    unsafe { memcmp(a, b, n) }
}

/// # Safety
/// `s` must point to a NUL-terminated string.
#[unsafe(no_mangle)]
unsafe extern "C" fn strlen(s: *const c_char) -> usize {
    let mut n = 0;
    // SAFETY: every byte up to and including the NUL belongs to the string.
    while unsafe { s.add(n).read_volatile() } != 0 {
        n += 1;
    }
    n
}
