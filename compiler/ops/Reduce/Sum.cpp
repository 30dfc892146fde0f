//===- Sum.cpp - sum over axes
//---------------------------------------------===//
//
// sum(x, axes, keepdims): adds x over `axes` (empty: every axis). The reduced
// dims are dropped, or kept with extent 1 when keepdims is 1. Summing over
// the batch axis sums over the run-time batch.
//
//===----------------------------------------------------------------------===//
#include "ops/FoldCommon.h"
#include "ops/ReduceCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  const TensorType &x = n.input(0).type();
  std::optional<std::vector<int64_t>> axes = reduceAxes(n);
  if (!axes)
    return typeError("'sum' axes " + axesToString(n) + " out of range for " +
                     shapeToString(x.shape));
  return TensorType{x.dtype, reduceShape(x.shape, *axes, keepDims(n))};
}

// y = sum_{axes} x  =>  dL/dx = broadcast(dL/dy) over the reduced axes.
static void buildGradient(const Node &n, GradBuilder &g) {
  const Node &x = n.input(0);
  g.accumulate(x, expandReduced(g, g.outGrad(n), x.shape(), *reduceAxes(n)));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  Halide::Func f(ctx.name(n));
  std::vector<Halide::Var> v = ctx.vars(n);
  std::vector<int64_t> axes = *reduceAxes(n);
  ReduceIndex ri = reduceIndex(n.input(0).shape(), axes, keepDims(n),
                               LowerContext::exprs(v), ctx, ctx.name(n) + "_r");
  if (!ri.dom) {
    LowerContext::define(f, v, ctx.read(n, 0, ri.idx));
    return f;
  }
  LowerContext::define(f, v, ctx.constant(n, 0));
  at(f, LowerContext::exprs(v)) += ctx.read(n, 0, ri.idx);
  return f;
}

// The default schedule; and when the input's innermost (contiguous) dim is
// summed and holds a vector, the sum runs on a vector of partial sums, lane
// l taking the elements at l mod the vector width (rfactor), and adds the
// lanes at the end: not a scalar add per element, each waiting for the
// one before (a conv bias's gradient, summed over batch, height and width).
static void schedule(const Node &n, Halide::Func &f, LowerContext &ctx) {
  scheduleDefault(n, f, ctx);
  const Shape &in = n.input(0).shape();
  std::vector<int64_t> axes = *reduceAxes(n);
  int vw = ctx.vectorWidth(n);
  if (!f.has_update_definition() || axes.empty() ||
      axes.back() != static_cast<int64_t>(in.size()) - 1 ||
      in.back() == kBatch || in.back() < vw)
    return;
  Halide::Stage s = f.update(0);
  std::vector<Halide::RVar> r;
  for (const Halide::Internal::ReductionVariable &rv :
       f.function().update(0).schedule().rvars())
    r.push_back(Halide::RVar(rv.var));
  Halide::RVar ro("ro"), ri("ri");
  Halide::Var lane("lane");
  s.split(r[0], ro, ri, vw, Halide::TailStrategy::GuardWithIf);
  Halide::Func lanes = s.rfactor(ri, lane);
  std::vector<Halide::Var> storage{lane};
  for (const Halide::Var &v : lanes.args())
    if (v.name() != lane.name())
      storage.push_back(v);
  lanes.compute_root().vectorize(lane);
  if (storage.size() > 1)
    lanes.reorder_storage(storage);
  std::vector<Halide::VarOrRVar> order{lane, ro};
  for (size_t i = 1; i < r.size(); ++i)
    order.push_back(r[i]);
  for (const Halide::Var &v : lanes.args())
    if (v.name() != lane.name())
      order.push_back(v);
  lanes.update(0).reorder(order).vectorize(lane);
}

static std::optional<FoldValues> fold(const Node &n) {
  return foldReduce(n, FoldReduce::Sum);
}

extern const OpInfo SumInfo = [] {
  OpInfo op;
  op.attrs = kReduceAttrs;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.fold = fold;
  op.lower = lower;
  op.schedule = schedule;
  return op;
}();

} // namespace lamina
