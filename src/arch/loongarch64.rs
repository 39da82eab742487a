//! loongarch64 process entry. The kernel starts us with `$sp` pointing at argc, followed
//! by argv, a NULL, envp and another NULL.

use core::arch::naked_asm;

/// The ELF entry point: hands the initial stack pointer to `start::entry`.
///
/// # Safety
/// Only the kernel may call this, once, with the initial process stack in `$sp`.
#[unsafe(naked)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _start() -> ! {
    naked_asm!(
        // First argument: the address of argc.
        "move $a0, $sp",
        // The ABI wants a 16-byte aligned stack; mark the outermost frame.
        "bstrins.d $sp, $zero, 3, 0",
        "move $ra, $zero",
        "move $fp, $zero",
        "bl {entry}",
        "break 0",
        entry = sym crate::start::entry,
    )
}
