//===- Sqrt.cpp - sqrt x --------------------------------------------------===//
//
// sqrt(x) elementwise, on floats: nan below 0. The gradient is infinite at 0.
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"
#include "ops/FoldCommon.h"

#include <cmath>

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferUnaryFloat(n);
}

// d/dx sqrt x = 1 / (2 sqrt x) = 1 / (2 y)
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *y = const_cast<Node *>(&n);
  g.accumulate(n.input(0), g.div(g.outGrad(n), g.mul(y, 2.0)));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerUnary(n, ctx, [](Halide::Expr x) { return Halide::sqrt(x); });
}

static std::optional<FoldValues> fold(const Node &n) {
  return foldUnary(n, [](double x) { return std::sqrt(x); });
}

extern const OpInfo SqrtInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.fold = fold;
  op.lower = lower;
  op.fusible = true;
  return op;
}();

} // namespace lamina
