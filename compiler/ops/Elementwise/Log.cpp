//===- Log.cpp - ln x -----------------------------------------------------===//
//
// log(x) = ln x elementwise, on floats: -inf at 0, nan below.
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"
#include "ops/FoldCommon.h"

#include <cmath>

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferUnaryFloat(n);
}

// d/dx ln x = 1 / x
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *x = &n.input(0);
  g.accumulate(*x, g.div(g.outGrad(n), x));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerUnary(n, ctx, [](Halide::Expr x) { return ieeeLog(x); });
}

static std::optional<FoldValues> fold(const Node &n) {
  return foldUnary(n, [](double x) { return std::log(x); });
}

extern const OpInfo LogInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.fold = fold;
  op.lower = lower;
  op.fusible = true;
  return op;
}();

} // namespace lamina
