#!/usr/bin/env bash
# Build the benchmark/accuracy image: a Debian bookworm rootfs (debootstrap) as layer 0 and old
# Python and npm packages (plus big modern wheels, to reach ~1.2 GB uncompressed) and a Rust
# application's Cargo.lock with old crates (bench/cargo-audit/Cargo.lock) as layer 1,
# packed as a gzip OCI image layout. Needs root and access to Debian's, PyPI's and npm's
# registries. Usage: bench/build-image.sh WORKDIR   (writes WORKDIR/image)
set -euo pipefail
work=${1:-bench/work}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work" && cd "$work"
command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap
if [ ! -d rootfs/usr ]; then
  # --include does not resolve every dependency of npm: finish with apt-get -f inside the chroot
  debootstrap --variant=minbase \
    --include=python3,python3-pip,python3-six,python3-yaml,python3-requests,nodejs,node-lodash,node-minimist,npm \
    bookworm rootfs http://deb.debian.org/debian >debootstrap.log 2>&1 || true
  rm -rf rootfs/debootstrap
  cp /etc/apt/sources.list.d/debian.sources rootfs/etc/apt/sources.list.d/ 2>/dev/null || true
  mount -t proc proc rootfs/proc
  chroot rootfs bash -c "DEBIAN_FRONTEND=noninteractive apt-get update -qq && apt-get -f install -y -qq && apt-get install -y -qq npm python3-pip" >chroot-apt.log 2>&1 || true
  umount rootfs/proc
fi
if [ ! -d layer2/app/node_modules ]; then
  mkdir -p layer2/usr/local/lib/python3.11/dist-packages layer2/app
  python3 -m pip install -q --no-deps --target layer2/usr/local/lib/python3.11/dist-packages \
    Django==2.2.0 Flask==0.12 Werkzeug==0.14 requests==2.19.0 urllib3==1.24.1 Jinja2==2.10 \
    PyYAML==5.3.1 numpy==1.26.4 pandas==2.1.4 scipy==1.11.4 pillow==9.0.0 setuptools==65.5.0
  npm install --silent --prefix layer2/app express@4.17.1 lodash@4.17.20 minimist@1.2.5 \
    axios@0.21.0 moment@2.29.1 webpack@5.75.0 typescript@4.9.5
fi
mkdir -p layer2/app/rust && cp "$here/cargo-audit/Cargo.lock" layer2/app/rust/Cargo.lock
[ -f image/index.json ] || python3 "$here/pack-oci.py" image rootfs layer2
echo "image: $work/image ($(du -sh image | cut -f1) compressed)"
