#!/usr/bin/env python3
"""Build scan targets whose correct findings are decided by independent oracles.

Usage: build_targets.py VULNDATA OUTDIR

- OUTDIR/debian11: a root filesystem with Debian 11 os-release and a dpkg status database of
  real Debian source packages taken from the DSA/DLA lists, each installed at a version just
  before (`fixed~`), at, or just after (`fixed+vigil1`) one of its recorded bullseye fixes, and
  some as binNMUs or under a different binary name.
- OUTDIR/alma9: a root filesystem with AlmaLinux 9 os-release and a real rpm (sqlite) database
  built by Debian's rpmbuild and rpm from the names and EVRs in the AlmaLinux 9 OSV records,
  at versions before (`release~`), at and after (`release.1`) a recorded fix.
- OUTDIR/expected.json: for every (package, record) pair the oracle's verdict, computed with
  `dpkg --compare-versions` and rpm's own `rpm.vercmp`, not with Vigil.
Deterministic: the same inputs give the same targets.
"""
import json, os, re, subprocess, sys, zipfile

VULNDATA, OUT = sys.argv[1], sys.argv[2]
os.makedirs(OUT, exist_ok=True)
expected = []


def dsa_entries(path):
    """{source: [(advisory id, fixed version)]} for bullseye."""
    out = {}
    adv = None
    for line in open(path, encoding="utf-8", errors="replace"):
        m = re.match(r"^\[[^\]]+\]\s+(D[SL]A-\d+(?:-\d+)?)\s", line)
        if m:
            adv = m.group(1)
            continue
        m = re.match(r"^\s+\[bullseye\]\s+-\s+(\S+)\s+(\S+)", line)
        if m and adv and not m.group(2).startswith("<"):
            out.setdefault(m.group(1), []).append((adv, m.group(2)))
    return out


def dpkg_lt(a, b):
    return subprocess.run(["dpkg", "--compare-versions", a, "lt", b]).returncode == 0


# ---------------- Debian 11 ----------------
entries = {}
for name in ("DSA.list", "DLA.list"):
    for src, lst in dsa_entries(os.path.join(VULNDATA, "distro/debian-tracker", name)).items():
        entries.setdefault(src, []).extend(lst)
