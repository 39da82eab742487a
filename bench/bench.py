"""Measures pidone and its peers in one run and writes BENCHMARKS.md whole.

Usage: bench/bench.py [OUTPUT]   measure, write OUTPUT (default BENCHMARKS.md)
       bench/bench.py --check [FILE]   exit 1 unless FILE is exactly what its results give

Every figure is measured here, now; nothing is copied from elsewhere. Timing figures are
medians over interleaved runs, because absolute times on a shared machine are noisy and
ratios within one run are not. The page, its tables and the prose that reads them are all
rendered from one set of results, which the page keeps at its end (a comment): `--check`
renders the page again from them, so a hand edit of a figure or a sentence shows.
"""
import json, os, platform, re, signal, statistics, subprocess, sys, tempfile, time, glob

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HELPERS = os.path.join(ROOT, "tests", "helpers")
PY = "/usr/bin/python3"
TRUE = "/bin/true"

INITS = [
    ("pidone", [os.path.join(ROOT, "target/release/pidone"), "--"]),
    ("tini", ["/usr/bin/tini-static", "-s", "--"]),
    ("catatonit", ["/usr/bin/catatonit", "--"]),
    ("dumb-init", ["/usr/bin/dumb-init", "--"]),
]


def pid1(cmd, **kw):
    """Starts cmd as PID 1 of a new PID namespace; returns (popen, host pid of the init)."""
    p = subprocess.Popen(["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"] + cmd, **kw)
    for _ in range(500):
        try:
            kids = open("/proc/%d/task/%d/children" % (p.pid, p.pid)).read().split()
        except OSError:
            kids = []
        if kids and not os.readlink("/proc/%s/exe" % kids[0]).endswith("unshare"):
            return p, int(kids[0])
        time.sleep(0.01)
    raise RuntimeError("init did not start: %r" % cmd)


def static(path):
    out = subprocess.run(["readelf", "-l", path], capture_output=True, text=True).stdout
    return "INTERP" not in out and "DYNAMIC" not in out


# What `docker run` gives a container: the same for every init, so the counts compare.
CONTAINER_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                 "HOSTNAME": "3f4e1a2b9c8d", "HOME": "/root"}


def instructions(cmd):
    """User-space instructions the init's own process executes (callgrind's total for it)
    to run /bin/true, in a container's environment. Only the init's own process counts: a
    child that execs writes no counts, and one that exits (pidone's stand-in for the
    command's process group) writes a file that repeats its parent's counts from before
    the fork."""
    d = tempfile.mkdtemp()
    p = subprocess.Popen(["valgrind", "--tool=callgrind", "--callgrind-out-file=%s/cg.%%p" % d] + cmd + [TRUE],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=CONTAINER_ENV)
    assert p.wait() == 0, cmd
    for line in open("%s/cg.%d" % (d, p.pid)):
        if line.startswith("totals:") or line.startswith("summary:"):
            return int(line.split()[1])
    raise RuntimeError("no callgrind total for %r" % cmd)


def status_field(pid, name):
    for line in open("/proc/%d/status" % pid):
        if line.startswith(name + ":"):
            return int(line.split()[1])


def idle_rss(cmd, samples=9):
    """Median VmRSS (KiB) of the init as PID 1 while its command sleeps, over `samples`
    starts: where the randomised stack top falls in its page changes how many pages the
    arguments, environment and first frames touch, so one start can be a page off."""
    rss = []
    for _ in range(samples):
        p, pid = pid1(cmd + ["/bin/sleep", "1000"])
        time.sleep(0.5)
        rss.append(status_field(pid, "VmRSS"))
        p.kill()
        p.wait()
    return statistics.median(rss)


def idle(cmd, seconds):
    """VmRSS (KiB) of the init as PID 1 while its command sleeps (`idle_rss`), and its
    context switches (wake-ups) over `seconds`."""
    rss = idle_rss(cmd)
    p, pid = pid1(cmd + ["/bin/sleep", "1000"])
    time.sleep(1)
    switches = lambda: status_field(pid, "voluntary_ctxt_switches") + status_field(pid, "nonvoluntary_ctxt_switches")
    before = switches()
    time.sleep(seconds)
    woke = switches() - before
    p.kill()
    p.wait()
    return rss, woke


