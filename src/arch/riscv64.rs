//! riscv64 process entry. The kernel starts us with `sp` pointing at argc, followed by
//! argv, a NULL, envp and another NULL.

use core::arch::naked_asm;

/// The ELF entry point: sets up the global pointer and hands the initial stack pointer
/// to `start::entry`.
///
/// # Safety
/// Only the kernel may call this, once, with the initial process stack in `sp`.
#[unsafe(naked)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _start() -> ! {
    naked_asm!(
        // gp must hold __global_pointer$ before any code the linker relaxed against it;
        // this one instruction must not itself be relaxed into a gp-relative form.
        ".option push",
        ".option norelax",
        "lla gp, __global_pointer$",
        ".option pop",
        // First argument: the address of argc.
        "mv a0, sp",
        // The psABI wants a 16-byte aligned stack; mark the outermost frame.
        "andi sp, sp, -16",
        "mv ra, zero",
        "mv s0, zero",
        "call {entry}",
        "unimp",
        entry = sym crate::start::entry,
    )
}
