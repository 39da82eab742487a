# Leaves COUNT orphans (each through a parent that exits at once), checks that each was
# adopted by this process's parent (the init under test: pidone, whether PID 1 or a
# subreaper), lets them exit, and waits until every one of them has been reaped (its
# /proc entry gone; a zombie keeps it). Prints "adopted A reaped R" and exits 0.
import os, sys, time

count = int(sys.argv[1])
init = os.getppid()
r, w = os.pipe()
pids = []
for _ in range(count):
    pr, pw = os.pipe()
    if os.fork() == 0:
        pid = os.fork()
        if pid == 0:
            os.close(w)
            os.read(r, 1)
            os._exit(0)
        os.write(pw, str(pid).encode())
        os._exit(0)
    os.close(pw)
    pids.append(int(os.read(pr, 16)))
    os.close(pr)
    os.wait()
os.close(r)

def parent(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        return None

adopted = sum(1 for p in pids if parent(p) == init)
os.close(w)
deadline = time.monotonic() + 30
while any(os.path.exists("/proc/%d" % p) for p in pids) and time.monotonic() < deadline:
    time.sleep(0.01)
reaped = sum(1 for p in pids if not os.path.exists("/proc/%d" % p))
print("adopted %d reaped %d" % (adopted, reaped), flush=True)
