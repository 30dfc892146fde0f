//===- ModelTest.cpp - Descriptor parsing and pipeline argument binding ---===//

#include "lamina/Model.h"

#include "FakeModel.h"
#include "TestUtil.h"

#include <HalideRuntime.h>

using namespace lamina;
using namespace lamina::test;

TEST(ModelDesc, ParsesTheReadmeExample) {
  const char *json = R"({
    "model": "Mlp", "file": "examples/mlp.lam",
    "inputs":  [{"name": "x", "arg": "in_x", "dtype": "f32", "shape": [-1, 784]}],
    "labels":  [{"name": "y", "arg": "lbl_y", "dtype": "i32", "shape": [-1]}],
    "params":  [{"name": "h1.weight", "arg": "p_h1_weight", "dtype": "f32",
                 "shape": [784, 256],
                 "init": {"kind": "uniform_fan_in", "fan_in": 784, "fan_out": 256,
                          "arg": 0.0, "data": []}}],
    "state":   [{"name": "h1.weight.velocity", "arg": "s_h1_weight_velocity",
                 "dtype": "f32", "shape": [784, 256]}],
    "outputs": [{"name": "probs", "arg": "out_probs", "dtype": "f32", "shape": [-1, 10]}],
    "metrics": [{"name": "accuracy", "arg": "m_accuracy"}],
    "has_loss": true,
    "train": {"batch": 64, "epochs": 5, "lr": 0.05, "momentum": 0.0,
              "weight_decay": 0.0, "seed": 42, "validation_split": 0.0}
  })";
  ModelDesc m = ModelDesc::parse(json);
  EXPECT_EQ(m.name, "Mlp");
  EXPECT_EQ(m.file, "examples/mlp.lam");
  ASSERT_EQ(m.inputs.size(), 1u);
  EXPECT_EQ(m.inputs[0].shape, (Shape{-1, 784}));
  EXPECT_EQ(m.inputs[0].sampleShape(), (Shape{784}));
  EXPECT_EQ(m.inputs[0].withBatch(3), (Shape{3, 784}));
  EXPECT_EQ(m.inputs[0].describe(), "x f32[batch, 784]");
  EXPECT_EQ(m.labels[0].dtype, DType::I32);
  EXPECT_EQ(m.labels[0].sampleNumel(), 1);
  EXPECT_EQ(m.params[0].init.kind, InitKind::UniformFanIn);
  EXPECT_EQ(m.params[0].init.fanIn, 784);
  EXPECT_EQ(m.state[0].arg, "s_h1_weight_velocity");
  EXPECT_EQ(m.metrics[0].arg, "m_accuracy");
  EXPECT_TRUE(m.hasLoss);
  ASSERT_TRUE(m.train.has_value());
  EXPECT_EQ(*m.train->batch, 64);
  EXPECT_EQ(*m.train->seed, 42u);
  EXPECT_EQ(m.parameterCount(), 784 * 256);
}

TEST(ModelDesc, DefaultsArgNamesAndAllowsNoTrainBlock) {
  ModelDesc m = ModelDesc::parse(R"({"model": "M",
    "inputs": [{"name": "x", "dtype": "f64", "shape": [-1, 3]}],
    "params": [{"name": "h1.weight", "dtype": "f64", "shape": [3, 2]}],
    "outputs": [{"name": "y", "dtype": "f64", "shape": [-1, 2]}]})");
  EXPECT_EQ(m.inputs[0].arg, "in_x");
  EXPECT_EQ(m.params[0].arg, "p_h1_weight");
  EXPECT_EQ(m.params[0].init.kind, InitKind::Zeros);
  EXPECT_FALSE(m.train.has_value());
  EXPECT_FALSE(m.hasLoss);
}

