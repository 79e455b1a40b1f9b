# Oracle: rpm's own EVR split (`rpm.ver`, i.e. parseEVR) and `rpm.labelCompare` (rpmvercmp on
# epoch, version, release). Run with Debian's /usr/bin/python3 (python3-rpm). See README.md.
# (Not named rpm.py: the script directory comes first on sys.path and would shadow `import rpm`.)
#
# Release semantics: rpm's rpmverCmp/labelCompare order a missing release before any release,
# but rpm's dependency matching (rpmverOverlap, rpmdsCompare) skips the release comparison when
# either side has no (or an empty) release. Vigil implements the latter (a fix version "1.0"
# covers every release of 1.0), so both releases are dropped when either is missing.
import sys

import rpm


def unhex(h):
    return bytes.fromhex(h[1:]).decode("utf-8")


def ver(s):
    """rpm's split of an EVR; None when rpm cannot compare it (rpmverNew rejects an empty
    version, and labelCompare then raises "invalid version")."""
    try:
        v = rpm.ver(s)
    except Exception:
        return None
    return v if v.v else None


def main():
    out = []
    with open(sys.argv[1], encoding="ascii") as f:
        for line in f:
            op, *args = line.rstrip("\n").split(" ")
            if op == "V":
                out.append("ok" if ver(unhex(args[0])) else "invalid")
            elif op == "C":
                a, b = ver(unhex(args[0])), ver(unhex(args[1]))
                if a is None or b is None:
                    out.append("invalid")
                    continue
                ra, rb = a.r or None, b.r or None
                if ra is None or rb is None:
                    ra = rb = None
                out.append(str(rpm.labelCompare((a.e, a.v, ra), (b.e, b.v, rb))))
            else:
                raise SystemExit(f"bad request: {line!r}")
    sys.stdout.write("".join(x + "\n" for x in out))


main()
