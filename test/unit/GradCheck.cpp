//===- GradCheck.cpp - Every gradient rule against finite differences -----===//
//
// For each case: a small f64 graph whose differentiated leaves ("params";
// Input nodes, so they may hold the batch) get random values with a fixed
// seed, a scalar loss (the loss op itself, or sum(op(..) * R) for a random
// constant R), buildGradients, and one JIT pipeline computing the loss and
// every gradient. The same compiled pipeline is re-run with each parameter
// element moved by +-h for central differences.
//
// EveryDifferentiableOpHasACase walks Ops.def: an op with a gradient rule
// and no case here fails the test, so no gradient lands unchecked.
//
//===----------------------------------------------------------------------===//
#include "GradCheckCases.h"

#include "lamina/Autodiff.h"
#include "lamina/Diagnostics.h"

#include <cmath>
#include <functional>
#include <set>
#include <sstream>

using namespace lamina;
using namespace lamina::test;

namespace {

std::vector<GradCase> allCases() {
  std::vector<GradCase> cs;
  // Elementwise binary ops, with broadcasting [3, 1] x [4].
  cs.push_back(binary("add_broadcast", OpKind::Add));
  cs.push_back(binary("sub_broadcast", OpKind::Sub));
  cs.push_back(binary("mul_broadcast", OpKind::Mul));
  cs.push_back(binary("div_broadcast", OpKind::Div, 0.5, 1.5));
  cs.push_back({"add_batch_and_bias", {OpKind::Add}, [](CaseGraph &c) {
                  Node *x = c.param("x", {kBatch, 4});
                  Node *b = c.param("b", {4});
                  return c.weighted(c.op(OpKind::Add, {x, b}));
                }});
  cs.push_back({"mul_batch_column", {OpKind::Mul}, [](CaseGraph &c) {
                  Node *x = c.param("x", {kBatch, 1});
                  Node *w = c.param("w", {1, 4});
                  return c.weighted(c.op(OpKind::Mul, {x, w}));
                }});
  cs.push_back({"maximum_broadcast", {OpKind::Maximum}, [](CaseGraph &c) {
                  // Keep every a - b pair at least 0.05 apart (the kink).
                  std::vector<double> b = {-0.6, -0.2, 0.2, 0.6};
                  std::vector<double> a;
                  while (a.size() < 3) {
                    double v = randomValues(c.rng(), 1)[0];
                    bool ok = true;
                    for (double bv : b)
                      ok = ok && std::abs(v - bv) >= 0.05;
                    if (ok)
                      a.push_back(v);
                  }
                  Node *an = c.param("a", {3, 1}, a);
                  Node *bn = c.param("b", {4}, b);
                  return c.weighted(c.op(OpKind::Maximum, {an, bn}));
                }});
  cs.push_back(
      {"select_mask", {OpKind::Select}, [](CaseGraph &c) {
         Node *m = c.data("m", {3, 4}, {1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 0, 0});
         Node *a = c.param("a", {3, 4});
         Node *b = c.param("b", {4});
         return c.weighted(c.op(OpKind::Select, {m, a, b}));
       }});
  // Elementwise unary ops and activations, away from their kinks.
  cs.push_back(unary("neg", OpKind::Neg, -1, 1));
  cs.push_back(unary("exp", OpKind::Exp, -1, 1));
  cs.push_back(unary("log", OpKind::Log, 0.5, 2));
  cs.push_back(unary("sqrt", OpKind::Sqrt, 0.5, 2));
  cs.push_back(unary("abs", OpKind::Abs, -1, 1, 0.05));
  cs.push_back(unary("sigmoid", OpKind::Sigmoid, -3, 3));
  cs.push_back(unary("tanh", OpKind::Tanh, -2, 2));
  cs.push_back(unary("relu", OpKind::Relu, -1, 1, 0.05));
  cs.push_back(
      unary("leaky_relu", OpKind::LeakyRelu, -1, 1, 0.05, {{"alpha", 0.1}}));
  cs.push_back(unary("elu", OpKind::Elu, -1, 1, 0.05, {{"alpha", 0.7}}));
  cs.push_back(unary("softplus", OpKind::Softplus, -3, 3));
  cs.push_back(unary("swish", OpKind::Swish, -3, 3, 0.0, {{"beta", 1.5}}));
  cs.push_back(unary("hard_sigmoid", OpKind::HardSigmoid, -5, 5));
  cs.push_back(unary("hard_swish", OpKind::HardSwish, -5, 5));
  // erf's series below |x| = 2.5 and its continued fraction above.
  cs.push_back(unary("erf", OpKind::Erf, -3.5, 3.5));
  cs.push_back(unary("gelu", OpKind::Gelu, -4, 4));
  cs.push_back(unary("gelu_tanh", OpKind::Gelu, -4, 4, 0.0,
                     {{"approximate", std::string("tanh")}}));

  // Linear algebra.
  cs.push_back({"matmul_2d", {OpKind::MatMul}, [](CaseGraph &c) {
                  Node *a = c.param("a", {3, 4});
                  Node *b = c.param("b", {4, 5});
                  return c.weighted(c.op(OpKind::MatMul, {a, b}));
                }});
  cs.push_back({"matmul_batch", {OpKind::MatMul}, [](CaseGraph &c) {
                  Node *a = c.param("a", {kBatch, 4});
                  Node *b = c.param("b", {4, 2});
                  return c.weighted(c.op(OpKind::MatMul, {a, b}));
                }});
  cs.push_back({"matmul_leading_dims", {OpKind::MatMul}, [](CaseGraph &c) {
                  Node *a = c.param("a", {kBatch, 2, 3});
                  Node *b = c.param("b", {3, 4});
                  return c.weighted(c.op(OpKind::MatMul, {a, b}));
                }});
  cs.push_back({"matmul_vector", {OpKind::MatMul}, [](CaseGraph &c) {
                  Node *a = c.param("a", {4});
                  Node *b = c.param("b", {4, 3});
                  return c.weighted(c.op(OpKind::MatMul, {a, b}));
                }});
  cs.push_back({"dense_bias", {OpKind::Dense}, [](CaseGraph &c) {
                  Node *x = c.param("x", {kBatch, 4});
                  Node *w = c.param("w", {4, 3});
                  Node *b = c.param("b", {3});
                  return c.weighted(c.op(OpKind::Dense, {x, w, b}));
                }});
  cs.push_back({"dense_no_bias", {OpKind::Dense}, [](CaseGraph &c) {
                  Node *x = c.param("x", {kBatch, 4});
                  Node *w = c.param("w", {4, 3});
                  return c.weighted(c.op(OpKind::Dense, {x, w}));
                }});
  cs.push_back({"dense_leading_dims", {OpKind::Dense}, [](CaseGraph &c) {
                  Node *x = c.param("x", {kBatch, 2, 4});
                  Node *w = c.param("w", {4, 3});
                  Node *b = c.param("b", {3});
                  return c.weighted(c.op(OpKind::Dense, {x, w, b}));
                }});
  cs.push_back({"dense_single_sample", {OpKind::Dense}, [](CaseGraph &c) {
                  Node *x = c.param("x", {4});
                  Node *w = c.param("w", {4, 3});
                  Node *b = c.param("b", {3});
                  return c.weighted(c.op(OpKind::Dense, {x, w, b}));
                }});
  cs.push_back({"transpose_perm", {OpKind::Transpose}, [](CaseGraph &c) {
                  Node *x = c.param("x", {2, 3, 4});
                  return c.weighted(
                      c.op(OpKind::Transpose, {x}, {{"perm", Ax{2, 0, 1}}}));
                }});
  cs.push_back({"transpose_batch", {OpKind::Transpose}, [](CaseGraph &c) {
                  Node *x = c.param("x", {kBatch, 3});
                  return c.weighted(c.op(OpKind::Transpose, {x}));
                }});

  // Shape ops.
  cs.push_back({"reshape_batch", {OpKind::Reshape}, [](CaseGraph &c) {
                  Node *x = c.param("x", {kBatch, 6});
                  return c.weighted(c.op(OpKind::Reshape, {x},
                                         {{"shape", Shape{kBatch, 2, 3}}}));
                }});
  cs.push_back({"reshape_static", {OpKind::Reshape}, [](CaseGraph &c) {
                  Node *x = c.param("x", {2, 3});
                  return c.weighted(
                      c.op(OpKind::Reshape, {x}, {{"shape", Shape{3, 1, 2}}}));
                }});
  cs.push_back({"broadcast_to", {OpKind::BroadcastTo}, [](CaseGraph &c) {
                  Node *x = c.param("x", {3, 1});
                  return c.weighted(c.op(OpKind::BroadcastTo, {x},
                                         {{"shape", Shape{2, 3, 4}}}));
                }});
  cs.push_back({"broadcast_to_batch", {OpKind::BroadcastTo}, [](CaseGraph &c) {
                  Node *x = c.param("x", {});
                  return c.weighted(c.op(OpKind::BroadcastTo, {x},
                                         {{"shape", Shape{kBatch, 2}}}));
                }});
  cs.push_back({"concat_batch", {OpKind::Concat}, [](CaseGraph &c) {
                  Node *a = c.param("a", {kBatch, 2, 3});
                  Node *b = c.param("b", {kBatch, 1, 3});
                  Node *d = c.param("d", {kBatch, 3, 3});
                  return c.weighted(
                      c.op(OpKind::Concat, {a, b, d}, {{"axis", int64_t(1)}}));
                }});
  cs.push_back({"concat_last", {OpKind::Concat}, [](CaseGraph &c) {
                  Node *a = c.param("a", {2, 3});
                  Node *b = c.param("b", {2, 4});
                  return c.weighted(c.op(OpKind::Concat, {a, b}));
                }});
  // A cast's gradient is dy cast back; in f64 throughout, the cases are
  // exact (a cast through f32 would round the central differences), and the
  // i32 values of t pass through a cast without a gradient.
  cs.push_back(
      {"cast_float", {OpKind::Cast}, [](CaseGraph &c) {
         Node *x = c.param("x", {kBatch, 3});
         Node *t = c.data("t", {3}, {-2, 0, 5}, DType::I32);
         Node *tf = c.op(OpKind::Cast, {t}, {{"dtype", std::string("f64")}});
         Node *xc = c.op(OpKind::Cast, {x}, {{"dtype", std::string("f64")}});
         return c.weighted(c.op(OpKind::Mul, {xc, tf}));
       }});
  cs.push_back({"slice_negative", {OpKind::Slice}, [](CaseGraph &c) {
                  Node *x = c.param("x", {kBatch, 3, 5});
                  return c.weighted(c.op(OpKind::Slice, {x},
                                         {{"axis", int64_t(-1)},
                                          {"start", int64_t(1)},
                                          {"end", int64_t(-1)}}));
                }});
  cs.push_back({"slice_middle", {OpKind::Slice}, [](CaseGraph &c) {
                  Node *x = c.param("x", {4, 3, 2});
                  return c.weighted(c.op(OpKind::Slice, {x},
                                         {{"axis", int64_t(0)},
                                          {"start", int64_t(1)},
                                          {"end", int64_t(3)}}));
                }});

  // Reductions, over several axis sets with keepdims both ways.
  struct Red {
    const char *name;
    Ax axes;
    bool keep;
  };
  for (OpKind k : {OpKind::Sum, OpKind::Mean, OpKind::ReduceMax})
    for (Red r : {Red{"all", {}, false}, Red{"all_keep", {}, true},
                  Red{"batch", {0}, false}, Red{"last_keep", {-1}, true},
                  Red{"mid", {1}, false}, Red{"outer_keep", {0, 2}, true}})
      cs.push_back(
          {std::string(opName(k)) + "_" + r.name, {k}, [k, r](CaseGraph &c) {
             Node *x = c.param("x", {kBatch, 3, 4});
             return c.weighted(c.op(k, {x}, reduceAttrs(r.axes, r.keep)));
           }});
  cs.push_back({"count_in_a_product", {OpKind::Count}, [](CaseGraph &c) {
                  // d/dx (sum(x R) * count(x)) = R * count: count adds
                  // nothing of its own.
                  Node *x = c.param("x", {kBatch, 2});
                  Node *n = c.op(OpKind::Count, {x}, reduceAttrs({0}, false));
                  return c.op(OpKind::Mul, {c.weighted(x), n});
                }});

  // Classification.
  for (OpKind k : {OpKind::Softmax, OpKind::LogSoftmax}) {
    cs.push_back({std::string(opName(k)) + "_last", {k}, [k](CaseGraph &c) {
                    Node *x = c.param("x", {kBatch, 4}, -2, 2);
                    return c.weighted(c.op(k, {x}));
                  }});
    cs.push_back({std::string(opName(k)) + "_axis0", {k}, [k](CaseGraph &c) {
                    Node *x = c.param("x", {3, 2}, -2, 2);
                    return c.weighted(c.op(k, {x}, {{"axis", int64_t(0)}}));
                  }});
  }

  // Losses, with the gradient w.r.t. float targets too.
  cs.push_back(pairLoss("mse", OpKind::Mse));
  cs.push_back(pairLoss("mae", OpKind::Mae, 0.05));
  cs.push_back(pairLoss("half_squared_error", OpKind::HalfSquaredError));
  cs.push_back(
      {"binary_cross_entropy", {OpKind::BinaryCrossEntropy}, [](CaseGraph &c) {
         Node *p = c.param("p", {kBatch, 3}, 0.1, 0.9);
         Node *t = c.param("t", {kBatch, 3}, 0.0, 1.0);
         return c.scaled(c.op(OpKind::BinaryCrossEntropy, {p, t}));
       }});
  cs.push_back(pairLoss("binary_cross_entropy_with_logits",
                        OpKind::BinaryCrossEntropyWithLogits));
  cs.push_back({"mse_broadcast_target", {OpKind::Mse}, [](CaseGraph &c) {
                  Node *y = c.param("y", {kBatch, 3});
                  Node *t = c.param("t", {3});
                  return c.scaled(c.op(OpKind::Mse, {y, t}));
                }});
  // dropout is the identity outside the train step; its train form keeps
  // the mask of the key (a fixed one here) for the gradient as well.
  cs.push_back({"dropout", {OpKind::Dropout}, [](CaseGraph &c) {
                  Node *x = c.param("x", {kBatch, 4});
                  return c.weighted(c.op(OpKind::Dropout, {x}, {{"p", 0.3}}));
                }});
  cs.push_back({"dropout_mask", {OpKind::DropoutMask}, [](CaseGraph &c) {
                  Node *x = c.param("x", {kBatch, 6});
                  Node *k = c.data("k", {}, std::vector<double>{12345});
                  return c.weighted(c.op(OpKind::DropoutMask, {x, k},
                                         {{"p", 0.5}, {"salt", int64_t(3)}}));
                }});
  // Given statistics (eval), and the batch's own (the train form's graph).
  cs.push_back(
      {"batch_norm", {OpKind::BatchNorm}, [](CaseGraph &c) {
         Node *x = c.param("x", {kBatch, 3, 2});
         Node *m = c.param("m", {3});
         Node *v = c.param("v", {3}, 0.5, 1.5);
         return c.weighted(c.op(OpKind::BatchNorm, {x, m, v}, {{"eps", 1e-3}}));
       }});
  cs.push_back(
      {"batch_norm_batch_statistics",
       {OpKind::BatchNorm, OpKind::Mean},
       [](CaseGraph &c) {
         Node *x = c.param("x", {kBatch, 2});
         Attrs reduce = {{"axes", std::vector<int64_t>{0}},
                         {"keepdims", int64_t(0)}};
         Node *m = c.op(OpKind::Mean, {x}, reduce);
         Node *d = c.op(OpKind::Sub, {x, m});
         Node *v = c.op(OpKind::Mean, {c.op(OpKind::Mul, {d, d})}, reduce);
         return c.weighted(c.op(OpKind::BatchNorm, {x, m, v}));
       }});
  // Token 1 occurs three times: its row's gradient is a sum.
  cs.push_back(
      {"embedding", {OpKind::Embedding}, [](CaseGraph &c) {
         Node *t = c.data("t", {kBatch, 2}, {1, 3, 1, 0, 1, 3}, DType::I32);
         Node *e = c.param("e", {4, 3});
         return c.weighted(c.op(OpKind::Embedding, {t, e}));
       }});
  cs.push_back(
      {"cross_entropy_labels", {OpKind::CrossEntropy}, [](CaseGraph &c) {
         Node *z = c.param("z", {kBatch, 4}, -2, 2);
         Node *l = c.data("l", {kBatch}, {3, 0, 2}, DType::I32);
         return c.scaled(c.op(OpKind::CrossEntropy, {z, l}));
       }});
  cs.push_back(
      {"cross_entropy_probabilities", {OpKind::CrossEntropy}, [](CaseGraph &c) {
         Node *z = c.param("z", {kBatch, 4}, -2, 2);
         Node *t = c.param("t", {kBatch, 4}, 0.05, 0.5);
         return c.scaled(c.op(OpKind::CrossEntropy, {z, t}));
       }});
  cs.push_back(
      {"cross_entropy_single_sample", {OpKind::CrossEntropy}, [](CaseGraph &c) {
         Node *z = c.param("z", {5}, -2, 2);
         Node *l = c.data("l", {}, {1}, DType::I32);
         return c.scaled(c.op(OpKind::CrossEntropy, {z, l}));
       }});

  // A small network end to end: dense, relu, dense, softmax cross-entropy.
  cs.push_back(
      {"mlp_cross_entropy",
       {OpKind::Dense, OpKind::Relu, OpKind::CrossEntropy},
       [](CaseGraph &c) {
         Node *x = c.data("x", {kBatch, 4});
         Node *w1 = c.param("w1", {4, 5});
         Node *b1 = c.param("b1", {5}, 0.1, 0.3);
         Node *w2 = c.param("w2", {5, 3});
         Node *b2 = c.param("b2", {3});
         Node *l = c.data("l", {kBatch}, {0, 2, 1}, DType::I32);
         Node *h = c.op(OpKind::Relu, {c.op(OpKind::Dense, {x, w1, b1})});
         Node *z = c.op(OpKind::Dense, {h, w2, b2});
         return c.op(OpKind::CrossEntropy, {z, l});
       }});
  for (std::vector<GradCase> more : {convCases(), poolCases()})
    cs.insert(cs.end(), more.begin(), more.end());
  return cs;
}

/// Whether `k` has a gradient rule.
bool hasGradient(OpKind k) { return getOpInfo(k).buildGradient != nullptr; }

class GradCheck : public ::testing::TestWithParam<GradCase> {};

TEST_P(GradCheck, MatchesCentralDifferences) {
  const GradCase &gc = GetParam();
  bool anyGradient = false;
  for (OpKind k : gc.covers)
    anyGradient |= hasGradient(k);
  // Ops without a gradient rule are checked to be reported by autodiff
  // (ElementwiseGrad.NonDifferentiableOpsAreReported), not here.
  ASSERT_TRUE(anyGradient) << gc.name << ": covers no op with a gradient rule";

  CaseGraph c(std::hash<std::string>()(gc.name));
  Node *loss = gc.build(c);
  ASSERT_NE(loss, nullptr);
  ASSERT_EQ(loss->rank(), 0u);
  std::ostringstream diagOut;
  DiagnosticEngine diag(diagOut);
  std::vector<Node *> grads = buildGradients(c.graph(), loss, c.wrt(), diag);
  ASSERT_EQ(grads.size(), c.wrt().size()) << diagOut.str();
  c.output("l", loss);
  for (size_t i = 0; i < grads.size(); ++i) {
    ASSERT_EQ(grads[i]->shape(), c.wrt()[i]->shape()) << c.wrt()[i]->name();
    c.output("g" + std::to_string(i), grads[i]);
  }

  // One compiled pipeline: every perturbation only changes the feeds.
  JitPipeline jit(c.graph(), PipelineKind::Predict);
  TensorMap feeds = c.feeds();
  TensorMap base = jit.run(feeds);
  auto lossAt = [&]() { return jit.run(feeds).at("out_l").data.at(0); };
  for (size_t i = 0; i < grads.size(); ++i) {
    const std::string &name = c.wrt()[i]->name();
    const std::vector<double> &analytic =
        base.at("out_g" + std::to_string(i)).data;
    std::vector<double> &v = feeds.at(name).data;
    ASSERT_EQ(analytic.size(), v.size()) << name;
    for (size_t e = 0; e < v.size(); ++e) {
      double x0 = v[e];
      v[e] = x0 + kStep;
      double lp = lossAt();
      v[e] = x0 - kStep;
      double lm = lossAt();
      v[e] = x0;
      double numeric = (lp - lm) / (2 * kStep);
      double tol =
          kRelTol * std::max(std::abs(numeric), std::abs(analytic[e])) +
          kAbsTol;
      EXPECT_NEAR(analytic[e], numeric, tol)
          << gc.name << ": d loss / d " << name << "[" << e << "]";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllOps, GradCheck, ::testing::ValuesIn(allCases()),
                         [](const ::testing::TestParamInfo<GradCase> &info) {
                           return info.param.name;
                         });

TEST(GradCheckCoverage, EveryDifferentiableOpHasACase) {
  std::set<OpKind> covered;
  for (const GradCase &gc : allCases())
    covered.insert(gc.covers.begin(), gc.covers.end());
  for (unsigned i = 0; i < kNumOpKinds; ++i) {
    OpKind k = static_cast<OpKind>(i);
    if (!hasGradient(k))
      continue;
    EXPECT_TRUE(covered.count(k))
        << "'" << opName(k)
        << "' has a gradient rule but no case in GradCheck.cpp";
  }
}

TEST(GradCheckCoverage, CaseNamesAreUnique) {
  std::set<std::string> names;
  for (const GradCase &gc : allCases())
    EXPECT_TRUE(names.insert(gc.name).second) << gc.name;
}

} // namespace
