//! s390x process entry. The kernel starts us with `r15` pointing at argc, followed by
//! argv, a NULL, envp and another NULL.

use core::arch::naked_asm;

/// The ELF entry point: hands the initial stack pointer to `start::entry`.
///
/// # Safety
/// Only the kernel may call this, once, with the initial process stack in `r15`.
#[unsafe(naked)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _start() -> ! {
    naked_asm!(
        // First argument: the address of argc.
        "lgr %r2, %r15",
        // The ABI has every caller reserve a 160-byte register save area below the stack
        // pointer, whose first doubleword (the back chain) is NULL for the outermost frame.
        // The kernel leaves r15 8-byte aligned, which is all the ABI asks.
        "aghi %r15, -160",
        "xc 0(8,%r15), 0(%r15)",
        "brasl %r14, {entry}",
        // An invalid instruction (opcode 0).
        ".short 0",
        entry = sym crate::start::entry,
    )
}
