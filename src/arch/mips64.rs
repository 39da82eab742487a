//! mips64el (n64 ABI) process entry. The kernel starts us with `$sp` pointing at argc,
//! followed by argv, a NULL, envp and another NULL.

use core::arch::naked_asm;

/// The ELF entry point: hands the initial stack pointer to `start::entry`.
///
/// # Safety
/// Only the kernel may call this, once, with the initial process stack in `$sp`.
#[unsafe(naked)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _start() -> ! {
    naked_asm!(
        ".set push",
        ".set noreorder",
        // First argument: the address of argc.
        "move $4, $sp",
        // The ABI wants a 16-byte aligned stack; mark the outermost frame.
        "li $8, -16",
        "and $sp, $sp, $8",
        "move $31, $0",
        "move $30, $0",
        // Called through $25 ($t9): code that sets up $gp computes it from there.
        "dla $25, {entry}",
        "jalr $25",
        "nop",
        "break",
        ".set pop",
        entry = sym crate::start::entry,
    )
}
