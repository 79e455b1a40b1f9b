#!/usr/bin/env python3
"""Build examples/advisories: the small, attributed sample of real advisory data that the bundled
demo image needs, so that `vigil scan examples/demo-image --db examples/advisories` works on a
fresh machine with no network.

    python3 examples/make-demo-advisories.py [VULNDATA]   (default: ../shared/vulndata)

Takes, unchanged, every record that names a package of the demo image from the shared data set
(see its MANIFEST.md): PyPA OSV records (CC-BY-4.0), Node.js security WG npm records (MIT), the
Debian DSA list blocks for the demo's source packages, and the CISA KEV (CC0-1.0) and FIRST EPSS
rows of the CVEs those records name. Deterministic.
"""
import csv, gzip, io, json, os, re, sys, zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "shared", "vulndata")
OUT = os.path.join(HERE, "advisories")
PYPI = {"requests", "urllib3", "jinja2", "pyyaml", "pip"}
NPM = {"lodash", "minimist", "express"}
DEB_SOURCES = {"openssl", "curl", "bash", "glibc", "zlib", "tar", "gzip", "expat", "sqlite3", "perl"}


def norm(n):
    return re.sub(r"[-_.]+", "-", n).lower()


os.makedirs(f"{OUT}/pypi", exist_ok=True)
os.makedirs(f"{OUT}/npm", exist_ok=True)
cves = set()
with zipfile.ZipFile(f"{DATA}/osv/PyPI/all.zip") as z:
    for n in sorted(z.namelist()):
        rec = json.loads(z.read(n))
        if any(norm(a.get("package", {}).get("name", "")) in PYPI for a in rec.get("affected", [])):
            open(f"{OUT}/pypi/{os.path.basename(n)}", "wb").write(z.read(n))
            cves.update(x for x in rec.get("aliases", []) if x.startswith("CVE-"))
with zipfile.ZipFile(f"{DATA}/native/npm-nodejs-security-wg/vuln.zip") as z:
    for n in sorted(z.namelist()):
        if not n.startswith("vuln/npm/") or not n.endswith(".json"):
            continue
        rec = json.loads(z.read(n))
        if rec.get("module_name") in NPM:
            open(f"{OUT}/npm/{os.path.basename(n)}", "wb").write(z.read(n))
            cves.update(rec.get("cves") or [])
# Debian: the DSA blocks for the demo's source packages, in the list syntax.
blocks, block = [], []
for line in open(f"{DATA}/distro/debian-tracker/DSA.list", encoding="utf-8"):
    if line.startswith("[") and block:
        blocks.append(block)
        block = []
    block.append(line)
if block:
    blocks.append(block)
keep = [b for b in blocks if re.match(r"^\[[^\]]+\] DSA-\d+(-\d+)? (\S+)", b[0])
        and re.match(r"^\[[^\]]+\] DSA-\d+(-\d+)? (\S+)", b[0]).group(2) in DEB_SOURCES
        and any("[bookworm]" in l or "[bullseye]" in l for l in b)]
os.makedirs(f"{OUT}/debian", exist_ok=True)
open(f"{OUT}/debian/DSA.list", "w", encoding="utf-8").write("".join("".join(b) for b in keep))
for b in keep:
    for l in b:
        cves.update(re.findall(r"CVE-\d+-\d+", l))

kev = json.load(open(f"{DATA}/kev/known_exploited_vulnerabilities.json", encoding="utf-8"))
kev["vulnerabilities"] = [v for v in kev["vulnerabilities"] if v["cveID"] in cves]
kev["count"] = len(kev["vulnerabilities"])
json.dump(kev, open(f"{OUT}/kev.json", "w"), indent=1, sort_keys=True)
rows = []
with gzip.open(f"{DATA}/epss/epss_scores.csv.gz", "rt") as f:
    for r in csv.reader(f):
        if r and r[0] in cves:
            rows.append(r)
with open(f"{OUT}/epss.csv", "w") as f:
    f.write("cve,epss,percentile\n")
    for r in rows:
        f.write(",".join(r) + "\n")
print(f"{len(os.listdir(OUT + '/pypi'))} PyPI, {len(os.listdir(OUT + '/npm'))} npm records, "
      f"{len(keep)} DSA blocks, {kev['count']} KEV, {len(rows)} EPSS rows")
