//===- Count.cpp - number of elements over axes
//----------------------------===//
//
// count(x, axes): a rank-0 tensor holding the product of x's extents over
// `axes` (empty: every axis). A batch axis counts the run-time batch, which
// is why this is an op and not a constant. The result has x's float dtype
// (f32 for an i32 x).
//
//===----------------------------------------------------------------------===//
#include "ops/ReduceCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  const TensorType &x = n.input(0).type();
  if (!reduceAxes(n))
    return typeError("'count' axes " + axesToString(n) + " out of range for " +
                     shapeToString(x.shape));
  return TensorType{isFloat(x.dtype) ? x.dtype : DType::F32, {}};
}

// The count depends on x's shape, never on its values: dL/dx = 0, so there
// is nothing to accumulate. (Not nullptr: a count on a path to the loss is
// fine, e.g. inside a mean.)
static void buildGradient(const Node &, GradBuilder &) {}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  Halide::Func f(ctx.name(n));
  f() = ctx.cast(n, ctx.count(n.input(0).shape(), *reduceAxes(n)));
  return f;
}

static constexpr AttrSpec kAttrs[] = {
    {"axes", AttrType::Ints, "[]", "the dims counted (all by default)", "axis"},
};

extern const OpInfo CountInfo = [] {
  OpInfo op;
  op.attrs = kAttrs;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.nonDiffOperands = ~0u;
  op.lower = lower;
  return op;
}();

} // namespace lamina
