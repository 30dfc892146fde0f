//===- Model.h - The model descriptor and the generated pipelines ---------===//
//
// `laminac` links three Halide AOT pipelines (lamina_train, lamina_eval,
// lamina_predict) and a JSON descriptor into every executable; see
// runtime/README.md and lamina/abi/ for the ABI. This header declares those
// symbols, parses the descriptor, checks the pipelines against it, and
// calls a pipeline by binding its arguments by name once (BoundPipeline),
// then by index.
//
// Only Main.cpp refers to the extern "C" symbols, so everything else here can
// be tested with a descriptor string and hand-written pipelines.
//
//===----------------------------------------------------------------------===//

#ifndef LAMINA_RUNTIME_MODEL_H
#define LAMINA_RUNTIME_MODEL_H

#include "lamina/Buffer.h"
#include "lamina/Tensor.h"
#include "lamina/abi/Descriptor.h"
#include "lamina/abi/Metrics.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct halide_filter_metadata_t;

extern "C" {
/// The model descriptor (JSON), defined in the generated model.cpp.
extern const char lamina_model_json[];
}

namespace lamina {

namespace abi {
class StepArena;
struct KernelInfo;
} // namespace abi

/// How a parameter is initialized (descriptor field `init.kind`).
enum class InitKind {
  UniformFanIn, ///< U(-1/sqrt(fan_in), 1/sqrt(fan_in))
  Normal,       ///< N(0, arg)
  Xavier,       ///< U(+-sqrt(6 / (fan_in + fan_out)))
  He,           ///< N(0, sqrt(2 / fan_in))
  Zeros,        ///< 0
  Constant,     ///< arg
  Data,         ///< explicit values, row-major
};

/// Parses a descriptor spelling of an init kind ("uniform_fan_in", ...).
std::optional<InitKind> parseInitKind(std::string_view name);

/// The `init` object of a parameter.
struct InitSpec {
  InitKind kind = InitKind::Zeros;
  int64_t fanIn = 0;
  int64_t fanOut = 0;
  double arg = 0.0;
  std::vector<double> data;
};

/// One tensor of the descriptor: an input, label, parameter, state or output.
struct TensorSpec {
  /// Name in the model file (`h1.weight`); also the checkpoint tensor name.
  std::string name;
  /// Pipeline argument name (`p_h1_weight`).
  std::string arg;
  DType dtype = DType::F32;
  /// Shape; inputs, labels and outputs have -1 (the batch) first.
  Shape shape;
  /// Initializer (parameters only).
  InitSpec init;
  /// For an i32 label of class indices, or an i32 input of tokens that
  /// index a table's rows: the number of classes or rows (values must lie
  /// in [0, classes)); 0 when unknown.
  int64_t classes = 0;

