//===- Model.cpp - The model descriptor and the generated pipelines -------===//

#include "lamina/Model.h"

#include "lamina/Buffer.h"
#include "lamina/Error.h"
#include "lamina/abi/StepArena.h"

#include <HalideRuntime.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <map>

namespace lamina {

using nlohmann::json;
namespace key = abi::key;

std::optional<InitKind> parseInitKind(std::string_view name) {
  static const std::pair<const char *, InitKind> kinds[] = {
      {"uniform_fan_in", InitKind::UniformFanIn},
      {"normal", InitKind::Normal},
      {"xavier", InitKind::Xavier},
      {"he", InitKind::He},
      {"zeros", InitKind::Zeros},
      {"constant", InitKind::Constant},
      {"data", InitKind::Data}};
  for (const auto &[spelling, kind] : kinds)
    if (name == spelling)
      return kind;
  return std::nullopt;
}

Shape TensorSpec::sampleShape() const {
  if (shape.empty() || shape[0] != abi::kBatch)
    return shape;
  return Shape(shape.begin() + 1, shape.end());
}

int64_t TensorSpec::sampleNumel() const { return numElements(sampleShape()); }

Shape MetricSpec::statsShape() const {
  if (finish == abi::MetricFinish::Rows)
    return {};
  return {abi::metricStatsSize(finish, classes)};
}

Shape TensorSpec::withBatch(int64_t batch) const {
  Shape s = shape;
  if (!s.empty() && s[0] == abi::kBatch)
    s[0] = batch;
  return s;
}

std::string TensorSpec::describe() const {
  std::string s = name + " " + dtypeName(dtype) + "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += ", ";
    s += shape[i] == abi::kBatch ? std::string("batch")
                                 : std::to_string(shape[i]);
  }
  return s + "]";
}

int64_t ModelDesc::parameterCount() const {
  int64_t n = 0;
  for (const TensorSpec &p : params)
    n += numElements(p.shape);
  return n;
}

//===----------------------------------------------------------------------===//
// Descriptor parsing
//===----------------------------------------------------------------------===//

[[noreturn]] static void fail(const std::string &where,
                              const std::string &what) {
  throw Error("invalid model descriptor: " + where + ": " + what +
              " (the executable is broken; rebuild it with laminac)");
}

static const json &member(const json &obj, const char *key,
                          const std::string &where) {
  auto it = obj.find(key);
  if (it == obj.end())
    fail(where, std::string("missing field '") + key + "'");
  return *it;
}

static std::string getString(const json &obj, const char *key,
                             const std::string &where) {
  const json &v = member(obj, key, where);
  if (!v.is_string())
    fail(where + "." + key, "expected a string");
  return v.get<std::string>();
}

static double getNumber(const json &v, const std::string &where) {
  if (!v.is_number())
    fail(where, "expected a number");
  return v.get<double>();
}

static int64_t getInteger(const json &v, const std::string &where) {
  if (!v.is_number_integer())
    fail(where, "expected an integer");
  return v.get<int64_t>();
}

static InitSpec parseInit(const json &j, const std::string &where,
                          const Shape &shape) {
  InitSpec init;
  if (!j.is_object())
    fail(where, "expected an object");
  std::string kind = getString(j, key::kKind, where);
  std::optional<InitKind> k = parseInitKind(kind);
  if (!k)
    fail(where + ".kind", "unknown init kind '" + kind + "'");
  init.kind = *k;
  if (auto it = j.find(key::kFanIn); it != j.end())
    init.fanIn = getInteger(*it, where + ".fan_in");
  if (auto it = j.find(key::kFanOut); it != j.end())
    init.fanOut = getInteger(*it, where + ".fan_out");
  if (auto it = j.find(key::kInitArg); it != j.end())
    init.arg = getNumber(*it, where + ".arg");
  if (auto it = j.find(key::kInitData); it != j.end()) {
    if (!it->is_array())
      fail(where + ".data", "expected an array of numbers");
    for (size_t i = 0; i < it->size(); ++i)
      init.data.push_back(
          getNumber((*it)[i], where + ".data[" + std::to_string(i) + "]"));
  }
  bool needsFanIn = init.kind == InitKind::UniformFanIn ||
                    init.kind == InitKind::Xavier || init.kind == InitKind::He;
  if (needsFanIn && init.fanIn <= 0)
    fail(where + ".fan_in", "must be positive for init '" + kind + "'");
  if (init.kind == InitKind::Xavier && init.fanOut < 0)
    fail(where + ".fan_out", "must not be negative");
  if (init.kind == InitKind::Data &&
      static_cast<int64_t>(init.data.size()) != numElements(shape))
    fail(where + ".data", "has " + std::to_string(init.data.size()) +
                              " values but the parameter has " +
                              std::to_string(numElements(shape)) + " elements");
  return init;
}

