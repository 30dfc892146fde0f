//===- Relu.cpp - relu(x) = max(x, 0) -------------------------------------===//
//
// relu(x) = max(x, 0), the rectified linear unit. Its gradient at 0 is taken
// to be 0.
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"
#include "ops/FoldCommon.h"

#include <cmath>

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferUnaryFloat(n);
}

// d/dx relu(x) = x > 0 ? 1 : 0, read from y = relu(x): y > 0 exactly when
// x > 0 (and both are false for NaN). So the backward pass keeps only y,
// which the next layer reads anyway: the forward kernel writes one tensor,
// not two, and is the same kernel in train, eval and predict.
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *y = const_cast<Node *>(&n);
  g.accumulate(n.input(0), g.select(g.greater(y, 0.0), g.outGrad(n), 0.0));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerUnary(n, ctx, [&](Halide::Expr x) {
    // Not max(x, 0), nor a select Halide simplifies into it: that turns a
    // NaN into 0 and hides it (torch keeps NaN).
    return Halide::select(Halide::is_nan(x) || x > ctx.constant(n, 0), x,
                          ctx.constant(n, 0));
  });
}

static std::optional<FoldValues> fold(const Node &n) {
  return foldUnary(n,
                   [](double x) { return std::isnan(x) || x > 0 ? x : 0.0; });
}

extern const OpInfo ReluInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.fold = fold;
  op.lower = lower;
  op.fusible = true;
  return op;
}();

} // namespace lamina
