"""Differential test of every Lamina op against PyTorch.

Generates random cases per op family from a fixed seed (shapes, attributes,
f32 and f64), runs each through a compiled Lamina graph (lamina-run, JIT) and
through PyTorch (torch.autograd), and compares the forward results and the
gradient of a random-weighted scalar loss w.r.t. every float input and
parameter: 1e-5 in f64 and 1e-4 in f32, relative to max(1, max |ref|) of each
tensor.

Many cases share one model file (one lamina-run call, one JIT compile): each
case is named c<N>_..., contributes `c<N>_l = sum(y * r)` (r a random tensor)
to the loss `loss c0_l + c1_l + ...`, so the gradient of the sum w.r.t. a
case's leaves is that case's own. A group that fails to compile is rerun one
case at a time so that the failing case is named.

  gen_cases.py --lamina-run PATH [--seed N] [--scale F] [--families a,b]
               [--work DIR] [--jobs N] [--group N] [-v]

Prints `differential: N cases, N passed, N failed` and exits 1 on a failure,
listing each failing case with its model text and error.
"""
import argparse
import collections
import concurrent.futures
import os
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lamina_io import max_error, run_lamina  # noqa: E402

TOL = {"f32": 1e-4, "f64": 1e-5}
NPDT = {"f32": np.float32, "f64": np.float64, "i32": np.int32}
TDT = {"f32": torch.float32, "f64": torch.float64}
# Every leaf declared with a symbolic batch dim is fed with this many rows
# (one batch size per pipeline run).
BATCH = 3


class Leaf:
    def __init__(self, kind, dtype, value, batch, declare=True):
        self.kind = kind        # input, label or param
        self.dtype = dtype      # f32, f64, i32
        self.value = value      # ndarray of the concrete shape
        self.batch = batch      # first dim declared as `batch`
        self.declare = declare  # False for params that dense/conv create

    def lam_type(self):
        dims = [str(d) for d in self.value.shape]
        if self.batch:
            dims[0] = "batch"
        return "%s[%s]" % (self.dtype, ", ".join(dims))


class Case:
    """One op applied to random leaves: Lamina text and a PyTorch function."""

    def __init__(self, family, dtype, idx, rng):
        self.family = family
        self.dtype = dtype
        self.idx = idx
        self.rng = rng
        self.p = "c%d_" % idx
        self.leaves = collections.OrderedDict()
        self.lines = []
        self.outputs = []     # compared forward
        self.metrics = []     # metric names, compared forward
        self.loss_of = None   # the output the loss weights
        self.out_batch = False
        self.fn = None        # {name: tensor} -> {output name: tensor}
        self.desc = ""

    @property
    def np(self):
        return NPDT[self.dtype]

    def leaf(self, base, kind, value, dtype=None, batch=False, declare=True):
        name = base if not declare else self.p + base
        dtype = dtype or self.dtype
        value = np.asarray(value, dtype=NPDT[dtype])
        self.leaves[name] = Leaf(kind, dtype, value, batch, declare)
        return name

    def rand(self, shape, lo=-1.0, hi=1.0, away=0.0):
        return uniform(self.rng, shape, lo, hi, away).astype(self.np)

    def name(self, base):
        return self.p + base

    def finish(self):
        """Adds the weight r and the loss term once the output shape is
        known from PyTorch."""
        if self.loss_of is None:
            return
        out = self.fn(torch_leaves(self, grad=False))[self.loss_of]
        shape = tuple(out.shape) or (1,)
        r = self.leaf("r", "input", self.rand(shape),
                      batch=self.out_batch and len(out.shape) > 0)
        self.lines.append("%s = sum(%s * %s);" % (self.name("l"), self.loss_of,
                                                 r))

    def text(self):
        return model_text([self])


def uniform(rng, shape, lo=-1.0, hi=1.0, away=0.0):
    v = rng.uniform(lo, hi, size=shape)
    while away > 0:
        bad = np.abs(v) < away
        if not bad.any():
            break
        v[bad] = rng.uniform(lo, hi, size=int(bad.sum()))
    return v


def rand_shape(rng, rmin, rmax, dmin=1, dmax=4):
    return tuple(int(rng.randint(dmin, dmax + 1))
                 for _ in range(rng.randint(rmin, rmax + 1)))


def fmt(v):
    """A float attribute as the DSL reads it."""
    return repr(float(v))


def ints(v):
    return "[" + ", ".join(str(int(x)) for x in v) + "]"


def maybe_batch(c, shape, prob=0.3):
    """Makes the first dim the batch (BATCH rows) with probability prob."""
    if len(shape) >= 2 and c.rng.rand() < prob:
        return (BATCH,) + tuple(shape[1:]), True
    return tuple(shape), False


def torch_leaves(c, grad=True):
    t = {}
    for name, leaf in c.leaves.items():
        if leaf.dtype == "i32":
            t[name] = torch.from_numpy(leaf.value.astype(np.int64))
        else:
            t[name] = torch.from_numpy(leaf.value.copy()).requires_grad_(
                grad and leaf.kind != "buffer")
    return t


# --- Families -------------------------------------------------------------


def gen_activation(c):
    rng = c.rng
    op = rng.choice(["sigmoid", "tanh", "relu", "softplus", "leaky_relu",
                     "elu", "swish", "step"])
    shape, batch = maybe_batch(c, rand_shape(rng, 1, 3, 1, 5))
    x = c.leaf("x", "input", c.rand(shape, -3, 3, away=0.05), batch=batch)
    y = c.name("y")
    arg = ""
    a = None
    if op in ("leaky_relu", "elu", "swish"):
        key = {"leaky_relu": "alpha", "elu": "alpha", "swish": "beta"}[op]
        lo, hi = (0.01, 0.5) if op == "leaky_relu" else (0.3, 2.0)
        if rng.rand() < 0.2:
            a = {"leaky_relu": 0.01, "elu": 1.0, "swish": 1.0}[op]  # default
        else:
            a = round(rng.uniform(lo, hi), 3)
            arg = ", %s" % fmt(a) if rng.rand() < 0.5 else ", %s = %s" % (
                key, fmt(a))
    c.lines.append("output %s = %s(%s%s);" % (y, op, x, arg))
    fns = {
        "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": F.relu,
        "softplus": F.softplus,
        "leaky_relu": lambda v: F.leaky_relu(v, a),
        "elu": lambda v: F.elu(v, a),
        "swish": lambda v: v * torch.sigmoid(a * v),
        "step": lambda v: (v > 0).to(v.dtype),
    }
    f = fns[op]
    c.fn = lambda t: {y: f(t[x])}
    c.outputs = [y]
    c.out_batch = batch
    c.loss_of = None if op == "step" else y
    c.desc = op


def gen_hard_activation(c):
    """hard_sigmoid and hard_swish (MobileNetV3) over both kinks, -3 and 3.
    f64 gradients of hard_sigmoid differ by about 5e-9: ATen's backward
    multiplies by 1.0f / 6.0f, an f32 sixth, and Lamina by the f64 one."""
    rng = c.rng
    op = str(rng.choice(["hard_sigmoid", "hard_swish"]))
    shape, batch = maybe_batch(c, rand_shape(rng, 1, 3, 1, 5))
    x = c.leaf("x", "input", c.rand(shape, -5, 5, away=0.05), batch=batch)
    y = c.name("y")
    c.lines.append("output %s = %s(%s);" % (y, op, x))
    f = F.hardsigmoid if op == "hard_sigmoid" else F.hardswish
    c.fn = lambda t: {y: f(t[x])}
    c.outputs = [y]
    c.out_batch = batch
    c.loss_of = y
    c.desc = op


def gen_gelu(c):
    """erf (both its methods, switching at |x| = 2.5) and gelu's two forms."""
    rng = c.rng
    op = str(rng.choice(["erf", "gelu", "gelu_tanh"]))
    shape, batch = maybe_batch(c, rand_shape(rng, 1, 3, 1, 5))
    x = c.leaf("x", "input", c.rand(shape, -4.5, 4.5), batch=batch)
    y = c.name("y")
    call = {"erf": "erf(%s)", "gelu": "gelu(%s)",
            "gelu_tanh": "gelu(%s, approximate = tanh)"}[op] % x
    c.lines.append("output %s = %s;" % (y, call))
    f = {"erf": torch.erf, "gelu": F.gelu,
         "gelu_tanh": lambda t: F.gelu(t, approximate="tanh")}[op]
    c.fn = lambda t: {y: f(t[x])}
    c.outputs = [y]
    c.out_batch = batch
    c.loss_of = y
    c.desc = op