/// The dtype spelled under `field` of `j`.
static DType getDType(const json &j, const char *field,
                      const std::string &where) {
  std::string dtype = getString(j, field, where);
  std::optional<DType> dt = parseDType(dtype);
  if (!dt)
    fail(where + "." + field, "unknown dtype '" + dtype + "'");
  return *dt;
}

/// The argument name of a tensor: its `arg`, else `defaultArg` of its
/// sanitized name.
static std::string
getArg(const json &j, const std::string &name,
       std::string (*defaultArg)(const std::string &sanitized)) {
  if (auto it = j.find(key::kArg); it != j.end() && it->is_string())
    return it->get<std::string>();
  return defaultArg(abi::sanitize(name));
}

/// The naming rule of each tensor list.
static std::string inputArg(const std::string &n) {
  return abi::argumentName(abi::Role::Input, n);
}
static std::string labelArg(const std::string &n) {
  return abi::argumentName(abi::Role::Label, n);
}
static std::string paramArg(const std::string &n) {
  return abi::argumentName(abi::Role::Parameter, n);
}
static std::string stateArg(const std::string &n) {
  return abi::argumentName(abi::Role::OptimizerState, n);
}
static std::string nonTrainableArg(const std::string &n) {
  return abi::argumentName(abi::Role::NonTrainableState, n);
}

/// Where a tensor entry may have the batch (-1): inputs and labels have it
/// first, outputs first or not at all (an output of the parameters only,
/// written once per predict), the others nowhere.
enum class BatchDim { None, Leading, Optional };

/// Parses one tensor entry.
static TensorSpec parseTensor(const json &j, const std::string &where,
                              std::string (*defaultArg)(const std::string &),
                              BatchDim batchDim, bool hasInit) {
  bool batched = batchDim != BatchDim::None;
  if (!j.is_object())
    fail(where, "expected an object");
  TensorSpec t;
  t.name = getString(j, key::kName, where);
  if (t.name.empty())
    fail(where + ".name", "must not be empty");
  t.arg = getArg(j, t.name, defaultArg);
  t.dtype = getDType(j, key::kDType, where);
  const json &shape = member(j, key::kShape, where);
  if (!shape.is_array())
    fail(where + ".shape", "expected an array of integers");
  for (size_t i = 0; i < shape.size(); ++i) {
    int64_t d =
        getInteger(shape[i], where + ".shape[" + std::to_string(i) + "]");
    bool isBatch = batched && i == 0 && d == abi::kBatch;
    if (d < 0 && !isBatch)
      fail(where + ".shape",
           batched ? "only the first dimension may be -1 (the batch)"
                   : "extents must not be negative");
    t.shape.push_back(d);
  }
  if (batchDim == BatchDim::Leading &&
      (t.shape.empty() || t.shape[0] != abi::kBatch))
    fail(where + ".shape", "must start with -1 (the batch dimension)");
  if (auto it = j.find(key::kClasses); it != j.end()) {
    t.classes = getInteger(*it, where + ".classes");
    if (t.classes < 0)
      fail(where + ".classes", "must not be negative");
  }
  if (hasInit) {
    if (auto it = j.find(key::kInit); it != j.end())
      t.init = parseInit(*it, where + ".init", t.shape);
  }
  return t;
}

