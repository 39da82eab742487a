"""Measures pidone and its peers in one run; prints a Markdown table.

Every figure is measured here, now; nothing is copied from elsewhere. Timing figures are
medians over interleaved runs, because absolute times on a shared machine are noisy and
ratios within one run are not.
"""
import os, signal, statistics, subprocess, sys, tempfile, time, glob

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
    """User-space instructions the init executes (callgrind totals of the init's process;
    the command after exec is not traced) to run /bin/true, in a container's environment."""
    d = tempfile.mkdtemp()
    subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=%s/cg.%%p" % d] + cmd + [TRUE],
                   capture_output=True, check=True, env=CONTAINER_ENV)
    total = 0
    for f in glob.glob(d + "/cg.*"):
        for line in open(f):
            if line.startswith("totals:") or line.startswith("summary:"):
                total += int(line.split()[1])
                break
    return total


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


def main():
    rows = []
    walls = wall_times(int(os.environ.get("BENCH_ROUNDS", "300")))
    reaped = orphans()
    for name, cmd in INITS:
        size = os.stat(cmd[0]).st_size
        rss, woke = idle(cmd, int(os.environ.get("BENCH_IDLE_SECONDS", "10")))
        rate, got, sent = forwarding(cmd)
        rows.append([
            name,
            "{:,}".format(size),
            "yes" if static(cmd[0]) else "no",
            "{:,}".format(instructions(cmd)),
            str(rss),
            str(woke),
            "%.2f" % (walls[name] / walls["true"]),
            str(reaped[name] or "failed"),
            "{:,.0f} ({:,}/{:,})".format(rate, got, sent) if rate else "lost: {:,} of {:,} arrived".format(got, sent),
        ])
    head = ["init", "size (bytes)", "static, no interpreter", "user instructions for `-- /bin/true`",
            "idle RSS as PID 1 (KiB)", "wake-ups idle 10 s", "wall time vs bare `true`",
            "3000 orphans reaped (ms)", "signals forwarded per second (received/sent)"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print()
    print("bare `true`: median %.3f ms over interleaved runs" % (walls["true"] * 1000))
    dist = sorted(glob.glob(os.path.join(ROOT, "dist", "pidone-*")))
    if dist:
        print()
        print("| pidone binary | size (bytes) | static, no interpreter |")
        print("|---|---|---|")
        for f in dist:
            print("| %s | {:,} | %s |".format(os.stat(f).st_size) % (os.path.basename(f), "yes" if static(f) else "no"))


if __name__ == "__main__":
    main()
