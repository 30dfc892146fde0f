//===- TrainConfig.cpp - train MODEL { ... } -> TrainConfig --------------===//
//
//   train Mlp {
//     batch = 64; epochs = 5; seed = 7; validation = 0.1;
//     optimizer = sgd(lr = 0.05, momentum = 0.9, weight_decay = 0);
//                 // adam(...) | adamw(...) | rmsprop(...)
//     init = uniform_fan_in;  // normal(std) | xavier | he | zeros
//                             // | constant(v)
//   }
//
//===----------------------------------------------------------------------===//
#include "FrontendUtil.h"

#include "lamina/Diagnostics.h"
#include "lamina/Support.h"

#include <algorithm>
#include <cmath>

namespace lamina {
namespace frontend {

namespace {

class TrainBlockReader {
public:
  TrainBlockReader(DiagnosticEngine &diag) : diag_(diag) {}

  std::optional<TrainConfig> read(const ast::TrainBlock &t) {
    unsigned before = diag_.numErrors();
    TrainConfig c;
    c.loc = t.loc;
    std::map<std::string, SourceLoc> seen;
    for (const ast::Setting &s : t.settings) {
      auto [it, fresh] = seen.emplace(s.key, s.loc);
      if (!fresh) {
        diag_.error(s.loc, "'" + s.key + "' is already set");
        diag_.note(it->second, "previous setting is here");
        continue;
      }
      if (!s.value)
        continue;
      const ast::Expr &v = *s.value;
      if (s.key == "batch")
        readPositiveInt(s.key, v, c.batch);
      else if (s.key == "epochs")
        readPositiveInt(s.key, v, c.epochs);
      else if (s.key == "optimizer")
        readOptimizer(v, c);
      else if (s.key == "init")
        readInit(v, c);
      else if (s.key == "validation")
        readValidation(v, c);
      else if (s.key == "seed")
        readSeed(v, c);
      else if (s.key == "schedule")
        readSchedule(v, c);
      else if (s.key == "early_stopping")
        readEarlyStopping(v, c);
      else if (s.key == "clip_norm")
        readClipNorm(v, c);
      else if (s.key == "lr" || s.key == "momentum" ||
               s.key == "weight_decay" || s.key == "learning_rate")
        diag_.error(s.loc, "unknown train setting '" + s.key +
                               "'; it is an argument of the optimizer: "
                               "optimizer = sgd(" +
                               (s.key == "learning_rate" ? "lr" : s.key) +
                               " = ...)");
      else
        diag_.error(
            s.loc,
            "unknown train setting '" + s.key + "'" +
                didYouMean(s.key, {"batch", "epochs", "optimizer", "init",
                                   "validation", "seed", "schedule",
                                   "early_stopping", "clip_norm"}));
    }
    if (diag_.numErrors() != before)
      return std::nullopt;
    return c;
  }

private:
  void readPositiveInt(const std::string &key, const ast::Expr &v,
                       int64_t &out) {
    std::optional<int64_t> i = intValue(v);
    if (!i || *i <= 0) {
      diag_.error(v.loc(), "'" + key + "' must be a positive integer, got " +
                               describeExpr(v));
      return;
    }
    out = *i;
  }

  void readSeed(const ast::Expr &v, TrainConfig &c) {
    std::optional<int64_t> i = intValue(v);
    if (!i || *i < 0) {
      diag_.error(v.loc(), "'seed' must be a non-negative integer, got " +
                               describeExpr(v));
      return;
    }
    c.seed = static_cast<uint64_t>(*i);
  }

  void readClipNorm(const ast::Expr &v, TrainConfig &c) {
    std::optional<double> f = numberValue(v);
    if (!f || !(*f > 0) || !std::isfinite(*f)) {
      diag_.error(v.loc(), "'clip_norm' must be a positive number (the "
                           "largest global norm of the gradients), got " +
                               describeExpr(v));
      return;
    }
    c.clipNorm = *f;
  }

