//===- OpInfo.h - Everything about an op: schema, rules, folding, lowering ===//
//
// One op is one entry: compiler/ops/<Category>/<Name>.cpp defines
// `extern const OpInfo NameInfo` with everything about the op side by side:
// its attribute schema, type rule, gradient rule (symbolic: it builds graph
// nodes and computes no numbers), constant folding, algebraic identities
// and Halide lowering. Passes, the front end, autodiff and codegen are
// generic over these hooks, so a new op touches Ops.def and its own file.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_OPINFO_H
#define LAMINA_OPINFO_H

#include "lamina/IR.h"
#include "lamina/Support.h"
#include "lamina/abi/Metrics.h"

#include <optional>
#include <string>
#include <vector>

namespace Halide {
class Func;
} // namespace Halide

namespace lamina {

class DiagnosticEngine;
class GradBuilder;
class TrainFormBuilder;
class LowerContext;

/// The kinds of value an attribute holds.
enum class AttrType {
  Int,       ///< an integer (int64)
  Float,     ///< a number (double; an integer is accepted)
  Bool,      ///< true/false, stored as int64 0/1
  Ints,      ///< a list of integers: axes, a permutation, padding
  IntOrInts, ///< an integer (the same in every dim) or a list of them
  Shape,     ///< a list of positive integers or `batch`
  DType,     ///< f32, f64 or i32, stored as a string
  String,    ///< a word, stored as a string
};

/// One attribute of an op: its name, kind, default and a line of doc.
struct AttrSpec {
  const char *name;
  AttrType type;
  /// The default as IR text ("0.01", "-1", "[]", "false", "f32"); nullptr
  /// makes the attribute required; "" makes it optional with no single
  /// default (the op works it out, e.g. transpose's perm).
  const char *dflt;
  /// One line for the language reference.
  const char *doc;
  /// Another keyword a DSL call may use for it (`axis` for `axes`).
  const char *alias = nullptr;
};

/// A static array of AttrSpecs.
struct AttrList {
  const AttrSpec *data = nullptr;
  unsigned size = 0;
  constexpr AttrList() = default;
  template <unsigned N>
  constexpr AttrList(const AttrSpec (&specs)[N]) : data(specs), size(N) {}
  const AttrSpec *begin() const { return data; }
  const AttrSpec *end() const { return data + size; }
};

/// How a model file reaches an op.
enum class DslForm {
  Call,  ///< `op(operands..., attributes...)`, checked against the schema
  Layer, ///< a layer form of the same name in frontend/LayerForms
  None,  ///< not callable: a leaf, or built only by gradient rules
};

/// Everything the compiler knows about one op. Its name and operand count
/// come from Ops.def; the rest is set in its file,
/// compiler/ops/<Category>/<Name>.cpp, as
///   extern const OpInfo NameInfo = [] { OpInfo op; ...; return op; }();
/// which is a constant expression, so the table needs no static
/// constructors.
struct OpInfo {
  /// The attributes the op takes, in the positional order of a DSL call.
  /// checkNode checks them before the type rule runs, so a type rule may
  /// read every required attribute and every present one without checks.
  AttrList attrs;
  /// Computes the result type from n's inputs and attributes (n's own type
  /// is not set yet). User errors are returned as messages that name both
  /// shapes involved.
  Expected<TensorType> (*inferType)(const Node &n) = nullptr;
  /// Adds dL/d(input) for each input to `g`. nullptr when the op has no
  /// useful gradient; then `noGradReason` says why.
  void (*buildGradient)(const Node &n, GradBuilder &g) = nullptr;
  const char *noGradReason = nullptr;
  /// Why node n of an op with a gradient rule has no gradient (a cast to
  /// i32), or nullptr when it has one.
  const char *(*noGradientFor)(const Node &n) = nullptr;
  /// The op computes something else in the train step than in eval and
  /// predict (dropout draws masks, batch_norm uses the batch's statistics
  /// and updates its running ones): builds n's value in the train step
  /// from `ins`, n's operands there. nullptr: the train step computes n.
  Node *(*trainForm)(const Node &n, const std::vector<Node *> &ins,
                     TrainFormBuilder &b) = nullptr;
  /// Bit i set: the value of operand i cannot change the result through a
  /// gradient (select's condition only chooses; count only reads a shape),
  /// so a non-differentiable op feeding it blocks no gradient.
  unsigned nonDiffOperands = 0;
  /// n's values (row-major) when every operand is a Constant; nullopt when
  /// the op does not fold them. Must compute what the lowering computes,
  /// NaN and signed zeros included (test/unit/FoldTest.cpp checks).
  std::optional<std::vector<double>> (*fold)(const Node &n) = nullptr;
  /// An algebraic identity: the value n can be replaced by (one of its
  /// operands, when it has n's type), or nullptr. May re-point n's operands
  /// when n's type stays the same (reshape(reshape(x)) -> reshape(x)).
  Node *(*simplify)(Node &n) = nullptr;
  /// A warning about a well-typed n, e.g. input a convolution never reads;
  /// "" if none. The front end reports it at the call.
  std::string (*warning)(const Node &n) = nullptr;
  /// The number of classes operand `i` indexes when the op reads it as
  /// class indices (one_hot, cross_entropy's labels), else 0.
  int64_t (*labelClasses)(const Node &n, unsigned i) = nullptr;
  /// Builds the Halide Func computing n from the Funcs of its inputs.
  Halide::Func (*lower)(const Node &n, LowerContext &ctx) = nullptr;
  /// A metric the runtime finishes over a whole data set (r2, rmse,
  /// accuracy, ...; see lamina/abi/Metrics.h): the executable's train and
  /// eval pipelines compute, in place of its value, the stats of
  /// `statsFinish` (statsSize(n) of them, f64) as a metric_stats node with
  /// n's operands and attributes, which `lowerStats` lowers.
  /// abi::MetricFinish::Rows (the default): the runtime averages n's value
  /// over the batches, weighted by their rows.
  abi::MetricFinish statsFinish = abi::MetricFinish::Rows;
  int64_t (*statsSize)(const Node &n) = nullptr;
  Halide::Func (*lowerStats)(const Node &n, LowerContext &ctx) = nullptr;
  /// The node the lowering reads in place of operand i (matmul reads x
  /// itself for an operand transpose(x)), or nullptr for operand i. The
  /// kernel planner makes that node the kernel's input.
  const Node *(*readsThrough)(const Node &n, unsigned i) = nullptr;
  /// Schedules the Func built by `lower`; nullptr means the default
  /// schedule (compute_root, vectorized innermost, parallel outermost).
  void (*schedule)(const Node &n, Halide::Func &f, LowerContext &ctx) = nullptr;
  /// Each output element reads its operands at one position each (add,
  /// relu, reshape, broadcast_to): the kernel planner fuses the op into the
  /// kernel that produces its operand, and the lowering inlines it into its
  /// single reader there (compiler/lower/Partition.cpp). Other ops anchor a
  /// kernel of their own.
  bool fusible = false;
  /// `schedule` may be given, in place of n's own Func, the Func of an
  /// epilogue of n: fusible nodes of n's shape, each reading the one
  /// before at its own position (an activation, a gradient mask, a
  /// parameter's update). It then computes n's result in that Func's tiles
  /// (matmul and dense: the sum in registers, the epilogue as each tile is
  /// stored; stride-1 conv and conv_grad_input: the epilogue as the tiles
  /// of the flat rows are copied out; the pooling gradients: n's values
  /// inlined into the epilogue's vectors), so n's result is never stored.
  bool tilesEpilogue = false;
  /// The number of leading dims of n's result that n computes row by row:
  /// result row (i0, .., ik-1) reads only row (i0, .., ik-1) of each operand
  /// that is not of rank 0, whose leading dims are the result's (pooling
  /// and its gradient: batch and channels). A kernel of such ops compiles
  /// once for any extents of those dims (GenericKernel). nullptr: none, but
  /// a fusible op whose operands have its shape or rank 0 computes every
  /// dim but the innermost so.
  unsigned (*rowDims)(const Node &n) = nullptr;
  /// Many multiply-adds per element read or written (matmul, dense, the
  /// convolutions and their gradients): wider vectors pay, so a portable
  /// executable gets an AVX2 and an AVX-512 variant of every kernel that
  /// holds one (see Kernel::variants).
  bool computeBound = false;
  /// n's floating-point operations at run-time batch `batch` (a multiply-add
  /// counts 2), for `bench`'s GFLOP/s. nullptr: one per element of the
  /// largest of its result and operands.
  double (*flops)(const Node &n, int64_t batch) = nullptr;
  /// How a model file calls it.
  DslForm form = DslForm::Call;
  /// The operands for the language reference ("x", "a, b").
  const char *operandDoc = "x";
};

/// The entry for `k`.
const OpInfo &getOpInfo(OpKind k);
/// OpInfo::flops of n, or its default.
double nodeFlops(const Node &n, int64_t batch);
/// The nodes n's lowering reads: its operands, each replaced by what the
/// op reads through (OpInfo::readsThrough).
std::vector<const Node *> loweringInputs(const Node &n);
/// The spelling of `k`, e.g. "relu" (Ops.def).
const char *opName(OpKind k);
/// The number of operands of `k`, or -1 if its type rule checks it
/// (Ops.def).
int opArity(OpKind k);
/// The op spelled `s`, or nullopt.
std::optional<OpKind> lookupOp(const std::string &s);

/// The schema entry of attribute `name` of `k`, or nullptr.
const AttrSpec *findAttrSpec(OpKind k, const std::string &name);
/// The value of an attribute default written as IR text (AttrSpec::dflt);
/// nullopt for "" (no single default).
std::optional<Attr> parseAttrDefault(const AttrSpec &spec);
/// n's attribute `name`, or its op's default for it. The attribute must be
/// in the op's schema and have a default if n lacks it.
Attr attrOrDefault(const Node &n, const char *name);
/// attrOrDefault as a number (an int attribute is converted).
double floatAttrOf(const Node &n, const char *name);
/// attrOrDefault as an integer (a bool is 0 or 1).
int64_t intAttrOf(const Node &n, const char *name);

/// The op table of the language reference (dsl/README.md), in Markdown,
/// built from Ops.def and the schemas: every op a model file can call.
std::string opReferenceTable();

/// Checks n against its op: the operand count, the attributes of the
/// schema (required ones present, each of the right kind), then the type
/// rule. Returns the inferred type or the first error, which names the op.
/// The builder, the IR parser, the verifier and the passes all use it.
Expected<TensorType> checkNode(const Node &n);

/// Numpy broadcasting of two shapes (kBatch matches kBatch and 1); nullopt if
/// they do not broadcast.
std::optional<Shape> broadcastShapes(const Shape &a, const Shape &b);

/// Normalizes `axes` against `rank` (negative counts from the end, empty
/// means all) into sorted unique axes; nullopt if one is out of range.
std::optional<std::vector<int64_t>> normalizeAxes(std::vector<int64_t> axes,
                                                  unsigned rank);

/// Creates nodes with their types inferred by the op's rule.
class GraphBuilder {
public:
  /// Type errors go to `diag` (if non-null) at the node's location.
  GraphBuilder(Graph &g, DiagnosticEngine *diag) : g_(g), diag_(diag) {}

