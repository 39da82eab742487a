//! 32-bit ARM (armv7, EABI hard-float) process entry. The kernel starts us with `sp`
//! pointing at argc, followed by argv, a NULL, envp and another NULL.

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
        "mov r0, sp",
        // Mark the outermost frame (the frame pointer is r11 in ARM code, r7 in Thumb).
        "mov r1, #0",
        "mov r7, r1",
        "mov r11, r1",
        "mov lr, r1",
        // The AAPCS wants an 8-byte aligned stack at public calls (Thumb cannot `bic` sp).
        "bic r1, r0, #15",
        "mov sp, r1",
        "bl {entry}",
        "udf #0",
        entry = sym crate::start::entry,
    )
}

// The prebuilt `core`'s .ARM.exidx unwind entries name the EABI personality routines.
// With panic=abort nothing unwinds, so empty ones satisfy the linker.
#[unsafe(no_mangle)]
extern "C" fn __aeabi_unwind_cpp_pr0() {}
#[unsafe(no_mangle)]
extern "C" fn __aeabi_unwind_cpp_pr1() {}
