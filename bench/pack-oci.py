#!/usr/bin/env python3
"""Pack layer directories or tar files into a gzip OCI image layout.

    pack-oci.py OUT_DIR LAYER [LAYER...]

Each LAYER is a directory (packed with GNU tar, numeric owners, sorted names) or an
existing .tar file. Layers are compressed with `gzip -6` (what `docker push` produces).
"""
import hashlib, json, os, shutil, subprocess, sys, tempfile


def sha_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return "sha256:" + h.hexdigest(), os.path.getsize(path)


def main():
    out, layers = sys.argv[1], sys.argv[2:]
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(f"{out}/blobs/sha256")
    tmp = tempfile.mkdtemp(dir=os.path.dirname(os.path.abspath(out)))
    descs, diff_ids = [], []
    for i, layer in enumerate(layers):
        tar = layer
        if os.path.isdir(layer):
            tar = f"{tmp}/layer{i}.tar"
            subprocess.run(["tar", "-C", layer, "--numeric-owner", "--sort=name", "-cf", tar, "."],
                           check=True)
        diff_ids.append(sha_file(tar)[0])
        gz = f"{tmp}/layer{i}.tar.gz"
        with open(gz, "wb") as f:
            subprocess.run(["gzip", "-6", "-n", "-c", tar], stdout=f, check=True)
        d, size = sha_file(gz)
        os.rename(gz, f"{out}/blobs/sha256/{d[7:]}")
        descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                      "digest": d, "size": size})
    shutil.rmtree(tmp)

    def blob(obj):
        b = json.dumps(obj, sort_keys=True).encode()
        d = "sha256:" + hashlib.sha256(b).hexdigest()
        open(f"{out}/blobs/sha256/{d[7:]}", "wb").write(b)
        return d, len(b)

    cd, cs = blob({"architecture": "amd64", "os": "linux",
                   "rootfs": {"type": "layers", "diff_ids": diff_ids},
                   "history": [{"created_by": f"layer {i}"} for i in range(len(layers))]})
    md, ms = blob({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                   "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                              "digest": cd, "size": cs}, "layers": descs})
    open(f"{out}/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
    json.dump({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms,
        "platform": {"os": "linux", "architecture": "amd64"},
        "annotations": {"org.opencontainers.image.ref.name": "bench:latest"}}]},
        open(f"{out}/index.json", "w"))


if __name__ == "__main__":
    main()
