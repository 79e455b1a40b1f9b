#!/usr/bin/env python3
"""Regenerates inspector2-model-shapes.json from the installed botocore.

Keeps the shapes reachable from the ones vigil-api implements (documentation
stripped), plus every exception shape. Run: python3 dump_model_shapes.py
"""
import gzip
import json
import os

import botocore

ROOTS = [
    "FilterCriteria", "SortCriteria", "Finding", "CreateFilterRequest",
    "UpdateFilterRequest", "ListFindingsRequest", "Filter",
]

path = os.path.join(os.path.dirname(botocore.__file__),
                    "data", "inspector2", "2020-06-08", "service-2.json.gz")
model = json.load(gzip.open(path))
shapes = model["shapes"]
roots = ROOTS + sorted(k for k, v in shapes.items() if v.get("exception"))


def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if k != "documentation"}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x


out = {}
todo = list(roots)
while todo:
    name = todo.pop()
    if name in out:
        continue
    shape = strip(shapes[name])
    out[name] = shape
    for member in shape.get("members", {}).values():
        todo.append(member["shape"])
    for key in ("member", "key", "value"):
        if key in shape:
            todo.append(shape[key]["shape"])

doc = {
    "source": "botocore %s data/inspector2/2020-06-08/service-2.json.gz" % botocore.__version__,
    "metadata": model["metadata"],
    "shapes": dict(sorted(out.items())),
}
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "inspector2-model-shapes.json"), "w") as f:
    json.dump(doc, f, indent=1, sort_keys=True)
    f.write("\n")
print(len(out), "shapes")
