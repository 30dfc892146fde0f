//===- Neg.cpp - -x -------------------------------------------------------===//
//
// neg(x) = -x elementwise, on floats or i32.
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"
#include "ops/FoldCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferUnaryAny(n);
}

// d/dx (-x) = -1
static void buildGradient(const Node &n, GradBuilder &g) {
  g.accumulate(n.input(0), g.neg(g.outGrad(n)));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerUnary(n, ctx, [&](Halide::Expr x) {
    // x * -1, not Halide's -x (0 - x), which gives +0 for +0 under
    // strict_float; torch.neg(0.) is -0.
    return x * ctx.constant(n, -1);
  });
}

static std::optional<FoldValues> fold(const Node &n) {
  return foldUnary(n, [](double x) { return -x; });
}

// neg(neg(x)) -> x
static Node *simplify(Node &n) {
  Node &x = n.input(0);
  return x.kind() == OpKind::Neg ? &x.input(0) : nullptr;
}

extern const OpInfo NegInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.fold = fold;
  op.simplify = simplify;
  op.lower = lower;
  op.fusible = true;
  return op;
}();

} // namespace lamina
