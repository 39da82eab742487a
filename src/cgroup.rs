//! How many processes the kernel's OOM killer has killed in pidone's cgroup: when the
//! command dies of SIGKILL and this count has grown since pidone started, it ran out of
//! memory. The cgroup is the one mounted at /sys/fs/cgroup, which in a container (Docker,
//! Podman, Kubernetes) is the container's own.

use crate::signals::parse_u32;
use crate::sys::{self, CPath};
use crate::table::split;

/// The count, or `None` when it cannot be read (no cgroup mounted, an old kernel): from
/// cgroup v2's `memory.events`, else v1's `memory.oom_control`; both have an `oom_kill N`
/// line. Two calls rather than a table of the paths: a table of pointers would be
/// relocated data, a writable segment in a position-independent build (`cargo install`).
pub fn oom_kills() -> Option<u32> {
    read_count(CPath::of(c"/sys/fs/cgroup/memory.events"))
        .or_else(|| read_count(CPath::of(c"/sys/fs/cgroup/memory/memory.oom_control")))
}

fn read_count(path: CPath) -> Option<u32> {
    // Both files are a few short lines (v2's has six, about 90 bytes with 0s).
    parse_oom_kills(sys::read_file(path, &mut [0; 256])?)
}

/// The number on the `oom_kill ` line (not `oom_kill_disable`, not `oom_group_kill`).
pub fn parse_oom_kills(text: &[u8]) -> Option<u32> {
    split(text, b'\n').find_map(|line| line.strip_prefix(b"oom_kill ")).and_then(parse_u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_count_is_found_in_both_versions_files() {
        let v2 = b"low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n";
        assert_eq!(parse_oom_kills(v2), Some(2));
        let v1 = b"oom_kill_disable 0\nunder_oom 0\noom_kill 17\n";
        assert_eq!(parse_oom_kills(v1), Some(17));
        // Linux before 4.13 had no oom_kill line in v1.
        assert_eq!(parse_oom_kills(b"oom_kill_disable 0\nunder_oom 0\n"), None);
        assert_eq!(parse_oom_kills(b"oom_kill x\n"), None);
        assert_eq!(parse_oom_kills(b""), None);
    }
}
