//===- Model.cpp - The model descriptor and the generated pipelines -------===//

#include "lamina/Model.h"

#include "lamina/Buffer.h"
#include "lamina/Error.h"

#include <HalideRuntime.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <cmath>
#include <cstring>
#include <map>

namespace lamina {

using nlohmann::json;

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
  if (shape.empty() || shape[0] != -1)
    return shape;
  return Shape(shape.begin() + 1, shape.end());
}

Shape TensorSpec::withBatch(int64_t batch) const {
  Shape s = shape;
  if (!s.empty() && s[0] == -1)
    s[0] = batch;
  return s;
}

std::string TensorSpec::describe() const {
  std::string s = name + " " + dtypeName(dtype) + "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += ", ";
    s += shape[i] == -1 ? std::string("batch") : std::to_string(shape[i]);
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

/// Turns `h1.weight` into `h1_weight`, as laminac does for argument names.
static std::string sanitize(const std::string &name) {
  std::string s = name;
  for (char &c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)))
      c = '_';
  return s;
}

static InitSpec parseInit(const json &j, const std::string &where,
                          const Shape &shape) {
  InitSpec init;
  if (!j.is_object())
    fail(where, "expected an object");
  std::string kind = getString(j, "kind", where);
  std::optional<InitKind> k = parseInitKind(kind);
  if (!k)
    fail(where + ".kind", "unknown init kind '" + kind + "'");
  init.kind = *k;
  if (auto it = j.find("fan_in"); it != j.end())
    init.fanIn = getInteger(*it, where + ".fan_in");
  if (auto it = j.find("fan_out"); it != j.end())
    init.fanOut = getInteger(*it, where + ".fan_out");
  if (auto it = j.find("arg"); it != j.end())
    init.arg = getNumber(*it, where + ".arg");
  if (auto it = j.find("data"); it != j.end()) {
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

/// Parses one tensor entry. `batched` entries (inputs, labels, outputs) have
/// -1 first; the others have only non-negative extents.
static TensorSpec parseTensor(const json &j, const std::string &where,
                              const char *argPrefix, bool batched,
                              bool hasInit) {
  if (!j.is_object())
    fail(where, "expected an object");
  TensorSpec t;
  t.name = getString(j, "name", where);
  if (t.name.empty())
    fail(where + ".name", "must not be empty");
  if (auto it = j.find("arg"); it != j.end() && it->is_string())
    t.arg = it->get<std::string>();
  else
    t.arg = argPrefix + sanitize(t.name);
  std::string dtype = getString(j, "dtype", where);
  std::optional<DType> dt = parseDType(dtype);
  if (!dt)
    fail(where + ".dtype", "unknown dtype '" + dtype + "'");
  t.dtype = *dt;
  const json &shape = member(j, "shape", where);
  if (!shape.is_array())
    fail(where + ".shape", "expected an array of integers");
  for (size_t i = 0; i < shape.size(); ++i) {
    int64_t d =
        getInteger(shape[i], where + ".shape[" + std::to_string(i) + "]");
    bool isBatch = batched && i == 0 && d == -1;
    if (d < 0 && !isBatch)
      fail(where + ".shape",
           batched ? "only the first dimension may be -1 (the batch)"
                   : "extents must not be negative");
    t.shape.push_back(d);
  }
  if (batched && (t.shape.empty() || t.shape[0] != -1))
    fail(where + ".shape", "must start with -1 (the batch dimension)");
  if (auto it = j.find("classes"); it != j.end()) {
    t.classes = getInteger(*it, where + ".classes");
    if (t.classes < 0)
      fail(where + ".classes", "must not be negative");
  }
  if (hasInit) {
    if (auto it = j.find("init"); it != j.end())
      t.init = parseInit(*it, where + ".init", t.shape);
  }
  return t;
}

static std::vector<TensorSpec> parseTensors(const json &root, const char *key,
                                            const char *argPrefix, bool batched,
                                            bool hasInit, bool required) {
  std::vector<TensorSpec> out;
  auto it = root.find(key);
  if (it == root.end() || it->is_null()) {
    if (required)
      fail(key, "missing");
    return out;
  }
  if (!it->is_array())
    fail(key, "expected an array");
  for (size_t i = 0; i < it->size(); ++i)
    out.push_back(parseTensor((*it)[i],
                              std::string(key) + "[" + std::to_string(i) + "]",
                              argPrefix, batched, hasInit));
  return out;
}

static TrainDefaults parseTrain(const json &j) {
  TrainDefaults t;
  if (!j.is_object())
    fail("train", "expected an object");
  if (auto it = j.find("batch"); it != j.end() && !it->is_null()) {
    t.batch = getInteger(*it, "train.batch");
    if (*t.batch <= 0)
      fail("train.batch", "must be positive");
  }
  if (auto it = j.find("epochs"); it != j.end() && !it->is_null()) {
    t.epochs = getInteger(*it, "train.epochs");
    if (*t.epochs < 0)
      fail("train.epochs", "must not be negative");
  }
  if (auto it = j.find("lr"); it != j.end() && !it->is_null())
    t.lr = getNumber(*it, "train.lr");
  if (auto it = j.find("seed"); it != j.end() && !it->is_null()) {
    if (!it->is_number_integer())
      fail("train.seed", "expected an integer");
    t.seed = it->is_number_unsigned()
                 ? it->get<uint64_t>()
                 : static_cast<uint64_t>(it->get<int64_t>());
  }
  if (auto it = j.find("validation_split"); it != j.end() && !it->is_null()) {
    t.validationSplit = getNumber(*it, "train.validation_split");
    if (!(t.validationSplit >= 0.0 && t.validationSplit < 1.0))
      fail("train.validation_split", "must be in [0, 1)");
  }
  return t;
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
  ModelDesc m;
  m.name = getString(root, "model", "top level");
  if (auto it = root.find("file"); it != root.end() && it->is_string())
    m.file = it->get<std::string>();
  m.inputs = parseTensors(root, "inputs", "in_", true, false, true);
  m.labels = parseTensors(root, "labels", "lbl_", true, false, false);
  m.params = parseTensors(root, "params", "p_", false, true, false);
  m.state = parseTensors(root, "state", "s_", false, false, false);
  m.outputs = parseTensors(root, "outputs", "out_", true, false, true);
  if (auto it = root.find("metrics"); it != root.end() && !it->is_null()) {
    if (!it->is_array())
      fail("metrics", "expected an array");
    for (size_t i = 0; i < it->size(); ++i) {
      const json &mj = (*it)[i];
      std::string where = "metrics[" + std::to_string(i) + "]";
      if (!mj.is_object())
        fail(where, "expected an object");
      MetricSpec ms;
      ms.name = getString(mj, "name", where);
      if (auto a = mj.find("arg"); a != mj.end() && a->is_string())
        ms.arg = a->get<std::string>();
      else
        ms.arg = "m_" + sanitize(ms.name);
      m.metrics.push_back(std::move(ms));
    }
  }
  if (auto it = root.find("has_loss"); it != root.end()) {
    if (!it->is_boolean())
      fail("has_loss", "expected true or false");
    m.hasLoss = it->get<bool>();
  }
  if (auto it = root.find("train"); it != root.end() && !it->is_null())
    m.train = parseTrain(*it);

  // Argument names must be unique across the model, or a binding would be
  // ambiguous. Checkpoints are keyed by parameter and state names.
  std::map<std::string, std::string> seenArgs, seenNames;
  auto claim = [&](std::map<std::string, std::string> &seen,
                   const std::string &key, const std::string &owner) {
    auto [it, inserted] = seen.emplace(key, owner);
    if (!inserted)
      fail(owner, "name '" + key + "' is also used by " + it->second);
  };
  for (auto *list : {&m.inputs, &m.labels, &m.params, &m.state, &m.outputs})
    for (const TensorSpec &t : *list)
      claim(seenArgs, t.arg, "tensor '" + t.name + "'");
  for (const MetricSpec &ms : m.metrics)
    claim(seenArgs, ms.arg, "metric '" + ms.name + "'");
  for (auto *list : {&m.params, &m.state})
    for (const TensorSpec &t : *list)
      claim(seenNames, t.name, "tensor '" + t.name + "'");
  return m;
}

//===----------------------------------------------------------------------===//
// Pipeline calls
//===----------------------------------------------------------------------===//

void PipelineArgs::setInt32(std::string name, int32_t value) {
  Entry e{std::move(name), Kind::Int32};
  e.i32 = value;
  entries_.push_back(std::move(e));
}

void PipelineArgs::setFloat64(std::string name, double value) {
  Entry e{std::move(name), Kind::Float64};
  e.f64 = value;
  entries_.push_back(std::move(e));
}

void PipelineArgs::setInput(std::string name, const Tensor &t, int64_t rows) {
  Entry e{std::move(name), Kind::Input};
  e.tensor = &t;
  e.rows = rows;
  entries_.push_back(std::move(e));
}

void PipelineArgs::setOutput(std::string name, Tensor &t, int64_t rows) {
  Entry e{std::move(name), Kind::Output};
  e.tensor = &t;
  e.rows = rows;
  entries_.push_back(std::move(e));
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

/// Returns, for each metadata argument, the index of its binding (or -1 for
/// the user context). Throws Error on any mismatch.
static std::vector<int> bindArguments(const Pipeline &p,
                                      const PipelineArgs &args) {
  if (!p.available())
    throw Error(std::string("this executable has no '") + p.name +
                "' pipeline, although its model needs one (rebuild it with "
                "laminac)");
  const halide_filter_metadata_t *md = p.metadata();
  auto where = [&](const std::string &what) {
    return Error(std::string("pipeline '") + p.name + "': " + what +
                 "; the runtime and the generated code disagree (rebuild the "
                 "executable with a matching laminac)");
  };
  if (!md || md->num_arguments < 0 || (md->num_arguments && !md->arguments))
    throw where("no argument metadata");

  const auto &entries = args.entries();
  std::map<std::string, int> byName;
  for (size_t i = 0; i < entries.size(); ++i)
    if (!byName.emplace(entries[i].name, static_cast<int>(i)).second)
      throw where("argument '" + entries[i].name + "' is bound twice");

  std::vector<int> order;
  std::vector<bool> used(entries.size(), false);
  for (int i = 0; i < md->num_arguments; ++i) {
    const halide_filter_argument_t &a = md->arguments[i];
    std::string name = bindingName(a.name);
    if (name == kUserContext && a.kind == halide_argument_kind_input_scalar) {
      order.push_back(-1);
      continue;
    }
    auto it = byName.find(name);
    if (it == byName.end())
      throw where("it takes argument '" + name + "' (" + describeArgument(a) +
                  ") that the runtime does not provide");
    const PipelineArgs::Entry &e = entries[it->second];
    if (!matches(a, e))
      throw where("argument '" + name + "' is a " + describeArgument(a) +
                  " but the runtime passes a " + describeEntry(e));
    if (used[it->second])
      throw where("two of its arguments are bound by the name '" + name + "'");
    used[it->second] = true;
    order.push_back(it->second);
  }
  for (size_t i = 0; i < entries.size(); ++i)
    if (!used[i])
      throw where("it has no argument '" + entries[i].name +
                  "' (the runtime passes a " + describeEntry(entries[i]) + ")");
  return order;
}

std::optional<DType> argumentDType(const Pipeline &p, const std::string &name) {
  if (!p.available())
    return std::nullopt;
  const halide_filter_metadata_t *md = p.metadata();
  if (!md || !md->arguments)
    return std::nullopt;
  for (int i = 0; i < md->num_arguments; ++i) {
    const halide_filter_argument_t &a = md->arguments[i];
    if (bindingName(a.name) != name)
      continue;
    for (DType t : {DType::F32, DType::F64, DType::I32})
      if (a.type == halideType(t))
        return t;
    return std::nullopt;
  }
  return std::nullopt;
}

int callPipeline(const Pipeline &p, const PipelineArgs &args) {
  std::vector<int> order = bindArguments(p, args);
  const auto &entries = args.entries();
  // Reserve so the views never move: argv holds pointers into them.
  std::vector<BufferView> views;
  views.reserve(entries.size());
  std::vector<int32_t> ints(entries.size());
  std::vector<double> doubles(entries.size());
  void *userContext = nullptr;
  std::vector<void *> argv;
  argv.reserve(order.size());
  for (int idx : order) {
    if (idx < 0) {
      argv.push_back(&userContext);
      continue;
    }
    const PipelineArgs::Entry &e = entries[idx];
    switch (e.kind) {
    case PipelineArgs::Kind::Int32:
      ints[idx] = e.i32;
      argv.push_back(&ints[idx]);
      break;
    case PipelineArgs::Kind::Float64:
      doubles[idx] = e.f64;
      argv.push_back(&doubles[idx]);
      break;
    case PipelineArgs::Kind::Input:
    case PipelineArgs::Kind::Output:
      views.emplace_back(*e.tensor, e.rows);
      argv.push_back(views.back().get());
      break;
    }
  }
  return p.argv(argv.data());
}

} // namespace lamina