  void readValidation(const ast::Expr &v, TrainConfig &c) {
    std::optional<double> f = numberValue(v);
    if (!f || *f < 0 || *f >= 1) {
      diag_.error(v.loc(), "'validation' must be a fraction in [0, 1), got " +
                               describeExpr(v));
      return;
    }
    c.validationSplit = *f;
  }

  /// Splits `name` or `name(args)` into its name and call (null for a bare
  /// name); reports anything else.
  bool nameAndCall(const ast::Expr &v, const std::string &what,
                   std::string &name, const ast::CallExpr *&call) {
    call = nullptr;
    if (const auto *n = v.as<ast::NameRef>()) {
      name = n->name;
      return true;
    }
    if ((call = v.as<ast::CallExpr>())) {
      name = call->callee;
      return true;
    }
    diag_.error(v.loc(), "expected " + what + ", got " + describeExpr(v));
    return false;
  }

  /// A number argument that must satisfy `ok`; `range` words the rule.
  template <typename Pred>
  bool readNumberArg(const ast::Arg *a, const std::string &name,
                     const std::string &range, Pred ok, double &out) {
    if (!a)
      return true;
    std::optional<double> v = numberValue(*a->value);
    if (!v || !ok(*v)) {
      diag_.error(a->value->loc(), "'" + name + "' must be " + range +
                                       ", got " + describeExpr(*a->value));
      return false;
    }
    out = *v;
    return true;
  }

  /// optimizer = sgd(lr = 0.01, momentum = 0, weight_decay = 0,
  ///                  nesterov = false)
  ///           | adam(lr = 0.001, beta1 = 0.9, beta2 = 0.999, eps = 1e-8,
  ///                  weight_decay = 0)
  ///           | adamw(... as adam, weight_decay = 0.01)
  ///           | rmsprop(lr = 0.01, alpha = 0.99, eps = 1e-8, momentum = 0,
  ///                     weight_decay = 0)
  /// with torch.optim's defaults; a bare name takes them all.
  void readOptimizer(const ast::Expr &v, TrainConfig &c) {
    static const std::vector<std::string> kinds = {"sgd", "adam", "adamw",
                                                   "rmsprop"};
    std::string name;
    const ast::CallExpr *call;
    if (!nameAndCall(v, "an optimizer such as sgd(lr = 0.01)", name, call))
      return;
    if (std::find(kinds.begin(), kinds.end(), name) == kinds.end()) {
      diag_.error(v.loc(), "unknown optimizer '" + name + "'" +
                               didYouMean(name, kinds) +
                               " (expected sgd, adam, adamw or rmsprop)");
      return;
    }
    c.optimizer = name;
    bool adam = name == "adam" || name == "adamw";
    c.lr = adam ? 0.001 : 0.01;
    c.weightDecay = name == "adamw" ? 0.01 : 0.0;
    if (!call)
      return;
    std::vector<std::string> names =
        name == "sgd" ? std::vector<std::string>{"lr", "momentum",
                                                 "weight_decay", "nesterov"}
        : adam        ? std::vector<std::string>{"lr", "beta1", "beta2", "eps",
                                                 "weight_decay"}
               : std::vector<std::string>{"lr", "alpha", "eps", "momentum",
                                          "weight_decay"};
    std::optional<BoundArgs> args = bindArgs(*call, names, diag_);
    if (!args)
      return;
    auto positive = [](double x) { return x > 0; };
    auto unit = [](double x) { return x >= 0 && x < 1; };
    auto nonNegative = [](double x) { return x >= 0; };
    for (size_t i = 0; i < names.size(); ++i) {
      const ast::Arg *a = args->bound[i];
      const std::string &n = names[i];
      if (n == "lr")
        readNumberArg(a, n, "positive", positive, c.lr);
      else if (n == "momentum")
        readNumberArg(a, n, "in [0, 1)", unit, c.momentum);
      else if (n == "weight_decay")
        readNumberArg(a, n, "non-negative", nonNegative, c.weightDecay);
      else if (n == "beta1")
        readNumberArg(a, n, "in [0, 1)", unit, c.beta1);
      else if (n == "beta2")
        readNumberArg(a, n, "in [0, 1)", unit, c.beta2);
      else if (n == "alpha")
        readNumberArg(a, n, "in [0, 1)", unit, c.alpha);
      else if (n == "eps")
        readNumberArg(a, n, "positive", positive, c.eps);
      else if (n == "nesterov" && a)
        readNesterov(*a, c);
    }
  }

