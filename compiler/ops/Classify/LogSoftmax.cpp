//===- LogSoftmax.cpp - x - logsumexp(x) along an axis
//---------------------===//
//
// log_softmax(x, axis = -1): y = (x - m) - ln sum_axis e^(x - m) with m the
// max along the axis; stable for any logits.
//
//===----------------------------------------------------------------------===//
#include "ops/Classify/SoftmaxCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  const TensorType &x = n.input(0).type();
  if (!isFloat(x.dtype))
    return typeError("'log_softmax' needs a float tensor, got " +
                     typeToString(x));
  if (!singleAxis(n))
    return typeError("'log_softmax' axis " +
                     std::to_string(intAttrOf(n, "axis")) +
                     " out of range for " + shapeToString(x.shape));
  return x;
}

// dy_i/dx_j = delta_ij - softmax_j = delta_ij - e^(y_j), so
//   dL/dx = dL/dy - e^y * sum_axis(dL/dy, keepdims).
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *y = const_cast<Node *>(&n), *dy = g.outGrad(n);
  Node *s = g.sum(dy, {*singleAxis(n)}, true);
  g.accumulate(n.input(0), g.sub(dy, g.mul(g.exp(y), s)));
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
                       p.shifted - ieeeLog(LowerContext::call(p.sumExp, rest)));
  return f;
}

static constexpr AttrSpec kAttrs[] = {
    {"axis", AttrType::Int, "-1", "the dim normalized"},
};

extern const OpInfo LogSoftmaxInfo = [] {
  OpInfo op;
  op.attrs = kAttrs;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.lower = lower;
  return op;
}();

} // namespace lamina
