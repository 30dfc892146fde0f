//===- Exp.cpp - e^x ------------------------------------------------------===//
//
// exp(x) = e^x elementwise, on floats. Overflows to inf past ~88 (f32) or
// ~709 (f64).
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"
#include "ops/FoldCommon.h"

#include <cmath>

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferUnaryFloat(n);
}

// d/dx e^x = e^x = y
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *y = const_cast<Node *>(&n);
  g.accumulate(n.input(0), g.mul(g.outGrad(n), y));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerUnary(n, ctx, [](Halide::Expr x) { return ieeeExp(x); });
}

static std::optional<FoldValues> fold(const Node &n) {
  return foldUnary(n, [](double x) { return std::exp(x); });
}

extern const OpInfo ExpInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.fold = fold;
  op.lower = lower;
  op.fusible = true;
  return op;
}();

} // namespace lamina
