//===- BuildGraph.cpp - AST -> Graph
//---------------------------------------===//
//
// Walks one model's declarations in order, building nodes through
// GraphBuilder so every op's type rule checks its operands. Besides the ops
// of Ops.def, calls may use two frontend forms:
//   dense(x, units, bias = true)  creates NAME.weight [in, units] and
//                                 NAME.bias [units] and a Dense node;
//   flatten(x)                    a Reshape to [dim 0, product of the rest].
// Errors are reported where they happen and building goes on, so one run
// shows several of them; a name whose definition failed is "poisoned" so
// its uses do not report again.
//
//===----------------------------------------------------------------------===//
#include "CallSignatures.h"
#include "FrontendUtil.h"

#include "lamina/AST.h"
#include "lamina/Diagnostics.h"
#include "lamina/Frontend.h"
#include "lamina/OpInfo.h"
#include "lamina/Support.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace lamina {

using namespace frontend;

namespace {

/// Parameters may have at most this many elements.
constexpr int64_t kMaxElements = int64_t(1) << 40;
/// A parameter filled from a single number holds its data in the IR (as
/// doubles), so it may have at most this many elements (128 MiB).
constexpr int64_t kMaxFilledElements = int64_t(1) << 24;

/// True if `e` contains no names or calls: it folds to numbers.
bool isConstantExpr(const ast::Expr &e) {
  switch (e.kind()) {
  case ast::Expr::Kind::Int:
  case ast::Expr::Kind::Float:
    return true;
  case ast::Expr::Kind::Name:
  case ast::Expr::Kind::Call:
    return false;
  case ast::Expr::Kind::Array:
    for (const ast::ExprPtr &el : e.as<ast::ArrayLit>()->elements)
      if (!el || !isConstantExpr(*el))
        return false;
    return true;
  case ast::Expr::Kind::Unary:
    return e.as<ast::UnaryExpr>()->operand &&
           isConstantExpr(*e.as<ast::UnaryExpr>()->operand);
  case ast::Expr::Kind::Binary: {
    const auto *b = e.as<ast::BinaryExpr>();
    return b->lhs && b->rhs && isConstantExpr(*b->lhs) &&
           isConstantExpr(*b->rhs);
  }
  }
  return false;
}

/// A number or an array literal, possibly negated: becomes one Constant.
bool isLiteral(const ast::Expr &e) {
  if (numberValue(e) || e.as<ast::ArrayLit>())
    return true;
  const auto *u = e.as<ast::UnaryExpr>();
  return u && u->operand && u->operand->as<ast::ArrayLit>();
}

/// Elements of `s` per sample, or -1 if more than kMaxElements.
int64_t boundedElements(const Shape &s) {
  int64_t n = 1;
  for (int64_t d : s) {
    if (d == kBatch)
      continue;
    if (d <= 0 || d > kMaxElements / n)
      return -1;
    n *= d;
  }
  return n;
}

//===----------------------------------------------------------------------===//
// The model walk.
//===----------------------------------------------------------------------===//

class ModelBuilder {
public:
  ModelBuilder(const ast::Model &m, Graph &g, DiagnosticEngine &diag)
      : model_(m), g_(g), diag_(diag), b_(g, &diag) {}

  void run() {
    for (const ast::Decl &d : model_.decls)
      if (!d.name.empty())
        declared_.emplace(d.name, d.nameLoc);
    for (const ast::Decl &d : model_.decls)
      declare(d);
    if (g_.inputsWithRole("input").empty())
      diag_.error(model_.loc, "model '" + model_.name + "' has no inputs");
  }

private:
  struct Binding {
    /// nullptr when the definition failed: uses stay quiet.
    Node *node;
    SourceLoc loc;
  };

  //===--------------------------------------------------------------------===//
  // Declarations.
  //===--------------------------------------------------------------------===//

  void declare(const ast::Decl &d) {
    switch (d.kind) {
    case ast::DeclKind::Input:
    case ast::DeclKind::Label:
      declareInput(d);
      return;
    case ast::DeclKind::Param:
      declareParam(d);
      return;
    case ast::DeclKind::Let:
    case ast::DeclKind::Output:
      declareValue(d);
      return;
    case ast::DeclKind::Loss:
      declareLoss(d);
      return;
    case ast::DeclKind::Metric:
      declareMetric(d);
      return;
    }
  }

  /// Binds `name`; reports a redefinition (keeping the first binding).
  bool bind(const std::string &name, const SourceLoc &loc, Node *n) {
    auto [it, fresh] = values_.emplace(name, Binding{n, loc});
    if (fresh)
      return true;
    diag_.error(loc, "'" + name + "' is already defined");
    diag_.note(it->second.loc, "previous definition is here");
    return false;
  }

  /// Reserves an output or metric name.
  bool reserveResult(const std::string &name, const SourceLoc &loc) {
    auto [it, fresh] = results_.emplace(name, loc);
    if (fresh)
      return true;
    diag_.error(loc, "result '" + name + "' is already defined");
    diag_.note(it->second, "previous definition is here");
    return false;
  }

  /// input NAME: TYPE;  label NAME: TYPE;
  void declareInput(const ast::Decl &d) {
    bool label = d.kind == ast::DeclKind::Label;
    Node *n = g_.create(OpKind::Input, {}, d.type.type,
                        {{"role", std::string(label ? "label" : "input")}},
                        d.nameLoc);
    n->setName(d.name);
    bind(d.name, d.nameLoc, n);
  }

  /// The attributes of a parameter initialized by the train block's init
  /// (the default init until buildGraph applies the train block).
  static Attrs initAttrs(int64_t fanIn, int64_t fanOut) {
    return {{"role", std::string("param")},
            {"init", std::string("uniform_fan_in")},
            {"init_arg", 0.0},
            {"fan_in", fanIn},
            {"fan_out", fanOut}};
  }

