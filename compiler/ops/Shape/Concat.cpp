//===- Concat.cpp - Tensors joined along one axis -------------------------===//
//
// concat(a, b, ..., axis = k): the operands (at least two, one dtype, equal
// shapes but along axis k) one after the other along axis k, as
// torch.cat; a negative axis counts from the end (the default, -1, is the
// last dim, as Keras). The batch dim cannot be the axis. The gradient of
// each operand is its slice of dy.
//
//===----------------------------------------------------------------------===//
#include "ops/ReduceCommon.h"

#include <string>

namespace lamina {

/// The axis of concat node n normalized against its operands' rank.
static int64_t concatAxis(const Node &n) {
  int64_t axis = intAttrOf(n, "axis");
  return axis < 0 ? axis + static_cast<int64_t>(n.input(0).rank()) : axis;
}

static Expected<TensorType> inferType(const Node &n) {
  if (n.numInputs() < 2)
    return typeError("'concat' needs at least two tensors, got " +
                     std::to_string(n.numInputs()));
  const TensorType &a = n.input(0).type();
  int64_t axis = concatAxis(n);
  if (axis < 0 || axis >= static_cast<int64_t>(a.rank()))
    return typeError("'concat' axis " + std::to_string(intAttrOf(n, "axis")) +
                     " is out of range for " + typeToString(a));
  if (a.shape[axis] == kBatch)
    return typeError("'concat' cannot join along the batch dimension of " +
                     typeToString(a) + " (its size is known only at run time)");
  Shape s = a.shape;
  for (unsigned i = 1; i < n.numInputs(); ++i) {
    const TensorType &b = n.input(i).type();
    bool same = b.dtype == a.dtype && b.rank() == a.rank();
    for (unsigned d = 0; same && d < a.rank(); ++d)
      same = static_cast<int64_t>(d) == axis || b.shape[d] == a.shape[d];
    if (!same)
      return typeError("'concat' along axis " + std::to_string(axis) +
                       " needs tensors of one type and equal dims but that "
                       "one; operand " +
                       std::to_string(i + 1) + " is " + typeToString(b) +
                       ", operand 1 " + typeToString(a));
    s[axis] += b.shape[axis];
  }
  return TensorType{a.dtype, s};
}

// Each operand's gradient is the part of dy it filled.
static void buildGradient(const Node &n, GradBuilder &g) {
  int64_t axis = concatAxis(n), offset = 0;
  Node *dy = g.outGrad(n);
  for (unsigned i = 0; i < n.numInputs(); ++i) {
    int64_t extent = n.input(i).shape()[axis];
    g.accumulate(
        n.input(i),
        g.make(OpKind::Slice, {dy},
               {{"axis", axis}, {"start", offset}, {"end", offset + extent}}));
    offset += extent;
  }
}

// A select over the operands by the index along the axis; each operand is
// read at an index clamped into its range, so every read (a vector lane
// that belongs to another operand included) stays inside it.
static Halide::Func lower(const Node &n, LowerContext &ctx) {
  int64_t axis = concatAxis(n);
  Halide::Func f(ctx.name(n));
  std::vector<Halide::Var> v = ctx.vars(n);
  std::vector<int64_t> starts;
  int64_t offset = 0;
  for (unsigned i = 0; i < n.numInputs(); ++i) {
    starts.push_back(offset);
    offset += n.input(i).shape()[axis];
  }
  auto operand = [&](unsigned i) {
    std::vector<Halide::Expr> idx = LowerContext::exprs(v);
    int extent = static_cast<int>(n.input(i).shape()[axis]);
    idx[axis] =
        Halide::clamp(idx[axis] - static_cast<int>(starts[i]), 0, extent - 1);
    return ctx.read(n, i, idx);
  };
  unsigned last = n.numInputs() - 1;
  Halide::Expr e = operand(last);
  for (unsigned i = last; i-- > 0;)
    e = Halide::select(v[axis] < static_cast<int>(starts[i + 1]), operand(i),
                       e);
  LowerContext::define(f, v, e);
  return f;
}

static constexpr AttrSpec kAttrs[] = {
    {"axis", AttrType::Int, "-1",
     "the dim to join along; negative counts from the end"},
};

extern const OpInfo ConcatInfo = [] {
  OpInfo op;
  op.attrs = kAttrs;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.lower = lower;
  op.fusible = true;
  op.operandDoc = "a, b, ...";
  return op;
}();

} // namespace lamina
