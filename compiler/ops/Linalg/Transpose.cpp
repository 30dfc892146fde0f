//===- Transpose.cpp - permute dims
//----------------------------------------===//
//
// transpose(x, perm): y[i_0, .., i_{r-1}] = x[j] with j[perm[d]] = i_d, i.e.
// y's dim d is x's dim perm[d] (numpy semantics). Without `perm` the dims
// are reversed. The lowering is a plain copy. Matmul gradients materialize
// W^T this way so that the matmul reads its right operand contiguously; a
// matrix transpose is scheduled in square blocks that are loaded as vectors
// and transposed in registers.
//
//===----------------------------------------------------------------------===//
#include "ops/FoldCommon.h"
#include "ops/ReduceCommon.h"

namespace lamina {

/// The permutation of n (default: reversed dims); unchecked.
static std::vector<int64_t> permOf(const Node &n) {
  if (n.hasAttr("perm"))
    return n.intsAttr("perm");
  std::vector<int64_t> perm;
  for (unsigned d = n.input(0).rank(); d-- > 0;)
    perm.push_back(d);
  return perm;
}

static Expected<TensorType> inferType(const Node &n) {
  const TensorType &x = n.input(0).type();
  std::vector<int64_t> perm = permOf(n);
  std::string permStr = "[";
  for (int64_t p : perm)
    permStr += (permStr.size() > 1 ? ", " : "") + std::to_string(p);
  permStr += "]";
  std::vector<bool> seen(x.rank(), false);
  bool ok = perm.size() == x.rank();
  for (int64_t p : perm) {
    ok = ok && p >= 0 && p < static_cast<int64_t>(x.rank()) && !seen[p];
    if (ok)
      seen[p] = true;
  }
  if (!ok)
    return typeError("'transpose' perm " + permStr +
                     " is not a permutation of the dims of " +
                     shapeToString(x.shape));
  Shape s;
  for (int64_t p : perm)
    s.push_back(x.shape[p]);
  return TensorType{x.dtype, s};
}

// y = transpose(x, p)  =>  dL/dx = transpose(dL/dy, p^-1), p^-1[p[d]] = d.
static void buildGradient(const Node &n, GradBuilder &g) {
  std::vector<int64_t> perm = permOf(n), inv(perm.size());
  for (size_t d = 0; d < perm.size(); ++d)
    inv[perm[d]] = static_cast<int64_t>(d);
  g.accumulate(n.input(0), g.transpose(g.outGrad(n), inv));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  Halide::Func f(ctx.name(n));
  std::vector<Halide::Var> v = ctx.vars(n);
  std::vector<int64_t> perm = permOf(n);
  std::vector<Halide::Expr> idx(perm.size());
  for (size_t d = 0; d < perm.size(); ++d)
    idx[perm[d]] = v[d];
  LowerContext::define(f, v, ctx.read(n, 0, idx));
  return f;
}

/// A matrix transpose with static extents of at least one vector each runs
/// in vw x vw blocks: the input block is loaded with vector loads along its
/// rows (a wrapper computed per block), then written out as vectors along
/// the output's rows, which Halide turns into register shuffles. Anything
/// else gets the default schedule.
static void schedule(const Node &n, Halide::Func &f, LowerContext &ctx) {
  int vw = ctx.vectorWidth(n);
  const Shape &s = n.shape();
  if (n.rank() != 2 || permOf(n) != std::vector<int64_t>{1, 0} || s[0] < vw ||
      s[1] < vw) {
    scheduleDefault(n, f, ctx);
    return;
  }
  Halide::Func block = ctx.input(n, 0).in(f);
  std::vector<Halide::Var> a = f.args(), b = block.args();
  Halide::Var xo("xo"), yo("yo"), xi("xi"), yi("yi");
  f.compute_root()
      .tile(a[0], a[1], xo, yo, xi, yi, vw, vw)
      .vectorize(xi)
      .unroll(yi);
  if (ctx.parallel(n, (s[0] + vw - 1) / vw))
    f.parallel(yo);
  block.compute_at(f, xo).vectorize(b[0]).unroll(b[1]);
}

static constexpr AttrSpec kAttrs[] = {
    {"perm", AttrType::Ints, "",
     "the new order of the dims; a call without it swaps the last two (IR "
     "text without it reverses them)"},
};

/// permOf(n) with negative dims counted from the end.
static std::vector<int64_t> normalizedPerm(const Node &n) {
  std::vector<int64_t> perm = permOf(n);
  for (int64_t &p : perm)
    if (p < 0)
      p += n.input(0).rank();
  return perm;
}

static std::optional<FoldValues> fold(const Node &n) {
  const Shape &in = n.input(0).shape();
  std::vector<int64_t> perm = normalizedPerm(n);
  std::vector<size_t> inStride = stridesOf(in), stride(in.size());
  for (size_t i = 0; i < perm.size(); ++i)
    stride[i] = inStride[perm[i]];
  FoldValues out;
  for (size_t src : gatherIndices(n.shape(), stride))
    out.push_back(n.input(0).data()[src]);
  return out;
}

// transpose(x, identity) -> x; transpose(transpose(x, p), q) -> x when
// p[q[i]] == i for every i.
static Node *simplify(Node &n) {
  std::vector<int64_t> outer = normalizedPerm(n);
  bool identity = true;
  for (size_t i = 0; i < outer.size(); ++i)
    identity = identity && outer[i] == static_cast<int64_t>(i);
  Node &x = n.input(0);
  if (identity)
    return &x;
  if (x.kind() != OpKind::Transpose)
    return nullptr;
  // transpose(y, q)[i] reads dim q[i] of y, which is dim p[q[i]] of x.
  std::vector<int64_t> inner = normalizedPerm(x);
  for (size_t i = 0; i < outer.size(); ++i)
    if (inner[outer[i]] != static_cast<int64_t>(i))
      return nullptr;
  return &x.input(0);
}

extern const OpInfo TransposeInfo = [] {
  OpInfo op;
  op.attrs = kAttrs;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.fold = fold;
  op.simplify = simplify;
  op.lower = lower;
  op.schedule = schedule;
  return op;
}();

} // namespace lamina
