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
#include <cmath>
#include <map>
#include <stdexcept>

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
      std::string msg = std::string("the train step built an ill-typed '") +
                        opName(k) + "': " + n.errorMessage();
      assert(false && "ill-typed node in the train step");
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

/// The optimizer's update of each parameter, as torch.optim computes it
/// (cfg.optimizer), with its state as "state" Params updated alongside.
class UpdateBuilder {
public:
  UpdateBuilder(Graph &g, const TrainConfig &cfg, NodeMaker &b, Node *lr)
      : g_(g), cfg_(cfg), b_(b), lr_(lr) {
    // The step count comes before every update that reads it: the kernel
    // planner groups updates by layer in graph order, and the layers'
    // kernels read this one.
    if (cfg.optimizer == "adam" || cfg.optimizer == "adamw")
      stepCount(lr->dtype());
  }

  /// Adds the update of parameter p with gradient grad.
  void update(Node *p, Node *grad) {
    const TrainConfig &c = cfg_;
    DType dt = p->dtype();
    bool adamw = c.optimizer == "adamw";
    // Weight decay adds wd p to the gradient, except adamw's, which
    // shrinks p itself by lr wd before the step.
    Node *g = grad, *from = p;
    if (c.weightDecay != 0.0 && !adamw)
      g = b_.add(g, b_.mul(b_.scalar(c.weightDecay, dt), p));
    if (c.weightDecay != 0.0 && adamw)
      from = b_.mul(p, b_.sub(1.0, b_.mul(lr_, c.weightDecay)));
    Node *step = c.optimizer == "sgd"       ? sgd(p, g)
                 : c.optimizer == "rmsprop" ? rmsprop(p, g)
                                            : adam(p, g);
    g_.addUpdate(p->name(), b_.sub(from, b_.mul(lr_, step)));
  }

private:
  /// A zero-initialized state tensor of p's type: NAME.suffix.
  Node *state(const Node &p, const char *suffix) {
    Node *v = g_.create(
        OpKind::Param, {}, p.type(),
        {{"role", std::string("state")}, {"init", std::string("zeros")}});
    v->setName(p.name() + suffix);
    return v;
  }

  /// a v + b x, the running averages' update.
  Node *blend(Node *v, double a, Node *x, double b) {
    return b_.add(b_.mul(v, a), b_.mul(x, b));
  }

  /// torch.optim.SGD: v = mu v + g; the step is v, or g + mu v (Nesterov).
  Node *sgd(Node *p, Node *g) {
    if (cfg_.momentum == 0.0)
      return g;
    Node *v = state(*p, ".velocity");
    Node *mu = b_.scalar(cfg_.momentum, p->dtype());
    Node *next = b_.add(b_.mul(mu, v), g);
    g_.addUpdate(v->name(), next);
    return cfg_.nesterov ? b_.add(g, b_.mul(mu, next)) : next;
  }

  /// torch.optim.RMSprop: s = alpha s + (1 - alpha) g^2; the step is
  /// g / (sqrt s + eps), or with momentum v = mu v + that.
  Node *rmsprop(Node *p, Node *g) {
    Node *s = state(*p, ".square_avg");
    Node *next = blend(s, cfg_.alpha, b_.mul(g, g), 1.0 - cfg_.alpha);
    g_.addUpdate(s->name(), next);
    Node *root = b_.make(OpKind::Sqrt, {next});
    Node *step = b_.div(g, b_.add(root, cfg_.eps));
    if (cfg_.momentum == 0.0)
      return step;
    Node *v = state(*p, ".velocity");
    Node *nextV = b_.add(b_.mul(v, cfg_.momentum), step);
    g_.addUpdate(v->name(), nextV);
    return nextV;
  }

  /// torch.optim.Adam: m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, and
  /// at step t the step m / (1 - b1^t) / (sqrt v / sqrt(1 - b2^t) + eps).
  Node *adam(Node *p, Node *g) {
    Node *m = state(*p, ".exp_avg"), *v = state(*p, ".exp_avg_sq");
    Node *nextM = blend(m, cfg_.beta1, g, 1.0 - cfg_.beta1);
    Node *nextV = blend(v, cfg_.beta2, b_.mul(g, g), 1.0 - cfg_.beta2);
    g_.addUpdate(m->name(), nextM);
    g_.addUpdate(v->name(), nextV);
    Node *t = stepCount(p->dtype());
    // 1 - b^t as 1 - e^(t ln b).
    auto correction = [&](double beta) {
      return b_.sub(1.0, b_.exp(b_.mul(t, std::log(beta))));
    };
    Node *bc1 = correction(cfg_.beta1);
    Node *bc2 = correction(cfg_.beta2);
    Node *rootV = b_.make(OpKind::Sqrt, {nextV});
    Node *rootBc2 = b_.make(OpKind::Sqrt, {bc2});
    Node *denom = b_.add(b_.div(rootV, rootBc2), cfg_.eps);
    return b_.div(b_.div(nextM, bc1), denom);
  }

  /// The step count after this step, t [1]: the state "optimizer.step",
  /// one for the model, counted up once per step.
  Node *stepCount(DType dt) {
    if (!t_) {
      Node *count = g_.create(
          OpKind::Param, {}, TensorType{dt, {1}},
          {{"role", std::string("state")}, {"init", std::string("zeros")}});
      count->setName(kStepCountName);
      t_ = b_.add(count, 1.0);
      g_.addUpdate(count->name(), t_);
    }
    return t_;
  }

  static constexpr const char *kStepCountName = "optimizer.step";

  Graph &g_;
  const TrainConfig &cfg_;
  NodeMaker &b_;
  Node *lr_;
  Node *t_ = nullptr;
};

/// The gradients scaled to a global norm of at most `maxNorm`, as
/// torch.nn.utils.clip_grad_norm_: each times min(1, maxNorm / (norm +
/// 1e-6)), norm the 2-norm of all of them as one vector. The update phase
/// of train --accumulate computes it from the summed gradients.
static std::vector<Node *> clipByGlobalNorm(NodeMaker &b,
                                            const std::vector<Node *> &grads,
                                            double maxNorm) {
  Node *total = nullptr;
  for (Node *g : grads) {
    Node *sq = b.make(OpKind::Sum, {b.mul(g, g)});
    total = total ? b.add(total, sq) : sq;
  }
  if (!total)
    return grads;
  Node *norm = b.make(OpKind::Sqrt, {total});
  Node *coef = b.div(b.scalar(maxNorm, total->dtype()), b.add(norm, 1e-6));
  Node *one = b.scalar(1.0, total->dtype());
  coef = b.select(b.greater(coef, one), one, coef);
  std::vector<Node *> clipped;
  for (Node *g : grads)
    clipped.push_back(b.mul(g, coef));
  return clipped;
}

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

  DType dt = train.loss()->dtype();
  Node *lr = train.create(OpKind::Input, {}, TensorType{dt, {}},
                          {{"role", std::string("hyper")}});
  lr->setName("lr");
  UpdateBuilder updates(train, cfg, forms, lr);
  std::vector<Node *> stepGrads = grads;
  if (cfg.clipNorm > 0)
    stepGrads = clipByGlobalNorm(forms, grads, cfg.clipNorm);
  for (size_t i = 0; i < params.size(); ++i) {
    train.addGradient(params[i]->name(), grads[i]);
    updates.update(params[i], stepGrads[i]);
  }
  train.removeDeadNodes();
  return true;
}

} // namespace lamina
