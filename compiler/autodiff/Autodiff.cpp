//===- Autodiff.cpp - Reverse-mode differentiation into the IR ------------===//
//
// The backward graph is built symbolically: each op's buildGradient adds the
// nodes for dL/d(input) given dL/d(output). This file does the parts common
// to every op, once: the reverse walk, the summation of gradients that fan
// in from several users, and un-broadcasting a gradient back to the shape of
// the operand it belongs to.
//
//===----------------------------------------------------------------------===//
#include "lamina/Autodiff.h"
#include "lamina/Diagnostics.h"
#include "lamina/OpInfo.h"
#include "lamina/abi/Names.h"

#include <cassert>
#include <map>

namespace lamina {

namespace {

class GradBuilderImpl final : public GradBuilder {
public:
  GradBuilderImpl(Graph &g, const std::vector<bool> &wanted)
      : b_(g, nullptr), wanted_(wanted) {}

  Node *outGrad(const Node &n) override {
    auto it = grads_.find(n.id());
    assert(it != grads_.end() && "no gradient reached this node");
    return it->second;
  }

  void accumulate(const Node &x, Node *grad) override {
    // Gradients of data inputs and constants are never needed; their nodes
    // stay dead and are never lowered.
    if (x.id() >= wanted_.size() || !wanted_[x.id()])
      return;
    grad = unbroadcast(grad, x.shape());
    auto [it, inserted] = grads_.emplace(x.id(), grad);
    if (!inserted)
      it->second = add(it->second, grad);
  }

  Node *make(OpKind k, std::vector<Node *> inputs, Attrs attrs) override {
    Expected<Node *> n = b_.tryBuild(k, std::move(inputs), std::move(attrs));
    if (!n) {
      // A type error here is a bug in a gradient rule, not a user error.
      std::string msg = std::string("gradient rule built an ill-typed '") +
                        opName(k) + "': " + n.errorMessage();
      assert(false && "ill-typed node in a gradient rule");
      throw std::logic_error(msg);
    }
    return *n;
  }

  Node *scalar(double v, DType t) override { return b_.scalar(v, t); }

  bool hasGrad(const Node &n) const { return grads_.count(n.id()) != 0; }
  void seed(const Node &n, Node *g) { grads_[n.id()] = g; }

private:
  /// Sums `grad` (of a broadcast shape) back down to `target`.
  Node *unbroadcast(Node *grad, const Shape &target) {
    const Shape &gs = grad->shape();
    if (gs == target)
      return grad;
    assert(gs.size() >= target.size() && "gradient of lower rank");
    size_t lead = gs.size() - target.size();
    std::vector<int64_t> leading;
    for (size_t d = 0; d < lead; ++d)
      leading.push_back(static_cast<int64_t>(d));
    if (!leading.empty())
      grad = sum(grad, leading, false);
    std::vector<int64_t> ones;
    for (size_t d = 0; d < target.size(); ++d)
      if (target[d] == 1 && grad->shape()[d] != 1)
        ones.push_back(static_cast<int64_t>(d));
    if (!ones.empty())
      grad = sum(grad, ones, true);
    assert(grad->shape() == target && "un-broadcast failed");
    return grad;
  }

  GraphBuilder b_;
  const std::vector<bool> &wanted_;
  std::map<unsigned, Node *> grads_;
};

/// Whether the value of input `i` of `n` can change the loss through `n`
/// (the op's nonDiffOperands): a non-differentiable op feeding select's
/// condition or a count (greater, step) blocks no gradient.
bool valueFlowsThrough(const Node &n, unsigned i) {
  return i >= 32 || !(getOpInfo(n.kind()).nonDiffOperands & (1u << i));
}

} // namespace

std::vector<Node *> buildGradients(Graph &g, Node *loss,
                                   const std::vector<Node *> &wrt,
                                   DiagnosticEngine &diag) {
  assert(loss && loss->rank() == 0 && "loss must be a scalar");
  unsigned n = g.size();
  // fromWrt: depends on some wrt node. toLoss: the loss depends on it.
  std::vector<bool> fromWrt(n, false), toLoss(n, false);
  for (Node *w : wrt)
    fromWrt[w->id()] = true;
  for (const auto &np : g.nodes())
    for (Node *in : np->inputs())
      if (fromWrt[in->id()])
        fromWrt[np->id()] = true;
  toLoss[loss->id()] = true;
  for (unsigned i = loss->id() + 1; i-- > 0;) {
    const Node &node = *g.nodes()[i];
    if (!toLoss[i])
      continue;
    for (unsigned k = 0; k < node.numInputs(); ++k)
      if (valueFlowsThrough(node, k))
        toLoss[node.input(k).id()] = true;
  }
  std::vector<bool> onPath(n, false);
  for (unsigned i = 0; i < n; ++i)
    onPath[i] = fromWrt[i] && toLoss[i];

  // Report every op on a path that cannot carry a gradient, at once.
  bool ok = true;
  for (unsigned i = 0; i < n; ++i) {
    const Node &node = *g.nodes()[i];
    const OpInfo &info = getOpInfo(node.kind());
    const char *why = info.buildGradient ? nullptr : info.noGradReason;
    if (info.buildGradient && info.noGradientFor)
      why = info.noGradientFor(node);
    if (!onPath[i] || !why || node.kind() == OpKind::Param ||
        node.kind() == OpKind::Input)
      continue;
    diag.error(node.loc(), std::string("'") + opName(node.kind()) +
                               "' has no gradient, but the loss depends on "
                               "parameters through it: " +
                               why);
    ok = false;
  }
  if (!ok)
    return {};

  GradBuilderImpl gb(g, onPath);
  gb.seed(*loss, gb.scalar(1.0, loss->dtype()));
  for (unsigned i = loss->id() + 1; i-- > 0;) {
    const Node &node = *g.nodes()[i];
    if (!onPath[i] || !gb.hasGrad(node))
      continue;
    const OpInfo &info = getOpInfo(node.kind());
    if (info.buildGradient)
      info.buildGradient(node, gb);
  }

  std::vector<Node *> result;
  for (Node *w : wrt) {
    if (gb.hasGrad(*w)) {
      result.push_back(gb.outGrad(*w));
      continue;
    }
    // The loss does not depend on w: its gradient is zero.
    result.push_back(gb.broadcastTo(gb.scalar(0.0, w->dtype()), w->shape()));
  }
  return result;
}

namespace {

/// Builds the train forms of ops (OpInfo::trainForm) into the train step.
class TrainFormBuilderImpl final : public TrainFormBuilder {
public:
  explicit TrainFormBuilderImpl(Graph &g) : b_(g, nullptr) {}

