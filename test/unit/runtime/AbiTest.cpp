//===- AbiTest.cpp - The names, kinds and keys shared with laminac --------===//

#include "lamina/abi/DType.h"
#include "lamina/abi/Descriptor.h"
#include "lamina/abi/Metrics.h"
#include "lamina/abi/Names.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string_view>
#include <vector>

namespace lamina {

TEST(Abi, Sanitize) {
  EXPECT_EQ(abi::sanitize("h1.weight"), "h1_weight");
  EXPECT_EQ(abi::sanitize("top-1 acc"), "top_1_acc");
  EXPECT_EQ(abi::sanitize("already_ok"), "already_ok");
  EXPECT_EQ(abi::sanitize("1st"), "_1st");
  EXPECT_EQ(abi::sanitize(""), "_");
}

TEST(Abi, ArgumentNames) {
  EXPECT_EQ(abi::argumentName(abi::Role::Input, "x"), "in_x");
  EXPECT_EQ(abi::argumentName(abi::Role::Label, "y"), "lbl_y");
  EXPECT_EQ(abi::argumentName(abi::Role::Parameter, "h1_weight"),
            "p_h1_weight");
  EXPECT_EQ(abi::argumentName(abi::Role::OptimizerState, "w_velocity"),
            "s_w_velocity");
  EXPECT_EQ(abi::argumentName(abi::Role::NonTrainableState, "bn_mean"),
            "n_bn_mean");
  EXPECT_EQ(abi::gradientArgumentName("p_w"), "grad_p_w");
  EXPECT_EQ(abi::nextArgumentName("p_w"), "new_p_w");
  EXPECT_EQ(abi::nextArgumentName("s_w_velocity"), "new_s_w_velocity");
  EXPECT_EQ(abi::outputArgumentName("probs"), "out_probs");
  EXPECT_EQ(abi::metricArgumentName("accuracy"), "m_accuracy");
  EXPECT_STREQ(abi::kBatchArgument, "batch");
  EXPECT_STREQ(abi::kLossArgument, "loss");
  EXPECT_STREQ(abi::kLearningRateArgument, "lr");
}

TEST(Abi, StateKinds) {
  EXPECT_EQ(abi::roleOf(abi::StateKind::Parameter), abi::Role::Parameter);
  EXPECT_EQ(abi::roleOf(abi::StateKind::Optimizer), abi::Role::OptimizerState);
  EXPECT_EQ(abi::roleOf(abi::StateKind::NonTrainable),
            abi::Role::NonTrainableState);
  EXPECT_STREQ(abi::stateKey(abi::StateKind::Parameter), "params");
  EXPECT_STREQ(abi::stateKey(abi::StateKind::Optimizer), "state");
  EXPECT_STREQ(abi::stateKey(abi::StateKind::NonTrainable), "non_trainable");
}

TEST(Abi, ElementTypesAndArgumentKinds) {
  for (DType t : {DType::F32, DType::F64, DType::I32})
    EXPECT_EQ(parseDType(dtypeName(t)), t);
  EXPECT_EQ(parseDType("f16"), std::nullopt);
  EXPECT_EQ(dtypeSize(DType::F64), 8u);
  EXPECT_EQ(abi::kBatch, -1);
  for (abi::ArgKind k :
       {abi::ArgKind::Scalar, abi::ArgKind::Input, abi::ArgKind::Output})
    EXPECT_EQ(abi::parseArgKind(abi::argKindName(k)), k);
  EXPECT_EQ(abi::parseArgKind("inout"), std::nullopt);
  EXPECT_EQ(abi::kDescriptorVersion, abi::kAbiVersion);
  EXPECT_EQ(std::string_view(abi::key::kVersion), "abi_version");
}

} // namespace lamina

