"""Whole-model agreement with PyTorch, through a Lamina checkpoint.

  whole_model.py --laminac PATH --lamina-run PATH --model mlp|lenet5
                 --work DIR [--steps 20] [--fmnist DIR]

1. laminac compiles examples/<model>.lam to an executable, which writes its
   initial parameters to a checkpoint (`train --epochs 0 --checkpoint`).
2. The checkpoint is read here with the JSON header and numpy only (no
   extra package), and checked to be the tensors Lamina uses: the
   executable's `predict` on 256 test images matches a PyTorch forward pass
   over the tensors read (1e-5).
3. The same parameters take `--steps` SGD steps (the model's train block:
   lr, momentum) on the same batches of Fashion-MNIST, in order, in Lamina
   (lamina-run, the compiled train step) and in PyTorch (torch.optim.SGD).
   The loss of every step and every parameter and velocity at the end
   agree to 1e-4, relative to max(1, max |ref|) of each tensor.
4. The executable's own training loop: parameters drawn by PyTorch are
   written here as a checkpoint in the executable's format (zero
   velocities, epoch 0), then `train --resume` runs once per batch, each
   run one epoch of one batch of the same data (`--batch 64 --val-split
   0`): the executable shuffles every epoch, and a shuffle inside a batch
   changes no mean-loss step. After `--steps` runs every parameter and
   velocity agrees with `--steps` torch.optim.SGD steps from the same
   start to 1e-4.

Prints the largest errors; exits 1 if a tolerance is missed.
"""
import argparse
import gzip
import os
import re
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lamina_io import (max_error, read_safetensors, run_lamina,  # noqa: E402
                       write_safetensors)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
TOL = 1e-4
BATCH = 64


def read_idx(path):
    """An IDX file (gzipped or not) as an ndarray of uint8."""
    with open(path, "rb") as f:
        blob = f.read()
    if blob[:2] == b"\x1f\x8b":
        blob = gzip.decompress(blob)
    rank = blob[3]
    dims = [int.from_bytes(blob[4 + 4 * i:8 + 4 * i], "big")
            for i in range(rank)]
    data = np.frombuffer(blob, dtype=np.uint8, offset=4 + 4 * rank)
    return data.reshape(dims)


def forward(name, p, x):
    """The example model as PyTorch ops over the parameters `p`: logits."""
    if name == "mlp":
        h = F.relu(x @ p["h1.weight"] + p["h1.bias"])
        h = F.relu(h @ p["h2.weight"] + p["h2.bias"])
        return h @ p["logits.weight"] + p["logits.bias"]
    h = F.relu(F.conv2d(x, p["conv1.weight"], p["conv1.bias"], padding=2))
    h = F.max_pool2d(h, 2)
    h = F.relu(F.conv2d(h, p["conv2.weight"], p["conv2.bias"]))
    h = F.max_pool2d(h, 2).flatten(1)
    h = F.relu(h @ p["fc3.weight"] + p["fc3.bias"])
    h = F.relu(h @ p["fc4.weight"] + p["fc4.bias"])
    return h @ p["logits.weight"] + p["logits.bias"]


def images(name, raw):
    x = raw.astype(np.float32) / np.float32(255)
    return x.reshape(len(raw), 1, 28, 28) if name == "lenet5" else \
        x.reshape(len(raw), 784)


