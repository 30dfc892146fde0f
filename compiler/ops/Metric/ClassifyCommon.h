//===- ClassifyCommon.h - What accuracy, precision, recall and f1 share ---===//
//
// The four classification metrics compare scores y with targets t in one of
// three forms:
//   Labels: y [.., C] scores (logits or probabilities), t i32 labels [..];
//   OneHot: y and t [.., C], the target class is argmax t;
//   Binary: y one probability per sample, [.., 1] or with a last dim that
//           is the batch; t float (or i32) [..] or [.., 1]; class 1 when
//           the value is above 0.5.
// The predicted class is argmax y (ties: the lowest index), or y > 0.5.
// Their stats over a batch are the C x C confusion matrix (C = 2 for
// Binary), row = true class, column = predicted (lamina/abi/Metrics.h).
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_OPS_METRIC_CLASSIFYCOMMON_H
#define LAMINA_OPS_METRIC_CLASSIFYCOMMON_H

#include "ops/ReduceCommon.h"

#include <optional>

namespace lamina {

enum class ClassifyKind { Labels, OneHot, Binary };

/// How y and t are compared; nullopt if they do not fit any form.
inline std::optional<ClassifyKind> classifyKind(const TensorType &y,
                                                const TensorType &t) {
  if (!isFloat(y.dtype) || y.rank() < 1)
    return std::nullopt;
  Shape samples(y.shape.begin(), y.shape.end() - 1);
  bool single = y.shape.back() == 1 || y.shape.back() == kBatch;
  if (single &&
      (t.shape == y.shape || (y.shape.back() == 1 && t.shape == samples)))
    return ClassifyKind::Binary;
  if (t.dtype == DType::I32 && t.shape == samples)
    return ClassifyKind::Labels;
  if (t.dtype == y.dtype && t.shape == y.shape)
    return ClassifyKind::OneHot;
  return std::nullopt;
}

/// The type rule of classification metric `op`: a rank-0 tensor of y's
/// float dtype.
inline Expected<TensorType> inferClassifyType(const Node &n, const char *op) {
  const TensorType &y = n.input(0).type(), &t = n.input(1).type();
  std::optional<ClassifyKind> kind = classifyKind(y, t);
  if (!kind)
    return typeError(std::string("'") + op +
                     "' needs scores [.., C] with i32 labels [..] or one-hot "
                     "[.., C], or probabilities [.., 1] with targets [..] or "
                     "[.., 1]; got " +
                     typeToString(y) + " and " + typeToString(t));
  if (*kind != ClassifyKind::Binary && y.shape.back() == kBatch)
    return typeError(std::string("'") + op +
                     "' needs a fixed number of classes in the scores' last "
                     "dim, got " +
                     typeToString(y));
  return TensorType{y.dtype, {}};
}

inline ClassifyKind classifyKindOf(const Node &n) {
  return *classifyKind(n.input(0).type(), n.input(1).type());
}

/// The number of classes: the scores' last dim, or 2 for Binary.
inline int64_t classifyClasses(const Node &n) {
  return classifyKindOf(n) == ClassifyKind::Binary ? 2
                                                   : n.input(0).shape().back();
}

/// labelClasses of the four: labels of one dim less than the scores are
/// class indices.
inline int64_t classifyLabelClasses(const Node &n, unsigned i) {
  const Node &y = n.input(0);
  return i == 1 && y.rank() > n.input(1).rank() ? y.shape().back() : 0;
}

/// The samples' shape: the target's in the binary form (y's, or y's without
/// a trailing 1), else y's dims but the last.
inline Shape classifySamples(const Node &n) {
  const Node &y = n.input(0);
  return classifyKindOf(n) == ClassifyKind::Binary
             ? n.input(1).shape()
             : Shape(y.shape().begin(), y.shape().end() - 1);
}

/// The true and the predicted class of every sample, as i32 Funcs over
/// classifySamples(n) (compute_root).
struct SampleClasses {
  Halide::Func truth, predicted;
};

inline SampleClasses lowerSampleClasses(const Node &n, LowerContext &ctx) {
  const Node &y = n.input(0), &t = n.input(1);
  ClassifyKind kind = classifyKindOf(n);
  std::string base = ctx.name(n);
  std::vector<Halide::Var> sv =
      LowerContext::vars(static_cast<unsigned>(classifySamples(n).size()));
  std::vector<Halide::Expr> s = LowerContext::exprs(sv);
  Halide::Expr truth, predicted;
  if (kind == ClassifyKind::Binary) {
    std::vector<Halide::Expr> yi = s;
    if (y.rank() > t.rank())
      yi.push_back(0);
    Halide::Expr half = ctx.constant(y, 0.5);
    Halide::Expr tv = Halide::cast(ctx.type(y), ctx.read(n, 1, s));
    truth = Halide::cast<int32_t>(tv > half);
    predicted = Halide::cast<int32_t>(ctx.read(n, 0, yi) > half);
  } else {
    unsigned axis = y.rank() - 1;
    Halide::RDom c(0, ctx.extent(y.shape(), axis), base + "_c");
    std::vector<Halide::Expr> yi = s;
    yi.push_back(c);
    predicted = Halide::argmax(c, ctx.read(n, 0, yi))[0];
    if (kind == ClassifyKind::Labels) {
      truth = ctx.read(n, 1, s);
    } else {
      Halide::RDom c2(0, ctx.extent(y.shape(), axis), base + "_c2");
      std::vector<Halide::Expr> ti = s;
      ti.push_back(c2);
      truth = Halide::argmax(c2, ctx.read(n, 1, ti))[0];
    }
  }
  SampleClasses out{Halide::Func(base + "_truth"),
                    Halide::Func(base + "_predicted")};
  LowerContext::define(out.truth, sv, Halide::cast<int32_t>(truth));
  LowerContext::define(out.predicted, sv, Halide::cast<int32_t>(predicted));
  out.truth.compute_root();
  out.predicted.compute_root();
  return out;
}

/// The batch's confusion matrix in f64, flat: counts(truth * C + predicted).
/// A label outside [0, C) (which the runtime refuses before a step) is
/// counted at the nearest class rather than written out of bounds.
inline Halide::Func lowerConfusion(const Node &n, LowerContext &ctx,
                                   const std::string &name) {
  int64_t classes = classifyClasses(n);
  SampleClasses sc = lowerSampleClasses(n, ctx);
  Shape samples = classifySamples(n);
  ReduceIndex ri = fullReduceIndex(samples, ctx, ctx.name(n) + "_s");
  if (!ri.dom)
    ri.dom = Halide::RDom(0, 1, ctx.name(n) + "_s");
  Halide::Var i("i");
  Halide::Func counts(name);
  counts(i) = Halide::cast<double>(0);
  auto C = static_cast<int32_t>(classes);
  Halide::Expr truth =
      Halide::clamp(LowerContext::call(sc.truth, ri.idx), 0, C - 1);
  Halide::Expr predicted =
      Halide::clamp(LowerContext::call(sc.predicted, ri.idx), 0, C - 1);
  counts(truth * C + predicted) += Halide::cast<double>(1);
  return counts;
}

/// statsSize of the four: the confusion matrix's cells.
inline int64_t confusionStatsSize(const Node &n) {
  int64_t c = classifyClasses(n);
  return c * c;
}

/// lowerStats of the four.
inline Halide::Func lowerConfusionStats(const Node &n, LowerContext &ctx) {
  return lowerConfusion(n, ctx, ctx.name(n));
}

/// The value of precision, recall or f1 (`which`) over the batch, macro
/// averaged as abi::MetricSums does it, in n's dtype.
inline Halide::Func lowerMacroAverage(const Node &n, LowerContext &ctx,
                                      abi::MetricFinish which) {
  std::string base = ctx.name(n);
  auto C = static_cast<int32_t>(classifyClasses(n));
  Halide::Func counts = lowerConfusion(n, ctx, base + "_confusion");
  counts.compute_root();
  Halide::Var c("c");
  Halide::RDom o(0, C, base + "_o");
  Halide::Func labelled(base + "_labelled"), predicted(base + "_predicted_n");
  labelled(c) = Halide::cast<double>(0);
  labelled(c) += counts(c * C + o);
  predicted(c) = Halide::cast<double>(0);
  predicted(c) += counts(o * C + c);
  labelled.compute_root();
  predicted.compute_root();
  Halide::Expr tp = counts(c * C + c), l = labelled(c), p = predicted(c);
  Halide::Expr zero = Halide::cast<double>(0), one = Halide::cast<double>(1);
  Halide::Expr score = which == abi::MetricFinish::Precision
                           ? Halide::select(p > 0, tp / p, zero)
                       : which == abi::MetricFinish::Recall
                           ? Halide::select(l > 0, tp / l, zero)
                           : Halide::select(l + p > 0, 2 * tp / (l + p), zero);
  Halide::Func perClass(base + "_per_class"), present(base + "_present");
  perClass(c) = score;
  present(c) = Halide::select(l + p > 0, one, zero);
  perClass.compute_root();
  present.compute_root();
  Halide::RDom q(0, C, base + "_q");
  Halide::Func total(base + "_total"), classes(base + "_classes");
  total() = zero;
  total() += perClass(q);
  classes() = zero;
  classes() += present(q);
  total.compute_root();
  classes.compute_root();
  Halide::Func f(base);
  f() = ctx.cast(n, total() / classes());
  return f;
}

} // namespace lamina

#endif // LAMINA_OPS_METRIC_CLASSIFYCOMMON_H
