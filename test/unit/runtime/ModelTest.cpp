//===- ModelTest.cpp - Descriptor parsing and pipeline argument binding ---===//

#include "lamina/Model.h"

#include "FakeModel.h"
#include "TestUtil.h"

#include <HalideRuntime.h>

using namespace lamina;
using namespace lamina::test;

namespace {

/// `json` (an object) with this runtime's descriptor version first.
std::string versioned(const std::string &json) {
  size_t brace = json.find('{');
  return json.substr(0, brace + 1) +
         "\"abi_version\": " + std::to_string(lamina::abi::kDescriptorVersion) +
         ", " + json.substr(brace + 1);
}

} // namespace

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
    "metrics": [{"name": "accuracy", "arg": "m_accuracy", "dtype": "f64",
                 "shape": [100], "finish": "accuracy", "classes": 10}],
    "has_loss": true, "loss_dtype": "f32",
    "pipelines": {"lamina_predict": [
      {"name": "batch", "kind": "scalar", "dtype": "i32", "shape": []},
      {"name": "in_x", "kind": "input", "dtype": "f32", "shape": [-1, 784]},
      {"name": "p_h1_weight", "kind": "input", "dtype": "f32",
       "shape": [784, 256]},
      {"name": "out_probs", "kind": "output", "dtype": "f32",
       "shape": [-1, 10]}]},
    "train": {"batch": 64, "epochs": 5, "lr": 0.05, "momentum": 0.0,
              "weight_decay": 0.0, "seed": 42, "validation_split": 0.0}
  })";
  ModelDesc m = ModelDesc::parse(versioned(json));
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
  EXPECT_EQ(m.metrics[0].dtype, DType::F64);
  EXPECT_EQ(m.metrics[0].finish, lamina::abi::MetricFinish::Accuracy);
  EXPECT_EQ(m.metrics[0].classes, 10);
  EXPECT_EQ(m.metrics[0].statsShape(), Shape{100});
  EXPECT_TRUE(m.hasLoss);
  EXPECT_EQ(m.lossDType, DType::F32);
  ASSERT_EQ(m.pipelines.size(), 1u);
  const std::vector<ArgumentSpec> &predict = m.pipelines.at("lamina_predict");
  ASSERT_EQ(predict.size(), 4u);
  EXPECT_EQ(predict[0].name, "batch");
  EXPECT_EQ(predict[0].kind, lamina::abi::ArgKind::Scalar);
  EXPECT_EQ(predict[0].dtype, DType::I32);
  EXPECT_EQ(predict[3].kind, lamina::abi::ArgKind::Output);
  EXPECT_EQ(predict[3].shape, (Shape{-1, 10}));
  ASSERT_TRUE(m.train.has_value());
  EXPECT_EQ(*m.train->batch, 64);
  EXPECT_EQ(*m.train->seed, 42u);
  EXPECT_EQ(m.parameterCount(), 784 * 256);
}

TEST(ModelDesc, DefaultsArgNamesAndAllowsNoTrainBlock) {
  ModelDesc m = ModelDesc::parse(versioned(R"({"model": "M",
    "inputs": [{"name": "x", "dtype": "f64", "shape": [-1, 3]}],
    "params": [{"name": "h1.weight", "dtype": "f64", "shape": [3, 2]}],
    "state": [{"name": "h1.weight.v", "dtype": "f64", "shape": [3, 2]}],
    "outputs": [{"name": "y", "dtype": "f64", "shape": [-1, 2]}],
    "metrics": [{"name": "top-1", "dtype": "f64", "shape": [],
                 "finish": "rows"}],
    "pipelines": {}})"));
  EXPECT_EQ(m.inputs[0].arg, "in_x");
  EXPECT_EQ(m.params[0].arg, "p_h1_weight");
  EXPECT_EQ(m.state[0].arg, "s_h1_weight_v");
  EXPECT_EQ(m.outputs[0].arg, "out_y");
  EXPECT_EQ(m.metrics[0].arg, "m_top_1");
  EXPECT_EQ(m.metrics[0].dtype, DType::F64);
  EXPECT_EQ(m.params[0].init.kind, InitKind::Zeros);
  EXPECT_FALSE(m.train.has_value());
  EXPECT_FALSE(m.hasLoss);
}