  Node *makeParam(const std::string &name, TensorType t, Attrs attrs,
                  const SourceLoc &loc) {
    Node *n = g_.create(OpKind::Param, {}, std::move(t), std::move(attrs), loc);
    n->setName(name);
    paramNames_.insert(name);
    return n;
  }

  /// param NAME: TYPE [= literal];
  void declareParam(const ast::Decl &d) {
    const TensorType &t = d.type.type;
    if (t.dtype == DType::I32) {
      diag_.error(d.type.loc, "parameter '" + d.name +
                                  "' must have a float type, got " +
                                  typeToString(t));
      bind(d.name, d.nameLoc, nullptr);
      return;
    }
    if (!d.value) {
      int64_t fanIn = 1, fanOut = 1;
      if (t.rank() >= 1) {
        fanOut = t.shape.back();
        fanIn = t.rank() == 1 ? fanOut : numElements(t.shape) / fanOut;
      }
      bind(d.name, d.nameLoc,
           makeParam(d.name, t, initAttrs(fanIn, fanOut), d.nameLoc));
      return;
    }
    const ast::Expr &v = *d.value;
    std::vector<double> data;
    Shape shape;
    if (!isLiteral(v)) {
      diag_.error(v.loc(), "initial value of parameter '" + d.name +
                               "' must be a number or an array literal");
      bind(d.name, d.nameLoc, nullptr);
      return;
    }
    if (!foldLiteral(v, t.dtype, shape, data)) {
      bind(d.name, d.nameLoc, nullptr);
      return;
    }
    if (shape.empty()) {
      // A single number fills the whole parameter.
      int64_t n = boundedElements(t.shape);
      if (n < 0 || n > kMaxFilledElements) {
        diag_.error(v.loc(),
                    "parameter '" + d.name + "' of type " + typeToString(t) +
                        " is too large to fill from a number (the limit is "
                        "2^24 elements); leave out the value to use the "
                        "train block's init");
        bind(d.name, d.nameLoc, nullptr);
        return;
      }
      data.assign(static_cast<size_t>(numElements(t.shape)), data[0]);
    } else if (shape != t.shape) {
      diag_.error(v.loc(), "initial value has shape " + shapeToString(shape) +
                               ", but parameter '" + d.name + "' is " +
                               typeToString(t));
      bind(d.name, d.nameLoc, nullptr);
      return;
    }
    Node *n = makeParam(
        d.name, t,
        {{"role", std::string("param")}, {"init", std::string("data")}},
        d.nameLoc);
    n->setData(std::move(data));
    bind(d.name, d.nameLoc, n);
  }

  /// Starts a statement: dense layers in it are named after `name`.
  void beginStatement(const std::string &name) {
    stmtName_ = name;
    stmtDenseCount_ = 0;
    stmtFirstNode_ = g_.size();
  }

  /// Names the node a statement produced, unless the statement merely
  /// refers to an existing value (`y = x;`).
  void nameResult(Node *n, const std::string &name) {
    if (n && n->id() >= stmtFirstNode_ && n->kind() != OpKind::Input &&
        n->kind() != OpKind::Param)
      n->setName(name);
  }

  /// NAME = expr;  output NAME = expr;
  void declareValue(const ast::Decl &d) {
    beginStatement(d.name);
    Node *n = d.value ? emit(*d.value) : nullptr;
    nameResult(n, d.name);
    if (!bind(d.name, d.nameLoc, n))
      return;
    if (d.kind == ast::DeclKind::Output && reserveResult(d.name, d.nameLoc) &&
        n)
      g_.addOutput(d.name, n);
  }

  /// loss expr;
  void declareLoss(const ast::Decl &d) {
    beginStatement("loss");
    Node *n = d.value ? emit(*d.value) : nullptr;
    if (!n)
      return;
    if (n->rank() != 0) {
      diag_.error(d.value->loc(),
                  "loss must be a scalar, got " + typeToString(n->type()));
      return;
    }
    if (g_.loss()) {
      diag_.error(d.loc, "model '" + model_.name + "' already has a loss");
      diag_.note(lossLoc_, "previous loss is here");
      return;
    }
    nameResult(n, "loss");
    g_.setLoss(n);
    lossLoc_ = d.loc;
  }

  /// metric NAME = expr;  metric op(args);  (named after the op)
  void declareMetric(const ast::Decl &d) {
    std::string name = d.name;
    SourceLoc nameLoc = d.nameLoc;
    if (name.empty() && d.value) {
      const auto *call = d.value->as<ast::CallExpr>();
      if (!call) {
        diag_.error(d.value->loc(), "a metric that is not a call needs a name: "
                                    "'metric NAME = expr;'");
        return;
      }
      name = call->callee;
      nameLoc = call->loc();
    }
    beginStatement(name);
    Node *n = d.value ? emit(*d.value) : nullptr;
    nameResult(n, name);
    if (!d.name.empty() && !bind(d.name, d.nameLoc, n))
      return;
    if (!n)
      return;
    if (n->rank() != 0) {
      diag_.error(d.value->loc(), "metric '" + name +
                                      "' must be a scalar, got " +
                                      typeToString(n->type()));
      return;
    }
    if (reserveResult(name, nameLoc))
      g_.addMetric(name, n);
  }

  //===--------------------------------------------------------------------===//
  // Literals.
  //===--------------------------------------------------------------------===//

