# Leaves COUNT orphans that all exit at the same moment, then waits until no zombie is
# left in the PID namespace and prints "zombies <n> alive <n> ms <elapsed>". One
# intermediate process forks them all and exits, so they are reparented to PID 1 (or the
# nearest subreaper) together; they block on a pipe and exit together when this process
# closes its end. (A double fork per orphan costs 13 times as much: 6.5 ms an orphan
# against 0.5 ms on a 2-core machine, and made the 20,000-orphan test slow, not pidone.)
import os, sys, time

count = int(sys.argv[1])
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    for _ in range(count):
        if os.fork() == 0:
            os.close(w)
            os.read(r, 1)
            os._exit(0)
    os._exit(0)
os.waitpid(pid, 0)
os.close(r)

def zombies():
    n = 0
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open("/proc/%s/stat" % p) as f:
                    if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                        n += 1
            except OSError:
                pass
    return n

start = time.monotonic()
os.close(w)
if os.readlink("/proc/self") != str(os.getpid()):
    # /proc is another PID namespace's (no --mount-proc): nothing here can be counted.
    print("zombies ? alive ? ms ?", flush=True)
    sys.exit(0)
deadline = start + 60
while True:
    # Every process but this one and the init, running or a zombie: a zombie keeps its
    # /proc entry until it is reaped. One directory listing per look keeps the time
    # between looks short; the stat files are read only when the count says "done".
    alive = sum(1 for p in os.listdir("/proc") if p.isdigit()) - 2
    if alive <= 0 or time.monotonic() > deadline:
        break
    time.sleep(0.001)
took = (time.monotonic() - start) * 1000
print("zombies %d alive %d ms %d" % (zombies(), alive, took), flush=True)