TEST(ModelDesc, Errors) {
  auto error = [](const char *json) {
    return errorOf([&] { ModelDesc::parse(versioned(json)); });
  };
  EXPECT_NE(errorOf([] { ModelDesc::parse("{"); }).find("JSON"),
            std::string::npos);
  EXPECT_NE(errorOf([] { ModelDesc::parse("[]"); }).find("expected an object"),
            std::string::npos);
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
              "dtype": "f32", "shape": [-1]}], "pipelines": {}})")
                .find("also used"),
            std::string::npos);
  EXPECT_NE(error(R"({"model": "M", "inputs": [], "outputs": []})")
                .find("missing field 'pipelines'"),
            std::string::npos);
  EXPECT_NE(error(R"({"model": "M", "inputs": [], "outputs": [],
              "has_loss": true, "pipelines": {}})")
                .find("missing field 'loss_dtype'"),
            std::string::npos);
  EXPECT_NE(
      error(R"({"model": "M", "inputs": [], "outputs": [],
              "has_loss": true, "loss_dtype": "f64", "pipelines": {"lamina_eval":
              [{"name": "loss", "kind": "output", "dtype": "f32", "shape": []}]}})")
          .find("pipelines.lamina_eval.loss: is f32 but loss_dtype is f64"),
      std::string::npos);
  EXPECT_NE(error(R"({"model": "M", "inputs": [], "outputs": [],
              "pipelines": {"lamina_eval": [{"name": "batch", "kind": "scalar",
              "dtype": "i32", "shape": [2]}]}})")
                .find("a scalar has no extents"),
            std::string::npos);
  EXPECT_NE(error(R"({"model": "M", "inputs": [], "outputs": [],
              "pipelines": {"lamina_eval": [{"name": "batch", "kind": "inout",
              "dtype": "i32", "shape": []}]}})")
                .find("unknown argument kind 'inout'"),
            std::string::npos);
  EXPECT_NE(error(R"({"model": "M", "inputs": [], "outputs": [],
              "pipelines": {}, "step_key": 1})")
                .find("step_key: expected true or false"),
            std::string::npos);
}

// Buffers (running statistics) with their initial values, and the train
// step's random key.
TEST(ModelDesc, ParsesNonTrainableStateAndTheStepKey) {
  ModelDesc m = ModelDesc::parse(versioned(R"({"model": "M", "inputs": [],
      "outputs": [], "pipelines": {}, "step_key": true, "non_trainable": [
      {"name": "bn.running_var", "dtype": "f32", "shape": [4],
       "init": {"kind": "constant", "arg": 1.0}}]})"));
  EXPECT_TRUE(m.stepKey);
  ASSERT_EQ(m.nonTrainable.size(), 1u);
  EXPECT_EQ(m.nonTrainable[0].arg, "n_bn_running_var");
  EXPECT_EQ(m.nonTrainable[0].shape, (Shape{4}));
  EXPECT_EQ(m.nonTrainable[0].init.kind, InitKind::Constant);
  EXPECT_EQ(m.nonTrainable[0].init.arg, 1.0);
  EXPECT_FALSE(ModelDesc::parse(versioned(R"({"model": "M", "inputs": [],
      "outputs": [], "pipelines": {}})"))
                   .stepKey);
}

