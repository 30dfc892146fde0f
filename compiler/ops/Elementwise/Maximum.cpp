//===- Maximum.cpp - max(a, b) with numpy broadcasting --------------------===//
//
// maximum(a, b) = max(a, b) elementwise, with numpy broadcasting like add.
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"
#include "ops/FoldCommon.h"

#include <cmath>

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferBinaryBroadcast(n);
}

// d/da max(a, b) = a >= b ? 1 : 0,  d/db max(a, b) = a >= b ? 0 : 1
// On a tie the whole gradient goes to a, as a subgradient.
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *a = &n.input(0), *b = &n.input(1);
  Node *dy = g.outGrad(n);
  Node *bWins = g.greater(b, a);
  g.accumulate(*a, g.select(bWins, g.scalar(0.0, dy->dtype()), dy));
  g.accumulate(*b, g.select(bWins, dy, 0.0));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerBinary(n, ctx, [](Halide::Expr a, Halide::Expr b) {
    // NaN in either operand gives NaN, as in torch.maximum.
    // Each NaN test is explicit: Halide may rewrite a >= b as !(a < b),
    // which holds for a NaN b.
    return Halide::select(Halide::is_nan(a), a, Halide::is_nan(b), b, a >= b, a,
                          b);
  });
}

static std::optional<FoldValues> fold(const Node &n) {
  return foldBinary(
      n, [](double a, double b) { return std::isnan(a) || a >= b ? a : b; });
}

extern const OpInfo MaximumInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.fold = fold;
  op.lower = lower;
  op.fusible = true;
  op.operandDoc = "a, b";
  return op;
}();

} // namespace lamina
