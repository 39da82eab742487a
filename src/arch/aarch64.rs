//! aarch64 process entry. The kernel starts us with `sp` pointing at argc (16-byte
//! aligned already), followed by argv, a NULL, envp and another NULL.

use core::arch::naked_asm;

/// The ELF entry point: hands the initial stack pointer to `start::entry`.
///
/// # Safety
/// Only the kernel may call this, once, with the initial process stack in `sp`.
#[unsafe(naked)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _start() -> ! {
    naked_asm!(
        // First argument: the address of argc.
        "mov x0, sp",
        // Mark the outermost frame: no frame pointer, no return address.
        "mov x29, xzr",
        "mov x30, xzr",
        "bl {entry}",
        "udf #0",
        entry = sym crate::start::entry,
    )
}
