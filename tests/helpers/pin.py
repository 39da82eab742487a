# The command's process group number given to somebody else. Run as PID 1 of a fresh PID
# namespace whose /proc is the host's (`unshare --pid --fork` without `--mount-proc`):
# PIDONE MODE. pidone, not PID 1 and without a /proc of its own namespace, cannot learn
# its tree and falls back to signalling the command's process group. Its command leaves
# a `sleep` in that group and a `setsid sleep` outside it (which keeps pidone busy), then
# exits 3. Once the group's sleep has been reaped, the group is empty: if the command had
# been reaped too, its number N would be free. This script then forces the next pid to be
# N (ns_last_pid) and starts an "outsider" there, leader of a process group of its own,
# which blocks every signal and records each it receives. Then:
#  - MODE wait (pidone --wait-all): SIGHUP to pidone (forwarded to the rest while it
#    waits), then SIGTERM (the shutdown: SIGTERM, the grace period, SIGKILL rounds);
#  - MODE grace: pidone is already in its grace period (-t 5); SIGUSR1 to pidone (forwarded
#    to the rest during the shutdown), then the grace expires and SIGKILL goes out in rounds.
# Prints "outsider N+k (command N) signals [...] alive True|False".
import os, signal, sys, time

pidone, mode = sys.argv[1], sys.argv[2]
try:
    with open("/proc/sys/kernel/ns_last_pid", "w"):
        pass
except OSError as e:
    print("skip: cannot set ns_last_pid (%s)" % e, flush=True)
    sys.exit(0)

out_r, out_w = os.pipe()
err_r, err_w = os.pipe()
flags = ["-v", "--wait-all", "-t", "1"] if mode == "wait" else ["-v", "-t", "5"]
# The second sleep is in a session of its own before the command exits: the command
# substitution ends when that shell has written its pid, after setsid.
script = "sleep 1000 & echo $!; echo $(setsid /bin/sh -c 'echo $$; exec sleep 1000 >/dev/null' &); exit 3"
init = os.fork()
if init == 0:
    os.dup2(out_w, 1)
    os.dup2(err_w, 2)
    os.execv(pidone, [pidone] + flags + ["/bin/sh", "-c", script])
os.close(out_w)
os.close(err_w)
out = os.fdopen(out_r)
err = os.fdopen(err_r)
log = []

def until(text):
    """Reads pidone's -v lines until one contains `text`."""
    while True:
        line = err.readline()
        if not line:
            print("pidone ended early: %r" % log, flush=True)
            sys.exit(1)
        log.append(line)
        if text in line:
            return line

command = int(until("spawned ").split()[-1])
in_group, outside = int(out.readline()), int(out.readline())
until("waiting for the rest" if mode == "wait" else "SIGTERM to the rest")

# The group's sleep goes (the shutdown's SIGTERM ended it already in grace mode) and is
# reaped by pidone: the group is empty now.
if mode == "wait":
    os.kill(in_group, signal.SIGKILL)
deadline = time.monotonic() + 60
while True:
    try:
        os.kill(in_group, 0)
    except ProcessLookupError:
        break
    if time.monotonic() > deadline:
        print("the group's sleep was not reaped: %r" % log, flush=True)
        sys.exit(1)
    time.sleep(0.01)

# The outsider at the command's number, if that number is free.
rec_r, rec_w = os.pipe()
ready_r, ready_w = os.pipe()
with open("/proc/sys/kernel/ns_last_pid", "w") as f:
    f.write(str(command - 1))
outsider = os.fork()
if outsider == 0:
    os.setpgid(0, 0)
    every = signal.valid_signals() - {signal.SIGKILL, signal.SIGSTOP}
    signal.pthread_sigmask(signal.SIG_BLOCK, every)
    os.write(ready_w, b"x")
    while True:
        os.write(rec_w, b"%d\n" % signal.sigwaitinfo(every).si_signo)
os.close(rec_w)
os.read(ready_r, 1)

if mode == "wait":
    os.kill(init, signal.SIGHUP)
    until("received SIGHUP")
    os.kill(init, signal.SIGTERM)
else:
    os.kill(init, signal.SIGUSR1)
    until("received SIGUSR1")
# The shutdown runs to its end: pidone gives up on the setsid sleep it cannot find.
_, status = os.waitpid(init, 0)
os.set_blocking(rec_r, False)
try:
    got = [int(s) for s in os.read(rec_r, 4096).split()]
except BlockingIOError:
    got = []
alive = os.waitpid(outsider, os.WNOHANG) == (0, 0)
print("outsider %d (command %d) signals %s alive %s; pidone %s" % (outsider, command, got, alive,
      os.waitstatus_to_exitcode(status)), flush=True)
os.kill(outside, signal.SIGKILL)
# PID 1 exits: the kernel ends the rest of the namespace.
os._exit(0)