TEST(ModelDesc, ChecksTheVersionFirst) {
  const std::string current = std::to_string(lamina::abi::kDescriptorVersion);
  // Whatever else an old descriptor holds, the version is what is wrong.
  EXPECT_EQ(errorOf([] { ModelDesc::parse(R"({"abi_version": 2})"); }),
            "model descriptor version 2, this runtime reads version " +
                current +
                ": rebuild the executable with the laminac of this runtime");
  EXPECT_EQ(errorOf([] { ModelDesc::parse(R"({"model": "M"})"); }),
            "model descriptor without a version, this runtime reads version " +
                current +
                ": rebuild the executable with the laminac of this runtime");
  EXPECT_NE(errorOf([] {
              ModelDesc::parse(R"({"abi_version": "5"})");
            }).find("model descriptor version \"5\""),
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

lamina::abi::StepArena *gArena = nullptr;

int scaleStep(void **args, lamina::abi::StepArena *arena) {
  ++gCalls;
  gArena = arena;
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

int failingStep(void **, lamina::abi::StepArena *) { return -17; }

const Pipeline kScale = {"scale", scaleStep, scaleMd};

/// The arguments of kScale for one row of `x` into `y`, with k = 1.
PipelineArgs oneRowArgs(const Tensor &x, Tensor &y) {
  PipelineArgs args;
  args.setInt32("batch", 1);
  args.setInput("in_x", x);
  args.setFloat64("k", 1.0);
  args.setOutput("out_y", y);
  return args;
}

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
}

TEST(CallPipeline, BindsByNameOnceThenBySlot) {
  Tensor x(DType::F32, {3}), y(DType::F32, {3}), x2(DType::F32, {3});
  x.set(0, 1.0);
  x2.set(0, 7.0);
  PipelineArgs args;
  size_t batch = args.setInt32("batch", 1);
  size_t in = args.setInput("in_x", x, 1);
  size_t k = args.setFloat64("k", 2.0);
  args.setOutput("out_y", y, 1);
  BoundPipeline bound(kScale, args);
  EXPECT_TRUE(bound.resolved());
  EXPECT_FALSE(BoundPipeline().resolved());
  gCalls = 0;
  EXPECT_EQ(bound.call(args), 0);
  EXPECT_EQ(y.get(0), 2.0);
  args.setTensorAt(in, x2, 2);
  args.setFloat64At(k, 3.0);
  args.setInt32At(batch, 2);
  args.setTensorAt(3, y, 2);
  EXPECT_EQ(bound.call(args), 0);
  EXPECT_EQ(gCalls, 2);
  EXPECT_EQ(y.get(0), 21.0);
  EXPECT_EQ(y.get(1), 0.0);
}

TEST(CallPipeline, EachBindingOwnsItsArena) {
  // Two sessions of one model must not share a step's intermediates: each
  // binding passes its own arena, the same one on every call.
  Tensor x(DType::F32, {1}), y(DType::F32, {1});
  PipelineArgs args = oneRowArgs(x, y);
  BoundPipeline a(kScale, args), b(kScale, args);
  ASSERT_EQ(a.call(args), 0);
  lamina::abi::StepArena *first = gArena;
  ASSERT_NE(first, nullptr);
  ASSERT_EQ(a.call(args), 0);
  EXPECT_EQ(gArena, first);
  ASSERT_EQ(b.call(args), 0);
  EXPECT_NE(gArena, first);
  BoundPipeline moved = std::move(a);
  ASSERT_EQ(moved.call(args), 0);
  EXPECT_EQ(gArena, first);
}

TEST(CallPipeline, ReturnsHalideErrors) {
  Pipeline failing = {"failing", failingStep, scaleMd};
  Tensor x(DType::F32, {1}), y(DType::F32, {1});
  EXPECT_EQ(callPipeline(failing, oneRowArgs(x, y)), -17);
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
                [](void **a, lamina::abi::StepArena *) {
                  auto *b = static_cast<halide_buffer_t *>(a[0]);
                  *reinterpret_cast<double *>(b->host) = 2.5;
                  return 0;
                },
                [] { return &md; }};
  Tensor loss(DType::F64, {});
  PipelineArgs a;
  a.setOutput("loss", loss);
  EXPECT_EQ(callPipeline(p, a), 0);
  EXPECT_EQ(loss.get(0), 2.5);
}

TEST(CallPipeline, FakeModelMatchesItsDescriptor) {
  ModelDesc m = ModelDesc::parse(fakeModelJson());
  EXPECT_EQ(m.name, "Lin");
  EXPECT_EQ(m.parameterCount(), 3);
  ModelDesc noTrain = ModelDesc::parse(fakeModelJson(false));
  EXPECT_FALSE(noTrain.train.has_value());
  EXPECT_NO_THROW(checkPipelines(m, fakePipelines()));
}

TEST(CheckPipelines, NamesTheFirstDifference) {
  Pipelines pipes = fakePipelines();
  auto check = [&](const std::string &from, const std::string &to) {
    std::string json = fakeModelJson();
    size_t at = json.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    json.replace(at, from.size(), to);
    ModelDesc m = ModelDesc::parse(json);
    return errorOf([&] { checkPipelines(m, pipes); });
  };
  // kEvalArgs starts with p_b, then batch.
  std::string msg = check(R"("lamina_eval": [{"name": "p_b")",
                          R"("lamina_eval": [{"name": "p_w")");
  EXPECT_NE(msg.find("pipeline 'lamina_eval': argument 0 is 'p_b' (1-D "
                     "float32 input buffer) in its metadata but 'p_w' (1-D "
                     "float32 input buffer) in the model descriptor"),
            std::string::npos)
      << msg;
  msg = check(R"("lamina_eval": [{"name": "p_b", "kind": "input")",
              R"("lamina_eval": [{"name": "p_b", "kind": "output")");
  EXPECT_NE(msg.find("but 'p_b' (1-D float32 output buffer)"),
            std::string::npos)
      << msg;
  msg = check(R"(, "lamina_predict": )", R"(, "lamina_other": )");
  EXPECT_NE(msg.find("pipeline 'lamina_predict': the model descriptor lists "
                     "no arguments for it"),
            std::string::npos)
      << msg;
  msg = check(R"("lamina_eval": [{"name": "p_b", "kind": "input", "dtype": )"
              R"("f32", "shape": [1]}, )",
              R"("lamina_eval": [)");
  EXPECT_NE(msg.find("argument 0 is 'p_b' (1-D float32 input buffer) in its "
                     "metadata but 'batch' (int32 scalar)"),
            std::string::npos)
      << msg;
}
