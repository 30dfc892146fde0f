//===- CliColumns.cpp - The input and the label from one CSV file ---------===//
//
// --columns and --label-column: a table with the features and the label side
// by side (as pandas and spreadsheets write it) feeds a model with one input
// and at most one label without splitting it into files first. Either
// option alone takes the other's columns to be the rest of the file.
//
//===----------------------------------------------------------------------===//

#include "CliCommon.h"

#include "lamina/Data.h"
#include "lamina/Error.h"

#include <algorithm>

namespace lamina::cli {

namespace {

/// "--columns", "--label-column" or both, as given.
std::string givenOptions(const Options &opt) {
  if (opt.columns.empty())
    return "--label-column";
  if (opt.labelColumn.empty())
    return "--columns";
  return "--columns and --label-column";
}

/// The columns of `width` that are not in `taken`, in order.
std::vector<int64_t> otherColumns(int64_t width,
                                  const std::vector<int64_t> &taken) {
  std::vector<int64_t> rest;
  for (int64_t c = 0; c < width; ++c)
    if (std::find(taken.begin(), taken.end(), c) == taken.end())
      rest.push_back(c);
  return rest;
}

/// "2" or, where the file's header names it, "2 'label'".
std::string columnName(const RawArray &a, int64_t c) {
  if (static_cast<int64_t>(a.header.size()) != a.shape[1])
    return std::to_string(c);
  return std::to_string(c) + " '" + a.header[static_cast<size_t>(c)] + "'";
}

/// "3 columns (0, 1, 2)" for messages, with the header's names where the
/// file has them; long lists are cut in the middle.
std::string describeColumns(const RawArray &a,
                            const std::vector<int64_t> &cols) {
  std::string list;
  for (size_t i = 0; i < cols.size(); ++i) {
    if (cols.size() > 8 && i == 3) {
      list += ", ...";
      i = cols.size() - 2;
      continue;
    }
    list += (i ? ", " : "") + columnName(a, cols[i]);
  }
  return std::to_string(cols.size()) + " column" +
         (cols.size() == 1 ? "" : "s") + " (" + list + ")";
}

const char *formatName(DataFormat f) {
  switch (f) {
  case DataFormat::Idx:
    return "IDX";
  case DataFormat::Csv:
    return "CSV";
  case DataFormat::Npy:
    return "NPY";
  }
  return "?";
}

} // namespace

bool usesColumns(const Options &opt) {
  return !opt.columns.empty() || !opt.labelColumn.empty();
}

Dataset loadColumns(const ModelDesc &m, const Options &opt,
                    const std::vector<std::string> &args, bool withLabels,
                    const std::string &what) {
  std::string given = givenOptions(opt);
  if (m.inputs.size() != 1 || m.labels.size() > 1) {
    std::string tensors;
    for (const auto *list : {&m.inputs, &m.labels})
      for (const TensorSpec &t : *list)
        tensors += (tensors.empty() ? "" : ", ") + t.describe();
    throw UsageError("with " + given + ", the input and the label come " +
                     "from one CSV file, so the model must have one input " +
                     "and at most one label; model '" + m.name + "' has " +
                     std::to_string(m.inputs.size()) + " input" +
                     (m.inputs.size() == 1 ? "" : "s") + " and " +
                     std::to_string(m.labels.size()) + " label" +
                     (m.labels.size() == 1 ? "" : "s") + " (" + tensors +
                     "); give one data file per tensor instead");
  }
  if (args.size() != 1) {
    std::string files;
    for (const std::string &a : args)
      files += (files.empty() ? "" : ", ") + ("'" + a + "'");
    throw UsageError(what + ": with " + given + ", the input and the label " +
                     "come from one CSV file, but " +
                     (args.empty()
                          ? std::string("no data file is given")
                          : std::to_string(args.size()) +
                                " data files are given (" + files + ")"));
  }
  const std::string &path = args[0];
  if (!fileExists(path))
    throw UsageError(what + ": data file '" + path + "' does not exist");
  RawArray a = readArray(path);
  if (a.format != DataFormat::Csv)
    throw UsageError(path + ": with " + given + ", the data file must " +
                     "be CSV (columns of numbers), but this is " +
                     formatName(a.format) + " data; give one file per " +
                     "tensor instead");

  const TensorSpec &input = m.inputs[0];
  const TensorSpec *label =
      withLabels && !m.labels.empty() ? &m.labels[0] : nullptr;
  int64_t width = a.shape[1];
  std::vector<int64_t> in, lbl;
  if (!opt.labelColumn.empty())
    lbl = csvColumns(a, "--label-column", opt.labelColumn);
  if (!opt.columns.empty())
    in = csvColumns(a, "--columns", opt.columns);
  else
    in = otherColumns(width, lbl);
  if (opt.labelColumn.empty() && label)
    lbl = otherColumns(width, in);
  for (int64_t c : in)
    if (std::find(lbl.begin(), lbl.end(), c) != lbl.end())
      throw UsageError("--columns " + opt.columns + " and --label-column " +
                       opt.labelColumn + " both pick column " +
                       columnName(a, c) +
                       "; the label must not also be an input");

  // An option's spec can pick no column, so an empty set is the rest of
  // the file when the other option took all of it.
  if (in.empty())
    throw UsageError(path + ": --label-column " + opt.labelColumn +
                     " picks every column, leaving none for the input " +
                     input.describe() + "; pass --columns");
  if (label && lbl.empty())
    throw UsageError(path + ": --columns " + opt.columns +
                     " picks every column, leaving none for the label " +
                     label->describe() + "; pass --label-column");
  // How each set of columns came about, for messages.
  std::string inFrom =
      opt.columns.empty()
          ? "leaving out --label-column " + opt.labelColumn + " leaves"
          : "--columns " + opt.columns + " picks";
  std::string lblFrom = opt.labelColumn.empty()
                            ? "leaving out --columns " + opt.columns + " leaves"
                            : "--label-column " + opt.labelColumn + " picks";
  auto fits = [&](const TensorSpec &spec, const std::vector<int64_t> &cols,
                  const std::string &from, const char *role) {
    if (static_cast<int64_t>(cols.size()) == spec.sampleNumel())
      return;
    throw Error(path + ": " + from + " " + describeColumns(a, cols) +
                ", but the model's " + role + " " + spec.describe() +
                " takes " + std::to_string(spec.sampleNumel()) + " value" +
                (spec.sampleNumel() == 1 ? "" : "s") + " per sample");
  };
  fits(input, in, inFrom, "input");
  if (label)
    fits(*label, lbl, lblFrom, "label");

  Dataset d;
  d.size = a.records();
  d.inputs.push_back(toSamples(takeColumns(a, in), input));
  if (label)
    d.labels.push_back(toSamples(takeColumns(a, lbl), *label));
  return d;
}

} // namespace lamina::cli
