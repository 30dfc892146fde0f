//===- DropoutMask.cpp - dropout's train-step form ------------------------===//
//
// dropout_mask(x, key) {p, salt}: x / (1 - p) where the mask keeps an
// element, 0 where it drops it. Element i (its row-major index over the
// whole tensor, batch included) is kept when
//   mix(i * 0x9e3779b1 + mix(key ^ mix(salt))) >= p * 2^32,
// with `mix` murmur3's 32-bit finalizer. The mask is a function of the key,
// the salt (one per dropout in the model) and the index alone: the same for
// any thread count and any schedule, and the same again when a resumed run
// passes the same key (the runtime derives it from seed, epoch and step).
// The gradient is the same op on dy, so it keeps what the forward kept.
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"
#include "ops/ReduceCommon.h"

#include <cmath>

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  const TensorType &key = n.input(1).type();
  if (key.dtype != DType::F64 || !key.shape.empty())
    return typeError("'dropout_mask' needs an f64 scalar key, got " +
                     typeToString(key));
  double p = floatAttrOf(n, "p");
  if (!(p >= 0.0 && p < 1.0))
    return typeError("'dropout_mask' needs a probability p in [0, 1), got " +
                     formatDouble(p));
  return inferUnaryFloat(n);
}

static void buildGradient(const Node &n, GradBuilder &g) {
  Node *dy = g.outGrad(n);
  g.accumulate(n.input(0),
               g.make(OpKind::DropoutMask, {dy, &n.input(1)}, n.attrs()));
}

static Halide::Expr u32(uint32_t v) {
  return Halide::Internal::make_const(Halide::UInt(32), v);
}

// murmur3's fmix32: every input bit affects every output bit.
static Halide::Expr mix(Halide::Expr h) {
  h = h ^ (h >> 16);
  h = h * u32(0x85ebca6bu);
  h = h ^ (h >> 13);
  h = h * u32(0xc2b2ae35u);
  return h ^ (h >> 16);
}

/// The kept fraction's threshold: p * 2^32, below 2^32 as p < 1.
static uint32_t threshold(double p) {
  return static_cast<uint32_t>(std::min(std::ldexp(p, 32), 4294967295.0));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  double p = floatAttrOf(n, "p");
  auto salt = static_cast<uint32_t>(intAttrOf(n, "salt"));
  Halide::Func f(ctx.name(n));
  std::vector<Halide::Var> v = ctx.vars(n);
  Halide::Expr x = ctx.read(n, 0, LowerContext::exprs(v));
  Halide::Expr key = Halide::cast<uint32_t>(ctx.read(n, 1, {}));
  Halide::Expr index = u32(0);
  for (unsigned d = 0; d < n.rank(); ++d)
    index = index * Halide::cast<uint32_t>(ctx.extent(n.shape(), d)) +
            Halide::cast<uint32_t>(v[d]);
  Halide::Expr bits = mix(index * u32(0x9e3779b1u) + mix(key ^ mix(u32(salt))));
  Halide::Expr kept = x * ctx.constant(n, 1.0 / (1.0 - p));
  LowerContext::define(
      f, v,
      Halide::select(bits >= u32(threshold(p)), kept, ctx.constant(n, 0)));
  return f;
}

static constexpr AttrSpec kAttrs[] = {
    {"p", AttrType::Float, nullptr, "the probability of zeroing an element"},
    {"salt", AttrType::Int, "0", "tells the masks of two dropouts apart"},
};

extern const OpInfo DropoutMaskInfo = [] {
  OpInfo op;
  op.attrs = kAttrs;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.nonDiffOperands = 0b10;
  op.lower = lower;
  op.fusible = true;
  op.form = DslForm::None;
  op.operandDoc = "x, key";
  return op;
}();

} // namespace lamina
