//===- Descriptor.h - The keys of the model descriptor --------------------===//
//
// laminac writes a JSON descriptor of the model into every executable
// (compiler/codegen/Codegen.cpp, modelDescriptor) and the runtime parses it
// (runtime/src/Model.cpp, ModelDesc::parse); both spell its keys with these
// constants. runtime/README.md describes the format.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_ABI_DESCRIPTOR_H
#define LAMINA_ABI_DESCRIPTOR_H

#include "lamina/abi/Names.h"
#include "lamina/abi/Version.h"

#include <optional>
#include <string_view>

namespace lamina::abi {

/// The descriptor's version: kAbiVersion, under key::kVersion. A runtime
/// reads only its own.
constexpr int kDescriptorVersion = kAbiVersion;

/// How a pipeline takes an argument (descriptor "pipelines" entries).
enum class ArgKind { Scalar, Input, Output };

/// "scalar", "input" or "output".
inline const char *argKindName(ArgKind k) {
  switch (k) {
  case ArgKind::Scalar:
    return "scalar";
  case ArgKind::Input:
    return "input";
  case ArgKind::Output:
    return "output";
  }
  return "?";
}

/// Parses a spelling of argKindName; nullopt if unknown.
inline std::optional<ArgKind> parseArgKind(std::string_view name) {
  for (ArgKind k : {ArgKind::Scalar, ArgKind::Input, ArgKind::Output})
    if (name == argKindName(k))
      return k;
  return std::nullopt;
}

/// The descriptor's keys.
namespace key {
// Top level.
constexpr const char *kVersion = "abi_version";
constexpr const char *kModel = "model";
constexpr const char *kFile = "file";
constexpr const char *kInputs = "inputs";
constexpr const char *kLabels = "labels";
constexpr const char *kParams = "params";
constexpr const char *kState = "state";
constexpr const char *kNonTrainable = "non_trainable";
constexpr const char *kOutputs = "outputs";
constexpr const char *kMetrics = "metrics";
constexpr const char *kHasLoss = "has_loss";
constexpr const char *kLossDType = "loss_dtype";
/// true when the train and gradient pipelines take kStepKeyArgument.
constexpr const char *kStepKey = "step_key";
constexpr const char *kTrain = "train";
/// An object: pipeline name -> its argument list, in call order.
constexpr const char *kPipelines = "pipelines";

// A tensor, metric or pipeline argument.
constexpr const char *kName = "name";
constexpr const char *kArg = "arg";
constexpr const char *kDType = "dtype";
constexpr const char *kShape = "shape";
constexpr const char *kClasses = "classes";
/// A metric's abi::MetricFinish (lamina/abi/Metrics.h); its dtype and shape
/// are those of its stats.
constexpr const char *kFinish = "finish";
constexpr const char *kInit = "init";
/// A pipeline argument's ArgKind; an init's kind.
constexpr const char *kKind = "kind";

// A parameter's init.
constexpr const char *kFanIn = "fan_in";
constexpr const char *kFanOut = "fan_out";
constexpr const char *kInitArg = "arg";
constexpr const char *kInitData = "data";

// The train block.
constexpr const char *kBatch = "batch";
constexpr const char *kEpochs = "epochs";
constexpr const char *kLr = "lr";
constexpr const char *kMomentum = "momentum";
constexpr const char *kWeightDecay = "weight_decay";
constexpr const char *kOptimizer = "optimizer";
/// The largest global gradient norm (clip_norm), when the train step clips.
constexpr const char *kClipNorm = "clip_norm";
/// The train block's learning-rate schedule, an object: kind and arguments.
constexpr const char *kSchedule = "schedule";
constexpr const char *kEvery = "every";
constexpr const char *kGamma = "gamma";
constexpr const char *kMinLr = "min_lr";
constexpr const char *kPatience = "patience";
constexpr const char *kFactor = "factor";
constexpr const char *kWarmup = "warmup";
/// The train block's early stopping, an object: monitor, patience,
/// min_delta.
constexpr const char *kEarlyStopping = "early_stopping";
constexpr const char *kMonitor = "monitor";
constexpr const char *kMinDelta = "min_delta";
constexpr const char *kSeed = "seed";
constexpr const char *kValidationSplit = "validation_split";
} // namespace key

/// The descriptor key of the tensors of state kind `k`.
inline const char *stateKey(StateKind k) {
  switch (k) {
  case StateKind::Parameter:
    return key::kParams;
  case StateKind::Optimizer:
    return key::kState;
  case StateKind::NonTrainable:
    return key::kNonTrainable;
  }
  return key::kParams;
}

} // namespace lamina::abi

#endif // LAMINA_ABI_DESCRIPTOR_H
