//===- Metrics.h - A metric over a whole data set, from per-batch sums ----===//
//
// The train and eval pipelines output each metric as the sums it is built
// from over the batch (its "stats"), in f64; the runtime merges them across
// the batches of a data set and finishes the metric once, so the figure
// does not depend on the batch size. laminac names the formula in the
// descriptor (`finish`); the layouts:
//   rows       [value]: a metric that is no sum (an expression); the runtime
//              averages its per-batch values weighted by the batch's rows.
//   rmse       [sum of (y - t)^2, elements compared]
//   r2         [SS_res, target elements n, their mean, their sum of squared
//              deviations M2]; the (n, mean, M2) of two parts merge by Chan
//              et al.'s formula, exact where a sum of squares would cancel.
//   accuracy, precision, recall, f1
//              the C x C confusion matrix, row-major: row = true class,
//              column = predicted class (C = 2 for a binary classifier).
// precision, recall and f1 are macro averages over the classes that occur
// as a label or a prediction (scikit-learn's `average="macro"`); a class
// never predicted has precision 0, one never labelled recall 0.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_ABI_METRICS_H
#define LAMINA_ABI_METRICS_H

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

namespace lamina::abi {

enum class MetricFinish { Rows, Rmse, R2, Accuracy, Precision, Recall, F1 };

/// The descriptor's spelling: "rows", "rmse", ...
inline const char *metricFinishName(MetricFinish f) {
  switch (f) {
  case MetricFinish::Rows:
    return "rows";
  case MetricFinish::Rmse:
    return "rmse";
  case MetricFinish::R2:
    return "r2";
  case MetricFinish::Accuracy:
    return "accuracy";
  case MetricFinish::Precision:
    return "precision";
  case MetricFinish::Recall:
    return "recall";
  case MetricFinish::F1:
    return "f1";
  }
  return "?";
}

/// The finish spelled `s`, or nullopt.
inline std::optional<MetricFinish> metricFinishNamed(std::string_view s) {
  for (MetricFinish f :
       {MetricFinish::Rows, MetricFinish::Rmse, MetricFinish::R2,
        MetricFinish::Accuracy, MetricFinish::Precision, MetricFinish::Recall,
        MetricFinish::F1})
    if (s == metricFinishName(f))
      return f;
  return std::nullopt;
}

/// Whether the stats are a confusion matrix.
inline bool isConfusion(MetricFinish f) {
  return f == MetricFinish::Accuracy || f == MetricFinish::Precision ||
         f == MetricFinish::Recall || f == MetricFinish::F1;
}

/// The number of stats per batch of a metric `f` over `classes` classes.
inline int64_t metricStatsSize(MetricFinish f, int64_t classes) {
  switch (f) {
  case MetricFinish::Rows:
    return 1;
  case MetricFinish::Rmse:
    return 2;
  case MetricFinish::R2:
    return 4;
  default:
    return classes * classes;
  }
}

/// One metric's stats merged over the batches of a data set.
class MetricSums {
public:
  MetricSums(MetricFinish finish, int64_t classes)
      : finish_(finish), classes_(classes),
        sums_(static_cast<size_t>(
                  std::max<int64_t>(metricStatsSize(finish, classes), 2)),
              0.0) {}

  MetricFinish finish() const { return finish_; }
  int64_t classes() const { return classes_; }
  /// The merged stats (for `rows`: the weighted sum and the rows).
  const std::vector<double> &sums() const { return sums_; }

  /// Merges the value of a `rows` metric over a batch of `rows` rows.
  void addValue(double value, int64_t rows) {
    sums_[0] += value * static_cast<double>(rows);
    sums_[1] += static_cast<double>(rows);
  }

  /// Merges one batch's stats (metricStatsSize of them; not `rows`).
  void add(const double *stats) {
    switch (finish_) {
    case MetricFinish::Rows:
      return;
    case MetricFinish::R2: {
      double n = sums_[1], nb = stats[1];
      sums_[0] += stats[0];
      if (nb == 0)
        return;
      double total = n + nb, delta = stats[2] - sums_[2];
      sums_[1] = total;
      sums_[2] += delta * nb / total;
      sums_[3] += stats[3] + delta * delta * n * nb / total;
      return;
    }
    default:
      for (size_t i = 0; i < sums_.size(); ++i)
        sums_[i] += stats[i];
    }
  }

  /// The metric over everything added (NaN before anything was).
  double value() const {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    switch (finish_) {
    case MetricFinish::Rows:
      return sums_[1] > 0 ? sums_[0] / sums_[1] : nan;
    case MetricFinish::Rmse:
      return sums_[1] > 0 ? std::sqrt(sums_[0] / sums_[1]) : nan;
    case MetricFinish::R2:
      // As the formula: a constant target gives -inf (or NaN for 0/0).
      return sums_[1] > 0 ? 1.0 - sums_[0] / sums_[3] : nan;
    default:
      return confusionValue();
    }
  }

private:
  double at(int64_t truth, int64_t predicted) const {
    return sums_[static_cast<size_t>(truth * classes_ + predicted)];
  }

  double confusionValue() const {
    double total = 0, right = 0, sum = 0;
    int64_t present = 0;
    for (int64_t c = 0; c < classes_; ++c) {
      double labelled = 0, predicted = 0, tp = at(c, c);
      for (int64_t o = 0; o < classes_; ++o) {
        labelled += at(c, o);
        predicted += at(o, c);
      }
      total += labelled;
      right += tp;
      if (labelled + predicted == 0)
        continue;
      ++present;
      if (finish_ == MetricFinish::Precision)
        sum += predicted > 0 ? tp / predicted : 0.0;
      else if (finish_ == MetricFinish::Recall)
        sum += labelled > 0 ? tp / labelled : 0.0;
      else
        sum += 2 * tp / (labelled + predicted);
    }
    if (total == 0)
      return std::numeric_limits<double>::quiet_NaN();
    if (finish_ == MetricFinish::Accuracy)
      return right / total;
    return sum / static_cast<double>(present);
  }

  MetricFinish finish_;
  int64_t classes_;
  std::vector<double> sums_;
};

} // namespace lamina::abi

#endif // LAMINA_ABI_METRICS_H