namespace lamina {

// Metric sums (lamina/abi/Metrics.h): merged over batches, a metric is its
// value over the whole data set, whatever the split.
TEST(Abi, MetricSumsMergeBatchesIntoTheWholeSetsValue) {
  // r2 of y against t over 5 values, added as batches of 2, 2 and 1: each
  // batch's [SS_res, n, mean, M2] merged by Chan's formula.
  std::vector<double> y{1.0, 2.5, 2.0, 4.5, 4.0}, t{1.2, 2.0, 2.9, 4.1, 5.0};
  abi::MetricSums r2(abi::MetricFinish::R2, 0);
  for (size_t b = 0; b < 5; b += 2) {
    size_t e = std::min<size_t>(b + 2, 5);
    double res = 0, mean = 0, m2 = 0;
    for (size_t i = b; i < e; ++i) {
      res += (t[i] - y[i]) * (t[i] - y[i]);
      mean += t[i] / static_cast<double>(e - b);
    }
    for (size_t i = b; i < e; ++i)
      m2 += (t[i] - mean) * (t[i] - mean);
    double stats[] = {res, static_cast<double>(e - b), mean, m2};
    r2.add(stats);
  }
  double res = 0, mean = 3.04, tot = 0;
  for (size_t i = 0; i < 5; ++i) {
    res += (t[i] - y[i]) * (t[i] - y[i]);
    tot += (t[i] - mean) * (t[i] - mean);
  }
  EXPECT_NEAR(r2.value(), 1.0 - res / tot, 1e-12);

  // rmse from [sum of squares, count].
  abi::MetricSums rmse(abi::MetricFinish::Rmse, 0);
  double a[] = {3.0, 2.0}, b[] = {5.0, 1.0};
  rmse.add(a);
  rmse.add(b);
  EXPECT_DOUBLE_EQ(rmse.value(), std::sqrt(8.0 / 3.0));

  // A metric without sums: per-batch values weighted by their rows.
  abi::MetricSums rows(abi::MetricFinish::Rows, 0);
  rows.addValue(0.5, 3);
  rows.addValue(2.0, 1);
  EXPECT_DOUBLE_EQ(rows.value(), (1.5 + 2.0) / 4.0);

  // Nothing added: NaN, not 0.
  EXPECT_TRUE(std::isnan(abi::MetricSums(abi::MetricFinish::R2, 0).value()));
}

TEST(Abi, ConfusionMetricsAreMacroAveragesOverThePresentClasses) {
  // Rows: true class; columns: predicted. Class 3 never occurs as a label
  // or a prediction, so the macro averages are over classes 0..2
  // (scikit-learn's average="macro" over the labels present).
  //   predicted  0  1  2  3
  double m[] = {5, 1, 0, 0,  // true 0
                2, 3, 1, 0,  // true 1
                0, 0, 0, 0,  // true 2: never labelled, predicted once
                0, 0, 0, 0}; // true 3: absent
  auto value = [&](abi::MetricFinish f) {
    abi::MetricSums s(f, 4);
    s.add(m);
    return s.value();
  };
  EXPECT_DOUBLE_EQ(value(abi::MetricFinish::Accuracy), 8.0 / 12.0);
  // Precision per class: 5/7, 3/4, 0/1 (class 2 predicted once, wrongly).
  EXPECT_DOUBLE_EQ(value(abi::MetricFinish::Precision),
                   (5.0 / 7.0 + 3.0 / 4.0 + 0.0) / 3.0);
  // Recall: 5/6, 3/6, and 0 for class 2, which has no samples.
  EXPECT_DOUBLE_EQ(value(abi::MetricFinish::Recall),
                   (5.0 / 6.0 + 3.0 / 6.0 + 0.0) / 3.0);
  // f1 = 2 TP / (labelled + predicted): 10/13, 6/10, 0.
  EXPECT_DOUBLE_EQ(value(abi::MetricFinish::F1),
                   (10.0 / 13.0 + 6.0 / 10.0 + 0.0) / 3.0);
  EXPECT_EQ(abi::metricStatsSize(abi::MetricFinish::F1, 4), 16);
  for (abi::MetricFinish f :
       {abi::MetricFinish::Rows, abi::MetricFinish::Rmse, abi::MetricFinish::R2,
        abi::MetricFinish::Accuracy, abi::MetricFinish::Precision,
        abi::MetricFinish::Recall, abi::MetricFinish::F1})
    EXPECT_EQ(abi::metricFinishNamed(abi::metricFinishName(f)), f);
  EXPECT_FALSE(abi::metricFinishNamed("median"));
}

} // namespace lamina
