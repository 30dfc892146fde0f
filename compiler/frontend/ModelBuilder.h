//===- ModelBuilder.h - One model's declarations -> Graph ---*- C++ -*-===//
//
// Private to compiler/frontend/. ModelBuilder walks one model's
// declarations in order, building nodes through GraphBuilder so every op's
// type rule checks its operands. Its members are defined in
//   BuildGraph.cpp     the model walk: declarations, bindings, results;
//   BuildLiterals.cpp  number and array literals;
//   BuildExprs.cpp     names, operators and calls of Ops.def's ops;
//   LayerForms.cpp     dense, conv, pooling, global_avgpool and flatten,
//                      with the parameters they create;
//   LearnedForms.cpp   prelu, swiglu, embedding and layer_norm, whose
//                      parameters start as PyTorch's layers do;
//   RecurrentForms.cpp rnn, lstm and gru, unrolled over time.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_FRONTEND_MODELBUILDER_H
#define LAMINA_FRONTEND_MODELBUILDER_H

#include "CallSignatures.h"
#include "FrontendUtil.h"

#include "lamina/AST.h"
#include "lamina/Diagnostics.h"
#include "lamina/OpInfo.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace lamina {
namespace frontend {

/// True if `e` contains no names or calls: it folds to numbers.
bool isConstantExpr(const ast::Expr &e);

/// A number or an array literal, possibly negated: becomes one Constant.
bool isLiteral(const ast::Expr &e);

/// Elements of `s` per sample, or -1 if more than 2^40.
int64_t boundedElements(const Shape &s);

/// Builds the graph of one model into `g`. Errors are reported where they
/// happen and building goes on, so one run shows several of them; a name
/// whose definition failed is "poisoned" so its uses do not report again.
class ModelBuilder {
public:
  ModelBuilder(const ast::Model &m, Graph &g, DiagnosticEngine &diag)
      : model_(m), g_(g), diag_(diag), b_(g, &diag) {}

  /// Builds every declaration of the model, in order.
  void run();

private:
  struct Binding {
    /// nullptr when the definition failed: uses stay quiet.
    Node *node;
    SourceLoc loc;
  };

  //===--------------------------------------------------------------------===//
  // Declarations (BuildGraph.cpp).
  //===--------------------------------------------------------------------===//

  /// Builds one declaration of any kind.
  void declare(const ast::Decl &d);
  /// Binds `name`; reports a redefinition (keeping the first binding).
  bool bind(const std::string &name, const SourceLoc &loc, Node *n);
  /// Reserves an output or metric name.
  bool reserveResult(const std::string &name, const SourceLoc &loc);
  /// input NAME: TYPE;  label NAME: TYPE;
  void declareInput(const ast::Decl &d);
  /// param NAME: TYPE [= literal];
  void declareParam(const ast::Decl &d);
  /// Starts a statement: dense layers in it are named after `name`.
  void beginStatement(const std::string &name);
  /// Names the node a statement produced, unless the statement merely
  /// refers to an existing value (`y = x;`).
  void nameResult(Node *n, const std::string &name);
  /// NAME = expr;  output NAME = expr;
  void declareValue(const ast::Decl &d);
  /// `a, b, .. = split(x, pieces, axis = k);`: one name per piece.
  void declareSplit(const ast::Decl &d);
  /// loss expr;
  void declareLoss(const ast::Decl &d);
  /// metric NAME = expr;  metric op(args);  (named after the op)
  void declareMetric(const ast::Decl &d);

  //===--------------------------------------------------------------------===//
  // Literals (BuildLiterals.cpp).
  //===--------------------------------------------------------------------===//

  /// Folds a number or a (possibly negated) array literal into its shape
  /// and row-major values, checking that it is rectangular and, for i32,
  /// integral.
  bool foldLiteral(const ast::Expr &e, DType dt, Shape &shape,
                   std::vector<double> &values);
  /// Appends the numbers of `e`, which must have shape shape[level..].
  bool collect(const ast::Expr &e, const Shape &shape, size_t level,
               std::vector<double> &values);
  /// A Constant of dtype `dt` for a literal.
  Node *emitLiteral(const ast::Expr &e, DType dt);

  //===--------------------------------------------------------------------===//
  // Expressions and calls of Ops.def's ops (BuildExprs.cpp).
  //===--------------------------------------------------------------------===//

