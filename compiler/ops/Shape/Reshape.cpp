//===- Reshape.cpp - same elements, new shape
//------------------------------===//
//
// reshape(x, shape): the elements of x in row-major order, laid out in
// `shape`. A kBatch (-1) entry in `shape` is the batch dim, not "infer": if
// x has a batch dim the result must have one too, and the elements per
// batch row must agree; without a batch the counts must be equal.
//
//===----------------------------------------------------------------------===//
#include "ops/FoldCommon.h"
#include "ops/ReduceCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  const TensorType &x = n.input(0).type();
  if (!n.hasAttr("shape"))
    return typeError("'reshape' needs a 'shape' attribute");
  const Shape &s = n.intsAttr("shape");
  std::string both = shapeToString(x.shape) + " to " + shapeToString(s);
  int batches = 0;
  for (int64_t d : s) {
    if (d == kBatch)
      ++batches;
    else if (d < 0)
      return typeError("'reshape' has a negative extent: " + both);
  }
  if (batches > 1)
    return typeError("'reshape' target has more than one batch dim: " + both);
  if (hasBatch(x.shape) != (batches == 1))
    return typeError("'reshape' must keep the batch dim: cannot reshape " +
                     both);
  // With a batch on both sides, numElements counts one batch row.
  if (numElements(x.shape) != numElements(s))
    return typeError("'reshape' changes the number of elements" +
                     std::string(batches ? " per batch row" : "") + ": " +
                     std::to_string(numElements(x.shape)) + " vs " +
                     std::to_string(numElements(s)) + " reshaping " + both);
  return TensorType{x.dtype, s};
}

// A reshape moves elements without changing them: dL/dx = reshape(dL/dy)
// back to x's shape.
static void buildGradient(const Node &n, GradBuilder &g) {
  const Node &x = n.input(0);
  g.accumulate(x, g.reshape(g.outGrad(n), x.shape()));
}

/// Row-major flat index of `idx` within dims [from, end) of `s`.
static Halide::Expr flatten(const Shape &s, size_t from,
                            const std::vector<Halide::Expr> &idx,
                            const LowerContext &ctx) {
  Halide::Expr flat = 0;
  for (size_t d = from; d < s.size(); ++d)
    flat = flat * ctx.extent(s, static_cast<unsigned>(d)) + idx[d];
  return flat;
}

/// Indices of dims [from, end) of `s` for a row-major flat index; the
/// outermost needs no modulo and the innermost no division.
static void unflatten(const Shape &s, size_t from, const Halide::Expr &flat,
                      const LowerContext &ctx, std::vector<Halide::Expr> &idx) {
  Halide::Expr stride = 1;
  std::vector<Halide::Expr> rev;
  for (size_t d = s.size(); d-- > from;) {
    Halide::Expr e = d + 1 == s.size() ? flat : flat / stride;
    if (d != from)
      e = e % ctx.extent(s, static_cast<unsigned>(d));
    rev.push_back(Halide::Internal::simplify(e));
    stride = stride * ctx.extent(s, static_cast<unsigned>(d));
  }
  idx.insert(idx.end(), rev.rbegin(), rev.rend());
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  Halide::Func f(ctx.name(n));
  std::vector<Halide::Var> v = ctx.vars(n);
  std::vector<Halide::Expr> out = LowerContext::exprs(v);
  const Shape &in = n.input(0).shape(), &s = n.shape();
  if (in == s) {
    LowerContext::define(f, v, ctx.read(n, 0, out));
    return f;
  }
  // When both start with the batch, keep its index and move only the rest,
  // so no index is divided by the run-time batch.
  size_t from =
      !in.empty() && !s.empty() && in[0] == kBatch && s[0] == kBatch ? 1 : 0;
  std::vector<Halide::Expr> idx(out.begin(), out.begin() + from);
  unflatten(in, from, flatten(s, from, out, ctx), ctx, idx);
  LowerContext::define(f, v, ctx.read(n, 0, idx));
  return f;
}

static constexpr AttrSpec kAttrs[] = {
    {"shape", AttrType::Shape, nullptr,
     "the new shape, with the same number of elements; may contain batch"},
};

// Same elements, same order.
static std::optional<FoldValues> fold(const Node &n) {
  return n.input(0).data();
}

// reshape(x) to x's own shape -> x. reshape(reshape(x)) -> reshape(x):
// the inner reshape is skipped when the type rule agrees the result is
// the same.
static Node *simplify(Node &n) {
  Node &x = n.input(0);
  if (x.kind() == OpKind::Reshape) {
    n.setInput(0, &x.input(0));
    Expected<TensorType> t = checkNode(n);
    if (!t || *t != n.type())
      n.setInput(0, &x);
  }
  return &n.input(0);
}

extern const OpInfo ReshapeInfo = [] {
  OpInfo op;
  op.attrs = kAttrs;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.fold = fold;
  op.simplify = simplify;
  op.lower = lower;
  op.fusible = true;
  return op;
}();

} // namespace lamina
