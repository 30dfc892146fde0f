"""predict.py: examples/mlp.lam's shared library from Python, with ctypes
and numpy only: predicts the rows of an .npy file in batches, as predict.c.

    laminac examples/mlp.lam --emit=lib -o lib
    python3 examples/embed/predict.py lib/libmlp.so mlp.st x.npy 64 probs.npy
"""
import ctypes
import sys

import numpy as np


def load(path):
    """The library, with the argument and result types of its functions."""
    lib = ctypes.CDLL(path)
    floats = np.ctypeslib.ndpointer(np.float32, flags="C_CONTIGUOUS")
    lib.mlp_create.argtypes = [ctypes.c_char_p]
    lib.mlp_create.restype = ctypes.c_void_p
    lib.mlp_create_error.restype = ctypes.c_char_p
    lib.mlp_predict.argtypes = [ctypes.c_void_p, floats, ctypes.c_int64, floats]
    lib.mlp_predict.restype = ctypes.c_int
    lib.mlp_error.argtypes = [ctypes.c_void_p]
    lib.mlp_error.restype = ctypes.c_char_p
    lib.mlp_destroy.argtypes = [ctypes.c_void_p]
    return lib


def main(argv):
    if len(argv) != 6:
        sys.exit(f"usage: {argv[0]} LIB.so CHECKPOINT X.npy BATCH OUT.npy")
    lib = load(argv[1])
    model = lib.mlp_create(argv[2].encode())
    if not model:
        sys.exit("mlp_create: " + lib.mlp_create_error().decode())
    x = np.ascontiguousarray(np.load(argv[3]), dtype=np.float32)
    batch = int(argv[4])
    classes = 10  # MLP_PROBS_SIZE in mlp.h
    probs = np.empty((x.shape[0], classes), dtype=np.float32)
    for first in range(0, x.shape[0], batch):
        rows = x[first:first + batch]
        out = np.empty((rows.shape[0], classes), dtype=np.float32)
        if lib.mlp_predict(model, rows, rows.shape[0], out) != 0:
            sys.exit("mlp_predict: " + lib.mlp_error(model).decode())
        probs[first:first + batch] = out
    lib.mlp_destroy(model)
    np.save(argv[5], probs)
    print(f"predicted {x.shape[0]} rows")


if __name__ == "__main__":
    main(sys.argv)
