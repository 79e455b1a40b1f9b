#!/usr/bin/env bash
# The host agent's footprint on a typical host: `vigil agent --root` the bench rootfs (a
# debootstrapped Debian bookworm, 489 dpkg packages, plus old Python/npm packages under
# /usr/local and /srv: bench/build-image.sh) against `vigil server`. Measured from /proc:
#   - CPU seconds (user + system) of the first inventory (start, walk, encode, send);
#   - CPU seconds of a re-inventory after a dpkg status change (inotify, debounce, walk, send);
#   - resident memory while idle between heartbeats, and CPU used while idle.
# Goals (issue 5): under 30 MB RSS idle, one core-second or less per inventory.
#
#   bash bench/agent-footprint.sh [WORKDIR=/work/bench]
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(realpath -m "${1:-/work/bench}")
[ -d "$work/rootfs/var/lib/dpkg" ] || bash bench/build-image.sh "$work"
cargo build --release -q
V=$PWD/target/release/vigil
tmp=$(mktemp -d)
trap 'kill $server $agent 2>/dev/null || true; rm -rf "$tmp"' EXIT
# the agent must not write into the bench rootfs: give it a copy-on-write view of what changes
root=$tmp/root
mkdir -p "$root"
cp -a --reflink=auto "$work/rootfs/." "$root/" 2>/dev/null || cp -a "$work/rootfs/." "$root/"
$V db import --db "$tmp/adv.db" examples/advisories >/dev/null
key=$($V admin create-key --data-dir "$tmp/data" --account 111122223333)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$V server --listen 127.0.0.1:$port --data-dir "$tmp/data" --db "$tmp/adv.db" 2>"$tmp/server.log" & server=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port" && break; sleep 0.1; done
export AWS_ACCESS_KEY_ID=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["accessKeyId"])' "$key")
export AWS_SECRET_ACCESS_KEY=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["secretAccessKey"])' "$key")
export AWS_REGION=us-east-1 HOME=$tmp/home
mkdir -p "$HOME"
$V -vv agent --server "http://127.0.0.1:$port" --root "$root" --heartbeat 2 --debounce 500 \
  2>"$tmp/agent.log" & agent=$!
ticks=$(getconf CLK_TCK)
cpu() { awk -v t="$ticks" '{printf "%.2f", ($14 + $15) / t}' "/proc/$agent/stat"; }
rss() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$agent/status"; }
hwm() { awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$agent/status"; }
sent() { grep -c "inventory sent" "$tmp/agent.log" || true; }
wait_sent() {
  for _ in $(seq 600); do [ "$(sent)" -ge "$1" ] && return 0; sleep 0.1; done
  echo "FAILED: no inventory #$1"; tail "$tmp/agent.log"; exit 1
}
wait_sent 1
c1=$(cpu)
echo "first inventory: $c1 CPU s (start included), peak RSS so far $(hwm) MB"
grep "inventory sent" "$tmp/agent.log" | tail -1 | grep -o 'packages=[0-9]*\|ms=[0-9]*' | tr '\n' ' '; echo
sleep 10
c2=$(cpu)
echo "idle 10 s (5 heartbeats): RSS $(rss) MB, $(python3 -c "print(f'{$c2 - $c1:.2f}')") CPU s"
# a package installed: dpkg writes a new status file and renames it over the old one
cp "$root/var/lib/dpkg/status" "$root/var/lib/dpkg/status-new"
printf '\nPackage: vigil-bench-extra\nStatus: install ok installed\nArchitecture: all\nVersion: 1.0\n' \
  >>"$root/var/lib/dpkg/status-new"
mv "$root/var/lib/dpkg/status-new" "$root/var/lib/dpkg/status"
wait_sent 2
c3=$(cpu)
echo "re-inventory after a dpkg change: $(python3 -c "print(f'{$c3 - $c2:.2f}')") CPU s"
sleep 5
echo "idle again: RSS $(rss) MB; peak RSS $(hwm) MB"