static std::vector<TensorSpec>
parseTensors(const json &root, const char *field,
             std::string (*defaultArg)(const std::string &), BatchDim batchDim,
             bool hasInit, bool required) {
  std::vector<TensorSpec> out;
  auto it = root.find(field);
  if (it == root.end() || it->is_null()) {
    if (required)
      fail(field, "missing");
    return out;
  }
  if (!it->is_array())
    fail(field, "expected an array");
  for (size_t i = 0; i < it->size(); ++i)
    out.push_back(parseTensor(
        (*it)[i], std::string(field) + "[" + std::to_string(i) + "]",
        defaultArg, batchDim, hasInit));
  return out;
}

static TrainDefaults parseTrain(const json &j) {
  TrainDefaults t;
  if (!j.is_object())
    fail("train", "expected an object");
  if (auto it = j.find(key::kBatch); it != j.end() && !it->is_null()) {
    t.batch = getInteger(*it, "train.batch");
    if (*t.batch <= 0)
      fail("train.batch", "must be positive");
  }
  if (auto it = j.find(key::kEpochs); it != j.end() && !it->is_null()) {
    t.epochs = getInteger(*it, "train.epochs");
    if (*t.epochs < 0)
      fail("train.epochs", "must not be negative");
  }
  if (auto it = j.find(key::kLr); it != j.end() && !it->is_null())
    t.lr = getNumber(*it, "train.lr");
  if (auto it = j.find(key::kOptimizer); it != j.end() && !it->is_null())
    t.optimizer = getString(j, key::kOptimizer, "train");
  if (auto it = j.find(key::kEarlyStopping); it != j.end() && !it->is_null()) {
    std::string where = "train.early_stopping";
    if (!it->is_object())
      fail(where, "expected an object");
    t.earlyStop.monitor = getString(*it, key::kMonitor, where);
    t.earlyStop.patience =
        getInteger(member(*it, key::kPatience, where), where + ".patience");
    t.earlyStop.minDelta =
        getNumber(member(*it, key::kMinDelta, where), where + ".min_delta");
    if (t.earlyStop.monitor.empty() || t.earlyStop.patience < 1 ||
        !(t.earlyStop.minDelta >= 0))
      fail(where, "needs a monitor, a patience of 1 or more and a "
                  "non-negative min_delta");
  }
  if (auto it = j.find(key::kSchedule); it != j.end() && !it->is_null()) {
    const json &s = *it;
    std::string where = "train.schedule";
    if (!s.is_object())
      fail(where, "expected an object");
    ScheduleSpec &sc = t.schedule;
    sc.kind = getString(s, key::kKind, where);
    if (sc.kind != "step_decay" && sc.kind != "exponential" &&
        sc.kind != "cosine" && sc.kind != "plateau")
      fail(where + ".kind", "unknown schedule '" + sc.kind + "'");
    auto integer = [&](const char *k, int64_t least) {
      int64_t v = getInteger(member(s, k, where), where + "." + k);
      if (v < least)
        fail(where + "." + k, "must be at least " + std::to_string(least));
      return v;
    };
    sc.every = integer(key::kEvery, sc.kind == "step_decay" ? 1 : 0);
    sc.epochs = integer(key::kEpochs, sc.kind == "cosine" ? 1 : 0);
    sc.patience = integer(key::kPatience, 0);
    sc.warmup = integer(key::kWarmup, 0);
    sc.gamma = getNumber(member(s, key::kGamma, where), where + ".gamma");
    sc.minLr = getNumber(member(s, key::kMinLr, where), where + ".min_lr");
    sc.factor = getNumber(member(s, key::kFactor, where), where + ".factor");
  }
  if (auto it = j.find(key::kSeed); it != j.end() && !it->is_null()) {
    if (!it->is_number_integer())
      fail("train.seed", "expected an integer");
    t.seed = it->is_number_unsigned()
                 ? it->get<uint64_t>()
                 : static_cast<uint64_t>(it->get<int64_t>());
  }
  if (auto it = j.find(key::kClipNorm); it != j.end() && !it->is_null()) {
    t.clipNorm = getNumber(*it, "train.clip_norm");
    if (!(t.clipNorm > 0.0))
      fail("train.clip_norm", "must be positive");
  }
  if (auto it = j.find(key::kValidationSplit);
      it != j.end() && !it->is_null()) {
    t.validationSplit = getNumber(*it, "train.validation_split");
    if (!(t.validationSplit >= 0.0 && t.validationSplit < 1.0))
      fail("train.validation_split", "must be in [0, 1)");
  }
  return t;
}

