//===- NotesTest.cpp - The lecture notes' worked examples, to 1e-6 in f64 -===//
//
// Each test compiles a model file from examples/ through the whole compiler
// (parse, build, autodiff, lower) and runs it with the JIT.
//
//===----------------------------------------------------------------------===//
#include "lamina/AST.h"
#include "lamina/Autodiff.h"
#include "lamina/Diagnostics.h"
#include "lamina/Frontend.h"
#include "lamina/Jit.h"
#include "lamina/Summary.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

using namespace lamina;

namespace {

std::unique_ptr<Graph>
loadExample(const std::string &name,
            std::optional<TrainConfig> *defaults = nullptr) {
  std::string path = std::string(LAMINA_SOURCE_DIR) + "/examples/" + name;
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot open " << path;
  std::stringstream text;
  text << in.rdbuf();
  std::ostringstream errs;
  DiagnosticEngine diag(errs);
  auto file = parseModelFile(path, text.str(), diag);
  EXPECT_TRUE(file) << errs.str();
  if (!file)
    return nullptr;
  auto g = buildGraph(*file, diag, "", defaults);
  EXPECT_TRUE(g) << errs.str();
  return g;
}

HostTensor scalarT(double v, DType t = DType::F64) { return {t, {}, {v}}; }

HostTensor tensor(std::vector<int64_t> shape, std::vector<double> data,
                  DType t = DType::F64) {
  return {t, std::move(shape), std::move(data)};
}

/// Feeds for every param of `g` from its explicit data.
TensorMap paramFeeds(const Graph &g) {
  TensorMap feeds;
  for (Node *p : g.paramsWithRole("param"))
    feeds[p->name()] = tensor(p->shape(), p->data(), p->dtype());
  return feeds;
}

} // namespace

// 002: x = 1.5, y = 0.8, w0 = 0.8, b0 = 0.2, lr = 0.1, L = 1/2 (wx + b - y)^2.
TEST(Notes, LinearRegressionOneSgdStep) {
  std::optional<TrainConfig> defaults;
  auto g = loadExample("linreg.lam", &defaults);
  ASSERT_TRUE(g);
  ASSERT_TRUE(g->loss());
  Node *x = g->inputsWithRole("input").at(0);
  Node *t = g->inputsWithRole("label").at(0);
  TensorMap feeds = paramFeeds(*g);
  std::vector<int64_t> xs = x->shape(), ts = t->shape();
  for (int64_t &d : xs)
    d = d == kBatch ? 1 : d;
  for (int64_t &d : ts)
    d = d == kBatch ? 1 : d;
  feeds[x->name()] = tensor(xs, {1.5});
  feeds[t->name()] = tensor(ts, {0.8});

  // Forward: prediction 1.4, loss 0.18.
  ASSERT_FALSE(g->outputs().empty());
  TensorMap fwd = runJit(*g, PipelineKind::Predict, feeds);
  EXPECT_NEAR(fwd.begin()->second.data.at(0), 1.4, 1e-6);
  TensorMap ev = runJit(*g, PipelineKind::Eval, feeds);
  EXPECT_NEAR(ev["loss"].data.at(0), 0.18, 1e-6);

  // Gradients: dL/dw = 0.9, dL/db = 0.6.
  {
    Graph gg;
    g->cloneInto(gg);
    DiagnosticEngine diag;
    std::vector<Node *> params = gg.paramsWithRole("param");
    std::vector<Node *> grads = buildGradients(gg, gg.loss(), params, diag);
    ASSERT_EQ(grads.size(), 2u);
    for (size_t i = 0; i < params.size(); ++i)
      gg.addOutput("grad_" + params[i]->name(), grads[i]);
    TensorMap r = runJit(gg, PipelineKind::Predict, feeds);
    EXPECT_NEAR(r["out_grad_w"].data.at(0), 0.9, 1e-6);
    EXPECT_NEAR(r["out_grad_b"].data.at(0), 0.6, 1e-6);
  }

  // One SGD step: w = 0.71, b = 0.14; then prediction 1.205, loss 0.0820125.
  Graph train;
  DiagnosticEngine diag;
  ASSERT_TRUE(
      buildTrainStep(*g, defaults.value_or(TrainConfig{}), train, diag));
  feeds["lr"] = scalarT(0.1);
  TensorMap step = runJit(train, PipelineKind::Train, feeds);
  EXPECT_NEAR(step["loss"].data.at(0), 0.18, 1e-6);
  EXPECT_NEAR(step["new_p_w"].data.at(0), 0.71, 1e-6);
  EXPECT_NEAR(step["new_p_b"].data.at(0), 0.14, 1e-6);
  feeds["w"].data = step["new_p_w"].data;
  feeds["b"].data = step["new_p_b"].data;
  TensorMap fwd2 = runJit(*g, PipelineKind::Predict, feeds);
  EXPECT_NEAR(fwd2.begin()->second.data.at(0), 1.205, 1e-6);
  TensorMap ev2 = runJit(*g, PipelineKind::Eval, feeds);
  EXPECT_NEAR(ev2["loss"].data.at(0), 0.0820125, 1e-6);
}

