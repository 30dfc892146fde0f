//===- LearnedForms.cpp - prelu, swiglu, embedding, the norms -> nodes ----===//
//
// Layer forms built of existing ops, with parameters of their own:
//   prelu(x, per_channel = false)  x > 0 ? x : a x, a learned slope
//                                  NAME.weight [1] (or [C], the channels of
//                                  dim 1) starting at 0.25, as torch.nn.PReLU;
//   swiglu(x, units, bias = true)  swish(x W + b) * (x V + c): dense layers
//                                  NAME (the gate) and NAME.1;
//   embedding(tokens, vocab, dim, dtype = f32)
//                                  rows of NAME.weight [vocab, dim], N(0, 1)
//                                  at first as torch.nn.Embedding; also
//                                  embedding(tokens, E) with a given table;
//   layer_norm(x, axes = -1, eps = 1e-5, affine = true)
//                                  (x - mean) / sqrt(var + eps) over the
//                                  trailing axes (biased variance), then
//                                  * NAME.weight (1) + NAME.bias (0), as
//                                  torch.nn.LayerNorm;
//   batch_norm(x, eps = 1e-5, momentum = 0.1, affine = true)
//                                  the op batch_norm over the channels of
//                                  dim 1 with the running statistics
//                                  NAME.running_mean (0) and running_var
//                                  (1), buffers the train step updates,
//                                  then * NAME.weight (1) + NAME.bias (0),
//                                  as torch.nn.BatchNorm1d/2d.
// The slopes, tables, weights and biases that PyTorch starts at fixed values
// (or draws from a fixed distribution) keep
// them whatever the train block's init, which replaces only the default
// (uniform_fan_in); swiglu's dense layers take the train block's init.
// Autodiff differentiates the expansions; no op is special to them.
//
//===----------------------------------------------------------------------===//
#include "ModelBuilder.h"

#include "lamina/Support.h"

