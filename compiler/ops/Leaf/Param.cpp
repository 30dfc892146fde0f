//===- Param.cpp - a parameter, optimizer state or a buffer ---------------===//
//
// attrs: role = "param" | "state" | "buffer"; init = kind (see
// runtime/README.md), init_arg, fan_in, fan_out. Explicit initial values live
// in data().
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
static constexpr AttrSpec kAttrs[] = {
    {"role", AttrType::String, "param",
     "param (trainable), state (optimizer state) or buffer (non-trainable "
     "state such as running statistics)"},
    {"init", AttrType::String, "",
     "how the runtime fills it: uniform_fan_in, normal, xavier, he, zeros, "
     "constant or data"},
    {"init_arg", AttrType::Float, "",
     "the argument of normal(std) or constant(v)"},
    {"fan_in", AttrType::Int, "", "inputs per output, for the initializer"},
    {"fan_out", AttrType::Int, "", "outputs per input, for the initializer"},
};

extern const OpInfo ParamInfo = [] {
  OpInfo op;
  op.attrs = kAttrs;
  op.inferType = inferType;
  op.noGradReason = "a parameter is a leaf";
  op.lower = lower;
  op.form = DslForm::None;
  return op;
}();

} // namespace lamina