def gen_prelu(c):
    """prelu: one learned slope, or one per channel of dim 1."""
    rng = c.rng
    per_channel = bool(rng.rand() < 0.5)
    shape, batch = maybe_batch(c, rand_shape(rng, 2, 4, 1, 4))
    x = c.leaf("x", "input", c.rand(shape, -2, 2, away=0.05), batch=batch)
    y = c.name("y")
    slopes = shape[1] if per_channel else 1
    w = c.leaf(y + ".weight", "param", c.rand((slopes,), -0.5, 0.5),
               declare=False)
    c.lines.append("output %s = prelu(%s%s);" % (
        y, x, ", per_channel = true" if per_channel else ""))
    c.fn = lambda t: {y: F.prelu(t[x], t[w])}
    c.outputs = [y]
    c.out_batch = batch
    c.loss_of = y
    c.desc = "prelu %s%s" % (shape, " per channel" if per_channel else "")


def gen_swiglu(c):
    """swiglu(x, units): swish(x W + b) * (x V + c), dense layers y and
    y.1."""
    rng = c.rng
    fin, units = rng.randint(1, 6), rng.randint(1, 6)
    shape, batch = maybe_batch(c, rand_shape(rng, 1, 2, 1, 4) + (fin,))
    x = c.leaf("x", "input", c.rand(shape, -2, 2), batch=batch)
    y = c.name("y")
    bias = bool(rng.rand() < 0.7)
    p = {}
    for layer in (y, y + ".1"):
        p[layer + ".weight"] = c.leaf(layer + ".weight", "param",
                                      c.rand((fin, units)), declare=False)
        if bias:
            p[layer + ".bias"] = c.leaf(layer + ".bias", "param",
                                        c.rand((units,)), declare=False)
    c.lines.append("output %s = swiglu(%s, %d%s);" % (
        y, x, units, "" if bias else ", bias = false"))

    def dense(t, layer):
        b = t[layer + ".bias"] if bias else None
        return F.linear(t[x], t[layer + ".weight"].t(), b)
    c.fn = lambda t: {y: F.silu(dense(t, y)) * dense(t, y + ".1")}
    c.outputs = [y]
    c.out_batch = batch
    c.loss_of = y
    c.desc = "swiglu %s -> %d%s" % (shape, units, "" if bias else " no bias")


def gen_layer_norm(c):
    """layer_norm over the last 1..3 dims, with and without the affine
    weight and bias, eps 1e-5 or given."""
    rng = c.rng
    shape, batch = maybe_batch(c, rand_shape(rng, 2, 4, 1, 4))
    k = int(rng.randint(1, len(shape)))
    affine = bool(rng.rand() < 0.7)
    eps = float(rng.choice([1e-5, 1e-3, 0.1]))
    x = c.leaf("x", "input", c.rand(shape, -2, 2), batch=batch)
    y = c.name("y")
    normalized = tuple(shape[len(shape) - k:])
    w = b = None
    if affine:
        w = c.leaf(y + ".weight", "param", c.rand(normalized), declare=False)
        b = c.leaf(y + ".bias", "param", c.rand(normalized), declare=False)
    axes = "-1" if k == 1 else "[%s]" % ", ".join(
        str(a) for a in range(-k, 0))
    args = "axes = %s" % axes
    if eps != 1e-5:
        args += ", eps = %s" % fmt(eps)
    if not affine:
        args += ", affine = false"
    c.lines.append("output %s = layer_norm(%s, %s);" % (y, x, args))
    c.fn = lambda t: {y: F.layer_norm(t[x], normalized, t[w] if w else None,
                                      t[b] if b else None, eps)}
    c.outputs = [y]
    c.out_batch = batch
    c.loss_of = y
    c.desc = "layer_norm %s over %d%s" % (shape, k,
                                          "" if affine else " no affine")


def gen_batch_norm(c):
    """batch_norm in eval mode: the channels of dim 1 of [N, C], [N, C, L]
    or [N, C, H, W] normalized with given running statistics (buffers, not
    differentiated), with and without the affine weight and bias. The train
    step's batch statistics are bn_model.test's."""
    rng = c.rng
    rank = int(rng.randint(2, 5))
    shape, batch = maybe_batch(c, rand_shape(rng, rank, rank, 1, 4), 0.5)
    channels = shape[1]
    affine = bool(rng.rand() < 0.7)
    eps = float(rng.choice([1e-5, 1e-3, 0.1]))
    x = c.leaf("x", "input", c.rand(shape, -2, 2), batch=batch)
    y = c.name("y")
    mean = c.leaf(y + ".running_mean", "buffer", c.rand((channels,)),
                  declare=False)
    var = c.leaf(y + ".running_var", "buffer",
                 c.rand((channels,), 0.2, 2.0), declare=False)
    w = b = None
    if affine:
        w = c.leaf(y + ".weight", "param", c.rand((channels,)), declare=False)
        b = c.leaf(y + ".bias", "param", c.rand((channels,)), declare=False)
    args = ""
    if eps != 1e-5:
        args += ", eps = %s" % fmt(eps)
    if not affine:
        args += ", affine = false"
    c.lines.append("output %s = batch_norm(%s%s);" % (y, x, args))
    c.fn = lambda t: {y: F.batch_norm(t[x], t[mean], t[var],
                                      t[w] if w else None,
                                      t[b] if b else None, False, 0.1, eps)}
    c.outputs = [y]
    c.out_batch = batch
    c.loss_of = y
    c.desc = "batch_norm %s%s eps %g" % (shape, "" if affine else
                                         " no affine", eps)


def gen_dropout(c):
    """dropout outside the train step: the identity, forward and backward,
    as F.dropout with training=False. Its train form draws masks PyTorch's
    generator cannot reproduce; test/unit/ModeTest.cpp checks their
    statistics and keys, test/E2E/modes.test that --resume and the thread
    count keep them."""
    rng = c.rng
    shape, batch = maybe_batch(c, rand_shape(rng, 1, 4, 1, 5))
    p = float(rng.choice([0.0, 0.25, 0.5, 0.9]))
    x = c.leaf("x", "input", c.rand(shape, -2, 2), batch=batch)
    y = c.name("y")
    c.lines.append("output %s = dropout(%s, %s);" % (y, x, fmt(p)))
    c.fn = lambda t: {y: F.dropout(t[x], p, False)}
    c.outputs = [y]
    c.out_batch = batch
    c.loss_of = y
    c.desc = "dropout %s p %g" % (shape, p)


def gen_embedding(c):
    """embedding: rows of a table by i32 tokens, with repeats (the gradient
    is a scatter-add); the layer form's table or a given one."""
    rng = c.rng
    vocab, dim = rng.randint(2, 9), rng.randint(1, 7)
    shape, batch = maybe_batch(c, rand_shape(rng, 1, 3, 1, 5))
    tokens = rng.randint(0, vocab, size=shape)
    tok = c.leaf("tok", "input", tokens, dtype="i32", batch=batch)
    y = c.name("y")
    if rng.rand() < 0.5:
        e = c.leaf(y + ".weight", "param", c.rand((vocab, dim)),
                   declare=False)
        args = "%s, %d, %d%s" % (tok, vocab, dim, ", dtype = f64"
                                 if c.dtype == "f64" else "")
    else:
        e = c.leaf("E", "param", c.rand((vocab, dim)))
        args = "%s, %s" % (tok, e)
    c.lines.append("output %s = embedding(%s);" % (y, args))
    c.fn = lambda t: {y: F.embedding(t[tok], t[e])}
    c.outputs = [y]
    c.out_batch = batch
    c.loss_of = y
    c.desc = "embedding %s vocab %d dim %d" % (shape, vocab, dim)