TEST(ModelDesc, Errors) {
  auto error = [](const char *json) {
    return errorOf([&] { ModelDesc::parse(json); });
  };
  EXPECT_NE(error("{").find("JSON"), std::string::npos);
  EXPECT_NE(error("[]").find("expected an object"), std::string::npos);
  EXPECT_NE(error(R"({"inputs": [], "outputs": []})").find("'model'"),
            std::string::npos);
  EXPECT_NE(error(R"({"model": "M", "inputs": [{"name": "x", "dtype": "f16",
              "shape": [-1]}], "outputs": []})")
                .find("inputs[0].dtype"),
            std::string::npos);
  EXPECT_NE(error(R"({"model": "M", "inputs": [{"name": "x", "dtype": "f32",
              "shape": [4]}], "outputs": []})")
                .find("-1"),
            std::string::npos);
  EXPECT_NE(error(R"({"model": "M", "inputs": [], "outputs": [],
              "params": [{"name": "w", "dtype": "f32", "shape": [2],
              "init": {"kind": "data", "data": [1]}}]})")
                .find("params[0].init.data"),
            std::string::npos);
  EXPECT_NE(error(R"({"model": "M", "inputs": [], "outputs": [],
              "params": [{"name": "w", "dtype": "f32", "shape": [2],
              "init": {"kind": "kaiming"}}]})")
                .find("unknown init kind 'kaiming'"),
            std::string::npos);
  EXPECT_NE(error(R"({"model": "M", "inputs": [{"name": "x", "dtype": "f32",
              "shape": [-1]}], "outputs": [{"name": "x", "arg": "in_x",
              "dtype": "f32", "shape": [-1]}]})")
                .find("also used"),
            std::string::npos);
}

namespace {

int gCalls = 0;
float gSeen[3];

/// Pipeline "scale": out = in * k, arguments in a different order from the
/// bindings below.
const halide_filter_argument_t kScaleArgs[] = {
    {"out_y", halide_argument_kind_output_buffer, 1,
     halide_type_t(halide_type_float, 32), nullptr, nullptr, nullptr, nullptr,
     nullptr},
    {"k", halide_argument_kind_input_scalar, 0,
     halide_type_t(halide_type_float, 64), nullptr, nullptr, nullptr, nullptr,
     nullptr},
    {"batch", halide_argument_kind_input_scalar, 0,
     halide_type_t(halide_type_int, 32), nullptr, nullptr, nullptr, nullptr,
     nullptr},
    {"in_x", halide_argument_kind_input_buffer, 1,
     halide_type_t(halide_type_float, 32), nullptr, nullptr, nullptr, nullptr,
     nullptr},
    {"__user_context", halide_argument_kind_input_scalar, 0,
     halide_type_t(halide_type_handle, 64), nullptr, nullptr, nullptr, nullptr,
     nullptr}};
const halide_filter_metadata_t kScaleMd = {1, 5, kScaleArgs, "host", "scale"};

int scaleArgv(void **args) {
  ++gCalls;
  auto *out = static_cast<halide_buffer_t *>(args[0]);
  double k = *static_cast<double *>(args[1]);
  int n = *static_cast<int32_t *>(args[2]);
  auto *in = static_cast<halide_buffer_t *>(args[3]);
  if (*static_cast<void **>(args[4]) != nullptr)
    return -2;
  if (n != out->dim[0].extent || n != in->dim[0].extent)
    return -3;
  auto *x = reinterpret_cast<float *>(in->host);
  auto *y = reinterpret_cast<float *>(out->host);
  for (int i = 0; i < n; ++i) {
    gSeen[i] = x[i];
    y[i] = static_cast<float>(x[i] * k);
  }
  return 0;
}

const halide_filter_metadata_t *scaleMd() { return &kScaleMd; }

int failingArgv(void **) { return -17; }

const Pipeline kScale = {"scale", scaleArgv, scaleMd};

} // namespace

TEST(CallPipeline, BindsByName) {
  Tensor x(DType::F32, {3}), y(DType::F32, {3});
  for (int i = 0; i < 3; ++i)
    x.set(i, i + 1);
  PipelineArgs args;
  args.setInt32("batch", 2);
  args.setInput("in_x", x, 2);
  args.setFloat64("k", 10.0);
  args.setOutput("out_y", y, 2);
  gCalls = 0;
  EXPECT_EQ(callPipeline(kScale, args), 0);
  EXPECT_EQ(gCalls, 1);
  EXPECT_EQ(y.get(0), 10.0);
  EXPECT_EQ(y.get(1), 20.0);
  EXPECT_EQ(y.get(2), 0.0);
  EXPECT_EQ(argumentDType(kScale, "out_y"), DType::F32);
  EXPECT_EQ(argumentDType(kScale, "nope"), std::nullopt);
}