  /// Folds a number or a (possibly negated) array literal into its shape
  /// and row-major values, checking that it is rectangular and, for i32,
  /// integral.
  bool foldLiteral(const ast::Expr &e, DType dt, Shape &shape,
                   std::vector<double> &values) {
    double sign = 1;
    const ast::Expr *lit = &e;
    if (!numberValue(e)) {
      while (const auto *u = lit->as<ast::UnaryExpr>()) {
        sign = -sign;
        lit = u->operand.get();
      }
    }
    shape.clear();
    values.clear();
    for (const ast::Expr *cur = lit;
         const auto *a = cur->as<ast::ArrayLit>();) {
      shape.push_back(static_cast<int64_t>(a->elements.size()));
      if (a->elements.empty() || !a->elements[0])
        break;
      cur = a->elements[0].get();
    }
    for (int64_t d : shape)
      if (d == 0) {
        diag_.error(lit->loc(), "empty array literal");
        return false;
      }
    if (!collect(*lit, shape, 0, values))
      return false;
    for (double &v : values) {
      v *= sign;
      if (dt == DType::I32 && v != std::floor(v)) {
        diag_.error(e.loc(), "value " + formatDouble(v) +
                                 " is not an integer, but an i32 tensor "
                                 "is needed here");
        return false;
      }
    }
    return true;
  }

  /// Appends the numbers of `e`, which must have shape shape[level..].
  bool collect(const ast::Expr &e, const Shape &shape, size_t level,
               std::vector<double> &values) {
    if (level == shape.size()) {
      std::optional<double> v = numberValue(e);
      if (v) {
        values.push_back(*v);
        return true;
      }
      if (e.as<ast::ArrayLit>())
        diag_.error(e.loc(), "array literal is not rectangular");
      else
        diag_.error(e.loc(),
                    "array elements must be numbers, got " + describeExpr(e));
      return false;
    }
    const auto *a = e.as<ast::ArrayLit>();
    if (!a || static_cast<int64_t>(a->elements.size()) != shape[level]) {
      diag_.error(e.loc(), "array literal is not rectangular");
      return false;
    }
    for (const ast::ExprPtr &el : a->elements)
      if (!el || !collect(*el, shape, level + 1, values))
        return false;
    return true;
  }

  /// A Constant of dtype `dt` for a literal.
  Node *emitLiteral(const ast::Expr &e, DType dt) {
    Shape shape;
    std::vector<double> values;
    if (!foldLiteral(e, dt, shape, values))
      return nullptr;
    if (boundedElements(shape) < 0) {
      diag_.error(e.loc(), "array literal is too large");
      return nullptr;
    }
    Node *n =
        g_.create(OpKind::Constant, {}, TensorType{dt, shape}, {}, e.loc());
    n->setData(std::move(values));
    return n;
  }

  //===--------------------------------------------------------------------===//
  // Expressions.
  //===--------------------------------------------------------------------===//

  /// Builds `e`. Literals get dtype `hint` (f32 when there is none).
  Node *emit(const ast::Expr &e, std::optional<DType> hint = std::nullopt) {
    if (isLiteral(e))
      return emitLiteral(e, hint.value_or(DType::F32));
    switch (e.kind()) {
    case ast::Expr::Kind::Int:
    case ast::Expr::Kind::Float:
    case ast::Expr::Kind::Array:
      return emitLiteral(e, hint.value_or(DType::F32));
    case ast::Expr::Kind::Name:
      return emitName(*e.as<ast::NameRef>());
    case ast::Expr::Kind::Unary: {
      const auto *u = e.as<ast::UnaryExpr>();
      Node *x = u->operand ? emit(*u->operand, hint) : nullptr;
      return x ? b_.build(OpKind::Neg, {x}, {}, u->loc()) : nullptr;
    }
    case ast::Expr::Kind::Binary:
      return emitBinary(*e.as<ast::BinaryExpr>(), hint);
    case ast::Expr::Kind::Call:
      return emitCall(*e.as<ast::CallExpr>());
    }
    return nullptr;
  }

  Node *emitName(const ast::NameRef &n) {
    auto it = values_.find(n.name);
    if (it != values_.end())
      return it->second.node;
    if (isCallable(n.name)) {
      diag_.error(n.loc(), "'" + n.name + "' is an op, not a value; call it: " +
                               n.name + "(...)");
      return nullptr;
    }
    auto later = declared_.find(n.name);
    if (later != declared_.end()) {
      diag_.error(n.loc(), "'" + n.name + "' is used before it is defined");
      diag_.note(later->second, "'" + n.name + "' is defined here");
      return nullptr;
    }
    std::vector<std::string> names;
    for (const auto &kv : values_)
      names.push_back(kv.first);
    diag_.error(n.loc(),
                "unknown value '" + n.name + "'" + didYouMean(n.name, names));
    return nullptr;
  }

  /// Builds the operands of an op; literal ones take the dtype of the first
  /// other operand, so `x * 2` works for f32 and f64 alike.
  bool emitOperands(const std::vector<const ast::Expr *> &exprs,
                    std::optional<DType> hint, std::vector<Node *> &out) {
    out.assign(exprs.size(), nullptr);
    bool ok = true;
    for (size_t i = 0; i < exprs.size(); ++i) {
      if (isConstantExpr(*exprs[i]))
        continue;
      out[i] = emit(*exprs[i], hint);
      if (!out[i]) {
        ok = false;
        continue;
      }
      if (!hint)
        hint = out[i]->dtype();
    }
    for (size_t i = 0; i < exprs.size(); ++i) {
      if (!isConstantExpr(*exprs[i]))
        continue;
      out[i] = emit(*exprs[i], hint);
      ok = ok && out[i];
    }
    return ok;
  }

