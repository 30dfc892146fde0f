//===- Select.cpp - c != 0 ? a : b ----------------------------------------===//
//
// select(c, a, b) = c != 0 ? a : b elementwise, with numpy broadcasting over
// all three operands. a and b have the same element type, which the result
// takes; the condition c may have any element type.
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"
#include "ops/FoldCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  const TensorType &c = n.input(0).type(), &a = n.input(1).type(),
                   &b = n.input(2).type();
  if (a.dtype != b.dtype)
    return Expected<TensorType>::error(
        "'select' operands have different types " + typeToString(a) + " and " +
        typeToString(b));
  std::optional<Shape> ab = broadcastShapes(a.shape, b.shape);
  std::optional<Shape> s = ab ? broadcastShapes(c.shape, *ab) : std::nullopt;
  if (!s)
    return Expected<TensorType>::error(
        "'select' cannot broadcast " + shapeToString(c.shape) + ", " +
        shapeToString(a.shape) + " and " + shapeToString(b.shape));
  return TensorType{a.dtype, *s};
}

// y = c != 0 ? a : b:
//   dL/da = c != 0 ? dy : 0,  dL/db = c != 0 ? 0 : dy
// The condition is a mask, piecewise constant: it gets no gradient, and it
// is not reported either, since the gradients of a and b do not need one.
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *c = &n.input(0);
  Node *dy = g.outGrad(n);
  g.accumulate(n.input(1), g.select(c, dy, 0.0));
  g.accumulate(n.input(2), g.select(c, g.scalar(0.0, dy->dtype()), dy));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerElementwise(n, ctx, [](const std::vector<Halide::Expr> &x) {
    return Halide::select(x[0] != Halide::cast(x[0].type(), 0), x[1], x[2]);
  });
}

static std::optional<FoldValues> fold(const Node &n) {
  return foldElements(n,
                      [](const double *a) { return a[0] != 0 ? a[1] : a[2]; });
}

extern const OpInfo SelectInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.nonDiffOperands = 1u;
  op.fold = fold;
  op.lower = lower;
  op.fusible = true;
  op.operandDoc = "cond, a, b";
  return op;
}();

} // namespace lamina
