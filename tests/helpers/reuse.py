# PID reuse during pidone's shutdown. Run as PID 1 of a fresh PID namespace with its own
# /proc: PIDONE ROUNDS. It
#  - lowers the namespace's pid_max to 1000 (per namespace since Linux 6.14) and fills
#    most of it with idle sleepers, so a freed pid number comes back within a few forks;
#  - starts "outsiders", a tree that is not pidone's, whose short-lived children count
#    every SIGUSR1 they get (one byte each on a pipe);
#  - starts pidone (not PID 1: PID 1 is this script) with a command that leaves behind a
#    process that churns short-lived children; none of them minds SIGTERM or SIGUSR1;
#  - sends pidone SIGUSR1 ROUNDS times, each after pidone's -v line for the previous one:
#    during the grace period pidone passes each on to every descendant it finds in /proc,
#    while the numbers it reads are freed and taken by outsiders. Right after each, it
#    stops pidone for 10 ms, as a busy machine's scheduler might;
#  - prints "outsiders hit N rounds R".
# Prints "skip: ..." where the kernel has no per-namespace pid_max. With the argument
# `survivor` it is pidone's command instead.
import os, signal, subprocess, sys, time

def churn(on_usr1, width, spin):
    """Keeps up to `width` children that live 1 ms, forever; each handles SIGUSR1 with
    on_usr1. The pid space is kept exhausted: with `spin`, a fork that finds no free
    number is tried again at once, so a number freed anywhere is taken within
    microseconds; without, after 1 ms."""
    signal.signal(signal.SIGUSR1, on_usr1)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    live = 0
    while True:
        while live:
            pid, _ = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            live -= 1
        if live >= width:
            os.wait()
            live -= 1
            continue
        try:
            pid = os.fork()
        except OSError:
            if not spin:
                time.sleep(0.001)
            continue
        if pid == 0:
            time.sleep(0.001)
            os._exit(0)
        live += 1

if sys.argv[1] == "survivor":
    # pidone's command: leaves a churning survivor behind and exits at once.
    if os.fork() == 0:
        churn(signal.SIG_IGN, 32, False)
    sys.exit(0)

pidone, rounds = sys.argv[1], int(sys.argv[2])
try:
    with open("/proc/sys/kernel/pid_max", "w") as f:
        f.write("1000")
except OSError as e:
    print("skip: no per-namespace pid_max (%s)" % e, flush=True)
    sys.exit(0)

# Of the 700 numbers a namespace cycles through once it has wrapped (300..999), the
# sleepers hold most, so a freed number is taken again within a few dozen forks.
sleepers = [subprocess.Popen(["/bin/sleep", "1000"]) for _ in range(940)]

hits_r, hits_w = os.pipe()

def hit(*_):
    os.write(hits_w, b"x")

if os.fork() == 0:
    # The outsiders: not descendants of pidone.
    churn(hit, 64, True)

init = subprocess.Popen([pidone, "-v", "-t", "600", sys.executable, os.path.abspath(__file__), "survivor"],
                        stderr=subprocess.PIPE)

def line():
    text = init.stderr.readline().decode()
    if not text:
        print("pidone exited early with %s" % init.wait(), flush=True)
        os._exit(1)
    return text

# Wait for the grace period to start: from then on, signals go to every descendant.
while "SIGTERM to the rest" not in line():
    pass
done = 0
for i in range(rounds):
    os.kill(init.pid, signal.SIGUSR1)
    # A busy machine preempts pidone in the middle of its walk now and then; here it is
    # stopped there on purpose, at a varying moment, for 10 ms: long enough for the
    # children it has listed to exit and for their numbers to be taken again.
    spin_until = time.monotonic() + (i % 20) * 0.00005
    while time.monotonic() < spin_until:
        pass
    os.kill(init.pid, signal.SIGSTOP)
    time.sleep(0.01)
    os.kill(init.pid, signal.SIGCONT)
    while "received SIGUSR1" not in line():
        pass
    done += 1
os.set_blocking(hits_r, False)
try:
    hits = len(os.read(hits_r, 1 << 20))
except BlockingIOError:
    hits = 0
print("outsiders hit %d rounds %d" % (hits, done), flush=True)
# PID 1 exits: the kernel kills the whole namespace.
os._exit(0)
