//! Finding pidone's own descendants, for shutdown when pidone is not PID 1 and must not
//! signal pid -1. The kernel lists each thread's children in /proc/PID/task/TID/children.
//!
//! Three things make the walk safe to run against a tree that changes under it:
//! - It is iterative: a fixed array holds one cursor per level, so a chain of 1,000
//!   nested shells needs no more stack than one shell (a recursive walk overflowed a
//!   32 KiB stack at 40 levels).
//! - Each level visits its children in increasing pid order, the cursor being the last pid
//!   visited, so a child that exits (or a parent whose list changes) never makes the walk
//!   lose its place or visit a process twice.
//! - A pid read from a children file may be reaped and reused by an unrelated process
//!   before it is signalled. pidone's own children cannot be (only pidone reaps them, and
//!   not during the walk); deeper ones are signalled through a pidfd, after checking that
//!   the process behind it is still the child of the parent it was listed under.

use linux_raw_sys::general as g;

use crate::msg::PathBuf;
use crate::signals::parse_u32;
use crate::sys::{self, Errno};

/// How deep the walk goes. Processes further down are missed by this pass only: when
/// their ancestors die they are reparented to pidone (a subreaper) and found next pass.
const MAX_DEPTH: usize = 64;

/// How many children one scan of a children list yields (see `signal_descendants`).
const BATCH: usize = 16;

/// Sends each of `sigs`, in order, to every descendant of pidone (`self_pid`), the deepest
/// first. An error when the tree could not be learnt completely: /proc is missing or
/// belongs to another PID namespace, or a children file could not be read. What was found
/// is signalled even then; the caller falls back on what it can reach without /proc.
pub fn signal_descendants(self_pid: i32, sigs: &[u32]) -> Result<(), Errno> {
    let mut path = [0; PROC_PATH];
    let mut walk = Walk { self_pid, sigs, path: PathBuf::new(&mut path), error: None };
    walk.check_proc()?;
    // levels[d]: a process at depth d whose children are being visited, and the last of
    // them visited so far (0: none yet).
    let mut levels = [(self_pid, 0i32); MAX_DEPTH];
    let mut depth = 0;
    // The next children of the deepest level, smallest pid first: one scan of its list
    // serves BATCH of them, so a process with thousands of children is walked in linear
    // time. Leaves are signalled from the batch; a child with children of its own is
    // descended into, and the batch is made again when the walk comes back up.
    let mut batch = [0i32; BATCH];
    'walk: while let Some(&(pid, after)) = levels.get(depth) {
        let n = walk.children(pid, after, &mut batch);
        for &child in batch.get(..n).unwrap_or_default() {
            if let Some(level) = levels.get_mut(depth) {
                level.1 = child;
            }
            if walk.children(child, 0, &mut [0]) > 0
                && let Some(level) = levels.get_mut(depth + 1)
            {
                *level = (child, 0);
                depth += 1;
                continue 'walk;
            }
            // A leaf (or too deep to go on: the child itself, not its descendants).
            walk.signal(child, pid);
        }
        if n > 0 {
            continue;
        }
        // All of pid's children are done: now pid itself, unless it is pidone.
        let Some(&(parent, _)) = depth.checked_sub(1).and_then(|up| levels.get(up)) else { break };
        depth -= 1;
        walk.signal(pid, parent);
    }
    walk.error.map_or(Ok(()), Err)
}

/// The longest path the walk opens, with its NUL: `/proc/<pid>/task`, `<tid>/children`
/// or `/proc/<pid>/stat`, a pid having at most 10 digits.
const PROC_PATH: usize = 24;

struct Walk<'a> {
    self_pid: i32,
    sigs: &'a [u32],
    /// Scratch space for every path the walk opens.
    path: PathBuf<'a>,
    /// The first failure to learn part of the tree.
    error: Option<Errno>,
}

