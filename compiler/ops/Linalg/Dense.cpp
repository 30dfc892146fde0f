//===- Dense.cpp - x W + b
//-------------------------------------------------===//
//
// dense(x, W[, b]): h = x W + b in the row-vector convention of the notes:
// x [.., in], W [in, out], b [out] -> h [.., out]. Without b, h = x W.
//
//===----------------------------------------------------------------------===//
#include "ops/Linalg/MatMulCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  if (n.numInputs() != 2 && n.numInputs() != 3)
    return typeError("'dense' takes 2 or 3 operands (x, W[, b]), got " +
                     std::to_string(n.numInputs()));
  const TensorType &x = n.input(0).type(), &w = n.input(1).type();
  std::string both = shapeToString(x.shape) + " @ " + shapeToString(w.shape);
  if (x.dtype != w.dtype || !isFloat(x.dtype))
    return typeError("'dense' needs float operands of one type, got " +
                     typeToString(x) + " @ " + typeToString(w));
  if (x.rank() < 1 || w.rank() != 2)
    return typeError("'dense' needs x [.., in] and W [in, out], got " + both);
  if (x.shape.back() != w.shape[0])
    return typeError("'dense' inner dimensions differ: " + both);
  if (n.numInputs() == 3) {
    const TensorType &b = n.input(2).type();
    if (b.dtype != x.dtype || b.shape != Shape{w.shape[1]})
      return typeError("'dense' bias " + typeToString(b) +
                       " does not match the weight " + typeToString(w) +
                       ": expected " + dtypeName(x.dtype) + "[" +
                       std::to_string(w.shape[1]) + "]");
  }
  Shape s(x.shape.begin(), x.shape.end() - 1);
  s.push_back(w.shape[1]);
  return TensorType{x.dtype, s};
}

// h = x W + b  =>  dL/dx = dh W^T,  dL/dW = x^T dh (summed over x's leading
// dims),  dL/db = dh summed over every dim but the last (autodiff's
// un-broadcast does the sum).
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *x = &n.input(0), *w = &n.input(1), *dh = g.outGrad(n);
  g.accumulate(*x, g.matmul(dh, g.transposeLast2(w)));
  g.accumulate(*w, weightGradient(g, x, dh));
  if (n.numInputs() == 3)
    g.accumulate(n.input(2), dh);
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerMatMul(n, ctx, n.numInputs() == 3);
}

extern const OpInfo DenseInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.lower = lower;
  op.readsThrough = matMulReadsThrough;
  op.schedule = scheduleMatMul;
  op.computeBound = true;
  op.flops = matMulFlops;
  op.tilesEpilogue = true;
  op.form = DslForm::Layer;
  op.operandDoc = "x, W [, b]";
  return op;
}();

} // namespace lamina