  /// Builds `e`. Literals get dtype `hint` (f32 when there is none).
  Node *emit(const ast::Expr &e, std::optional<DType> hint = std::nullopt);
  /// A reference to a bound value.
  Node *emitName(const ast::NameRef &n);
  /// Builds the operands of an op; literal ones take the dtype of the first
  /// other operand, so `x * 2` works for f32 and f64 alike.
  bool emitOperands(const std::vector<const ast::Expr *> &exprs,
                    std::optional<DType> hint, std::vector<Node *> &out);
  /// lhs + - * / @ rhs.
  Node *emitBinary(const ast::BinaryExpr &e, std::optional<DType> hint);
  /// A call of an op or of a layer form.
  Node *emitCall(const ast::CallExpr &c);
  /// The tensors of `op(a, b, ..., axis = k)` (at least two) and its axis,
  /// `axis` when the call gives none (nullopt: it must); nullopt after
  /// reporting a misuse.
  struct TensorList {
    std::vector<Node *> tensors;
    int64_t axis = 0;
  };
  std::optional<TensorList> emitTensorList(const ast::CallExpr &c,
                                           std::optional<int64_t> axis);
  /// concat(a, b, ..., axis = -1): any number of tensors, then the axis.
  Node *emitConcat(const ast::CallExpr &c);
  /// stack(a, b, ..., axis = k): tensors of one shape along a new dim k of
  /// the result (a reshape of each, then a concat).
  Node *emitStack(const ast::CallExpr &c);
  /// The pieces of `split(x, pieces, axis = -1)` for a statement that names
  /// `names` of them: a slice each; nullopt after reporting a misuse.
  std::optional<std::vector<Node *>> emitSplit(const ast::CallExpr &c,
                                               size_t names);
  /// Checks that all `n` operands of `c` were given positionally.
  bool checkOperandCount(const ast::CallExpr &c, const BoundArgs &args,
                         unsigned n);
  /// "argument 'alpha' of 'leaky_relu' must be a number, got 'y'".
  void badArg(const ast::CallExpr &c, const ast::Arg &a, const char *name,
              const std::string &what);
  /// Converts the argument for attribute `spec`.
  std::optional<Attr> attrValue(const ast::CallExpr &c, const ast::Arg &a,
                                const AttrSpec &spec);
  /// A bool argument `name` (true/false), `dflt` when not given; nullopt
  /// after reporting a bad value.
  std::optional<bool> boolArg(const ast::CallExpr &c, const ast::Arg *a,
                              const char *name, bool dflt);
  /// A positive number argument `name`, `dflt` when not given.
  std::optional<double> positiveArg(const ast::CallExpr &c, const ast::Arg *a,
                                    const char *name, double dflt);
  /// A positive integer argument `name` (units, vocab, ...); 0 after
  /// reporting a bad or missing one.
  int64_t sizeArg(const ast::CallExpr &c, const ast::Arg *a, const char *name);
  /// op(operands..., attributes...) for an op of Ops.def.
  Node *emitOpCall(OpKind k, const ast::CallExpr &c);

  //===--------------------------------------------------------------------===//
  // Layer forms and the parameters they create (LayerForms.cpp).
  //===--------------------------------------------------------------------===//

  /// The attributes of a parameter initialized by the train block's init
  /// (the default init until buildGraph applies the train block).
  static Attrs initAttrs(int64_t fanIn, int64_t fanOut);
  /// A new parameter named `name`.
  Node *makeParam(const std::string &name, TensorType t, Attrs attrs,
                  const SourceLoc &loc);
  /// The base name of the next dense layer of this statement: NAME, then
  /// NAME.1, NAME.2, ...; "dense" for statements without a name.
  std::string nextDenseName();
  /// dense(x, units, bias = true): x [..., in] -> [..., units] with new
  /// parameters NAME.weight [in, units] and NAME.bias [units].
  /// dense(x, W[, b]) uses given tensors instead.
  Node *emitDense(const ast::CallExpr &c);
  /// A dense layer on x with new parameters (NAME.weight, NAME.bias), for
  /// dense and the forms built of dense layers; errors name c's callee.
  Node *denseLayer(const ast::CallExpr &c, Node *x, int64_t units, bool bias);
  /// An int or a list of `n` ints (a single int is repeated), all >= `min`;
  /// `what` describes the accepted forms in the error, if given.
  std::optional<std::vector<int64_t>>
  intList(const ast::CallExpr &c, const ast::Arg &a, const char *name, size_t n,
          int64_t min, const std::string &what = "");
  /// padding = P | [P, ..] | [before.., after..] | valid | same | full, as
  /// [before per dim..., after per dim...]. For one spatial dim a pair is
  /// [left, right].
  std::optional<std::vector<int64_t>>
  paddingValue(const ast::CallExpr &c, const ast::Arg *a, unsigned spatial,
               const std::vector<int64_t> &kernel,
               const std::vector<int64_t> &stride,
               const std::vector<int64_t> &dilation);

  /// A conv call's bound arguments and what has been read from them.
  struct ConvCall;
  /// conv1d/conv2d(x, out, kernel, stride = 1, padding = 0, dilation = 1,
  /// groups = 1, bias = true, padding_mode = zeros) with new parameters
  /// NAME.weight [out, C/groups, K..] and NAME.bias [out];
  /// conv2d(x, W[, b], stride = .., ...) uses given tensors instead.
  Node *emitConv(const ast::CallExpr &c, unsigned spatial);
  /// Tensor form: builds W (and b) and reads the output channels and the
  /// kernel size from W's shape. Returns false after reporting a weight of
  /// the wrong rank, which ends the call's checks.
  bool emitGivenConvWeights(ConvCall &cv);
  /// Created form: reads `out` and `kernel`.
  void readConvShape(ConvCall &cv);
  /// Reads stride, dilation and groups.
  void readConvGeometry(ConvCall &cv);
  /// Reads bias and padding_mode.
  void readConvBiasAndMode(ConvCall &cv);
  /// For a padding mode other than zeros, pads x explicitly with `pad`,
  /// which then becomes all zeros. Returns false if the Pad failed.
  bool padForMode(ConvCall &cv, std::vector<int64_t> &pad);
  /// Created form: checks x and appends the new NAME.weight and NAME.bias.
  bool createConvParams(ConvCall &cv);

