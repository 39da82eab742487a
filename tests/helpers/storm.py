# The command for the signal-storm test. Blocks every signal; a second process keeps
# leaving orphans that exit at once. Counts signal SIG until signal END, then stops the
# orphan maker, waits until the rest is reaped, and prints "count <n> zombies <z>"; exits 7.
import os, signal, sys, time

sig, end = int(sys.argv[1]), int(sys.argv[2])
signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
maker = os.fork()
if maker == 0:
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    while True:
        if os.fork() == 0:
            if os.fork() == 0:
                os._exit(0)
            os._exit(0)
        os.wait()
print("ready", flush=True)
wanted = signal.valid_signals() - {signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD}
n = 0
while True:
    got = signal.sigwaitinfo(wanted).si_signo
    if got == sig:
        n += 1
    elif got == end:
        break
os.kill(maker, signal.SIGKILL)
os.waitpid(maker, 0)
# Until every other process is gone (this one and pidone stay), for at most 30 s: the
# maker's last orphans may still be exiting, and each is a zombie until pidone reaps it.
deadline = time.monotonic() + 30
while sum(1 for p in os.listdir("/proc") if p.isdigit()) > 2 and time.monotonic() < deadline:
    time.sleep(0.01)
z = 0
for p in os.listdir("/proc"):
    try:
        if p.isdigit() and open("/proc/%s/stat" % p).read().rsplit(")", 1)[1].split()[0] == "Z":
            z += 1
    except OSError:
        pass
print("count %d zombies %d" % (n, z), flush=True)
sys.exit(7)
