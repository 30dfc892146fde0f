#!/usr/bin/python3
"""Checks on the output of generated executables, for the E2E lit tests.
Numbers are compared here, with tolerances, never by FileCheck.

  check.py metric OUT --line PREFIX --name NAME [--min X] [--max X]
      The last line of OUT that starts with PREFIX has "NAME VALUE" in it,
      and VALUE is in [min, max].
  check.py same-metrics OUT1 OUT2 --line PREFIX --name NAME... [--atol X]
      Both outputs report the same values (within atol) on their lines.
  check.py npy FILE --shape N,C [--dtype float32] [--rows-sum-to-one]
               [--nan-rows R,...]
      An NPY file written by `predict -o`: finite, except rows R that are
      all NaN; with --rows-sum-to-one, rows are probability distributions.
  check.py printed OUT --rows N --cols C [--like FILE.npy] [--rtol X]
      `predict` printed N comma-separated rows of C numbers (the same
      values as FILE.npy, up to %.6g).
  check.py rounded OUT --expect 0,1,1,0
      The printed single-column predictions round to the expected values.
  check.py no-more-allocs MANY FEW [--most K]
                               allocation counts (one integer per file) of the
                               same work in many and in few pipeline calls:
                               MANY is at most K (default 2) above FEW
  check.py st-list FILE
      Reads a safetensors file with a plain reader and prints its metadata
      and its tensors in header order: "NAME DTYPE [SHAPE]".
  check.py st-same A B [--atol X]
      Two checkpoints hold the same tensors with the same values.
  check.py lrs OUT --expect LR,LR,... [--rtol X]
      The "lr X" of each epoch line of OUT, in order, are the expected
      ones (relative tolerance X, default 1e-5).
  check.py st-moved A B NAME... [--min X]
      Each tensor NAME differs between checkpoints A and B by more than X
      (default 1e-3) somewhere.
  check.py st-values FILE NAME=V[,V...]... [--atol X]
      Tensors have the given values (row-major).
  check.py mlp-forward CKPT X.npy PROBS.npy --layers NAME...
      PROBS.npy is softmax(dense(...relu(dense(X)))) computed in numpy from
      the parameters NAME.weight, NAME.bias in CKPT (the last layer has no
      relu).
  check.py mlp-steps INIT AFTER X.npy Y.npy --layers NAME... --steps S
                     --lr LR --momentum M
      AFTER holds the parameters and velocities after S full-batch steps of
      SGD with momentum on mean cross-entropy from INIT, computed in numpy.
  check.py st-norm FILE --suffix S
      Prints the 2-norm of every tensor whose name ends in S, as one
      vector: "norm X" (%.6f).
  check.py eval-json-same A.json B.json... [--atol X]
      `eval --json` files report the same records, confusion matrix, loss
      and metrics (within atol, default 1e-6).
  check.py metrics-ref EVAL.json PRED.npy LABELS.csv
      The metrics of `eval --json` (r2, rmse, mae for a regression;
      accuracy, precision, recall, f1 and the confusion matrix for a
      classifier) are those numpy computes from the predictions of the same
      records and their labels (to 1e-5).
  check.py linreg-batches FILE --x X... --t T... --batch B --lr LR --w0 W --b0 B
      The w and b of a LinReg checkpoint after one epoch of SGD on (x, t)
      with the given batch size equal those of one of the possible shuffles.
  check.py history FILE
      A --history file (.csv or .json): prints "columns A,B,...", then
      "epochs E,E,..." (the epoch column) and "rows N". Every value must be
      a number (JSON: or null), and every row have every column.
  check.py svg-series FILE
      A --plot file: parses it as XML and prints "series NAME POINTS" for
      each <polyline> in document order, then "polylines N". Fails on a
      polyline without data-series or with a coordinate that is not finite.
"""
import argparse
import csv
import itertools
import json
import math
import re
import struct
import sys
import xml.etree.ElementTree as ET

import numpy as np

DTYPES = {"F32": "<f4", "F64": "<f8", "I32": "<i4", "I64": "<i8", "U8": "u1"}


