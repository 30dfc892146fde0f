//===- EmbeddingGrad.cpp - dL/dE of embedding: a scatter-add --------------===//
//
// embedding_grad(tokens, dy) with attr vocab: [vocab, dim], row v the sum
// of dy[.., :] over the positions whose token is v (zero for tokens that do
// not occur). Built only by embedding's gradient rule.
//
//===----------------------------------------------------------------------===//
#include "ops/ReduceCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  const TensorType &dy = n.input(1).type();
  if (!n.hasAttr("vocab") || n.intAttr("vocab") <= 0 || dy.shape.empty())
    return typeError("'embedding_grad' needs a positive 'vocab' and dy");
  return TensorType{dy.dtype, {n.intAttr("vocab"), dy.shape.back()}};
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  const Node &tokens = n.input(0);
  int vocab = static_cast<int>(n.intAttr("vocab"));
  Halide::Func f(ctx.name(n));
  std::vector<Halide::Var> v = ctx.vars(n);
  LowerContext::define(f, v, ctx.constant(n, 0));
  // Every token position, the last dim innermost, in order: the sum of a
  // row is the same for any thread count.
  unsigned rank = tokens.rank();
  Halide::Region ranges;
  for (unsigned k = 0; k < rank; ++k)
    ranges.push_back({0, ctx.extent(tokens.shape(), rank - 1 - k)});
  Halide::RDom r(ranges, ctx.name(n) + "_r");
  std::vector<Halide::Expr> pos(rank);
  for (unsigned k = 0; k < rank; ++k)
    pos[rank - 1 - k] = r[static_cast<int>(k)];
  Halide::Expr row = Halide::clamp(ctx.read(n, 0, pos), 0, vocab - 1);
  std::vector<Halide::Expr> dyAt = pos;
  dyAt.push_back(v[1]);
  at(f, {row, v[1]}) += ctx.read(n, 1, dyAt);
  return f;
}

// Rows of the table in parallel for the zeroing; the scatter runs over the
// positions in order, a vector of the row's columns at a time.
static void schedule(const Node &n, Halide::Func &f, LowerContext &ctx) {
  f.compute_root();
  std::vector<Halide::Var> args = f.args();
  int w = ctx.vectorWidth(n);
  if (n.shape()[1] >= w) {
    f.vectorize(args[0], w, Halide::TailStrategy::GuardWithIf);
    f.update().vectorize(args[0], w, Halide::TailStrategy::GuardWithIf);
  } else {
    f.update().unscheduled();
  }
  if (ctx.parallel(n))
    f.parallel(args[1]);
}

static constexpr AttrSpec kAttrs[] = {
    {"vocab", AttrType::Int, nullptr, "the rows of the table"},
};

extern const OpInfo EmbeddingGradInfo = [] {
  OpInfo op;
  op.attrs = kAttrs;
  op.inferType = inferType;
  op.noGradReason = "second derivatives of embedding are not supported";
  op.lower = lower;
  op.schedule = schedule;
  op.form = DslForm::None;
  op.operandDoc = "tokens, dy";
  return op;
}();

} // namespace lamina
