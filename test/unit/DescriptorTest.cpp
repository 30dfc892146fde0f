//===- DescriptorTest.cpp - The descriptor from laminac to the runtime ----===//
#include "lamina/abi/Descriptor.h"
#include "lamina/Codegen.h"
#include "lamina/Diagnostics.h"
#include "lamina/Driver.h"
#include "lamina/Model.h"
#include "lamina/Plan.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>
#include <sstream>

using namespace lamina;

namespace {

/// The descriptor of examples/mlp.lam with the plans laminac builds for it.
struct MlpDescriptor {
  Compilation compilation;
  ExecutablePlans plans;
  std::string json;
};

MlpDescriptor mlpDescriptor() {
  DiagnosticEngine diag;
  std::optional<Compilation> c =
      compileModelFile(std::string(LAMINA_SOURCE_DIR) + "/examples/mlp.lam",
                       DriverOptions{}, diag);
  EXPECT_TRUE(c.has_value());
  MlpDescriptor d{std::move(*c), {}, ""};
  d.plans = executablePlans(d.compilation.module, "");
  d.json = modelDescriptor(d.compilation.module, "mlp.lam", d.plans.pointers());
  return d;
}

} // namespace

TEST(Descriptor, WritesVersionLossDTypeAndEveryPipelinesArguments) {
  MlpDescriptor d = mlpDescriptor();
  nlohmann::json j = nlohmann::json::parse(d.json);
  namespace key = lamina::abi::key;
  EXPECT_EQ(j.at(key::kVersion).get<int>(), lamina::abi::kDescriptorVersion);
  EXPECT_EQ(j.at(key::kLossDType).get<std::string>(),
            dtypeName(d.compilation.module.forward->loss()->dtype()));
  EXPECT_TRUE(j.at(key::kNonTrainable).empty());
  // Train, its two phases, eval and predict.
  ASSERT_EQ(d.plans.plans.size(), 5u);
  ASSERT_EQ(j.at(key::kPipelines).size(), d.plans.plans.size());
  for (const KernelPlan &p : d.plans.plans) {
    const nlohmann::json &list =
        j.at(key::kPipelines).at(pipelineFunctionName(p.kind));
    std::vector<PipelineArgument> args = pipelineArguments(p);
    ASSERT_EQ(list.size(), args.size()) << pipelineFunctionName(p.kind);
    for (size_t i = 0; i < args.size(); ++i) {
      EXPECT_EQ(list[i].at(key::kName).get<std::string>(), args[i].name);
      EXPECT_EQ(list[i].at(key::kKind).get<std::string>(),
                lamina::abi::argKindName(args[i].kind));
      EXPECT_EQ(list[i].at(key::kDType).get<std::string>(),
                dtypeName(args[i].dtype));
      EXPECT_EQ(list[i].at(key::kShape).get<Shape>(), args[i].shape);
    }
    EXPECT_EQ(args.front().name, lamina::abi::kBatchArgument);
  }
}

TEST(Descriptor, ArgumentsFollowTheAbiNamingRules) {
  MlpDescriptor d = mlpDescriptor();
  const Graph &train = *d.compilation.module.train;
  auto names = [&](PipelineKind k) {
    std::set<std::string> out;
    for (const KernelPlan &p : d.plans.plans)
      if (p.kind == k)
        for (const PipelineArgument &a : pipelineArguments(p))
          out.insert(a.name);
    return out;
  };
  std::set<std::string> step = names(PipelineKind::Train);
  std::set<std::string> grad = names(PipelineKind::Grad);
  std::set<std::string> update = names(PipelineKind::Update);
  for (Node *p : train.paramsWithRole("param")) {
    std::string arg = lamina::abi::argumentName(
        lamina::abi::Role::Parameter, lamina::abi::sanitize(p->name()));
    EXPECT_EQ(arg, argName(*p));
    EXPECT_TRUE(step.count(arg) &&
                step.count(lamina::abi::nextArgumentName(arg)))
        << arg;
    EXPECT_TRUE(grad.count(lamina::abi::gradientArgumentName(arg))) << arg;
    EXPECT_TRUE(update.count(lamina::abi::gradientArgumentName(arg)) &&
                update.count(lamina::abi::nextArgumentName(arg)))
        << arg;
  }
  EXPECT_TRUE(step.count(lamina::abi::kLossArgument));
  EXPECT_TRUE(step.count(lamina::abi::kLearningRateArgument));
}

