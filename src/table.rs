//! Byte-string tables and lists: every text table in pidone is one byte string of
//! separated words, so the binary carries no tables of pointers. The helpers that read
//! them depend on nothing else in pidone, which lets `args`, `msg` and `signals` share them.

/// Whether `s` contains `c`: a plain loop, because `<[u8]>::contains` brings in core's
/// word-at-a-time memchr, 200 bytes for strings of a few bytes.
#[allow(clippy::manual_contains)] // deliberately not `contains`: see above
pub fn has(s: &[u8], c: u8) -> bool {
    s.iter().any(|&x| x == c)
}

/// The pieces of `s` between the `sep` bytes. Every split in pidone goes through here, so
/// the binary carries one copy of the iterator's code.
pub fn split(s: &[u8], sep: u8) -> impl Iterator<Item = &[u8]> {
    s.split(move |&c| c == sep)
}

/// The words of a space-separated table.
pub fn words(table: &[u8]) -> impl Iterator<Item = &[u8]> {
    split(table, b' ')
}

/// The index of `word` in a space-separated table.
pub fn word_index(table: &[u8], word: &[u8]) -> Option<usize> {
    words(table).position(|n| n == word)
}

/// How many pieces `split(table, sep)` yields, at compile time: for the `const` checks that
/// parallel tables have the same length.
pub const fn count(table: &[u8], sep: u8) -> usize {
    let (mut n, mut i) = (1, 0);
    while i < table.len() {
        if table[i] == sep {
            n += 1;
        }
        i += 1;
    }
    n
}

/// Kernel constants as bytes, at compile time: for the tables that number the entries of a
/// byte string by the target's signal or error numbers (each below 256 on every
/// architecture; the build fails if one is not).
pub const fn bytes<const N: usize>(v: [u32; N]) -> [u8; N] {
    let mut out = [0; N];
    let mut i = 0;
    while i < N {
        assert!(v[i] < 256);
        out[i] = v[i] as u8;
        i += 1;
    }
    out
}
