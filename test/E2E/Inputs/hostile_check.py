#!/usr/bin/python3
"""Checks for the test/E2E/hostile*.test cases.

  hostile_check.py intact CKPT --epoch N
      CKPT is a complete, well-formed safetensors checkpoint (a strict
      reader: contiguous tensors, no trailing bytes) of finite values,
      written after epoch N.
  hostile_check.py kept ERR CKPT
      ERR (the stderr of a diverged run) says the checkpoint keeps the
      parameters after epoch N, and CKPT is intact and from epoch N.
  hostile_check.py losses OUT
      Prints the per-epoch lines of a training run without the epoch total
      and the timing ("epoch 3  loss ..."), for an exact comparison of two
      runs.
  hostile_check.py absent-or-intact CKPT
      CKPT does not exist, or it is intact (after a kill -9 at any moment).
"""
import argparse
import json
import os
import re
import struct
import sys

import numpy as np

DTYPES = {"F32": "<f4", "F64": "<f8", "I32": "<i4"}


def fail(msg):
    print("hostile_check.py: FAILED: " + msg, file=sys.stderr)
    sys.exit(1)


def read_strict(path):
    raw = open(path, "rb").read()
    if len(raw) < 8:
        fail(f"{path}: {len(raw)} bytes")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        fail(f"{path}: header length {n} runs past the end ({len(raw)})")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    meta = header.pop("__metadata__", {})
    end = 0
    for name, e in header.items():
        begin, stop = e["data_offsets"]
        if begin != end:
            fail(f"{path}: tensor {name} starts at {begin}, not {end}")
        a = np.frombuffer(data[begin:stop], dtype=DTYPES[e["dtype"]])
        if a.size != int(np.prod(e["shape"])):
            fail(f"{path}: tensor {name} has {a.size} values for "
                 f"shape {e['shape']}")
        if not np.all(np.isfinite(a)):
            fail(f"{path}: tensor {name} is not finite")
        end = stop
    if end != len(data):
        fail(f"{path}: {len(data) - end} bytes after the last tensor")
    return meta


def cmd_intact(a):
    meta = read_strict(a.ckpt)
    if a.epoch is not None and meta.get("epoch") != str(a.epoch):
        fail(f"{a.ckpt}: epoch {meta.get('epoch')}, expected {a.epoch}")
    print(f"intact: epoch {meta.get('epoch')}, step {meta.get('step')}")


def cmd_kept(a):
    err = open(a.err).read()
    m = re.search(r"keeps the parameters after epoch (\d+)", err)
    if not m:
        fail(f"{a.err}: no 'keeps the parameters after epoch N' in: {err}")
    meta = read_strict(a.ckpt)
    if meta.get("epoch") != m.group(1):
        fail(f"{a.ckpt}: epoch {meta.get('epoch')}, but the message says "
             f"{m.group(1)}")
    print(f"kept: epoch {m.group(1)}")


def cmd_losses(a):
    for line in open(a.out):
        if line.startswith("epoch "):
            line = re.sub(r"^epoch (\d+)/\d+", r"epoch \1", line.rstrip())
            print(re.sub(r"\s+[0-9.]+ samples/s\s+[0-9.]+ s$", "", line))


def cmd_absent_or_intact(a):
    if not os.path.exists(a.ckpt):
        print("absent")
        return
    cmd_intact(argparse.Namespace(ckpt=a.ckpt, epoch=None))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("intact")
    p.add_argument("ckpt")
    p.add_argument("--epoch", type=int)
    p.set_defaults(fn=cmd_intact)
    p = sub.add_parser("kept")
    p.add_argument("err")
    p.add_argument("ckpt")
    p.set_defaults(fn=cmd_kept)
    p = sub.add_parser("losses")
    p.add_argument("out")
    p.set_defaults(fn=cmd_losses)
    p = sub.add_parser("absent-or-intact")
    p.add_argument("ckpt")
    p.set_defaults(fn=cmd_absent_or_intact)
    a = ap.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
