#!/usr/bin/env python3
"""Scores CVSS vectors (one per line on stdin) with Red Hat's `cvss` package (PyPI `cvss`),
printing `score` or `ERR` per line. Used by the differential test."""
import sys
try:
    from cvss import CVSS2, CVSS3, CVSS4
except ImportError as e:
    sys.exit(f"missing Python module ({e}); python3 -m pip install cvss==3.4")
for line in sys.stdin:
    v = line.strip()
    try:
        if v.startswith("CVSS:4.0/"):
            s = CVSS4(v).base_score
        elif v.startswith("CVSS:3"):
            s = CVSS3(v).base_score
        else:
            s = CVSS2(v).base_score
        print(f"{float(s):.1f}")
    except Exception:
        print("ERR")