def fail(msg):
    print("check.py: FAILED: " + msg, file=sys.stderr)
    sys.exit(1)


def read_safetensors(path):
    """A plain reader: 8-byte little-endian header length, a JSON header,
    then the tensors' bytes at their data_offsets. Strict about the layout."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        fail(f"{path}: {len(raw)} bytes, no header length")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        fail(f"{path}: header length {n} runs past the end")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    meta = header.pop("__metadata__", {})
    tensors = {}
    end = 0
    for name, e in header.items():
        begin, stop = e["data_offsets"]
        if begin != end:
            fail(f"{path}: tensor {name} starts at {begin}, not at {end}")
        end = stop
        a = np.frombuffer(data[begin:stop], dtype=DTYPES[e["dtype"]])
        tensors[name] = (e["dtype"], a.reshape(e["shape"]))
    if end != len(data):
        fail(f"{path}: {len(data) - end} bytes after the last tensor")
    return meta, tensors


def metrics_of(path, prefix):
    lines = [l.strip() for l in open(path) if l.strip().startswith(prefix)]
    if not lines:
        fail(f"{path}: no line starts with '{prefix}'")
    return lines[-1]


def value_of(line, name):
    m = re.search(r"(?:^|\s)" + re.escape(name) + r"\s+(-?[0-9.eE+-]+|nan|inf)",
                  line)
    if not m:
        fail(f"no '{name} VALUE' in '{line}'")
    return float(m.group(1))


def cmd_metric(a):
    line = metrics_of(a.out, a.line)
    v = value_of(line, a.name)
    if a.min is not None and not v >= a.min:
        fail(f"{a.name} {v} < {a.min} in '{line}'")
    if a.max is not None and not v <= a.max:
        fail(f"{a.name} {v} > {a.max} in '{line}'")
    print(f"{a.name} = {v}")


def cmd_same_metrics(a):
    l1, l2 = metrics_of(a.out1, a.line), metrics_of(a.out2, a.line)
    for name in a.name:
        v1, v2 = value_of(l1, name), value_of(l2, name)
        if not abs(v1 - v2) <= a.atol:
            fail(f"{name}: {v1} in '{l1}' but {v2} in '{l2}'")
    print("same")


def cmd_no_more_allocs(a):
    with open(a.many) as f1, open(a.few) as f2:
        many, few = int(f1.read()), int(f2.read())
    if many - few > a.most:
        fail(f"allocation calls: {many} in {a.many} but {few} in {a.few}; "
             "the run with more pipeline calls allocates "
             f"{many - few} more times, so a call allocates")
    print(f"allocation calls: {many} and {few}")


def cmd_npy(a):
    x = np.load(a.file)
    shape = tuple(int(s) for s in a.shape.split(","))
    if x.shape != shape:
        fail(f"{a.file}: shape {x.shape}, expected {shape}")
    if x.dtype != np.dtype(a.dtype):
        fail(f"{a.file}: dtype {x.dtype}, expected {a.dtype}")
    nan_rows = [int(r) for r in a.nan_rows.split(",")] if a.nan_rows else []
    for r in nan_rows:
        if not np.all(np.isnan(x[r])):
            fail(f"{a.file}: row {r} is {x[r].tolist()}, expected NaN")
    if not np.all(np.isfinite(np.delete(x, nan_rows, axis=0))):
        fail(f"{a.file}: non-finite values")
    x = np.delete(x, nan_rows, axis=0)
    if a.rows_sum_to_one:
        s = x.reshape(x.shape[0], -1).sum(axis=1)
        if not np.allclose(s, 1.0, atol=1e-5):
            fail(f"{a.file}: row sums {s[np.abs(s - 1) > 1e-5][:5]} != 1")
        if np.any(x < 0):
            fail(f"{a.file}: negative probabilities")
    print(f"{a.file}: {x.dtype} {list(shape)}")


def read_printed(path):
    rows = [l.strip() for l in open(path) if l.strip()]
    return np.array([[float(v) for v in r.split(",")] for r in rows])


def cmd_printed(a):
    x = read_printed(a.out)
    if x.shape != (a.rows, a.cols):
        fail(f"{a.out}: {x.shape[0]} rows of {x.shape[1:]} values, "
             f"expected {a.rows} rows of {a.cols}")
    if a.like:
        y = np.load(a.like).reshape(a.rows, -1)
        if not np.allclose(x, y, rtol=a.rtol, atol=1e-7):
            fail(f"{a.out} differs from {a.like}: max "
                 f"{np.max(np.abs(x - y))}")
    print(f"{a.out}: {a.rows} rows")


def cmd_rounded(a):
    x = read_printed(a.out)
    want = [float(v) for v in a.expect.split(",")]
    got = np.round(x[:, 0]).tolist()
    if got != want:
        fail(f"{a.out}: rounded outputs {got} (from {x[:, 0].tolist()}), "
             f"expected {want}")
    print(f"{a.out}: {got}")


def cmd_st_list(a):
    meta, tensors = read_safetensors(a.file)
    print("__metadata__ " + " ".join(f"{k}={meta[k]}" for k in sorted(meta)))
    for name, (dtype, t) in tensors.items():
        if not np.all(np.isfinite(t)):
            fail(f"{a.file}: tensor {name} has non-finite values")
        print(f"{name} {dtype} {list(t.shape)}")


def cmd_st_same(a):
    _, ta = read_safetensors(a.a)
    _, tb = read_safetensors(a.b)
    if list(ta) != list(tb):
        fail(f"tensors {list(ta)} != {list(tb)}")
    for name in ta:
        (da, x), (db, y) = ta[name], tb[name]
        if da != db or x.shape != y.shape:
            fail(f"{name}: {da}{list(x.shape)} != {db}{list(y.shape)}")
        if not np.allclose(x, y, rtol=0, atol=a.atol):
            fail(f"{name}: max difference {np.max(np.abs(x - y))} > {a.atol}")
    print(f"{len(ta)} tensors agree within {a.atol}")


def cmd_lrs(a):
    got = [float(m.group(1)) for m in
           (re.search(r"  lr ([0-9.e+-]+)", l) for l in
            open(a.out).read().splitlines() if l.startswith("epoch "))
           if m]
    want = [float(v) for v in a.expect.split(",")]
    if len(got) != len(want) or not np.allclose(got, want, rtol=a.rtol,
                                                 atol=0):
        fail(f"learning rates {got}, expected {want}")
    print(f"{len(got)} learning rates as expected")


def cmd_st_moved(a):
    _, ta = read_safetensors(a.a)
    _, tb = read_safetensors(a.b)
    for name in a.names:
        if name not in ta or name not in tb:
            fail(f"{name} is not in both {a.a} and {a.b}")
        d = float(np.max(np.abs(ta[name][1].astype(np.float64) -
                                tb[name][1].astype(np.float64))))
        if not d > a.min:
            fail(f"{name} moved by at most {d}, not more than {a.min}")
        print(f"{name} moved")


def cmd_st_values(a):
    _, t = read_safetensors(a.file)
    for spec in a.values:
        name, vals = spec.split("=")
        want = np.array([float(v) for v in vals.split(",")])
        if name not in t:
            fail(f"{a.file}: no tensor {name}")
        got = t[name][1].reshape(-1).astype(np.float64)
        if got.shape != want.shape or not np.allclose(got, want, rtol=0,
                                                      atol=a.atol):
            fail(f"{a.file}: {name} = {got.tolist()}, expected {want.tolist()}")
        print(f"{name} = {got.tolist()}")


def mlp_params(path, layers):
    _, t = read_safetensors(path)
    return {k: v[1].astype(np.float64) for k, v in t.items()}


def mlp_logits(p, layers, x):
    acts, zs = [x], []
    for i, name in enumerate(layers):
        z = acts[-1] @ p[name + ".weight"] + p[name + ".bias"]
        zs.append(z)
        acts.append(z if i == len(layers) - 1 else np.maximum(z, 0))
    return acts, zs


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def cmd_mlp_forward(a):
    p = mlp_params(a.ckpt, a.layers)
    x = np.load(a.x).astype(np.float64)
    acts, _ = mlp_logits(p, a.layers, x)
    want, got = softmax(acts[-1]), np.load(a.probs)
    if got.shape != want.shape or not np.allclose(got, want, rtol=1e-4,
                                                  atol=1e-6):
        fail(f"{a.probs}: max difference {np.max(np.abs(got - want))} from "
             "the numpy forward pass")
    print(f"{a.probs} matches numpy: max difference "
          f"{np.max(np.abs(got - want)):.2e}")


def cmd_mlp_steps(a):
    p = mlp_params(a.init, a.layers)
    x = np.load(a.x).astype(np.float64)
    y = np.load(a.y).astype(np.int64)
    n = len(x)
    names = [f"{l}.{k}" for l in a.layers for k in ("weight", "bias")]
    v = {k: np.zeros_like(p[k]) for k in names}
    for _ in range(a.steps):
        acts, zs = mlp_logits(p, a.layers, x)
        dz = softmax(acts[-1])
        dz[np.arange(n), y] -= 1
        dz /= n
        g = {}
        for i in reversed(range(len(a.layers))):
            l = a.layers[i]
            g[l + ".weight"] = acts[i].T @ dz
            g[l + ".bias"] = dz.sum(axis=0)
            if i:
                dz = (dz @ p[l + ".weight"].T) * (zs[i - 1] > 0)
        for k in names:
            v[k] = a.momentum * v[k] + g[k]
            p[k] = p[k] - a.lr * v[k]
    got = mlp_params(a.after, a.layers)
    worst = 0.0
    for k in names:
        for name, want in ((k, p[k]), (k + ".velocity", v[k])):
            d = np.max(np.abs(got[name] - want))
            worst = max(worst, d)
            if not np.allclose(got[name], want, rtol=1e-4, atol=1e-6):
                fail(f"{a.after}: {name} differs from numpy by {d}")
    print(f"{len(names)} parameters and velocities match numpy after "
          f"{a.steps} steps: max difference {worst:.2e}")


def cmd_linreg_batches(a):
    _, t = read_safetensors(a.file)
    w, b = float(t["w"][1].reshape(-1)[0]), float(t["b"][1].reshape(-1)[0])
    x, tt = np.array(a.x), np.array(a.t)
    results = []
    for order in itertools.permutations(range(len(x))):
        cw, cb = a.w0, a.b0
        for i in range(0, len(order), a.batch):
            idx = list(order[i:i + a.batch])
            # L = mean over the batch of 1/2 (w x + b - t)^2.
            r = cw * x[idx] + cb - tt[idx]
            cw, cb = cw - a.lr * np.mean(r * x[idx]), cb - a.lr * np.mean(r)
        results.append((cw, cb))
        if abs(cw - w) <= 1e-9 and abs(cb - b) <= 1e-9:
            print(f"w = {w}, b = {b}: the shuffle {list(order)}")
            return
    fail(f"w = {w}, b = {b} match no shuffle: {sorted(set(results))}")


def cmd_st_norm(a):
    _, tensors = read_safetensors(a.file)
    total = sum(float((v.astype(np.float64) ** 2).sum())
                for k, (_, v) in tensors.items() if k.endswith(a.suffix))
    print("norm %.6f" % np.sqrt(total))


def cmd_eval_json_same(a):
    runs = [json.load(open(f)) for f in a.files]
    first = runs[0]
    for f, r in zip(a.files[1:], runs[1:]):
        if r["records"] != first["records"]:
            fail(f"{f}: {r['records']} records, {a.files[0]}: "
                 f"{first['records']}")
        if r.get("confusion") != first.get("confusion"):
            fail(f"{f}: confusion {r.get('confusion')} != "
                 f"{first.get('confusion')}")
        pairs = [("loss", r.get("loss"), first.get("loss"))]
        pairs += [(k, v, first["metrics"][k]) for k, v in r["metrics"].items()]
        for name, v, w in pairs:
            if v is None or w is None or abs(v - w) > a.atol:
                fail(f"{f}: {name} {v} != {w} of {a.files[0]} "
                     f"(atol {a.atol})")
    print(f"{len(runs)} evaluations agree: " +
          " ".join(sorted(first["metrics"])))


def cmd_metrics_ref(a):
    got = json.load(open(a.json))
    pred = np.load(a.pred).astype(np.float64)
    labels = np.loadtxt(a.labels, delimiter=",", skiprows=1, ndmin=1)
    want = {}
    if "confusion" in got:
        c = pred.shape[1]
        truth = labels.astype(np.int64)
        guess = pred.argmax(axis=1)
        m = np.zeros((c, c), dtype=np.int64)
        np.add.at(m, (truth, guess), 1)
        if m.tolist() != got["confusion"]:
            fail(f"confusion {got['confusion']} != numpy's {m.tolist()}")
        tp = np.diag(m).astype(np.float64)
        labelled, predicted = m.sum(axis=1), m.sum(axis=0)
        present = labelled + predicted > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            prec = np.where(predicted > 0, tp / predicted, 0.0)
            rec = np.where(labelled > 0, tp / labelled, 0.0)
            f1 = np.where(present, 2 * tp / (labelled + predicted), 0.0)
        want = {"accuracy": tp.sum() / m.sum(),
                "precision": prec[present].mean(),
                "recall": rec[present].mean(), "f1": f1[present].mean()}
    else:
        t = labels.reshape(pred.shape)
        d = pred - t
        want = {"r2": 1 - (d * d).sum() / ((t - t.mean()) ** 2).sum(),
                "rmse": np.sqrt((d * d).mean()), "mae": np.abs(d).mean()}
    for name, v in got["metrics"].items():
        if name not in want:
            fail(f"no reference for metric {name}")
        if abs(v - want[name]) > 1e-5:
            fail(f"{name} {v} != numpy's {want[name]}")
        print(f"{name} agrees with numpy")


def cmd_history(a):
    if a.file.endswith(".csv"):
        with open(a.file, newline="") as f:
            rows = list(csv.reader(f))
        columns, body = rows[0], rows[1:]
        for r in body:
            if len(r) != len(columns):
                fail(f"{a.file}: row {r} does not have {len(columns)} values")
            for v in r:
                float(v)
        epochs = [r[0] for r in body]
    else:
        with open(a.file) as f:
            doc = json.load(f)
        if not isinstance(doc, list) or not doc:
            fail(f"{a.file}: not a non-empty JSON array")
        columns = list(doc[0].keys())
        for o in doc:
            if list(o.keys()) != columns:
                fail(f"{a.file}: {o} has other keys than {columns}")
            for v in o.values():
                if v is not None and not isinstance(v, (int, float)):
                    fail(f"{a.file}: {v!r} is not a number")
        epochs = [str(o["epoch"]) for o in doc]
    print("columns " + ",".join(columns))
    print("epochs " + ",".join(epochs))
    print(f"rows {len(epochs)}")


def cmd_svg_series(a):
    ns = "{http://www.w3.org/2000/svg}"
    root = ET.parse(a.file).getroot()
    if root.tag != ns + "svg":
        fail(f"{a.file}: the root is {root.tag}, not svg")
    lines = root.iter(ns + "polyline")
    n = 0
    for p in lines:
        name = p.get("data-series")
        if name is None:
            fail(f"{a.file}: a polyline has no data-series")
        points = p.get("points", "").split()
        for pt in points:
            x, y = (float(c) for c in pt.split(","))
            if not (math.isfinite(x) and math.isfinite(y)):
                fail(f"{a.file}: {name} has the point {pt}")
        print(f"series {name} {len(points)}")
        n += 1
    print(f"polylines {n}")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("metric")
    p.add_argument("out")
    p.add_argument("--line", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--min", type=float)
    p.add_argument("--max", type=float)
    p = sub.add_parser("same-metrics")
    p.add_argument("out1")
    p.add_argument("out2")
    p.add_argument("--line", required=True)
    p.add_argument("--name", nargs="+", required=True)
    p.add_argument("--atol", type=float, default=1e-4)
    p = sub.add_parser("npy")
    p.add_argument("file")
    p.add_argument("--shape", required=True)
    p.add_argument("--dtype", default="float32")
    p.add_argument("--rows-sum-to-one", action="store_true")
    p.add_argument("--nan-rows", help="rows that must be all NaN: 0,3")
    p = sub.add_parser("printed")
    p.add_argument("out")
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--cols", type=int, required=True)
    p.add_argument("--like")
    p.add_argument("--rtol", type=float, default=1e-5)
    p = sub.add_parser("rounded")
    p.add_argument("out")
    p.add_argument("--expect", required=True)
    p = sub.add_parser("no-more-allocs")
    p.add_argument("many")
    p.add_argument("few")
    p.add_argument("--most", type=int, default=2)
    p = sub.add_parser("st-list")
    p.add_argument("file")
    p = sub.add_parser("st-same")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--atol", type=float, default=1e-6)
    p = sub.add_parser("lrs")
    p.add_argument("out")
    p.add_argument("--expect", required=True)
    p.add_argument("--rtol", type=float, default=1e-5)
    p = sub.add_parser("st-moved")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("names", nargs="+")
    p.add_argument("--min", type=float, default=1e-3)
    p = sub.add_parser("st-values")
    p.add_argument("file")
    p.add_argument("values", nargs="+")
    p.add_argument("--atol", type=float, default=1e-6)
    p = sub.add_parser("mlp-forward")
    p.add_argument("ckpt")
    p.add_argument("x")
    p.add_argument("probs")
    p.add_argument("--layers", nargs="+", required=True)
    p = sub.add_parser("mlp-steps")
    p.add_argument("init")
    p.add_argument("after")
    p.add_argument("x")
    p.add_argument("y")
    p.add_argument("--layers", nargs="+", required=True)
    p.add_argument("--steps", type=int, required=True)
    p.add_argument("--lr", type=float, required=True)
    p.add_argument("--momentum", type=float, required=True)
    p = sub.add_parser("st-norm")
    p.add_argument("file")
    p.add_argument("--suffix", required=True)
    p = sub.add_parser("eval-json-same")
    p.add_argument("files", nargs="+")
    p.add_argument("--atol", type=float, default=1e-6)
    p = sub.add_parser("metrics-ref")
    p.add_argument("json")
    p.add_argument("pred")
    p.add_argument("labels")
    p = sub.add_parser("linreg-batches")
    p.add_argument("file")
    p.add_argument("--x", type=float, nargs="+", required=True)
    p.add_argument("--t", type=float, nargs="+", required=True)
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--lr", type=float, required=True)
    p.add_argument("--w0", type=float, required=True)
    p.add_argument("--b0", type=float, required=True)
    p = sub.add_parser("history")
    p.add_argument("file")
    p = sub.add_parser("svg-series")
    p.add_argument("file")
    a = ap.parse_args()
    {"metric": cmd_metric, "same-metrics": cmd_same_metrics, "npy": cmd_npy,
     "printed": cmd_printed, "rounded": cmd_rounded, "st-list": cmd_st_list,
     "no-more-allocs": cmd_no_more_allocs,
     "st-same": cmd_st_same, "st-moved": cmd_st_moved, "lrs": cmd_lrs,
     "st-values": cmd_st_values,
     "mlp-forward": cmd_mlp_forward, "mlp-steps": cmd_mlp_steps,
     "st-norm": cmd_st_norm, "eval-json-same": cmd_eval_json_same,
     "metrics-ref": cmd_metrics_ref,
     "linreg-batches": cmd_linreg_batches, "history": cmd_history,
     "svg-series": cmd_svg_series}[a.cmd](a)


if __name__ == "__main__":
    main()
