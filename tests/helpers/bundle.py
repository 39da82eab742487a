# Writes an OCI runtime bundle: BUNDLE/rootfs with /pidone and a static busybox (with
# /bin/sh), and BUNDLE/config.json from `runc spec` with:
#   BUNDLE PIDONE ARGS_JSON [--userns] [--join-pid PATH] [--out DIR]
# - the process's args ARGS_JSON (a JSON list), no terminal, as root in the container;
# - --userns: a user namespace mapping the container's root to host uid/gid 100000 (65536
#   ids), as rootless Kubernetes nodes run; the root filesystem is owned by 100000;
# - --join-pid PATH: join the PID namespace at PATH (/proc/<pid>/ns/pid) instead of a new
#   one, as the kubelet does for a pod with shareProcessNamespace: true;
# - --out DIR: DIR bind-mounted read-write at /out, for files the test reads.
import json, os, shutil, subprocess, sys

bundle, pidone, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
opts = sys.argv[4:]
rootfs = os.path.join(bundle, "rootfs")
os.makedirs(os.path.join(rootfs, "bin"), exist_ok=True)
os.makedirs(os.path.join(rootfs, "out"), exist_ok=True)
shutil.copy("/bin/busybox", os.path.join(rootfs, "bin", "busybox"))
if not os.path.exists(os.path.join(rootfs, "bin", "sh")):
    os.symlink("busybox", os.path.join(rootfs, "bin", "sh"))
shutil.copy(pidone, os.path.join(rootfs, "pidone"))
os.chmod(os.path.join(rootfs, "pidone"), 0o755)
if os.path.exists(os.path.join(bundle, "config.json")):
    os.unlink(os.path.join(bundle, "config.json"))
subprocess.run(["runc", "spec", "--bundle", bundle], check=True)
with open(os.path.join(bundle, "config.json")) as f:
    config = json.load(f)
config["process"]["terminal"] = False
config["process"]["args"] = args
config["process"]["env"] = ["PATH=/bin"]
config["root"]["readonly"] = False
namespaces = config["linux"]["namespaces"]
if "--userns" in opts:
    namespaces.append({"type": "user"})
    config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    # sysfs cannot be mounted in a user namespace without a network namespace of its
    # own; the container has one, but keep /sys out of the way: nothing here needs it.
    config["mounts"] = [m for m in config["mounts"] if m["destination"] != "/sys"]
    for dirpath, dirnames, filenames in os.walk(rootfs):
        for name in dirnames + filenames:
            os.lchown(os.path.join(dirpath, name), 100000, 100000)
    os.lchown(rootfs, 100000, 100000)
if "--join-pid" in opts:
    path = opts[opts.index("--join-pid") + 1]
    for ns in namespaces:
        if ns["type"] == "pid":
            ns["path"] = path
if "--out" in opts:
    out = opts[opts.index("--out") + 1]
    config["mounts"].append({"destination": "/out", "type": "bind", "source": out, "options": ["rbind", "rw"]})
    if "--userns" in opts:
        os.chown(out, 100000, 100000)
with open(os.path.join(bundle, "config.json"), "w") as f:
    json.dump(config, f, indent=1)