// 000/003: h = max(0, xW + c), y = h w + b with the hand-set weights.
TEST(Notes, XorWithHandSetWeights) {
  auto g = loadExample("xor.lam");
  ASSERT_TRUE(g);
  Node *x = g->inputsWithRole("input").at(0);
  TensorMap feeds = paramFeeds(*g);
  feeds[x->name()] = tensor({4, 2}, {0, 0, 0, 1, 1, 0, 1, 1}, x->dtype());
  TensorMap r = runJit(*g, PipelineKind::Predict, feeds);
  ASSERT_EQ(r.size(), 1u);
  std::vector<double> y = r.begin()->second.data;
  ASSERT_EQ(y.size(), 4u);
  EXPECT_NEAR(y[0], 0, 1e-6);
  EXPECT_NEAR(y[1], 1, 1e-6);
  EXPECT_NEAR(y[2], 1, 1e-6);
  EXPECT_NEAR(y[3], 0, 1e-6);
}

// 001: a 2-3-1 net has 13 parameters; trained from random init it learns XOR.
// Like any 2-3-1 net it can stall in the local minimum that outputs 0.5 for
// two of the four inputs from some starting points (PyTorch does so for 2
// of 40 seeds with this configuration; this test's generator does from seeds
// 1 and 2, and Lamina's steps agree with PyTorch's to 1e-7 from there).
constexpr uint64_t kXorSeed = 3;
TEST(Notes, XorTrainedFromRandomInit) {
  std::optional<TrainConfig> defaults;
  auto g = loadExample("xor_train.lam", &defaults);
  ASSERT_TRUE(g);
  EXPECT_EQ(countParameters(*g), 13);
  Graph train;
  DiagnosticEngine diag;
  ASSERT_TRUE(defaults);
  const TrainConfig &cfg = *defaults;
  ASSERT_TRUE(buildTrainStep(*g, cfg, train, diag));

  // Initialize from a fixed seed with the model's init: xavier uses
  // U(+-sqrt(6 / (fan_in + fan_out))), uniform_fan_in U(+-1/sqrt(fan_in)).
  // A fixed seed of this test's own generator; the generated executable's
  // run with the runtime's initializer is checked in test/E2E.
  std::mt19937_64 rng(kXorSeed);
  TensorMap feeds;
  for (Node *p : train.paramsWithRole("param")) {
    double fanIn = static_cast<double>(p->intAttrOr("fan_in", p->shape()[0]));
    double fanOut = static_cast<double>(p->intAttrOr("fan_out", 1));
    double bound = cfg.init == "xavier" ? std::sqrt(6.0 / (fanIn + fanOut))
                                        : 1.0 / std::sqrt(fanIn);
    std::uniform_real_distribution<double> u(-bound, bound);
    HostTensor t{p->dtype(), p->shape(), {}};
    for (int64_t i = 0; i < numElements(p->shape()); ++i)
      t.data.push_back(u(rng));
    feeds[p->name()] = t;
  }
  for (Node *s : train.paramsWithRole("state"))
    feeds[s->name()] = HostTensor{s->dtype(), s->shape(),
                                  std::vector<double>(numElements(s->shape()))};
  Node *x = g->inputsWithRole("input").at(0);
  Node *y = g->inputsWithRole("label").at(0);
  feeds[x->name()] = tensor({4, 2}, {0, 0, 0, 1, 1, 0, 1, 1}, x->dtype());
  std::vector<int64_t> ys = y->shape();
  for (int64_t &d : ys)
    d = d == kBatch ? 4 : d;
  feeds[y->name()] = tensor(ys, {0, 1, 1, 0}, y->dtype());
  feeds["lr"] = HostTensor{g->loss()->dtype(), {}, {cfg.lr}};

  JitPipeline step(train, PipelineKind::Train);
  double firstLoss = 0, lastLoss = 0;
  for (int64_t e = 0; e < cfg.epochs; ++e) {
    TensorMap r = step.run(feeds);
    if (e == 0)
      firstLoss = r["loss"].data[0];
    lastLoss = r["loss"].data[0];
    for (const auto &[name, val] : train.updates()) {
      (void)val;
      Node *leaf = train.findLeaf(name);
      feeds[name].data = r["new_" + argName(*leaf)].data;
    }
  }
  EXPECT_LT(lastLoss, firstLoss);
  TensorMap out = runJit(*g, PipelineKind::Predict, feeds);
  ASSERT_FALSE(out.empty());
  const std::vector<double> &p = out.begin()->second.data;
  ASSERT_EQ(p.size(), 4u);
  int correct = 0;
  for (int i = 0; i < 4; ++i)
    correct += (p[i] > 0.5) == (i == 1 || i == 2);
  EXPECT_EQ(correct, 4) << "loss " << firstLoss << " -> " << lastLoss
                        << "; outputs " << p[0] << " " << p[1] << " " << p[2]
                        << " " << p[3];
}

// 004 and 000: parameter counts, computed without allocating anything.
TEST(Notes, ParameterCounts) {
  auto notes = loadExample("mlp_notes.lam");
  ASSERT_TRUE(notes);
  EXPECT_EQ(countParameters(*notes), 8154);
  auto big = loadExample("big_fc.lam");
  ASSERT_TRUE(big);
  EXPECT_EQ(countParameters(*big), 6480242100);
  EXPECT_EQ(withThousands(6480242100), "6,480,242,100");
}