TEST(Descriptor, RoundTripsThroughTheRuntimesParser) {
  MlpDescriptor d = mlpDescriptor();
  ModelDesc m = ModelDesc::parse(d.json);
  EXPECT_TRUE(m.hasLoss);
  EXPECT_EQ(m.lossDType, d.compilation.module.forward->loss()->dtype());
  ASSERT_EQ(m.pipelines.size(), d.plans.plans.size());
  for (const KernelPlan &p : d.plans.plans) {
    const std::vector<ArgumentSpec> &specs =
        m.pipelines.at(pipelineFunctionName(p.kind));
    std::vector<PipelineArgument> args = pipelineArguments(p);
    ASSERT_EQ(specs.size(), args.size());
    for (size_t i = 0; i < args.size(); ++i) {
      EXPECT_EQ(specs[i].name, args[i].name);
      EXPECT_EQ(specs[i].kind, args[i].kind);
      EXPECT_EQ(specs[i].dtype, args[i].dtype);
      EXPECT_EQ(specs[i].shape, args[i].shape);
    }
  }
  for (const MetricSpec &ms : m.metrics)
    EXPECT_EQ(ms.arg,
              lamina::abi::metricArgumentName(lamina::abi::sanitize(ms.name)));
}

TEST(Library, HeaderAndSourceDeclareTheSameFunctions) {
  MlpDescriptor d = mlpDescriptor();
  EXPECT_EQ(libraryPrefix("Mlp"), "mlp");
  EXPECT_EQ(libraryPrefix("LeNet5"), "lenet5");
  EXPECT_EQ(libraryPrefix("9lives"), "_9lives");
  std::string header = libraryHeader(d.json, "mlp");
  std::string source = libraryApiSource(d.json, "mlp");
  for (const std::string &f : libraryFunctions(d.json, "mlp")) {
    EXPECT_EQ(f.rfind("mlp_", 0), 0u) << f;
    EXPECT_NE(header.find(f + "("), std::string::npos) << f;
    EXPECT_NE(source.find(f + "("), std::string::npos) << f;
  }
  EXPECT_NE(header.find("int mlp_predict(mlp_t *model, const float *x, "
                        "int64_t batch, float *probs);"),
            std::string::npos)
      << header;
  EXPECT_NE(header.find("MLP_X_SIZE = 784,"), std::string::npos);
  EXPECT_NE(header.find("MLP_Y_CLASSES = 10,"), std::string::npos);
  EXPECT_NE(header.find("MLP_METRIC_ACCURACY = 0"), std::string::npos);
  for (std::istringstream lines(header); !lines.eof();) {
    std::string line;
    std::getline(lines, line);
    if (line.rfind("/*", 0) == 0 || line.rfind(" *", 0) == 0) {
      EXPECT_LE(line.size(), 80u) << line;
    }
  }
}

TEST(Library, TensorNamesThatAreCKeywordsGetOtherIdentifiers) {
  // A descriptor whose input is named `int` and output `model`, which a C
  // prototype cannot use as they are.
  nlohmann::json j = {
      {"model", "K"},
      {"inputs", {{{"name", "int"}, {"dtype", "f64"}, {"shape", {-1, 2}}}}},
      {"labels", nlohmann::json::array()},
      {"outputs", {{{"name", "model"}, {"dtype", "f32"}, {"shape", {-1}}}}},
      {"metrics", nlohmann::json::array()},
      {"has_loss", false}};
  std::string header = libraryHeader(j.dump(), "k");
  EXPECT_NE(header.find("int k_predict(k_t *model, const double *int_, "
                        "int64_t batch, float *model_);"),
            std::string::npos)
      << header;
  EXPECT_EQ(header.find("k_eval"), std::string::npos);
  EXPECT_EQ(header.find("k_train_step"), std::string::npos);
}
