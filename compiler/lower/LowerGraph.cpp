//===- LowerGraph.cpp - A graph's results as one Halide pipeline ----------===//
#include "lamina/Lower.h"
#include "lamina/OpInfo.h"
#include "lamina/Plan.h"

#include <cassert>

namespace lamina {

Halide::Target defaultTarget() {
  // The host's own features (AVX2, AVX-512, FMA, ...): generated code and
  // executables use every instruction set extension of the machine that
  // compiles them and may die with an illegal instruction on a machine
  // without one of them. Compile on (or for) the machine that runs them.
  return Halide::get_host_target();
}

bool updateKeepsPureVar(const Halide::Func &f, int update, int d) {
  std::vector<Halide::Expr> args =
      const_cast<Halide::Func &>(f).update_args(update);
  const auto *v = args[d].as<Halide::Internal::Variable>();
  return v && v->name == const_cast<Halide::Func &>(f).args()[d].name();
}

// Vector tails are guarded, not shifted inwards: a consumer may need a
// region narrower than one vector (pad_grad reads an interior window), and
// a shifted vector would read its producer's inputs out of bounds.
void scheduleDefault(const Node &n, Halide::Func &f, LowerContext &ctx) {
  f.compute_root();
  unsigned rank = n.rank();
  if (rank == 0)
    return;
  std::vector<Halide::Var> args = f.args();
  int vw = ctx.vectorWidth(n);
  int64_t inner = n.shape().back();
  bool vectorize = inner != kBatch && inner >= vw;
  int outer = static_cast<int>(rank) - 1;
  bool parallel = rank >= 2 && ctx.parallel(n);
  if (vectorize)
    f.vectorize(args[0], vw, Halide::TailStrategy::GuardWithIf);
  if (parallel)
    f.parallel(args[outer]);
  for (int u = 0; u < f.num_update_definitions(); ++u) {
    Halide::Stage s = f.update(u);
    if (vectorize && updateKeepsPureVar(f, u, 0))
      s.vectorize(args[0], vw, Halide::TailStrategy::GuardWithIf);
    if (parallel && updateKeepsPureVar(f, u, outer))
      s.parallel(args[outer]);
  }
}

namespace {
class IntegerTailLoads final : public Halide::Internal::IRMutator {
  using IRMutator::visit;

  Halide::Expr visit(const Halide::Internal::Load *op) override {
    Halide::Expr index = mutate(op->index);
    Halide::Expr predicate = mutate(op->predicate);
    bool punned =
        op->type.is_float() && !Halide::Internal::is_const_one(predicate);
    if (!punned && index.same_as(op->index) && predicate.same_as(op->predicate))
      return op;
    Halide::Type t =
        punned ? Halide::UInt(op->type.bits(), op->type.lanes()) : op->type;
    Halide::Expr load = Halide::Internal::Load::make(
        t, op->name, index, op->image, op->param, predicate, op->alignment);
    return punned ? Halide::reinterpret(op->type, load) : load;
  }
};
} // namespace

void keepNaNInVectorTails(Halide::Pipeline &p) {
  p.add_custom_lowering_pass(new IntegerTailLoads);
}

void setOutputBounds(Halide::Func &f, const Node &n, LowerContext &ctx) {
  ctx.setDense(f.output_buffer().parameter(), n.shape());
}

Halide::Func outputFunc(const std::string &name, const Node &n,
                        LowerContext &ctx) {
  Halide::Func o(name);
  std::vector<Halide::Var> v = ctx.vars(n);
  LowerContext::define(
      o, v, LowerContext::call(ctx.funcOf(n), LowerContext::exprs(v)));
  setOutputBounds(o, n, ctx);
  scheduleDefault(n, o, ctx);
  return o;
}

/// Nodes needed by `roots`, in creation order.
static std::vector<bool> liveNodes(const Graph &g,
                                   const std::vector<const Node *> &roots) {
  std::vector<bool> live(g.size(), false);
  std::vector<const Node *> work(roots.begin(), roots.end());
  for (const Node *r : roots)
    live[r->id()] = true;
  while (!work.empty()) {
    const Node *n = work.back();
    work.pop_back();
    for (const Node *in : n->inputs())
      if (!live[in->id()]) {
        live[in->id()] = true;
        work.push_back(in);
      }
  }
  return live;
}

LoweredPipeline lowerGraph(const Graph &g, PipelineKind kind,
                           const Halide::Target &target) {
  LoweredPipeline out;
  for (const PlanResult &r : pipelineResults(g, kind)) {
    out.outputNames.push_back(r.name);
    out.outputNodes.push_back(r.node);
  }

  LowerContext ctx(g, target);
  std::vector<bool> live = liveNodes(g, out.outputNodes);
  out.arguments.push_back(ctx.batch());
  out.batch = ctx.batch();
  for (const auto &np : g.nodes()) {
    const Node &n = *np;
    if (!live[n.id()])
      continue;
    const OpInfo &info = getOpInfo(n.kind());
    Halide::Func f = info.lower(n, ctx);
    if (n.kind() != OpKind::Input && n.kind() != OpKind::Param) {
      if (info.schedule)
        info.schedule(n, f, ctx);
      else
        scheduleDefault(n, f, ctx);
    }
    ctx.setFunc(n, f);
    if (n.kind() == OpKind::Input && n.rank() == 0) {
      out.arguments.push_back(ctx.scalarParamFor(n));
      out.scalars.emplace_back(&n, ctx.scalarParamFor(n));
    } else if (n.kind() == OpKind::Input || n.kind() == OpKind::Param) {
      out.arguments.push_back(ctx.imageParamFor(n));
      out.images.emplace_back(&n, ctx.imageParamFor(n));
    }
  }

  std::vector<Halide::Func> outs;
  for (size_t i = 0; i < out.outputNodes.size(); ++i) {
    outs.push_back(outputFunc(out.outputNames[i], *out.outputNodes[i], ctx));
  }
  out.pipeline = Halide::Pipeline(outs);
  keepNaNInVectorTails(out.pipeline);
  return out;
}

} // namespace lamina
