#!/usr/bin/env python3
"""Compare Vigil's package set with Syft's and Trivy's on the same target.

    compare.py VIGIL.json SYFT.json TRIVY.cdx.json [--show N]

VIGIL.json: `vigil sbom --format json`; SYFT.json: `syft -o syft-json`; TRIVY.cdx.json:
`trivy image --format cyclonedx`. Packages are keyed by (purl type, normalised name, version);
prints counts per ecosystem and tool, recall of Vigil against the union of the two peers, and
every package a peer reports that Vigil does not (with the peer's location), so that each
difference can be explained.
"""
import json, re, sys
from collections import defaultdict
from urllib.parse import unquote

ECO = {"deb": "deb", "rpm": "rpm", "apk": "apk", "pypi": "pypi", "npm": "npm", "golang": "go",
       "maven": "maven", "gem": "gem", "cargo": "cargo", "composer": "composer", "nuget": "nuget"}


def norm(eco, name):
    if eco == "pypi":
        return re.sub(r"[-_.]+", "-", name).lower()
    return name


def from_purl(purl):
    m = re.match(r"pkg:([^/]+)/(.+?)@([^?#]+)(?:\?([^#]*))?", purl or "")
    if not m:
        return None
    ty, path, ver = m.group(1), unquote(m.group(2)), unquote(m.group(3))
    quals = dict(q.split("=", 1) for q in (m.group(4) or "").split("&") if "=" in q)
    # Trivy writes a deb/rpm epoch as a qualifier, Syft and Vigil in the version
    if "epoch" in quals and quals["epoch"] != "0" and ":" not in ver:
        ver = f"{quals['epoch']}:{ver}"
    eco = ECO.get(ty)
    if eco is None:
        return None
    name = path
    if eco in ("deb", "rpm", "apk"):
        name = path.split("/", 1)[1] if "/" in path else path
    elif eco == "maven":
        name = path.replace("/", ":", 1)
    return eco, norm(eco, name), ver


def vigil(path):
    d = json.load(open(path))
    out = {}
    for p in d["packages"]:
        k = from_purl(p["purl"])
        if k:
            out.setdefault(k, [l["path"] for l in p["locations"]][:2])
    return out


def syft(path):
    d = json.load(open(path))
    out = {}
    for a in d["artifacts"]:
        k = from_purl(a.get("purl", ""))
        if k:
            out.setdefault(k, [l.get("path") for l in a.get("locations", [])][:2])
    return out


def trivy(path):
    d = json.load(open(path))
    out = {}
    for c in d.get("components", []):
        k = from_purl(c.get("purl", ""))
        if k:
            paths = [p["value"] for p in c.get("properties", []) if p["name"] == "aquasecurity:trivy:FilePath"]
            out.setdefault(k, paths[:2])
    return out


def main():
    show = 400
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if "--show" in sys.argv:
        show = int(sys.argv[sys.argv.index("--show") + 1])
    v, s, t = vigil(args[0]), syft(args[1]), trivy(args[2])
    union = set(s) | set(t)
    ecos = sorted({k[0] for k in set(v) | union})
    print(f"{'ecosystem':<10} {'vigil':>7} {'syft':>7} {'trivy':>7} {'union':>7} {'recall':>7}")
    for e in ecos + ["ALL"]:
        f = (lambda k: True) if e == "ALL" else (lambda k, e=e: k[0] == e)
        u = {k for k in union if f(k)}
        found = {k for k in u if k in v}
        rec = f"{100 * len(found) / len(u):.1f}%" if u else "-"
        print(f"{e:<10} {sum(1 for k in v if f(k)):>7} {sum(1 for k in s if f(k)):>7} "
              f"{sum(1 for k in t if f(k)):>7} {len(u):>7} {rec:>7}")
    missing = sorted(union - set(v))
    print(f"\nreported by a peer, not by vigil: {len(missing)}")
    for k in missing[:show]:
        who = "+".join(n for n, m in (("syft", s), ("trivy", t)) if k in m)
        where = (s.get(k) or t.get(k) or [""])[0]
        print(f"  {k[0]:<7} {k[1]}@{k[2]}  [{who}] {where}")
    extra = sorted(set(v) - union)
    print(f"\nreported by vigil only: {len(extra)}")
    for k in extra[:show]:
        print(f"  {k[0]:<7} {k[1]}@{k[2]}  {v[k][0] if v[k] else ''}")


if __name__ == "__main__":
    main()