  /// Builds a node; on a type error reports it and returns nullptr.
  Node *build(OpKind k, std::vector<Node *> inputs, Attrs attrs = {},
              SourceLoc loc = {});
  /// Builds a node; on a type error returns the message and adds nothing.
  Expected<Node *> tryBuild(OpKind k, std::vector<Node *> inputs,
                            Attrs attrs = {}, SourceLoc loc = {});
  /// A scalar constant of dtype `t`.
  Node *scalar(double v, DType t, SourceLoc loc = {});

  Graph &graph() { return g_; }

private:
  Graph &g_;
  DiagnosticEngine *diag_;
};

/// Builds nodes for a rule (a gradient rule, a train form). Every node built
/// through it gets its type inferred; a type error there is a bug in the
/// rule and asserts.
class NodeMaker {
public:
  virtual ~NodeMaker() = default;

  /// Builds any op.
  virtual Node *make(OpKind k, std::vector<Node *> inputs,
                     Attrs attrs = {}) = 0;

  /// A scalar constant with dtype `t`.
  virtual Node *scalar(double v, DType t) = 0;

  // Sugar over make(); a double operand becomes a scalar of the other's
  // dtype.
  Node *add(Node *a, Node *b) { return make(OpKind::Add, {a, b}); }
  Node *sub(Node *a, Node *b) { return make(OpKind::Sub, {a, b}); }
  Node *mul(Node *a, Node *b) { return make(OpKind::Mul, {a, b}); }
  Node *div(Node *a, Node *b) { return make(OpKind::Div, {a, b}); }
  Node *add(Node *a, double b) { return add(a, scalar(b, a->dtype())); }
  Node *sub(double a, Node *b) { return sub(scalar(a, b->dtype()), b); }
  Node *mul(Node *a, double b) { return mul(a, scalar(b, a->dtype())); }
  Node *neg(Node *a) { return make(OpKind::Neg, {a}); }
  Node *exp(Node *a) { return make(OpKind::Exp, {a}); }
  Node *log(Node *a) { return make(OpKind::Log, {a}); }
  Node *sign(Node *a) { return make(OpKind::Sign, {a}); }
  Node *sigmoid(Node *a) { return make(OpKind::Sigmoid, {a}); }
  Node *greater(Node *a, Node *b) { return make(OpKind::Greater, {a, b}); }
  Node *greater(Node *a, double b) { return greater(a, scalar(b, a->dtype())); }
  Node *select(Node *c, Node *a, Node *b) {
    return make(OpKind::Select, {c, a, b});
  }
  Node *select(Node *c, Node *a, double b) {
    return select(c, a, scalar(b, a->dtype()));
  }
  Node *matmul(Node *a, Node *b) { return make(OpKind::MatMul, {a, b}); }
  Node *transpose(Node *a, std::vector<int64_t> perm) {
    return make(OpKind::Transpose, {a}, {{"perm", std::move(perm)}});
  }
  /// Swaps the last two dims.
  Node *transposeLast2(Node *a);
  Node *sum(Node *a, std::vector<int64_t> axes, bool keepdims) {
    return make(OpKind::Sum, {a},
                {{"axes", std::move(axes)}, {"keepdims", int64_t(keepdims)}});
  }
  Node *count(Node *a, std::vector<int64_t> axes) {
    return make(OpKind::Count, {a}, {{"axes", std::move(axes)}});
  }
  Node *reshape(Node *a, Shape s) {
    return make(OpKind::Reshape, {a}, {{"shape", std::move(s)}});
  }
  Node *broadcastTo(Node *a, Shape s) {
    return make(OpKind::BroadcastTo, {a}, {{"shape", std::move(s)}});
  }
  Node *softmax(Node *a, int64_t axis) {
    return make(OpKind::Softmax, {a}, {{"axis", axis}});
  }
  Node *oneHot(Node *labels, int64_t classes, DType t) {
    return make(OpKind::OneHot, {labels},
                {{"classes", classes}, {"dtype", std::string(dtypeName(t))}});
  }
};

/// Handed to buildGradient.
class GradBuilder : public NodeMaker {
public:
  /// dL/dn, with n's shape.
  virtual Node *outGrad(const Node &n) = 0;
  /// Adds `grad` to dL/d(x). `grad` may have the broadcast shape of the
  /// consumer; it is summed back to x's shape here, once for every op.
  virtual void accumulate(const Node &x, Node *grad) = 0;
};

/// Handed to trainForm, which builds an op's value in the train step.
class TrainFormBuilder : public NodeMaker {
public:
  /// The train step's random key: a rank-0 f64 input "step_key" holding an
  /// integer below 2^32, which the runtime derives from the seed, the epoch
  /// and the step (so a resumed run draws the same masks).
  virtual Node *stepKey() = 0;
  /// A number no other call in this train step gets (a dropout's salt).
  virtual int64_t nextSalt() = 0;
  /// Makes `value` the value of non-trainable state `leaf` (a Param of role
  /// "buffer") after the step.
  virtual void updateBuffer(Node *leaf, Node *value) = 0;
};

} // namespace lamina

#endif // LAMINA_OPINFO_H
