//! The pidone executable: a `#![no_std]`, `#![no_main]` entry point around the library.
//! `arch` holds the per-architecture `_start`; `start` turns the initial stack into
//! argv/envp, provides the memory functions and the panic handler.

#![cfg_attr(not(test), no_std)]
#![cfg_attr(not(test), no_main)]
// `_start` on MIPS is inline assembly, not yet stable there (the build uses Debian's Rust
// with RUSTC_BOOTSTRAP, as build-std needs anyway; the `syscalls` crate does the same).
#![cfg_attr(target_arch = "mips64", feature(asm_experimental_arch))]
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]
// A test build of the binary (`cargo clippy --all-targets`) links std, whose panic handler
// would clash with ours: there it is an empty crate. Its logic is tested through the library.
#![cfg(not(test))]

// The only per-architecture code: the entry point (and what its ABI needs besides).
#[cfg_attr(target_arch = "x86_64", path = "arch/x86_64.rs")]
#[cfg_attr(target_arch = "aarch64", path = "arch/aarch64.rs")]
#[cfg_attr(target_arch = "arm", path = "arch/arm.rs")]
#[cfg_attr(target_arch = "riscv64", path = "arch/riscv64.rs")]
#[cfg_attr(target_arch = "x86", path = "arch/x86.rs")]
#[cfg_attr(target_arch = "powerpc64", path = "arch/powerpc64.rs")]
#[cfg_attr(target_arch = "s390x", path = "arch/s390x.rs")]
#[cfg_attr(target_arch = "mips64", path = "arch/mips64.rs")]
#[cfg_attr(target_arch = "loongarch64", path = "arch/loongarch64.rs")]
mod arch;

#[cfg(not(any(
    target_arch = "x86_64",
    target_arch = "aarch64",
    target_arch = "arm",
    target_arch = "riscv64",
    target_arch = "x86",
    target_arch = "powerpc64",
    target_arch = "s390x",
    target_arch = "mips64",
    target_arch = "loongarch64"
)))]
compile_error!(
    "pidone has an entry point for x86_64, x86, aarch64, arm, riscv64, powerpc64, s390x, mips64 and loongarch64 only"
);
mod start;
