//! The release binary itself: static, no program interpreter, inside the size budget.

mod common;
use common::*;

fn program_header_types(elf: &[u8]) -> Vec<u32> {
    program_headers(elf).into_iter().map(|(t, _)| t).collect()
}

#[test]
fn release_binary_is_static_without_interpreter() {
    let elf = std::fs::read(bin()).unwrap();
    let types = program_header_types(&elf);
    assert!(!types.contains(&PT_INTERP), "has a program interpreter");
    assert!(!types.contains(&PT_DYNAMIC), "is dynamically linked");
    // ET_EXEC (2): a plain executable, not a (static-)PIE.
    assert_eq!(elf_u16(&elf, 16), 2, "not ET_EXEC");
}

/// One loadable segment, read-only and executable: pidone has no writable data at all. A GOT
/// (which a tail call to memcpy once brought in) would add a second, writable segment and
/// most of a page of padding before it.
#[test]
fn release_binary_has_one_segment_and_no_writable_data() {
    let elf = std::fs::read(bin()).unwrap();
    const PF_W: u32 = 2;
    let loads: Vec<u32> = program_headers(&elf).into_iter().filter(|&(t, _)| t == PT_LOAD).map(|(_, f)| f).collect();
    assert_eq!(loads.len(), 1, "expected one PT_LOAD segment, got {loads:?}");
    assert_eq!(loads[0] & PF_W, 0, "the segment is writable");
}

#[test]
fn release_binary_fits_the_size_budget() {
    let elf = std::fs::read(bin()).unwrap();
    let (size, budget) = (elf.len() as u64, budget(&elf));
    eprintln!("pidone is {size} bytes (budget {budget})");
    assert!(
        size <= budget,
        "pidone is {size} bytes, over the {budget}-byte budget (which is for the release build: cargo test --release)"
    );
}
