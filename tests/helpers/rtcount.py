# Counts the instances of signal SIG it receives until signal END arrives, then prints
# the count. Both stay blocked, so each queued instance is dequeued on its own.
import signal, sys

sig, end = int(sys.argv[1]), int(sys.argv[2])
signal.pthread_sigmask(signal.SIG_BLOCK, {sig, end})
print("ready", flush=True)
n = 0
while signal.sigwaitinfo({sig, end}).si_signo == sig:
    n += 1
print(n, flush=True)