  /// Whether the first dimension is the batch (every input and label; an
  /// output of the parameters only has none and is written once).
  bool batched() const { return !shape.empty() && shape[0] == abi::kBatch; }
  /// The shape of one sample: shape() without the leading batch dimension.
  Shape sampleShape() const;
  /// Elements in one sample.
  int64_t sampleNumel() const;
  /// The shape with the batch dimension set to `batch`.
  Shape withBatch(int64_t batch) const;
  /// "x f32[batch, 784]" for messages and --help.
  std::string describe() const;
};

/// A metric output of the train and eval pipelines (`m_<name>`): its sums
/// over the batch, which the runtime merges over a data set and finishes
/// (lamina/abi/Metrics.h).
struct MetricSpec {
  std::string name;
  std::string arg;
  /// The element type of its output: the metric's for `rows` (one value),
  /// else f64.
  DType dtype = DType::F32;
  abi::MetricFinish finish = abi::MetricFinish::Rows;
  /// The classes of a confusion-matrix metric, else 0.
  int64_t classes = 0;
  /// The output's shape: {} for `rows`, else {metricStatsSize}.
  Shape statsShape() const;
  /// Sums to merge a data set's batches into.
  abi::MetricSums sums() const { return abi::MetricSums(finish, classes); }
};

/// One argument of a pipeline, as the descriptor lists it.
struct ArgumentSpec {
  std::string name;
  abi::ArgKind kind = abi::ArgKind::Input;
  DType dtype = DType::F32;
  /// Logical order, abi::kBatch for the batch; empty for scalars.
  Shape shape;
};

/// The model file's train block: defaults for the train command.
/// The optimizer's momentum and weight decay are compiled into lamina_train;
/// the descriptor still lists them, but the runtime has no use for them.
/// A learning-rate schedule (dsl/README.md, "The train block"): kind "" is
/// a constant rate.
struct ScheduleSpec {
  std::string kind;
  int64_t every = 0;
  double gamma = 0.1;
  int64_t epochs = 0;
  double minLr = 0.0;
  int64_t patience = 0;
  double factor = 0.1;
  int64_t warmup = 0;
};

/// Early stopping: the validation value watched ("loss" or a metric's name;
/// "" for none), the epochs without improvement allowed, the least change
/// that counts as one.
struct EarlyStopSpec {
  std::string monitor;
  int64_t patience = 0;
  double minDelta = 0.0;
};

struct TrainDefaults {
  std::optional<int64_t> batch;
  std::optional<int64_t> epochs;
  std::optional<double> lr;
  std::optional<uint64_t> seed;
  /// The optimizer compiled into the train step ("sgd", "adam", ...).
  std::string optimizer = "sgd";
  /// The train step's gradient clipping (0: none); compiled in, shown by
  /// --help.
  double clipNorm = 0.0;
  ScheduleSpec schedule;
  EarlyStopSpec earlyStop;
  double validationSplit = 0.0;
};

/// The parsed `lamina_model_json` descriptor.
struct ModelDesc {
  std::string name;
  std::string file;
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> labels;
  /// The three kinds of state (abi::StateKind): parameters, optimizer
  /// state and non-trainable state (buffers: running statistics).
  std::vector<TensorSpec> params;
  std::vector<TensorSpec> state;
  std::vector<TensorSpec> nonTrainable;
  std::vector<TensorSpec> outputs;
  std::vector<MetricSpec> metrics;
  bool hasLoss = false;
  /// The element type of the 0-d loss (when hasLoss).
  DType lossDType = DType::F32;
  /// The train and gradient pipelines take abi::kStepKeyArgument (the
  /// model has dropout).
  bool stepKey = false;
  /// The argument list of each pipeline the executable contains, by
  /// pipeline name ("lamina_train"), in call order.
  std::map<std::string, std::vector<ArgumentSpec>> pipelines;
  /// Absent when the model file has no train block.
  std::optional<TrainDefaults> train;

  /// Parses and validates a descriptor. Throws Error if its version
  /// (abi::kDescriptorVersion) is missing or another, or naming the
  /// offending field if the JSON is malformed or inconsistent.
  static ModelDesc parse(std::string_view json);

  /// Total number of parameter elements.
  int64_t parameterCount() const;

  // laminac builds a pipeline only when the model has something for it to
  // compute; these say which ones the executable should have.
  /// lamina_train exists: the model has a loss.
  bool hasTrain() const { return hasLoss; }
  /// lamina_eval exists: the model has a loss or a metric.
  bool hasEval() const { return hasLoss || !metrics.empty(); }
  /// lamina_predict exists: the model has an output that is not a metric.
  bool hasPredict() const { return !outputs.empty(); }
};

/// Signature of a generated `NAME_step` entry point (abi/Step.h): the
/// arguments in the order of its metadata, and the arena of its
/// intermediates.
using PipelineStepFn = int (*)(void **args, abi::StepArena *arena);
/// Signature of a Halide `NAME_metadata` function.
using PipelineMetadataFn = const halide_filter_metadata_t *(*)();

/// Signature of a generated `NAME_kernels` function: the step's kernels,
/// in the order it runs them (abi::KernelInfo), and their number.
using PipelineKernelsFn = const abi::KernelInfo *(*)(int *count);

/// One generated pipeline. Its functions are null when the executable was
/// linked without it (Main.cpp refers to them weakly); available() says
/// whether it can be called.
struct Pipeline {
  const char *name = "";
  PipelineStepFn step = nullptr;
  PipelineMetadataFn metadata = nullptr;
  /// May be null (bench then has no per-kernel table).
  PipelineKernelsFn kernels = nullptr;

