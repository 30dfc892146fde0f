//===- PlanTest.cpp - Kernel plans: partition, keys, the arena ------------===//
#include "OpTestUtil.h"

#include "lamina/Diagnostics.h"
#include "lamina/Driver.h"
#include "lamina/Plan.h"
#include "lamina/abi/Arena.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

using namespace lamina;

namespace {

const std::string kExamples = std::string(LAMINA_SOURCE_DIR) + "/examples/";

/// Checks what the generated step relies on: kernels run in order, so every
/// value a kernel reads is a leaf, a constant, a cut gradient or an output
/// of an earlier kernel; every result is written by a kernel; arena live
/// ranges cover every read.
void expectWellFormed(const KernelPlan &plan, const std::string &what) {
  std::map<const Node *, size_t> writer;
  for (size_t i = 0; i < plan.kernels.size(); ++i) {
    const Kernel &k = plan.kernels[i];
    std::set<const Node *> own(k.nodes.begin(), k.nodes.end());
    for (const Node *in : k.inputs) {
      bool leaf = in->kind() == OpKind::Input || in->kind() == OpKind::Param ||
                  plan.cutNames.count(in);
      auto w = writer.find(in);
      EXPECT_TRUE(leaf || (w != writer.end() && w->second < i))
          << what << ": kernel " << i << " reads %" << in->id()
          << " before any kernel writes it";
      EXPECT_FALSE(own.count(in)) << what << ": kernel " << i;
    }
    for (const Node *o : k.outputs)
      writer.emplace(o, i);
  }
  for (const PlanResult &r : plan.results)
    EXPECT_TRUE(writer.count(r.node))
        << what << ": no kernel writes result " << r.name;
  for (const ArenaEntry &e : arenaEntries(plan)) {
    EXPECT_LE(e.first, e.last) << what;
    for (size_t i = 0; i < plan.kernels.size(); ++i)
      for (const Node *in : plan.kernels[i].inputs) {
        if (in == e.node) {
          EXPECT_LE(static_cast<int>(i), e.last)
              << what << ": %" << in->id() << " read after its live range";
        }
      }
  }
}

std::optional<Compilation> compileExample(const std::string &name) {
  DiagnosticEngine diag;
  return compileModelFile(kExamples + name, DriverOptions{}, diag);
}

TEST(Plan, EveryPipelineOfTheExamplesIsWellFormed) {
  for (const char *name : {"mlp.lam", "lenet5.lam", "resnet20.lam"}) {
    std::optional<Compilation> c = compileExample(name);
    ASSERT_TRUE(c) << name;
    const Module &m = c->module;
    for (PipelineKind k : {PipelineKind::Eval, PipelineKind::Predict})
      expectWellFormed(partition(*m.forward, k, ""), name);
    for (PipelineKind k :
         {PipelineKind::Train, PipelineKind::Grad, PipelineKind::Update})
      expectWellFormed(partition(*m.train, k, ""), name);
  }
}

TEST(Plan, AnUpdateIsFusedWithItsGradientUnlessAConvolutionStoresIt) {
  std::optional<Compilation> c = compileExample("lenet5.lam");
  ASSERT_TRUE(c);
  const Graph &train = *c->module.train;
  KernelPlan step = partition(train, PipelineKind::Train, "");
  std::map<const Node *, size_t> kernelOf;
  for (size_t i = 0; i < step.kernels.size(); ++i)
    for (const Node *n : step.kernels[i].nodes)
      kernelOf[n] = i;
  std::map<std::string, const Node *> update(train.updates().begin(),
                                             train.updates().end());
  size_t lastGradient = 0, fused = 0, apart = 0;
  for (const auto &[name, g] : train.gradients()) {
    ASSERT_TRUE(kernelOf.count(g) && update.count(name)) << name;
    size_t kg = kernelOf.at(g), ku = kernelOf.at(update.at(name));
    lastGradient = std::max(lastGradient, kg);
    if (g->kind() != OpKind::ConvGradWeight) {
      // The gradient is computed where it is used, and never stored.
      EXPECT_EQ(kg, ku) << name;
      EXPECT_EQ(std::count(step.kernels[kg].outputs.begin(),
                           step.kernels[kg].outputs.end(), g),
                0)
          << name;
      ++fused;
      continue;
    }
    // A convolution's weight gradient is stored; its update is in an update
    // kernel after every gradient kernel, which holds element-wise ops only.
    EXPECT_NE(kg, ku) << name;
    for (const Node *n : step.kernels[ku].nodes)
      EXPECT_TRUE(getOpInfo(n->kind()).fusible) << name;
    ++apart;
  }
  EXPECT_EQ(fused, 8u); // three dense layers' weights and biases, two biases
  EXPECT_EQ(apart, 2u);
  for (const auto &[name, g] : train.gradients()) {
    if (g->kind() == OpKind::ConvGradWeight) {
      EXPECT_GT(kernelOf.at(update.at(name)), lastGradient) << name;
    }
  }

  // The phases on their own (train --accumulate) share every convolution's
  // kernels with the step; the update phase has one kernel per layer.
  std::set<uint64_t> stepHashes;
  for (const Kernel &k : step.kernels)
    stepHashes.insert(k.hash);
  KernelPlan grad = partition(train, PipelineKind::Grad, "");
  for (const Kernel &k : grad.kernels)
    for (const Node *n : k.nodes) {
      if (n->kind() == OpKind::ConvGradWeight ||
          n->kind() == OpKind::ConvGradInput || n->kind() == OpKind::Conv2d) {
        EXPECT_TRUE(stepHashes.count(k.hash)) << k.key;
      }
    }
  EXPECT_EQ(partition(train, PipelineKind::Update, "").kernels.size(), 5u);
}

TEST(Plan, IdenticalLayersShareOneKernelAndTheSaltSeparatesBuilds) {
  test::TestGraph t(DType::F32);
  Node *x = t.input("x", {kBatch, 16}, {1, 16}, std::vector<double>(16));
  Node *w = t.input("w", {16, 16}, std::vector<double>(256));
  Node *h1 = t.op(OpKind::Relu, {t.op(OpKind::MatMul, {x, w})});
  Node *h2 = t.op(OpKind::Relu, {t.op(OpKind::MatMul, {h1, w})});
  t.output("y", h2);
  KernelPlan p = partition(t.graph(), PipelineKind::Predict, "a");
  ASSERT_EQ(p.kernels.size(), 2u);
  EXPECT_EQ(p.kernels[0].hash, p.kernels[1].hash);
  EXPECT_EQ(p.kernels[0].nodes.size(), 2u); // matmul and its relu
  KernelPlan q = partition(t.graph(), PipelineKind::Predict, "b");
  EXPECT_NE(p.kernels[0].hash, q.kernels[0].hash);
}

TEST(Plan, AnOperandReadThroughATransposeKeepsItInTheKey) {
  // matmul(transpose(a), b) reads a directly: its kernel has the same
  // inputs as matmul(a, b), but not the same code.
  test::TestGraph t(DType::F32);
  Node *a = t.input("a", {8, 8}, std::vector<double>(64));
  Node *b = t.input("b", {8, 8}, std::vector<double>(64));
  Node *at =
      t.op(OpKind::Transpose, {a}, {{"perm", std::vector<int64_t>{1, 0}}});
  t.output("p", t.op(OpKind::MatMul, {at, b}));
  t.output("q", t.op(OpKind::MatMul, {a, b}));
  KernelPlan plan = partition(t.graph(), PipelineKind::Predict, "");
  ASSERT_EQ(plan.kernels.size(), 2u);
  EXPECT_EQ(plan.kernels[0].inputs, plan.kernels[1].inputs);
  EXPECT_NE(plan.kernels[0].hash, plan.kernels[1].hash);
  // And they compute different numbers.
  std::vector<double> av(64), bv(64);
  for (int i = 0; i < 64; ++i) {
    av[i] = i % 3 - 1; // a[i][j] = (8i + j) % 3 - 1: not symmetric
    bv[i] = i % 5 - 2;
  }
  t.feeds()["a"] = {DType::F32, {8, 8}, av};
  t.feeds()["b"] = {DType::F32, {8, 8}, bv};
  auto r = t.run();
  EXPECT_NE(r["p"].data, r["q"].data);
}

TEST(Plan, ArenaTensorsAliveTogetherNeverShareBytes) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<lamina::abi::ArenaTensor> t;
    int n = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < n; ++i) {
      int first = static_cast<int>(rng() % 10);
      t.push_back({static_cast<int64_t>(1 + rng() % 5000), first,
                   first + static_cast<int>(rng() % 6)});
    }
    int64_t total = 0;
    std::vector<int64_t> off = lamina::abi::layoutArena(t, &total);
    int64_t sum = 0;
    for (int i = 0; i < n; ++i) {
      EXPECT_EQ(off[i] % lamina::abi::kArenaAlign, 0);
      EXPECT_LE(off[i] + t[i].bytes, total);
      sum += (t[i].bytes + lamina::abi::kArenaAlign - 1) /
             lamina::abi::kArenaAlign * lamina::abi::kArenaAlign;
      for (int j = 0; j < i; ++j) {
        bool together = t[i].first <= t[j].last && t[j].first <= t[i].last;
        bool disjoint =
            off[i] + t[i].bytes <= off[j] || off[j] + t[j].bytes <= off[i];
        EXPECT_TRUE(!together || disjoint) << "trial " << trial;
      }
    }
    EXPECT_LE(total, sum);
  }
}

} // namespace
