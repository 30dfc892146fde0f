//===- LowerContext.cpp - Logical-order helpers over Halide Funcs ---------===//
#include "lamina/IRText.h"
#include "lamina/Lower.h"
#include "lamina/OpInfo.h"

#include <algorithm>
#include <cassert>

namespace lamina {

LowerContext::LowerContext(const Graph &g, Halide::Target target)
    : g_(g), target_(std::move(target)), printed_(valueNameMap(g)) {}

std::optional<abi::Role> leafRole(const Node &leaf) {
  std::string role = leaf.hasAttr("role")
                         ? leaf.strAttr("role")
                         : (leaf.kind() == OpKind::Param ? "param" : "input");
  if (role == "input")
    return abi::Role::Input;
  if (role == "label")
    return abi::Role::Label;
  if (role == "param")
    return abi::Role::Parameter;
  if (role == "state")
    return abi::Role::OptimizerState;
  if (role == "buffer")
    return abi::Role::NonTrainableState;
  return std::nullopt; // "hyper", "key"
}

std::string argName(const Node &leaf) {
  std::string n = abi::sanitize(leaf.name());
  if (std::optional<abi::Role> role = leafRole(leaf))
    return abi::argumentName(*role, n);
  return n; // A hyper-parameter's own name, e.g. "lr".
}

std::string LowerContext::name(const Node &n) const {
  if (auto it = names_.find(n.id()); it != names_.end())
    return it->second;
  std::string base =
      n.name().empty() ? opName(n.kind()) : abi::sanitize(n.name());
  // The number of the node's %N in --emit=ir and --emit=grad-ir, so that
  // --emit=halide and --profile name what the dumps show.
  auto it = printed_.find(&n);
  if (it != printed_.end() && it->second.size() > 1 &&
      std::all_of(it->second.begin() + 1, it->second.end(),
                  [](char c) { return c >= '0' && c <= '9'; }))
    return base + "_" + it->second.substr(1);
  return base + "_" + std::to_string(n.id());
}

Halide::Type LowerContext::halideType(DType t) {
  switch (t) {
  case DType::F32:
    return Halide::Float(32);
  case DType::F64:
    return Halide::Float(64);
  case DType::I32:
    return Halide::Int(32);
  }
  return Halide::Float(32);
}

Halide::Expr LowerContext::cast(const Node &n, Halide::Expr e) const {
  return Halide::cast(type(n), std::move(e));
}

Halide::Expr LowerContext::constant(const Node &n, double v) const {
  // Not Halide::Expr(v): that is an f32 constant, which would round an f64
  // model's 0.1 or 1/6 to f32.
  return Halide::Internal::make_const(type(n), v);
}

std::vector<Halide::Var> LowerContext::vars(unsigned rank) {
  std::vector<Halide::Var> v;
  for (unsigned i = 0; i < rank; ++i)
    v.emplace_back("d" + std::to_string(i));
  return v;
}

std::vector<Halide::Var> LowerContext::vars(const Node &n) const {
  return vars(n.rank());
}

std::vector<Halide::Expr>
LowerContext::exprs(const std::vector<Halide::Var> &v) {
  return std::vector<Halide::Expr>(v.begin(), v.end());
}

void LowerContext::define(Halide::Func &f, const std::vector<Halide::Var> &vars,
                          const Halide::Expr &e) {
  std::vector<Halide::Var> rev(vars.rbegin(), vars.rend());
  f(rev) = e;
}

Halide::Expr LowerContext::call(const Halide::Func &f,
                                const std::vector<Halide::Expr> &idx) {
  std::vector<Halide::Expr> rev(idx.rbegin(), idx.rend());
  return const_cast<Halide::Func &>(f)(rev);
}

Halide::Func LowerContext::funcOf(const Node &n) const {
  auto it = funcs_.find(n.id());
  assert(it != funcs_.end() && "node used before it was lowered");
  return it->second;
}

Halide::Func LowerContext::reductionOf(const Node &n) const {
  auto it = reductions_.find(n.id());
  assert(it != reductions_.end() && "node has no reduction Func");
  return it->second;
}

Halide::Func LowerContext::auxOf(const Node &n) const {
  auto it = aux_.find(n.id());
  assert(it != aux_.end() && "node has no auxiliary Func");
  return it->second;
}

void LowerContext::setFunc(const Node &n, Halide::Func f) {
  funcs_[n.id()] = std::move(f);
}

Halide::Func LowerContext::input(const Node &n, unsigned i) const {
  return funcOf(n.input(i));
}

Halide::Expr LowerContext::read(const Node &n, unsigned i,
                                const std::vector<Halide::Expr> &idx) const {
  assert(idx.size() == n.input(i).rank() && "index rank mismatch");
  return call(input(n, i), idx);
}

Halide::Expr
LowerContext::readBroadcast(const Node &n, unsigned i,
                            const std::vector<Halide::Expr> &idx) const {
  const Shape &in = n.input(i).shape();
  assert(idx.size() >= in.size() && "broadcast to a lower rank");
  size_t lead = idx.size() - in.size();
  std::vector<Halide::Expr> sub;
  for (size_t d = 0; d < in.size(); ++d) {
    bool pinned = in[d] == 1 && n.shape()[lead + d] != 1;
    sub.push_back(pinned ? Halide::Expr(0) : idx[lead + d]);
  }
  return call(input(n, i), sub);
}

Halide::Expr LowerContext::extent(const Shape &s, unsigned d) const {
  assert(d < s.size() && "dim out of range");
  if (s[d] == kBatch)
    return batch_;
  return Halide::Expr(static_cast<int>(s[d]));
}

Halide::Expr LowerContext::count(const Shape &s,
                                 const std::vector<int64_t> &axes) const {
  Halide::Expr c = 1;
  for (int64_t a : axes)
    c = c * extent(s, static_cast<unsigned>(a));
  return Halide::Internal::simplify(c);
}

int LowerContext::vectorWidth(const Node &n) const {
  int bytes = target_.has_feature(Halide::Target::AVX512) ? 64
              : target_.has_feature(Halide::Target::AVX2) ? 32
                                                          : 16;
  return bytes / static_cast<int>(dtypeSize(n.dtype()));
}

bool LowerContext::parallel(const Node &n, int64_t outer) const {
  if (outer != kBatch && outer < 2)
    return false;
  auto hasBatch = [](const Shape &s) {
    return std::find(s.begin(), s.end(), kBatch) != s.end();
  };
  if (hasBatch(n.shape()))
    return true;
  int64_t largest = numElements(n.shape());
  for (const Node *in : n.inputs()) {
    if (hasBatch(in->shape()))
      return true;
    largest = std::max(largest, numElements(in->shape()));
  }
  return largest >= kMinParallelElements;
}

void LowerContext::setDense(const Halide::Internal::Parameter &p,
                            const Shape &s) const {
  // A Parameter is a handle: q constrains p's buffer.
  Halide::Internal::Parameter q = p;
  Halide::Expr stride = 1;
  for (unsigned hd = 0; hd < s.size(); ++hd) {
    unsigned d = static_cast<unsigned>(s.size()) - 1 - hd;
    q.set_min_constraint(static_cast<int>(hd), 0);
    q.set_extent_constraint(static_cast<int>(hd), extent(s, d));
    q.set_stride_constraint(static_cast<int>(hd), stride);
    stride = Halide::Internal::simplify(stride * extent(s, d));
  }
}

Halide::ImageParam &LowerContext::imageParamFor(const Node &leaf) {
  auto it = images_.find(leaf.id());
  if (it != images_.end())
    return it->second;
  Halide::ImageParam img(type(leaf), static_cast<int>(leaf.rank()),
                         argNameOf(leaf));
  // Tell Halide every extent we know, the mins (0) and the strides: every
  // buffer a kernel is given is dense (the step checks its arguments, and
  // lays out the arena's tensors so). A generic kernel (Plan.h) relies on
  // it: it reads [rows, 1, h, w] from a buffer laid out as [n, c, h, w].
  setDense(img.parameter(), leaf.shape());
  return images_.emplace(leaf.id(), img).first->second;
}

Halide::Param<double> &LowerContext::scalarParamFor(const Node &leaf) {
  auto it = scalars_.find(leaf.id());
  if (it != scalars_.end())
    return it->second;
  return scalars_.emplace(leaf.id(), Halide::Param<double>(argNameOf(leaf)))
      .first->second;
}

std::string LowerContext::argNameOf(const Node &n) const {
  auto it = argNames_.find(n.id());
  return it != argNames_.end() ? it->second : argName(n);
}

} // namespace lamina
