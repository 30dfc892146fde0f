"""A token model (embedding, slice, concat, gelu, layer_norm) trained 10 SGD
steps by the compiled executable and by PyTorch, from the same start.

  token_model.py --laminac PATH --work DIR [--steps 10]

test/Torch/Inputs/token_model.lam is written here again as PyTorch ops. Starting
parameters are drawn here (the embedding N(0, 1), layer norm's weight and
bias away from 1 and 0 so they matter) and written as the executable's
checkpoint with zero velocities; then `train --resume` runs once per batch
of 16 synthetic token records (random tokens of a 20-word vocabulary,
labels from a fixed rule), and torch.optim.SGD (lr 0.1, momentum 0.9) takes
the same steps. Every parameter and velocity agrees to 1e-4, relative to
max(1, max |ref|), and so does each step's loss. Exits 1 otherwise.
"""
import argparse
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lamina_io import (max_error, read_safetensors, run_checked,  # noqa
                       train_resumed, write_safetensors)

HERE = os.path.dirname(os.path.abspath(__file__))
TOL = 1e-4
BATCH = 16


def forward(p, tok):
    e = F.embedding(tok, p["e.weight"])
    a, b = e[:, 0:3], e[:, 3:6]
    c = torch.cat([a * b, a + b], dim=-1)
    n = F.layer_norm(F.gelu(c), (16,), p["n.weight"], p["n.bias"], 1e-5)
    return n.flatten(1) @ p["logits.weight"] + p["logits.bias"]


def run(cmd):
    return run_checked(cmd, "token_model")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--laminac", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--steps", type=int, default=10)
    a = ap.parse_args()
    torch.set_num_threads(2)
    os.makedirs(a.work, exist_ok=True)
    exe = os.path.join(a.work, "token_model")
    run([a.laminac, os.path.join(HERE, "Inputs", "token_model.lam"), "-o", exe])

    rng = np.random.RandomState(4)
    n = a.steps * BATCH
    toks = rng.randint(0, 20, size=(n, 6)).astype(np.int32)
    ys = ((toks[:, 0] + toks[:, 5]) % 4).astype(np.int32)
    tx, ty = os.path.join(a.work, "x.npy"), os.path.join(a.work, "y.npy")
    np.save(tx, toks)
    np.save(ty, ys)
    init = os.path.join(a.work, "init.st")
    run([exe, "train", tx, ty, "--epochs", "0", "--checkpoint", init])
    ours, meta = read_safetensors(init)
    names = sorted(k for k in ours if not k.endswith(".velocity"))

    torch.manual_seed(0)
    start = {
        "e.weight": torch.randn(20, 8),
        "n.weight": 1 + 0.5 * torch.rand(16),
        "n.bias": 0.2 * torch.randn(16),
        "logits.weight": (torch.rand(48, 4) * 2 - 1) / np.sqrt(48),
        "logits.bias": (torch.rand(4) * 2 - 1) / np.sqrt(48),
    }
    if sorted(start) != names:
        print("FAIL: the checkpoint holds %s" % names)
        return 1
    tensors = {k: v.numpy() for k, v in start.items()}
    tensors.update({k + ".velocity": np.zeros_like(v)
                    for k, v in tensors.items()})
    ck = os.path.join(a.work, "ck.st")
    write_safetensors(ck, tensors, {"model": meta["model"], "epoch": 0,
                                    "step": 0, "seed": meta["seed"]})
    lamina_losses = train_resumed(exe, ck, [toks, ys], a.work, BATCH,
                                  "token_model")
    got, _ = read_safetensors(ck)

    tp = {k: v.clone().requires_grad_(True) for k, v in start.items()}
    opt = torch.optim.SGD([tp[k] for k in names], lr=0.1, momentum=0.9)
    losses = []
    for s in range(a.steps):
        tok = torch.from_numpy(toks[s * BATCH:(s + 1) * BATCH].astype(
            np.int64))
        y = torch.from_numpy(ys[s * BATCH:(s + 1) * BATCH].astype(np.int64))
        opt.zero_grad()
        loss = F.cross_entropy(forward(tp, tok), y)
        loss.backward()
        opt.step()
        losses.append(float(loss))
    failures = []
    worst = 0.0
    for k in names:
        for key, ref in ((k, tp[k].detach().numpy()),
                         (k + ".velocity",
                          opt.state[tp[k]]["momentum_buffer"].numpy())):
            e = max_error(got[key], ref)
            worst = max(worst, e)
            if not e <= TOL:
                failures.append("%s differs: %.2e" % (key, e))
    # The printed loss has 4 decimals.
    loss_err = max(abs(x - y) for x, y in zip(lamina_losses, losses))
    if not loss_err <= 1e-4 + 5e-5:
        failures.append("losses differ by %.2e: %s vs %s"
                        % (loss_err, lamina_losses, losses))
    moved = max(max_error(start[k].numpy(), tp[k].detach().numpy())
                for k in names)
    print("token model: %d tensors after %d steps (moved up to %.2e), max "
          "error %.2e (tolerance %g); losses %.4f -> %.4f"
          % (2 * len(names), a.steps, moved, worst, TOL, losses[0],
             losses[-1]))
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
