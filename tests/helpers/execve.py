# Execs PROGRAM with exactly the argv given after it, which may be empty (argc 0) or
# start with an empty argv[0] - what no shell can do. Uses the C library's execve.
import ctypes, os, sys

libc = ctypes.CDLL(None, use_errno=True)
prog = sys.argv[1].encode()
args = [a.encode() for a in sys.argv[2:]]
argv = (ctypes.c_char_p * (len(args) + 1))(*args, None)
env = [b"%s=%s" % (k, v) for k, v in os.environb.items()]
envp = (ctypes.c_char_p * (len(env) + 1))(*env, None)
libc.execve(prog, argv, envp)
print("execve failed:", os.strerror(ctypes.get_errno()), file=sys.stderr)
sys.exit(99)
