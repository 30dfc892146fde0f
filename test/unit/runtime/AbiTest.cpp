//===- AbiTest.cpp - The names, kinds and keys shared with laminac --------===//

#include "lamina/abi/DType.h"
#include "lamina/abi/Descriptor.h"
#include "lamina/abi/Names.h"

#include <gtest/gtest.h>

#include <string_view>

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
