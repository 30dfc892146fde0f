//===- Names.h - The kinds of tensors and their argument names ------------===//
//
// Every pipeline argument is named by one of the rules below, by laminac
// when it writes the pipelines and the descriptor and by the runtime when
// it binds them. No other code builds an argument name from a prefix.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_ABI_NAMES_H
#define LAMINA_ABI_NAMES_H

#include <cctype>
#include <string>

namespace lamina::abi {

/// The three kinds of state a session keeps from one step to the next.
enum class StateKind {
  /// Trained by the optimizer; each has a gradient.
  Parameter,
  /// The optimizer's own (momentum velocity), updated with the parameters.
  Optimizer,
  /// Updated by the model's steps but not by gradients (running statistics).
  NonTrainable,
};

/// What a leaf tensor of a pipeline holds.
enum class Role {
  Input,
  Label,
  Parameter,
  OptimizerState,
  NonTrainableState,
};

/// The role of the tensors of state kind `k`.
inline Role roleOf(StateKind k) {
  switch (k) {
  case StateKind::Parameter:
    return Role::Parameter;
  case StateKind::Optimizer:
    return Role::OptimizerState;
  case StateKind::NonTrainable:
    return Role::NonTrainableState;
  }
  return Role::Parameter;
}

/// Turns a model-file name (`h1.weight`) into an identifier (`h1_weight`):
/// every character but letters, digits and '_' becomes '_', and a name
/// that is empty or starts with a digit gets a leading '_'.
inline std::string sanitize(const std::string &name) {
  std::string out;
  for (char c : name)
    out += std::isalnum(static_cast<unsigned char>(c)) || c == '_' ? c : '_';
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0])))
    out = "_" + out;
  return out;
}

/// The argument name of a tensor of role `r` whose sanitized name is
/// `name`: "in_x", "lbl_y", "p_w", "s_w_velocity", "n_bn_mean".
inline std::string argumentName(Role r, const std::string &name) {
  switch (r) {
  case Role::Input:
    return "in_" + name;
  case Role::Label:
    return "lbl_" + name;
  case Role::Parameter:
    return "p_" + name;
  case Role::OptimizerState:
    return "s_" + name;
  case Role::NonTrainableState:
    return "n_" + name;
  }
  return name;
}

/// The argument of the gradient of the parameter argument `paramArg`
/// (lamina_train_grad's output, lamina_train_update's input): "grad_p_w".
inline std::string gradientArgumentName(const std::string &paramArg) {
  return "grad_" + paramArg;
}

/// The argument of the value a step writes for the parameter or state
/// argument `arg` (the session swaps it in after the step): "new_p_w".
inline std::string nextArgumentName(const std::string &arg) {
  return "new_" + arg;
}

/// The argument of the model output whose sanitized name is `name`.
inline std::string outputArgumentName(const std::string &name) {
  return "out_" + name;
}

/// The argument of the metric whose sanitized name is `name`.
inline std::string metricArgumentName(const std::string &name) {
  return "m_" + name;
}

/// The int32 scalar argument every pipeline takes first: the batch size.
constexpr const char *kBatchArgument = "batch";
/// The 0-d loss output of the train, gradient and eval pipelines.
constexpr const char *kLossArgument = "loss";
/// The float64 learning-rate scalar of the train and update pipelines.
constexpr const char *kLearningRateArgument = "lr";
/// The float64 scalar of the train and gradient pipelines of a model with
/// dropout: a random key below 2^32, new for every step (the descriptor's
/// "step_key" says whether the pipelines take it).
constexpr const char *kStepKeyArgument = "step_key";

} // namespace lamina::abi

#endif // LAMINA_ABI_NAMES_H