impl Walk<'_> {
    /// /proc must be of pidone's own PID namespace: in `unshare --pid --fork` without
    /// `--mount-proc`, /proc/PID is another process of the same number (the host's
    /// kthreadd for PID 2), and its children would be unrelated processes here.
    fn check_proc(&mut self) -> Result<(), Errno> {
        let mut buf = [0u8; 12];
        let n = sys::readlink(sys::CPath::of(c"/proc/self"), &mut buf)?;
        match buf.get(..n).and_then(parse_u32) {
            Some(pid) if pid as i32 == self.self_pid => Ok(()),
            _ => Err(Errno::ESRCH),
        }
    }

    fn fail(&mut self, e: Errno) {
        self.error.get_or_insert(e);
    }

    /// Fills `out` with the smallest pids above `after` among the children of `pid` (of all
    /// its threads), in increasing order; returns how many it found. Never inlined: it is
    /// called from two places, and s390x's LLVM would copy all of it into both (+1,200 bytes).
    #[inline(never)]
    fn children(&mut self, pid: i32, after: i32, out: &mut [i32]) -> usize {
        let own = pid == self.self_pid;
        self.path.clear().push(b"/proc/").num(pid as u64).push(b"/task");
        // (O_DIRECTORY: anything else, a FIFO put there say, fails before it could block.)
        let dir = match self.path.cpath().map(|p| sys::openat(g::AT_FDCWD, p, g::O_RDONLY | g::O_DIRECTORY)) {
            Some(Ok(fd)) => fd,
            // It has exited since its parent listed it: it has no children to find.
            Some(Err(Errno::ENOENT | Errno::ESRCH)) if !own => return 0,
            Some(Err(e)) => {
                self.fail(e);
                return 0;
            }
            // Cannot happen: /proc/PID/task fits.
            None => return 0,
        };
        let mut found = 0;
        // Directory records, then a chunk of a children file.
        let mut buf = [0u8; 640];
        let (ents, chunk) = buf.split_at_mut(512);
        loop {
            let n = match sys::getdents64(dir, ents) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    self.fail(e);
                    break;
                }
            };
            for tid in dirent_names(ents.get(..n).unwrap_or_default()).filter_map(parse_u32) {
                // TID/children, relative to the task directory.
                self.path.clear().num(tid as u64).push(b"/children");
                // Only a regular file, opened without waiting (a FIFO there would block).
                let fd = match self.path.cpath().map(|p| sys::open_regular(dir, p)) {
                    Some(Ok(fd)) => fd,
                    // A thread that has exited since the directory was read. pidone's own
                    // thread has not: then the kernel has no children files at all
                    // (CONFIG_PROC_CHILDREN), and the walk cannot see anything.
                    Some(Err(Errno::ENOENT)) if !own => continue,
                    Some(Err(e)) => {
                        self.fail(e);
                        continue;
                    }
                    None => continue,
                };
                // "12 345 " in chunks of any size: a pid may straddle two reads.
                let mut child: i32 = 0;
                loop {
                    let n = match sys::read(fd, chunk) {
                        Ok(n) => n,
                        Err(e) => {
                            self.fail(e);
                            0
                        }
                    };
                    // At the end, one separator to flush the last pid.
                    let bytes = if n == 0 { &b" "[..] } else { chunk.get(..n).unwrap_or_default() };
                    for &c in bytes {
                        if c.is_ascii_digit() {
                            child = child.wrapping_mul(10).wrapping_add((c - b'0') as i32);
                        } else if child > 0 {
                            if child > after {
                                found = insert_sorted(out, found, child);
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
        found
    }

    /// Sends the signals to `pid`, which was listed as a child of `parent`.
    fn signal(&mut self, pid: i32, parent: i32) {
        // pidone's own child is signalled by its number: only pidone reaps it, and not
        // during the walk, so the number still names the same process (alive, or a zombie
        // that ignores signals). Deeper ones through a pidfd.
        let mut pidfd = None;
        if parent != self.self_pid {
            match sys::pidfd_open(pid) {
                Ok(fd) => pidfd = Some(fd),
                // Gone already.
                Err(Errno::ESRCH) => return,
                // A kernel before 5.3 has no pidfds: the number is all there is (the
                // README says what remains then).
                Err(Errno::ENOSYS) => {}
                // No descriptor to spare, say: not signalled, and the caller is told.
                Err(e) => return self.fail(e),
            }
        }
        // The number may have been reused between the children file and pidfd_open. If
        // its parent is still `parent` (or pidone, `parent` having exited since), the pidfd
        // names the child that was listed; or else a process that has exited since, and
        // the signal goes nowhere.
        if pidfd.is_none() || self.parent_of(pid).is_some_and(|p| p == parent || p == self.self_pid) {
            for &sig in self.sigs {
                let _ = match pidfd {
                    Some(fd) => sys::pidfd_send_signal(fd, sig),
                    None => sys::kill(pid, sig),
                };
            }
        }
        if let Some(fd) = pidfd {
            sys::close(fd);
        }
    }

    /// The parent of `pid`, from /proc/PID/stat.
    fn parent_of(&mut self, pid: i32) -> Option<i32> {
        self.path.clear().push(b"/proc/").num(pid as u64).push(b"/stat");
        // The fields up to the parent fit: comm is at most 16 bytes.
        stat_parent(sys::read_file(self.path.cpath()?, &mut [0; 96])?)
    }
}

/// Inserts `pid` into the `len` sorted pids at the start of `out`, dropping the largest
/// when `out` is full (and `pid` itself when it is larger than all of them, or there
/// already); returns the new length.
fn insert_sorted(out: &mut [i32], len: usize, pid: i32) -> usize {
    // Carried through the list: each larger pid takes the place of the one carried.
    let mut carried = pid;
    for slot in out.iter_mut().take(len) {
        if *slot == carried {
            return len;
        }
        if *slot > carried {
            core::mem::swap(slot, &mut carried);
        }
    }
    match out.get_mut(len) {
        Some(slot) => {
            *slot = carried;
            len + 1
        }
        None => len,
    }
}

/// The parent pid in the text of /proc/PID/stat: `pid (comm) S ppid ...`. comm may hold
/// spaces and parentheses, so the fields are found from the last `)`; the state is one
/// letter.
pub fn stat_parent(stat: &[u8]) -> Option<i32> {
    let close = stat.iter().rposition(|&c| c == b')')?;
    let rest = stat.get(close + 4..)?;
    let end = rest.iter().position(|&c| c == b' ')?;
    parse_u32(rest.get(..end)?).map(|p| p as i32)
}

/// The names in a buffer of `linux_dirent64` records from getdents64: each record is
/// d_ino, d_off, d_reclen, d_type, then the NUL-terminated name.
pub fn dirent_names(buf: &[u8]) -> impl Iterator<Item = &[u8]> {
    const RECLEN: usize = core::mem::offset_of!(g::linux_dirent64, d_reclen);
    const NAME: usize = core::mem::offset_of!(g::linux_dirent64, d_name);
    let mut rest = buf;
    core::iter::from_fn(move || {
        let reclen = u16::from_ne_bytes([*rest.get(RECLEN)?, *rest.get(RECLEN + 1)?]) as usize;
        let rec = rest.get(..reclen).filter(|_| reclen > NAME)?;
        rest = rest.get(reclen..)?;
        let name = rec.get(NAME..)?;
        name.get(..name.iter().position(|&c| c == 0).unwrap_or(name.len()))
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

    #[test]
    fn parent_pids_from_stat_lines() {
        assert_eq!(stat_parent(b"42 (sleep) S 7 42 42 0 -1"), Some(7));
        // comm with spaces and parentheses: read from the last `)`.
        assert_eq!(stat_parent(b"42 (a) b (c)) R 1234 42 1"), Some(1234));
        for bad in [&b""[..], b"42 (sleep", b"42 (sleep) S", b"42 (sleep) S 7", b"42 (s) S x 1", b"42 (s) S -1 2"] {
            assert_eq!(stat_parent(bad), None, "{:?}", std::str::from_utf8(bad));
        }
    }

    #[test]
    fn batches_keep_the_smallest_pids_in_order() {
        let mut out = [0i32; 4];
        let mut len = 0;
        for pid in [50, 7, 99, 7, 12, 3, 1000, 8] {
            len = insert_sorted(&mut out, len, pid);
        }
        assert_eq!(&out[..len], [3, 7, 8, 12]);
        let mut one = [0i32; 1];
        assert_eq!(insert_sorted(&mut one, 0, 5), 1);
        assert_eq!((insert_sorted(&mut one, 1, 9), one), (1, [5]));
        assert_eq!((insert_sorted(&mut one, 1, 2), one), (1, [2]));
        assert_eq!(insert_sorted(&mut [], 0, 2), 0);
    }

    #[test]
    fn the_kernels_dirent_layout_is_the_one_parsed() {
        assert_eq!(core::mem::offset_of!(g::linux_dirent64, d_reclen), 16);
        assert_eq!(core::mem::offset_of!(g::linux_dirent64, d_name), 19);
    }
}
