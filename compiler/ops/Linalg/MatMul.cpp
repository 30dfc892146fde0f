//===- MatMul.cpp - [.., m, k] @ [k, n] -> [.., m, n]
//----------------------===//
//
// matmul(a, b): y[.., i, j] = sum_k a[.., i, k] b[k, j]. The left operand may
// have leading dims (the batch among them) or be a vector [k] (giving
// [n]); the right one is a matrix. The
// contracted dim may be the batch (x^T @ dy in a weight gradient).
//
//===----------------------------------------------------------------------===//
#include "ops/FoldCommon.h"
#include "ops/Linalg/MatMulCommon.h"

#include <algorithm>

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

/// Multiply-adds a folded matmul may take.
constexpr int64_t kMaxFoldWork = int64_t(1) << 26;

// [.., m, k] @ [k, n] -> [.., m, n], summed in order of k.
static std::optional<FoldValues> fold(const Node &n) {
  const Shape &a = n.input(0).shape(), &b = n.input(1).shape();
  int64_t k = b[0], cols = b[1];
  int64_t rows = numElements(Shape(a.begin(), a.end() - 1));
  if (rows * cols * std::max<int64_t>(k, 1) > kMaxFoldWork)
    return std::nullopt;
  const FoldValues &x = n.input(0).data(), &w = n.input(1).data();
  FoldValues out(static_cast<size_t>(rows * cols), 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t t = 0; t < k; ++t)
      for (int64_t c = 0; c < cols; ++c)
        out[r * cols + c] += x[r * k + t] * w[t * cols + c];
  return out;
}

extern const OpInfo MatMulInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.fold = fold;
  op.lower = lower;
  op.readsThrough = matMulReadsThrough;
  op.schedule = scheduleMatMul;
  op.computeBound = true;
  op.flops = matMulFlops;
  op.tilesEpilogue = true;
  op.operandDoc = "a `[..., m, k]`, b `[k, n]`";
  return op;
}();

} // namespace lamina
