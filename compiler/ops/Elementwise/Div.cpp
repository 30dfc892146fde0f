//===- Div.cpp - a / b with numpy broadcasting ----------------------------===//
//
// div(a, b) = a / b elementwise, with numpy broadcasting like add. Floats
// follow IEEE (x / 0 is inf or nan); i32 division is Halide's, which rounds
// toward negative infinity and gives 0 for x / 0.
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"
#include "ops/FoldCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferBinaryBroadcast(n);
}

// y = a / b:  d/da = 1 / b,  d/db = -a / b^2 = -y / b
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *b = &n.input(1);
  // Reuse the forward value y instead of recomputing a / b.
  Node *y = const_cast<Node *>(&n);
  Node *dy = g.outGrad(n);
  g.accumulate(n.input(0), g.div(dy, b));
  g.accumulate(*b, g.neg(g.div(g.mul(dy, y), b)));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerBinary(n, ctx,
                     [](Halide::Expr a, Halide::Expr b) { return a / b; });
}

static std::optional<FoldValues> fold(const Node &n) {
  return foldBinary(n, [](double a, double b) { return a / b; });
}

// x / 1 -> x
static Node *simplify(Node &n) {
  return isSplat(n.input(1), 1.0) ? &n.input(0) : nullptr;
}

extern const OpInfo DivInfo = [] {
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