  Node *emitBinary(const ast::BinaryExpr &e, std::optional<DType> hint) {
    if (!e.lhs || !e.rhs)
      return nullptr;
    std::vector<Node *> ops;
    if (!emitOperands({e.lhs.get(), e.rhs.get()}, hint, ops))
      return nullptr;
    OpKind k = OpKind::Add;
    switch (e.op) {
    case ast::BinaryOp::Add:
      k = OpKind::Add;
      break;
    case ast::BinaryOp::Sub:
      k = OpKind::Sub;
      break;
    case ast::BinaryOp::Mul:
      k = OpKind::Mul;
      break;
    case ast::BinaryOp::Div:
      k = OpKind::Div;
      break;
    case ast::BinaryOp::MatMul:
      k = OpKind::MatMul;
      break;
    }
    return b_.build(k, ops, {}, e.loc());
  }

  Node *emitCall(const ast::CallExpr &c) {
    if (c.callee == "dense")
      return emitDense(c);
    if (c.callee == "flatten")
      return emitFlatten(c);
    if (c.callee == "conv1d" || c.callee == "conv2d")
      return emitConv(c, c.callee == "conv1d" ? 1 : 2);
    if (c.callee == "maxpool1d" || c.callee == "maxpool2d" ||
        c.callee == "avgpool1d" || c.callee == "avgpool2d")
      return emitPool(c);
    if (c.callee == "global_avgpool")
      return emitGlobalAvgPool(c);
    std::optional<OpKind> k = lookupOp(c.callee);
    if (k && !isLeaf(*k))
      return emitOpCall(*k, c);
    if (values_.count(c.callee))
      diag_.error(c.loc(), "'" + c.callee + "' is a value, not an op");
    else
      diag_.error(c.loc(), "unknown op '" + c.callee + "'" +
                               didYouMean(c.callee, callableNames()));
    return nullptr;
  }

  /// Checks that all `n` operands of `c` were given positionally.
  bool checkOperandCount(const ast::CallExpr &c, const BoundArgs &args,
                         unsigned n) {
    if (args.positional >= n)
      return true;
    diag_.error(c.loc(),
                "'" + c.callee + "' needs " + std::to_string(n) +
                    (n == 1 ? " tensor argument" : " tensor arguments") +
                    ", got " + std::to_string(args.positional));
    return false;
  }

  /// "argument 'alpha' of 'leaky_relu' must be a number, got 'y'".
  void badArg(const ast::CallExpr &c, const ast::Arg &a, const char *name,
              const std::string &what) {
    diag_.error(a.value->loc(), "argument '" + std::string(name) + "' of '" +
                                    c.callee + "' must be " + what + ", got " +
                                    describeExpr(*a.value));
  }

  /// Converts the argument for attribute `spec`.
  std::optional<Attr> attrValue(const ast::CallExpr &c, const ast::Arg &a,
                                const AttrSpec &spec) {
    const ast::Expr &v = *a.value;
    switch (spec.kind) {
    case AttrKind::Float:
      if (std::optional<double> f = numberValue(v))
        return Attr(*f);
      badArg(c, a, spec.name, "a number");
      return std::nullopt;
    case AttrKind::Int:
      if (std::optional<int64_t> i = intValue(v))
        return Attr(*i);
      badArg(c, a, spec.name, "an integer");
      return std::nullopt;
    case AttrKind::Bool: {
      const auto *n = v.as<ast::NameRef>();
      std::optional<int64_t> i = intValue(v);
      if (n && (n->name == "true" || n->name == "false"))
        return Attr(int64_t(n->name == "true"));
      if (i && (*i == 0 || *i == 1))
        return Attr(*i);
      badArg(c, a, spec.name, "true or false");
      return std::nullopt;
    }
    case AttrKind::DType: {
      const auto *n = v.as<ast::NameRef>();
      if (n && parseDType(n->name))
        return Attr(n->name);
      badArg(c, a, spec.name, "f32, f64 or i32");
      return std::nullopt;
    }
    case AttrKind::Ints:
    case AttrKind::Shape: {
      bool shape = spec.kind == AttrKind::Shape;
      if (std::optional<int64_t> i = intValue(v); i && !shape)
        return Attr(std::vector<int64_t>{*i});
      const auto *list = v.as<ast::ArrayLit>();
      std::vector<int64_t> out;
      bool ok = list != nullptr;
      for (size_t k = 0; ok && k < list->elements.size(); ++k) {
        const ast::Expr *el = list->elements[k].get();
        const auto *n = el ? el->as<ast::NameRef>() : nullptr;
        std::optional<int64_t> i = el ? intValue(*el) : std::nullopt;
        if (shape && n && n->name == "batch")
          out.push_back(kBatch);
        else if (i && (!shape || *i > 0))
          out.push_back(*i);
        else
          ok = false;
      }
      if (ok)
        return Attr(out);
      badArg(c, a, spec.name,
             shape ? "a list of positive integers or 'batch'"
                   : "an integer or a list of integers");
      return std::nullopt;
    }
    }
    return std::nullopt;
  }

