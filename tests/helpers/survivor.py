# A process the command leaves behind. MODE:
#   trap    on SIGTERM, take 0.5 s to clean up, append "cleaned <pid>" to FILE, exit 0
#   setsid  the same, after moving to a session of its own
#   ignore  ignore SIGTERM; only SIGKILL ends it
#   record  on SIGTERM, append "got TERM" to FILE and exit 0
# It appends "started <pid>" to FILE once it is ready.
import os, signal, sys, time

mode, path = sys.argv[1], sys.argv[2]

def note(text):
    with open(path, "a") as f:
        f.write(text + "\n")

if mode == "setsid":
    os.setsid()
if mode == "ignore":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
else:
    # Blocked, then taken with sigwait: a Python handler runs only between bytecodes, so
    # one SIGTERM that came just before a sleep's system call would wait out the sleep.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
note("started %d" % os.getpid())
if mode == "ignore":
    while True:
        time.sleep(60)
signal.sigwait({signal.SIGTERM})
if mode == "record":
    note("got TERM")
else:
    time.sleep(0.5)
    note("cleaned %d" % os.getpid())
sys.exit(0)
