#!/usr/bin/env python3
"""Build examples/demo-image: a small two-layer OCI image layout from real package metadata.

Regenerate (needs network access to PyPI and npm, and a Debian 12 machine):

    python3 examples/make-demo-image.py

Layer 0 ("base"): Debian 12 os-release and real dpkg status paragraphs of this machine's
packages (the ones named in BASE_DEBS), plus pip 23.0.1's metadata.
Layer 1 ("app"): the metadata files (not the code) of old Python packages installed with
`pip install --target` and of an npm tree installed with `npm install --prefix`, the
package-lock.json npm wrote, a requirements.txt, and a whiteout that deletes pip 23.0.1
(replaced by pip 23.3). Output is byte-for-byte reproducible for the same inputs.
"""
import gzip, hashlib, io, json, os, subprocess, shutil, sys, tarfile, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "demo-image")
BASE_DEBS = ["base-files", "bash", "libc6", "libssl3", "openssl", "zlib1g", "tar", "gzip",
             "libexpat1", "libsqlite3-0", "perl-base", "curl", "libcurl4", "ca-certificates"]
PY = ["requests==2.19.0", "urllib3==1.24.1", "Jinja2==2.10", "PyYAML==5.3.1"]
NPM = ["lodash@4.17.20", "minimist@1.2.5", "express@4.17.1"]


def dpkg_paragraphs(names):
    text = open("/var/lib/dpkg/status", encoding="utf-8").read()
    keep = []
    for para in text.split("\n\n"):
        fields = dict(l.split(": ", 1) for l in para.splitlines() if ": " in l and not l.startswith(" "))
        if fields.get("Package") in names and "installed" in fields.get("Status", ""):
            keep.append("\n".join(l for l in para.splitlines() if not l.startswith(("Conffiles", " /"))))
    return "\n\n".join(keep) + "\n"


def add(tar, path, data, mode=0o644):
    info = tarfile.TarInfo(path.lstrip("/"))
    info.size, info.mode, info.mtime = len(data), mode, 0
    info.uname = info.gname = "root"
    tar.addfile(info, io.BytesIO(data))


def layer(files):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        for path, data in sorted(files.items()):
            add(t, path, data)
    raw = raw.getvalue()
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0) as g:
        g.write(raw)
    return raw, gz.getvalue()


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def main():
    work = tempfile.mkdtemp()
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                    f"{work}/py", *PY, "pip==23.3"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                    f"{work}/pyold", "pip==23.0.1"], check=True)
    subprocess.run(["npm", "install", "--silent", "--prefix", f"{work}/node", *NPM], check=True)

    site = "/usr/local/lib/python3.11/site-packages"
    base = {
        "/etc/os-release": open("/etc/os-release", "rb").read(),
        "/var/lib/dpkg/status": dpkg_paragraphs(BASE_DEBS).encode(),
    }
    for d in os.listdir(f"{work}/pyold"):
        if d.endswith(".dist-info"):
            base[f"{site}/{d}/METADATA"] = open(f"{work}/pyold/{d}/METADATA", "rb").read()
    app = {f"{site}/.wh.pip-23.0.1.dist-info": b""}
    for d in os.listdir(f"{work}/py"):
        if d.endswith(".dist-info"):
            app[f"{site}/{d}/METADATA"] = open(f"{work}/py/{d}/METADATA", "rb").read()
    for root, _, names in os.walk(f"{work}/node/node_modules"):
        if "package.json" in names:
            rel = os.path.relpath(os.path.join(root, "package.json"), f"{work}/node")
            app[f"/app/{rel}"] = open(os.path.join(root, "package.json"), "rb").read()
    app["/app/package-lock.json"] = open(f"{work}/node/package-lock.json", "rb").read()
    app["/app/requirements.txt"] = "".join(p + "\n" for p in PY).encode()
    shutil.rmtree(work)

    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(f"{OUT}/blobs/sha256")
    blobs, descs, diff_ids = {}, [], []
    for files in (base, app):
        raw, gz = layer(files)
        diff_ids.append(sha(raw))
        blobs[sha(gz)] = gz
        descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                      "digest": sha(gz), "size": len(gz)})
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2024-06-01T00:00:00Z",
        "config": {"Env": ["PATH=/usr/local/bin:/usr/bin:/bin"], "Cmd": ["python3", "/app/main.py"],
                   "Labels": {"org.opencontainers.image.title": "vigil-demo"}},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "2024-06-01T00:00:00Z", "created_by": "debian:bookworm base"},
                    {"created": "2024-06-01T00:00:00Z", "created_by": "COPY app /app && pip install"}],
    }, sort_keys=True).encode()
    blobs[sha(config)] = config
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(config),
                   "size": len(config)},
        "layers": descs}, sort_keys=True).encode()
    blobs[sha(manifest)] = manifest
    for d, b in blobs.items():
        open(f"{OUT}/blobs/sha256/{d[7:]}", "wb").write(b)
    open(f"{OUT}/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(manifest),
        "size": len(manifest), "platform": {"os": "linux", "architecture": "amd64"},
        "annotations": {"org.opencontainers.image.ref.name": "vigil-demo:1.0"}}]}
    open(f"{OUT}/index.json", "w").write(json.dumps(index, sort_keys=True))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