  /// op(operands..., attributes...) for an op of Ops.def.
  Node *emitOpCall(OpKind k, const ast::CallExpr &c) {
    if (k == OpKind::Dense)
      return emitDense(c);
    unsigned n = static_cast<unsigned>(std::max(opArity(k), 0));
    std::vector<AttrSpec> specs = attrSpecs(k);
    std::vector<std::string> params;
    std::map<std::string, std::string> aliases;
    for (unsigned i = 0; i < n; ++i)
      params.push_back("#" + std::to_string(i));
    for (const AttrSpec &s : specs) {
      params.push_back(s.name);
      if (s.alias)
        aliases[s.alias] = s.name;
    }
    std::optional<BoundArgs> args = bindArgs(c, params, diag_, aliases);
    if (!args || !checkOperandCount(c, *args, n))
      return nullptr;
    std::vector<const ast::Expr *> exprs;
    for (unsigned i = 0; i < n; ++i)
      exprs.push_back(args->bound[i]->value.get());
    std::vector<Node *> operands;
    bool ok = emitOperands(exprs, std::nullopt, operands);
    Attrs attrs;
    for (size_t i = 0; i < specs.size(); ++i) {
      const AttrSpec &s = specs[i];
      if (const ast::Arg *a = args->bound[n + i]) {
        std::optional<Attr> v = attrValue(c, *a, s);
        if (v)
          attrs[s.name] = std::move(*v);
        ok = ok && v;
        continue;
      }
      if (s.dflt) {
        attrs[s.name] = *s.dflt;
        continue;
      }
      if (k == OpKind::Transpose)
        continue; // computed below from the operand's rank
      diag_.error(c.loc(),
                  "'" + c.callee + "' needs argument '" + s.name + "'");
      ok = false;
    }
    if (!ok)
      return nullptr;
    if (k == OpKind::OneHot && std::get<int64_t>(attrs["classes"]) <= 0) {
      diag_.error(args->bound[n]->value->loc(),
                  "argument 'classes' of 'one_hot' must be positive");
      return nullptr;
    }
    if (k == OpKind::Transpose && !attrs.count("perm")) {
      unsigned rank = operands[0]->rank();
      if (rank < 2) {
        diag_.error(c.loc(), "'transpose' without 'perm' swaps the last two "
                             "dimensions, but its operand is " +
                                 typeToString(operands[0]->type()));
        return nullptr;
      }
      std::vector<int64_t> perm;
      for (unsigned i = 0; i < rank; ++i)
        perm.push_back(i);
      std::swap(perm[rank - 1], perm[rank - 2]);
      attrs["perm"] = perm;
    }
    return b_.build(k, operands, std::move(attrs), c.loc());
  }

  /// The base name of the next dense layer of this statement: NAME, then
  /// NAME.1, NAME.2, ...; "dense" for statements without a name.
  std::string nextDenseName() {
    std::string base = stmtName_.empty() ? "dense" : stmtName_;
    for (;;) {
      std::string name = stmtDenseCount_ == 0
                             ? base
                             : base + "." + std::to_string(stmtDenseCount_);
      ++stmtDenseCount_;
      if (!paramNames_.count(name + ".weight") &&
          !paramNames_.count(name + ".bias"))
        return name;
    }
  }

  /// dense(x, units, bias = true): x [..., in] -> [..., units] with new
  /// parameters NAME.weight [in, units] and NAME.bias [units].
  /// dense(x, W[, b]) uses given tensors instead.
  Node *emitDense(const ast::CallExpr &c) {
    bool tensorForm = c.args.size() >= 2 && c.args[1].keyword.empty() &&
                      !numberValue(*c.args[1].value);
    if (tensorForm) {
      std::optional<BoundArgs> args = bindArgs(c, {"#0", "#1", "#2"}, diag_);
      if (!args)
        return nullptr;
      std::vector<const ast::Expr *> exprs;
      for (const ast::Arg *a : args->bound)
        if (a)
          exprs.push_back(a->value.get());
      std::vector<Node *> operands;
      if (!emitOperands(exprs, std::nullopt, operands))
        return nullptr;
      return b_.build(OpKind::Dense, operands, {}, c.loc());
    }
    std::optional<BoundArgs> args = bindArgs(c, {"#x", "units", "bias"}, diag_);
    if (!args || !checkOperandCount(c, *args, 1))
      return nullptr;
    Node *x = emit(*args->bound[0]->value);
    bool ok = x != nullptr;
    int64_t units = 0;
    if (const ast::Arg *a = args->bound[1]) {
      std::optional<int64_t> u = intValue(*a->value);
      if (u && *u > 0)
        units = *u;
      else
        badArg(c, *a, "units", "a positive integer");
      ok = ok && units > 0;
    } else {
      diag_.error(c.loc(), "'dense' needs argument 'units'");
      ok = false;
    }
    bool bias = true;
    if (const ast::Arg *a = args->bound[2]) {
      std::optional<Attr> v = attrValue(c, *a, {"bias", AttrKind::Bool, {}});
      if (v)
        bias = std::get<int64_t>(*v) != 0;
      ok = ok && v;
    }
    if (!ok)
      return nullptr;
    if (x->dtype() == DType::I32 || x->rank() == 0 ||
        x->shape().back() == kBatch) {
      diag_.error(c.loc(), "'dense' needs a float input whose last "
                           "dimension is fixed, got " +
                               typeToString(x->type()));
      return nullptr;
    }
    int64_t in = x->shape().back();
    if (boundedElements({in, units}) < 0) {
      diag_.error(c.loc(), "weight of 'dense' would be [" + std::to_string(in) +
                               ", " + std::to_string(units) +
                               "], more than 2^40 elements");
      return nullptr;
    }
    std::string name = nextDenseName();
    Node *w = makeParam(name + ".weight", {x->dtype(), {in, units}},
                        initAttrs(in, units), c.loc());
    std::vector<Node *> operands = {x, w};
    if (bias)
      operands.push_back(makeParam(name + ".bias", {x->dtype(), {units}},
                                   initAttrs(in, units), c.loc()));
    return b_.build(OpKind::Dense, operands, {}, c.loc());
  }

