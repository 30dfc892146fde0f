//===- Tanh.cpp - tanh x --------------------------------------------------===//
//
// tanh(x) = (e^x - e^-x) / (e^x + e^-x) = 2 sigmoid(2x) - 1, in (-1, 1).
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"
#include "ops/FoldCommon.h"

#include <cmath>

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferUnaryFloat(n);
}

// y = tanh x:  dy/dx = 1 - tanh^2 x = 1 - y^2
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *y = const_cast<Node *>(&n);
  g.accumulate(n.input(0), g.mul(g.outGrad(n), g.sub(1.0, g.mul(y, y))));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerUnary(n, ctx, [](Halide::Expr x) { return Halide::tanh(x); });
}

static std::optional<FoldValues> fold(const Node &n) {
  return foldUnary(n, [](double x) { return std::tanh(x); });
}

extern const OpInfo TanhInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.fold = fold;
  op.lower = lower;
  op.fusible = true;
  return op;
}();

} // namespace lamina
