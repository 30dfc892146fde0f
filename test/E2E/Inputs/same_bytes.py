"""Exits 1 unless every .npy file given holds the same dtype, shape and bytes
as the first; prints one line per file.

usage: same_bytes.py REFERENCE.npy OTHER.npy...
"""
import sys

import numpy as np

ref = np.load(sys.argv[1])
ok = True
for path in sys.argv[2:]:
    a = np.load(path)
    same = a.dtype == ref.dtype and a.shape == ref.shape and \
        a.tobytes() == ref.tobytes()
    diff = float(np.max(np.abs(a.astype(np.float64) - ref))) \
        if a.shape == ref.shape else float("nan")
    print(f"{path.rsplit('/', 1)[-1]}: {a.dtype} {list(a.shape)} "
          f"{'bit for bit' if same else f'DIFFERS (max {diff:g})'}")
    ok &= same
sys.exit(0 if ok else 1)
