#!/usr/bin/env python3
"""Scores CVSS vectors (one per line on stdin) with Red Hat's `cvss` package (PyPI `cvss`),
printing `score` or `ERR` per line (with `environmental`: v3 environmental scores; v4.0
scores always take every metric present). Used by the differential tests."""
import sys
try:
    from cvss import CVSS2, CVSS3, CVSS4
except ImportError as e:
    sys.exit(f"missing Python module ({e}); python3 -m pip install cvss==3.4")
env = sys.argv[1:] == ["environmental"]
for line in sys.stdin:
    v = line.strip()
    try:
        if v.startswith("CVSS:4.0/"):
            s = CVSS4(v).base_score
        elif v.startswith("CVSS:3"):
            c = CVSS3(v)
            s = c.environmental_score if env else c.base_score
        else:
            s = CVSS2(v).base_score
        print(f"{float(s):.1f}")
    except Exception:
        print("ERR")