namespace lamina {
namespace frontend {

Attrs ModelBuilder::fixedInit(const char *kind, double arg) {
  return {{"role", std::string("param")},
          {"init", std::string(kind)},
          {"init_arg", arg}};
}

/// "'prelu' needs a float tensor, got i32[batch, 4]" unless x is a float.
static bool needsFloat(const ast::CallExpr &c, const Node &x,
                       DiagnosticEngine &diag) {
  if (x.dtype() != DType::I32)
    return true;
  diag.error(c.loc(), "'" + c.callee + "' needs a float tensor, got " +
                          typeToString(x.type()));
  return false;
}

Node *ModelBuilder::emitPrelu(const ast::CallExpr &c) {
  std::optional<BoundArgs> args = bindArgs(c, {"#x", "per_channel"}, diag_);
  if (!args || !checkOperandCount(c, *args, 1))
    return nullptr;
  std::optional<bool> perChannel =
      boolArg(c, args->bound[1], "per_channel", false);
  Node *x = emit(*args->bound[0]->value);
  if (!x || !perChannel || !needsFloat(c, *x, diag_))
    return nullptr;
  Shape slopeShape = {1};
  if (*perChannel) {
    if (x->rank() < 2 || x->shape()[1] == kBatch) {
      diag_.error(c.loc(), "'prelu' with per_channel = true needs the "
                           "channels in dim 1 ([batch, channels, ...]), got " +
                               typeToString(x->type()));
      return nullptr;
    }
    slopeShape = {x->shape()[1]};
  }
  std::string name = nextDenseName();
  Node *w = makeParam(name + ".weight", {x->dtype(), slopeShape},
                      fixedInit("constant", 0.25), c.loc());
  Node *slope = w;
  if (*perChannel && x->rank() > 2) {
    // [C] -> [C, 1, ..]: one slope per channel, broadcast over the rest.
    Shape s(x->rank() - 1, 1);
    s[0] = slopeShape[0];
    slope = b_.build(OpKind::Reshape, {w}, {{"shape", s}}, c.loc());
  }
  Node *zero = b_.scalar(0.0, x->dtype(), c.loc());
  Node *positive = b_.build(OpKind::Greater, {x, zero}, {}, c.loc());
  Node *scaled =
      slope ? b_.build(OpKind::Mul, {slope, x}, {}, c.loc()) : nullptr;
  if (!positive || !scaled)
    return nullptr;
  return b_.build(OpKind::Select, {positive, x, scaled}, {}, c.loc());
}

Node *ModelBuilder::emitSwiglu(const ast::CallExpr &c) {
  std::optional<BoundArgs> args = bindArgs(c, {"#x", "units", "bias"}, diag_);
  if (!args || !checkOperandCount(c, *args, 1))
    return nullptr;
  std::optional<bool> bias = boolArg(c, args->bound[2], "bias", true);
  int64_t units = sizeArg(c, args->bound[1], "units");
  Node *x = emit(*args->bound[0]->value);
  if (!x || !bias || units == 0)
    return nullptr;
  Node *gate = denseLayer(c, x, units, *bias);
  Node *value = gate ? denseLayer(c, x, units, *bias) : nullptr;
  Node *swish = gate ? b_.build(OpKind::Swish, {gate}, {}, c.loc()) : nullptr;
  if (!value || !swish)
    return nullptr;
  return b_.build(OpKind::Mul, {swish, value}, {}, c.loc());
}

Node *ModelBuilder::emitLayerNorm(const ast::CallExpr &c) {
  std::optional<BoundArgs> args =
      bindArgs(c, {"#x", "axes", "eps", "affine"}, diag_, {{"axis", "axes"}});
  if (!args || !checkOperandCount(c, *args, 1))
    return nullptr;
  std::optional<Attr> axesArg =
      args->bound[1] ? attrValue(c, *args->bound[1],
                                 {"axes", AttrType::Ints, "", "", "axis"})
                     : std::optional<Attr>(std::vector<int64_t>{-1});
  std::optional<double> eps = positiveArg(c, args->bound[2], "eps", 1e-5);
  std::optional<bool> affine = boolArg(c, args->bound[3], "affine", true);
  Node *x = emit(*args->bound[0]->value);
  if (!x || !axesArg || !eps || !affine || !needsFloat(c, *x, diag_))
    return nullptr;
  // The axes: the trailing dims, each fixed (as torch's normalized_shape).
  const auto &given = std::get<std::vector<int64_t>>(*axesArg);
  std::optional<std::vector<int64_t>> axes =
      given.empty() ? std::nullopt : normalizeAxes(given, x->rank());
  int64_t rank = x->rank();
  bool trailing = axes && axes->back() == rank - 1 &&
                  axes->front() == rank - static_cast<int64_t>(axes->size());
  for (size_t i = 0; trailing && i < axes->size(); ++i)
    trailing = x->shape()[(*axes)[i]] != kBatch;
  if (!trailing) {
    std::string list;
    for (int64_t a : given)
      list += (list.empty() ? "" : ", ") + std::to_string(a);
    diag_.error(c.loc(), "'layer_norm' normalizes over trailing dims of "
                         "fixed size (axes = -1, or [-2, -1], ...); got "
                         "axes [" +
                             list + "] for " + typeToString(x->type()));
    return nullptr;
  }
  SourceLoc loc = c.loc();
  Attrs reduce = {{"axes", *axes}, {"keepdims", int64_t(1)}};
  Node *mean = b_.build(OpKind::Mean, {x}, reduce, loc);
  Node *centered = mean ? b_.build(OpKind::Sub, {x, mean}, {}, loc) : nullptr;
  if (!centered)
    return nullptr;
  Node *square = b_.build(OpKind::Mul, {centered, centered}, {}, loc);
  Node *var = b_.build(OpKind::Mean, {square}, reduce, loc);
  Node *shifted =
      b_.build(OpKind::Add, {var, b_.scalar(*eps, x->dtype(), loc)}, {}, loc);
  Node *std = b_.build(OpKind::Sqrt, {shifted}, {}, loc);
  Node *y = b_.build(OpKind::Div, {centered, std}, {}, loc);
  if (!y || !*affine)
    return y;
  Shape normalized(x->shape().begin() + axes->front(), x->shape().end());
  std::string name = nextDenseName();
  Node *w = makeParam(name + ".weight", {x->dtype(), normalized},
                      fixedInit("constant", 1.0), loc);
  Node *b = makeParam(name + ".bias", {x->dtype(), normalized},
                      fixedInit("constant", 0.0), loc);
  Node *scaled = b_.build(OpKind::Mul, {y, w}, {}, loc);
  return scaled ? b_.build(OpKind::Add, {scaled, b}, {}, loc) : nullptr;
}

Node *ModelBuilder::emitBatchNorm(const ast::CallExpr &c) {
  std::optional<BoundArgs> args =
      bindArgs(c, {"#x", "eps", "momentum", "affine"}, diag_);
  if (!args || !checkOperandCount(c, *args, 1))
    return nullptr;
  std::optional<double> eps = positiveArg(c, args->bound[1], "eps", 1e-5);
  double momentum = 0.1;
  bool momentumOk = true;
  if (const ast::Arg *a = args->bound[2]) {
    std::optional<double> v = numberValue(*a->value);
    momentumOk = v && *v >= 0 && *v <= 1;
    if (momentumOk)
      momentum = *v;
    else
      badArg(c, *a, "momentum", "a number in [0, 1]");
  }
  std::optional<bool> affine = boolArg(c, args->bound[3], "affine", true);
  Node *x = emit(*args->bound[0]->value);
  if (!x || !eps || !momentumOk || !affine || !needsFloat(c, *x, diag_))
    return nullptr;
  if (x->rank() < 2 || x->shape()[1] == kBatch) {
    diag_.error(c.loc(), "'batch_norm' normalizes the channels of dim 1 "
                         "([batch, channels, ...]), got " +
                             typeToString(x->type()));
    return nullptr;
  }
  SourceLoc loc = c.loc();
  TensorType perChannel{x->dtype(), {x->shape()[1]}};
  std::string name = nextDenseName();
  auto buffer = [&](const char *suffix, double init) {
    Attrs attrs = fixedInit("constant", init);
    attrs["role"] = std::string("buffer");
    return makeParam(name + suffix, perChannel, attrs, loc);
  };
  Node *mean = buffer(".running_mean", 0.0);
  Node *var = buffer(".running_var", 1.0);
  Node *y = b_.build(OpKind::BatchNorm, {x, mean, var},
                     {{"eps", *eps}, {"momentum", momentum}}, loc);
  if (!y || !*affine)
    return y;
  Node *w =
      makeParam(name + ".weight", perChannel, fixedInit("constant", 1.0), loc);
  Node *b =
      makeParam(name + ".bias", perChannel, fixedInit("constant", 0.0), loc);
  if (x->rank() > 2) {
    // [C] -> [C, 1, ..]: one weight and bias per channel.
    Shape s(x->rank() - 1, 1);
    s[0] = x->shape()[1];
    w = b_.build(OpKind::Reshape, {w}, {{"shape", s}}, loc);
    b = w ? b_.build(OpKind::Reshape, {b}, {{"shape", s}}, loc) : nullptr;
  }
  Node *scaled = b ? b_.build(OpKind::Mul, {y, w}, {}, loc) : nullptr;
  return scaled ? b_.build(OpKind::Add, {scaled, b}, {}, loc) : nullptr;
}

Node *ModelBuilder::emitEmbedding(const ast::CallExpr &c) {
  if (c.args.size() == 2 && givesTensor(c)) {
    std::optional<BoundArgs> args = bindArgs(c, {"#0", "#1"}, diag_);
    std::vector<Node *> operands;
    if (!args || !emitOperands(
                     {args->bound[0]->value.get(), args->bound[1]->value.get()},
                     std::nullopt, operands))
      return nullptr;
    return b_.build(OpKind::Embedding, operands, {}, c.loc());
  }
  std::optional<BoundArgs> args =
      bindArgs(c, {"#tokens", "vocab", "dim", "dtype"}, diag_);
  if (!args || !checkOperandCount(c, *args, 1))
    return nullptr;
  int64_t sizes[2] = {sizeArg(c, args->bound[1], "vocab"),
                      sizeArg(c, args->bound[2], "dim")};
  DType dt = DType::F32;
  if (const ast::Arg *a = args->bound[3]) {
    std::optional<Attr> v =
        attrValue(c, *a, {"dtype", AttrType::DType, "f32", ""});
    if (!v)
      return nullptr;
    dt = *parseDType(std::get<std::string>(*v));
    if (dt == DType::I32) {
      badArg(c, *a, "dtype", "f32 or f64");
      return nullptr;
    }
  }
  Node *tokens = emit(*args->bound[0]->value);
  if (!tokens || sizes[0] == 0 || sizes[1] == 0)
    return nullptr;
  if (tokens->dtype() != DType::I32) {
    diag_.error(c.loc(), "'embedding' needs i32 tokens, got " +
                             typeToString(tokens->type()) +
                             "; cast(x, i32) makes them");
    return nullptr;
  }
  if (boundedElements({sizes[0], sizes[1]}) < 0) {
    diag_.error(c.loc(), "table of 'embedding' would be [" +
                             std::to_string(sizes[0]) + ", " +
                             std::to_string(sizes[1]) +
                             "], more than 2^40 elements");
    return nullptr;
  }
  Node *table =
      makeParam(nextDenseName() + ".weight", {dt, {sizes[0], sizes[1]}},
                fixedInit("normal", 1.0), c.loc());
  return b_.build(OpKind::Embedding, {tokens, table}, {}, c.loc());
}

} // namespace frontend
} // namespace lamina
