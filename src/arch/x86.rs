//! i686 process entry. The kernel starts us with `esp` pointing at argc, followed by
//! argv, a NULL, envp and another NULL.

use core::arch::naked_asm;

/// The ELF entry point: hands the initial stack pointer to `start::entry`.
///
/// # Safety
/// Only the kernel may call this, once, with the initial process stack in `esp`.
#[unsafe(naked)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _start() -> ! {
    naked_asm!(
        // Mark the outermost frame for debuggers and unwinders.
        "xor ebp, ebp",
        "mov eax, esp",
        // cdecl: the argument on the stack, which is 16-byte aligned at the call.
        "and esp, -16",
        "sub esp, 12",
        "push eax",
        "call {entry}",
        "ud2",
        entry = sym crate::start::entry,
    )
}
