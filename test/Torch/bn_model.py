"""Batch norm trained 10 SGD steps by the compiled executable and by
PyTorch from the same start, then run in eval mode.

  bn_model.py --laminac PATH --work DIR [--steps 10]

test/Torch/Inputs/bn_model.lam is written here again as PyTorch ops (batch
norm over a convolution's channels and over a dense layer's features).
Starting parameters and running statistics are drawn here and written as
the executable's checkpoint with zero velocities; then `train --resume` runs
once per batch of 16 synthetic records, and PyTorch in training mode
(F.batch_norm with training=True, torch.optim.SGD with lr 0.1, momentum
0.9) takes the same steps. Every parameter, velocity and running statistic
agrees to 1e-4, relative to max(1, max |ref|), and so does each step's loss.
Then `predict` of the trained checkpoint agrees with PyTorch in eval mode
(the running statistics), at batch 1 and batch 160 alike. Exits 1 otherwise.
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
BUFFERS = ("n.running_mean", "n.running_var", "m.running_mean",
           "m.running_var")


def forward(p, x, training):
    c = F.conv2d(x, p["c.weight"], p["c.bias"])
    n = F.relu(F.batch_norm(c, p["n.running_mean"], p["n.running_var"],
                            p["n.weight"], p["n.bias"], training, 0.1, 1e-5))
    h = n.flatten(1) @ p["h.weight"] + p["h.bias"]
    m = F.batch_norm(h, p["m.running_mean"], p["m.running_var"],
                     p["m.weight"], p["m.bias"], training, 0.2, 1e-3)
    return F.relu(m) @ p["logits.weight"] + p["logits.bias"]


def run(cmd):
    return run_checked(cmd, "bn_model")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--laminac", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--steps", type=int, default=10)
    a = ap.parse_args()
    torch.set_num_threads(2)
    os.makedirs(a.work, exist_ok=True)
    exe = os.path.join(a.work, "bn_model")
    run([a.laminac, os.path.join(HERE, "Inputs", "bn_model.lam"), "-o", exe])

    rng = np.random.RandomState(5)
    n = a.steps * BATCH
    xs = (rng.randn(n, 2, 6, 6) * 2 + 0.5).astype(np.float32)
    ys = (xs[:, 0, :3].sum(axis=(1, 2)) > xs[:, 1, 3:].sum(axis=(1, 2))
          ).astype(np.int32) + (xs[:, 0, 0, 0] > 1).astype(np.int32)
    tx, ty = os.path.join(a.work, "x.npy"), os.path.join(a.work, "y.npy")
    np.save(tx, xs)
    np.save(ty, ys)
    init = os.path.join(a.work, "init.st")
    run([exe, "train", tx, ty, "--epochs", "0", "--checkpoint", init])
    ours, meta = read_safetensors(init)
    names = sorted(k for k in ours
                   if not k.endswith(".velocity") and k not in BUFFERS)

    torch.manual_seed(0)
    start = {
        "c.weight": torch.randn(4, 2, 3, 3) / 3,
        "c.bias": torch.randn(4) * 0.1,
        "n.weight": 1 + 0.5 * torch.rand(4),
        "n.bias": 0.2 * torch.randn(4),
        "h.weight": torch.randn(64, 8) / 8,
        "h.bias": torch.randn(8) * 0.1,
        "m.weight": 1 + 0.5 * torch.rand(8),
        "m.bias": 0.2 * torch.randn(8),
        "logits.weight": torch.randn(8, 3) / 3,
        "logits.bias": torch.randn(3) * 0.1,
    }
    buffers = {
        "n.running_mean": 0.1 * torch.randn(4),
        "n.running_var": 1 + torch.rand(4),
        "m.running_mean": 0.1 * torch.randn(8),
        "m.running_var": 1 + torch.rand(8),
    }
    if sorted(start) != names or not all(b in ours for b in BUFFERS):
        print("FAIL: the checkpoint holds %s" % sorted(ours))
        return 1
    if not (np.all(ours["n.running_mean"] == 0) and
            np.all(ours["n.running_var"] == 1)):
        print("FAIL: running statistics do not start at 0 and 1")
        return 1
    tensors = {k: v.numpy() for k, v in start.items()}
    tensors.update({k + ".velocity": np.zeros_like(v)
                    for k, v in tensors.items()})
    tensors.update({k: v.numpy() for k, v in buffers.items()})
    ck = os.path.join(a.work, "ck.st")
    write_safetensors(ck, tensors, {"model": meta["model"], "epoch": 0,
                                    "step": 0, "seed": meta["seed"]})
    lamina_losses = train_resumed(exe, ck, [xs, ys], a.work, BATCH,
                                  "bn_model")
    got, _ = read_safetensors(ck)

    tp = {k: v.clone().requires_grad_(True) for k, v in start.items()}
    tp.update({k: v.clone() for k, v in buffers.items()})
    opt = torch.optim.SGD([tp[k] for k in names], lr=0.1, momentum=0.9)
    losses = []
    for s in range(a.steps):
        x = torch.from_numpy(xs[s * BATCH:(s + 1) * BATCH])
        y = torch.from_numpy(ys[s * BATCH:(s + 1) * BATCH].astype(np.int64))
        opt.zero_grad()
        loss = F.cross_entropy(forward(tp, x, True), y)
        loss.backward()
        opt.step()
        losses.append(float(loss))
    failures = []
    worst = 0.0
    refs = [(b, tp[b].numpy()) for b in BUFFERS]
    for k in names:
        refs.append((k, tp[k].detach().numpy()))
        refs.append((k + ".velocity",
                     opt.state[tp[k]]["momentum_buffer"].numpy()))
    for key, ref in refs:
        e = max_error(got[key], ref)
        worst = max(worst, e)
        if not e <= TOL:
            failures.append("%s differs: %.2e" % (key, e))
    # The printed loss has 4 decimals.
    loss_err = max(abs(x - y) for x, y in zip(lamina_losses, losses))
    if not loss_err <= 1e-4 + 5e-5:
        failures.append("losses differ by %.2e: %s vs %s"
                        % (loss_err, lamina_losses, losses))
    moved = max(max_error(buffers[b].numpy(), tp[b].numpy()) for b in BUFFERS)

    # Eval mode: the running statistics, whatever the batch.
    with torch.no_grad():
        ref = forward(tp, torch.from_numpy(xs), False).numpy()
    outs = {}
    for batch in (1, n):
        o = os.path.join(a.work, "out%d.npy" % batch)
        run([exe, "predict", tx, "--checkpoint", ck, "-o", o, "--batch",
             str(batch)])
        outs[batch] = np.load(o)
        e = max_error(outs[batch], ref)
        worst = max(worst, e)
        if not e <= TOL:
            failures.append("eval outputs at batch %d differ: %.2e"
                            % (batch, e))
    print("bn model: %d tensors after %d steps (running statistics moved up "
          "to %.2e), eval at batch 1 and %d; max error %.2e (tolerance %g); "
          "losses %.4f -> %.4f"
          % (len(refs), a.steps, moved, n, worst, TOL, losses[0], losses[-1]))
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
