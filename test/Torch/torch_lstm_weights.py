"""A torch.nn.LSTM's trained-or-not weights, loaded into Lamina's checkpoint.

  torch_lstm_weights.py --laminac PATH --work DIR [--fmnist DIR]

examples/lstm_fmnist.lam is lstm(x, 128) over 28 rows of 28 pixels, then
dense(h, 10) and softmax. PyTorch's equivalent is
torch.nn.LSTM(28, 128, batch_first=True) and torch.nn.Linear(128, 10). Its
state dict maps to Lamina's checkpoint by transposing the matrices (PyTorch
keeps [out, in], Lamina's dense convention [in, out]); the gate order (i, f,
g, o) and the two biases are PyTorch's:

  h.weight_ih      = lstm.weight_ih_l0.T   [28, 512]
  h.weight_hh      = lstm.weight_hh_l0.T   [128, 512]
  h.bias_ih        = lstm.bias_ih_l0       [512]
  h.bias_hh        = lstm.bias_hh_l0       [512]
  logits.weight    = linear.weight.T       [128, 10]
  logits.bias      = linear.bias           [10]

The checkpoint written so (with zero velocities) is given to the compiled
executable's predict on 256 Fashion-MNIST test images; its probabilities
match the PyTorch modules' to 1e-5. Exits 1 otherwise.
"""
import argparse
import gzip
import os
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lamina_io import read_safetensors, write_safetensors  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def read_images(path, n):
    with open(path, "rb") as f:
        blob = f.read()
    if blob[:2] == b"\x1f\x8b":
        blob = gzip.decompress(blob)
    data = np.frombuffer(blob, dtype=np.uint8, offset=16)[:n * 784]
    return (data.astype(np.float32) / np.float32(255)).reshape(n, 28, 28)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--laminac", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--fmnist", default="/usr/share/datasets/fashion-mnist")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    exe = os.path.join(a.work, "lstm")
    subprocess.run([a.laminac, os.path.join(ROOT, "examples",
                                            "lstm_fmnist.lam"), "-o", exe],
                   check=True)
    x = read_images(os.path.join(a.fmnist, "t10k-images-idx3-ubyte.gz"), 256)
    xin = os.path.join(a.work, "x.npy")
    np.save(xin, x)
    yin = os.path.join(a.work, "y.npy")
    np.save(yin, np.zeros(256, dtype=np.int32))
    init = os.path.join(a.work, "init.st")
    subprocess.run([exe, "train", xin, yin, "--epochs", "0", "--checkpoint",
                    init], check=True, stdout=subprocess.DEVNULL)
    ours, meta = read_safetensors(init)

    torch.manual_seed(0)
    lstm = torch.nn.LSTM(28, 128, batch_first=True)
    linear = torch.nn.Linear(128, 10)
    sd = {k: v.detach().numpy() for k, v in lstm.state_dict().items()}
    mapped = {
        "h.weight_ih": sd["weight_ih_l0"].T, "h.weight_hh": sd["weight_hh_l0"].T,
        "h.bias_ih": sd["bias_ih_l0"], "h.bias_hh": sd["bias_hh_l0"],
        "logits.weight": linear.weight.detach().numpy().T,
        "logits.bias": linear.bias.detach().numpy(),
    }
    params = sorted(k for k in ours if not k.endswith(".velocity"))
    if sorted(mapped) != params:
        print("FAIL: the checkpoint holds %s, the mapping %s"
              % (params, sorted(mapped)))
        return 1
    for k, v in mapped.items():
        if v.shape != ours[k].shape:
            print("FAIL: %s is %s in the checkpoint, %s from PyTorch"
                  % (k, ours[k].shape, v.shape))
            return 1
    tensors = {k: np.ascontiguousarray(v, dtype=np.float32)
               for k, v in mapped.items()}
    tensors.update({k + ".velocity": np.zeros_like(v)
                    for k, v in tensors.items()})
    ck = os.path.join(a.work, "torch.st")
    write_safetensors(ck, tensors, {"model": meta["model"], "epoch": 0,
                                    "step": 0, "seed": meta["seed"]})

    out = os.path.join(a.work, "probs.npy")
    subprocess.run([exe, "predict", xin, "--checkpoint", ck, "-o", out],
                   check=True, stderr=subprocess.DEVNULL)
    got = np.load(out)
    with torch.no_grad():
        h = lstm(torch.from_numpy(x))[0][:, -1]
        ref = torch.softmax(linear(h), dim=-1).numpy()
    err = float(np.max(np.abs(got - ref)))
    agree = float(np.mean(got.argmax(1) == ref.argmax(1)))
    print("torch.nn.LSTM(28, 128) weights in Lamina's checkpoint: 256 images, "
          "max |p - p_torch| = %.2e, same class %.0f%%" % (err, 100 * agree))
    if err > 1e-5:
        print("FAIL: above 1e-5")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
