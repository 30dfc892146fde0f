//===- Greater.cpp - a > b ? 1 : 0 ----------------------------------------===//
//
// greater(a, b) = a > b ? 1 : 0 elementwise, in the operands' element type,
// with numpy broadcasting like add. Gradient rules use it as a mask for
// select.
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"
#include "ops/FoldCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferBinaryBroadcast(n);
}

// No gradient: the result is piecewise constant in a and b.
static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerBinary(n, ctx, [&](Halide::Expr a, Halide::Expr b) {
    return Halide::select(a > b, ctx.constant(n, 1), ctx.constant(n, 0));
  });
}

static std::optional<FoldValues> fold(const Node &n) {
  return foldBinary(n, [](double a, double b) { return a > b ? 1.0 : 0.0; });
}

extern const OpInfo GreaterInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.noGradReason =
      "greater is a 0/1 comparison with zero gradient almost everywhere";
  op.fold = fold;
  op.lower = lower;
  op.fusible = true;
  op.operandDoc = "a, b";
  return op;
}();

} // namespace lamina
