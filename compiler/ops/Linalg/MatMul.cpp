//===- MatMul.cpp - [.., m, k] @ [k, n] -> [.., m, n]
//----------------------===//
//
// matmul(a, b): y[.., i, j] = sum_k a[.., i, k] b[k, j]. The left operand may
// have leading dims (the batch among them) or be a vector [k] (giving
// [n]); the right one is a matrix. The
// contracted dim may be the batch (x^T @ dy in a weight gradient).
//
//===----------------------------------------------------------------------===//
#include "ops/Linalg/MatMulCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  const TensorType &a = n.input(0).type(), &b = n.input(1).type();
  std::string both = shapeToString(a.shape) + " @ " + shapeToString(b.shape);
  if (a.dtype != b.dtype || !isFloat(a.dtype))
    return typeError("'matmul' needs two float operands of one type, got " +
                     typeToString(a) + " @ " + typeToString(b));
  if (a.rank() < 1 || b.rank() != 2)
    return typeError("'matmul' needs [.., m, k] @ [k, n], got " + both);
  if (a.shape.back() != b.shape[0])
    return typeError("'matmul' inner dimensions differ: " + both);
  Shape s(a.shape.begin(), a.shape.end() - 1);
  s.push_back(b.shape[1]);
  return TensorType{a.dtype, s};
}

// y = a b  =>  dL/da = dy b^T,  dL/db = a^T dy (summed over a's leading
// dims). The transposes are materialized so each matmul reads its right
// operand contiguously.
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *a = &n.input(0), *b = &n.input(1), *dy = g.outGrad(n);
  g.accumulate(*a, g.matmul(dy, g.transposeLast2(b)));
  g.accumulate(*b, weightGradient(g, a, dy));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerMatMul(n, ctx, false);
}

extern const OpInfo MatMulInfo = {"matmul", 2,     inferType,     buildGradient,
                                  nullptr,  lower, scheduleMatMul};

} // namespace lamina
