#!/usr/bin/python3
"""PyTorch's side of test/bench/bench.sh: the same networks as
examples/{mlp,lenet5,vgg_small,resnet20}.lam, timed the way `./model bench`
times Lamina's (synthetic data, one warm-up call, then calls for --seconds),
and the end-to-end predict of an NPY file. Prints one line:

  torch MODEL MODE batch B threads T: X samples/s p50 Y ms

or, for --mode predict-file, "torch MODEL predict-file ...: S s". Run with
Debian's /usr/bin/python3 (python3-torch)."""
import argparse
import time

import numpy as np
import torch

nn = torch.nn


class Residual(nn.Module):
    """relu(f(x) + shortcut(x)), as resnet20.lam writes each block."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.a = nn.Conv2d(cin, cout, 3, stride=stride, padding=1)
        self.b = nn.Conv2d(cout, cout, 3, padding=1)
        self.s = nn.Conv2d(cin, cout, 1, stride=stride) if stride != 1 else None

    def forward(self, x):
        y = self.b(torch.relu(self.a(x)))
        return torch.relu(y + (self.s(x) if self.s is not None else x))


def model(name):
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(),
                             nn.Linear(256, 128), nn.ReLU(),
                             nn.Linear(128, 10)), (784,)
    if name == "lenet5":
        return nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, 10)), (1, 28, 28)
    if name == "vgg_small":
        layers, cin = [], 3
        for c in (32, 64, 128):
            layers += [nn.Conv2d(cin, c, 3, padding=1), nn.ReLU(),
                       nn.Conv2d(c, c, 3, padding=1), nn.ReLU(),
                       nn.MaxPool2d(2)]
            cin = c
        layers += [nn.Flatten(), nn.Linear(2048, 256), nn.ReLU(),
                   nn.Linear(256, 10)]
        return nn.Sequential(*layers), (3, 32, 32)
    if name == "resnet20":
        layers = [nn.Conv2d(3, 16, 3, padding=1), nn.ReLU()]
        cin = 16
        for c, stride in ((16, 1), (32, 2), (64, 2)):
            for b in range(3):
                layers.append(Residual(cin, c, stride if b == 0 else 1))
                cin = c
        layers += [nn.AvgPool2d(8), nn.Flatten(), nn.Linear(64, 10)]
        return nn.Sequential(*layers), (3, 32, 32)
    raise SystemExit("unknown model " + name)


def timed(step, seconds):
    step()
    times = []
    end = time.perf_counter() + seconds
    while True:
        t0 = time.perf_counter()
        step()
        t1 = time.perf_counter()
        times.append(t1 - t0)
        if t1 >= end and len(times) >= 3:
            return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--mode", choices=["train", "infer", "predict-file"],
                    default="train")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--input", help="predict-file: the f32 NPY to predict")
    ap.add_argument("--output", help="predict-file: where to save")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)
    net, sample = model(a.model)

    if a.mode == "predict-file":
        # End to end, as `model predict X.npy -o OUT.npy`: load, batches,
        # softmax, save.
        t0 = time.perf_counter()
        x = torch.from_numpy(np.load(a.input)).reshape((-1,) + sample)
        outs = []
        with torch.no_grad():
            for i in range(0, x.shape[0], a.batch):
                outs.append(torch.softmax(net(x[i:i + a.batch]), 1))
        np.save(a.output, torch.cat(outs).numpy())
        dt = time.perf_counter() - t0
        print(f"torch {a.model} predict-file batch {a.batch} threads "
              f"{a.threads}: {dt:.3f} s")
        return

    x = torch.rand((a.batch,) + sample)
    y = torch.zeros(a.batch, dtype=torch.long)
    if a.mode == "train":
        opt = torch.optim.SGD(net.parameters(), lr=a.lr, momentum=a.momentum)
        loss_fn = nn.CrossEntropyLoss()

        def step():
            opt.zero_grad()
            loss_fn(net(x), y).backward()
            opt.step()
    else:
        net.eval()

        def step():
            with torch.no_grad():
                torch.softmax(net(x), 1)
    times = timed(step, a.seconds)
    p50 = sorted(times)[len(times) // 2]
    print(f"torch {a.model} {a.mode} batch {a.batch} threads {a.threads}: "
          f"{a.batch * len(times) / sum(times):.0f} samples/s "
          f"p50 {p50 * 1e3:.4f} ms")


if __name__ == "__main__":
    main()
