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
    return typeError("'argmax' axis " + std::to_string(intAttrOf(n, "axis")) +
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

static constexpr AttrSpec kAttrs[] = {
    {"axis", AttrType::Int, "-1", "the dim searched"},
    {"keepdims", AttrType::Bool, "false", "keep the searched dim with size 1"},
};

extern const OpInfo ArgMaxInfo = [] {
  OpInfo op;
  op.attrs = kAttrs;
  op.inferType = inferType;
  op.noGradReason = "an index is piecewise constant";
  op.lower = lower;
  return op;
}();

} // namespace lamina
