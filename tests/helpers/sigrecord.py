# Appends the number of each signal it receives to FILE, one per line; exits 0 on
# SIGTERM after recording it. Prints "ready" first, if stdout is writable.
import signal, sys

path = sys.argv[1]
signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
try:
    print("ready", flush=True)
except OSError:
    pass
open(path, "a").close()
while True:
    sig = signal.sigwaitinfo(signal.valid_signals() - {signal.SIGKILL, signal.SIGSTOP}).si_signo
    with open(path, "a") as f:
        f.write("%d\n" % sig)
    if sig == signal.SIGTERM:
        sys.exit(0)
