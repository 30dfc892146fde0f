//===- FakeModel.cpp - Hand-written pipelines standing in for laminac's ---===//

#include "FakeModel.h"

#include <HalideRuntime.h>

#include <cmath>
#include <string>

namespace lamina::test {

namespace {

constexpr halide_type_t kF32(halide_type_float, 32);
constexpr halide_type_t kF64(halide_type_float, 64);
constexpr halide_type_t kI32(halide_type_int, 32);

halide_filter_argument_t scalar(const char *name, halide_type_t t) {
  return {name,    halide_argument_kind_input_scalar,
          0,       t,
          nullptr, nullptr,
          nullptr, nullptr,
          nullptr};
}
halide_filter_argument_t input(const char *name, int dims) {
  return {name,    halide_argument_kind_input_buffer,
          dims,    kF32,
          nullptr, nullptr,
          nullptr, nullptr,
          nullptr};
}
halide_filter_argument_t output(const char *name, int dims) {
  return {name,    halide_argument_kind_output_buffer,
          dims,    kF32,
          nullptr, nullptr,
          nullptr, nullptr,
          nullptr};
}

// Deliberately not in the runtime's binding order.
const halide_filter_argument_t kTrainArgs[] = {scalar("lr", kF64),
                                               input("in_x", 2),
                                               input("p_w", 2),
                                               output("new_p_w", 2),
                                               scalar("batch", kI32),
                                               input("lbl_y", 2),
                                               input("p_b", 1),
                                               input("s_w_velocity", 2),
                                               output("new_s_w_velocity", 2),
                                               output("new_p_b", 1),
                                               input("s_b_velocity", 1),
                                               output("new_s_b_velocity", 1),
                                               output("loss", 0),
                                               output("m_mae", 0)};
const halide_filter_argument_t kEvalArgs[] = {
    input("p_b", 1), scalar("batch", kI32), input("in_x", 2), input("lbl_y", 2),
    input("p_w", 2), output("m_mae", 0),    output("loss", 0)};
const halide_filter_argument_t kPredictArgs[] = {
    scalar("batch", kI32), input("in_x", 2), input("p_w", 2), input("p_b", 1),
    output("out_pred", 2)};

template <size_t N>
halide_filter_metadata_t metadata(const halide_filter_argument_t (&args)[N],
                                  const char *name) {
  return {halide_filter_metadata_t::VERSION, static_cast<int32_t>(N), args,
          "x86-64-linux", name};
}

const halide_filter_metadata_t kTrainMd = metadata(kTrainArgs, "lamina_train");
const halide_filter_metadata_t kEvalMd = metadata(kEvalArgs, "lamina_eval");
const halide_filter_metadata_t kPredictMd =
    metadata(kPredictArgs, "lamina_predict");

float *host(void *arg) {
  return reinterpret_cast<float *>(static_cast<halide_buffer_t *>(arg)->host);
}

/// Checks the layout the runtime promises: x is [batch, 2] innermost first.
bool goodBatch(void *arg, int batch, int inner) {
  auto *b = static_cast<halide_buffer_t *>(arg);
  return b->dimensions == 2 && b->dim[0].extent == inner &&
         b->dim[0].stride == 1 && b->dim[1].extent == batch &&
         b->dim[1].stride == inner;
}

/// Forward pass plus loss, metric and gradients over one batch.
void forward(int n, const float *x, const float *y, const float *w,
             const float *b, float *loss, float *mae, float gw[2], float *gb) {
  double l = 0, m = 0, g0 = 0, g1 = 0, g2 = 0;
  for (int i = 0; i < n; ++i) {
    double pred = x[2 * i] * w[0] + x[2 * i + 1] * w[1] + b[0];
    double err = pred - y[i];
    l += err * err;
    m += std::fabs(err);
    g0 += 2 * err * x[2 * i];
    g1 += 2 * err * x[2 * i + 1];
    g2 += 2 * err;
  }
  *loss = static_cast<float>(l / n);
  *mae = static_cast<float>(m / n);
  if (gw) {
    gw[0] = static_cast<float>(g0 / n);
    gw[1] = static_cast<float>(g1 / n);
    *gb = static_cast<float>(g2 / n);
  }
}

int trainStep(void **a, abi::StepArena *) {
  double lr = *static_cast<double *>(a[0]);
  int n = *static_cast<int32_t *>(a[4]);
  if (!goodBatch(a[1], n, 2) || !goodBatch(a[5], n, 1))
    return -1;
  fakeTrainBatches().push_back(n);
  const float *w = host(a[2]), *b = host(a[6]);
  const float *vw = host(a[7]), *vb = host(a[10]);
  float *nw = host(a[3]), *nb = host(a[9]);
  float *nvw = host(a[8]), *nvb = host(a[11]);
  float gw[2], gb;
  forward(n, host(a[1]), host(a[5]), w, b, host(a[12]), host(a[13]), gw, &gb);
  for (int i = 0; i < 2; ++i) {
    nvw[i] = 0.9f * vw[i] + gw[i];
    nw[i] = w[i] - static_cast<float>(lr) * nvw[i];
  }
  nvb[0] = 0.9f * vb[0] + gb;
  nb[0] = b[0] - static_cast<float>(lr) * nvb[0];
  return 0;
}

int evalStep(void **a, abi::StepArena *) {
  int n = *static_cast<int32_t *>(a[1]);
  if (!goodBatch(a[2], n, 2))
    return -1;
  forward(n, host(a[2]), host(a[3]), host(a[4]), host(a[0]), host(a[6]),
          host(a[5]), nullptr, nullptr);
  return 0;
}

int predictStep(void **a, abi::StepArena *) {
  int n = *static_cast<int32_t *>(a[0]);
  if (!goodBatch(a[1], n, 2) || !goodBatch(a[4], n, 1))
    return -1;
  const float *x = host(a[1]), *w = host(a[2]), *b = host(a[3]);
  float *out = host(a[4]);
  for (int i = 0; i < n; ++i)
    out[i] = x[2 * i] * w[0] + x[2 * i + 1] * w[1] + b[0];
  return 0;
}

const halide_filter_metadata_t *trainMd() { return &kTrainMd; }
const halide_filter_metadata_t *evalMd() { return &kEvalMd; }
const halide_filter_metadata_t *predictMd() { return &kPredictMd; }

/// The descriptor's argument list of `md`. The fake metadata gives no
/// extents, so the shapes are of the right rank only.
std::string argumentsJson(const halide_filter_metadata_t &md) {
  std::string s = "[";
  for (int i = 0; i < md.num_arguments; ++i) {
    const halide_filter_argument_t &a = md.arguments[i];
    const char *kind = a.kind == halide_argument_kind_input_scalar   ? "scalar"
                       : a.kind == halide_argument_kind_input_buffer ? "input"
                                                                     : "output";
    const char *dtype = a.type == kI32 ? "i32" : a.type == kF64 ? "f64" : "f32";
    std::string shape;
    for (int d = 0; d < a.dimensions; ++d)
      shape += d ? ", 1" : "1";
    s += std::string(i ? ", " : "") + "{\"name\": \"" + a.name +
         "\", \"kind\": \"" + kind + "\", \"dtype\": \"" + dtype +
         "\", \"shape\": [" + shape + "]}";
  }
  return s + "]";
}

} // namespace

const char *fakeModelJson(bool withTrain) {
  static const char *kWithout = R"({
    "abi_version": 8,
    "model": "Lin", "file": "lin.lam",
    "inputs":  [{"name": "x", "arg": "in_x", "dtype": "f32", "shape": [-1, 2]}],
    "labels":  [{"name": "y", "arg": "lbl_y", "dtype": "f32", "shape": [-1, 1]}],
    "params":  [{"name": "w", "arg": "p_w", "dtype": "f32", "shape": [2, 1],
                 "init": {"kind": "uniform_fan_in", "fan_in": 2, "fan_out": 1,
                          "arg": 0.0, "data": []}},
                {"name": "b", "arg": "p_b", "dtype": "f32", "shape": [1],
                 "init": {"kind": "zeros", "fan_in": 2, "fan_out": 1,
                          "arg": 0.0, "data": []}}],
    "state":   [{"name": "w.velocity", "arg": "s_w_velocity", "dtype": "f32",
                 "shape": [2, 1]},
                {"name": "b.velocity", "arg": "s_b_velocity", "dtype": "f32",
                 "shape": [1]}],
    "outputs": [{"name": "pred", "arg": "out_pred", "dtype": "f32",
                 "shape": [-1, 1]}],
    "metrics": [{"name": "mae", "arg": "m_mae", "dtype": "f32", "shape": [], "finish": "rows"}],
    "has_loss": true, "loss_dtype": "f32")";
  static const std::string pipelines =
      ",\n    \"pipelines\": {\"lamina_train\": " + argumentsJson(kTrainMd) +
      ", \"lamina_eval\": " + argumentsJson(kEvalMd) +
      ", \"lamina_predict\": " + argumentsJson(kPredictMd) + "}";
  static const std::string without = kWithout + pipelines + "}";
  static const std::string with = kWithout + pipelines + R"(,
    "train": {"batch": 32, "epochs": 3, "lr": 0.05, "momentum": 0.9,
              "weight_decay": 0.0, "seed": 7, "validation_split": 0.0}
  })";
  return withTrain ? with.c_str() : without.c_str();
}

Pipelines fakePipelines() {
  Pipelines p;
  p.train = {"lamina_train", trainStep, trainMd};
  p.eval = {"lamina_eval", evalStep, evalMd};
  p.predict = {"lamina_predict", predictStep, predictMd};
  return p;
}

std::vector<int> &fakeTrainBatches() {
  static std::vector<int> batches;
  return batches;
}

} // namespace lamina::test
