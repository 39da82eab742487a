//! powerpc64le (ELFv2) process entry. The kernel starts us with `r1` pointing at argc,
//! followed by argv, a NULL, envp and another NULL.

use core::arch::naked_asm;

/// The ELF entry point: sets up the TOC pointer and hands the initial stack pointer to
/// `start::entry`.
///
/// # Safety
/// Only the kernel may call this, once, with the initial process stack in `r1`.
#[unsafe(naked)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _start() -> ! {
    naked_asm!(
        // r2 holds the TOC pointer, through which all code addresses its constants. The
        // binary is static and not position-independent: its absolute address will do.
        "lis 2, .TOC.@highest",
        "ori 2, 2, .TOC.@higher",
        "rldicr 2, 2, 32, 31",
        "oris 2, 2, .TOC.@h",
        "ori 2, 2, .TOC.@l",
        // First argument: the address of argc.
        "mr 3, 1",
        // The ABI wants a 16-byte aligned stack and a minimal frame of 32 bytes whose back
        // chain (its first word) is NULL for the outermost frame.
        "clrrdi 1, 1, 4",
        "li 0, 0",
        "stdu 0, -32(1)",
        "mtlr 0",
        "bl {entry}",
        "trap",
        entry = sym crate::start::entry,
    )
}
