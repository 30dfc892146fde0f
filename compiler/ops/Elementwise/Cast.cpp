//===- Cast.cpp - Convert to another element type -------------------------===//
//
// cast(x, dtype): x's values as f32, f64 or i32. A float becomes an i32 by
// truncation toward zero (as PyTorch's .to(torch.int32)), saturated to
// i32's range, with NaN giving 0: C++ and LLVM leave those undefined. The
// gradient of a cast between float types is dy cast back; a cast to i32 has
// none (its result is a step function of x).
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"
#include "ops/ReduceCommon.h"

namespace lamina {

/// The element type n casts to.
static DType castType(const Node &n) {
  std::optional<DType> t = parseDType(n.strAttr("dtype"));
  return t ? *t : DType::F32;
}

static Expected<TensorType> inferType(const Node &n) {
  return TensorType{castType(n), n.input(0).shape()};
}

static const char *noGradientFor(const Node &n) {
  if (n.dtype() == DType::I32)
    return "a cast to i32 is a step function; cast a value that no "
           "parameter feeds, or keep it a float";
  return nullptr;
}

// An i32 operand has no gradient; a cast to i32 has none (noGradientFor).
static void buildGradient(const Node &n, GradBuilder &g) {
  const Node &x = n.input(0);
  if (!isFloat(x.dtype()) || !isFloat(n.dtype()))
    return;
  g.accumulate(x, g.make(OpKind::Cast, {g.outGrad(n)},
                         {{"dtype", std::string(dtypeName(x.dtype()))}}));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  DType from = n.input(0).dtype(), to = n.dtype();
  return lowerUnary(n, ctx, [&](Halide::Expr x) {
    if (to != DType::I32 || !isFloat(from))
      return Halide::cast(ctx.type(n), x);
    Halide::Expr t = Halide::select(
        Halide::is_nan(x), Halide::cast(x.type(), 0), Halide::trunc(x));
    return Halide::saturating_cast(Halide::Int(32), t);
  });
}

static constexpr AttrSpec kAttrs[] = {
    {"dtype", AttrType::DType, nullptr, "the element type: f32, f64 or i32"},
};

extern const OpInfo CastInfo = [] {
  OpInfo op;
  op.attrs = kAttrs;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.noGradientFor = noGradientFor;
  op.lower = lower;
  op.fusible = true;
  op.operandDoc = "x";
  return op;
}();

} // namespace lamina