  /// An int or a list of `n` ints (a single int is repeated), all >= `min`;
  /// `what` describes the accepted forms in the error, if given.
  std::optional<std::vector<int64_t>>
  intList(const ast::CallExpr &c, const ast::Arg &a, const char *name, size_t n,
          int64_t min, const std::string &what = "") {
    std::vector<int64_t> v;
    if (std::optional<int64_t> i = intValue(*a.value)) {
      v.assign(n, *i);
    } else if (const auto *list = a.value->as<ast::ArrayLit>()) {
      for (const ast::ExprPtr &el : list->elements) {
        std::optional<int64_t> i = el ? intValue(*el) : std::nullopt;
        if (!i) {
          v.clear();
          break;
        }
        v.push_back(*i);
      }
      if (v.size() == 1)
        v.assign(n, v[0]);
    }
    bool ok = v.size() == n;
    for (int64_t x : v)
      ok = ok && x >= min;
    if (ok)
      return v;
    if (!what.empty()) {
      badArg(c, a, name, what);
      return std::nullopt;
    }
    badArg(c, a, name,
           (n == 1 ? "an integer"
                   : "an integer or a list of " + std::to_string(n) +
                         " integers") +
               std::string(min > 0 ? " (positive)" : " (0 or more)"));
    return std::nullopt;
  }

  /// padding = P | [P, ..] | [before.., after..] | valid | same | full, as
  /// [before per dim..., after per dim...]. For one spatial dim a pair is
  /// [left, right].
  std::optional<std::vector<int64_t>>
  paddingValue(const ast::CallExpr &c, const ast::Arg *a, unsigned spatial,
               const std::vector<int64_t> &kernel,
               const std::vector<int64_t> &stride,
               const std::vector<int64_t> &dilation) {
    std::vector<int64_t> pad(2 * spatial, 0);
    if (!a)
      return pad;
    const auto *name = a->value->as<ast::NameRef>();
    if (name && (name->name == "valid" || name->name == "same" ||
                 name->name == "full")) {
      for (unsigned d = 0; d < spatial; ++d) {
        int64_t span = dilation[d] * (kernel[d] - 1);
        if (name->name == "full") {
          pad[d] = pad[spatial + d] = span;
        } else if (name->name == "same") {
          if (stride[d] != 1) {
            diag_.error(a->value->loc(),
                        "'same' padding keeps the size only with stride 1, "
                        "but '" +
                            c.callee + "' has stride " +
                            std::to_string(stride[d]) +
                            "; give the padding as numbers");
            return std::nullopt;
          }
          // As PyTorch: the extra row or column goes after.
          pad[d] = span / 2;
          pad[spatial + d] = span - span / 2;
        }
      }
      return pad;
    }
    std::string what =
        spatial == 1 ? "an integer, a list [left, right] (0 or more), valid, "
                       "same or full"
                     : "an integer, a list [h, w] or [top, left, bottom, "
                       "right] (0 or more), valid, same or full";
    if (const auto *list = a->value->as<ast::ArrayLit>();
        list && list->elements.size() == 2 * spatial)
      return intList(c, *a, "padding", 2 * spatial, 0, what);
    std::optional<std::vector<int64_t>> v =
        intList(c, *a, "padding", spatial, 0, what);
    if (!v)
      return std::nullopt;
    for (unsigned d = 0; d < spatial; ++d)
      pad[d] = pad[spatial + d] = (*v)[d];
    return pad;
  }

