"""Prints a model descriptor (stdin) one fact per line for FileCheck: the
top-level scalars, then each pipeline's arguments in call order."""
import json
import sys

d = json.load(sys.stdin)
for key in ("abi_version", "model", "has_loss", "loss_dtype", "step_key"):
    if key in d:
        print(f"{key} {json.dumps(d[key])}")
for key in ("inputs", "labels", "params", "state", "non_trainable", "outputs",
            "metrics"):
    print(f"{key}: " + " ".join(t["arg"] for t in d[key]))
for name in sorted(d["pipelines"]):
    print(f"pipeline {name}")
    for a in d["pipelines"][name]:
        print(f"  {a['kind']} {a['name']} {a['dtype']}{a['shape']}")
