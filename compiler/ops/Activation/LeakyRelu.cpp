//===- LeakyRelu.cpp - x > 0 ? x : alpha x --------------------------------===//
//
// leaky_relu(x, alpha) = x > 0 ? x : alpha x; attribute alpha (default 0.01)
// is the slope below 0.
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"
#include "ops/FoldCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferUnaryFloat(n);
}

static double alphaOf(const Node &n) { return floatAttrOf(n, "alpha"); }

// d/dx leaky_relu(x) = x > 0 ? 1 : alpha
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *x = &n.input(0);
  Node *dy = g.outGrad(n);
  // One node per statement: the order of argument evaluation, and so the
  // numbering of the dump, differs between compilers.
  Node *scaled = g.mul(dy, alphaOf(n));
  Node *positive = g.greater(x, 0.0);
  g.accumulate(*x, g.select(positive, dy, scaled));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerUnary(n, ctx, [&](Halide::Expr x) {
    return Halide::select(x > ctx.constant(n, 0), x,
                          ctx.constant(n, alphaOf(n)) * x);
  });
}

static constexpr AttrSpec kAttrs[] = {
    {"alpha", AttrType::Float, "0.01", "the slope below 0"},
};

// The compiled code multiplies by alpha as a constant of the node's dtype.
static double roundedAlpha(const Node &n) {
  double a = alphaOf(n);
  return n.dtype() == DType::F32 ? static_cast<double>(static_cast<float>(a))
                                 : a;
}

static std::optional<FoldValues> fold(const Node &n) {
  return foldUnary(
      n, [a = roundedAlpha(n)](double x) { return x > 0 ? x : a * x; });
}

extern const OpInfo LeakyReluInfo = [] {
  OpInfo op;
  op.attrs = kAttrs;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.fold = fold;
  op.lower = lower;
  op.fusible = true;
  return op;
}();

} // namespace lamina