  /// conv1d/conv2d(x, out, kernel, stride = 1, padding = 0, dilation = 1,
  /// groups = 1, bias = true, padding_mode = zeros) with new parameters
  /// NAME.weight [out, C/groups, K..] and NAME.bias [out];
  /// conv2d(x, W[, b], stride = .., ...) uses given tensors instead.
  Node *emitConv(const ast::CallExpr &c, unsigned spatial) {
    OpKind kind = spatial == 1 ? OpKind::Conv1d : OpKind::Conv2d;
    bool tensorForm = c.args.size() >= 2 && c.args[1].keyword.empty() &&
                      !numberValue(*c.args[1].value);
    std::vector<std::string> params =
        tensorForm ? std::vector<std::string>{"#x", "#w", "#b"}
                   : std::vector<std::string>{"#x", "out", "kernel"};
    for (const char *p :
         {"stride", "padding", "dilation", "groups", "bias", "padding_mode"})
      params.push_back(p);
    std::optional<BoundArgs> args = bindArgs(c, params, diag_);
    if (!args || !checkOperandCount(c, *args, tensorForm ? 2 : 1))
      return nullptr;
    auto arg = [&](const char *name) -> const ast::Arg * {
      for (size_t i = 0; i < params.size(); ++i)
        if (params[i] == name)
          return args->bound[i];
      return nullptr;
    };
    Node *x = emit(*args->bound[0]->value);
    bool ok = x != nullptr;
    std::vector<Node *> operands{x};
    int64_t out = 0;
    std::vector<int64_t> kernel;
    if (tensorForm) {
      for (unsigned i = 1; i < 3; ++i)
        if (args->bound[i]) {
          Node *t = emit(*args->bound[i]->value);
          ok = ok && t;
          operands.push_back(t);
        }
      if (ok && operands[1]->rank() == spatial + 2) {
        out = operands[1]->shape()[0];
        kernel.assign(operands[1]->shape().begin() + 2,
                      operands[1]->shape().end());
      } else if (ok) {
        // The kernel size (for same/full padding) comes from W's shape.
        diag_.error(args->bound[1]->value->loc(),
                    "'" + c.callee + "' needs a weight of rank " +
                        std::to_string(spatial + 2) + " ([out, in/groups, " +
                        (spatial == 1 ? "k" : "kh, kw") + "]), got " +
                        typeToString(operands[1]->type()));
        return nullptr;
      }
    } else {
      if (const ast::Arg *a = arg("out")) {
        std::optional<int64_t> o = intValue(*a->value);
        if (o && *o > 0)
          out = *o;
        else
          badArg(c, *a, "out", "a positive number of channels");
      } else {
        diag_.error(c.loc(), "'" + c.callee + "' needs argument 'out'");
      }
      if (const ast::Arg *a = arg("kernel")) {
        if (auto k = intList(c, *a, "kernel", spatial, 1))
          kernel = *k;
      } else {
        diag_.error(c.loc(), "'" + c.callee + "' needs argument 'kernel'");
      }
      ok = ok && out > 0 && kernel.size() == spatial;
    }
    std::vector<int64_t> stride(spatial, 1), dilation(spatial, 1);
    if (const ast::Arg *a = arg("stride")) {
      auto v = intList(c, *a, "stride", spatial, 1);
      ok = ok && v;
      if (v)
        stride = *v;
    }
    if (const ast::Arg *a = arg("dilation")) {
      auto v = intList(c, *a, "dilation", spatial, 1);
      ok = ok && v;
      if (v)
        dilation = *v;
    }
    int64_t groups = 1;
    if (const ast::Arg *a = arg("groups")) {
      std::optional<int64_t> v = intValue(*a->value);
      if (v && *v > 0)
        groups = *v;
      else
        badArg(c, *a, "groups", "a positive integer");
      ok = ok && v && *v > 0;
    }
    bool bias = true;
    if (const ast::Arg *a = arg("bias")) {
      std::optional<Attr> v = attrValue(c, *a, {"bias", AttrKind::Bool, {}});
      ok = ok && v;
      if (v)
        bias = std::get<int64_t>(*v) != 0;
      if (v && tensorForm) {
        diag_.error(a->value->loc(),
                    "'bias' of '" + c.callee +
                        "' applies only when it creates its parameters; "
                        "with a given weight, pass the bias tensor or leave "
                        "it out");
        ok = false;
      }
    }
    std::string mode = "zeros";
    if (const ast::Arg *a = arg("padding_mode")) {
      const auto *m = a->value->as<ast::NameRef>();
      if (m && (m->name == "zeros" || m->name == "reflect" ||
                m->name == "replicate" || m->name == "circular")) {
        mode = m->name;
      } else {
        badArg(c, *a, "padding_mode", "zeros, reflect, replicate or circular");
        ok = false;
      }
    }
    if (!ok)
      return nullptr;
    std::optional<std::vector<int64_t>> pad =
        paddingValue(c, arg("padding"), spatial, kernel, stride, dilation);
    if (!pad)
      return nullptr;
    // Other padding modes pad explicitly, then convolve without padding.
    if (mode != "zeros") {
      x = b_.build(OpKind::Pad, {x}, {{"padding", *pad}, {"mode", mode}},
                   c.loc());
      if (!x)
        return nullptr;
      operands[0] = x;
      pad->assign(pad->size(), 0);
    }
    Attrs attrs{{"stride", stride},
                {"padding", *pad},
                {"dilation", dilation},
                {"groups", groups}};
    if (!tensorForm) {
      if (x->rank() != spatial + 2 || x->dtype() == DType::I32) {
        diag_.error(c.loc(), "'" + c.callee +
                                 "' needs a float input of shape " +
                                 (spatial == 1 ? "[batch, channels, length]"
                                               : "[batch, channels, height, "
                                                 "width]") +
                                 ", got " + typeToString(x->type()));
        return nullptr;
      }
      int64_t in = x->shape()[1];
      if (in == kBatch || in % groups != 0) {
        diag_.error(c.loc(), "'" + c.callee + "' groups " +
                                 std::to_string(groups) +
                                 " must divide the input channels of " +
                                 typeToString(x->type()));
        return nullptr;
      }
      int64_t fanIn = in / groups, fanOut = out;
      Shape ws{out, in / groups};
      for (int64_t k : kernel) {
        ws.push_back(k);
        fanIn *= k;
        fanOut *= k;
      }
      if (boundedElements(ws) < 0) {
        diag_.error(c.loc(), "weight of '" + c.callee + "' would be " +
                                 shapeToString(ws) +
                                 ", more than 2^40 elements");
        return nullptr;
      }
      std::string name = nextDenseName();
      operands.push_back(makeParam(name + ".weight", {x->dtype(), ws},
                                   initAttrs(fanIn, fanOut), c.loc()));
      if (bias)
        operands.push_back(makeParam(name + ".bias", {x->dtype(), {out}},
                                     initAttrs(fanIn, fanOut), c.loc()));
    }
    return b_.build(kind, operands, std::move(attrs), c.loc());
  }

  /// maxpool/avgpool 1d/2d(x, kernel, stride = kernel, padding = 0,
  /// ceil_mode = false[, count_include_pad = true]).
  Node *emitPool(const ast::CallExpr &c) {
    bool avg = c.callee.rfind("avg", 0) == 0;
    unsigned spatial =
        c.callee.back() == '1' || c.callee[c.callee.size() - 2] == '1' ? 1 : 2;
    OpKind kind = avg ? (spatial == 1 ? OpKind::AvgPool1d : OpKind::AvgPool2d)
                      : (spatial == 1 ? OpKind::MaxPool1d : OpKind::MaxPool2d);
    std::vector<std::string> params{"#x", "kernel", "stride", "padding",
                                    "ceil_mode"};
    if (avg)
      params.push_back("count_include_pad");
    std::optional<BoundArgs> args = bindArgs(c, params, diag_);
    if (!args || !checkOperandCount(c, *args, 1))
      return nullptr;
    Node *x = emit(*args->bound[0]->value);
    bool ok = x != nullptr;
    std::vector<int64_t> kernel;
    if (const ast::Arg *a = args->bound[1]) {
      auto k = intList(c, *a, "kernel", spatial, 1);
      ok = ok && k;
      if (k)
        kernel = *k;
    } else {
      diag_.error(c.loc(), "'" + c.callee + "' needs argument 'kernel'");
      ok = false;
    }
    std::vector<int64_t> stride = kernel;
    if (const ast::Arg *a = args->bound[2]) {
      auto v = intList(c, *a, "stride", spatial, 1);
      ok = ok && v;
      if (v)
        stride = *v;
    }
    std::vector<int64_t> pad(2 * spatial, 0);
    if (const ast::Arg *a = args->bound[3]) {
      auto v = intList(c, *a, "padding", spatial, 0);
      ok = ok && v;
      if (v)
        for (unsigned d = 0; d < spatial; ++d)
          pad[d] = pad[spatial + d] = (*v)[d];
    }
    Attrs attrs;
    for (size_t i = 4; i < params.size(); ++i) {
      int64_t dflt = params[i] == "count_include_pad" ? 1 : 0;
      attrs[params[i]] = dflt;
      if (const ast::Arg *a = args->bound[i]) {
        std::optional<Attr> v =
            attrValue(c, *a, {params[i].c_str(), AttrKind::Bool, {}});
        ok = ok && v;
        if (v)
          attrs[params[i]] = *v;
      }
    }
    if (!ok)
      return nullptr;
    attrs["kernel"] = kernel;
    attrs["stride"] = stride;
    attrs["padding"] = pad;
    return b_.build(kind, {x}, std::move(attrs), c.loc());
  }