def spawn_wait(argv):
    t = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ)
    os.waitpid(pid, 0)
    return time.perf_counter() - t


def wall_times(rounds):
    """Median wall time of `INIT -- true` and of bare `true`, interleaved."""
    runs = {"true": []}
    runs.update({name: [] for name, _ in INITS})
    for _ in range(rounds):
        runs["true"].append(spawn_wait([TRUE]))
        for name, cmd in INITS:
            runs[name].append(spawn_wait(cmd + [TRUE]))
    return {k: statistics.median(v) for k, v in runs.items()}


def orphan_run(cmd, n):
    """Milliseconds until n orphans exiting at once are all reaped (orphans.py), or None."""
    out = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"] + cmd +
                         [PY, os.path.join(HELPERS, "orphans.py"), str(n)],
                         capture_output=True, text=True, timeout=120).stdout.split()
    if out[:4] != ["zombies", "0", "alive", "0"]:
        return None
    return int(out[5])


def orphans(n=3000, rounds=8):
    """Median milliseconds per init to reap n orphans. The inits take turns, in the reverse
    order every other round, each after a pause: the kernel is still tearing down the
    previous run's 3000 processes for a while, which slows down whichever init comes next."""
    ms = {name: [] for name, _ in INITS}
    for r in range(rounds):
        for name, cmd in (INITS if r % 2 == 0 else INITS[::-1]):
            time.sleep(1.5)
            ms[name].append(orphan_run(cmd, n))
    return {name: (None if None in v else statistics.median(v)) for name, v in ms.items()}


