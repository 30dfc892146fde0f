//===- Softmax.cpp - e^x / sum e^x along an axis
//---------------------------===//
//
// softmax(x, axis = -1): y = e^(x - m) / sum_axis e^(x - m) with m the max
// along the axis, which keeps every exponent <= 0 (no overflow).
//
//===----------------------------------------------------------------------===//
#include "ops/Classify/SoftmaxCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  const TensorType &x = n.input(0).type();
  if (!isFloat(x.dtype))
    return typeError("'softmax' needs a float tensor, got " + typeToString(x));
  if (!singleAxis(n))
    return typeError("'softmax' axis " + std::to_string(intAttrOf(n, "axis")) +
                     " out of range for " + shapeToString(x.shape));
  return x;
}

// dy_i/dx_j = y_i (delta_ij - y_j), so
//   dL/dx = y * (dL/dy - sum_axis(dL/dy * y, keepdims)).
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *y = const_cast<Node *>(&n), *dy = g.outGrad(n);
  Node *s = g.sum(g.mul(dy, y), {*singleAxis(n)}, true);
  g.accumulate(n.input(0), g.mul(y, g.sub(dy, s)));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  Halide::Func f(ctx.name(n));
  int64_t axis = *singleAxis(n);
  SoftmaxParts p = softmaxParts(n, 0, axis, ctx);
  std::vector<Halide::Expr> rest;
  for (size_t d = 0; d < p.v.size(); ++d)
    if (static_cast<int64_t>(d) != axis)
      rest.push_back(p.v[d]);
  LowerContext::define(f, p.v,
                       ieeeExp(p.shifted) / LowerContext::call(p.sumExp, rest));
  return f;
}

static constexpr AttrSpec kAttrs[] = {
    {"axis", AttrType::Int, "-1", "the dim normalized"},
};

extern const OpInfo SoftmaxInfo = [] {
  OpInfo op;
  op.attrs = kAttrs;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.lower = lower;
  return op;
}();

} // namespace lamina