  /// schedule = step_decay(every, gamma = 0.1) | exponential(gamma)
  ///          | cosine(epochs, min_lr = 0) | plateau(patience = 2,
  ///            factor = 0.1), each with warmup = N (steps) too.
  void readSchedule(const ast::Expr &v, TrainConfig &c) {
    static const std::vector<std::string> kinds = {"step_decay", "exponential",
                                                   "cosine", "plateau"};
    std::string name;
    const ast::CallExpr *call;
    if (!nameAndCall(v, "a schedule such as cosine(epochs = 10)", name, call))
      return;
    if (std::find(kinds.begin(), kinds.end(), name) == kinds.end()) {
      diag_.error(v.loc(), "unknown schedule '" + name + "'" +
                               didYouMean(name, kinds) +
                               " (expected step_decay, exponential, cosine "
                               "or plateau)");
      return;
    }
    std::vector<std::string> names =
        name == "step_decay"    ? std::vector<std::string>{"every", "gamma"}
        : name == "exponential" ? std::vector<std::string>{"gamma"}
        : name == "cosine"      ? std::vector<std::string>{"epochs", "min_lr"}
                           : std::vector<std::string>{"patience", "factor"};
    names.push_back("warmup");
    if (name == "plateau")
      c.patience = 2;
    std::optional<BoundArgs> args;
    if (call)
      args = bindArgs(*call, names, diag_);
    if (call && !args)
      return;
    auto argAt = [&](size_t i) { return args ? args->bound[i] : nullptr; };
    // Required: step_decay's every, exponential's gamma, cosine's epochs.
    if ((name == "step_decay" || name == "exponential" || name == "cosine") &&
        !argAt(0)) {
      diag_.error(v.loc(),
                  "'" + name + "' needs '" + names[0] + "', as in " +
                      (name == "step_decay"    ? "step_decay(every = 10)"
                       : name == "exponential" ? "exponential(gamma = 0.95)"
                                               : "cosine(epochs = 20)"));
      return;
    }
    c.schedule = name;
    auto unitOpen = [](double x) { return x > 0 && x < 1; };
    auto nonNegative = [](double x) { return x >= 0; };
    for (size_t i = 0; i < names.size(); ++i) {
      const ast::Arg *a = argAt(i);
      const std::string &n = names[i];
      if (!a)
        continue;
      if (n == "gamma" || n == "factor")
        readNumberArg(a, n, "in (0, 1)", unitOpen,
                      n == "gamma" ? c.gamma : c.factor);
      else if (n == "min_lr")
        readNumberArg(a, n, "non-negative", nonNegative, c.minLr);
      else
        readCount(*a, n, n == "patience" || n == "warmup" ? 0 : 1,
                  n == "every"      ? c.every
                  : n == "epochs"   ? c.scheduleEpochs
                  : n == "patience" ? c.patience
                                    : c.warmup);
    }
  }