def forwarding(cmd, n=50000):
    """Real-time signals sent to the init per second, forwarded to a command that counts
    them; None when not all arrive (or none do)."""
    sig, end = signal.SIGRTMIN + 1, signal.SIGRTMIN + 6
    p, pid = pid1(cmd + [PY, os.path.join(HELPERS, "rtcount.py"), str(int(sig)), str(int(end))],
                  stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    start = time.perf_counter()
    sent = 0
    while sent < n:
        try:
            os.kill(pid, sig)
            sent += 1
        except BlockingIOError:
            time.sleep(0.001)  # the real-time queue is full: this one was not sent
    os.kill(pid, end)
    import select
    ready, _, _ = select.select([p.stdout], [], [], 30)
    got = int(p.stdout.readline()) if ready else 0
    took = time.perf_counter() - start
    p.kill()
    p.wait()
    return (sent / took if got == sent else None), got, sent



# Issue 5's targets for pidone: (what, test of the results, how the measured value reads).
def targets(r):
    me, tini = r["inits"]["pidone"], r["inits"]["tini"]
    amd64 = next((a for a in r["arches"] if a["name"] == "pidone-amd64"), None)
    rows = [
        ("≤ 1,000 user instructions for `pidone -- /bin/true`", me["instructions"] <= 1000,
         "{:,}".format(me["instructions"])),
        ("idle RSS ≤ 24 KiB", me["rss"] <= 24, "%d KiB" % me["rss"]),
        ("0 idle wake-ups", me["wakeups"] == 0, str(me["wakeups"])),
        ("wall-time ratio no worse than tini's", me["wall"] <= tini["wall"],
         "%.2f against %.2f" % (me["wall"], tini["wall"])),
        ("3000 orphans reaped no slower than tini", me["orphans"] is not None and tini["orphans"] is not None
         and me["orphans"] <= tini["orphans"], "%s ms against %s ms" % (ms(me["orphans"]), ms(tini["orphans"]))),
        ("≥ 100,000 forwarded signals per second, none lost",
         me["rate"] is not None and me["rate"] >= 100000,
         "{:,.0f}, {:,} of {:,}".format(me["rate"] or 0, me["got"], me["sent"])),
        ("binary ≤ 6 KiB (6,144 bytes)", me["size"] <= 6144, "{:,} bytes".format(me["size"])),
    ]
    if amd64:
        rows.append(("within its budget (tests/common/mod.rs) on every architecture",
                     all(a["size"] <= a["budget"] for a in r["arches"]),
                     "%d of %d" % (sum(a["size"] <= a["budget"] for a in r["arches"]), len(r["arches"]))))
    return rows


def ms(v):
    return "failed" if v is None else ("%g" % v)


def kib(n):
    return "{:,}".format(n)


def times(a, b):
    """How many times b is a, as prose."""
    return "%d times" % round(b / a) if b / a >= 10 else "%.1f times" % (b / a)


PEERS = ["tini", "catatonit", "dumb-init"]


def reading(r):
    """The prose that reads the table: every number in it comes from the results."""
    inits = r["inits"]
    me = inits["pidone"]
    out = []
    ins = ", ".join("%s than %s (%s)" % (times(me["instructions"], inits[p]["instructions"]) + " fewer",
                                         p, "{:,}".format(inits[p]["instructions"])) for p in PEERS)
    out.append("- **Start-up work**: pidone runs `-- /bin/true` in **{:,} user instructions**, {}. "
               "The peers' totals are mostly their C library's start-up (static glibc for tini and "
               "catatonit, the dynamic loader for dumb-init).".format(me["instructions"], ins))
    order = sorted(inits, key=lambda n: inits[n]["wall"])
    rank = order.index("pidone") + 1
    out.append("- **Wall time** of `INIT -- /bin/true`: %.2f times a bare `true` for pidone, %s for the peers; "
               "pidone is %s of four." % (me["wall"], ", ".join("%.2f (%s)" % (inits[p]["wall"], p) for p in PEERS),
                                          ["the fastest", "second", "third", "the slowest"][rank - 1]))
    peers_rss = [inits[p]["rss"] for p in PEERS]
    out.append("- **Idle memory**: {} KiB resident as PID 1, against {}–{} KiB for the peers. The binary is "
               "{} pages of 4 KiB; the rest is the stack, arguments and environment. Single starts differ by "
               "a page either way (where the randomised stack top falls in its page decides how many pages the "
               "arguments and environment touch): hence the median of 9.".format(
                   me["rss"], kib(min(peers_rss)), kib(max(peers_rss)), (me["size"] + 4095) // 4096))
    woke = [p for p in PEERS if inits[p]["wakeups"]]
    out.append("- **Idle wake-ups** in 10 s: %d for pidone, which sleeps in `rt_sigtimedwait` with no timeout; "
               "%s." % (me["wakeups"], "; ".join("%d for %s" % (inits[p]["wakeups"], p) for p in PEERS)) +
               (" tini wakes once a second to reap." if "tini" in woke else ""))
    done = {n: v["orphans"] for n, v in inits.items() if v["orphans"] is not None}
    if "pidone" in done and len(done) == 4:
        lo, hi = min(done.values()), max(done.values())
        order = sorted(done, key=done.get)
        out.append("- **3000 orphans** exiting at once: all four reap them in %s–%s ms (fastest to slowest: %s); "
                   "the slowest took %.0f%% longer than the fastest. The time is mostly the orphans' own exits; "
                   "the init's part is one `wait4` each." % (ms(lo), ms(hi), ", ".join(
                       "%s %s" % (n, ms(done[n])) for n in order), 100.0 * (hi - lo) / lo))
    else:
        out.append("- **3000 orphans**: failed for %s." % ", ".join(n for n, v in inits.items() if v["orphans"] is None))
    lost = [n for n, v in inits.items() if v["rate"] is None]
    rates = {n: v["rate"] for n, v in inits.items() if v["rate"]}
    out.append("- **Forwarding**: %s signals per second for pidone; %s. %s" % (
        "{:,.0f}".format(me["rate"]) if me["rate"] else "lost signals",
        ", ".join("{:,.0f} for {}".format(rates[p], p) for p in PEERS if p in rates),
        "None lost by any init." if not lost else "Lost by %s." % ", ".join(lost)) +
        " One Python `kill` loop sends them, so the sender may be the limit for all four.")
    if r["stack"]:
        deepest = max(r["stack"], key=lambda x: x[1])
        out.append("- **Stack**: at most {:,} bytes on any measured path ({}).".format(deepest[1], deepest[0]))
    if r["arches"]:
        big = max(r["arches"], key=lambda a: a["size"])
        small = min(r["arches"], key=lambda a: a["size"])
        tight = min(r["arches"], key=lambda a: a["budget"] - a["size"])
        out.append("- **Sizes**: {:,} bytes ({}) to {:,} ({}) over the ten architectures; the least headroom "
                   "under its budget is {}'s, {:,} bytes.".format(
                       small["size"], small["name"][7:], big["size"], big["name"][7:], tight["name"][7:],
                       tight["budget"] - tight["size"]))
    return out


ARCH_NOTES = {
    "386": "i686", "amd64": "x86_64", "arm64": "aarch64", "armv6": "arm gnueabi, ARMv6, ARM code",
    "armv7": "armv7 gnueabihf, Thumb-2", "loong64": "loongarch64", "mips64le": "mips64el n64",
    "ppc64le": "powerpc64le", "riscv64": "riscv64gc", "s390x": "s390x, big-endian",
}

HEAD = ["init", "size (bytes)", "static, no interpreter", "user instructions for `-- /bin/true`",
        "idle RSS as PID 1 (KiB)", "wake-ups idle 10 s", "wall time vs bare `true`",
        "3000 orphans reaped (ms)", "signals forwarded per second (received/sent)"]

METHOD = """\
- **size**: the file; **static**: `readelf -l` shows neither `INTERP` nor `DYNAMIC`.
- **user instructions**: `valgrind --tool=callgrind` total for `INIT -- /bin/true`, of the init's
  own process only (the command after `exec` is not traced, and pidone's forked stand-in for
  the command's process group writes counts that repeat its parent's), in the environment
  `docker run` gives a container (`PATH`, `HOSTNAME`, `HOME`), the same for every init.
  Deterministic.
- **idle RSS**: `VmRSS` of the init as PID 1 of a new PID namespace (`unshare --pid --fork
  --mount-proc`), half a second after it started `sleep 1000`; the median of 9 starts.
- **wake-ups**: voluntary plus involuntary context switches of that idle init over 10 seconds.
- **wall time**: median of 300 interleaved runs of each `INIT -- /bin/true` and of bare
  `/bin/true` (started with `posix_spawn`, not as PID 1), as a ratio to bare `true`.
- **3000 orphans**: `tests/helpers/orphans.py 3000` under the init as PID 1: 3000 orphans that
  exit at the same moment; milliseconds until none is left, running or zombie. The median of 8
  rounds in which the four inits take turns, in reverse order every other round, each run after
  a pause of 1.5 s (the kernel goes on tearing down the previous run's processes for a while).
- **signals forwarded**: 50,000 `SIGRTMIN+1` sent to the init as PID 1 as fast as one Python
  loop can, counted one by one by the command (`sigwaitinfo`); sent divided by the time until
  the command reported its count. Real-time signals queue, so received must equal sent.
- **stack**: `bench/stack.py`: gdb paints 64 KiB below pidone's initial stack pointer, runs it
  to `exit_group` (or the command's `execve`), and finds the lowest byte changed.
- **sizes**: `scripts/dist`'s binaries; budgets as `tests/common/mod.rs` sets them, which
  `tests/binary.rs` enforces.
"""


def render(r):
    inits = r["inits"]
    e = r["env"]
    L = []
    L.append("# Benchmarks\n")
    L.append("pidone side by side with the inits it replaces, every figure from one run of `bench/run`, "
             "which writes this page whole (do not edit it by hand: run it again; "
             "`python3 bench/bench.py --check` fails on a page its results do not give).\n")
    L.append("## Environment\n")
    L.append("- run on %s UTC" % r["date"])
    L.append("- %s, kernel %s %s, %d cores (`%s`), %s GiB of memory%s" % (
        e["os"], e["kernel"], e["machine"], e["cores"], e["cpu"], e["memory_gib"],
        ", " + e["virt"] if e["virt"] else ""))
    L.append("- pidone %s, built by `cargo build --release` with %s" % (r["pidone"]["version"], r["pidone"]["rustc"]))
    L.append("- peers from Debian: %s\n" % ", ".join("%s %s" % (p, r["versions"][p]) for p in PEERS))
    L.append("## Headline\n")
    L.append("The figures README.md shows:\n")
    L.append("| init | size (bytes) | user instructions for `-- /bin/true` | idle RSS as PID 1 | wake-ups idle 10 s |")
    L.append("|---|---|---|---|---|")
    me, tini = inits["pidone"], inits["tini"]
    L.append("| **pidone** | **{:,}** | **{:,}** | **{} KiB** | **{}** |".format(
        me["size"], me["instructions"], me["rss"], me["wakeups"]))
    L.append("| tini (static) | {:,} | {:,} | {} KiB | {} |\n".format(
        tini["size"], tini["instructions"], kib(tini["rss"]), tini["wakeups"]))
    L.append("## All figures\n")
    L.append("| " + " | ".join(HEAD) + " |")
    L.append("|" + "---|" * len(HEAD))
    for name in ["pidone"] + PEERS:
        v = inits[name]
        L.append("| " + " | ".join([
            name, "{:,}".format(v["size"]), "yes" if v["static"] else "no", "{:,}".format(v["instructions"]),
            str(v["rss"]), str(v["wakeups"]), "%.2f" % v["wall"], ms(v["orphans"]),
            "{:,.0f} ({:,}/{:,})".format(v["rate"], v["got"], v["sent"]) if v["rate"]
            else "lost: {:,} of {:,} arrived".format(v["got"], v["sent"])]) + " |")
    L.append("\nBare `true`: median %.3f ms.\n" % r["true_ms"])
    L.append("## Reading\n")
    L.extend(reading(r))
    L.append("")
    L.append("## Targets\n")
    L.append("pidone's targets (issue 5), against this run:\n")
    L.append("| target | measured | |")
    L.append("|---|---|---|")
    for what, met, value in targets(r):
        L.append("| %s | %s | %s |" % (what, value, "met" if met else "**missed**"))
    L.append("")
    if r["stack"]:
        L.append("## Stack\n")
        L.append("The deepest stack pidone uses (x86_64), per path:\n")
        L.append("| path | deepest stack (bytes) |")
        L.append("|---|---|")
        for what, deepest in r["stack"]:
            L.append("| %s | {:,} |".format(deepest) % what)
        L.append("")
    if r["arches"]:
        L.append("## Sizes per architecture\n")
        L.append("| binary (`scripts/dist`) | size (bytes) | budget (bytes) | headroom | static, no interpreter |")
        L.append("|---|---|---|---|---|")
        for a in r["arches"]:
            L.append("| {} ({}) | {:,} | {:,} | {:,} | {} |".format(
                a["name"], ARCH_NOTES.get(a["name"][7:], "?"), a["size"], a["budget"], a["budget"] - a["size"],
                "yes" if a["static"] else "no"))
        L.append("")
    L.append("## How each figure is measured (bench/bench.py)\n")
    L.append(METHOD)
    L.append("Why the sizes are what they are, and what was tried to make them smaller: "
             "[CONTRIBUTING.md](CONTRIBUTING.md#size-speed-and-memory). "
             "Earlier runs: git history and [CHANGELOG.md](CHANGELOG.md).\n")
    L.append("<!-- bench/run results (bench/bench.py --check renders the page again from them):")
    L.append(json.dumps(r, sort_keys=True, indent=0).replace("--", "-\\u002d"))
    L.append("-->")
    return "\n".join(L) + "\n"


def budgets():
    """tests/common/mod.rs's budgets: (default, {e_machine: bytes}, arm soft-float bytes)."""
    src = open(os.path.join(ROOT, "tests", "common", "mod.rs")).read()
    consts = {m[0]: int(m[1]) for m in re.findall(r"pub const (EM_\w+): u16 = (\d+);", src)}
    default = int(re.search(r"pub const BUDGET: u64 = (\d+) \* 1024;", src).group(1)) * 1024
    body = src[src.index("pub fn budget("):]
    body = body[:body.index("\n}\n")]
    table, soft = {}, None
    for name, guard, n in re.findall(r"(EM_\w+)( if arm_soft_float)? => (\d+) \* 1024", body):
        if guard:
            soft = int(n) * 1024
        else:
            table[consts[name]] = int(n) * 1024
    return default, table, soft


def budget_of(path):
    """The budget tests/common/mod.rs gives this ELF file (its `budget`, read the same way)."""
    default, table, soft = budgets()
    elf = open(path, "rb").read(64)
    order = "little" if elf[5] == 1 else "big"
    machine = int.from_bytes(elf[18:20], order)
    flags_at = 48 if elf[4] == 2 else 36
    if machine == 40 and soft and int.from_bytes(elf[flags_at:flags_at + 4], order) & 0x400 == 0:
        return soft
    return table.get(machine, default)


def sh(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()


def environment():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal:"))
    osname = next((l.split("=", 1)[1].strip().strip('"') for l in open("/etc/os-release")
                   if l.startswith("PRETTY_NAME=")), "?")
    virt = sh("systemd-detect-virt") if subprocess.run(["sh", "-c", "command -v systemd-detect-virt"],
                                                       capture_output=True).returncode == 0 else ""
    return {"os": osname, "kernel": platform.release(), "machine": platform.machine(), "cores": os.cpu_count(),
            "cpu": cpu, "memory_gib": round(mem / 1024 / 1024), "virt": "" if virt in ("", "none") else
            "virtualised (%s)" % virt}


def measure():
    r = {"date": time.strftime("%Y-%m-%d %H:%M", time.gmtime()), "env": environment(), "inits": {}}
    r["versions"] = {p: sh("dpkg-query", "-W", "-f=${Version}", p) for p in PEERS}
    version = sh(os.path.join(ROOT, "target/release/pidone"), "--version")
    r["pidone"] = {"version": version.split(None, 1)[1] if " " in version else version, "rustc": sh("rustc", "-V")}
    walls = wall_times(int(os.environ.get("BENCH_ROUNDS", "300")))
    r["true_ms"] = round(walls["true"] * 1000, 3)
    reaped = orphans(rounds=int(os.environ.get("BENCH_ORPHAN_ROUNDS", "8")))
    for name, cmd in INITS:
        rss, woke = idle(cmd, int(os.environ.get("BENCH_IDLE_SECONDS", "10")))
        rate, got, sent = forwarding(cmd)
        r["inits"][name] = {
            "size": os.stat(cmd[0]).st_size, "static": static(cmd[0]), "instructions": instructions(cmd),
            "rss": rss, "wakeups": woke, "wall": round(walls[name] / walls["true"], 2), "orphans": reaped[name],
            "rate": round(rate) if rate else None, "got": got, "sent": sent}
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import stack
    r["stack"] = [list(row) for row in stack.rows(os.path.join(ROOT, "target/release/pidone"))]
    r["arches"] = [{"name": os.path.basename(f), "size": os.stat(f).st_size, "static": static(f),
                    "budget": budget_of(f)}
                   for f in sorted(glob.glob(os.path.join(ROOT, "dist", "pidone-*")))]
    return r


def results_of(page):
    m = re.search(r"<!-- bench/run results[^\n]*\n(.*)\n-->\n\Z", page, re.S)
    if not m:
        raise SystemExit("no results at the end of the page")
    return json.loads(m.group(1))


def main():
    args = sys.argv[1:]
    if args[:1] == ["--check"]:
        path = args[1] if len(args) > 1 else os.path.join(ROOT, "BENCHMARKS.md")
        page = open(path).read()
        again = render(results_of(page))
        if again != page:
            import difflib
            sys.stdout.writelines(difflib.unified_diff(page.splitlines(True), again.splitlines(True),
                                                       path, "rendered from its results"))
            sys.exit(1)
        print("%s: as its results give it" % path)
        return
    out = args[0] if args else os.path.join(ROOT, "BENCHMARKS.md")
    page = render(measure())
    with open(out, "w") as f:
        f.write(page)
    print(page)


if __name__ == "__main__":
    main()
