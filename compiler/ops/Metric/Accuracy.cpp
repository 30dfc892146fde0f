//===- Accuracy.cpp - fraction of correct predictions (a metric)
//-----------===//
//
// accuracy(y, t): the fraction of samples whose prediction is right.
//   Multi-class: y is [.., C] scores (logits or probabilities); t is i32
//     labels [..] or float one-hot rows [.., C]. A sample is right when
//     argmax_c y (ties: lowest index) equals the label (or argmax_c t).
//   Binary: y is one probability per sample, [.., 1] or with a last dim that
//     is the batch; t is float (or i32) [..] or [.., 1]. A sample is right
//     when (y > 0.5) == (t > 0.5).
// The result has y's float dtype.
//
//===----------------------------------------------------------------------===//
#include "ops/ReduceCommon.h"

namespace lamina {

namespace {
enum class AccuracyKind { Labels, OneHot, Binary };
} // namespace

/// How y and t are compared; nullopt if they do not fit any form.
static std::optional<AccuracyKind> accuracyKind(const TensorType &y,
                                                const TensorType &t) {
  if (!isFloat(y.dtype) || y.rank() < 1)
    return std::nullopt;
  Shape samples(y.shape.begin(), y.shape.end() - 1);
  bool single = y.shape.back() == 1 || y.shape.back() == kBatch;
  if (single &&
      (t.shape == y.shape || (y.shape.back() == 1 && t.shape == samples)))
    return AccuracyKind::Binary;
  if (t.dtype == DType::I32 && t.shape == samples)
    return AccuracyKind::Labels;
  if (t.dtype == y.dtype && t.shape == y.shape)
    return AccuracyKind::OneHot;
  return std::nullopt;
}

static Expected<TensorType> inferType(const Node &n) {
  const TensorType &y = n.input(0).type(), &t = n.input(1).type();
  if (!accuracyKind(y, t))
    return typeError(
        "'accuracy' needs scores [.., C] with i32 labels [..] or one-hot "
        "[.., C], or probabilities [.., 1] with targets [..] or [.., 1]; got " +
        typeToString(y) + " and " + typeToString(t));
  return TensorType{y.dtype, {}};
}

// No gradient: a count of right answers is piecewise constant.

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  const Node &y = n.input(0), &t = n.input(1);
  AccuracyKind kind = *accuracyKind(y.type(), t.type());
  std::string base = ctx.name(n);
  // The samples are every element of the target in the binary form (its
  // shape is y's or y's without a trailing 1), else y's dims but the last.
  Shape samples = kind == AccuracyKind::Binary
                      ? t.shape()
                      : Shape(y.shape().begin(), y.shape().end() - 1);
  std::vector<Halide::Var> sv = LowerContext::vars(samples.size());
  std::vector<Halide::Expr> s = LowerContext::exprs(sv);
  Halide::Expr hit;
  if (kind == AccuracyKind::Binary) {
    std::vector<Halide::Expr> yi = s;
    if (y.rank() > t.rank())
      yi.push_back(0);
    Halide::Expr half = ctx.constant(y, 0.5);
    Halide::Expr tv = ctx.read(n, 1, s);
    hit = (ctx.read(n, 0, yi) > half) == (Halide::cast(ctx.type(y), tv) > half);
  } else {
    unsigned axis = y.rank() - 1;
    Halide::RDom c(0, ctx.extent(y.shape(), axis), base + "_c");
    std::vector<Halide::Expr> yi = s;
    yi.push_back(c);
    Halide::Expr predicted = Halide::argmax(c, ctx.read(n, 0, yi))[0];
    Halide::Expr label;
    if (kind == AccuracyKind::Labels) {
      label = ctx.read(n, 1, s);
    } else {
      Halide::RDom c2(0, ctx.extent(y.shape(), axis), base + "_c2");
      std::vector<Halide::Expr> ti = s;
      ti.push_back(c2);
      label = Halide::argmax(c2, ctx.read(n, 1, ti))[0];
    }
    hit = predicted == label;
  }
  Halide::Func right(base + "_right");
  LowerContext::define(
      right, sv, Halide::select(hit, ctx.constant(n, 1), ctx.constant(n, 0)));
  right.compute_root();
  Halide::Func f(base);
  ReduceIndex ri = fullReduceIndex(samples, ctx, base + "_r");
  if (!ri.dom) {
    f() = right();
    return f;
  }
  f() = ctx.constant(n, 0);
  f() += LowerContext::call(right, ri.idx);
  f() = f() / ctx.cast(n, ctx.count(samples, allAxes(samples.size())));
  return f;
}

// Labels of one dim less than the logits are class indices.
static int64_t labelClasses(const Node &n, unsigned i) {
  const Node &z = n.input(0);
  return i == 1 && z.rank() > n.input(1).rank() ? z.shape().back() : 0;
}

extern const OpInfo AccuracyInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.noGradReason = "accuracy is a piecewise constant metric";
  op.labelClasses = labelClasses;
  op.lower = lower;
  op.operandDoc = "prediction, target";
  return op;
}();

} // namespace lamina
