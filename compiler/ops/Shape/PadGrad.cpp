//===- PadGrad.cpp - dL/dx of pad -----------------------------------------===//
//
// pad_grad(dy) with pad's attrs and `input_shape`: each output position's
// gradient is added to the input position it read (a scatter over dy's
// padded dims; the leading dims stay pure and parallel). Built only by
// pad's gradient rule.
//
//===----------------------------------------------------------------------===//
#include "ops/Shape/PadCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  if (!n.hasAttr("input_shape"))
    return typeError("'pad_grad' needs an 'input_shape' attribute");
  return TensorType{n.input(0).dtype(), n.intsAttr("input_shape")};
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  const Node &dy = n.input(0);
  PadSpec p = PadSpec::of(n, n.rank());
  Halide::Func f(ctx.name(n));
  std::vector<Halide::Var> v = ctx.vars(n);
  if (p.mode == "zeros") {
    // Each x[i] was read once, by y[i + before]: a plain gather.
    std::vector<Halide::Expr> idx = LowerContext::exprs(v);
    for (size_t d = 0; d < p.before.size(); ++d)
      idx[p.first + d] += static_cast<int>(p.before[d]);
    LowerContext::define(f, v, ctx.read(n, 0, idx));
    return f;
  }
  LowerContext::define(f, v, ctx.constant(n, 0));
  Halide::Region ranges;
  for (size_t d = 0; d < p.before.size(); ++d)
    ranges.push_back({0, static_cast<int>(dy.shape()[p.first + d])});
  Halide::RDom r(ranges, ctx.name(n) + "_r");
  std::vector<Halide::Expr> lhs = LowerContext::exprs(v), rhs = lhs;
  for (size_t d = 0; d < p.before.size(); ++d) {
    unsigned dim = p.first + static_cast<unsigned>(d);
    int64_t extent = n.shape()[dim];
    lhs[dim] = p.source(static_cast<unsigned>(d), r[d], extent);
    rhs[dim] = r[d];
  }
  at(f, lhs) += LowerContext::call(ctx.input(n, 0), rhs);
  return f;
}

// The scatter is serial over the padded dims; the leading dims (batch,
// channels) are parallel.
static void schedule(const Node &n, Halide::Func &f, LowerContext &ctx) {
  f.compute_root();
  std::vector<Halide::Var> args = f.args();
  bool leading = n.rank() > PadSpec::of(n, n.rank()).before.size();
  if (leading && ctx.parallel(n)) {
    f.parallel(args.back());
    if (f.has_update_definition())
      f.update().parallel(args.back());
  }
}

// Second derivatives of padding are not needed to train.
static constexpr AttrSpec kAttrs[] = {
    {"padding", AttrType::Ints, nullptr,
     "the padding of the pad it differentiates"},
    {"mode", AttrType::String, "zeros",
     "zeros, reflect, replicate or circular"},
    {"input_shape", AttrType::Shape, nullptr, "the shape of the padded input"},
};

extern const OpInfo PadGradInfo = [] {
  OpInfo op;
  op.attrs = kAttrs;
  op.inferType = inferType;
  op.noGradReason = "second derivatives of padding are not supported";
  op.lower = lower;
  op.schedule = schedule;
  op.form = DslForm::None;
  op.operandDoc = "dy";
  return op;
}();

} // namespace lamina
