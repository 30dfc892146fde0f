//===- DriverTest.cpp - The compile driver: model file -> Module ----------===//
#include "lamina/Driver.h"
#include "lamina/Diagnostics.h"
#include "lamina/IRText.h"

#include <gtest/gtest.h>

#include <sstream>

using namespace lamina;

namespace {

const std::string kMlp = std::string(LAMINA_SOURCE_DIR) + "/examples/mlp.lam";

TEST(Driver, CompilesMlpToForwardTrainStepAndDefaults) {
  std::ostringstream errs;
  DiagnosticEngine diag(errs);
  std::optional<Compilation> c = compileModelFile(kMlp, DriverOptions{}, diag);
  ASSERT_TRUE(c) << errs.str();
  ASSERT_TRUE(c->file);
  const Module &m = c->module;
  ASSERT_TRUE(m.forward);
  EXPECT_EQ(m.forward->name(), "Mlp");
  EXPECT_NE(m.forward->loss(), nullptr);
  EXPECT_TRUE(m.forward->updates().empty());
  ASSERT_TRUE(m.train);
  EXPECT_EQ(m.train->name(), "Mlp");
  // Six parameters, each with a momentum velocity: twelve updates.
  EXPECT_EQ(m.train->updates().size(), 12u);
  EXPECT_NE(m.train->findLeaf("lr"), nullptr);
  EXPECT_NE(m.train->findLeaf("h1.weight.velocity"), nullptr);
  ASSERT_TRUE(m.defaults);
  EXPECT_EQ(m.defaults->batch, 64);
  EXPECT_EQ(m.defaults->epochs, 5);
  EXPECT_DOUBLE_EQ(m.defaults->lr, 0.05);
  EXPECT_DOUBLE_EQ(m.defaults->momentum, 0.9);
  EXPECT_EQ(m.defaults->seed, 7u);
  EXPECT_EQ(errs.str(), "");
}

TEST(Driver, StopsAfterTheRequestedStage) {
  DiagnosticEngine diag;
  DriverOptions opts;
  opts.stopAfter = Stage::Ast;
  std::optional<Compilation> ast = compileModelFile(kMlp, opts, diag);
  ASSERT_TRUE(ast);
  EXPECT_TRUE(ast->file);
  EXPECT_FALSE(ast->module.forward);
  opts.stopAfter = Stage::Ir;
  std::optional<Compilation> ir = compileModelFile(kMlp, opts, diag);
  ASSERT_TRUE(ir);
  EXPECT_TRUE(ir->module.forward);
  EXPECT_TRUE(ir->module.defaults);
  EXPECT_FALSE(ir->module.train);
  // The autodiff stage on its own, as lamina-run builds it.
  ASSERT_TRUE(buildTrainStage(ir->module, opts, diag));
  EXPECT_TRUE(ir->module.train);
}

TEST(Driver, DumpsAutodiffAsAStage) {
  DiagnosticEngine diag;
  DriverOptions opts;
  std::ostringstream dumps;
  opts.instrumentation.os = &dumps;
  opts.instrumentation.dumpBefore = {"autodiff"};
  opts.instrumentation.dumpAfter = {"autodiff"};
  std::optional<Compilation> c = compileModelFile(kMlp, opts, diag);
  ASSERT_TRUE(c);
  std::string text = dumps.str();
  size_t before = text.find("// -----// IR Dump Before autodiff //----- //\n");
  size_t after = text.find("// -----// IR Dump After autodiff //----- //\n");
  ASSERT_EQ(before, 0u) << text;
  ASSERT_NE(after, std::string::npos) << text;
  // Each dump ends in the module's train line.
  EXPECT_NE(text.find("  train {batch = 64", before), std::string::npos);
  EXPECT_NE(text.find("  train {batch = 64", after), std::string::npos);
}

TEST(Driver, ReportsAMissingModel) {
  std::ostringstream errs;
  DiagnosticEngine diag(errs);
  DriverOptions opts;
  opts.model = "Nope";
  EXPECT_FALSE(compileModelFile(kMlp, opts, diag));
  EXPECT_NE(errs.str().find("no model named 'Nope'"), std::string::npos)
      << errs.str();
}

} // namespace