  Node *make(OpKind k, std::vector<Node *> inputs, Attrs attrs) override {
    Expected<Node *> n = b_.tryBuild(k, std::move(inputs), std::move(attrs));
    if (!n) {
      std::string msg = std::string("train form built an ill-typed '") +
                        opName(k) + "': " + n.errorMessage();
      assert(false && "ill-typed node in a train form");
      throw std::logic_error(msg);
    }
    return *n;
  }

  Node *scalar(double v, DType t) override { return b_.scalar(v, t); }

  Node *stepKey() override {
    if (!key_) {
      key_ = b_.graph().create(OpKind::Input, {}, TensorType{DType::F64, {}},
                               {{"role", std::string("key")}});
      key_->setName(abi::kStepKeyArgument);
    }
    return key_;
  }

  int64_t nextSalt() override { return ++salts_; }

  void updateBuffer(Node *leaf, Node *value) override {
    b_.graph().addUpdate(leaf->name(), value);
  }

private:
  GraphBuilder b_;
  Node *key_ = nullptr;
  int64_t salts_ = 0;
};

} // namespace

bool buildTrainStep(const Graph &forward, const TrainConfig &cfg, Graph &train,
                    DiagnosticEngine &diag) {
  if (!forward.loss()) {
    diag.error(SourceLoc{}, "model '" + forward.name() +
                                "' has no 'loss' declaration; add one such "
                                "as 'loss cross_entropy(logits, y);' to train");
    return false;
  }
  TrainFormBuilderImpl forms(train);
  forward.cloneInto(train, [&](const Node &n, const std::vector<Node *> &ins) {
    auto form = getOpInfo(n.kind()).trainForm;
    return form ? form(n, ins, forms) : nullptr;
  });
  train.retainMetricOutputs();
  std::vector<Node *> params = train.paramsWithRole("param");
  std::vector<Node *> grads = buildGradients(train, train.loss(), params, diag);
  if (grads.size() != params.size())
    return false;

  GraphBuilder b(train, nullptr);
  DType dt = train.loss()->dtype();
  Node *lr = train.create(OpKind::Input, {}, TensorType{dt, {}},
                          {{"role", std::string("hyper")}});
  lr->setName("lr");
  auto build = [&](OpKind k, std::vector<Node *> ins) {
    Expected<Node *> r = b.tryBuild(k, std::move(ins));
    assert(r && "ill-typed optimizer update");
    return *r;
  };
  // torch.optim.SGD: g' = g + wd p; v = mu v + g'; p = p - lr v.
  for (size_t i = 0; i < params.size(); ++i) {
    Node *p = params[i], *g = grads[i];
    train.addGradient(p->name(), g);
    if (cfg.weightDecay != 0.0)
      g = build(OpKind::Add,
                {g, build(OpKind::Mul, {b.scalar(cfg.weightDecay, dt), p})});
    if (cfg.momentum != 0.0) {
      Node *v = train.create(
          OpKind::Param, {}, p->type(),
          {{"role", std::string("state")}, {"init", std::string("zeros")}});
      v->setName(p->name() + ".velocity");
      g = build(OpKind::Add,
                {build(OpKind::Mul, {b.scalar(cfg.momentum, dt), v}), g});
      train.addUpdate(v->name(), g);
    }
    train.addUpdate(p->name(),
                    build(OpKind::Sub, {p, build(OpKind::Mul, {lr, g})}));
  }
  train.removeDeadNodes();
  return true;
}

} // namespace lamina
