//===- RecurrentForms.cpp - rnn, lstm and gru, unrolled over time ---------===//
//
// x [batch, time, features] with a fixed time dim; the recurrence is
// unrolled into one chain of nodes per step, and backpropagation through
// time is autodiff of that chain. With G gates (rnn 1, lstm 4, gru 3) and H
// hidden units, each form creates (our dense convention, [in, out])
//   NAME.weight_ih [features, G H]   NAME.weight_hh [H, G H]
//   NAME.bias_ih   [G H]             NAME.bias_hh   [G H]
// which are PyTorch's weight_ih_l0, weight_hh_l0 (transposed), bias_ih_l0
// and bias_hh_l0, gates in PyTorch's order, starting as PyTorch's do
// (uniform_fan_in with fan_in = H, U(-1/sqrt H, 1/sqrt H)):
//   rnn   h_t = act(x_t U + b_ih + h_{t-1} W + b_hh), the notes' formula
//         (act tanh or relu);
//   lstm  i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of the four gates;
//         c_t = f c_{t-1} + i g, h_t = o tanh(c_t);
//   gru   r, z = sigmoid of the first two gates;
//         n = tanh(x_t W_in + b_in + r (h_{t-1} W_hn + b_hn));
//         h_t = (1 - z) n + z h_{t-1}.
// x_t U + b_ih is one dense over every step at once. The result is h_t of
// every step, [batch, time, H] (return_sequences = true, the default), or
// of the last, [batch, H]. The initial state (h0, and c0 for lstm) is zero
// unless given as further operands [batch, H].
//
//===----------------------------------------------------------------------===//
#include "ModelBuilder.h"

#include "lamina/Support.h"

