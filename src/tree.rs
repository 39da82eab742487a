//! Finding pidone's own descendants, for shutdown when pidone is not PID 1 and must not
//! signal pid -1. The kernel lists each thread's children in /proc/PID/task/TID/children.

use linux_raw_sys::general as g;

use crate::msg::PathBuf;
use crate::signals::parse_u32;
use crate::sys::{self, Errno};

/// How deep the walk goes. Processes further down are missed by this pass only: when
/// their ancestors die they are reparented to pidone (a subreaper) and found next pass.
const MAX_DEPTH: u32 = 32;

/// Sends each of `sigs`, in order, to every descendant of `pid`; an error when /proc
/// cannot be read at all.
pub fn signal_descendants(pid: i32, sigs: &[u32]) -> Result<(), Errno> {
    walk(pid, sigs, MAX_DEPTH, &mut PathBuf::path())
}

/// `path` is scratch space shared by every level of the walk: each level is done with it
/// before it goes down, so one PATH_MAX buffer serves the whole tree.
fn walk(pid: i32, sigs: &[u32], depth: u32, path: &mut PathBuf) -> Result<(), Errno> {
    path.clear().push(b"/proc/").num(pid as u64).push(b"/task");
    let Some(task) = path.cpath() else { return Err(Errno::ENAMETOOLONG) };
    let dir = sys::openat(g::AT_FDCWD, task, g::O_RDONLY | g::O_DIRECTORY)?;
    // Directory records, then a chunk of a children file.
    let mut buf = [0u8; 640];
    let (ents, chunk) = buf.split_at_mut(512);
    while let Ok(n @ 1..) = sys::getdents64(dir, ents) {
        for tid in dirent_names(&ents[..n]).filter_map(parse_u32) {
            // TID/children, relative to the task directory.
            path.clear().num(tid as u64).push(b"/children");
            let Some(Ok(fd)) = path.cpath().map(|p| sys::openat(dir, p, g::O_RDONLY)) else { continue };
            // "12 345 " in chunks of any size: a pid may straddle two reads.
            let mut child: i32 = 0;
            loop {
                let n = sys::read(fd, chunk).unwrap_or(0);
                // At the end, one separator to flush the last pid.
                let bytes = if n == 0 { &b" "[..] } else { &chunk[..n] };
                for &c in bytes {
                    if c.is_ascii_digit() {
                        child = child.wrapping_mul(10).wrapping_add((c - b'0') as i32);
                    } else if child > 0 {
                        // Its descendants first: signalled first, a parent could exit
                        // and hand them to pidone before this walk reached them.
                        if depth > 0 {
                            let _ = walk(child, sigs, depth - 1, path);
                        }
                        for &sig in sigs {
                            let _ = sys::kill(child, sig);
                        }
                        child = 0;
                    }
                }
                if n == 0 {
                    break;
                }
            }
            sys::close(fd);
        }
    }
    sys::close(dir);
    Ok(())
}

/// The names in a buffer of `linux_dirent64` records from getdents64: each record is
/// d_ino (8 bytes), d_off (8), d_reclen (2), d_type (1), then the NUL-terminated name.
pub fn dirent_names(buf: &[u8]) -> impl Iterator<Item = &[u8]> {
    const NAME: usize = 19;
    let mut rest = buf;
    core::iter::from_fn(move || {
        let reclen = u16::from_ne_bytes([*rest.get(16)?, *rest.get(17)?]) as usize;
        let rec = rest.get(..reclen).filter(|_| reclen > NAME)?;
        rest = &rest[reclen..];
        let name = &rec[NAME..];
        Some(&name[..name.iter().position(|&c| c == 0).unwrap_or(name.len())])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn record(name: &str) -> Vec<u8> {
        // d_ino, d_off, d_reclen, d_type, name, NUL, padded to 8 bytes like the kernel.
        let len = (19 + name.len() + 1).next_multiple_of(8);
        let mut r = std::vec![0u8; len];
        r[16..18].copy_from_slice(&(len as u16).to_ne_bytes());
        r[19..19 + name.len()].copy_from_slice(name.as_bytes());
        r
    }

    #[test]
    fn dirent_records_yield_their_names() {
        let buf: Vec<u8> = [".", "..", "1", "12345", "thread-name"].iter().flat_map(|n| record(n)).collect();
        let names: Vec<&[u8]> = dirent_names(&buf).collect();
        assert_eq!(names, [&b"."[..], b"..", b"1", b"12345", b"thread-name"]);
        // A truncated or corrupt buffer ends the walk instead of reading past it.
        assert_eq!(dirent_names(&buf[..buf.len() - 1]).count(), 4);
        let mut bad = record("1");
        bad[16..18].copy_from_slice(&0u16.to_ne_bytes());
        assert_eq!(dirent_names(&bad).count(), 0);
    }
}