def gen_recurrent(c):
    """rnn (tanh or relu), lstm and gru against torch.nn.RNN/LSTM/GRU with
    our parameters (transposed weights) in place of the module's, over 1, 7
    or 28 steps, from a zero or a given initial state, every step's h or the
    last."""
    from torch import _VF
    rng = c.rng
    cell = str(rng.choice(["rnn", "lstm", "gru"]))
    time = int(rng.choice([1, 7, 28]))
    feat, hidden = rng.randint(1, 5), rng.randint(1, 5)
    gates = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
    batch = bool(rng.rand() < 0.3)
    rows = BATCH if batch else rng.randint(1, 4)
    x = c.leaf("x", "input", c.rand((rows, time, feat)), batch=batch)
    y = c.name("y")
    w = {}
    for part, shape in (("weight_ih", (feat, gates * hidden)),
                        ("weight_hh", (hidden, gates * hidden)),
                        ("bias_ih", (gates * hidden,)),
                        ("bias_hh", (gates * hidden,))):
        w[part] = c.leaf("%s.%s" % (y, part), "param", c.rand(shape),
                         declare=False)
    states = []
    if rng.rand() < 0.4:
        for s in (["h0", "c0"] if cell == "lstm" else ["h0"]):
            states.append(c.leaf(s, "input", c.rand((rows, hidden)),
                                 batch=batch))
    sequences = bool(rng.rand() < 0.6)
    act = str(rng.choice(["tanh", "relu"])) if cell == "rnn" else "tanh"
    args = [x, str(hidden)] + states
    if not sequences:
        args.append("return_sequences = false")
    if act != "tanh":
        args.append("activation = relu")
    c.lines.append("output %s = %s(%s);" % (y, cell, ", ".join(args)))
    tdt = TDT[c.dtype]

    def fn(t):
        # The kernels torch.nn.RNN/LSTM/GRU's forward calls, given our
        # tensors as the module's flat weights (PyTorch's [out, in]).
        flat = [t[w["weight_ih"]].t(), t[w["weight_hh"]].t(),
                t[w["bias_ih"]], t[w["bias_hh"]]]
        rows_ = t[x].shape[0]
        hx = [t[s].unsqueeze(0) for s in states] or \
            [torch.zeros(1, rows_, hidden, dtype=tdt)] * (
                2 if cell == "lstm" else 1)
        run = {"rnn": _VF.rnn_tanh if act == "tanh" else _VF.rnn_relu,
               "lstm": _VF.lstm, "gru": _VF.gru}[cell]
        h = tuple(hx) if cell == "lstm" else hx[0]
        out = run(t[x], h, flat, True, 1, 0.0, False, False, True)[0]
        return {y: out if sequences else out[:, -1]}
    c.fn = fn
    c.outputs = [y]
    c.out_batch = batch
    c.loss_of = y
    c.desc = "%s %s time %d feat %d hidden %d%s%s" % (
        cell, act if cell == "rnn" else "", time, feat, hidden,
        " state" if states else "", "" if sequences else " last")


def gen_unary(c):
    rng = c.rng
    op = rng.choice(["abs", "exp", "log", "sqrt", "neg", "sign"])
    shape, batch = maybe_batch(c, rand_shape(rng, 1, 3, 1, 5))
    lo, hi, away = {"abs": (-3, 3, 0.05), "exp": (-2, 2, 0),
                    "log": (0.2, 3, 0), "sqrt": (0.2, 3, 0),
                    "neg": (-3, 3, 0), "sign": (-3, 3, 0.05)}[op]
    x = c.leaf("x", "input", c.rand(shape, lo, hi, away), batch=batch)
    y = c.name("y")
    expr = "-%s" % x if op == "neg" and rng.rand() < 0.5 else "%s(%s)" % (op,
                                                                        x)
    c.lines.append("output %s = %s;" % (y, expr))
    f = {"abs": torch.abs, "exp": torch.exp, "log": torch.log,
         "sqrt": torch.sqrt, "neg": torch.neg, "sign": torch.sign}[op]
    c.fn = lambda t: {y: f(t[x])}
    c.outputs = [y]
    c.out_batch = batch
    c.loss_of = None if op == "sign" else y
    c.desc = op


def operand_shape(rng, out):
    """A shape that broadcasts to `out`: leading dims dropped, some dims 1."""
    drop = rng.randint(0, len(out)) if rng.rand() < 0.4 else 0
    s = list(out[drop:])
    for i in range(len(s)):
        if rng.rand() < 0.3:
            s[i] = 1
    return tuple(s)


def gen_binary(c):
    rng = c.rng
    op = rng.choice(["add", "sub", "mul", "div", "maximum"])
    out = rand_shape(rng, 1, 4, 1, 4)
    batch = False
    if len(out) >= 2 and rng.rand() < 0.3:
        out = (BATCH,) + out[1:]
        batch = True
    literal = None
    if rng.rand() < 0.2 and op != "maximum":
        literal = float(rng.choice([0.5, 1.5, 2.25, -0.75, 3.0]))
    a_shape = out
    b_shape = operand_shape(rng, out) if rng.rand() < 0.7 else out
    if rng.rand() < 0.5:
        a_shape, b_shape = b_shape, a_shape
    if batch:
        # A batch dim only where the operand has the full rank; other
        # operands with the full rank must have it too (no [1] vs batch).
        a_batch = len(a_shape) == len(out)
        b_batch = len(b_shape) == len(out)
        a_shape = (BATCH,) + a_shape[1:] if a_batch else a_shape
        b_shape = (BATCH,) + b_shape[1:] if b_batch else b_shape
    else:
        a_batch = b_batch = False
    sym = {"add": "+", "sub": "-", "mul": "*", "div": "/"}.get(op)
    y = c.name("y")
    if literal is not None:
        lit_first = rng.rand() < 0.5
        away = 0.5 if op == "div" and lit_first else 0.0
        a_shape, a_batch = out, batch
        a = c.leaf("a", "input", c.rand(a_shape, -2, 2, away), batch=a_batch)
        lhs, rhs = (fmt(literal), a) if lit_first else (a, fmt(literal))
        expr = "%s %s %s" % (lhs, sym, rhs) if rng.rand() < 0.5 else \
            "%s(%s, %s)" % (op, lhs, rhs)
        # Python's operators take a scalar on either side.
        f = {"add": lambda u, v: u + v, "sub": lambda u, v: u - v,
             "mul": lambda u, v: u * v, "div": lambda u, v: u / v}[op]

        def fn(t):
            va = t[a]
            return {y: f(literal, va) if lit_first else f(va, literal)}
        c.desc = "%s literal %s %s" % (op, "first" if lit_first else
                                       "second", a_shape)
    else:
        for _ in range(100):
            av = c.rand(a_shape, -2, 2)
            bv = c.rand(b_shape, -2, 2, away=0.5 if op == "div" else 0.0)
            if op != "maximum" or np.min(np.abs(av - bv)) > 0.05:
                break
        a = c.leaf("a", "input", av, batch=a_batch)
        b = c.leaf("b", "input", bv, batch=b_batch)
        if sym and rng.rand() < 0.5:
            expr = "%s %s %s" % (a, sym, b)
        else:
            expr = "%s(%s, %s)" % (op, a, b)
        f = {"add": torch.add, "sub": torch.sub, "mul": torch.mul,
             "div": torch.div, "maximum": torch.maximum}[op]

        def fn(t):
            return {y: f(t[a], t[b])}
        c.desc = "%s %s %s" % (op, a_shape, b_shape)
    c.lines.append("output %s = %s;" % (y, expr))
    c.fn = fn
    c.outputs = [y]
    c.out_batch = batch
    c.loss_of = y


def gen_select(c):
    rng = c.rng
    shape, batch = maybe_batch(c, rand_shape(rng, 1, 3, 1, 4))
    a = c.leaf("a", "input", c.rand(shape, -2, 2), batch=batch)
    b = c.leaf("b", "input", c.rand(shape, -2, 2), batch=batch)
    k = c.leaf("k", "input", c.rand(shape, -1, 1, away=0.05), batch=batch)
    y = c.name("y")
    if rng.rand() < 0.5:
        expr = "select(greater(%s, 0.0), %s, %s)" % (k, a, b)
        def fn(t):
            return {y: torch.where(t[k] > 0, t[a], t[b])}
    else:
        # A 0/1 condition tensor (its gradient is zero).
        m = c.leaf("m", "input", (c.rand(shape) > 0).astype(c.np),
                   batch=batch)
        expr = "select(%s, %s, %s)" % (m, a, b)
        def fn(t):
            return {y: torch.where(t[m] != 0, t[a], t[b])}
    c.lines.append("output %s = %s;" % (y, expr))
    c.fn = fn
    c.outputs = [y]
    c.out_batch = batch
    c.loss_of = y
    c.desc = "select"


