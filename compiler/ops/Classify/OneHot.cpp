//===- OneHot.cpp - i32 class index -> 0/1 row
//-----------------------------===//
//
// one_hot(labels, classes, dtype): labels i32 [..] -> [.., classes] of dtype
// (f32 by default, or f64) with y[.., c] = labels[..] == c ? 1 : 0. A label
// outside [0, classes) gives a row of zeros.
//
//===----------------------------------------------------------------------===//
#include "ops/ReduceCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  const TensorType &l = n.input(0).type();
  if (l.dtype != DType::I32)
    return typeError("'one_hot' needs i32 class labels, got " +
                     typeToString(l));
  if (!n.hasAttr("classes") || n.intAttr("classes") <= 0)
    return typeError("'one_hot' needs a positive 'classes' attribute");
  std::string dt = n.hasAttr("dtype") ? n.strAttr("dtype") : "f32";
  std::optional<DType> t = parseDType(dt);
  if (!t || !isFloat(*t))
    return typeError("'one_hot' dtype must be f32 or f64, got '" + dt + "'");
  Shape s = l.shape;
  s.push_back(n.intAttr("classes"));
  return TensorType{*t, s};
}

// No gradient: labels are integer data, and the result is piecewise constant.

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  Halide::Func f(ctx.name(n));
  std::vector<Halide::Var> v = ctx.vars(n);
  std::vector<Halide::Expr> idx(v.begin(), v.end() - 1);
  LowerContext::define(f, v,
                       Halide::select(ctx.read(n, 0, idx) == v.back(),
                                      ctx.constant(n, 1), ctx.constant(n, 0)));
  return f;
}

static constexpr AttrSpec kAttrs[] = {
    {"classes", AttrType::Int, nullptr, "the number of classes, positive"},
    {"dtype", AttrType::DType, "f32", "the element type of the rows"},
};

// one_hot reads its operand as class indices in [0, classes).
static int64_t labelClasses(const Node &n, unsigned i) {
  return i == 0 ? n.intAttr("classes") : 0;
}

extern const OpInfo OneHotInfo = [] {
  OpInfo op;
  op.attrs = kAttrs;
  op.inferType = inferType;
  op.noGradReason = "class labels are integer data";
  op.labelClasses = labelClasses;
  op.lower = lower;
  op.operandDoc = "i32 labels";
  return op;
}();

} // namespace lamina
