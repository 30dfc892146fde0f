//===- Pad.cpp - Pad the trailing dims (zeros/reflect/replicate/circular) -===//
//
// pad(x) with `padding` [before.., after..] over the last dims of x and
// `mode`; conv1d/conv2d with padding_mode other than zeros pad with it. See
// PadCommon.h.
//
//===----------------------------------------------------------------------===//
#include "ops/Shape/PadCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferPadType(n, n.input(0).shape());
}

// Every x[i] went to the outputs that read it: pad_grad sums them back.
static void buildGradient(const Node &n, GradBuilder &g) {
  Attrs a = n.attrs();
  a["input_shape"] = n.input(0).shape();
  g.accumulate(n.input(0), g.make(OpKind::PadGrad, {g.outGrad(n)}, a));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  const Node &x = n.input(0);
  PadSpec p = PadSpec::of(n, x.rank());
  Halide::Func f(ctx.name(n));
  std::vector<Halide::Var> v = ctx.vars(n);
  std::vector<Halide::Expr> idx = LowerContext::exprs(v);
  Halide::Expr inside = Halide::cast<bool>(true);
  for (size_t d = 0; d < p.before.size(); ++d) {
    unsigned dim = p.first + static_cast<unsigned>(d);
    int64_t extent = x.shape()[dim];
    Halide::Expr src = p.source(static_cast<unsigned>(d), v[dim], extent);
    inside = inside && src >= 0 && src < static_cast<int>(extent);
    // Zeros mode reads a clamped index and masks it.
    idx[dim] = Halide::clamp(src, 0, static_cast<int>(extent) - 1);
  }
  Halide::Expr val = ctx.read(n, 0, idx);
  if (p.mode == "zeros")
    val = Halide::select(inside, val, ctx.constant(n, 0));
  LowerContext::define(f, v, val);
  return f;
}

static constexpr AttrSpec kAttrs[] = {
    {"padding", AttrType::Ints, nullptr,
     "before and after amounts of the trailing dims: [b1, .., bk, a1, .., ak]"},
    {"mode", AttrType::String, "zeros",
     "zeros, reflect, replicate or circular"},
};

extern const OpInfo PadInfo = [] {
  OpInfo op;
  op.attrs = kAttrs;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.lower = lower;
  op.form = DslForm::None;
  return op;
}();

} // namespace lamina
