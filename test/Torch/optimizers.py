"""Each optimizer against torch.optim: 20 steps of the MLP and LeNet-5
examples in f64, from the same parameters, on the same Fashion-MNIST
batches.

  optimizers.py --lamina-run PATH --work DIR [--steps 20] [--fmnist DIR]
                [--only NAME]

The examples are rewritten here in f64 with each optimizer of the list
below in their train block; lamina-run runs the compiled train step
(`--train-steps`), PyTorch the same steps with torch.optim. Every parameter
and every state tensor (velocities, Adam's moments and step count,
RMSprop's averages) and every step's loss agree to 1e-6, relative to
max(1, max |ref|). Prints one line per run; exits 1 if a tolerance is
missed.
"""
import argparse
import os
import re
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lamina_io import max_error, run_lamina  # noqa: E402
from whole_model import ROOT, forward, images, read_idx  # noqa: E402

TOL = 1e-6
BATCH = 64

# (name, train block optimizer, torch.optim constructor)
OPTIMIZERS = [
    ("sgd_nesterov",
     "sgd(lr = 0.05, momentum = 0.9, weight_decay = 0.0001, nesterov = true)",
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=1e-4,
                               nesterov=True)),
    ("adam", "adam(lr = 0.001, weight_decay = 0.0001)",
     lambda p: torch.optim.Adam(p, lr=0.001, weight_decay=1e-4)),
    ("adamw", "adamw(lr = 0.002, beta1 = 0.8, beta2 = 0.99, weight_decay = 0.05)",
     lambda p: torch.optim.AdamW(p, lr=0.002, betas=(0.8, 0.99),
                                 weight_decay=0.05)),
    ("rmsprop_momentum",
     "rmsprop(lr = 0.001, alpha = 0.9, momentum = 0.5, weight_decay = 0.0001)",
     lambda p: torch.optim.RMSprop(p, lr=0.001, alpha=0.9, momentum=0.5,
                                   weight_decay=1e-4)),
    ("rmsprop", "rmsprop",
     lambda p: torch.optim.RMSprop(p, lr=0.01)),
    # Gradient clipping by global norm (torch.nn.utils.clip_grad_norm_)
    # before the update, with weight decay added after it, as torch.optim
    # does.
    ("sgd_clip",
     "sgd(lr = 0.05, momentum = 0.9, weight_decay = 0.0001); clip_norm = 0.1",
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=1e-4)),
    ("adam_clip", "adam(lr = 0.001); clip_norm = 0.25",
     lambda p: torch.optim.Adam(p, lr=0.001)),
]

# The largest global gradient norm of the runs that clip.
CLIP = {"sgd_clip": 0.1, "adam_clip": 0.25}

SHAPES = {
    "mlp": {"h1": (784, 256), "h2": (256, 128), "logits": (128, 10)},
    "lenet5": {"conv1": (6, 1, 5, 5), "conv2": (16, 6, 5, 5),
               "fc3": (400, 120), "fc4": (120, 84), "logits": (84, 10)},
}

# torch.optim's state -> the suffix of ours ("optimizer.step" is one tensor).
STATE = {"momentum_buffer": ".velocity", "exp_avg": ".exp_avg",
         "exp_avg_sq": ".exp_avg_sq", "square_avg": ".square_avg"}


def start_params(model, rng):
    p = {}
    for layer, shape in SHAPES[model].items():
        fan_in = int(np.prod(shape[1:])) if len(shape) == 4 else shape[0]
        out = shape[0] if len(shape) == 4 else shape[1]
        bound = 1 / np.sqrt(fan_in)
        p[layer + ".weight"] = rng.uniform(-bound, bound, shape)
        p[layer + ".bias"] = rng.uniform(-bound, bound, (out,))
    return p


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lamina-run", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--fmnist", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--only", default=None)
    a = ap.parse_args()
    torch.set_num_threads(2)
    os.makedirs(a.work, exist_ok=True)
    raw_x = read_idx(os.path.join(a.fmnist, "train-images-idx3-ubyte.gz"))
    raw_y = read_idx(os.path.join(a.fmnist, "train-labels-idx1-ubyte.gz"))
    n = a.steps * BATCH
    failures = []
    for model in ("mlp", "lenet5"):
        text = open(os.path.join(ROOT, "examples", model + ".lam")).read()
        text = text.replace("f32[", "f64[")
        xs = images(model, raw_x[:n]).astype(np.float64)
        ys = raw_y[:n].astype(np.int32)
        start = start_params(model, np.random.RandomState(3))
        for name, spec, make in OPTIMIZERS:
            if a.only and name != a.only:
                continue
            src = os.path.join(a.work, "%s_%s.lam" % (model, name))
            with open(src, "w") as f:
                f.write(re.sub(r"optimizer = [^;]*;", "optimizer = %s;" % spec,
                               text))
            feeds = dict(start)
            feeds["x"] = xs.reshape((a.steps, BATCH) + xs.shape[1:])
            feeds["y"] = ys.reshape(a.steps, BATCH)
            res, err = run_lamina(
                a.lamina_run, src, feeds,
                os.path.join(a.work, "%s_%s.safetensors" % (model, name)),
                ["--train-steps", str(a.steps)])
            if res is None:
                failures.append("%s %s: lamina-run failed:\n%s"
                                % (model, name, err))
                continue
            tp = {k: torch.nn.Parameter(torch.from_numpy(v.copy()))
                  for k, v in start.items()}
            opt = make(list(tp.values()))
            losses = []
            clipped = 0
            for s in range(a.steps):
                opt.zero_grad()
                x = torch.from_numpy(xs[s * BATCH:(s + 1) * BATCH])
                y = torch.from_numpy(
                    ys[s * BATCH:(s + 1) * BATCH].astype(np.int64))
                loss = F.cross_entropy(forward(model, tp, x), y)
                loss.backward()
                if name in CLIP:
                    norm = torch.nn.utils.clip_grad_norm_(
                        list(tp.values()), CLIP[name])
                    clipped += int(norm > CLIP[name])
                opt.step()
                losses.append(loss.item())
            names = sorted(tp)
            refs = [("loss", res.get("train.loss"), np.array(losses))]
            for k, p in tp.items():
                refs.append((k, res.get("trained." + k), p.detach().numpy()))
                for key, value in opt.state[p].items():
                    if key == "step":
                        # Adam's bias correction needs it; sgd and rmsprop
                        # count steps unused.
                        if name.startswith("adam") and k == names[0]:
                            refs.append(("optimizer.step",
                                         res.get("trained.optimizer.step"),
                                         np.array([float(value)])))
                    else:
                        refs.append((k + STATE[key],
                                     res.get("trained." + k + STATE[key]),
                                     value.numpy()))
            worst = 0.0
            for key, got, ref in refs:
                if got is None:
                    failures.append("%s %s: no %s" % (model, name, key))
                    continue
                e = max_error(got, ref)
                worst = max(worst, e)
                if not e <= TOL:
                    failures.append("%s %s: %s differs: %.2e"
                                    % (model, name, key, e))
            print("%s %s: %d tensors after %d steps, loss %.4f -> %.4f, max "
                  "error %.2e" % (model, name, len(refs) - 1, a.steps,
                                  losses[0], losses[-1], worst)
                  + (", %d steps clipped" % clipped if name in CLIP else ""))
    print("optimizers: tolerance %g" % TOL)
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
