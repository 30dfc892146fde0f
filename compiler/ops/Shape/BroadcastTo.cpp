//===- BroadcastTo.cpp - numpy broadcast to a shape
//------------------------===//
//
// broadcast_to(x, shape): x repeated along new leading dims and along its
// size-1 dims to `shape`, by numpy rules (a size-1 dim may become the batch).
//
//===----------------------------------------------------------------------===//
#include "ops/FoldCommon.h"
#include "ops/ReduceCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  const TensorType &x = n.input(0).type();
  if (!n.hasAttr("shape"))
    return typeError("'broadcast_to' needs a 'shape' attribute");
  const Shape &s = n.intsAttr("shape");
  std::optional<Shape> b = broadcastShapes(x.shape, s);
  if (x.rank() > s.size() || !b || *b != s)
    return typeError("'broadcast_to' cannot broadcast " +
                     shapeToString(x.shape) + " to " + shapeToString(s));
  return TensorType{x.dtype, s};
}

// Each x element is copied to several outputs, so dL/dx sums dL/dy over the
// copies; autodiff's accumulate does that un-broadcast for every op.
static void buildGradient(const Node &n, GradBuilder &g) {
  g.accumulate(n.input(0), g.outGrad(n));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  Halide::Func f(ctx.name(n));
  std::vector<Halide::Var> v = ctx.vars(n);
  LowerContext::define(f, v, ctx.readBroadcast(n, 0, LowerContext::exprs(v)));
  return f;
}

static constexpr AttrSpec kAttrs[] = {
    {"shape", AttrType::Shape, nullptr,
     "the shape to broadcast to (numpy rules); may contain batch"},
};

static std::optional<FoldValues> fold(const Node &n) {
  return foldElements(n, [](const double *a) { return a[0]; });
}

// broadcast_to(x) to x's own shape -> x
static Node *simplify(Node &n) { return &n.input(0); }

extern const OpInfo BroadcastToInfo = [] {
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
