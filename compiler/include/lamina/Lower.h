//===- Lower.h - Graph -> Halide pipelines --------------------------------===//
//
// Ops think in logical (row-major) index order: index 0 is the outermost
// dimension, the last index is contiguous. Halide lists dimensions innermost
// first, so LowerContext reverses every index list for you: use define(),
// call() and read() and never index a Func directly.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_LOWER_H
#define LAMINA_LOWER_H

#include "lamina/IR.h"
#include "lamina/abi/Names.h"

#include <Halide.h>

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace lamina {

/// Which results a pipeline produces.
enum class PipelineKind {
  /// loss, metrics, and the new value of every parameter and state.
  Train,
  /// loss and metrics.
  Eval,
  /// model outputs.
  Predict,
  /// The train step's first phase: loss, metrics and the gradient of every
  /// parameter ("grad_p_w"), for runs that combine gradients before an
  /// update (train --accumulate).
  Grad,
  /// The train step's second phase: new parameters and state from the
  /// parameters, state, lr and the gradients (inputs "grad_p_w").
  Update,
  /// The results of Grad, from an f64 copy of the train step without its
  /// metrics (gradCheckGraph), for the executable's `gradcheck` (laminac
  /// --gradcheck).
  GradCheck,
};

/// The Halide pipeline name of each kind: "lamina_train", ...
const char *pipelineFunctionName(PipelineKind k);

class LowerContext {
public:
  LowerContext(const Graph &g, Halide::Target target);

  /// A unique, C-identifier-safe Halide name for n ("relu_12").
  std::string name(const Node &n) const;
  /// The Halide element type of n's value.
  Halide::Type type(const Node &n) const { return halideType(n.dtype()); }
  static Halide::Type halideType(DType t);
  /// `e` cast to n's element type.
  Halide::Expr cast(const Node &n, Halide::Expr e) const;
  /// A constant of n's element type.
  Halide::Expr constant(const Node &n, double v) const;

  /// Fresh Vars, one per dimension of n, in logical order.
  std::vector<Halide::Var> vars(const Node &n) const;
  /// Fresh Vars for a rank.
  static std::vector<Halide::Var> vars(unsigned rank);

  /// The Func computing input i of n.
  Halide::Func input(const Node &n, unsigned i) const;
  /// Reads input i of n at logical indices of input i.
  Halide::Expr read(const Node &n, unsigned i,
                    const std::vector<Halide::Expr> &idx) const;
  /// Reads input i of n at logical indices of n's own shape, applying numpy
  /// broadcasting (leading dims dropped, size-1 dims pinned to 0).
  Halide::Expr readBroadcast(const Node &n, unsigned i,
                             const std::vector<Halide::Expr> &idx) const;

  /// Defines f(vars) = e with vars in logical order.
  static void define(Halide::Func &f, const std::vector<Halide::Var> &vars,
                     const Halide::Expr &e);
  /// Calls f at logical indices.
  static Halide::Expr call(const Halide::Func &f,
                           const std::vector<Halide::Expr> &idx);
  /// Logical Vars as Exprs.
  static std::vector<Halide::Expr> exprs(const std::vector<Halide::Var> &v);

  /// The extent of logical dim `d` of `s` (the batch parameter for kBatch).
  Halide::Expr extent(const Shape &s, unsigned d) const;
  /// The product of the extents of `axes` of `s`.
  Halide::Expr count(const Shape &s, const std::vector<int64_t> &axes) const;
  /// The run-time batch size.
  const Halide::Param<int32_t> &batch() const { return batch_; }

  /// The Halide Func of an already lowered node.
  Halide::Func funcOf(const Node &n) const;
  void setFunc(const Node &n, Halide::Func f);
  /// An op whose lowering computes a reduction in a Func of its own and
  /// returns a pure Func that reads it (matmul: the register tiles of the
  /// sum are computed inside the tiles of the result) records that Func
  /// here for its schedule.
  void setReduction(const Node &n, Halide::Func f) {
    reductions_[n.id()] = std::move(f);
  }
  Halide::Func reductionOf(const Node &n) const;
  /// A Func n's schedule needs besides its reduction (a strided conv's
  /// weight gradient over the phase planes, before it is gathered into the
  /// kernel's layout).
  void setAux(const Node &n, Halide::Func f) { aux_[n.id()] = std::move(f); }
  Halide::Func auxOf(const Node &n) const;

  const Halide::Target &target() const { return target_; }
  /// Constrains buffer parameter `p` (an input's or a kernel output's) to a
  /// dense buffer of logical shape `s`, mins 0: its kernel reads neither
  /// extents, mins nor strides from the buffer, only its host pointer.
  void setDense(const Halide::Internal::Parameter &p, const Shape &s) const;
  /// Natural vector width in elements for n's type (8 for f32 with AVX2).
  int vectorWidth(const Node &n) const;
  /// Whether a parallel loop of `outer` iterations (kBatch: the run-time
  /// batch) over the computation of n's output pays off. It does not when
  /// the loop has a single iteration, nor when n's output and every input
  /// have fixed shapes whose largest holds fewer than kMinParallelElements
  /// elements (a small parameter's update: dispatching the tasks costs more
  /// than the work). Work that grows with the batch is always parallel.
  bool parallel(const Node &n, int64_t outer) const;
  /// parallel(n, extent of n's outermost dim).
  bool parallel(const Node &n) const {
    return parallel(n, n.rank() == 0 ? 1 : n.shape()[0]);
  }

  /// Input and Param leaves become these, and so do the values a kernel
  /// reads from other kernels (see lowerKernel).
  Halide::ImageParam &imageParamFor(const Node &leaf);
  /// Scalar hyper-parameters (rank-0 Input nodes such as "lr").
  Halide::Param<double> &scalarParamFor(const Node &leaf);

  const Graph &graph() const { return g_; }

  /// Names n's argument `name` instead of argName(n) (a kernel names its
  /// arguments by position). Must precede imageParamFor/scalarParamFor.
  void setArgName(const Node &n, std::string name) {
    argNames_[n.id()] = std::move(name);
  }
  /// Names n's Func `name` instead of name(n) (a kernel names its outputs
  /// by position). Must precede n's lowering.
  void setName(const Node &n, std::string name) {
    names_[n.id()] = std::move(name);
  }

private:
  std::string argNameOf(const Node &n) const;

  const Graph &g_;
  Halide::Target target_;
  Halide::Param<int32_t> batch_{"batch"};
  std::map<unsigned, Halide::Func> funcs_;
  std::map<unsigned, Halide::Func> reductions_, aux_;
  std::map<unsigned, std::string> names_;
  /// Each node's %N in printGraph's dump of the graph.
  std::unordered_map<const Node *, std::string> printed_;
  std::map<unsigned, Halide::ImageParam> images_;
  std::map<unsigned, Halide::Param<double>> scalars_;
  std::map<unsigned, std::string> argNames_;
};

/// Below this many elements in the largest of a kernel's fixed-shape input
/// and output, its loops run serially (see LowerContext::parallel). A
/// conservative floor rather than a measured break-even: the mlp test's
/// smallest weight gradient (64 x 32) stays parallel; linreg's and xor's
/// weights and LeNet-5's first-layer update (6 x 1 x 5 x 5) do not.
constexpr int64_t kMinParallelElements = 1024;

/// Applies the default schedule to a lowered Func for node n: compute_root,
/// the innermost logical dim vectorized when its extent allows, the
/// outermost parallel; update definitions likewise over pure vars.
void scheduleDefault(const Node &n, Halide::Func &f, LowerContext &ctx);

/// Constrains f, a pipeline output holding n's value, to be dense with
/// mins at 0 and n's extents.
void setOutputBounds(Halide::Func &f, const Node &n, LowerContext &ctx);

/// Whether the argument at Halide dim `d` of update `update` of f is the
/// pure Var of that dim (false for a scatter such as f(g(r)) += ...).
bool updateKeepsPureVar(const Halide::Func &f, int update, int d);

/// A pipeline output `name` holding n's value: dense, mins at 0, n's
/// extents, the default schedule.
Halide::Func outputFunc(const std::string &name, const Node &n,
                        LowerContext &ctx);

/// Makes `p` load the floats of a vector's tail (a predicated load) as
/// integers of their width and reinterpret them. Halide gives a masked load
/// of floats its fast-math flags, "no NaN", and LLVM then took a NaN in the
/// last lanes for any number: relu, exp or log of it gave 0, 1 or 89. Every
/// pipeline the lowering builds has it.
void keepNaNInVectorTails(Halide::Pipeline &p);

/// The abi::Role of a leaf from its "role" attribute; nullopt for a rank-0
/// scalar (role "hyper" or "key").
std::optional<abi::Role> leafRole(const Node &leaf);
/// The Halide argument name for a leaf: abi::argumentName of its role and
/// sanitized name ("in_x", "p_h1_weight"), or a scalar's own name ("lr",
/// "step_key").
std::string argName(const Node &leaf);

/// A lowered graph: the Halide pipeline and its arguments in call order.
struct LoweredPipeline {
  Halide::Pipeline pipeline;
  std::vector<Halide::Argument> arguments;
  /// Output names in pipeline order ("loss", "m_accuracy", "new_p_w", ...).
  std::vector<std::string> outputNames;
  /// Output nodes in pipeline order.
  std::vector<const Node *> outputNodes;
  /// The leaves, as the pipeline's parameters (for JIT runs).
  std::vector<std::pair<const Node *, Halide::ImageParam>> images;
  std::vector<std::pair<const Node *, Halide::Param<double>>> scalars;
  Halide::Param<int32_t> batch;
};

/// Lowers the results of `g` selected by `kind` into one Halide pipeline.
/// Leaves become ImageParams named by argName(), plus the "batch" Param.
LoweredPipeline lowerGraph(const Graph &g, PipelineKind kind,
                           const Halide::Target &target);

/// The default AOT/JIT target: the compiling machine's own CPU features, no
/// runtime checks removed. Code built for it may not run on a machine that
/// lacks one of those features.
Halide::Target defaultTarget();

} // namespace lamina

#endif // LAMINA_LOWER_H
