//===- ModeTest.cpp - Ops whose train step differs: dropout, batch_norm ---===//
//
// dropout's mask (dropout_mask) is checked on its own: the kept fraction,
// the scale, and that the key and the salt alone decide it. The train step
// of examples/lenet5_bn.lam is checked for its structure: masks and batch
// statistics there, the running statistics updated by the gradient phase.
//
//===----------------------------------------------------------------------===//
#include "lamina/Diagnostics.h"
#include "lamina/Driver.h"
#include "lamina/IR.h"
#include "lamina/Jit.h"
#include "lamina/OpInfo.h"
#include "lamina/Plan.h"

#include <gtest/gtest.h>

#include <set>
#include <sstream>

using namespace lamina;

namespace {

constexpr int64_t kWidth = 1000;

/// dropout_mask(ones [batch, kWidth], key) at `batch` rows.
std::vector<double> mask(DType dt, double p, int64_t salt, double key,
                         int64_t batch) {
  Graph g("M");
  GraphBuilder b(g, nullptr);
  Node *x = g.create(OpKind::Input, {}, TensorType{dt, {kBatch, kWidth}},
                     {{"role", std::string("input")}});
  x->setName("x");
  Node *k = g.create(OpKind::Input, {}, TensorType{DType::F64, {}},
                     {{"role", std::string("key")}});
  k->setName("step_key");
  g.addOutput("y",
              b.build(OpKind::DropoutMask, {x, k}, {{"p", p}, {"salt", salt}}));
  std::vector<double> ones(static_cast<size_t>(batch * kWidth), 1.0);
  TensorMap out = runJit(g, PipelineKind::Predict,
                         {{"x", HostTensor{dt, {batch, kWidth}, ones}},
                          {"step_key", HostTensor{DType::F64, {}, {key}}}});
  return out.begin()->second.data;
}

size_t differences(const std::vector<double> &a, const std::vector<double> &b) {
  size_t n = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    n += a[i] != b[i];
  return n;
}

TEST(Dropout, MaskKeepsOneMinusPScaled) {
  for (DType dt : {DType::F32, DType::F64})
    for (double p : {0.25, 0.5}) {
      std::vector<double> y = mask(dt, p, 1, 12345, 4);
      double scale = 1.0 / (1.0 - p);
      if (dt == DType::F32)
        scale = static_cast<float>(scale);
      size_t dropped = 0;
      for (double v : y) {
        dropped += v == 0.0;
        ASSERT_TRUE(v == 0.0 || v == scale) << v;
      }
      // 4000 draws: 3.3 standard deviations at p = 0.5.
      double fraction = static_cast<double>(dropped) / 4000.0;
      EXPECT_NEAR(fraction, p, 0.026) << dtypeName(dt);
    }
}

TEST(Dropout, MaskIsDecidedByKeySaltAndIndexAlone) {
  std::vector<double> a = mask(DType::F32, 0.5, 1, 7, 4);
  EXPECT_EQ(differences(a, mask(DType::F32, 0.5, 1, 7, 4)), 0u);
  // Another key or another dropout (salt): about half the elements differ.
  EXPECT_GT(differences(a, mask(DType::F32, 0.5, 1, 8, 4)), 1500u);
  EXPECT_GT(differences(a, mask(DType::F32, 0.5, 2, 7, 4)), 1500u);
  // Row 0 is the same at batch 1 as at batch 4, and the dtype does not
  // change which elements are kept.
  std::vector<double> one = mask(DType::F32, 0.5, 1, 7, 1);
  EXPECT_EQ(differences(one, a), 0u);
  EXPECT_EQ(differences(mask(DType::F64, 0.5, 1, 7, 4), a), 0u);
}

TEST(Dropout, RejectsAProbabilityOfOne) {
  Graph g("M");
  GraphBuilder b(g, nullptr);
  Node *x = g.create(OpKind::Input, {}, TensorType{DType::F32, {kBatch, 3}},
                     {{"role", std::string("input")}});
  Expected<Node *> y = b.tryBuild(OpKind::Dropout, {x}, {{"p", 1.0}});
  ASSERT_FALSE(y);
  EXPECT_EQ(y.errorMessage(),
            "'dropout' needs a probability p in [0, 1), got 1.0");
}

size_t countOps(const Graph &g, OpKind k) {
  size_t n = 0;
  for (const auto &np : g.nodes())
    n += np->kind() == k;
  return n;
}

std::set<std::string> resultNames(const Graph &g, PipelineKind kind) {
  std::set<std::string> names;
  for (const PlanResult &r : pipelineResults(g, kind))
    names.insert(r.name);
  return names;
}

// The forward graph (eval, predict) has dropout and batch_norm on the
// running statistics; the train step has the masks, the batch statistics
// and the running statistics' updates, which its gradient phase computes.
TEST(Modes, TrainStepOfLenet5BatchNorm) {
  std::ostringstream errs;
  DiagnosticEngine diag(errs);
  std::optional<Compilation> c = compileModelFile(
      std::string(LAMINA_SOURCE_DIR) + "/examples/lenet5_bn.lam",
      DriverOptions{}, diag);
  ASSERT_TRUE(c) << errs.str();
  const Graph &fwd = *c->module.forward, &train = *c->module.train;
  EXPECT_EQ(countOps(fwd, OpKind::Dropout), 1u);
  EXPECT_EQ(countOps(fwd, OpKind::DropoutMask), 0u);
  EXPECT_EQ(countOps(fwd, OpKind::BatchNorm), 4u);
  EXPECT_EQ(fwd.findLeaf("step_key"), nullptr);
  EXPECT_EQ(countOps(train, OpKind::Dropout), 0u);
  // The mask forward and the same one backward.
  std::set<int64_t> salts;
  for (const auto &np : train.nodes())
    if (np->kind() == OpKind::DropoutMask)
      salts.insert(np->intAttr("salt"));
  EXPECT_EQ(countOps(train, OpKind::DropoutMask), 2u);
  EXPECT_EQ(salts, (std::set<int64_t>{1}));
  ASSERT_NE(train.findLeaf("step_key"), nullptr);
  EXPECT_EQ(train.paramsWithRole("buffer").size(), 8u);

  std::set<std::string> grad = resultNames(train, PipelineKind::Grad);
  std::set<std::string> update = resultNames(train, PipelineKind::Update);
  std::set<std::string> step = resultNames(train, PipelineKind::Train);
  for (const char *b :
       {"new_n_conv1_1_running_mean", "new_n_conv1_1_running_var",
        "new_n_conv2_1_running_mean", "new_n_conv2_1_running_var"}) {
    EXPECT_TRUE(grad.count(b)) << b;
    EXPECT_TRUE(step.count(b)) << b;
    EXPECT_FALSE(update.count(b)) << b;
  }
  EXPECT_TRUE(update.count("new_p_fc3_weight"));
  EXPECT_FALSE(grad.count("new_p_fc3_weight"));
}

} // namespace
