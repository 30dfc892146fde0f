#!/usr/bin/python3
"""Writes damaged copies of a safetensors checkpoint IN into DIR:

  truncated.st   the last 10 bytes cut off (inside the last tensor)
  garbage.st     text where the 8-byte header length should be
  notjson.st     a header that is not JSON
  missing.st     the tensor logits.bias left out of the header
  dtype.st       h.bias stored as F64 (a well-formed file, the wrong type)
"""
import json
import os
import struct
import sys

import numpy as np


def main():
    src, out = sys.argv[1], sys.argv[2]
    raw = open(src, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]

    def put(name, header_bytes, payload):
        with open(os.path.join(out, name), "wb") as f:
            f.write(struct.pack("<Q", len(header_bytes)) + header_bytes +
                    payload)

    with open(os.path.join(out, "truncated.st"), "wb") as f:
        f.write(raw[:-10])
    with open(os.path.join(out, "garbage.st"), "wb") as f:
        f.write(b"not a checkpoint\n" * 4)
    put("notjson.st", b'{"h.weight": [1, 2', data)
    put("missing.st", json.dumps(
        {k: v for k, v in header.items() if k != "logits.bias"}).encode(),
        data)

    # Re-pack every tensor, h.bias as F64.
    packed, offset, fixed = b"", 0, {"__metadata__": header["__metadata__"]}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b0, b1 = e["data_offsets"]
        t = np.frombuffer(data[b0:b1], dtype="<f4")
        dtype = "F32"
        if name == "h.bias":
            t, dtype = t.astype("<f8"), "F64"
        blob = t.tobytes()
        fixed[name] = {"dtype": dtype, "shape": e["shape"],
                       "data_offsets": [offset, offset + len(blob)]}
        packed += blob
        offset += len(blob)
    put("dtype.st", json.dumps(fixed).encode(), packed)


if __name__ == "__main__":
    main()
