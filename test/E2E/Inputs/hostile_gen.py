#!/usr/bin/python3
"""Writes hostile data and checkpoint files for the test/E2E/hostile*.test
cases, for a model with input x f32[batch, 2] and label y i32[batch]
(Inputs/blobs.lam).

  hostile_gen.py data DIR          malformed IDX, CSV and NPY files
  hostile_gen.py checkpoint IN DIR damaged copies of the checkpoint IN
  hostile_gen.py big DIR [--n N]   N records of two-blob data (IDX), for runs
                                   that take a while

The file names say what is wrong with each; the comments say which record.
"""
import argparse
import gzip
import json
import os
import struct

import numpy as np


def idx(dims, payload, type_code=0x08, magic01=b"\0\0"):
    head = magic01 + bytes([type_code, len(dims)])
    head += b"".join(struct.pack(">I", d) for d in dims)
    return head + payload


def npy(descr, shape, payload):
    """An NPY 1.0 file with the given header fields and raw data."""
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (
        descr, repr(tuple(shape)))
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    return (b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) +
            header.encode() + payload)


def data(d):
    def put(name, content):
        with open(os.path.join(d, name), "wb") as f:
            f.write(content)

    # Good files: 10 records of x (u8 images of 2 pixels) and y.
    x10 = bytes(range(20))
    y10 = bytes([i % 2 for i in range(10)])
    put("x10-idx2-ubyte", idx([10, 2], x10))
    put("y10-idx1-ubyte", idx([10], y10))
    put("y9-idx1-ubyte", idx([9], y10[:9]))
    put("x.csv", b"".join(b"%d,%d\n" % (i, -i) for i in range(10)))
    put("y.csv", b"".join(b"%d\n" % (i % 2) for i in range(10)))
    put("y8.csv", b"".join(b"%d\n" % (i % 2) for i in range(8)))
    put("x.npy", npy("<f4", (10, 2), np.arange(20, dtype="<f4").tobytes()))
    put("y.npy", npy("<i4", (10,), (np.arange(10, dtype="<i4") % 2).tobytes()))

    put("empty-idx2-ubyte", b"")
    put("empty.csv", b"")
    put("empty.npy", b"")
    # The header declares 100 records of 2 bytes; 10 records follow.
    put("x100of10-idx2-ubyte", idx([100, 2], x10))
    # Records 0..4 complete, then 1 byte of record 5.
    put("x100of5-idx2-ubyte.gz", gzip.compress(idx([100, 2], x10[:11])))
    # A gzip stream cut in the middle.
    put("cut-idx2-ubyte.gz", gzip.compress(idx([10, 2], x10))[:20])
    # Magic 0x08030000: the two zero bytes come last, not first.
    put("badmagic-idx2-ubyte", b"\x08\x03\x00\x00" + x10)
    # Element type code 0x07 does not exist; 0x0A (between i8 and i16)
    # neither.
    put("dtype07-idx2-ubyte", idx([10, 2], x10, type_code=0x07))
    put("dtype0a-idx1-ubyte", idx([10], y10, type_code=0x0A))
    # f32 labels (IDX type 0x0D) where a label is 0.5, not a class index.
    put("yhalf-idx1-f32", idx([10], struct.pack(">10f", *[0.0] * 3 + [0.5] +
                                                  [1.0] * 6), type_code=0x0D))
    # 3 values per record for an input of 2.
    put("x10x3-idx2-ubyte", idx([10, 3], bytes(30)))
    # CSV: line 3 has 3 fields; line 6 has text in field 2.
    put("ragged.csv", b"0,0\n1,1\n2,2,2\n3,3\n4,4\n")
    put("text.csv", b"0,0\n1,1\n2,2\n3,3\n4,4\n5,five\n")
    # A label that is not an integer, on line 4.
    put("yfrac.csv", b"0\n1\n0\n0.5\n1\n")
    # A number too large for i32 labels, on line 2.
    put("ybig.csv", b"0\n99999999999\n")
    # NPY: complex and string dtypes; big-endian f4; x as (10, 3).
    put("complex.npy", npy("<c8", (10, 2), bytes(160)))
    put("string.npy", npy("<U3", (10, 2), bytes(240)))
    put("bigendian.npy", npy(">f4", (10, 2), bytes(80)))
    put("x10x3.npy", npy("<f4", (10, 3), bytes(120)))
    # The header says (10, 2) of f4 (80 bytes); 30 follow (record 3 is cut).
    put("short.npy", npy("<f4", (10, 2), bytes(30)))
    # A header that is not a dict.
    put("badheader.npy", b"\x93NUMPY\x01\x00\x06\x00hello\n")


def checkpoint(src, d):
    raw = open(src, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    body = raw[8 + n:]

    def put(name, content):
        with open(os.path.join(d, name), "wb") as f:
            f.write(content)

    def pack(h, payload=body):
        text = json.dumps(h).encode()
        return struct.pack("<Q", len(text)) + text + payload

    put("empty.st", b"")
    put("short.st", raw[:5])
    # Header lengths: 2^63, 1, and one byte past the end of the file.
    put("hugelen.st", struct.pack("<Q", 1 << 63) + raw[8:])
    put("len1.st", struct.pack("<Q", 1) + raw[8:])
    put("pastend.st", struct.pack("<Q", len(raw) - 7) + raw[8:])
    # Cut inside the header, and inside the data of the last tensor.
    put("cutheader.st", raw[:8 + n // 2])
    put("cutdata.st", raw[:-3])
    # Not JSON, JSON but not an object, and an entry without a dtype.
    put("notjson.st", struct.pack("<Q", 11) + b'{"h.weight"' + body)
    put("array.st", pack([1, 2, 3]))
    h = json.loads(json.dumps(header))
    del h["h.bias"]["dtype"]
    put("nodtype.st", pack(h))
    # data_offsets of h.bias beyond the data section.
    h = json.loads(json.dumps(header))
    h["h.bias"]["data_offsets"] = [0, 1 << 40]
    put("offsets.st", pack(h))
    # A shape of 10^12 elements (its bytes do not match).
    h = json.loads(json.dumps(header))
    h["h.bias"]["shape"] = [1000000, 1000000]
    put("hugeshape.st", pack(h))
    # A negative extent.
    h = json.loads(json.dumps(header))
    h["h.bias"]["shape"] = [-8]
    put("negshape.st", pack(h))


def big(d, n):
    rng = np.random.default_rng(7)
    y = (np.arange(n) % 2).astype(np.uint8)
    x = np.clip(np.where(y[:, None] == 1, 160, 96) +
                rng.normal(0, 20, (n, 2)), 0, 255).astype(np.uint8)
    with open(os.path.join(d, "big-x-idx2-ubyte"), "wb") as f:
        f.write(idx([n, 2], x.tobytes()))
    with open(os.path.join(d, "big-y-idx1-ubyte"), "wb") as f:
        f.write(idx([n], y.tobytes()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["data", "checkpoint", "big"])
    ap.add_argument("args", nargs="+")
    ap.add_argument("--n", type=int, default=20000)
    a = ap.parse_args()
    if a.what == "data":
        os.makedirs(a.args[0], exist_ok=True)
        data(a.args[0])
    elif a.what == "checkpoint":
        checkpoint(a.args[0], a.args[1])
    else:
        big(a.args[0], a.n)


if __name__ == "__main__":
    main()