/// Checks the descriptor's version before anything else: a descriptor of
/// another version may mean anything by its other keys.
static void checkVersion(const json &root) {
  auto it = root.find(key::kVersion);
  std::string version = it == root.end() ? std::string("without a version")
                        : it->is_number_integer()
                            ? "version " + std::to_string(it->get<int64_t>())
                            : "version " + it->dump();
  if (it != root.end() && it->is_number_integer() &&
      it->get<int64_t>() == abi::kDescriptorVersion)
    return;
  throw Error("model descriptor " + version + ", this runtime reads version " +
              std::to_string(abi::kDescriptorVersion) +
              ": rebuild the executable with the laminac of this runtime");
}

/// One entry of a pipeline's argument list.
static ArgumentSpec parseArgument(const json &j, const std::string &where) {
  if (!j.is_object())
    fail(where, "expected an object");
  ArgumentSpec a;
  a.name = getString(j, key::kName, where);
  std::string kind = getString(j, key::kKind, where);
  std::optional<abi::ArgKind> k = abi::parseArgKind(kind);
  if (!k)
    fail(where + ".kind", "unknown argument kind '" + kind + "'");
  a.kind = *k;
  a.dtype = getDType(j, key::kDType, where);
  const json &shape = member(j, key::kShape, where);
  if (!shape.is_array())
    fail(where + ".shape", "expected an array of integers");
  for (size_t i = 0; i < shape.size(); ++i)
    a.shape.push_back(
        getInteger(shape[i], where + ".shape[" + std::to_string(i) + "]"));
  if (a.kind == abi::ArgKind::Scalar && !a.shape.empty())
    fail(where + ".shape", "a scalar has no extents");
  return a;
}

