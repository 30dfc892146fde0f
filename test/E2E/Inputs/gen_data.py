#!/usr/bin/python3
"""Writes the small data sets of the E2E tests into a directory.

  gen_data.py blobs DIR [--n N]   blobs_x.{csv,npy} f32[N, 2], blobs_y.{csv,npy}
                                  i32[N]: two Gaussian blobs, classes 0 and 1
  gen_data.py xor DIR             xor_x.csv [4, 2], xor_t.csv [4, 1]
  gen_data.py linreg DIR          linreg_x.csv [[1.5]], linreg_t.csv [[0.8]];
                                  linreg3_{x,t}.csv, three records
  gen_data.py hostile DIR         malformed files for the error tests (below)
  gen_data.py images DIR [--n N] [--shape C,H,W] [--classes K]
                                  images_x.npy f32[N, C, H, W] uniform in
                                  [0, 1), images_y.npy i32[N] in [0, K):
                                  synthetic data of no meaning, to run a
                                  training step of an image model

Every set is fixed by a seed, so the tests are deterministic.
"""
import argparse
import gzip
import os
import struct

import numpy as np


def write_csv(path, rows, header=None, fmt="%.9g"):
    with open(path, "w") as f:
        if header:
            f.write(header + "\n")
        for row in np.atleast_2d(rows):
            f.write(",".join(fmt % v for v in row) + "\n")


def blobs(d, n):
    """Two unit-variance blobs at (-2, -2) and (2, 2): about 99.8% of the
    points are on their class's side of x0 + x1 = 0."""
    rng = np.random.default_rng(1234)
    y = (np.arange(n) % 2).astype(np.int32)
    centers = np.where(y[:, None] == 1, 2.0, -2.0)
    x = (centers + rng.standard_normal((n, 2))).astype(np.float32)
    write_csv(os.path.join(d, "blobs_x.csv"), x, header="x0,x1")
    write_csv(os.path.join(d, "blobs_y.csv"), y[:, None], header="y", fmt="%d")
    np.save(os.path.join(d, "blobs_x.npy"), x)
    np.save(os.path.join(d, "blobs_y.npy"), y)


def xor(d):
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    t = np.array([[0], [1], [1], [0]], dtype=np.float32)
    write_csv(os.path.join(d, "xor_x.csv"), x)
    write_csv(os.path.join(d, "xor_t.csv"), t)


def linreg(d):
    write_csv(os.path.join(d, "linreg_x.csv"), [[1.5]])
    write_csv(os.path.join(d, "linreg_t.csv"), [[0.8]])
    # Three records for batches of 2: the last batch has one record.
    write_csv(os.path.join(d, "linreg3_x.csv"), [[1.5], [-0.5], [2.0]])
    write_csv(os.path.join(d, "linreg3_t.csv"), [[0.8], [0.3], [-1.0]])


def images(d, n, shape, classes):
    rng = np.random.default_rng(4321)
    x = rng.random((n, *shape), dtype=np.float32)
    y = rng.integers(0, classes, n).astype(np.int32)
    np.save(os.path.join(d, "images_x.npy"), x)
    np.save(os.path.join(d, "images_y.npy"), y)


def metrics(d, n):
    """n records of two features with a regression target t (linear plus
    noise) and a 3-class label y (the sector of the point's angle, with one
    label in eight drawn at random), for the metrics over whole data sets."""
    rng = np.random.default_rng(2718)
    x = rng.standard_normal((n, 2)).astype(np.float32)
    t = (0.7 * x[:, :1] - 0.3 * x[:, 1:] +
         0.2 * rng.standard_normal((n, 1))).astype(np.float32)
    angle = np.arctan2(x[:, 1], x[:, 0]) + np.pi
    y = np.minimum((angle / (2 * np.pi / 3)).astype(np.int32), 2)
    noisy = rng.random(n) < 0.125
    y[noisy] = rng.integers(0, 3, int(noisy.sum()))
    write_csv(os.path.join(d, "metrics_x.csv"), x, header="x0,x1")
    write_csv(os.path.join(d, "metrics_t.csv"), t, header="t")
    write_csv(os.path.join(d, "metrics_y.csv"), y[:, None], header="y",
              fmt="%d")


def idx_bytes(dims, payload, magic_type=0x08):
    head = bytes([0, 0, magic_type, len(dims)])
    head += b"".join(struct.pack(">I", v) for v in dims)
    return head + payload


def hostile(d):
    """Malformed files for a model with input x f32[batch, 2] and label
    y i32[batch] (Inputs/blobs.lam)."""
    def put(name, data):
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)

    put("empty.csv", b"")
    # Line 4 has 3 fields where the others have 2.
    put("ragged.csv", b"x0,x1\n0.5,1.5\n-1,2\n3,4,5\n1,1\n")
    # Line 3, field 2 is text.
    put("text.csv", b"0.5,1.5\n-1,2\n7,abc\n")
    # Five records; four labels.
    put("five_x.csv", b"0,0\n1,1\n2,2\n3,3\n4,4\n")
    put("five_y.csv", b"0\n1\n0\n1\n0\n")
    put("four_y.csv", b"0\n1\n0\n1\n")
    # Class 7 in a 2-class problem, on line 3.
    put("class7_y.csv", b"0\n1\n7\n1\n0\n")
    # IDX: 3 records of 2 bytes; one cut short; 2 labels; a wrong magic.
    put("x3-idx2-ubyte.gz", gzip.compress(idx_bytes([3, 2], bytes(range(6)))))
    put("short-idx2-ubyte", idx_bytes([3, 2], bytes(range(5))))
    put("y3-idx1-ubyte", idx_bytes([3], bytes([0, 1, 0])))
    put("y2-idx1-ubyte", idx_bytes([2], bytes([0, 1])))
    put("badmagic-idx1-ubyte",
        b"\x12\x34\x08\x01" + struct.pack(">I", 3) + bytes([0, 1, 0]))
    # A NaN feature in record 0.
    put("nan_x.csv", b"nan,1\n2,2\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what",
                    choices=["blobs", "xor", "linreg", "hostile", "images",
                             "metrics"])
    ap.add_argument("dir")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--shape", default="3,32,32",
                    help="images: the dims of one sample, C,H,W")
    ap.add_argument("--classes", type=int, default=10)
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    if a.what == "blobs":
        blobs(a.dir, a.n)
    elif a.what == "xor":
        xor(a.dir)
    elif a.what == "linreg":
        linreg(a.dir)
    elif a.what == "metrics":
        metrics(a.dir, a.n)
    elif a.what == "images":
        images(a.dir, a.n, [int(v) for v in a.shape.split(",")], a.classes)
    else:
        hostile(a.dir)


if __name__ == "__main__":
    main()
