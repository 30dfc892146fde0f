//===- History.h - Per-epoch training history: CSV, JSON and SVG ----------===//
//
// `train --history FILE.csv|FILE.json` and `--plot FILE.svg`: one record per
// completed epoch (the epoch, the training loss and metrics, the validation
// ones, the learning rate, the seconds and the throughput), rewritten
// atomically after every epoch, so that an interrupted run keeps the epochs
// it finished.
//
//===----------------------------------------------------------------------===//

#ifndef LAMINA_RUNTIME_HISTORY_H
#define LAMINA_RUNTIME_HISTORY_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lamina {

/// The epochs of one training run, in the order they completed.
class History {
public:
  /// The file formats, chosen by extension.
  enum class Format { Csv, Json, Svg };
  /// The format of `path` by its extension (.csv, .json, .svg, any case), or
  /// none.
  static std::optional<Format> formatOf(const std::string &path);

  /// One epoch: values[i] is the value of columns()[i + 1].
  struct Row {
    int64_t epoch = 0;
    std::vector<double> values;
  };

  /// `quantities` are what train() measures on a data set, "loss" then each
  /// metric's name; with `validation`, each has a val_ column too. The
  /// columns are then: epoch, the quantities, the val_ ones, lr, seconds
  /// (the whole epoch, validation included) and samples_per_s (training
  /// records per second of training).
  History(std::vector<std::string> quantities, bool validation);

  /// "epoch" and the value columns, in file order.
  const std::vector<std::string> &columns() const { return columns_; }
  const std::vector<Row> &rows() const { return rows_; }
  const std::vector<std::string> &quantities() const { return quantities_; }
  bool hasValidation() const { return validation_; }

  /// Appends an epoch; `values` must match columns() after "epoch".
  void add(int64_t epoch, std::vector<double> values);
  /// Drops the rows of epochs after `epoch`.
  void keepUpTo(int64_t epoch);

  /// Replaces the rows with those of the CSV or JSON file at `path`, which
  /// a History with the same columns wrote. Returns an empty string on
  /// success, else why the file cannot be used (rows unchanged).
  std::string load(const std::string &path);

  /// A header line, then one line per epoch; numbers are the shortest text
  /// that reads back as the same double ("nan", "inf", "-inf" for
  /// non-finite ones).
  std::string toCsv() const;
  /// An array with one object per epoch, keys in column order; non-finite
  /// values are null.
  std::string toJson() const;
  /// One chart per quantity, stacked vertically: axes with tick labels, the
  /// axis titles, a title, a legend, and a <polyline data-series="NAME">
  /// for the training series and (with validation) the val_ one, with one
  /// point per epoch whose value is finite (a non-finite value has no point;
  /// the legend counts those left out).
  std::string toSvg() const;

  /// Writes the format `path`'s extension names to `path`, atomically (a
  /// temporary file renamed over it). Throws Error on failure.
  void write(const std::string &path) const;

private:
  std::vector<std::string> quantities_;
  bool validation_;
  std::vector<std::string> columns_;
  std::vector<Row> rows_;
};

} // namespace lamina

#endif // LAMINA_RUNTIME_HISTORY_H
