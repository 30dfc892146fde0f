//===- Input.cpp - data fed at run time -----------------------------------===//
//
// attrs: role = "input" | "label" | "hyper" | "key". Rank-0 inputs (role
// "hyper", e.g. the learning rate, and the train step's random key) are
// scalar pipeline parameters; the rest are buffers whose leading dim may be
// the batch.
//
//===----------------------------------------------------------------------===//
#include "lamina/Lower.h"
#include "lamina/OpInfo.h"

namespace lamina {

// The type is set when the node is created and never inferred.
static Expected<TensorType> inferType(const Node &n) { return n.type(); }

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  if (n.rank() == 0) {
    Halide::Func f(ctx.name(n));
    f() = ctx.cast(n, ctx.scalarParamFor(n));
    return f;
  }
  return ctx.imageParamFor(n);
}

// Inputs are leaves: the reverse walk stops here.
static constexpr AttrSpec kAttrs[] = {
    {"role", AttrType::String, "input",
     "input (data), label (a training target), hyper (a run-time scalar) "
     "or key (the train step's random key)"},
};

extern const OpInfo InputInfo = [] {
  OpInfo op;
  op.attrs = kAttrs;
  op.inferType = inferType;
  op.noGradReason = "an input is data, not computed";
  op.lower = lower;
  op.form = DslForm::None;
  return op;
}();

} // namespace lamina
