# Leaves COUNT orphans that all exit at the same moment, then waits until no zombie is
# left in the PID namespace and prints "zombies <n> ms <elapsed>". Each orphan's parent
# exits at once, so the orphans are reparented to PID 1 (or the nearest subreaper);
# they block on a pipe and exit together when this process closes its end.
import os, sys, time

count = int(sys.argv[1])
r, w = os.pipe()
for _ in range(count):
    pid = os.fork()
    if pid == 0:
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
deadline = start + 20
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
