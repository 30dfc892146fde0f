//===- Param.cpp - a trainable parameter or optimizer state ---------------===//
//
// attrs: role = "param" | "state"; init = kind (see runtime/README.md),
// init_arg, fan_in, fan_out. Explicit initial values live in data().
//
//===----------------------------------------------------------------------===//
#include "lamina/Lower.h"
#include "lamina/OpInfo.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) { return n.type(); }

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return ctx.imageParamFor(n);
}

// Parameters are leaves: autodiff collects their gradients, nothing flows on.
extern const OpInfo ParamInfo = {
    "param", 0, inferType, nullptr, "a parameter is a leaf", lower, nullptr};

} // namespace lamina