  /// maxpool/avgpool 1d/2d(x, kernel, stride = kernel, padding = 0,
  /// ceil_mode = false[, count_include_pad = true]).
  Node *emitPool(const ast::CallExpr &c);
  /// global_avgpool(x): the mean over the spatial dims, [N, C, ..] -> [N, C].
  Node *emitGlobalAvgPool(const ast::CallExpr &c);
  /// flatten(x): [d0, d1, ..., dn] -> [d0, d1 * ... * dn].
  Node *emitFlatten(const ast::CallExpr &c);

  //===--------------------------------------------------------------------===//
  // Layer forms with fixed initial values (LearnedForms.cpp).
  //===--------------------------------------------------------------------===//

  /// The attributes of a parameter that starts as PyTorch's layer does
  /// (init `kind` with `arg`: constant 0.25, normal 1), whatever the train
  /// block's init.
  static Attrs fixedInit(const char *kind, double arg);
  /// prelu(x, per_channel = false): x > 0 ? x : a x with a learned slope
  /// NAME.weight, [1] or one per channel of dim 1, starting at 0.25.
  Node *emitPrelu(const ast::CallExpr &c);
  /// swiglu(x, units, bias = true): swish(x W + b) * (x V + c), two dense
  /// layers NAME (the gate) and NAME.1.
  Node *emitSwiglu(const ast::CallExpr &c);
  /// layer_norm(x, axes = -1, eps = 1e-5, affine = true): normalizes over
  /// the trailing `axes`, then NAME.weight (1) * x + NAME.bias (0).
  Node *emitLayerNorm(const ast::CallExpr &c);
  /// batch_norm(x, eps = 1e-5, momentum = 0.1, affine = true): the op with
  /// NAME.running_mean and NAME.running_var (buffers), then NAME.weight and
  /// NAME.bias per channel.
  Node *emitBatchNorm(const ast::CallExpr &c);
  /// embedding(tokens, vocab, dim, dtype = f32): rows of a new table
  /// NAME.weight [vocab, dim]; embedding(tokens, E) uses a given one.
  Node *emitEmbedding(const ast::CallExpr &c);

  //===--------------------------------------------------------------------===//
  // Recurrent layers, unrolled over time (RecurrentForms.cpp).
  //===--------------------------------------------------------------------===//

public:
  /// One rnn/lstm/gru call being unrolled: its cell, sizes and the
  /// recurrent weight and bias.
  struct Recurrence;

private:
  /// rnn/lstm/gru(x, hidden[, h0[, c0]], return_sequences = true
  /// [, activation = tanh]): new parameters NAME.weight_ih, weight_hh,
  /// bias_ih, bias_hh; rnn/lstm/gru(x, weight_ih, weight_hh[, bias_ih[,
  /// bias_hh]]) uses given ones. The steps unrolled.
  Node *emitRecurrent(const ast::CallExpr &c);
  /// One step of r's cell on x_t U + b_ih (`xt`): updates `state` (h, and
  /// c for lstm; nullptr is a zero state). False after an error.
  bool cellStep(const Recurrence &r, Node *xt, std::vector<Node *> &state);
  /// Checks the given weights w (weight_ih, weight_hh, bias_ih, bias_hh;
  /// the biases may be nullptr) against x and r's cell, and sets r.hidden
  /// from weight_hh's rows. False after reporting a mismatch.
  bool checkGivenWeights(Recurrence &r, const Node &x,
                         const std::vector<Node *> &w);
  /// x[..., start:start + size].
  Node *sliceLast(Node *x, int64_t start, int64_t size, const SourceLoc &loc);
  /// An op of `in` without attributes; nullptr if any operand is.
  Node *op(OpKind k, std::vector<Node *> in, const SourceLoc &loc);

  const ast::Model &model_;
  Graph &g_;
  DiagnosticEngine &diag_;
  GraphBuilder b_;

  std::map<std::string, Binding> values_;
  /// Every name the model declares, for "used before it is defined".
  std::map<std::string, SourceLoc> declared_;
  std::map<std::string, SourceLoc> results_;
  std::set<std::string> paramNames_;
  SourceLoc lossLoc_;

  std::string stmtName_;
  unsigned stmtDenseCount_ = 0;
  unsigned stmtFirstNode_ = 0;
};

} // namespace frontend
} // namespace lamina

#endif // LAMINA_FRONTEND_MODELBUILDER_H
