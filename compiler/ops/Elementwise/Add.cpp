//===- Add.cpp - a + b with numpy broadcasting ----------------------------===//
//
// add(a, b) = a + b elementwise. The operands have the same element type and
// numpy-broadcastable shapes; the result has the broadcast shape.
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferBinaryBroadcast(n);
}

// d/da (a + b) = 1, d/db (a + b) = 1 (un-broadcast by autodiff)
static void buildGradient(const Node &n, GradBuilder &g) {
  g.accumulate(n.input(0), g.outGrad(n));
  g.accumulate(n.input(1), g.outGrad(n));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerBinary(n, ctx,
                     [](Halide::Expr a, Halide::Expr b) { return a + b; });
}

extern const OpInfo AddInfo = {"add",   2,     inferType, buildGradient,
                               nullptr, lower, nullptr};

} // namespace lamina
