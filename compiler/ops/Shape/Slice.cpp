//===- Slice.cpp - The elements [start, end) along one axis ---------------===//
//
// slice(x, axis = a, start = s, end = e): x's elements whose index along
// axis a is in [s, e), as x[..., s:e, ...] in numpy; negative axis, start
// and end count from the end. The batch dim cannot be sliced (its extent
// is known only at run time). The gradient pads dy with zeros back to x's
// shape.
//
//===----------------------------------------------------------------------===//
#include "ops/ReduceCommon.h"

#include <string>

namespace lamina {

namespace {
/// The axis and the range [start, end) of slice node n, normalized against
/// its input's shape; unchecked.
struct SliceRange {
  int64_t axis = 0, start = 0, end = 0;

  static SliceRange of(const Node &n) {
    const Shape &x = n.input(0).shape();
    SliceRange r;
    int64_t rank = static_cast<int64_t>(x.size());
    r.axis = intAttrOf(n, "axis");
    if (r.axis < 0)
      r.axis += rank;
    int64_t extent = r.axis >= 0 && r.axis < rank ? x[r.axis] : 0;
    r.start = intAttrOf(n, "start");
    r.end = intAttrOf(n, "end");
    if (r.start < 0)
      r.start += extent;
    if (r.end < 0)
      r.end += extent;
    return r;
  }
};
} // namespace

static Expected<TensorType> inferType(const Node &n) {
  const TensorType &x = n.input(0).type();
  int64_t rank = static_cast<int64_t>(x.rank());
  SliceRange r = SliceRange::of(n);
  std::string of = " of " + typeToString(x);
  if (r.axis < 0 || r.axis >= rank)
    return typeError("'slice' axis " + std::to_string(intAttrOf(n, "axis")) +
                     " is out of range for" + of);
  int64_t extent = x.shape[r.axis];
  if (extent == kBatch)
    return typeError("'slice' cannot cut the batch dimension" + of +
                     " (its size is known only at run time)");
  if (r.start < 0 || r.start >= r.end || r.end > extent)
    return typeError(
        "'slice' start " + std::to_string(intAttrOf(n, "start")) + " and end " +
        std::to_string(intAttrOf(n, "end")) +
        " must give 0 <= start < end <= " + std::to_string(extent) +
        " along axis " + std::to_string(r.axis) + of +
        " (negative values count from the end)");
  Shape s = x.shape;
  s[r.axis] = r.end - r.start;
  return TensorType{x.dtype, s};
}

// dL/dx is dy where the slice read x and zero elsewhere: dy padded with
// zeros along the axis (pad pads the trailing dims from the first listed).
static void buildGradient(const Node &n, GradBuilder &g) {
  SliceRange r = SliceRange::of(n);
  const Shape &x = n.input(0).shape();
  size_t dims = x.size() - static_cast<size_t>(r.axis);
  std::vector<int64_t> padding(2 * dims, 0);
  padding[0] = r.start;
  padding[dims] = x[r.axis] - r.end;
  g.accumulate(n.input(0),
               g.make(OpKind::Pad, {g.outGrad(n)},
                      {{"padding", padding}, {"mode", std::string("zeros")}}));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  SliceRange r = SliceRange::of(n);
  Halide::Func f(ctx.name(n));
  std::vector<Halide::Var> v = ctx.vars(n);
  std::vector<Halide::Expr> idx = LowerContext::exprs(v);
  idx[r.axis] = idx[r.axis] + static_cast<int>(r.start);
  LowerContext::define(f, v, ctx.read(n, 0, idx));
  return f;
}

static constexpr AttrSpec kAttrs[] = {
    {"axis", AttrType::Int, "-1",
     "the dim to cut; negative counts from the "
     "end"},
    {"start", AttrType::Int, "0",
     "the first index kept; negative counts "
     "from the end"},
    {"end", AttrType::Int, nullptr,
     "one past the last index kept; negative counts from the end"},
};

extern const OpInfo SliceInfo = [] {
  OpInfo op;
  op.attrs = kAttrs;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.lower = lower;
  op.fusible = true;
  return op;
}();

} // namespace lamina