ModelDesc ModelDesc::parse(std::string_view text) {
  json root;
  try {
    root = json::parse(text.begin(), text.end());
  } catch (const json::parse_error &e) {
    fail("JSON", e.what());
  }
  if (!root.is_object())
    fail("top level", "expected an object");
  checkVersion(root);
  ModelDesc m;
  m.name = getString(root, key::kModel, "top level");
  if (auto it = root.find(key::kFile); it != root.end() && it->is_string())
    m.file = it->get<std::string>();
  m.inputs = parseTensors(root, key::kInputs, inputArg, BatchDim::Leading,
                          false, true);
  m.labels = parseTensors(root, key::kLabels, labelArg, BatchDim::Leading,
                          false, false);
  m.params = parseTensors(root, abi::stateKey(abi::StateKind::Parameter),
                          paramArg, BatchDim::None, true, false);
  m.state = parseTensors(root, abi::stateKey(abi::StateKind::Optimizer),
                         stateArg, BatchDim::None, false, false);
  m.nonTrainable =
      parseTensors(root, abi::stateKey(abi::StateKind::NonTrainable),
                   nonTrainableArg, BatchDim::None, true, false);
  m.outputs = parseTensors(root, key::kOutputs, abi::outputArgumentName,
                           BatchDim::Optional, false, true);
  if (auto it = root.find(key::kMetrics); it != root.end() && !it->is_null()) {
    if (!it->is_array())
      fail(key::kMetrics, "expected an array");
    for (size_t i = 0; i < it->size(); ++i) {
      const json &mj = (*it)[i];
      std::string where = "metrics[" + std::to_string(i) + "]";
      if (!mj.is_object())
        fail(where, "expected an object");
      MetricSpec ms;
      ms.name = getString(mj, key::kName, where);
      ms.arg = getArg(mj, ms.name, abi::metricArgumentName);
      ms.dtype = getDType(mj, key::kDType, where);
      std::string finish = getString(mj, key::kFinish, where);
      std::optional<abi::MetricFinish> f = abi::metricFinishNamed(finish);
      if (!f)
        fail(where + ".finish", "unknown metric finish '" + finish + "'");
      ms.finish = *f;
      if (abi::isConfusion(ms.finish)) {
        ms.classes =
            getInteger(member(mj, key::kClasses, where), where + ".classes");
        if (ms.classes < 1 || ms.classes > 1 << 15)
          fail(where + ".classes", "must be between 1 and 32768");
      }
      // The stats' layout: one value of the metric's dtype for `rows`, else
      // f64[metricStatsSize].
      const json &shape = member(mj, key::kShape, where);
      bool rows = ms.finish == abi::MetricFinish::Rows;
      json expected =
          rows ? json::array()
               : json::array({abi::metricStatsSize(ms.finish, ms.classes)});
      if (shape != expected || (!rows && ms.dtype != DType::F64))
        fail(where, "the stats of finish '" + finish + "' are " +
                        (rows ? "one value" : "f64" + expected.dump()) +
                        ", got " + dtypeName(ms.dtype) + shape.dump());
      m.metrics.push_back(std::move(ms));
    }
  }
  if (auto it = root.find(key::kHasLoss); it != root.end()) {
    if (!it->is_boolean())
      fail(key::kHasLoss, "expected true or false");
    m.hasLoss = it->get<bool>();
  }
  if (auto it = root.find(key::kStepKey); it != root.end()) {
    if (!it->is_boolean())
      fail(key::kStepKey, "expected true or false");
    m.stepKey = it->get<bool>();
  }
  if (m.hasLoss)
    m.lossDType = getDType(root, key::kLossDType, "top level");
  if (auto it = root.find(key::kTrain); it != root.end() && !it->is_null())
    m.train = parseTrain(*it);
  const json &pipelines = member(root, key::kPipelines, "top level");
  if (!pipelines.is_object())
    fail(key::kPipelines, "expected an object");
  for (const auto &[name, list] : pipelines.items()) {
    std::string where = std::string(key::kPipelines) + "." + name;
    if (!list.is_array())
      fail(where, "expected an array");
    std::vector<ArgumentSpec> &args = m.pipelines[name];
    for (size_t i = 0; i < list.size(); ++i) {
      args.push_back(
          parseArgument(list[i], where + "[" + std::to_string(i) + "]"));
      const ArgumentSpec &a = args.back();
      // lamina_gradcheck computes everything in f64.
      if (m.hasLoss && a.name == abi::kLossArgument && a.dtype != m.lossDType &&
          name != "lamina_gradcheck")
        fail(where + "." + a.name, std::string("is ") + dtypeName(a.dtype) +
                                       " but loss_dtype is " +
                                       dtypeName(m.lossDType));
    }
  }

  // Argument names must be unique across the model, or a binding would be
  // ambiguous. Checkpoints are keyed by parameter and state names.
  std::map<std::string, std::string> seenArgs, seenNames;
  auto claim = [&](std::map<std::string, std::string> &seen,
                   const std::string &key, const std::string &owner) {
    auto [it, inserted] = seen.emplace(key, owner);
    if (!inserted)
      fail(owner, "name '" + key + "' is also used by " + it->second);
  };
  for (auto *list :
       {&m.inputs, &m.labels, &m.params, &m.state, &m.nonTrainable, &m.outputs})
    for (const TensorSpec &t : *list)
      claim(seenArgs, t.arg, "tensor '" + t.name + "'");
  for (const MetricSpec &ms : m.metrics)
    claim(seenArgs, ms.arg, "metric '" + ms.name + "'");
  for (auto *list : {&m.params, &m.state, &m.nonTrainable})
    for (const TensorSpec &t : *list)
      claim(seenNames, t.name, "tensor '" + t.name + "'");
  return m;
}

//===----------------------------------------------------------------------===//
// Pipeline calls
//===----------------------------------------------------------------------===//

