//===- ArgMax.cpp - index of the max along an axis
//-------------------------===//
//
// argmax(x, axis = -1, keepdims = 0): the i32 index of the largest element
// along `axis`; ties give the lowest index. The axis is dropped, or kept with
// extent 1 when keepdims is 1.
//
//===----------------------------------------------------------------------===//
#include "ops/ReduceCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  const TensorType &x = n.input(0).type();
  if (!isFloat(x.dtype))
    return typeError("'argmax' needs a float tensor, got " + typeToString(x));
  std::optional<int64_t> axis = singleAxis(n);
  if (!axis)
    return typeError("'argmax' axis " +
                     std::to_string(n.intAttrOr("axis", -1)) +
                     " out of range for " + shapeToString(x.shape));
  return TensorType{DType::I32, reduceShape(x.shape, {*axis}, keepDims(n))};
}

// No gradient: an index is piecewise constant in x.

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  Halide::Func f(ctx.name(n));
  std::vector<Halide::Var> v = ctx.vars(n);
  ReduceIndex ri =
      reduceIndex(n.input(0).shape(), {*singleAxis(n)}, keepDims(n),
                  LowerContext::exprs(v), ctx, ctx.name(n) + "_r");
  // Halide's argmax keeps the first of equal maxima.
  LowerContext::define(f, v,
                       Halide::argmax(*ri.dom, ctx.read(n, 0, ri.idx))[0]);
  return f;
}

extern const OpInfo ArgMaxInfo = {
    "argmax", 1,      inferType, nullptr, "an index is piecewise constant",
    lower,    nullptr};

} // namespace lamina
