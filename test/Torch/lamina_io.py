"""Shared helpers of the PyTorch agreement tests: safetensors with json +
numpy only (no extra package), and running lamina-run."""
import json
import os
import re
import struct
import subprocess
import sys

import numpy as np

# safetensors dtype names <-> numpy (little-endian).
_DTYPES = {"F32": "<f4", "F64": "<f8", "I32": "<i4", "I64": "<i8",
           "U8": "u1", "I8": "i1", "F16": "<f2"}
_NAMES = {np.dtype(v).str: k for k, v in _DTYPES.items()}


def read_safetensors(path):
    """Returns ({name: ndarray}, metadata dict) of a safetensors file: an
    8-byte little-endian header length, a JSON header, then the data."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    data = memoryview(blob)[8 + n:]
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, e in header.items():
        begin, end = e["data_offsets"]
        dt = np.dtype(_DTYPES[e["dtype"]])
        arr = np.frombuffer(data[begin:end], dtype=dt).copy()
        tensors[name] = arr.reshape(e["shape"])
    return tensors, meta


def write_safetensors(path, tensors, metadata=None):
    """Writes {name: ndarray} (f32, f64, i32, i64) as safetensors."""
    header = {}
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    chunks, offset = [], 0
    for name in sorted(tensors):
        a = np.asarray(tensors[name])
        a = np.ascontiguousarray(a.astype(a.dtype.newbyteorder("<")))
        b = a.tobytes()
        header[name] = {"dtype": _NAMES[a.dtype.str], "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(b)]}
        chunks.append(b)
        offset += len(b)
    text = json.dumps(header).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in chunks:
            f.write(b)


def run_lamina(lamina_run, model_path, feeds, out_path, args=(), timeout=600):
    """Writes `feeds` next to `out_path`, runs lamina-run and returns
    (results or None, stderr text)."""
    feeds_path = out_path + ".feeds.safetensors"
    write_safetensors(feeds_path, feeds)
    if os.path.exists(out_path):
        os.remove(out_path)
    cmd = [lamina_run, model_path, "--feeds", feeds_path, "--out", out_path]
    cmd += list(args)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    err = p.stdout.decode("utf-8", "replace") + p.stderr.decode("utf-8",
                                                                "replace")
    if p.returncode != 0:
        return None, err
    return read_safetensors(out_path)[0], err


def max_error(got, ref):
    """max |got - ref| / max(1, max |ref|): the error relative to the
    tensor's scale, with an absolute floor for values near 0. inf where the
    shapes differ or got is not finite where ref is."""
    got = np.asarray(got, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if got.shape != ref.shape:
        return float("inf")
    if got.size == 0:
        return 0.0
    if not np.all(np.isfinite(got) == np.isfinite(ref)):
        return float("inf")
    fin = np.isfinite(ref)
    if np.any(got[~fin] != ref[~fin]):
        return float("inf")
    if not np.any(fin):
        return 0.0
    scale = max(1.0, float(np.max(np.abs(ref[fin]))))
    return float(np.max(np.abs(got[fin] - ref[fin]))) / scale


def run_checked(cmd, who):
    """Runs `cmd`; exits naming `who` with its output if it fails."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode != 0:
        sys.exit("%s: %s failed:\n%s" % (who, " ".join(cmd),
                                          p.stdout.decode()))
    return p.stdout.decode()


def train_resumed(exe, ck, inputs, work, batch, who):
    """One `train --resume ck` run per batch of `inputs` (ndarrays of the
    model's inputs and labels, in order), each one epoch of that batch
    alone: the executable's own training loop, step by step. Returns the
    loss each run printed (4 decimals)."""
    steps = len(inputs[0]) // batch
    losses = []
    for s in range(steps):
        paths = []
        for i, arr in enumerate(inputs):
            paths.append(os.path.join(work, "b%d_%d.npy" % (s, i)))
            np.save(paths[-1], arr[s * batch:(s + 1) * batch])
        out = run_checked([exe, "train"] + paths + [
            "--resume", ck, "--epochs", str(s + 1), "--batch", str(batch),
            "--val-split", "0"], who)
        m = re.search(r"loss ([0-9.e+-]+)", out.split("\n")[-2]
                      if out.strip() else "")
        losses.append(float(m.group(1)) if m else float("nan"))
    return losses
