//===- ElementwiseCommon.cpp - Helpers shared by elementwise ops ----------===//
#include "ops/ElementwiseCommon.h"

namespace lamina {

static std::string quotedName(const Node &n) {
  return std::string("'") + opName(n.kind()) + "'";
}

Expected<TensorType> inferUnaryFloat(const Node &n) {
  const TensorType &x = n.input(0).type();
  if (x.dtype == DType::I32)
    return Expected<TensorType>::error(
        quotedName(n) + " needs a float tensor, got " + typeToString(x));
  return x;
}

Expected<TensorType> inferUnaryAny(const Node &n) { return n.input(0).type(); }

Expected<TensorType> inferBinaryBroadcast(const Node &n) {
  const TensorType &a = n.input(0).type(), &b = n.input(1).type();
  if (a.dtype != b.dtype)
    return Expected<TensorType>::error(
        quotedName(n) + " operands have different types " + typeToString(a) +
        " and " + typeToString(b));
  std::optional<Shape> s = broadcastShapes(a.shape, b.shape);
  if (!s)
    return Expected<TensorType>::error(quotedName(n) + " cannot broadcast " +
                                       shapeToString(a.shape) + " and " +
                                       shapeToString(b.shape));
  return TensorType{a.dtype, *s};
}

Halide::Func lowerElementwise(const Node &n, LowerContext &ctx,
                              const ElementwiseFn &fn) {
  Halide::Func f(ctx.name(n));
  std::vector<Halide::Var> v = ctx.vars(n);
  std::vector<Halide::Expr> idx = LowerContext::exprs(v);
  std::vector<Halide::Expr> operands;
  for (unsigned i = 0; i < n.numInputs(); ++i)
    operands.push_back(ctx.readBroadcast(n, i, idx));
  LowerContext::define(f, v, fn(operands));
  return f;
}

Halide::Func lowerUnary(const Node &n, LowerContext &ctx,
                        const std::function<Halide::Expr(Halide::Expr)> &fn) {
  return lowerElementwise(
      n, ctx, [&](const std::vector<Halide::Expr> &x) { return fn(x[0]); });
}

Halide::Func
lowerBinary(const Node &n, LowerContext &ctx,
            const std::function<Halide::Expr(Halide::Expr, Halide::Expr)> &fn) {
  return lowerElementwise(n, ctx, [&](const std::vector<Halide::Expr> &x) {
    return fn(x[0], x[1]);
  });
}

Halide::Expr stableSigmoid(const Halide::Expr &x) {
  Halide::Expr one = Halide::cast(x.type(), 1);
  Halide::Expr e = Halide::exp(-Halide::abs(x));
  Halide::Expr r = one / (one + e);
  return Halide::select(x >= Halide::cast(x.type(), 0), r, e * r);
}

} // namespace lamina