def torch_sgd(name, start, xs, ys, lr, momentum, steps):
    """`steps` torch.optim.SGD steps of the model from the parameters
    `start` on consecutive batches of xs, ys: (parameters, optimizer,
    per-step losses)."""
    tp = {k: torch.nn.Parameter(torch.from_numpy(v.copy()))
          for k, v in start.items()}
    opt = torch.optim.SGD(tp.values(), lr=lr, momentum=momentum)
    losses = []
    for s in range(steps):
        opt.zero_grad()
        x = torch.from_numpy(xs[s * BATCH:(s + 1) * BATCH])
        y = torch.from_numpy(ys[s * BATCH:(s + 1) * BATCH].astype(np.int64))
        loss = F.cross_entropy(forward(name, tp, x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return tp, opt, losses


def torch_init(params):
    """Parameters of the shapes of `params` drawn by PyTorch as its layers
    draw theirs: uniform in +-1/sqrt(fan_in), a bias with its weight's
    fan_in (dense weights are [in, out], conv weights [out, in, kh, kw])."""
    fan_in = {}
    for k, v in params.items():
        if v.ndim == 2:
            fan_in[k.rsplit(".", 1)[0]] = v.shape[0]
        elif v.ndim == 4:
            fan_in[k.rsplit(".", 1)[0]] = int(np.prod(v.shape[1:]))
    out = {}
    for k in sorted(params):
        bound = 1.0 / np.sqrt(fan_in[k.rsplit(".", 1)[0]])
        t = torch.empty(params[k].shape, dtype=torch.float32)
        out[k] = t.uniform_(-bound, bound).numpy()
    return out


def compare(label, names, got, prefix, tp, opt, failures):
    """Checks every parameter and velocity of `got` (under `prefix`)
    against PyTorch's; returns the largest error."""
    worst = 0.0
    for k in names:
        for key, ref in ((prefix + k, tp[k].detach().numpy()),
                         (prefix + k + ".velocity",
                          opt.state[tp[k]]["momentum_buffer"].numpy())):
            if key not in got:
                failures.append("%s gave no %s" % (label, key))
                continue
            e = max_error(got[key], ref)
            worst = max(worst, e)
            if not e <= TOL:
                failures.append("%s: %s differs: %.2e" % (label, key, e))
    return worst


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode != 0:
        sys.exit("whole_model: %s failed:\n%s" % (" ".join(cmd),
                                                 p.stdout.decode()))
    return p.stdout.decode()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--laminac", required=True)
    ap.add_argument("--lamina-run", required=True)
    ap.add_argument("--model", required=True, choices=["mlp", "lenet5"])
    ap.add_argument("--work", required=True)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--fmnist", default="/usr/share/datasets/fashion-mnist")
    a = ap.parse_args()
    torch.set_num_threads(2)
    os.makedirs(a.work, exist_ok=True)
    src = os.path.join(ROOT, "examples", a.model + ".lam")
    text = open(src).read()
    m = re.search(r"sgd\(lr = ([0-9.e-]+), momentum = ([0-9.]+)", text)
    lr, momentum = float(m.group(1)), float(m.group(2))
    failures = []

    # 1. The executable's initial parameters.
    exe = os.path.join(a.work, a.model)
    run([a.laminac, src, "-o", exe])
    train_x = os.path.join(a.fmnist, "train-images-idx3-ubyte.gz")
    train_y = os.path.join(a.fmnist, "train-labels-idx1-ubyte.gz")
    init = os.path.join(a.work, "init.st")
    run([exe, "train", train_x, train_y, "--epochs", "0",
         "--checkpoint", init])

    # 2. Read with json + numpy; the executable agrees that these are its
    # tensors.
    params, meta = read_safetensors(init)
    print("checkpoint %s: %d tensors, %d values, metadata %s" % (
        os.path.basename(init), len(params),
        sum(v.size for v in params.values()), meta))
    if meta.get("epoch") != "0" or meta.get("step") != "0":
        failures.append("checkpoint metadata %r is not epoch 0, step 0" % meta)
    test_raw = read_idx(os.path.join(a.fmnist, "t10k-images-idx3-ubyte.gz"))
    probe = images(a.model, test_raw[:256])
    probe_path = os.path.join(a.work, "probe.npy")
    np.save(probe_path, probe)
    probs_path = os.path.join(a.work, "probs.npy")
    run([exe, "predict", probe_path, "--checkpoint", init, "-o", probs_path])
    got = np.load(probs_path)
    tp = {k: torch.from_numpy(v.copy()) for k, v in params.items()}
    with torch.no_grad():
        ref = F.softmax(forward(a.model, tp, torch.from_numpy(probe)), 1)
    err = max_error(got, ref.numpy())
    print("predict from the checkpoint vs PyTorch on its tensors: "
          "max error %.2e" % err)
    if not err <= 1e-5:
        failures.append("predict differs from PyTorch over the checkpoint's "
                        "tensors: %.2e" % err)

    # 3. The same batches through both, in order.
    n = a.steps * BATCH
    xs = images(a.model, read_idx(train_x)[:n])
    ys = read_idx(train_y)[:n].astype(np.int32)
    feeds = {k: v for k, v in params.items() if not k.endswith(".velocity")}
    feeds["x"] = xs.reshape((a.steps, BATCH) + xs.shape[1:])
    feeds["y"] = ys.reshape(a.steps, BATCH)
    res, err_text = run_lamina(a.lamina_run, src, feeds,
                               os.path.join(a.work, "trained.safetensors"),
                               ["--train-steps", str(a.steps)])
    if res is None:
        sys.exit("whole_model: lamina-run failed:\n" + err_text)

    names = [k for k in params if not k.endswith(".velocity")]
    tp, opt, losses = torch_sgd(a.model, {k: params[k] for k in names}, xs,
                                ys, lr, momentum, a.steps)

    err = max_error(res["train.loss"], np.array(losses))
    print("%d steps, lr %g, momentum %g: loss %.4f -> %.4f (PyTorch %.4f -> "
          "%.4f), max error %.2e" % (a.steps, lr, momentum,
                                     res["train.loss"][0],
                                     res["train.loss"][-1], losses[0],
                                     losses[-1], err))
    if not err <= TOL:
        failures.append("the losses differ: %.2e" % err)
    for k in names:
        print("  %-28s %-14s moved %.2e, max error %.2e" % (
            k, list(params[k].shape),
            max_error(params[k], tp[k].detach().numpy()),
            max_error(res.get("trained." + k, np.zeros(0)),
                      tp[k].detach().numpy())))
    worst = compare("lamina-run", names, res, "trained.", tp, opt, failures)
    print("whole-model %s: %d tensors after %d steps, max error %.2e "
          "(tolerance %g)" % (a.model, 2 * len(names), a.steps, worst, TOL))

    # 4. The executable's training loop from parameters drawn by PyTorch.
    torch.manual_seed(1)
    start = torch_init({k: params[k] for k in names})
    ck = os.path.join(a.work, "torch_init.st")
    tensors = dict(start)
    tensors.update({k + ".velocity": np.zeros_like(v)
                    for k, v in start.items()})
    write_safetensors(ck, tensors, {"model": meta["model"], "epoch": 0,
                                    "step": 0, "seed": meta["seed"]})
    for s in range(a.steps):
        bx = os.path.join(a.work, "batch%d_x.npy" % s)
        by = os.path.join(a.work, "batch%d_y.npy" % s)
        np.save(bx, xs[s * BATCH:(s + 1) * BATCH])
        np.save(by, ys[s * BATCH:(s + 1) * BATCH])
        run([exe, "train", bx, by, "--resume", ck, "--epochs", str(s + 1),
             "--batch", str(BATCH), "--lr", repr(lr), "--val-split", "0"])
    got, got_meta = read_safetensors(ck)
    if got_meta.get("step") != str(a.steps):
        failures.append("the executable's checkpoint says step %r, not %d"
                        % (got_meta.get("step"), a.steps))
    tp, opt, _ = torch_sgd(a.model, start, xs, ys, lr, momentum, a.steps)
    worst = compare("the executable", names, got, "", tp, opt, failures)
    moved = max(max_error(start[k], tp[k].detach().numpy()) for k in names)
    print("executable %s: %d tensors after %d resumed runs of one batch "
          "(from PyTorch's initial parameters, moved up to %.2e), max error "
          "%.2e (tolerance %g)" % (a.model, 2 * len(names), a.steps, moved,
                                   worst, TOL))
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
