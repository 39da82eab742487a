//! The pidone executable: a `#![no_std]`, `#![no_main]` entry point around the library.
//! `arch` holds the per-architecture `_start`; `start` turns the initial stack into
//! argv/envp, provides the memory functions and the panic handler.

#![no_std]
#![no_main]
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]

#[cfg_attr(target_arch = "x86_64", path = "arch/x86_64.rs")]
mod arch;
mod start;
