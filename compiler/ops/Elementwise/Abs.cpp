//===- Abs.cpp - |x| ------------------------------------------------------===//
//
// abs(x) = |x| elementwise, on floats or i32 (abs of the smallest i32 wraps to
// itself).
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"
#include "ops/FoldCommon.h"

#include <cmath>

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferUnaryAny(n);
}

// d/dx |x| = sign(x) (0 at x = 0, a subgradient)
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *x = &n.input(0);
  g.accumulate(*x, g.mul(g.sign(x), g.outGrad(n)));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  // Halide's abs of an int is unsigned; cast it back to the node's type.
  return lowerUnary(
      n, ctx, [&](Halide::Expr x) { return ctx.cast(n, Halide::abs(x)); });
}

static std::optional<FoldValues> fold(const Node &n) {
  return foldUnary(n, [](double x) { return std::fabs(x); });
}

extern const OpInfo AbsInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.fold = fold;
  op.lower = lower;
  op.fusible = true;
  return op;
}();

} // namespace lamina
