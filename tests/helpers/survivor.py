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

def clean(signo, frame):
    if mode == "record":
        note("got TERM")
    else:
        time.sleep(0.5)
        note("cleaned %d" % os.getpid())
    sys.exit(0)

if mode == "setsid":
    os.setsid()
signal.signal(signal.SIGTERM, signal.SIG_IGN if mode == "ignore" else clean)
note("started %d" % os.getpid())
while True:
    time.sleep(60)
