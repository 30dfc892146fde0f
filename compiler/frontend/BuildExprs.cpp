//===- BuildExprs.cpp - Expressions and op calls -> nodes -----------------===//
//
// Names, unary minus, binary operators and calls. A call of an op of
// Ops.def binds its tensor operands and attributes as CallSignatures.h
// lists them; calls of layer forms go to LayerForms.cpp.
//
//===----------------------------------------------------------------------===//
#include "ModelBuilder.h"

#include "lamina/Support.h"

#include <algorithm>

namespace lamina {
namespace frontend {

Node *ModelBuilder::emit(const ast::Expr &e, std::optional<DType> hint) {
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

Node *ModelBuilder::emitName(const ast::NameRef &n) {
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

bool ModelBuilder::emitOperands(const std::vector<const ast::Expr *> &exprs,
                                std::optional<DType> hint,
                                std::vector<Node *> &out) {
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

Node *ModelBuilder::emitBinary(const ast::BinaryExpr &e,
                               std::optional<DType> hint) {
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

Node *ModelBuilder::emitCall(const ast::CallExpr &c) {
  if (c.callee == "dense")
    return emitDense(c);
  if (c.callee == "flatten")
    return emitFlatten(c);
  if (c.callee == "stack")
    return emitStack(c);
  if (c.callee == "split") {
    diag_.error(c.loc(), "'split' gives several tensors: write 'a, b = "
                         "split(x, 2, axis = k);' as a statement of its own");
    return nullptr;
  }
  if (c.callee == "conv1d" || c.callee == "conv2d")
    return emitConv(c, c.callee == "conv1d" ? 1 : 2);
  if (c.callee == "maxpool1d" || c.callee == "maxpool2d" ||
      c.callee == "avgpool1d" || c.callee == "avgpool2d")
    return emitPool(c);
  if (c.callee == "global_avgpool")
    return emitGlobalAvgPool(c);
  if (c.callee == "prelu")
    return emitPrelu(c);
  if (c.callee == "swiglu")
    return emitSwiglu(c);
  if (c.callee == "layer_norm")
    return emitLayerNorm(c);
  if (c.callee == "batch_norm")
    return emitBatchNorm(c);
  if (c.callee == "embedding")
    return emitEmbedding(c);
  if (c.callee == "rnn" || c.callee == "lstm" || c.callee == "gru")
    return emitRecurrent(c);
  std::optional<OpKind> k = lookupOp(c.callee);
  if (k && isPlainCall(*k))
    return emitOpCall(*k, c);
  if (k && opArity(*k) != 0) {
    diag_.error(c.loc(), "'" + c.callee +
                             "' is internal: gradient rules build it; a "
                             "model file cannot call it");
    return nullptr;
  }
  if (values_.count(c.callee))
    diag_.error(c.loc(), "'" + c.callee + "' is a value, not an op");
  else
    diag_.error(c.loc(), "unknown op '" + c.callee + "'" +
                             didYouMean(c.callee, callableNames()));
  return nullptr;
}

bool ModelBuilder::checkOperandCount(const ast::CallExpr &c,
                                     const BoundArgs &args, unsigned n) {
  if (args.positional >= n)
    return true;
  diag_.error(c.loc(), "'" + c.callee + "' needs " + std::to_string(n) +
                           (n == 1 ? " tensor argument" : " tensor arguments") +
                           ", got " + std::to_string(args.positional));
  return false;
}

void ModelBuilder::badArg(const ast::CallExpr &c, const ast::Arg &a,
                          const char *name, const std::string &what) {
  diag_.error(a.value->loc(), "argument '" + std::string(name) + "' of '" +
                                  c.callee + "' must be " + what + ", got " +
                                  describeExpr(*a.value));
}

std::optional<Attr> ModelBuilder::attrValue(const ast::CallExpr &c,
                                            const ast::Arg &a,
                                            const AttrSpec &spec) {
  const ast::Expr &v = *a.value;
  switch (spec.type) {
  case AttrType::Float:
    if (std::optional<double> f = numberValue(v))
      return Attr(*f);
    badArg(c, a, spec.name, "a number");
    return std::nullopt;
  case AttrType::Int:
    if (std::optional<int64_t> i = intValue(v))
      return Attr(*i);
    badArg(c, a, spec.name, "an integer");
    return std::nullopt;
  case AttrType::Bool: {
    const auto *n = v.as<ast::NameRef>();
    std::optional<int64_t> i = intValue(v);
    if (n && (n->name == "true" || n->name == "false"))
      return Attr(int64_t(n->name == "true"));
    if (i && (*i == 0 || *i == 1))
      return Attr(*i);
    badArg(c, a, spec.name, "true or false");
    return std::nullopt;
  }
  case AttrType::DType: {
    const auto *n = v.as<ast::NameRef>();
    if (n && parseDType(n->name))
      return Attr(n->name);
    badArg(c, a, spec.name, "f32, f64 or i32");
    return std::nullopt;
  }
  case AttrType::String: {
    const auto *n = v.as<ast::NameRef>();
    if (n)
      return Attr(n->name);
    badArg(c, a, spec.name, "a name");
    return std::nullopt;
  }
  // A call's single integer is a one-element list; the layer forms that
  // take an int for every dim read it themselves.
  case AttrType::IntOrInts:
  case AttrType::Ints:
  case AttrType::Shape: {
    bool shape = spec.type == AttrType::Shape;
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

std::optional<ModelBuilder::TensorList>
ModelBuilder::emitTensorList(const ast::CallExpr &c,
                             std::optional<int64_t> axis) {
  std::vector<const ast::Expr *> exprs;
  bool ok = true, keyword = false;
  for (const ast::Arg &a : c.args) {
    if (a.keyword.empty()) {
      if (keyword) {
        diag_.error(a.loc,
                    "'" + c.callee + "' takes its tensors before 'axis'");
        ok = false;
      }
      exprs.push_back(a.value.get());
    } else if (a.keyword != "axis") {
      diag_.error(a.loc, "'" + c.callee + "' has no argument '" + a.keyword +
                             "'; it takes tensors, then 'axis'");
      ok = false;
    } else if (keyword) {
      diag_.error(a.loc,
                  "argument 'axis' of '" + c.callee + "' is given twice");
      ok = false;
    } else if (std::optional<int64_t> v = intValue(*a.value)) {
      axis = *v;
      keyword = true;
    } else {
      badArg(c, a, "axis", "an integer");
      ok = false;
    }
  }
  if (ok && exprs.size() < 2) {
    diag_.error(c.loc(), "'" + c.callee + "' needs at least two tensors, got " +
                             std::to_string(exprs.size()));
    ok = false;
  }
  if (ok && !axis) {
    diag_.error(c.loc(), "'" + c.callee + "' needs argument 'axis'");
    ok = false;
  }
  TensorList list;
  ok = emitOperands(exprs, std::nullopt, list.tensors) && ok;
  if (!ok)
    return std::nullopt;
  list.axis = *axis;
  return list;
}

Node *ModelBuilder::emitConcat(const ast::CallExpr &c) {
  std::optional<TensorList> list = emitTensorList(c, -1);
  if (!list)
    return nullptr;
  return b_.build(OpKind::Concat, list->tensors, {{"axis", list->axis}},
                  c.loc());
}

std::optional<bool> ModelBuilder::boolArg(const ast::CallExpr &c,
                                          const ast::Arg *a, const char *name,
                                          bool dflt) {
  if (!a)
    return dflt;
  std::optional<Attr> v = attrValue(c, *a, {name, AttrType::Bool, "", ""});
  if (!v)
    return std::nullopt;
  return std::get<int64_t>(*v) != 0;
}

std::optional<double> ModelBuilder::positiveArg(const ast::CallExpr &c,
                                                const ast::Arg *a,
                                                const char *name, double dflt) {
  if (!a)
    return dflt;
  std::optional<double> v = numberValue(*a->value);
  if (v && *v > 0)
    return v;
  badArg(c, *a, name, "a positive number");
  return std::nullopt;
}

int64_t ModelBuilder::sizeArg(const ast::CallExpr &c, const ast::Arg *a,
                              const char *name) {
  if (!a) {
    diag_.error(c.loc(), "'" + c.callee + "' needs argument '" + name + "'");
    return 0;
  }
  std::optional<int64_t> v = intValue(*a->value);
  if (v && *v > 0)
    return *v;
  badArg(c, *a, name, "a positive integer");
  return 0;
}

Node *ModelBuilder::emitOpCall(OpKind k, const ast::CallExpr &c) {
  if (k == OpKind::Dense)
    return emitDense(c);
  if (k == OpKind::Concat)
    return emitConcat(c);
  unsigned n = static_cast<unsigned>(std::max(opArity(k), 0));
  const AttrList &specs = getOpInfo(k).attrs;
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
  for (unsigned i = 0; i < specs.size; ++i) {
    const AttrSpec &s = specs.data[i];
    if (const ast::Arg *a = args->bound[n + i]) {
      std::optional<Attr> v = attrValue(c, *a, s);
      if (v)
        attrs[s.name] = std::move(*v);
      ok = ok && v;
      continue;
    }
    if (s.dflt) {
      // "" (transpose's perm) is worked out below from the operand.
      if (std::optional<Attr> d = parseAttrDefault(s))
        attrs[s.name] = std::move(*d);
      continue;
    }
    diag_.error(c.loc(), "'" + c.callee + "' needs argument '" + s.name + "'");
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

} // namespace frontend
} // namespace lamina
