//===- LayerForms.cpp - dense, conv, pooling, flatten -> nodes ------------===//
//
// Besides the ops of Ops.def, calls may use forms that create parameters or
// expand to several nodes:
//   dense(x, units, bias = true)  creates NAME.weight [in, units] and
//                                 NAME.bias [units] and a Dense node;
//   conv1d/conv2d(x, out, kernel, ...)
//                                 creates NAME.weight and NAME.bias and a
//                                 Conv node, after a Pad for padding modes
//                                 other than zeros;
//   maxpool/avgpool 1d/2d(x, kernel, ...)
//                                 a pooling node with its geometry;
//   global_avgpool(x)             a Mean over the spatial dims;
//   flatten(x)                    a Reshape to [dim 0, product of the rest].
// Created parameters start with the train block's init (initAttrs).
//
//===----------------------------------------------------------------------===//
#include "ModelBuilder.h"

#include "lamina/Support.h"

namespace lamina {
namespace frontend {

//===----------------------------------------------------------------------===//
// Parameters.
//===----------------------------------------------------------------------===//

Attrs ModelBuilder::initAttrs(int64_t fanIn, int64_t fanOut) {
  return {{"role", std::string("param")},
          {"init", std::string("uniform_fan_in")},
          {"init_arg", 0.0},
          {"fan_in", fanIn},
          {"fan_out", fanOut}};
}

Node *ModelBuilder::makeParam(const std::string &name, TensorType t,
                              Attrs attrs, const SourceLoc &loc) {
  Node *n = g_.create(OpKind::Param, {}, std::move(t), std::move(attrs), loc);
  n->setName(name);
  paramNames_.insert(name);
  return n;
}

std::string ModelBuilder::nextDenseName() {
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

//===----------------------------------------------------------------------===//
// dense.
//===----------------------------------------------------------------------===//

Node *ModelBuilder::emitDense(const ast::CallExpr &c) {
  if (givesTensor(c)) {
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
  int64_t units = sizeArg(c, args->bound[1], "units");
  std::optional<bool> bias = boolArg(c, args->bound[2], "bias", true);
  if (!x || units == 0 || !bias)
    return nullptr;
  return denseLayer(c, x, units, *bias);
}

Node *ModelBuilder::denseLayer(const ast::CallExpr &c, Node *x, int64_t units,
                               bool bias) {
  if (x->dtype() == DType::I32 || x->rank() == 0 ||
      x->shape().back() == kBatch) {
    diag_.error(c.loc(), "'" + c.callee +
                             "' needs a float input whose last "
                             "dimension is fixed, got " +
                             typeToString(x->type()));
    return nullptr;
  }
  int64_t in = x->shape().back();
  if (boundedElements({in, units}) < 0) {
    diag_.error(c.loc(), "weight of '" + c.callee + "' would be [" +
                             std::to_string(in) + ", " + std::to_string(units) +
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

//===----------------------------------------------------------------------===//
// Shared arguments of convolution and pooling.
//===----------------------------------------------------------------------===//

std::optional<std::vector<int64_t>>
ModelBuilder::intList(const ast::CallExpr &c, const ast::Arg &a,
                      const char *name, size_t n, int64_t min,
                      const std::string &what) {
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
         (n == 1
              ? "an integer"
              : "an integer or a list of " + std::to_string(n) + " integers") +
             std::string(min > 0 ? " (positive)" : " (0 or more)"));
  return std::nullopt;
}

std::optional<std::vector<int64_t>>
ModelBuilder::paddingValue(const ast::CallExpr &c, const ast::Arg *a,
                           unsigned spatial, const std::vector<int64_t> &kernel,
                           const std::vector<int64_t> &stride,
                           const std::vector<int64_t> &dilation) {
  std::vector<int64_t> pad(2 * spatial, 0);
  if (!a)
    return pad;
  const auto *name = a->value->as<ast::NameRef>();
  if (name &&
      (name->name == "valid" || name->name == "same" || name->name == "full")) {
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

//===----------------------------------------------------------------------===//
// conv1d, conv2d.
//===----------------------------------------------------------------------===//

/// A conv call's arguments bound to its parameter names, and what has been
/// read from them so far.
struct ModelBuilder::ConvCall {
  ConvCall(const ast::CallExpr &c, unsigned spatial, bool tensorForm,
           std::vector<std::string> params, BoundArgs args)
      : c(c), spatial(spatial), tensorForm(tensorForm),
        params(std::move(params)), args(std::move(args)), stride(spatial, 1),
        dilation(spatial, 1) {}

  const ast::CallExpr &c;
  unsigned spatial;
  /// conv(x, W[, b], ...) rather than conv(x, out, kernel, ...).
  bool tensorForm;
  std::vector<std::string> params;
  BoundArgs args;
  /// False once any argument was found wrong.
  bool ok = true;
  /// x, then W and b when given or created.
  std::vector<Node *> operands;
  int64_t out = 0;
  std::vector<int64_t> kernel;
  std::vector<int64_t> stride, dilation;
  int64_t groups = 1;
  bool bias = true;
  std::string mode = "zeros";

  /// The argument given for parameter `name`, or nullptr.
  const ast::Arg *arg(const char *name) const {
    for (size_t i = 0; i < params.size(); ++i)
      if (params[i] == name)
        return args.bound[i];
    return nullptr;
  }
};

Node *ModelBuilder::emitConv(const ast::CallExpr &c, unsigned spatial) {
  OpKind kind = spatial == 1 ? OpKind::Conv1d : OpKind::Conv2d;
  bool tensorForm = givesTensor(c);
  std::vector<std::string> params =
      tensorForm ? std::vector<std::string>{"#x", "#w", "#b"}
                 : std::vector<std::string>{"#x", "out", "kernel"};
  for (const char *p :
       {"stride", "padding", "dilation", "groups", "bias", "padding_mode"})
    params.push_back(p);
  std::optional<BoundArgs> args = bindArgs(c, params, diag_);
  if (!args || !checkOperandCount(c, *args, tensorForm ? 2 : 1))
    return nullptr;
  ConvCall cv(c, spatial, tensorForm, std::move(params), std::move(*args));
  Node *x = emit(*cv.args.bound[0]->value);
  cv.ok = x != nullptr;
  cv.operands.push_back(x);
  if (tensorForm) {
    if (!emitGivenConvWeights(cv))
      return nullptr;
  } else {
    readConvShape(cv);
  }
  readConvGeometry(cv);
  readConvBiasAndMode(cv);
  if (!cv.ok)
    return nullptr;
  std::optional<std::vector<int64_t>> pad = paddingValue(
      c, cv.arg("padding"), spatial, cv.kernel, cv.stride, cv.dilation);
  if (!pad || !padForMode(cv, *pad))
    return nullptr;
  Attrs attrs{{"stride", cv.stride},
              {"padding", *pad},
              {"dilation", cv.dilation},
              {"groups", cv.groups}};
  if (!tensorForm && !createConvParams(cv))
    return nullptr;
  return b_.build(kind, cv.operands, std::move(attrs), c.loc());
}

bool ModelBuilder::emitGivenConvWeights(ConvCall &cv) {
  const ast::CallExpr &c = cv.c;
  for (unsigned i = 1; i < 3; ++i)
    if (cv.args.bound[i]) {
      Node *t = emit(*cv.args.bound[i]->value);
      cv.ok = cv.ok && t;
      cv.operands.push_back(t);
    }
  if (!cv.ok)
    return true;
  Node *w = cv.operands[1];
  if (w->rank() == cv.spatial + 2) {
    cv.out = w->shape()[0];
    cv.kernel.assign(w->shape().begin() + 2, w->shape().end());
    return true;
  }
  // The kernel size (for same/full padding) comes from W's shape.
  diag_.error(cv.args.bound[1]->value->loc(),
              "'" + c.callee + "' needs a weight of rank " +
                  std::to_string(cv.spatial + 2) + " ([out, in/groups, " +
                  (cv.spatial == 1 ? "k" : "kh, kw") + "]), got " +
                  typeToString(w->type()));
  return false;
}

void ModelBuilder::readConvShape(ConvCall &cv) {
  const ast::CallExpr &c = cv.c;
  if (const ast::Arg *a = cv.arg("out")) {
    std::optional<int64_t> o = intValue(*a->value);
    if (o && *o > 0)
      cv.out = *o;
    else
      badArg(c, *a, "out", "a positive number of channels");
  } else {
    diag_.error(c.loc(), "'" + c.callee + "' needs argument 'out'");
  }
  if (const ast::Arg *a = cv.arg("kernel")) {
    if (auto k = intList(c, *a, "kernel", cv.spatial, 1))
      cv.kernel = *k;
  } else {
    diag_.error(c.loc(), "'" + c.callee + "' needs argument 'kernel'");
  }
  cv.ok = cv.ok && cv.out > 0 && cv.kernel.size() == cv.spatial;
}

void ModelBuilder::readConvGeometry(ConvCall &cv) {
  const ast::CallExpr &c = cv.c;
  if (const ast::Arg *a = cv.arg("stride")) {
    auto v = intList(c, *a, "stride", cv.spatial, 1);
    cv.ok = cv.ok && v;
    if (v)
      cv.stride = *v;
  }
  if (const ast::Arg *a = cv.arg("dilation")) {
    auto v = intList(c, *a, "dilation", cv.spatial, 1);
    cv.ok = cv.ok && v;
    if (v)
      cv.dilation = *v;
  }
  if (const ast::Arg *a = cv.arg("groups")) {
    std::optional<int64_t> v = intValue(*a->value);
    if (v && *v > 0)
      cv.groups = *v;
    else
      badArg(c, *a, "groups", "a positive integer");
    cv.ok = cv.ok && v && *v > 0;
  }
}

void ModelBuilder::readConvBiasAndMode(ConvCall &cv) {
  const ast::CallExpr &c = cv.c;
  if (const ast::Arg *a = cv.arg("bias")) {
    std::optional<bool> v = boolArg(c, a, "bias", true);
    cv.ok = cv.ok && v;
    if (v)
      cv.bias = *v;
    if (v && cv.tensorForm) {
      diag_.error(a->value->loc(),
                  "'bias' of '" + c.callee +
                      "' applies only when it creates its parameters; "
                      "with a given weight, pass the bias tensor or leave "
                      "it out");
      cv.ok = false;
    }
  }
  if (const ast::Arg *a = cv.arg("padding_mode")) {
    const auto *m = a->value->as<ast::NameRef>();
    if (m && (m->name == "zeros" || m->name == "reflect" ||
              m->name == "replicate" || m->name == "circular")) {
      cv.mode = m->name;
    } else {
      badArg(c, *a, "padding_mode", "zeros, reflect, replicate or circular");
      cv.ok = false;
    }
  }
}

bool ModelBuilder::padForMode(ConvCall &cv, std::vector<int64_t> &pad) {
  if (cv.mode == "zeros")
    return true;
  // Other padding modes pad explicitly, then convolve without padding.
  Node *x = b_.build(OpKind::Pad, {cv.operands[0]},
                     {{"padding", pad}, {"mode", cv.mode}}, cv.c.loc());
  if (!x)
    return false;
  cv.operands[0] = x;
  pad.assign(pad.size(), 0);
  return true;
}

bool ModelBuilder::createConvParams(ConvCall &cv) {
  const ast::CallExpr &c = cv.c;
  Node *x = cv.operands[0];
  if (x->rank() != cv.spatial + 2 || x->dtype() == DType::I32) {
    diag_.error(c.loc(), "'" + c.callee + "' needs a float input of shape " +
                             (cv.spatial == 1 ? "[batch, channels, length]"
                                              : "[batch, channels, height, "
                                                "width]") +
                             ", got " + typeToString(x->type()));
    return false;
  }
  int64_t in = x->shape()[1];
  if (in == kBatch || in % cv.groups != 0) {
    diag_.error(c.loc(), "'" + c.callee + "' groups " +
                             std::to_string(cv.groups) +
                             " must divide the input channels of " +
                             typeToString(x->type()));
    return false;
  }
  int64_t fanIn = in / cv.groups, fanOut = cv.out;
  Shape ws{cv.out, in / cv.groups};
  for (int64_t k : cv.kernel) {
    ws.push_back(k);
    fanIn *= k;
    fanOut *= k;
  }
  if (boundedElements(ws) < 0) {
    diag_.error(c.loc(), "weight of '" + c.callee + "' would be " +
                             shapeToString(ws) + ", more than 2^40 elements");
    return false;
  }
  std::string name = nextDenseName();
  cv.operands.push_back(makeParam(name + ".weight", {x->dtype(), ws},
                                  initAttrs(fanIn, fanOut), c.loc()));
  if (cv.bias)
    cv.operands.push_back(makeParam(name + ".bias", {x->dtype(), {cv.out}},
                                    initAttrs(fanIn, fanOut), c.loc()));
  return true;
}

//===----------------------------------------------------------------------===//
// Pooling and flatten.
//===----------------------------------------------------------------------===//

Node *ModelBuilder::emitPool(const ast::CallExpr &c) {
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
    std::optional<bool> v = boolArg(c, args->bound[i], params[i].c_str(),
                                    params[i] == "count_include_pad");
    ok = ok && v;
    if (v)
      attrs[params[i]] = int64_t(*v);
  }
  if (!ok)
    return nullptr;
  attrs["kernel"] = kernel;
  attrs["stride"] = stride;
  attrs["padding"] = pad;
  return b_.build(kind, {x}, std::move(attrs), c.loc());
}

Node *ModelBuilder::emitGlobalAvgPool(const ast::CallExpr &c) {
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
  return b_.build(OpKind::Mean, {x}, {{"axes", axes}, {"keepdims", int64_t(0)}},
                  c.loc());
}

Node *ModelBuilder::emitFlatten(const ast::CallExpr &c) {
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

Node *ModelBuilder::emitStack(const ast::CallExpr &c) {
  std::optional<TensorList> list = emitTensorList(c, std::nullopt);
  if (!list)
    return nullptr;
  const Node *first = list->tensors[0];
  int64_t rank = first->rank(), axis = list->axis;
  if (axis < 0)
    axis += rank + 1;
  if (axis < 0 || axis > rank) {
    diag_.error(c.loc(), "'stack' axis " + std::to_string(list->axis) +
                             " is out of range for a result of rank " +
                             std::to_string(rank + 1));
    return nullptr;
  }
  if (axis == 0 && rank > 0 && first->shape()[0] == kBatch) {
    diag_.error(c.loc(), "'stack' cannot put the new dim before the batch "
                         "dimension of " +
                             typeToString(first->type()) +
                             "; use axis = 1 or more");
    return nullptr;
  }
  std::vector<Node *> rows;
  for (size_t i = 0; i < list->tensors.size(); ++i) {
    Node *t = list->tensors[i];
    if (t->type() != first->type()) {
      diag_.error(c.loc(), "'stack' needs tensors of one type; operand " +
                               std::to_string(i + 1) + " is " +
                               typeToString(t->type()) + ", operand 1 " +
                               typeToString(first->type()));
      return nullptr;
    }
    Shape s = t->shape();
    s.insert(s.begin() + axis, 1);
    rows.push_back(b_.build(OpKind::Reshape, {t}, {{"shape", s}}, c.loc()));
    if (!rows.back())
      return nullptr;
  }
  return b_.build(OpKind::Concat, rows, {{"axis", axis}}, c.loc());
}

std::optional<std::vector<Node *>>
ModelBuilder::emitSplit(const ast::CallExpr &c, size_t names) {
  std::optional<BoundArgs> args = bindArgs(c, {"#x", "#pieces", "axis"}, diag_);
  if (!args || !checkOperandCount(c, *args, 2))
    return std::nullopt;
  int64_t axis = -1;
  if (const ast::Arg *a = args->bound[2]) {
    std::optional<int64_t> v = intValue(*a->value);
    if (!v) {
      badArg(c, *a, "axis", "an integer");
      return std::nullopt;
    }
    axis = *v;
  }
  // pieces: a count of equal pieces, or their sizes.
  const ast::Arg &p = *args->bound[1];
  std::vector<int64_t> sizes;
  std::optional<int64_t> count = intValue(*p.value);
  if (const auto *list = p.value->as<ast::ArrayLit>()) {
    for (const ast::ExprPtr &e : list->elements) {
      std::optional<int64_t> v = e ? intValue(*e) : std::nullopt;
      if (!v || *v <= 0) {
        badArg(c, p, "pieces", "a positive count or a list of positive sizes");
        return std::nullopt;
      }
      sizes.push_back(*v);
    }
  } else if (!count || *count <= 0) {
    badArg(c, p, "pieces", "a positive count or a list of positive sizes");
    return std::nullopt;
  }
  size_t given = count ? static_cast<size_t>(*count) : sizes.size();
  if (given != names) {
    diag_.error(c.loc(), "'split' gives " + std::to_string(given) +
                             " pieces but the statement names " +
                             std::to_string(names));
    return std::nullopt;
  }
  Node *x = emit(*args->bound[0]->value);
  if (!x)
    return std::nullopt;
  int64_t rank = x->rank(), d = axis < 0 ? axis + rank : axis;
  if (d < 0 || d >= rank) {
    diag_.error(c.loc(), "'split' axis " + std::to_string(axis) +
                             " is out of range for " + typeToString(x->type()));
    return std::nullopt;
  }
  int64_t extent = x->shape()[d];
  if (extent == kBatch) {
    diag_.error(c.loc(), "'split' cannot cut the batch dimension of " +
                             typeToString(x->type()) +
                             " (its size is known only at run time)");
    return std::nullopt;
  }
  if (count) {
    if (extent % *count != 0) {
      diag_.error(c.loc(), "'split' cannot cut " + std::to_string(extent) +
                               " (axis " + std::to_string(d) + " of " +
                               typeToString(x->type()) + ") into " +
                               std::to_string(*count) +
                               " equal pieces; give their sizes as a list");
      return std::nullopt;
    }
    sizes.assign(static_cast<size_t>(*count), extent / *count);
  }
  int64_t total = 0;
  for (int64_t s : sizes)
    total += s;
  if (total != extent) {
    diag_.error(c.loc(), "'split' sizes add up to " + std::to_string(total) +
                             " but axis " + std::to_string(d) + " of " +
                             typeToString(x->type()) + " has " +
                             std::to_string(extent));
    return std::nullopt;
  }
  std::vector<Node *> pieces;
  int64_t start = 0;
  for (int64_t s : sizes) {
    pieces.push_back(
        b_.build(OpKind::Slice, {x},
                 {{"axis", d}, {"start", start}, {"end", start + s}}, c.loc()));
    if (!pieces.back())
      return std::nullopt;
    start += s;
  }
  return pieces;
}

} // namespace frontend
} // namespace lamina
