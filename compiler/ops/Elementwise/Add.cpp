//===- Add.cpp - a + b with numpy broadcasting ----------------------------===//
//
// add(a, b) = a + b elementwise. The operands have the same element type and
// numpy-broadcastable shapes; the result has the broadcast shape.
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"
#include "ops/FoldCommon.h"

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

static std::optional<FoldValues> fold(const Node &n) {
  return foldBinary(n, [](double a, double b) { return a + b; });
}

// x + 0 -> x and 0 + x -> x. This also turns -0.0 + 0 into -0.0, as
// compilers do under no-signed-zeros.
static Node *simplify(Node &n) {
  if (isSplat(n.input(1), 0.0))
    return &n.input(0);
  return isSplat(n.input(0), 0.0) ? &n.input(1) : nullptr;
}

extern const OpInfo AddInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.fold = fold;
  op.simplify = simplify;
  op.lower = lower;
  op.fusible = true;
  op.operandDoc = "a, b";
  return op;
}();

} // namespace lamina
