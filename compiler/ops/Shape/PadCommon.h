//===- PadCommon.h - Padding the trailing dims in four modes --------------===//
//
// pad(x) with attrs `padding` [before.., after..] for the last S dims of x
// and `mode`: zeros, reflect (mirror without repeating the edge), replicate
// (repeat the edge) or circular (wrap around), as PyTorch's padding modes.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_OPS_SHAPE_PADCOMMON_H
#define LAMINA_OPS_SHAPE_PADCOMMON_H

#include "ops/ReduceCommon.h"

namespace lamina {

struct PadSpec {
  unsigned first = 0; // the first padded dim
  std::vector<int64_t> before, after;
  std::string mode = "zeros";

  static PadSpec of(const Node &n, unsigned rank) {
    PadSpec p;
    std::vector<int64_t> pad =
        n.hasAttr("padding") ? n.intsAttr("padding") : std::vector<int64_t>{};
    size_t s = pad.size() / 2;
    p.first = rank >= s ? static_cast<unsigned>(rank - s) : 0;
    p.before.assign(pad.begin(), pad.begin() + s);
    p.after.assign(pad.begin() + s, pad.end());
    if (n.hasAttr("mode"))
      p.mode = n.strAttr("mode");
    return p;
  }

  /// The index of x read by output index `o` of padded dim `d`.
  Halide::Expr source(unsigned d, Halide::Expr o, int64_t n) const {
    Halide::Expr i = o - static_cast<int>(before[d]);
    int e = static_cast<int>(n);
    if (mode == "replicate")
      return Halide::clamp(i, 0, e - 1);
    if (mode == "reflect")
      return Halide::select(i < 0, -i,
                            Halide::select(i >= e, 2 * (e - 1) - i, i));
    if (mode == "circular")
      return i % e; // Halide's % rounds toward -inf: always in [0, e)
    return i;
  }
};

/// Type rule of pad on x (or of pad_grad with `input_shape`).
inline Expected<TensorType> inferPadType(const Node &n, const Shape &in) {
  if (!n.hasAttr("padding") || n.intsAttr("padding").size() % 2 != 0 ||
      n.intsAttr("padding").size() / 2 > in.size())
    return typeError("'pad' needs 'padding' [before.., after..] for at most "
                     "every dim of " +
                     shapeToString(in));
  PadSpec p = PadSpec::of(n, static_cast<unsigned>(in.size()));
  if (p.mode != "zeros" && p.mode != "reflect" && p.mode != "replicate" &&
      p.mode != "circular")
    return typeError("'pad' mode must be zeros, reflect, replicate or "
                     "circular, got '" +
                     p.mode + "'");
  Shape out = in;
  for (size_t d = 0; d < p.before.size(); ++d) {
    int64_t n0 = in[p.first + d];
    int64_t lo = p.before[d], hi = p.after[d];
    if (n0 == kBatch || lo < 0 || hi < 0)
      return typeError("'pad' pads fixed dims by amounts >= 0, got " +
                       shapeToString(in));
    if ((p.mode == "reflect" && (lo >= n0 || hi >= n0)) ||
        (p.mode == "circular" && (lo > n0 || hi > n0)))
      return typeError("'" + p.mode + "' padding of " +
                       std::to_string(std::max(lo, hi)) +
                       " needs a dim larger than that, got " +
                       std::to_string(n0) + " in " + shapeToString(in));
    out[p.first + d] = n0 + lo + hi;
  }
  return TensorType{n.input(0).dtype(), out};
}

} // namespace lamina

#endif // LAMINA_OPS_SHAPE_PADCOMMON_H
