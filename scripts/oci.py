#!/usr/bin/env python3
"""Writes a multi-architecture OCI image archive holding only /pidone, byte for byte the
same for the same binaries, version and time stamp (no buildx, no daemon, no registry).

    scripts/oci.py VERSION EPOCH OUT.tar ARCH=BINARY...

ARCH is a `scripts/dist` name (amd64, arm64, armv7, armv6, riscv64, 386, ppc64le, s390x,
mips64le, loong64). The archive is an OCI image layout (oci-layout, index.json, blobs/)
in a tar, as `skopeo copy oci-archive:...` and `podman load` read it: index.json names
one image index, tagged VERSION, whose manifests are one image per platform (os, and
the architecture and variant as Docker's TARGETARCH/TARGETVARIANT spell them). Each
image is one gzip layer holding /pidone (mode 0755, owner 0:0) and a config whose
entry point is /pidone. Every time stamp is EPOCH (SOURCE_DATE_EPOCH)."""
import gzip, hashlib, io, json, sys, tarfile, time

# dist name -> OCI platform (architecture, variant)
PLATFORMS = {
    "amd64": ("amd64", None),
    "arm64": ("arm64", "v8"),
    "armv7": ("arm", "v7"),
    "armv6": ("arm", "v6"),
    "riscv64": ("riscv64", None),
    "386": ("386", None),
    "ppc64le": ("ppc64le", None),
    "s390x": ("s390x", None),
    "mips64le": ("mips64le", None),
    "loong64": ("loong64", None),
}

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def tar_bytes(entries, epoch):
    """A tar of (name, bytes or None for a directory, mode), in the order given."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data, mode in entries:
            info = tarfile.TarInfo(name)
            info.mtime, info.mode, info.uid, info.gid, info.uname, info.gname = epoch, mode, 0, 0, "", ""
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def main():
    version, epoch, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
    blobs = {}

    def blob(data, media_type, **extra):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        blobs[digest] = data
        return dict(mediaType=media_type, digest=digest, size=len(data), **extra)

    manifests = []
    for arg in sys.argv[4:]:
        arch, path = arg.split("=", 1)
        architecture, variant = PLATFORMS[arch]
        binary = open(path, "rb").read()
        layer = tar_bytes([("pidone", binary, 0o755)], epoch)
        gz = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=gz, mtime=epoch, compresslevel=9) as z:
            z.write(layer)
        platform = {"architecture": architecture, "os": "linux"}
        if variant:
            platform["variant"] = variant
        config = dict(platform, created=created,
                      config={"Entrypoint": ["/pidone"], "Labels": {"org.opencontainers.image.version": version}},
                      rootfs={"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]},
                      history=[{"created": created, "created_by": "scripts/oci.py: /pidone"}])
        manifest = {
            "schemaVersion": 2,
            "mediaType": MANIFEST,
            "config": blob(canonical(config), CONFIG),
            "layers": [blob(gz.getvalue(), LAYER)],
            "annotations": {"org.opencontainers.image.created": created,
                            "org.opencontainers.image.version": version,
                            "org.opencontainers.image.title": "pidone"},
        }
        manifests.append(blob(canonical(manifest), MANIFEST, platform=platform))
    index = {"schemaVersion": 2, "mediaType": INDEX, "manifests": manifests,
             "annotations": {"org.opencontainers.image.version": version}}
    top = {"schemaVersion": 2, "mediaType": INDEX,
           "manifests": [blob(canonical(index), INDEX, annotations={"org.opencontainers.image.ref.name": version})]}
    entries = [("blobs", None, 0o755), ("blobs/sha256", None, 0o755)]
    entries += [("blobs/sha256/" + d.split(":")[1], blobs[d], 0o644) for d in sorted(blobs)]
    entries += [("index.json", canonical(top), 0o644),
                ("oci-layout", canonical({"imageLayoutVersion": "1.0.0"}), 0o644)]
    with open(out, "wb") as f:
        f.write(tar_bytes(entries, epoch))


if __name__ == "__main__":
    main()