size_t PipelineArgs::setInt32(std::string name, int32_t value) {
  Entry e{std::move(name), Kind::Int32};
  e.i32 = value;
  entries_.push_back(std::move(e));
  return entries_.size() - 1;
}

size_t PipelineArgs::setFloat64(std::string name, double value) {
  Entry e{std::move(name), Kind::Float64};
  e.f64 = value;
  entries_.push_back(std::move(e));
  return entries_.size() - 1;
}

size_t PipelineArgs::setInput(std::string name, const Tensor &t, int64_t rows) {
  Entry e{std::move(name), Kind::Input};
  e.tensor = &t;
  e.rows = rows;
  entries_.push_back(std::move(e));
  return entries_.size() - 1;
}

size_t PipelineArgs::setOutput(std::string name, Tensor &t, int64_t rows) {
  Entry e{std::move(name), Kind::Output};
  e.tensor = &t;
  e.rows = rows;
  entries_.push_back(std::move(e));
  return entries_.size() - 1;
}

void PipelineArgs::setInt32At(size_t slot, int32_t value) {
  assert(entries_.at(slot).kind == Kind::Int32 && "not an int32 slot");
  entries_[slot].i32 = value;
}

void PipelineArgs::setFloat64At(size_t slot, double value) {
  assert(entries_.at(slot).kind == Kind::Float64 && "not a float64 slot");
  entries_[slot].f64 = value;
}

void PipelineArgs::setTensorAt(size_t slot, const Tensor &t, int64_t rows) {
  Entry &e = entries_.at(slot);
  assert((e.kind == Kind::Input || e.kind == Kind::Output) &&
         e.tensor->dtype() == t.dtype() && e.tensor->rank() == t.rank() &&
         "a slot keeps its kind, dtype and rank");
  e.tensor = &t;
  e.rows = rows;
}

static std::string typeName(halide_type_t t) {
  std::string base;
  switch (t.code) {
  case halide_type_int:
    base = "int";
    break;
  case halide_type_uint:
    base = "uint";
    break;
  case halide_type_float:
    base = "float";
    break;
  case halide_type_handle:
    return "handle";
  default:
    base = "type" + std::to_string(static_cast<int>(t.code)) + "_";
    break;
  }
  return base + std::to_string(t.bits);
}

static std::string describeArgument(const halide_filter_argument_t &a) {
  switch (a.kind) {
  case halide_argument_kind_input_scalar:
    return typeName(a.type) + " scalar";
  case halide_argument_kind_input_buffer:
    return std::to_string(a.dimensions) + "-D " + typeName(a.type) +
           " input buffer";
  case halide_argument_kind_output_buffer:
    return std::to_string(a.dimensions) + "-D " + typeName(a.type) +
           " output buffer";
  default:
    return "argument of unknown kind " + std::to_string(a.kind);
  }
}

static std::string describeEntry(const PipelineArgs::Entry &e) {
  switch (e.kind) {
  case PipelineArgs::Kind::Int32:
    return "int32 scalar";
  case PipelineArgs::Kind::Float64:
    return "float64 scalar";
  case PipelineArgs::Kind::Input:
  case PipelineArgs::Kind::Output:
    return std::to_string(e.tensor->rank()) + "-D " +
           typeName(halideType(e.tensor->dtype())) +
           (e.kind == PipelineArgs::Kind::Input ? " input buffer"
                                                : " output buffer") +
           " (" + formatType(e.tensor->dtype(), e.tensor->shape()) + ")";
  }
  return "?";
}

static bool matches(const halide_filter_argument_t &a,
                    const PipelineArgs::Entry &e) {
  if (a.type.lanes != 1)
    return false;
  switch (e.kind) {
  case PipelineArgs::Kind::Int32:
    return a.kind == halide_argument_kind_input_scalar &&
           a.type == halide_type_t(halide_type_int, 32);
  case PipelineArgs::Kind::Float64:
    return a.kind == halide_argument_kind_input_scalar &&
           a.type == halide_type_t(halide_type_float, 64);
  case PipelineArgs::Kind::Input:
  case PipelineArgs::Kind::Output: {
    int32_t kind = e.kind == PipelineArgs::Kind::Input
                       ? halide_argument_kind_input_buffer
                       : halide_argument_kind_output_buffer;
    return a.kind == kind && a.dimensions == e.tensor->rank() &&
           a.type == halideType(e.tensor->dtype());
  }
  }
  return false;
}