  /// early_stopping = val_loss(patience = 3, min_delta = 0), or val_NAME
  /// for a metric NAME (checked against the model's metrics by the
  /// driver).
  void readEarlyStopping(const ast::Expr &v, TrainConfig &c) {
    std::string name;
    const ast::CallExpr *call;
    if (!nameAndCall(v, "a validation value such as val_loss(patience = 3)",
                     name, call))
      return;
    if (name.rfind("val_", 0) != 0 || name.size() == 4) {
      diag_.error(v.loc(), "early stopping watches a validation value: "
                           "val_loss or val_ and a metric's name, as in "
                           "val_accuracy(patience = 5); got '" +
                               name + "'");
      return;
    }
    c.stopMonitor = name.substr(4);
    c.stopPatience = 3;
    if (!call)
      return;
    std::optional<BoundArgs> args =
        bindArgs(*call, {"patience", "min_delta"}, diag_);
    if (!args)
      return;
    if (args->bound[0])
      readCount(*args->bound[0], "patience", 1, c.stopPatience);
    readNumberArg(
        args->bound[1], "min_delta", "non-negative",
        [](double x) { return x >= 0; }, c.stopMinDelta);
  }

  /// An integer argument of at least `least`.
  void readCount(const ast::Arg &a, const std::string &name, int64_t least,
                 int64_t &out) {
    std::optional<int64_t> i = intValue(*a.value);
    if (!i || *i < least) {
      diag_.error(a.value->loc(), "'" + name + "' must be an integer of " +
                                      std::to_string(least) + " or more, got " +
                                      describeExpr(*a.value));
      return;
    }
    out = *i;
  }

  /// nesterov = true | false; Nesterov momentum needs a momentum.
  void readNesterov(const ast::Arg &a, TrainConfig &c) {
    const auto *n = a.value->as<ast::NameRef>();
    if (!n || (n->name != "true" && n->name != "false")) {
      diag_.error(a.value->loc(), "'nesterov' must be true or false, got " +
                                      describeExpr(*a.value));
      return;
    }
    c.nesterov = n->name == "true";
    if (c.nesterov && c.momentum == 0.0)
      diag_.error(a.value->loc(), "nesterov = true needs a momentum above 0, "
                                  "as in sgd(lr = 0.01, momentum = 0.9, "
                                  "nesterov = true)");
  }

  /// init = uniform_fan_in | normal(std = 0.01) | xavier | he | zeros
  ///      | constant(value)
  void readInit(const ast::Expr &v, TrainConfig &c) {
    static const std::vector<std::string> kinds = {
        "uniform_fan_in", "normal", "xavier", "he", "zeros", "constant"};
    std::string name;
    const ast::CallExpr *call;
    if (!nameAndCall(v, "an initializer", name, call))
      return;
    if (std::find(kinds.begin(), kinds.end(), name) == kinds.end()) {
      diag_.error(v.loc(), "unknown init '" + name + "'" +
                               didYouMean(name, kinds) +
                               " (expected uniform_fan_in, normal(std), "
                               "xavier, he, zeros or constant(v))");
      return;
    }
    double arg = 0;
    if (name == "normal") {
      arg = 0.01;
      if (call) {
        std::optional<BoundArgs> args = bindArgs(*call, {"std"}, diag_);
        if (!args || !readNumberArg(
                         args->bound[0], "std", "positive",
                         [](double x) { return x > 0; }, arg))
          return;
      }
    } else if (name == "constant") {
      if (!call || call->args.empty()) {
        diag_.error(v.loc(), "'constant' needs its value: constant(v)");
        return;
      }
      std::optional<BoundArgs> args = bindArgs(*call, {"value"}, diag_);
      if (!args || !readNumberArg(
                       args->bound[0], "value", "a number",
                       [](double) { return true; }, arg))
        return;
    } else if (call && !call->args.empty()) {
      diag_.error(call->args[0].loc, "'" + name + "' takes no arguments");
      return;
    }
    c.init = name;
    c.initArg = arg;
  }

  DiagnosticEngine &diag_;
};

} // namespace

std::optional<TrainConfig> buildTrainConfig(const ast::TrainBlock &t,
                                            DiagnosticEngine &diag) {
  return TrainBlockReader(diag).read(t);
}

} // namespace frontend
} // namespace lamina
