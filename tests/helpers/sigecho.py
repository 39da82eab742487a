# Blocks every signal it may, says "ready", then prints the number of each signal it
# receives (sigwaitinfo, so every queued instance counts) until it has seen COUNT.
import os, signal, sys

count = int(sys.argv[1])
signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
print("ready", flush=True)
wanted = signal.valid_signals() - {signal.SIGKILL, signal.SIGSTOP}
for _ in range(count):
    info = signal.sigwaitinfo(wanted)
    print(info.si_signo, flush=True)