TEST(CallPipeline, ReturnsHalideErrors) {
  Pipeline failing = {"failing", failingArgv, scaleMd};
  Tensor x(DType::F32, {1}), y(DType::F32, {1});
  PipelineArgs args;
  args.setInt32("batch", 1);
  args.setInput("in_x", x);
  args.setFloat64("k", 1.0);
  args.setOutput("out_y", y);
  EXPECT_EQ(callPipeline(failing, args), -17);
}

TEST(CallPipeline, Mismatches) {
  Tensor x(DType::F32, {3}), y(DType::F32, {3}), x2(DType::F32, {3, 1}),
      xd(DType::F64, {3});
  auto bind = [&](const Tensor &in, bool withK, bool extra, bool outAsIn) {
    PipelineArgs a;
    a.setInt32("batch", 3);
    a.setInput("in_x", in);
    if (withK)
      a.setFloat64("k", 1.0);
    if (outAsIn)
      a.setInput("out_y", y);
    else
      a.setOutput("out_y", y);
    if (extra)
      a.setInt32("extra", 1);
    return a;
  };
  gCalls = 0;
  std::string msg =
      errorOf([&] { callPipeline(kScale, bind(x, false, false, false)); });
  EXPECT_NE(msg.find("pipeline 'scale'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("argument 'k'"), std::string::npos) << msg;
  msg = errorOf([&] { callPipeline(kScale, bind(x2, true, false, false)); });
  EXPECT_NE(msg.find("'in_x' is a 1-D float32 input buffer"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("2-D float32"), std::string::npos) << msg;
  msg = errorOf([&] { callPipeline(kScale, bind(xd, true, false, false)); });
  EXPECT_NE(msg.find("float64"), std::string::npos) << msg;
  msg = errorOf([&] { callPipeline(kScale, bind(x, true, true, false)); });
  EXPECT_NE(msg.find("no argument 'extra'"), std::string::npos) << msg;
  msg = errorOf([&] { callPipeline(kScale, bind(x, true, false, true)); });
  EXPECT_NE(msg.find("output buffer but the runtime passes a 1-D float32 "
                     "input buffer"),
            std::string::npos)
      << msg;
  PipelineArgs twice = bind(x, true, false, false);
  twice.setInt32("batch", 1);
  msg = errorOf([&] { callPipeline(kScale, twice); });
  EXPECT_NE(msg.find("bound twice"), std::string::npos) << msg;
  EXPECT_EQ(gCalls, 0);

  Pipeline missing = {"lamina_eval", nullptr, nullptr};
  msg = errorOf([&] { callPipeline(missing, bind(x, true, false, false)); });
  EXPECT_NE(msg.find("no 'lamina_eval' pipeline"), std::string::npos) << msg;
}

TEST(CallPipeline, IgnoresHalideUniqueNameSuffix) {
  // Halide names a second Func "loss" in the same process "loss$1".
  static const halide_filter_argument_t args[] = {
      {"loss$1", halide_argument_kind_output_buffer, 0,
       halide_type_t(halide_type_float, 64), nullptr, nullptr, nullptr, nullptr,
       nullptr}};
  static const halide_filter_metadata_t md = {1, 1, args, "host", "f"};
  Pipeline p = {"f",
                [](void **a) {
                  auto *b = static_cast<halide_buffer_t *>(a[0]);
                  *reinterpret_cast<double *>(b->host) = 2.5;
                  return 0;
                },
                [] { return &md; }};
  Tensor loss(DType::F64, {});
  PipelineArgs a;
  a.setOutput("loss", loss);
  EXPECT_EQ(argumentDType(p, "loss"), DType::F64);
  EXPECT_EQ(callPipeline(p, a), 0);
  EXPECT_EQ(loss.get(0), 2.5);
}

TEST(CallPipeline, FakeModelMatchesItsDescriptor) {
  ModelDesc m = ModelDesc::parse(fakeModelJson());
  EXPECT_EQ(m.name, "Lin");
  EXPECT_EQ(m.parameterCount(), 3);
  ModelDesc noTrain = ModelDesc::parse(fakeModelJson(false));
  EXPECT_FALSE(noTrain.train.has_value());
}