// Halide adds this argument when a pipeline is compiled with user_context.
static constexpr const char *kUserContext = "__user_context";

/// The name an argument is bound by. Halide makes Func names unique within a
/// process by appending "$<n>", so when laminac builds lamina_train and then
/// lamina_eval, the second pipeline's `loss` output is named `loss$1`. Param
/// and ImageParam names are kept as given.
static std::string bindingName(const char *metadataName) {
  std::string name = metadataName ? metadataName : "";
  size_t dollar = name.rfind('$');
  if (dollar != std::string::npos && dollar + 1 < name.size() &&
      name.find_first_not_of("0123456789", dollar + 1) == std::string::npos)
    name.resize(dollar);
  return name;
}

/// The error for a pipeline whose pieces disagree with the runtime.
static Error mismatch(const Pipeline &p, const std::string &what) {
  return Error(std::string("pipeline '") + p.name + "': " + what +
               "; the runtime and the generated code disagree (rebuild the "
               "executable with a matching laminac)");
}

/// The metadata of `p`, or an Error if the executable lacks it.
static const halide_filter_metadata_t &metadataOf(const Pipeline &p) {
  if (!p.available())
    throw Error(std::string("this executable has no '") + p.name +
                "' pipeline, although its model needs one (rebuild it with "
                "laminac)");
  const halide_filter_metadata_t *md = p.metadata();
  if (!md || md->num_arguments < 0 || (md->num_arguments && !md->arguments))
    throw mismatch(p, "no argument metadata");
  return *md;
}

static bool isUserContext(const halide_filter_argument_t &a) {
  return a.name && a.name == std::string_view(kUserContext) &&
         a.kind == halide_argument_kind_input_scalar;
}

BoundPipeline::BoundPipeline(const Pipeline &p, const PipelineArgs &layout)
    : pipeline_(p), slots_(layout.entries().size()), resolved_(true) {
  const halide_filter_metadata_t &md = metadataOf(p);
  // Names are matched here, once; call() fills the arguments by index.
  const auto &entries = layout.entries();
  std::map<std::string, int> byName;
  for (size_t i = 0; i < entries.size(); ++i)
    if (!byName.emplace(entries[i].name, static_cast<int>(i)).second)
      throw mismatch(p, "argument '" + entries[i].name + "' is bound twice");

  std::vector<bool> used(entries.size(), false);
  for (int i = 0; i < md.num_arguments; ++i) {
    const halide_filter_argument_t &a = md.arguments[i];
    if (isUserContext(a)) {
      order_.push_back(-1);
      continue;
    }
    std::string name = bindingName(a.name);
    auto it = byName.find(name);
    if (it == byName.end())
      throw mismatch(p, "it takes argument '" + name + "' (" +
                            describeArgument(a) +
                            ") that the runtime does not provide");
    const PipelineArgs::Entry &e = entries[it->second];
    if (!matches(a, e))
      throw mismatch(p, "argument '" + name + "' is a " + describeArgument(a) +
                            " but the runtime passes a " + describeEntry(e));
    if (used[it->second])
      throw mismatch(p, "two of its arguments are bound by the name '" + name +
                            "'");
    used[it->second] = true;
    order_.push_back(it->second);
  }
  for (size_t i = 0; i < entries.size(); ++i)
    if (!used[i])
      throw mismatch(p, "it has no argument '" + entries[i].name +
                            "' (the runtime passes a " +
                            describeEntry(entries[i]) + ")");
}

BoundPipeline::BoundPipeline() = default;
BoundPipeline::~BoundPipeline() = default;
BoundPipeline::BoundPipeline(BoundPipeline &&) noexcept = default;
BoundPipeline &BoundPipeline::operator=(BoundPipeline &&) noexcept = default;