  /// global_avgpool(x): the mean over the spatial dims, [N, C, ..] -> [N, C].
  Node *emitGlobalAvgPool(const ast::CallExpr &c) {
    std::optional<BoundArgs> args = bindArgs(c, {"#x"}, diag_);
    if (!args || !checkOperandCount(c, *args, 1))
      return nullptr;
    Node *x = emit(*args->bound[0]->value);
    if (!x)
      return nullptr;
    if (x->rank() < 3) {
      diag_.error(c.loc(), "'global_avgpool' needs [batch, channels, ...], "
                           "got " +
                               typeToString(x->type()));
      return nullptr;
    }
    std::vector<int64_t> axes;
    for (unsigned d = 2; d < x->rank(); ++d)
      axes.push_back(d);
    return b_.build(OpKind::Mean, {x},
                    {{"axes", axes}, {"keepdims", int64_t(0)}}, c.loc());
  }

  /// flatten(x): [d0, d1, ..., dn] -> [d0, d1 * ... * dn].
  Node *emitFlatten(const ast::CallExpr &c) {
    std::optional<BoundArgs> args = bindArgs(c, {"#x"}, diag_);
    if (!args || !checkOperandCount(c, *args, 1))
      return nullptr;
    Node *x = emit(*args->bound[0]->value);
    if (!x)
      return nullptr;
    Shape rest(x->shape().begin() + (x->rank() ? 1 : 0), x->shape().end());
    if (x->rank() == 0 || hasBatch(rest)) {
      diag_.error(c.loc(), "'flatten' keeps the first dimension and merges "
                           "the others, which must be fixed; got " +
                               typeToString(x->type()));
      return nullptr;
    }
    Shape shape = {x->shape()[0], numElements(rest)};
    return b_.build(OpKind::Reshape, {x}, {{"shape", shape}}, c.loc());
  }

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

} // namespace

std::unique_ptr<Graph> buildGraph(const ast::ModelFile &m,
                                  DiagnosticEngine &diag,
                                  const std::string &modelName) {
  unsigned before = diag.numErrors();
  std::map<std::string, const ast::Model *> models;
  std::vector<std::string> modelNames;
  for (const ast::Model &model : m.models) {
    auto [it, fresh] = models.emplace(model.name, &model);
    if (!fresh) {
      diag.error(model.loc, "model '" + model.name + "' is already defined");
      diag.note(it->second->loc, "previous definition is here");
    }
    modelNames.push_back(model.name);
  }
  const ast::Model *chosen = nullptr;
  if (modelName.empty()) {
    if (m.models.empty()) {
      diag.error(SourceLoc{m.file, 0, 0}, "the file defines no model");
      return nullptr;
    }
    chosen = &m.models.front();
  } else {
    auto it = models.find(modelName);
    if (it == models.end()) {
      diag.error(SourceLoc{m.file, 0, 0},
                 "no model named '" + modelName + "'" +
                     didYouMean(modelName, modelNames));
      return nullptr;
    }
    chosen = it->second;
  }

  // The model first, so errors come in file order when the train block
  // follows the model, as it usually does.
  auto g = std::make_unique<Graph>(chosen->name);
  ModelBuilder(*chosen, *g, diag).run();

  std::optional<TrainConfig> cfg;
  std::map<std::string, const ast::TrainBlock *> trains;
  for (const ast::TrainBlock &t : m.trains) {
    if (!models.count(t.model)) {
      diag.error(t.modelLoc, "train block for unknown model '" + t.model + "'" +
                                 didYouMean(t.model, modelNames));
      continue;
    }
    auto [it, fresh] = trains.emplace(t.model, &t);
    if (!fresh) {
      diag.error(t.loc, "model '" + t.model + "' already has a train block");
      diag.note(it->second->loc, "previous train block is here");
      continue;
    }
    std::optional<TrainConfig> c = buildTrainConfig(t, diag);
    if (t.model == chosen->name)
      cfg = c;
  }

  if (cfg) {
    // Parameters without explicit data start as the train block says.
    for (Node *p : g->paramsWithRole("param")) {
      if (p->hasAttr("init") && p->strAttr("init") == "data")
        continue;
      p->setAttr("init", cfg->init);
      p->setAttr("init_arg", cfg->initArg);
    }
    g->setTrainConfig(*cfg);
  }
  if (diag.numErrors() != before)
    return nullptr;
  return g;
}

} // namespace lamina
