//! x86_64 process entry. The kernel starts us with `rsp` pointing at argc, followed by the
//! argv pointers, a NULL, the envp pointers and another NULL (System V ABI, figure 3.9).

use core::arch::naked_asm;

/// The ELF entry point: hands the initial stack pointer to `start::entry`.
///
/// # Safety
/// Only the kernel may call this, once, with the initial process stack in `rsp`.
#[unsafe(naked)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _start() -> ! {
    naked_asm!(
        // First argument: the address of argc.
        "mov rdi, rsp",
        // Mark the outermost frame for debuggers and unwinders.
        "xor ebp, ebp",
        // The ABI wants a 16-byte aligned stack at every call.
        "and rsp, -16",
        "call {entry}",
        "ud2",
        entry = sym crate::start::entry,
    )
}