sources = sorted(s for s in entries if re.match(r"^[a-z0-9][a-z0-9+.-]+$", s))
chosen = sources[:: max(1, len(sources) // 60)][:60]
root = os.path.join(OUT, "debian11")
os.makedirs(f"{root}/etc", exist_ok=True)
os.makedirs(f"{root}/var/lib/dpkg", exist_ok=True)
open(f"{root}/etc/os-release", "w").write(
    'PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\nNAME="Debian GNU/Linux"\nVERSION_ID="11"\n'
    'VERSION="11 (bullseye)"\nVERSION_CODENAME=bullseye\nID=debian\n')
paras = []
for i, src in enumerate(chosen):
    fixes = sorted(entries[src], key=lambda e: e[0])
    _, fixed = fixes[len(fixes) // 2]
    kind = i % 3
    version = {0: fixed + "~", 1: fixed, 2: fixed + "+vigil1"}[kind]
    binary, binver = src, version
    if i % 7 == 3:
        binary = "lib" + src + "-vigil"  # a binary whose name differs from its source
    if i % 11 == 5:
        binver = version + "+b1"  # a binNMU: the binary version differs from the source's
    source_field = src if binver == version else f"{src} ({version})"
    paras.append(
        f"Package: {binary}\nStatus: install ok installed\nPriority: optional\nSection: misc\n"
        f"Installed-Size: 1\nMaintainer: Vigil tests <tests@example.invalid>\nArchitecture: amd64\n"
        f"Source: {source_field}\nVersion: {binver}\nDescription: oracle fixture for {src}\n")
    for adv, fx in entries[src]:
        expected.append({"target": "debian11", "package": binary, "record": adv,
                         "compared": version, "fixed": fx, "affected": dpkg_lt(version, fx)})
open(f"{root}/var/lib/dpkg/status", "w").write("\n".join(paras))

# ---------------- AlmaLinux 9 ----------------
alma = {}
with zipfile.ZipFile(os.path.join(VULNDATA, "osv/AlmaLinux/all.zip")) as z:
    for n in sorted(z.namelist()):
        if not n.startswith("almalinux9/"):
            continue
        rec = json.loads(z.read(n))
        if rec.get("withdrawn"):
            continue
        for a in rec.get("affected", []):
            p = a.get("package", {})
            if p.get("ecosystem") != "AlmaLinux:9":
                continue
            for r in a.get("ranges", []):
                evs = r.get("events", [])
                fixed = [e["fixed"] for e in evs if "fixed" in e]
                intro = [e["introduced"] for e in evs if "introduced" in e]
                if r.get("type") == "ECOSYSTEM" and fixed and intro == ["0"]:
                    alma.setdefault(p["name"], []).append((rec["id"], fixed[0]))
names = sorted(n for n in alma if re.match(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$", n) and "module" not in "".join(f for _, f in alma[n]))
pick = names[:: max(1, len(names) // 40)][:40]


def evr_split(evr):
    e, _, vr = evr.rpartition(":")
    v, _, r = vr.rpartition("-")
    return (e or "0"), v, r


def vercmp_many(pairs):
    lua = "".join(f"print(rpm.vercmp('{a}','{b}') .. ' ')\n" for a, b in pairs)
    out = subprocess.run(["rpm", "--eval", "%{lua:" + lua + "}"], capture_output=True, text=True, check=True).stdout
    return [int(x) for x in out.split()]


root = os.path.join(OUT, "alma9")
top = os.path.join(OUT, "rpmbuild")
for d in ("etc", "var/lib/rpm"):
    os.makedirs(f"{root}/{d}", exist_ok=True)
open(f"{root}/etc/os-release", "w").write(
    'NAME="AlmaLinux"\nVERSION="9.2 (Turquoise Kodkod)"\nID="almalinux"\nID_LIKE="rhel centos fedora"\n'
    'VERSION_ID="9.2"\nPLATFORM_ID="platform:el9"\nPRETTY_NAME="AlmaLinux 9.2 (Turquoise Kodkod)"\n')
installed = []
for i, name in enumerate(pick):
    fixes = sorted(alma[name])
    _, fixed = fixes[len(fixes) // 2]
    e, v, r = evr_split(fixed)
    kind = i % 3
    rel = {0: r + "~", 1: r, 2: r + ".1"}[kind]
    installed.append((name, e, v, rel))
specs = []
for name, e, v, rel in installed:
    spec = f"{top}/{name}.spec"
    os.makedirs(top, exist_ok=True)
    open(spec, "w").write(
        f"Name: {name}\nEpoch: {e}\nVersion: {v}\nRelease: {rel}\nSummary: oracle fixture\n"
        f"License: MIT\nBuildArch: noarch\n%description\noracle fixture for {name}\n%files\n")
    specs.append(spec)
for spec in specs:
    subprocess.run(["rpmbuild", "-bb", "--quiet", "--define", f"_topdir {top}", spec], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
rpms = []
for dirpath, _, files in os.walk(f"{top}/RPMS"):
    rpms += [os.path.join(dirpath, f) for f in files if f.endswith(".rpm")]
subprocess.run(["rpm", "--root", os.path.abspath(root), "--dbpath", "/var/lib/rpm", "--initdb"], check=True)
subprocess.run(["rpm", "--root", os.path.abspath(root), "--dbpath", "/var/lib/rpm", "-i", "--justdb",
                "--nodeps", "--noscripts", "--notriggers", "--ignorearch", "--ignoreos", *sorted(rpms)],
               check=True)
pairs, meta = [], []
for name, e, v, rel in installed:
    evr = f"{e}:{v}-{rel}"
    for adv, fx in alma[name]:
        pairs.append((evr, fx))
        meta.append((name, adv, evr, fx))
for (name, adv, evr, fx), c in zip(meta, vercmp_many(pairs)):
    expected.append({"target": "alma9", "package": name, "record": adv, "compared": evr,
                     "fixed": fx, "affected": c < 0})

json.dump(expected, open(os.path.join(OUT, "expected.json"), "w"), indent=1)
print(f"{len(expected)} oracle verdicts "
      f"({sum(e['affected'] for e in expected)} affected) over "
      f"{len(chosen)} Debian and {len(pick)} AlmaLinux packages")
