#!/usr/bin/env python3
"""The deepest stack pidone uses, in bytes, on each path that builds a line or searches
PATH: measured, not estimated. gdb stops pidone at its first instruction, paints the 64 KiB
below the initial stack pointer with a pattern, lets it run to exit_group, and finds the
lowest byte that no longer holds the pattern. The forked child (the exec-failure paths) is
followed instead of the parent where the scenario says so; it starts on a copy of
pidone's stack, so its depth counts from the same initial stack pointer.

Usage: bench/stack.py [BINARY]  (default target/release/pidone). Needs gdb. Prints one
Markdown table row per path."""
import os, subprocess, sys, tempfile

PAINT = 64 * 1024
BYTE = 0xA5

GDB_SCRIPT = r"""
set pagination off
set confirm off
set startup-with-shell off
set follow-fork-mode {follow}
set detach-on-fork on
handle all nostop noprint pass
starti
python
import gdb
sp = int(gdb.parse_and_eval("$sp"))
gdb.selected_inferior().write_memory(sp - {paint}, bytes([{byte}]) * {paint})
deepest = [0]

done = [False]

def measure():
    # At the entry of a system call (rax is -ENOSYS there), until an execve has succeeded:
    # from then on the stack is the new program's.
    rax = int(gdb.parse_and_eval("$rax"))
    if done[0] or rax != -38:
        done[0] |= rax == 0 and int(gdb.parse_and_eval("$orig_rax")) == 59
        return
    mem = bytes(gdb.selected_inferior().read_memory(sp - {paint}, {paint}))
    low = next((i for i, b in enumerate(mem) if b != {byte}), {paint})
    deepest[0] = max(deepest[0], {paint} - low)
end
catch syscall execve exit_group
python
while gdb.selected_inferior().pid:
    try:
        measure()
        gdb.execute("continue", to_string=True)
    except gdb.error:
        break
print("DEPTH %d" % deepest[0])
end
quit
"""

SCENARIOS = [
    # (what, follow, pidone's arguments)
    ("startup, -v lines, a command killed by a signal (the death line), shutdown walking /proc",
     "parent", ["-v", "--", "/bin/sh", "-c", "sleep 0.2 & kill -SEGV $$"]),
    ("--wait-all, -v and -w lines, a forwarded signal", "parent",
     ["-v", "-w", "--wait-all", "--", "/bin/sh", "-c", "(sleep 0.2; kill -HUP $PPID) & sleep 0.1 & exit 3"]),
    ("usage error", "parent", ["--no-such-option"]),
    ("child: exec of a path that does not exist, and its message", "child", ["--", "/nonexistent/x"]),
    ("child: exec of a file that is not executable", "child", ["--", "{plain}"]),
    ("child: PATH search that finds nothing, and its message", "child", ["--", "no-such-command"]),
    ("child: PATH search that runs a program", "child", ["--", "true"]),
]


def depth(binary, follow, args, plain):
    args = [a.replace("{plain}", plain) for a in args]
    with tempfile.NamedTemporaryFile("w", suffix=".gdb", delete=False) as f:
        f.write(GDB_SCRIPT.format(follow=follow, paint=PAINT, byte=BYTE))
        script = f.name
    try:
        env = {"PATH": "/usr/bin:/bin"}
        out = subprocess.run(["gdb", "-nx", "-batch", "-x", script, "--args", binary] + args,
                             capture_output=True, text=True, env=env, timeout=120)
    finally:
        os.unlink(script)
    for line in out.stdout.splitlines():
        if line.startswith("DEPTH "):
            return int(line.split()[1])
    raise SystemExit("no measurement for %s: %s%s" % (args, out.stdout, out.stderr))


def rows(binary):
    """(path, deepest stack in bytes) for every scenario."""
    with tempfile.NamedTemporaryFile("w") as plain:
        os.chmod(plain.name, 0o644)
        return [(what, depth(binary, follow, args, plain.name)) for what, follow, args in SCENARIOS]


def main():
    binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/release/pidone")
    print("| path | deepest stack (bytes) |")
    print("|---|---|")
    for what, deepest in rows(binary):
        print("| %s | %d |" % (what, deepest), flush=True)


if __name__ == "__main__":
    main()