def gen_matmul(c):
    rng = c.rng
    k, n = rng.randint(1, 6), rng.randint(1, 6)
    rank = rng.randint(1, 5)
    if rank == 1:
        a_shape = (k,)
    else:
        a_shape = rand_shape(rng, rank - 2, rank - 2, 1, 3) + (
            rng.randint(1, 5), k)
    a_shape, batch = maybe_batch(c, a_shape)
    a = c.leaf("a", "input", c.rand(a_shape), batch=batch)
    kind = "param" if rng.rand() < 0.5 else "input"
    b = c.leaf("b", kind, c.rand((k, n)))
    y = c.name("y")
    expr = "%s @ %s" % (a, b) if rng.rand() < 0.5 else "matmul(%s, %s)" % (
        a, b)
    c.lines.append("output %s = %s;" % (y, expr))
    c.fn = lambda t: {y: torch.matmul(t[a], t[b])}
    c.outputs = [y]
    c.out_batch = batch
    c.loss_of = y
    c.desc = "matmul %s @ %s" % (a_shape, (k, n))


def gen_matmul_panels(c):
    """Matmuls whose right operand is larger than kMatMulPanelBytes (1 MiB;
    MatMulCommon.h), which run the column tiles as the outer loop: a [rows,
    k] @ b [k, n], both operands compared (dL/da is dy @ b^T, as large)."""
    rng = c.rng
    elem = 4 if c.dtype == "f32" else 8
    k = int(rng.randint(520, 700))
    n = int(rng.randint((1 << 20) // (elem * k) + 1, (1 << 20) // (elem * k) + 90))
    rows = int(rng.randint(1, 11))
    a_shape, batch = maybe_batch(c, (rows, k))
    a = c.leaf("a", "input", c.rand(a_shape), batch=batch)
    b = c.leaf("b", "param", c.rand((k, n)))
    y = c.name("y")
    c.lines.append("output %s = %s @ %s;" % (y, a, b))
    c.fn = lambda t: {y: torch.matmul(t[a], t[b])}
    c.outputs = [y]
    c.out_batch = batch
    c.loss_of = y
    c.desc = "matmul %s @ %s" % (a_shape, (k, n))


def gen_dense(c):
    rng = c.rng
    fin, fout = rng.randint(1, 6), rng.randint(1, 6)
    shape = rand_shape(rng, 0, 2, 1, 4) + (fin,)
    shape, batch = maybe_batch(c, shape)
    x = c.leaf("x", "input", c.rand(shape), batch=batch)
    y = c.name("y")
    form = rng.choice(["wb", "w", "units", "units_nobias"])
    if form in ("wb", "w"):
        w = c.leaf("W", "param", c.rand((fin, fout)))
        bias = c.leaf("b", "param", c.rand((fout,))) if form == "wb" else None
        args = "%s, %s%s" % (x, w, ", " + bias if bias else "")
    else:
        w = c.leaf(y + ".weight", "param", c.rand((fin, fout)), declare=False)
        bias = None
        if form == "units":
            bias = c.leaf(y + ".bias", "param", c.rand((fout,)),
                          declare=False)
            args = "%s, %d" % (x, fout)
        else:
            args = "%s, %d, bias = false" % (x, fout)
    c.lines.append("output %s = dense(%s);" % (y, args))

    def fn(t):
        return {y: F.linear(t[x], t[w].t(), t[bias] if bias else None)}
    c.fn = fn
    c.outputs = [y]
    c.out_batch = batch
    c.loss_of = y
    c.desc = "dense %s %s -> %d" % (form, shape, fout)


def gen_transpose(c):
    rng = c.rng
    shape = rand_shape(rng, 2, 4, 1, 4)
    x = c.leaf("x", "input", c.rand(shape))
    y = c.name("y")
    if rng.rand() < 0.3:
        # The default swaps the last two dims (dsl/README.md).
        perm = list(range(len(shape)))
        perm[-2:] = perm[-1], perm[-2]
        c.lines.append("output %s = transpose(%s);" % (y, x))
    else:
        perm = [int(v) for v in rng.permutation(len(shape))]
        c.lines.append("output %s = transpose(%s, perm = %s);" % (y, x,
                                                                 ints(perm)))
    c.fn = lambda t: {y: t[x].permute(*perm)}
    c.outputs = [y]
    c.loss_of = y
    c.desc = "transpose %s %s" % (shape, perm)


def gen_concat(c):
    """concat of 2 to 4 tensors along any axis but the batch (the default
    axis is the last), negative axes too; every operand differentiated."""
    rng = c.rng
    base = list(rand_shape(rng, 1, 4, 1, 4))
    axis = int(rng.randint(0, len(base)))
    batch = len(base) >= 2 and axis != 0 and rng.rand() < 0.3
    xs = []
    for i in range(int(rng.randint(2, 5))):
        shape = list(base)
        shape[axis] = int(rng.randint(1, 5))
        if batch:
            shape[0] = BATCH
        xs.append(c.leaf("x%d" % i, "input", c.rand(tuple(shape)),
                         batch=batch))
    y = c.name("y")
    if axis == len(base) - 1 and rng.rand() < 0.3:
        attr = ""
    else:
        attr = ", axis = %d" % (axis - len(base) if rng.rand() < 0.3 else axis)
    c.lines.append("output %s = concat(%s%s);" % (y, ", ".join(xs), attr))
    c.fn = lambda t: {y: torch.cat([t[x] for x in xs], dim=axis)}
    c.outputs = [y]
    c.out_batch = batch
    c.loss_of = y
    c.desc = "concat %d along %d of %s" % (len(xs), axis, base)


def gen_stack(c):
    """stack of 2 to 4 tensors of one shape along a new dim after the
    batch, negative axes too (a reshape of each and a concat)."""
    rng = c.rng
    shape = list(rand_shape(rng, 1, 3, 1, 4))
    batch = len(shape) >= 1 and rng.rand() < 0.3
    if batch:
        shape[0] = BATCH
    xs = [c.leaf("x%d" % i, "input", c.rand(tuple(shape)), batch=batch)
          for i in range(int(rng.randint(2, 5)))]
    axis = int(rng.randint(1 if batch else 0, len(shape) + 1))
    written = axis - len(shape) - 1 if rng.rand() < 0.3 else axis
    y = c.name("y")
    c.lines.append("output %s = stack(%s, axis = %d);" % (y, ", ".join(xs),
                                                         written))
    c.fn = lambda t: {y: torch.stack([t[x] for x in xs], dim=axis)}
    c.outputs = [y]
    c.out_batch = batch
    c.loss_of = y
    c.desc = "stack %d of %s along %d" % (len(xs), shape, axis)


def gen_split(c):
    """a, b, .. = split(x, pieces, axis = k): equal pieces or a list of
    sizes, joined again in reverse order (concat)."""
    rng = c.rng
    shape = list(rand_shape(rng, 1, 3, 1, 4))
    axis = int(rng.randint(0, len(shape)))
    shape[axis] = int(rng.randint(2, 9))
    batch = len(shape) >= 2 and axis != 0 and rng.rand() < 0.3
    if batch:
        shape[0] = BATCH
    x = c.leaf("x", "input", c.rand(tuple(shape)), batch=batch)
    extent = shape[axis]
    counts = [k for k in range(2, extent + 1) if extent % k == 0]
    if rng.rand() < 0.5:
        k = int(rng.choice(counts))
        sizes = [extent // k] * k
        pieces = str(k)
    else:
        cuts = sorted(rng.choice(range(1, extent), int(rng.randint(1, min(
            3, extent - 1) + 1)), replace=False))
        sizes = [int(b - a) for a, b in zip([0] + list(cuts),
                                            list(cuts) + [extent])]
        pieces = ints(sizes)
    names = [c.name("p%d" % i) for i in range(len(sizes))]
    y = c.name("y")
    c.lines.append("%s = split(%s, %s, axis = %d);" % (", ".join(names), x,
                                                       pieces, axis))
    c.lines.append("output %s = concat(%s, axis = %d);" % (
        y, ", ".join(reversed(names)), axis))
    c.fn = lambda t: {y: torch.cat(list(reversed(torch.split(t[x], sizes,
                                                             dim=axis))),
                                   dim=axis)}
    c.outputs = [y]
    c.out_batch = batch
    c.loss_of = y
    c.desc = "split %s %s along %d" % (shape, sizes, axis)


def gen_slice(c):
    """slice along any axis but the batch, start and end given or not,
    negative ones too."""
    rng = c.rng
    shape = list(rand_shape(rng, 1, 4, 1, 6))
    axis = int(rng.randint(0, len(shape)))
    batch = len(shape) >= 2 and axis != 0 and rng.rand() < 0.3
    if batch:
        shape[0] = BATCH
    x = c.leaf("x", "input", c.rand(tuple(shape)), batch=batch)
    extent = shape[axis]
    start = int(rng.randint(0, extent))
    end = int(rng.randint(start + 1, extent + 1))
    attrs = []
    if axis != len(shape) - 1 or rng.rand() < 0.5:
        attrs.append("axis = %d" % (axis - len(shape) if rng.rand() < 0.3
                                    else axis))
    if start or rng.rand() < 0.5:
        attrs.append("start = %d" % (start - extent if rng.rand() < 0.3
                                     else start))
    attrs.append("end = %d" % (end - extent if end < extent and
                               rng.rand() < 0.3 else end))
    y = c.name("y")
    c.lines.append("output %s = slice(%s, %s);" % (y, x, ", ".join(attrs)))
    c.fn = lambda t: {y: t[x].narrow(axis, start, end - start)}
    c.outputs = [y]
    c.out_batch = batch
    c.loss_of = y
    c.desc = "slice %s %s" % (shape, ", ".join(attrs))


def factorize(rng, n):
    """A random shape with n elements."""
    dims = []
    while n > 1 and len(dims) < 3:
        divs = [d for d in range(2, n + 1) if n % d == 0]
        d = int(rng.choice(divs))
        dims.append(d)
        n //= d
    if n > 1:
        dims.append(n)
    rng.shuffle(dims)
    return tuple(dims) or (1,)


def gen_reshape(c):
    rng = c.rng
    y = c.name("y")
    form = rng.choice(["reshape", "flatten", "reshape_batch"])
    if form == "reshape":
        shape = rand_shape(rng, 1, 3, 1, 4)
        x = c.leaf("x", "input", c.rand(shape))
        new = factorize(rng, int(np.prod(shape)))
        c.lines.append("output %s = reshape(%s, shape = %s);" % (y, x,
                                                                 ints(new)))
        c.fn = lambda t: {y: t[x].reshape(new)}
    elif form == "flatten":
        shape = rand_shape(rng, 2, 4, 1, 4)
        shape, batch = maybe_batch(c, shape, 0.5)
        x = c.leaf("x", "input", c.rand(shape), batch=batch)
        c.lines.append("output %s = flatten(%s);" % (y, x))
        c.fn = lambda t: {y: t[x].reshape(t[x].shape[0], -1)}
        c.out_batch = batch
        new = "flatten"
    else:
        shape = (BATCH,) + rand_shape(rng, 1, 3, 1, 4)
        x = c.leaf("x", "input", c.rand(shape), batch=True)
        rest = factorize(rng, int(np.prod(shape[1:])))
        c.lines.append("output %s = reshape(%s, shape = [batch, %s]);" % (
            y, x, ints(rest)[1:-1]))
        c.fn = lambda t: {y: t[x].reshape((BATCH,) + rest)}
        c.out_batch = True
        new = ("batch",) + rest
    c.outputs = [y]
    c.loss_of = y
    c.desc = "%s %s -> %s" % (form, shape, new)


def gen_reduce(c):
    rng = c.rng
    op = rng.choice(["sum", "mean", "reduce_max"])
    shape = rand_shape(rng, 1, 4, 1, 4)
    r = len(shape)
    x = c.leaf("x", "input", c.rand(shape))
    y = c.name("y")
    keep = rng.rand() < 0.5
    form = rng.choice(["all", "axes", "axis"])
    if form == "all":
        axes = list(range(r))
        args = ""
    elif form == "axis":
        a = int(rng.randint(-r, r))
        axes = [a % r]
        args = ", axis = %d" % a
    else:
        k = rng.randint(1, r + 1)
        axes = sorted(int(v) for v in rng.choice(r, k, replace=False))
        written = [a - r if rng.rand() < 0.3 else a for a in axes]
        args = ", axes = %s" % ints(written)
    if keep:
        args += ", keepdims = true"
    c.lines.append("output %s = %s(%s%s);" % (y, op, x, args))

    def fn(t):
        v = t[x]
        if op == "sum":
            return {y: v.sum(dim=axes, keepdim=keep)}
        if op == "mean":
            return {y: v.mean(dim=axes, keepdim=keep)}
        return {y: v.amax(dim=axes, keepdim=keep)}
    c.fn = fn
    c.outputs = [y]
    c.loss_of = y
    c.desc = "%s %s axes %s keepdims %s" % (op, shape, args, keep)


def gen_softmax(c):
    rng = c.rng
    op = rng.choice(["softmax", "log_softmax"])
    shape, batch = maybe_batch(c, rand_shape(rng, 1, 3, 1, 5))
    r = len(shape)
    x = c.leaf("x", "input", c.rand(shape, -3, 3), batch=batch)
    y = c.name("y")
    if rng.rand() < 0.3:
        axis = -1
        args = ""
    else:
        axis = int(rng.randint(-r, r))
        args = ", axis = %d" % axis if rng.rand() < 0.7 else ", %d" % axis
    c.lines.append("output %s = %s(%s%s);" % (y, op, x, args))
    f = F.softmax if op == "softmax" else F.log_softmax
    c.fn = lambda t: {y: f(t[x], dim=axis)}
    c.outputs = [y]
    c.out_batch = batch
    c.loss_of = y
    c.desc = "%s %s axis %d" % (op, shape, axis)


def gen_one_hot(c):
    rng = c.rng
    classes = rng.randint(2, 6)
    shape = rand_shape(rng, 0, 2, 1, 4)
    labels = rng.randint(0, classes, size=shape)
    if labels.size and rng.rand() < 0.3:
        # Out-of-range labels give a row of zeros.
        labels.flat[rng.randint(labels.size)] = rng.choice([-1, classes])
    lbl = c.leaf("lbl", "label", labels, dtype="i32")
    y = c.name("y")
    args = "classes = %d" % classes
    if c.dtype == "f64":
        args += ", dtype = f64"
    c.lines.append("output %s = one_hot(%s, %s);" % (y, lbl, args))
    tdt = TDT[c.dtype]

    def fn(t):
        v = t[lbl]
        eq = v.unsqueeze(-1) == torch.arange(classes)
        return {y: eq.to(tdt)}
    # Weighted in the loss too: the gradient w.r.t. r is one_hot itself.
    c.fn = fn
    c.outputs = [y]
    c.loss_of = y
    c.desc = "one_hot %s classes %d" % (shape, classes)


def loss_pair_shapes(rng, c):
    """Prediction and target shapes for an elementwise loss: equal, or one
    broadcasting to the other."""
    shape = rand_shape(rng, 1, 3, 1, 4)
    shape, batch = maybe_batch(c, shape)
    y_shape = t_shape = shape
    y_batch = t_batch = batch
    if rng.rand() < 0.3:
        other = operand_shape(rng, shape)
        if batch and len(other) == len(shape):
            other = (BATCH,) + other[1:]
        o_batch = batch and len(other) == len(shape)
        if rng.rand() < 0.7:
            t_shape, t_batch = other, o_batch
        else:
            y_shape, y_batch = other, o_batch
    return y_shape, y_batch, t_shape, t_batch


def gen_loss(c):
    rng = c.rng
    op = rng.choice(["mse", "mae", "half_squared_error",
                     "binary_cross_entropy", "cross_entropy",
                     "cross_entropy_probs",
                     "binary_cross_entropy_with_logits"])
    y = c.name("y")
    if op in ("cross_entropy", "cross_entropy_probs"):
        classes = rng.randint(1, 6)
        shape = rand_shape(rng, 0, 2, 1, 4)
        shape, batch = maybe_batch(c, shape + (classes,))
        z = c.leaf("z", "input", c.rand(shape, -3, 3), batch=batch)
        if op == "cross_entropy":
            tv = rng.randint(0, classes, size=shape[:-1])
            tt = c.leaf("t", "label", tv, dtype="i32",
                        batch=batch and len(shape) > 1)
        else:
            logits = rng.uniform(-2, 2, size=shape)
            tv = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
            tt = c.leaf("t", "label", tv, batch=batch)
        c.lines.append("output %s = cross_entropy(%s, %s);" % (y, z, tt))

        def fn(t):
            zz, tv_ = t[z], t[tt]
            if zz.dim() >= 2:
                zz = zz.movedim(-1, 1)
                if tv_.dim() == t[z].dim():
                    tv_ = tv_.movedim(-1, 1)
            return {y: F.cross_entropy(zz, tv_)}
        c.desc = "%s logits %s" % (op, shape)
    else:
        y_shape, y_batch, t_shape, t_batch = loss_pair_shapes(rng, c)
        if op == "binary_cross_entropy":
            pv = c.rand(y_shape, 0.05, 0.95)
            tv = c.rand(t_shape, 0, 1)
        elif op == "binary_cross_entropy_with_logits":
            # Logits past the range where a sigmoid saturates in f32.
            pv = c.rand(y_shape, -30, 30)
            tv = c.rand(t_shape, 0, 1)
        else:
            for _ in range(100):
                pv = c.rand(y_shape, -2, 2)
                tv = c.rand(t_shape, -2, 2)
                if op != "mae" or np.min(np.abs(pv - tv)) > 0.05:
                    break
        pp = c.leaf("p", "input", pv, batch=y_batch)
        tt = c.leaf("t", "label", tv, batch=t_batch)
        c.lines.append("output %s = %s(%s, %s);" % (y, op, pp, tt))

        def fn(t):
            a, b = t[pp], t[tt]
            if op == "mse":
                v = ((a - b) ** 2).mean()
            elif op == "mae":
                v = (a - b).abs().mean()
            elif op == "half_squared_error":
                v = 0.5 * ((a - b) ** 2).mean()
            elif op == "binary_cross_entropy_with_logits":
                v = (a.clamp(min=0) - a * b +
                     torch.log1p(torch.exp(-a.abs()))).mean()
            else:
                v = -(b * torch.log(a) + (1 - b) * torch.log(1 - a)).mean()
            if a.shape == b.shape and op != "half_squared_error":
                # The library's own loss as well: they must agree.
                lib = {"mse": F.mse_loss, "mae": F.l1_loss,
                       "binary_cross_entropy": F.binary_cross_entropy,
                       "binary_cross_entropy_with_logits":
                       F.binary_cross_entropy_with_logits}[op]
                ref = lib(a.detach(), b.detach())
                assert abs(float(ref) - float(v)) <= 1e-5 * max(1, abs(
                    float(ref))), (op, float(ref), float(v))
            return {y: v}
        c.desc = "%s %s %s" % (op, y_shape, t_shape)
    c.fn = fn
    c.outputs = [y]
    c.loss_of = y


def gen_metric(c):
    rng = c.rng
    op = rng.choice(["accuracy", "accuracy_onehot", "accuracy_binary",
                     "rmse", "r2"])
    m = c.name("m")
    n = BATCH
    batch = rng.rand() < 0.5
    if op == "accuracy" or op == "accuracy_onehot":
        classes = rng.randint(2, 6)
        shape = (n,) + rand_shape(rng, 0, 1, 1, 3) + (classes,)
        z = c.leaf("z", "input", c.rand(shape), batch=batch)
        lv = rng.randint(0, classes, size=shape[:-1])
        if op == "accuracy":
            tt = c.leaf("t", "label", lv, dtype="i32", batch=batch)
        else:
            tt = c.leaf("t", "label", np.eye(classes)[lv], batch=batch)

        def fn(t):
            lab = t[tt] if op == "accuracy" else t[tt].argmax(-1)
            right = (t[z].argmax(-1) == lab).to(t[z].dtype)
            return {m: right.mean()}
    elif op == "accuracy_binary":
        shape = (n, 1)
        z = c.leaf("z", "input", c.rand(shape, 0, 1), batch=batch)
        t_shape = shape if rng.rand() < 0.5 else (n,)
        tt = c.leaf("t", "label", (rng.rand(*t_shape) > 0.5), batch=batch)

        def fn(t):
            yv = (t[z] > 0.5).reshape(-1)
            tv = (t[tt] > 0.5).reshape(-1)
            return {m: (yv == tv).to(t[z].dtype).mean()}
    else:
        shape = (n,) + rand_shape(rng, 0, 2, 1, 4)
        z = c.leaf("z", "input", c.rand(shape), batch=batch)
        tt = c.leaf("t", "label", c.rand(shape), batch=batch)

        def fn(t):
            a, b = t[z], t[tt]
            if op == "rmse":
                return {m: torch.sqrt(((a - b) ** 2).mean())}
            res = ((b - a) ** 2).sum()
            tot = ((b - b.mean()) ** 2).sum()
            return {m: 1 - res / tot}
    call = op.split("_")[0] if op.startswith("accuracy") else op
    c.lines.append("metric %s = %s(%s, %s);" % (m, call, z, tt))
    c.fn = fn
    c.metrics = [m]
    c.desc = "%s %s" % (op, shape)


def conv_case_geometry(rng, spatial, mode, named):
    """Kernel, stride, dilation, padding before/after and input extent per
    spatial dim; the stride need not divide the padded extent (the output
    size is floored, as in PyTorch, and the tail is never read)."""
    for _ in range(1000):
        k = [int(rng.randint(1, 4)) for _ in range(spatial)]
        d = [int(rng.choice([1, 1, 2])) for _ in range(spatial)]
        s = [int(rng.choice([1, 1, 2, 3])) for _ in range(spatial)]
        if named == "same":
            s = [1] * spatial
        before, after, size = [], [], []
        ok = True
        for i in range(spatial):
            if named == "valid":
                pb = pa = 0
            elif named == "full":
                pb = pa = d[i] * (k[i] - 1)
            elif named == "same":
                tot = d[i] * (k[i] - 1)
                pb, pa = tot // 2, tot - tot // 2
            else:
                pb, pa = int(rng.randint(0, 3)), int(rng.randint(0, 3))
            span = d[i] * (k[i] - 1) + 1
            cands = [n for n in range(1, 9)
                     if n + pb + pa >= span and (mode != "reflect" or max(pb, pa) < n)
                     and (mode != "circular" or max(pb, pa) <= n)]
            if not cands:
                ok = False
                break
            before.append(pb)
            after.append(pa)
            size.append(int(rng.choice(cands)))
        if ok:
            return k, s, d, before, after, size
    raise RuntimeError("no conv geometry")


def gen_conv(c):
    rng = c.rng
    spatial = int(rng.choice([1, 2]))
    op = "conv%dd" % spatial
    groups = int(rng.choice([1, 1, 2, 3]))
    cpg, opg = rng.randint(1, 3), rng.randint(1, 3)
    cin, cout = groups * cpg, groups * opg
    mode = str(rng.choice(["zeros", "zeros", "reflect", "replicate",
                           "circular"]))
    named = None
    if mode == "zeros" and rng.rand() < 0.25:
        named = str(rng.choice(["same", "valid", "full"]))
    k, s, d, pb, pa, size = conv_case_geometry(rng, spatial, mode, named)
    n = int(rng.randint(1, 3))
    batch = rng.rand() < 0.3
    if batch:
        n = BATCH
    x = c.leaf("x", "input", c.rand((n, cin) + tuple(size)), batch=batch)
    y = c.name("y")
    form = rng.choice(["wb", "w", "create"])
    attrs = []
    if any(v != 1 for v in s) or rng.rand() < 0.3:
        attrs.append("stride = %s" % (str(s[0]) if spatial == 1 or rng.rand()
                                      < 0.3 and len(set(s)) == 1 else ints(s)))
    if named:
        attrs.append("padding = %s" % named)
    elif any(pb) or any(pa) or rng.rand() < 0.3:
        if pb == pa and len(set(pb)) == 1 and rng.rand() < 0.5:
            attrs.append("padding = %d" % pb[0])
        elif pb == pa and spatial == 2 and rng.rand() < 0.5:
            attrs.append("padding = %s" % ints(pb))
        else:
            attrs.append("padding = %s" % ints(pb + pa))
    if any(v != 1 for v in d) or rng.rand() < 0.3:
        attrs.append("dilation = %s" % (str(d[0]) if len(set(d)) == 1 and
                                        rng.rand() < 0.5 else ints(d)))
    if groups != 1 or rng.rand() < 0.2:
        attrs.append("groups = %d" % groups)
    if mode != "zeros" or rng.rand() < 0.1:
        attrs.append("padding_mode = %s" % mode)
    wshape = (cout, cpg) + tuple(k)
    if form in ("wb", "w"):
        w = c.leaf("W", "param", c.rand(wshape))
        b = c.leaf("b", "param", c.rand((cout,))) if form == "wb" else None
        args = [x, w] + ([b] if b else []) + attrs
    else:
        w = c.leaf(y + ".weight", "param", c.rand(wshape), declare=False)
        b = None
        kernel = "kernel = %s" % (str(k[0]) if len(set(k)) == 1 and
                                  rng.rand() < 0.5 else ints(k))
        if rng.rand() < 0.3:
            attrs.append("bias = false")
        else:
            b = c.leaf(y + ".bias", "param", c.rand((cout,)), declare=False)
        args = [x, str(cout), kernel] + attrs
    c.lines.append("output %s = %s(%s);" % (y, op, ", ".join(args)))
    # F.pad lists the last dim first: (left, right[, top, bottom]).
    pad = []
    for i in reversed(range(spatial)):
        pad += [pb[i], pa[i]]
    conv = F.conv1d if spatial == 1 else F.conv2d

    def fn(t):
        v = t[x]
        if any(pad):
            v = F.pad(v, pad, mode="constant" if mode == "zeros" else mode)
        return {y: conv(v, t[w], t[b] if b else None, stride=s, dilation=d,
                        groups=groups)}
    c.fn = fn
    c.outputs = [y]
    c.out_batch = batch
    c.loss_of = y
    c.desc = "%s x %s w %s %s" % (op, (n, cin) + tuple(size), wshape,
                                  ", ".join(attrs))


def gen_conv_tiled(c):
    """Ungrouped convolutions large enough for the register-tiled kernels
    (ConvTiles.h: at least a vector of flat positions per sample): channel
    counts that leave partial tiles, kernels up to 5, padding up to K + 1
    (more than K - 1 pads dy by a negative amount in dL/dx), and strides 2
    and 3, whose gradients run the tiles over dy spread by the stride."""
    rng = c.rng
    spatial = int(rng.choice([1, 2]))
    cin, cout = int(rng.randint(1, 8)), int(rng.randint(1, 10))
    k = [int(rng.randint(1, 6)) for _ in range(spatial)]
    pb = [int(rng.randint(0, ki + 2)) for ki in k]
    pa = [int(rng.randint(0, ki + 2)) for ki in k]
    st = [int(rng.choice([1, 1, 2, 3])) for _ in k]
    lo = 5 if spatial == 2 else 17
    size = [max(int(rng.randint(lo, lo + 12)), ki) for ki in k]
    conv_case(c, cin, cout, k, pb, pa, st, size)


def gen_conv_scatter(c):
    """Stride-1 2-D convolutions padded by less than half the kernel, whose
    dL/dx is a scatter from dy's flat rows (ConvTiles.h, scatterGradInput;
    LeNet-5's conv2 is one): kernels 3 to 5, channel counts that leave
    partial tiles of input channels, x an input so dL/dx is compared."""
    rng = c.rng
    cin, cout = int(rng.randint(1, 9)), int(rng.randint(1, 18))
    k = [int(rng.randint(3, 6)) for _ in range(2)]
    pb = [int(rng.randint(0, (ki - 1) // 2)) for ki in k]
    pa = [int(rng.randint(0, (ki - 1) // 2)) for ki in k]
    size = [int(rng.randint(8, 17)) for _ in k]
    conv_case(c, cin, cout, k, pb, pa, [1, 1], size)


def gen_conv_depthwise(c):
    """Depthwise convolutions (groups = input channels, one or two output
    channels per input channel; ConvDepthwise.h): kernels up to 5 (7 in
    1-D), padding up to K + 1, strides 1 to 3 (a strided dL/dx runs the
    direct loops), widths that leave a partial vector."""
    rng = c.rng
    spatial = int(rng.choice([1, 2]))
    cin = int(rng.randint(2, 7))
    cout = cin * int(rng.choice([1, 1, 2]))
    kmax = 6 if spatial == 2 else 8
    k = [int(rng.randint(1, kmax)) for _ in range(spatial)]
    pb = [int(rng.randint(0, ki + 2)) for ki in k]
    pa = [int(rng.randint(0, ki + 2)) for ki in k]
    st = [int(rng.choice([1, 1, 2, 3])) for _ in k]
    lo = 5 if spatial == 2 else 17
    size = [max(int(rng.randint(lo, lo + 14)), ki) for ki in k]
    conv_case(c, cin, cout, k, pb, pa, st, size, groups=cin)


def conv_case(c, cin, cout, k, pb, pa, st, size, groups=1):
    """A conv1d or conv2d case (by len(k)), x an input, an optional bias,
    padding pb before and pa after, stride st, `groups` channel groups."""
    rng = c.rng
    spatial = len(k)
    op = "conv%dd" % spatial
    n = BATCH if rng.rand() < 0.5 else int(rng.randint(1, 3))
    x = c.leaf("x", "input", c.rand((n, cin) + tuple(size)), batch=n == BATCH)
    y = c.name("y")
    wshape = (cout, cin // groups) + tuple(k)
    w = c.leaf("W", "param", c.rand(wshape))
    b = c.leaf("b", "param", c.rand((cout,))) if rng.rand() < 0.5 else None
    attrs = ["padding = %s" % ints(pb + pa)]
    if any(v != 1 for v in st):
        attrs.append("stride = %s" % ints(st))
    if groups != 1:
        attrs.append("groups = %d" % groups)
    c.lines.append("output %s = %s(%s);" % (
        y, op, ", ".join([x, w] + ([b] if b else []) + attrs)))
    pad = []
    for i in reversed(range(spatial)):
        pad += [pb[i], pa[i]]
    conv = F.conv1d if spatial == 1 else F.conv2d

    def fn(t):
        return {y: conv(F.pad(t[x], pad), t[w], t[b] if b else None,
                        stride=st, groups=groups)}
    c.fn = fn
    c.outputs = [y]
    c.out_batch = n == BATCH
    c.loss_of = y
    c.desc = "%s x %s w %s %s" % (op, (n, cin) + tuple(size), wshape,
                                  ", ".join(attrs))


def gen_pool(c):
    rng = c.rng
    spatial = int(rng.choice([1, 2]))
    kind = str(rng.choice(["max", "avg", "avg", "global"]))
    n = int(rng.randint(1, 3))
    batch = rng.rand() < 0.3
    if batch:
        n = BATCH
    ch = rng.randint(1, 4)
    y = c.name("y")
    if kind == "global":
        size = tuple(int(rng.randint(1, 6)) for _ in range(spatial))
        x = c.leaf("x", "input", c.rand((n, ch) + size), batch=batch)
        c.lines.append("output %s = global_avgpool(%s);" % (y, x))
        dims = list(range(2, 2 + spatial))
        c.fn = lambda t: {y: t[x].mean(dim=dims)}
        c.desc = "global_avgpool %s" % ((n, ch) + size,)
    else:
        k = [int(rng.randint(1, 4)) for _ in range(spatial)]
        default_stride = rng.rand() < 0.3
        s = list(k) if default_stride else [int(rng.randint(1, 4))
                                            for _ in range(spatial)]
        p = [int(rng.randint(0, kk // 2 + 1)) for kk in k]
        size = tuple(int(rng.randint(max(1, kk - 2 * pp), 9))
                     for kk, pp in zip(k, p))
        ceil = bool(rng.rand() < 0.4)
        cip = bool(rng.rand() < 0.5)
        x = c.leaf("x", "input", c.rand((n, ch) + size), batch=batch)
        op = "%spool%dd" % (kind, spatial)

        def one(v):
            return str(v[0]) if spatial == 1 or (len(set(v)) == 1 and
                                                 rng.rand() < 0.5) else ints(v)
        args = [x, one(k) if rng.rand() < 0.5 else "kernel = " + one(k)]
        if not default_stride:
            args.append("stride = " + one(s))
        if any(p) or rng.rand() < 0.2:
            args.append("padding = " + one(p))
        if ceil or rng.rand() < 0.2:
            args.append("ceil_mode = %s" % ("true" if ceil else "false"))
        if kind == "avg" and (not cip or rng.rand() < 0.2):
            args.append("count_include_pad = %s" % ("true" if cip else
                                                    "false"))
        c.lines.append("output %s = %s(%s);" % (y, op, ", ".join(args)))
        if kind == "max":
            f = F.max_pool1d if spatial == 1 else F.max_pool2d

            def fn(t):
                return {y: f(t[x], k, s, p, ceil_mode=ceil)}
        else:
            f = F.avg_pool1d if spatial == 1 else F.avg_pool2d

            def fn(t):
                return {y: f(t[x], k, s, p, ceil_mode=ceil,
                             count_include_pad=cip)}
        c.fn = fn
        c.desc = "%s x %s %s" % (op, (n, ch) + size, ", ".join(args[1:]))
    c.outputs = [y]
    c.out_batch = batch
    c.loss_of = y


# family: (generator, number of cases at scale 1)
FAMILIES = collections.OrderedDict([
    ("activation", (gen_activation, 40)),
    ("unary", (gen_unary, 30)),
    ("binary", (gen_binary, 50)),
    ("select", (gen_select, 10)),
    ("matmul", (gen_matmul, 20)),
    ("dense", (gen_dense, 24)),
    ("transpose", (gen_transpose, 12)),
    ("reshape", (gen_reshape, 16)),
    ("reduce", (gen_reduce, 36)),
    ("softmax", (gen_softmax, 20)),
    ("one_hot", (gen_one_hot, 10)),
    ("loss", (gen_loss, 48)),
    ("metric", (gen_metric, 20)),
    ("conv", (gen_conv, 60)),
    ("pool", (gen_pool, 60)),
    ("conv_tiled", (gen_conv_tiled, 12)),
    ("conv_scatter", (gen_conv_scatter, 8)),
    ("conv_depthwise", (gen_conv_depthwise, 12)),
    ("matmul_panels", (gen_matmul_panels, 2)),
    ("concat", (gen_concat, 10)),
    ("slice", (gen_slice, 10)),
    ("stack", (gen_stack, 6)),
    ("split", (gen_split, 6)),
    ("hard_activation", (gen_hard_activation, 8)),
    ("gelu", (gen_gelu, 8)),
    ("prelu", (gen_prelu, 8)),
    ("swiglu", (gen_swiglu, 8)),
    ("layer_norm", (gen_layer_norm, 10)),
    ("embedding", (gen_embedding, 8)),
    ("recurrent", (gen_recurrent, 12)),
    ("batch_norm", (gen_batch_norm, 10)),
    ("dropout", (gen_dropout, 4)),
])


# --- Running and comparing ------------------------------------------------


def model_text(cases):
    lines = ["model D {"]
    for c in cases:
        for name, leaf in c.leaves.items():
            if leaf.declare:
                lines.append("  %s %s: %s;" % (leaf.kind, name,
                                               leaf.lam_type()))
    for c in cases:
        lines += ["  " + l for l in c.lines]
    terms = [c.name("l") for c in cases if c.loss_of]
    if terms:
        lines.append("  loss %s;" % " + ".join(terms))
    lines.append("}")
    return "\n".join(lines) + "\n"


class Result:
    def __init__(self, case):
        self.case = case
        self.errors = {}     # tensor -> normalized max error
        self.failure = None  # text
        self.ok = False


def grad_leaves(c):
    """The leaves whose gradients are compared: every float one but the
    loss weight r (whose gradient is the forward result again)."""
    return [n for n, l in c.leaves.items()
            if l.dtype != "i32" and l.kind != "buffer" and n != c.name("r")]


def check_case(c, res):
    r = Result(c)
    t = torch_leaves(c)
    out = c.fn(t)
    tol = TOL[c.dtype]
    for name in c.outputs:
        r.errors[name] = max_error(res[name], out[name].detach().numpy()) \
            if name in res else float("inf")
    for name in c.metrics:
        key = "metric." + name
        r.errors[key] = max_error(res[key], out[name].detach().numpy()) \
            if key in res else float("inf")
    floats = grad_leaves(c)
    if c.loss_of and floats:
        wsum = (out[c.loss_of] * t[c.name("r")].reshape(
            out[c.loss_of].shape or (1,))).sum()
        grads = torch.autograd.grad(wsum, [t[n] for n in floats],
                                    allow_unused=True)
        for n, g in zip(floats, grads):
            ref = np.zeros_like(c.leaves[n].value) if g is None else \
                g.numpy()
            key = "grad." + n
            r.errors[key] = max_error(res[key], ref) if key in res else \
                float("inf")
    bad = {k: v for k, v in r.errors.items() if not v <= tol}
    r.ok = not bad
    if bad:
        r.failure = "errors above %g: %s" % (tol, ", ".join(
            "%s %.3g" % kv for kv in sorted(bad.items())))
    return r


def run_group(cases, work, lamina_run, tag):
    path = os.path.join(work, "%s.lam" % tag)
    with open(path, "w") as f:
        f.write(model_text(cases))
    feeds = {}
    for c in cases:
        for name, leaf in c.leaves.items():
            feeds[name] = leaf.value
    wrt = [n for c in cases if c.loss_of for n in grad_leaves(c)]
    res, err = run_lamina(lamina_run, path, feeds,
                          os.path.join(work, "%s.out.safetensors" % tag),
                          ["--wrt", ",".join(wrt)] if wrt else [])
    if res is None:
        if len(cases) > 1:
            out = []
            for c in cases:
                out += run_group([c], work, lamina_run, "case%d" % c.idx)
            return out
        r = Result(cases[0])
        r.failure = "lamina-run failed:\n" + err.strip()
        return [r]
    results = []
    for c in cases:
        try:
            results.append(check_case(c, res))
        except Exception as e:  # a PyTorch-side error is a test bug
            r = Result(c)
            r.failure = "reference failed: %r" % (e,)
            results.append(r)
    return results


def generate(seed, scale, families):
    rng = np.random.RandomState(seed)
    cases = []
    for fam, (gen, count) in FAMILIES.items():
        n = max(2, int(round(count * scale)))
        for i in range(n):
            dtype = "f64" if i % 2 else "f32"
            # Each case has its own generator, so a case does not change
            # when another family is added or filtered out.
            c = Case(fam, dtype, len(cases),
                     np.random.RandomState(rng.randint(2 ** 31)))
            cases.append(c)
    cases = [c for c in cases if not families or c.family in families]
    for c in cases:
        FAMILIES[c.family][0](c)
        c.finish()
    return cases


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lamina-run", default="lamina-run")
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiplies the number of cases per family")
    ap.add_argument("--families", default="",
                    help="comma-separated subset of: " + ", ".join(FAMILIES))
    ap.add_argument("--work", default="",
                    help="directory for model files and results")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--group", type=int, default=4,
                    help="cases per model file (one JIT compile each)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    t0 = time.time()
    fams = [f for f in args.families.split(",") if f]
    for f in fams:
        if f not in FAMILIES:
            ap.error("unknown family '%s'" % f)
    work = args.work or tempfile.mkdtemp(prefix="lamina-diff-")
    os.makedirs(work, exist_ok=True)
    cases = generate(args.seed, args.scale, fams)

    # Groups of one dtype; families mixed so that groups compile alike.
    groups = []
    for dt in ("f32", "f64"):
        mine = [c for c in cases if c.dtype == dt]
        for i in range(0, len(mine), args.group):
            groups.append(mine[i:i + args.group])
    results = []
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as ex:
        futs = [ex.submit(run_group, g, work, args.lamina_run, "group%d" % i)
                for i, g in enumerate(groups)]
        for fut in futs:
            results += fut.result()
    results.sort(key=lambda r: r.case.idx)

    # Per family and dtype: cases, passes, the largest error.
    stats = collections.OrderedDict()
    for r in results:
        key = (r.case.family, r.case.dtype)
        s = stats.setdefault(key, [0, 0, 0.0])
        s[0] += 1
        s[1] += r.ok
        if r.errors:
            s[2] = max(s[2], max(r.errors.values()))
    print("%-12s %-4s %6s %6s %10s" % ("family", "type", "cases", "passed",
                                       "max error"))
    for (fam, dt), (n, ok, err) in stats.items():
        print("%-12s %-4s %6d %6d %10.2e" % (fam, dt, n, ok, err))
    failed = [r for r in results if not r.ok]
    for r in failed:
        c = r.case
        print("\nFAIL case %d (%s, %s): %s" % (c.idx, c.family, c.dtype,
                                               c.desc))
        print(r.failure)
        print(c.text(), end="")
    if args.verbose:
        for r in results:
            print("case %d %s %s %s: %s" % (r.case.idx, r.case.family,
                                            r.case.dtype, r.case.desc,
                                            "ok" if r.ok else "FAIL"))
    print("differential: %d cases, %d passed, %d failed (%.1f s, work in %s)"
          % (len(results), len(results) - len(failed), len(failed),
             time.time() - t0, work))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