  bool available() const { return step && metadata; }
};

/// The three pipelines of a model.
struct Pipelines {
  Pipeline train;
  Pipeline eval;
  Pipeline predict;
  /// The train step's two phases (train --accumulate).
  Pipeline trainGrad;
  Pipeline trainUpdate;
  /// The gradient phase in f64, for `gradcheck` (laminac --gradcheck).
  Pipeline gradCheck;
};

/// Checks that every available pipeline of `pipelines` has an argument
/// list in `model` and that its Halide metadata agrees with it: the same
/// names, kinds, types and ranks in the same order. Throws one Error naming
/// the first difference otherwise.
void checkPipelines(const ModelDesc &model, const Pipelines &pipelines);

/// The named arguments of one pipeline call. Tensors are referenced, not
/// copied, and must outlive the call. Each binding gets a slot, its index
/// in entries(), by which later calls change its value without a name.
class PipelineArgs {
public:
  /// Binds an int32 scalar (`batch`); returns its slot.
  size_t setInt32(std::string name, int32_t value);
  /// Binds a float64 scalar (`lr`); returns its slot.
  size_t setFloat64(std::string name, double value);
  /// Binds an input buffer. `rows` >= 0 overrides the outermost extent.
  /// Returns its slot.
  size_t setInput(std::string name, const Tensor &t, int64_t rows = -1);
  /// Binds an output buffer. `rows` >= 0 overrides the outermost extent.
  /// Returns its slot.
  size_t setOutput(std::string name, Tensor &t, int64_t rows = -1);

  /// Sets the int32 scalar of `slot` to `value`.
  void setInt32At(size_t slot, int32_t value);
  /// Sets the float64 scalar of `slot` to `value`.
  void setFloat64At(size_t slot, double value);
  /// Points the buffer of `slot` (input or output) at `t`, of the binding's
  /// dtype and rank, with `rows` as setInput has it.
  void setTensorAt(size_t slot, const Tensor &t, int64_t rows = -1);

  /// What kind of value a binding holds.
  enum class Kind { Int32, Float64, Input, Output };

  /// One binding.
  struct Entry {
    std::string name;
    Kind kind;
    int32_t i32 = 0;
    double f64 = 0.0;
    const Tensor *tensor = nullptr;
    int64_t rows = -1;
  };

  /// The bindings in the order they were made.
  const std::vector<Entry> &entries() const { return entries_; }

private:
  std::vector<Entry> entries_;
};

/// A pipeline whose arguments are matched to the slots of a PipelineArgs
/// once, by name; each call then fills `void **args` by index. It owns the
/// arena of the pipeline's intermediates, so two bindings of one pipeline
/// (two sessions) may run at the same time. A steady-state call allocates
/// nothing.
class BoundPipeline {
public:
  /// An unresolved binding.
  BoundPipeline();
  /// Matches `p`'s metadata against the bindings of `layout`. Throws Error
  /// as callPipeline describes.
  BoundPipeline(const Pipeline &p, const PipelineArgs &layout);
  ~BoundPipeline();
  BoundPipeline(BoundPipeline &&) noexcept;
  BoundPipeline &operator=(BoundPipeline &&) noexcept;

  /// Whether it was constructed from a pipeline and a layout.
  bool resolved() const { return resolved_; }
  /// Calls the pipeline with `args`: the bindings of the layout, in the same
  /// order and of the same kinds, dtypes and ranks (their values, tensors
  /// and rows may differ). Returns the pipeline's status.
  int call(const PipelineArgs &args);

private:
  Pipeline pipeline_;
  /// For each metadata argument, the slot that binds it; -1 for Halide's
  /// user context.
  std::vector<int> order_;
  size_t slots_ = 0;
  bool resolved_ = false;
  std::unique_ptr<abi::StepArena> arena_;
  /// Storage for one call's arguments, kept between calls.
  std::vector<BufferView> views_;
  std::vector<int32_t> ints_;
  std::vector<double> doubles_;
  std::vector<void *> argv_;
};

/// Calls `p` with `args`, filling `void **args` in the order of the
/// pipeline's metadata (a BoundPipeline used once). Every metadata argument
/// must have exactly one binding of the same kind (scalar, input or output
/// buffer), type and rank, and every binding must be used; otherwise throws
/// Error describing the mismatch (this means the executable's pieces disagree).
/// Returns the pipeline's status: 0 on success, a Halide error code otherwise
/// (Halide has already printed its message to stderr).
int callPipeline(const Pipeline &p, const PipelineArgs &args);

} // namespace lamina

#endif // LAMINA_RUNTIME_MODEL_H
