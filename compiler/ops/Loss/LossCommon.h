//===- LossCommon.h - Type rule and lowering of elementwise losses --------===//
//
// mse, mae, half_squared_error, binary_cross_entropy, rmse and r2 compare a
// prediction y with a target t element by element and average over every
// element. The shapes must be equal, or one must broadcast to the other (a
// scalar target, say). Shapes that broadcast only to a third shape, such as
// [batch, 1] and [batch] -> [batch, batch], are rejected: that is almost
// always a missing reshape, not a wish for an outer difference.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_OPS_LOSS_LOSSCOMMON_H
#define LAMINA_OPS_LOSS_LOSSCOMMON_H

#include "ops/ReduceCommon.h"

#include <functional>

namespace lamina {

/// The shape y and t are compared at (both already type-checked).
inline Shape pairShape(const Node &n) {
  return *broadcastShapes(n.input(0).shape(), n.input(1).shape());
}

/// The type rule of an elementwise loss or metric named `op`: a rank-0
/// tensor of the operands' float dtype.
inline Expected<TensorType> inferPairType(const Node &n, const char *op) {
  const TensorType &y = n.input(0).type(), &t = n.input(1).type();
  std::string both = shapeToString(y.shape) + " and " + shapeToString(t.shape);
  if (y.dtype != t.dtype || !isFloat(y.dtype))
    return typeError(std::string("'") + op +
                     "' needs a prediction and a target of one float type, "
                     "got " +
                     typeToString(y) + " and " + typeToString(t));
  std::optional<Shape> s = broadcastShapes(y.shape, t.shape);
  if (!s)
    return typeError(std::string("'") + op + "' shapes differ: " + both);
  if (*s != y.shape && *s != t.shape)
    return typeError(std::string("'") + op + "' shapes differ: " + both +
                     " (broadcasting them would give " + shapeToString(*s) +
                     ")");
  return TensorType{y.dtype, {}};
}

/// Elementwise term of a loss, from the prediction and target values.
using PairTerm = std::function<Halide::Expr(Halide::Expr, Halide::Expr)>;

/// Defines f() = sum over pairShape(n) of term(y, t), without dividing.
inline void definePairSum(Halide::Func &f, const Node &n, LowerContext &ctx,
                          const PairTerm &term) {
  Shape s = pairShape(n);
  ReduceIndex ri = fullReduceIndex(s, ctx, ctx.name(n) + "_r");
  auto operand = [&](unsigned i) {
    return ctx.read(n, i, broadcastIndex(n.input(i).shape(), s, ri.idx));
  };
  if (!ri.dom) {
    f() = term(operand(0), operand(1));
    return;
  }
  f() = ctx.constant(n, 0);
  f() += term(operand(0), operand(1));
}

/// The Func computing mean over pairShape(n) of term(y, t).
inline Halide::Func lowerPairMean(const Node &n, LowerContext &ctx,
                                  const PairTerm &term) {
  Halide::Func f(ctx.name(n));
  definePairSum(f, n, ctx, term);
  Shape s = pairShape(n);
  if (!s.empty())
    f() = f() / ctx.cast(n, ctx.count(s, allAxes(s.size())));
  return f;
}

/// The number of elements y and t are compared at, as a rank-0 node.
inline Node *pairCount(GradBuilder &g, const Node &n, Node *d) {
  if (d->rank() == 0)
    return g.scalar(1.0, n.input(0).dtype());
  return g.count(d, {});
}

/// Accumulates dL/dy = gy * dL/dloss and, for a float target, dL/dt =
/// -gy * dL/dloss; gy has the pair shape (autodiff un-broadcasts it).
inline void accumulatePair(GradBuilder &g, const Node &n, Node *gy) {
  Node *d = g.mul(gy, g.outGrad(n));
  g.accumulate(n.input(0), d);
  if (isFloat(n.input(1).dtype()))
    g.accumulate(n.input(1), g.neg(d));
}

} // namespace lamina

#endif // LAMINA_OPS_LOSS_LOSSCOMMON_H
