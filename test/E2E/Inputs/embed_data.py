"""Writes the first N Fashion-MNIST training images as an f32 .npy (pixels
scaled to [0, 1], as the executable reads IDX files) and their labels as an
i32 .npy, for the embedding tests.

usage: embed_data.py FASHION_MNIST_DIR N OUT_DIR
"""
import gzip
import os
import sys

import numpy as np

src, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with gzip.open(os.path.join(src, "train-images-idx3-ubyte.gz")) as f:
    x = np.frombuffer(f.read()[16:], np.uint8).reshape(-1, 784)[:n]
with gzip.open(os.path.join(src, "train-labels-idx1-ubyte.gz")) as f:
    y = np.frombuffer(f.read()[8:], np.uint8)[:n]
np.save(os.path.join(out, "x.npy"), (x / np.float32(255)).astype(np.float32))
np.save(os.path.join(out, "y.npy"), y.astype(np.int32))
