# Oracle: Python `packaging` (must be 24.2) `packaging.version.Version`. See README.md.
import sys

import packaging
from packaging.version import InvalidVersion, Version

WANT = "24.2"
if packaging.__version__ != WANT:
    sys.stderr.write(
        f"packaging {packaging.__version__} found, the test needs {WANT}: "
        f"python3 -m pip install packaging=={WANT}\n"
    )
    sys.exit(3)


def unhex(h):
    return bytes.fromhex(h[1:]).decode("utf-8")


def parse(s):
    try:
        return Version(s)
    except InvalidVersion:
        return None


out = []
with open(sys.argv[1], encoding="ascii") as f:
    for line in f:
        op, *args = line.rstrip("\n").split(" ")
        if op == "V":
            out.append("ok" if parse(unhex(args[0])) is not None else "invalid")
        elif op == "C":
            a, b = parse(unhex(args[0])), parse(unhex(args[1]))
            if a is None or b is None:
                out.append("invalid")
            else:
                out.append("-1" if a < b else "0" if a == b else "1")
        else:
            raise SystemExit(f"bad request: {line!r}")
sys.stdout.write("".join(x + "\n" for x in out))
