//===- Constant.cpp - a literal tensor ------------------------------------===//
//
// data() holds the values row-major; a scalar has one value.
//
//===----------------------------------------------------------------------===//
#include "lamina/Lower.h"
#include "lamina/OpInfo.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  if (static_cast<int64_t>(n.data().size()) != numElements(n.shape()))
    return Expected<TensorType>::error(
        "constant has " + std::to_string(n.data().size()) +
        " values for shape " + shapeToString(n.shape()));
  return n.type();
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  Halide::Func f(ctx.name(n));
  if (n.rank() == 0) {
    f() = ctx.constant(n, n.data()[0]);
    return f;
  }
  // The values are embedded in the generated code as a constant buffer.
  std::vector<int> sizes(n.shape().rbegin(), n.shape().rend());
  Halide::Buffer<double> b(sizes);
  std::vector<int> pos(n.rank(), 0);
  for (double v : n.data()) {
    std::vector<int> hpos(pos.rbegin(), pos.rend());
    b(hpos.data()) = v;
    // Advance the logical index, last dim fastest.
    for (int d = static_cast<int>(n.rank()) - 1; d >= 0; --d) {
      if (++pos[d] < n.shape()[d])
        break;
      pos[d] = 0;
    }
  }
  std::vector<Halide::Var> v = ctx.vars(n);
  std::vector<Halide::Expr> hidx(v.rbegin(), v.rend());
  LowerContext::define(f, v, ctx.cast(n, b(hidx)));
  return f;
}

extern const OpInfo ConstantInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.noGradReason = "a constant does not change";
  op.lower = lower;
  op.form = DslForm::None;
  return op;
}();

} // namespace lamina
