#!/usr/bin/python3
"""PyTorch reference for the benchmarks: trains the same network on the same
data with the same batch size, optimizer and thread count, and prints
images/s. Run with Debian's /usr/bin/python3 (python3-torch); bench.sh runs
it next to the Lamina executable with the model file's batch, lr and
momentum. PyTorch's SGD with momentum (v = m v + g; w -= lr v, no dampening)
is the update Lamina's autodiff builds."""
import argparse
import gzip
import time

import numpy as np
import torch

DATA = "/usr/share/datasets/fashion-mnist"


def idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def model(name):
    nn = torch.nn
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(),
                             nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    if name == "lenet5":
        return nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, 10))
    raise SystemExit("unknown model " + name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="mlp")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data", default=DATA,
                    help="directory with the Fashion-MNIST .gz files")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)
    x = torch.tensor(idx(f"{a.data}/train-images-idx3-ubyte.gz"), dtype=torch.float32) / 255
    y = torch.tensor(idx(f"{a.data}/train-labels-idx1-ubyte.gz"), dtype=torch.long)
    x = x.reshape(-1, 1, 28, 28) if a.model == "lenet5" else x.reshape(-1, 784)
    net = model(a.model)
    opt = torch.optim.SGD(net.parameters(), lr=a.lr, momentum=a.momentum)
    loss_fn = torch.nn.CrossEntropyLoss()
    n = x.shape[0]
    for epoch in range(a.epochs):
        perm = torch.randperm(n)
        t0 = time.perf_counter()
        total = 0.0
        for i in range(0, n, a.batch):
            idx_ = perm[i:i + a.batch]
            opt.zero_grad()
            loss = loss_fn(net(x[idx_]), y[idx_])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx_)
        dt = time.perf_counter() - t0
        print(f"pytorch {a.model} epoch {epoch + 1}: loss {total / n:.4f} "
              f"{n / dt:.0f} images/s {dt:.2f} s")


if __name__ == "__main__":
    main()