int BoundPipeline::call(const PipelineArgs &args) {
  assert(resolved_ && "call of an unresolved pipeline");
  const auto &entries = args.entries();
  assert(entries.size() == slots_ && "the arguments differ from the layout");
  // Sized by the first call and reused: argv_ holds pointers into views_,
  // ints_ and doubles_, and nothing reallocates them after the reserve.
  views_.clear();
  views_.reserve(entries.size());
  ints_.resize(entries.size());
  doubles_.resize(entries.size());
  argv_.clear();
  argv_.reserve(order_.size());
  void *userContext = nullptr;
  for (int idx : order_) {
    if (idx < 0) {
      argv_.push_back(&userContext);
      continue;
    }
    const PipelineArgs::Entry &e = entries[idx];
    switch (e.kind) {
    case PipelineArgs::Kind::Int32:
      ints_[idx] = e.i32;
      argv_.push_back(&ints_[idx]);
      break;
    case PipelineArgs::Kind::Float64:
      doubles_[idx] = e.f64;
      argv_.push_back(&doubles_[idx]);
      break;
    case PipelineArgs::Kind::Input:
    case PipelineArgs::Kind::Output:
      views_.emplace_back(*e.tensor, e.rows);
      argv_.push_back(views_.back().get());
      break;
    }
  }
  if (!arena_)
    arena_ = std::make_unique<abi::StepArena>();
  return pipeline_.step(argv_.data(), arena_.get());
}

int callPipeline(const Pipeline &p, const PipelineArgs &args) {
  return BoundPipeline(p, args).call(args);
}

/// "2-D f32 input buffer" for an argument of the descriptor.
static std::string describeSpec(const ArgumentSpec &a) {
  if (a.kind == abi::ArgKind::Scalar)
    return typeName(halideType(a.dtype)) + " scalar";
  return std::to_string(a.shape.size()) + "-D " +
         typeName(halideType(a.dtype)) + " " + abi::argKindName(a.kind) +
         " buffer";
}

static bool agrees(const halide_filter_argument_t &a, const ArgumentSpec &s) {
  int32_t kind =
      s.kind == abi::ArgKind::Scalar  ? halide_argument_kind_input_scalar
      : s.kind == abi::ArgKind::Input ? halide_argument_kind_input_buffer
                                      : halide_argument_kind_output_buffer;
  return bindingName(a.name) == s.name && a.kind == kind &&
         a.type == halideType(s.dtype) &&
         a.dimensions == static_cast<int32_t>(s.shape.size());
}

void checkPipelines(const ModelDesc &model, const Pipelines &pipelines) {
  for (const Pipeline *p :
       {&pipelines.train, &pipelines.eval, &pipelines.predict,
        &pipelines.trainGrad, &pipelines.trainUpdate, &pipelines.gradCheck}) {
    if (!p->available())
      continue;
    const halide_filter_metadata_t &md = metadataOf(*p);
    auto it = model.pipelines.find(p->name);
    if (it == model.pipelines.end())
      throw mismatch(*p, "the model descriptor lists no arguments for it");
    const std::vector<ArgumentSpec> &specs = it->second;
    std::vector<const halide_filter_argument_t *> args;
    for (int i = 0; i < md.num_arguments; ++i)
      if (!isUserContext(md.arguments[i]))
        args.push_back(&md.arguments[i]);
    for (size_t i = 0; i < std::max(args.size(), specs.size()); ++i) {
      std::string inMd = i < args.size()
                             ? "'" + bindingName(args[i]->name) + "' (" +
                                   describeArgument(*args[i]) + ")"
                             : "absent";
      std::string inDesc = i < specs.size() ? "'" + specs[i].name + "' (" +
                                                  describeSpec(specs[i]) + ")"
                                            : "absent";
      if (i >= args.size() || i >= specs.size() || !agrees(*args[i], specs[i]))
        throw mismatch(*p, "argument " + std::to_string(i) + " is " + inMd +
                               " in its metadata but " + inDesc +
                               " in the model descriptor");
    }
  }
}

} // namespace lamina
