//===- Step.cpp - x > 0 ? 1 : 0 -------------------------------------------===//
//
// step(x) = x > 0 ? 1 : 0, the threshold of the M-P neuron and the
// perceptron. Usable in forward-only models; a loss cannot be trained through
// it.
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"
#include "ops/FoldCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferUnaryFloat(n);
}

// No gradient: the step is flat everywhere but at 0.
static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerUnary(n, ctx, [&](Halide::Expr x) {
    return Halide::select(x > ctx.constant(n, 0), ctx.constant(n, 1),
                          ctx.constant(n, 0));
  });
}

static std::optional<FoldValues> fold(const Node &n) {
  return foldUnary(n, [](double x) { return x > 0 ? 1.0 : 0.0; });
}

extern const OpInfo StepInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.noGradReason =
      "step has zero gradient almost everywhere; use sigmoid to train";
  op.fold = fold;
  op.lower = lower;
  op.fusible = true;
  return op;
}();

} // namespace lamina
