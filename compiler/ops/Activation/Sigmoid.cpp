//===- Sigmoid.cpp - 1 / (1 + e^-x) ---------------------------------------===//
//
// sigmoid(x) = 1 / (1 + e^-x), the logistic function, in (0, 1). Lowered in a
// form that never overflows: e^-|x| is at most 1.
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"
#include "ops/FoldCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferUnaryFloat(n);
}

// y = s(x):  dy/dx = s(x) (1 - s(x)) = y (1 - y)
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *y = const_cast<Node *>(&n);
  g.accumulate(n.input(0), g.mul(g.outGrad(n), g.mul(y, g.sub(1.0, y))));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerUnary(n, ctx, [](Halide::Expr x) { return stableSigmoid(x); });
}

static std::optional<FoldValues> fold(const Node &n) {
  return foldUnary(n, sigmoidOf);
}

extern const OpInfo SigmoidInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.fold = fold;
  op.lower = lower;
  op.fusible = true;
  return op;
}();

} // namespace lamina
