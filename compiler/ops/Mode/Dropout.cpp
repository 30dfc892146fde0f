//===- Dropout.cpp - x, with a random mask in the train step --------------===//
//
// dropout(x, p) is x in eval and predict. The train step computes
// dropout_mask(x, step_key) in its place (DropoutMask.cpp): each element is
// kept with probability 1 - p and scaled by 1 / (1 - p), as
// torch.nn.Dropout does in training mode.
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"
#include "ops/ReduceCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  double p = floatAttrOf(n, "p");
  if (!(p >= 0.0 && p < 1.0))
    return typeError("'dropout' needs a probability p in [0, 1), got " +
                     formatDouble(p));
  return inferUnaryFloat(n);
}

// Outside the train step dropout is the identity, and so is its gradient.
static void buildGradient(const Node &n, GradBuilder &g) {
  g.accumulate(n.input(0), g.outGrad(n));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerUnary(n, ctx, [](Halide::Expr x) { return x; });
}

static Node *trainForm(const Node &n, const std::vector<Node *> &ins,
                       TrainFormBuilder &b) {
  double p = floatAttrOf(n, "p");
  if (p == 0.0)
    return ins[0];
  Node *key = b.stepKey();
  int64_t salt = b.nextSalt();
  return b.make(OpKind::DropoutMask, {ins[0], key}, {{"p", p}, {"salt", salt}});
}

static constexpr AttrSpec kAttrs[] = {
    {"p", AttrType::Float, "0.5",
     "the probability of zeroing an element in the train step"},
};

extern const OpInfo DropoutInfo = [] {
  OpInfo op;
  op.attrs = kAttrs;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.trainForm = trainForm;
  op.lower = lower;
  op.fusible = true;
  return op;
}();

} // namespace lamina
