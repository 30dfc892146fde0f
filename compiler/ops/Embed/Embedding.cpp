//===- Embedding.cpp - Rows of a table picked by i32 tokens ---------------===//
//
// embedding(tokens, E): tokens i32 [..] and a table E [vocab, dim] give
// [.., dim], row tokens[..] of E, as torch.nn.functional.embedding. The
// layer form embedding(tokens, vocab, dim) creates E (frontend). Tokens are
// checked against the vocabulary when data is read (labelClasses puts it
// in the descriptor); the kernel clamps them as well, so no token reads
// outside the table.
//
//===----------------------------------------------------------------------===//
#include "ops/ReduceCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  const TensorType &t = n.input(0).type(), &e = n.input(1).type();
  if (t.dtype != DType::I32 || t.shape.empty())
    return typeError("'embedding' needs i32 tokens of rank 1 or more, got " +
                     typeToString(t));
  if (!isFloat(e.dtype) || e.shape.size() != 2 || hasBatch(e.shape))
    return typeError("'embedding' needs a float table [vocab, dim], got " +
                     typeToString(e));
  Shape s = t.shape;
  s.push_back(e.shape[1]);
  return TensorType{e.dtype, s};
}

// dL/dE[v, :] = sum of dy[.., :] over the positions whose token is v.
static void buildGradient(const Node &n, GradBuilder &g) {
  const Node &table = n.input(1);
  g.accumulate(table, g.make(OpKind::EmbeddingGrad, {&n.input(0), g.outGrad(n)},
                             {{"vocab", table.shape()[0]}}));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  int vocab = static_cast<int>(n.input(1).shape()[0]);
  Halide::Func f(ctx.name(n));
  std::vector<Halide::Var> v = ctx.vars(n);
  std::vector<Halide::Expr> at(v.begin(), v.end() - 1);
  Halide::Expr row = Halide::clamp(ctx.read(n, 0, at), 0, vocab - 1);
  LowerContext::define(f, v, ctx.read(n, 1, {row, v.back()}));
  return f;
}

// The tokens index the table's rows.
static int64_t labelClasses(const Node &n, unsigned i) {
  return i == 0 ? n.input(1).shape()[0] : 0;
}

extern const OpInfo EmbeddingInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.labelClasses = labelClasses;
  op.lower = lower;
  op.form = DslForm::Layer;
  op.operandDoc = "tokens, vocab, dim (or E)";
  return op;
}();

} // namespace lamina