namespace lamina {
namespace frontend {

/// One recurrent call being unrolled.
struct ModelBuilder::Recurrence {
  enum class Cell { Rnn, Lstm, Gru };
  Cell cell = Cell::Rnn;
  SourceLoc loc;
  int64_t rows = kBatch;
  int64_t hidden = 0;
  int64_t gates = 1;
  OpKind act = OpKind::Tanh;
  Node *wh = nullptr;
  Node *bh = nullptr;
};

Node *ModelBuilder::sliceLast(Node *x, int64_t start, int64_t size,
                              const SourceLoc &loc) {
  if (!x)
    return nullptr;
  return b_.build(
      OpKind::Slice, {x},
      {{"axis", int64_t(-1)}, {"start", start}, {"end", start + size}}, loc);
}

Node *ModelBuilder::op(OpKind k, std::vector<Node *> in, const SourceLoc &loc) {
  for (Node *n : in)
    if (!n)
      return nullptr;
  return b_.build(k, std::move(in), {}, loc);
}

using Cell = ModelBuilder::Recurrence::Cell;

Node *ModelBuilder::emitRecurrent(const ast::CallExpr &c) {
  Recurrence r;
  r.loc = c.loc();
  r.cell = c.callee == "lstm"  ? Cell::Lstm
           : c.callee == "gru" ? Cell::Gru
                               : Cell::Rnn;
  r.gates = r.cell == Cell::Lstm ? 4 : r.cell == Cell::Gru ? 3 : 1;
  unsigned states = r.cell == Cell::Lstm ? 2 : 1;
  // rnn(x, U, W[, b_ih[, b_hh]]) gives the weights; rnn(x, hidden, ..)
  // creates them.
  bool given = givesTensor(c);
  std::vector<std::string> params = {"#x"};
  if (given) {
    for (const char *p : {"#weight_ih", "#weight_hh", "#bias_ih", "#bias_hh"})
      params.push_back(p);
  } else {
    params.push_back("hidden");
    for (unsigned i = 0; i < states; ++i)
      params.push_back("#state" + std::to_string(i));
  }
  size_t options = params.size();
  params.push_back("return_sequences");
  if (r.cell == Cell::Rnn)
    params.push_back("activation");
  std::optional<BoundArgs> args = bindArgs(c, params, diag_);
  if (!args)
    return nullptr;
  size_t positional = args->positional;
  if (given ? positional < 3 : (positional != 2 && positional != 2 + states)) {
    std::string what =
        given ? "x, weight_ih, weight_hh and optionally bias_ih, bias_hh"
              : std::string("x, hidden and optionally ") +
                    (states == 1 ? "h0" : "h0, c0");
    diag_.error(c.loc(), "'" + c.callee + "' takes " + what + ", got " +
                             std::to_string(positional) +
                             " positional arguments");
    return nullptr;
  }
  if (!given && !(r.hidden = sizeArg(c, args->bound[1], "hidden")))
    return nullptr;
  std::optional<bool> sequences =
      boolArg(c, args->bound[options], "return_sequences", true);
  if (!sequences)
    return nullptr;
  if (r.cell == Cell::Rnn) {
    if (const ast::Arg *a = args->bound[options + 1]) {
      const auto *n = a->value->as<ast::NameRef>();
      if (!n || (n->name != "tanh" && n->name != "relu")) {
        badArg(c, *a, "activation", "tanh or relu");
        return nullptr;
      }
      r.act = n->name == "tanh" ? OpKind::Tanh : OpKind::Relu;
    }
  }
  Node *x = emit(*args->bound[0]->value);
  if (!x)
    return nullptr;
  const Shape &xs = x->shape();
  if (x->dtype() == DType::I32 || x->rank() != 3 || xs[1] == kBatch ||
      xs[2] == kBatch) {
    diag_.error(c.loc(), "'" + c.callee +
                             "' needs a float x [batch, time, features] with "
                             "a fixed time dim, got " +
                             typeToString(x->type()));
    return nullptr;
  }
  r.rows = xs[0];
  int64_t in = xs[2], time = xs[1];
  Node *wi = nullptr, *bi = nullptr;
  std::vector<Node *> state(states, nullptr);
  if (given) {
    std::vector<Node *> w(4, nullptr);
    for (size_t i = 0; i < 4; ++i)
      if (const ast::Arg *a = args->bound[1 + i])
        if (!(w[i] = emit(*a->value, x->dtype())))
          return nullptr;
    if (!checkGivenWeights(r, *x, w))
      return nullptr;
    wi = w[0];
    r.wh = w[1];
    bi = w[2];
    r.bh = w[3];
  } else {
    TensorType stateType{x->dtype(), {r.rows, r.hidden}};
    for (unsigned i = 0; i < states && positional > 2; ++i) {
      state[i] = emit(*args->bound[2 + i]->value);
      if (!state[i])
        return nullptr;
      if (state[i]->type() != stateType) {
        diag_.error(c.loc(), "initial state " + std::to_string(i + 1) +
                                 " of '" + c.callee + "' must be " +
                                 typeToString(stateType) + ", got " +
                                 typeToString(state[i]->type()));
        return nullptr;
      }
    }
    int64_t width = r.gates * r.hidden;
    if (boundedElements({in + r.hidden, width}) < 0) {
      diag_.error(c.loc(), "weights of '" + c.callee +
                               "' would have more than 2^40 elements");
      return nullptr;
    }
    std::string name = nextDenseName();
    auto param = [&](const char *suffix, Shape s) {
      return makeParam(name + suffix, {x->dtype(), std::move(s)},
                       initAttrs(r.hidden, width), c.loc());
    };
    wi = param(".weight_ih", {in, width});
    r.wh = param(".weight_hh", {r.hidden, width});
    bi = param(".bias_ih", {width});
    r.bh = param(".bias_hh", {width});
  }
  int64_t width = r.gates * r.hidden;
  // x_t U + b_ih for every step at once.
  std::vector<Node *> operands = {x, wi};
  if (bi)
    operands.push_back(bi);
  Node *xw = b_.build(OpKind::Dense, operands, {}, c.loc());
  std::vector<Node *> outs;
  for (int64_t t = 0; t < time && xw; ++t) {
    Node *step =
        b_.build(OpKind::Slice, {xw},
                 {{"axis", int64_t(1)}, {"start", t}, {"end", t + 1}}, c.loc());
    Node *xt = step ? b_.build(OpKind::Reshape, {step},
                               {{"shape", Shape{r.rows, width}}}, c.loc())
                    : nullptr;
    if (!xt || !cellStep(r, xt, state))
      return nullptr;
    outs.push_back(state[0]);
  }
  if (!xw)
    return nullptr;
  if (!*sequences)
    return outs.back();
  std::vector<Node *> rows;
  for (Node *o : outs)
    rows.push_back(b_.build(OpKind::Reshape, {o},
                            {{"shape", Shape{r.rows, 1, r.hidden}}}, c.loc()));
  for (Node *row : rows)
    if (!row)
      return nullptr;
  if (rows.size() == 1)
    return rows[0];
  return b_.build(OpKind::Concat, rows, {{"axis", int64_t(1)}}, c.loc());
}

bool ModelBuilder::checkGivenWeights(Recurrence &r, const Node &x,
                                     const std::vector<Node *> &w) {
  const Node &wh = *w[1];
  r.hidden = wh.rank() == 2 ? wh.shape()[0] : 0;
  int64_t width = r.gates * r.hidden;
  std::vector<TensorType> want = {{x.dtype(), {x.shape()[2], width}},
                                  {x.dtype(), {r.hidden, width}},
                                  {x.dtype(), {width}},
                                  {x.dtype(), {width}}};
  const char *names[] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
  const char *callee = r.cell == Cell::Rnn    ? "rnn"
                       : r.cell == Cell::Lstm ? "lstm"
                                              : "gru";
  std::string gates = r.gates == 1 ? "H" : std::to_string(r.gates) + " H";
  for (size_t i = 0; i < 4; ++i) {
    if (!w[i] || (w[i]->type() == want[i] && r.hidden > 0))
      continue;
    diag_.error(r.loc, "'" + std::string(callee) +
                           "' with given weights needs weight_ih [features, " +
                           gates + "], weight_hh [H, " + gates +
                           "] and biases [" + gates +
                           "] of x's type, H the rows of weight_hh; " +
                           names[i] + " is " + typeToString(w[i]->type()));
    return false;
  }
  return true;
}

bool ModelBuilder::cellStep(const Recurrence &r, Node *xt,
                            std::vector<Node *> &state) {
  const SourceLoc &loc = r.loc;
  int64_t H = r.hidden;
  Node *h = state[0];
  // h W + b_hh; with no state yet (h = 0) it is b_hh, and with no b_hh
  // either, nothing (nullptr).
  Node *hw = r.bh;
  if (h) {
    std::vector<Node *> operands = {h, r.wh};
    if (r.bh)
      operands.push_back(r.bh);
    if (!(hw = b_.build(OpKind::Dense, operands, {}, loc)))
      return false;
  }
  auto plus = [&](Node *a, Node *b) {
    return b ? op(OpKind::Add, {a, b}, loc) : a;
  };
  switch (r.cell) {
  case Cell::Rnn:
    state[0] = op(r.act, {plus(xt, hw)}, loc);
    return state[0] != nullptr;
  case Cell::Lstm: {
    Node *z = plus(xt, hw);
    Node *i = op(OpKind::Sigmoid, {sliceLast(z, 0, H, loc)}, loc);
    Node *f = op(OpKind::Sigmoid, {sliceLast(z, H, H, loc)}, loc);
    Node *g = op(OpKind::Tanh, {sliceLast(z, 2 * H, H, loc)}, loc);
    Node *o = op(OpKind::Sigmoid, {sliceLast(z, 3 * H, H, loc)}, loc);
    Node *ig = op(OpKind::Mul, {i, g}, loc);
    Node *c = state[1] ? op(OpKind::Add,
                            {op(OpKind::Mul, {f, state[1]}, loc), ig}, loc)
                       : ig;
    state[1] = c;
    state[0] = op(OpKind::Mul, {o, op(OpKind::Tanh, {c}, loc)}, loc);
    return state[0] != nullptr;
  }
  case Cell::Gru: {
    // One node per statement: the order of argument evaluation, and so the
    // numbering of the dump, differs between compilers.
    Node *xrz = sliceLast(xt, 0, 2 * H, loc);
    Node *hrz = hw ? sliceLast(hw, 0, 2 * H, loc) : nullptr;
    Node *rz = op(OpKind::Sigmoid, {plus(xrz, hrz)}, loc);
    Node *rg = sliceLast(rz, 0, H, loc), *zg = sliceLast(rz, H, H, loc);
    Node *hn =
        hw ? op(OpKind::Mul, {rg, sliceLast(hw, 2 * H, H, loc)}, loc) : nullptr;
    Node *n = op(OpKind::Tanh, {plus(sliceLast(xt, 2 * H, H, loc), hn)}, loc);
    // (1 - z) n + z h = n + z (h - n); with h = 0, n - z n.
    Node *diff = h ? op(OpKind::Sub, {h, n}, loc) : op(OpKind::Neg, {n}, loc);
    state[0] = op(OpKind::Add, {n, op(OpKind::Mul, {zg, diff}, loc)}, loc);
    return state[0] != nullptr;
  }
  }
  return false;
}

} // namespace frontend
} // namespace lamina
