//===- Cli.cpp - The command line of a generated executable ---------------===//
//
// The commands. Parsing is in CliOptions.cpp, --help in CliHelp.cpp.
//
//===----------------------------------------------------------------------===//

#include "lamina/Cli.h"

#include "CliCommon.h"

#include "lamina/Data.h"
#include "lamina/Error.h"
#include "lamina/File.h"
#include "lamina/History.h"
#include "lamina/Train.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

namespace lamina {

namespace cli {
namespace {

/// Throws UsageError unless `path`, given to `option`, can be written: its
/// directory exists and it is not a directory itself. Checked before
/// training, so that a typo does not wait for the end of the first epoch.
void requireWritable(const std::string &option, const std::string &path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "."
                    : slash == 0               ? "/"
                                               : path.substr(0, slash);
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw UsageError(option + " " + path + ": the directory '" + dir +
                     "' does not exist; create it first or give another path");
  if (::access(dir.c_str(), W_OK) != 0)
    throw UsageError(option + " " + path + ": the directory '" + dir +
                     "' is not writable; give another path");
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    throw UsageError(option + " " + path + " is a directory; give a file name");
}

/// Lists specs as "x f32[batch, 784], y i32[batch]".
std::string listSpecs(const std::vector<const TensorSpec *> &specs) {
  std::string s;
  for (const TensorSpec *t : specs)
    s += (s.empty() ? "" : ", ") + t->describe();
  return s;
}

/// Matches data arguments to `specs`: NAME=PATH pairs first, then plain
/// paths in declaration order. Checks that every file exists.
std::vector<std::string>
assignData(const std::vector<const TensorSpec *> &specs,
           const std::vector<std::string> &args, const std::string &what) {
  std::vector<std::string> paths(specs.size());
  std::vector<std::string> positional;
  for (const std::string &a : args) {
    size_t eq = a.find('=');
    bool assigned = false;
    if (eq != std::string::npos) {
      std::string name = a.substr(0, eq);
      for (size_t i = 0; i < specs.size(); ++i) {
        if (specs[i]->name != name)
          continue;
        if (!paths[i].empty())
          throw UsageError(what + ": data for '" + name + "' is given twice");
        paths[i] = a.substr(eq + 1);
        if (paths[i].empty())
          throw UsageError(what + ": '" + a + "' has an empty path");
        assigned = true;
      }
    }
    if (!assigned)
      positional.push_back(a);
  }
  size_t next = 0;
  for (const std::string &p : positional) {
    while (next < specs.size() && !paths[next].empty())
      ++next;
    if (next == specs.size())
      throw UsageError(what + ": too many data files ('" + p +
                       "' is left over); expected one file for each of " +
                       listSpecs(specs) + ", in this order, or NAME=PATH");
    paths[next++] = p;
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    if (paths[i].empty())
      throw UsageError(what + ": no data for " + specs[i]->describe() +
                       "; expected one file for each of " + listSpecs(specs) +
                       ", in this order, or NAME=PATH");
    if (!fileExists(paths[i]))
      throw UsageError(what + ": data file '" + paths[i] + "' for '" +
                       specs[i]->name + "' does not exist");
  }
  return paths;
}

/// --seed, else the train block's seed, else 0.
uint64_t seedOf(const ModelDesc &m, const Options &opt) {
  const std::optional<TrainDefaults> &d = m.train;
  return opt.seed ? *opt.seed : d && d->seed ? *d->seed : 0;
}

/// Loads the checkpoint `path` into `s` (with the optimizer state and
/// counters if `withState`), warning on `err` when another model wrote it:
/// its tensors have this model's names and shapes, or load would throw.
CheckpointInfo loadCheckpoint(Session &s, const ModelDesc &m,
                              const std::string &path, bool withState,
                              std::ostream &err) {
  CheckpointInfo info = s.load(path, withState);
  if (!info.model.empty() && info.model != m.name)
    err << "warning: " << path << " was written by model '" << info.model
        << "', not '" << m.name
        << "'; its tensors have this model's names and shapes, so they are "
           "used\n";
  return info;
}

/// Throws UsageError unless `command` has parameters to run with: a
/// --checkpoint that exists, or a model whose parameters are all given in
/// its file (init data, as in examples/linreg.lam).
void requireParameters(const ModelDesc &m, const Options &opt,
                       const char *command) {
  bool given =
      std::all_of(m.params.begin(), m.params.end(), [](const TensorSpec &p) {
        return p.init.kind == InitKind::Data;
      });
  if (opt.checkpoint.empty() && !given)
    throw UsageError(std::string(command) +
                     " needs --checkpoint FILE (only a model whose "
                     "parameters are all given in its file runs without "
                     "one)");
  if (!opt.checkpoint.empty())
    requireFile("--checkpoint", opt.checkpoint);
}

/// The parameters eval and predict run with: --checkpoint's, or, when every
/// parameter is given in the model file (init data, as in
/// examples/rnn_notes.lam), those.
void loadParameters(Session &s, const ModelDesc &m, const Options &opt,
                    std::ostream &err) {
  if (!opt.checkpoint.empty()) {
    loadCheckpoint(s, m, opt.checkpoint, false, err);
    return;
  }
  s.initialize(0);
}

/// Loads a data set from command-line arguments; labels only if `withLabels`.
Dataset loadFromArgs(const ModelDesc &m, const Options &opt,
                     const std::vector<std::string> &args, bool withLabels,
                     const std::string &what) {
  if (usesColumns(opt))
    return loadColumns(m, opt, args, withLabels, what);
  std::vector<const TensorSpec *> specs;
  for (const TensorSpec &t : m.inputs)
    specs.push_back(&t);
  if (withLabels)
    for (const TensorSpec &t : m.labels)
      specs.push_back(&t);
  std::vector<std::string> paths = assignData(specs, args, what);
  std::vector<std::string> inputs(paths.begin(),
                                  paths.begin() + m.inputs.size());
  std::vector<std::string> labels(paths.begin() + m.inputs.size(), paths.end());
  return loadDataset(m, inputs, labels);
}

int64_t evalBatch(const ModelDesc &m, const Options &opt) {
  if (opt.batch)
    return *opt.batch;
  if (m.train && m.train->batch)
    return *m.train->batch;
  return 256;
}

/// The history that --history and --plot write. A resumed run continues
/// the rows of the first --history file that has the same columns, up to
/// the resumed epoch; otherwise the history starts at the resumed epoch.
History startHistory(const ModelDesc &m, const Session &s, const Options &opt,
                     bool validation, std::ostream &err) {
  std::vector<std::string> quantities = {"loss"};
  for (const MetricSpec &metric : m.metrics)
    quantities.push_back(metric.name);
  History h(quantities, validation);
  if (opt.resume.empty() || s.epoch() == 0)
    return h;
  for (const std::string &path : opt.history) {
    if (!fileExists(path))
      continue;
    std::string why = h.load(path);
    if (why.empty()) {
      h.keepUpTo(s.epoch());
      return h;
    }
    err << "warning: --history " << path << " is not continued (" << why
        << "); it is rewritten from epoch " << s.epoch() + 1 << "\n";
  }
  return h;
}

void runTrain(const ModelDesc &m, const Pipelines &pipes, const Options &opt,
              std::ostream &out, std::ostream &err, bool interactive) {
  auto pick = [&](auto given, auto fromModel, const char *option) {
    if (given)
      return *given;
    if (fromModel)
      return *fromModel;
    throw UsageError(std::string("model '") + m.name + "' has no " +
                     (m.train ? "default for " + std::string(option)
                              : std::string("train block")) +
                     "; pass " + option);
  };
  std::optional<TrainDefaults> d = m.train;
  TrainOptions to;
  to.epochs = pick(opt.epochs, d ? d->epochs : std::nullopt, "--epochs");
  to.batch = pick(opt.batch, d ? d->batch : std::nullopt, "--batch");
  to.lr = pick(opt.lr, d ? d->lr : std::nullopt, "--lr");
  uint64_t seed = seedOf(m, opt);
  double valSplit = opt.valSplit ? *opt.valSplit : d ? d->validationSplit : 0.0;
  if (opt.data.empty() && !usesColumns(opt))
    throw UsageError("train needs data: one file for each of " + listSpecs([&] {
                       std::vector<const TensorSpec *> v;
                       for (const TensorSpec &t : m.inputs)
                         v.push_back(&t);
                       for (const TensorSpec &t : m.labels)
                         v.push_back(&t);
                       return v;
                     }()) +
                     ", in this order, or NAME=PATH");
  if (!opt.resume.empty())
    requireFile("--resume", opt.resume);
  for (const std::string &h : opt.history)
    requireWritable("--history", h);
  if (!opt.plot.empty())
    requireWritable("--plot", opt.plot);
  Dataset test;
  Dataset data = loadFromArgs(m, opt, opt.data, true, "train");
  if (opt.hasTest)
    test = loadFromArgs(m, opt, opt.testData, true, "--test");

  auto valCount = static_cast<int64_t>(
      std::floor(valSplit * static_cast<double>(data.size)));
  if (valCount >= data.size)
    throw Error("--val-split " + trimNumber(valSplit) + " leaves no training " +
                "records out of " + std::to_string(data.size));
  Dataset validation = data.splitTail(valCount);
  if (valSplit > 0 && valCount == 0)
    err << "warning: --val-split " << trimNumber(valSplit) << " of "
        << data.size << " records holds out nothing\n";

  Session s(m, pipes);
  to.checkpointPath = opt.checkpoint.empty() ? opt.resume : opt.checkpoint;
  to.progressBar = interactive;
  to.accumulate = opt.accumulate.value_or(1);
  if (opt.patience)
    to.earlyStop = EarlyStopSpec{"loss", *opt.patience, 0.0};
  else if (d)
    to.earlyStop = d->earlyStop;
  to.bestPath = !opt.best.empty()            ? opt.best
                : !to.checkpointPath.empty() ? to.checkpointPath + ".best"
                                             : std::string();
  if (!opt.best.empty() && to.earlyStop.monitor.empty())
    throw UsageError("--best keeps the best epoch of early stopping; set "
                     "early_stopping in the train block or pass --patience N");
  if (!opt.resume.empty()) {
    CheckpointInfo info = loadCheckpoint(s, m, opt.resume, true, err);
    if (opt.seed && *opt.seed != s.seed()) {
      err << "warning: --seed " << *opt.seed << " replaces the checkpoint's "
          << "seed " << s.seed() << "; the shuffle order changes\n";
      s.setSeed(*opt.seed);
    }
    out << "resumed from " << opt.resume << " after epoch " << s.epoch()
        << " (step " << s.step() << ")\n";
  } else {
    s.initialize(seed);
  }
  std::optional<History> history;
  if (!opt.history.empty() || !opt.plot.empty())
    history = startHistory(m, s, opt, validation.size > 0, err);
  if (history)
    to.onEpoch = [&](const EpochSummary &e) {
      std::vector<double> v = {e.train.loss};
      v.insert(v.end(), e.train.metrics.begin(), e.train.metrics.end());
      if (history->hasValidation()) {
        v.push_back(e.validation.loss);
        v.insert(v.end(), e.validation.metrics.begin(),
                 e.validation.metrics.end());
      }
      v.insert(v.end(), {e.lr, e.seconds, e.samplesPerSecond});
      history->add(e.epoch, std::move(v));
      for (const std::string &h : opt.history)
        history->write(h);
      if (!opt.plot.empty())
        history->write(opt.plot);
    };
  out << "training " << m.name << ": " << m.parameterCount() << " parameters, "
      << data.size << " training records";
  if (validation.size)
    out << ", " << validation.size << " validation records";
  out << ", batch " << to.batch << ", lr " << trimNumber(to.lr) << ", seed "
      << s.seed();
  if (m.train)
    out << ", " << m.train->optimizer;
  out << "\n";
  if (s.epoch() >= to.epochs && !opt.resume.empty()) {
    out << "already trained for " << s.epoch() << " epochs; nothing to do "
        << "(raise --epochs to train more)\n";
  } else if (s.epoch() >= to.epochs && !to.checkpointPath.empty()) {
    // --epochs 0 saves the initial parameters, for eval and predict.
    s.save(to.checkpointPath);
    out << "wrote the initial parameters to " << to.checkpointPath << "\n";
  }
  s.train(data, validation, to, out);
  if (opt.hasTest && !to.earlyStop.monitor.empty())
    if (int64_t best = s.useBest(to.bestPath))
      out << "the test uses the parameters of epoch " << best
          << ", the best on val_" << to.earlyStop.monitor << "\n";
  if (opt.hasTest) {
    EvalResult r = s.evaluate(test, to.batch);
    out << formatResult(m, r, "test ") << "\n";
  }
}

/// The records of `paths[i]` for `specs[i]`, each read a batch at a time,
/// when every file is an uncompressed NPY file of its tensor's element type
/// and sample size, with the same number of records (at least one); empty
/// otherwise (the files are loaded whole, converted and checked).
std::vector<std::unique_ptr<NpyRecords>>
openRecords(const std::vector<const TensorSpec *> &specs,
            const std::vector<std::string> &paths) {
  std::vector<std::unique_ptr<NpyRecords>> files;
  for (size_t i = 0; i < paths.size(); ++i) {
    files.push_back(NpyRecords::open(paths[i], *specs[i]));
    if (!files.back())
      return {};
  }
  for (size_t i = 1; i < files.size(); ++i)
    if (files[i]->records() != files[0]->records())
      throw Error(paths[i] + ": has " + std::to_string(files[i]->records()) +
                  " records but " + paths[0] + " has " +
                  std::to_string(files[0]->records()) +
                  "; every file must have one record per sample");
  return files;
}

/// Reads records [first, first + rows) of files[from..] into `dst`.
void readRecords(const std::vector<std::unique_ptr<NpyRecords>> &files,
                 size_t from, int64_t first, int64_t rows,
                 std::vector<Tensor> &dst) {
  for (size_t i = 0; i < dst.size(); ++i)
    files[from + i]->read(first, rows, dst[i]);
}

/// The index of `m`'s first metric whose sums are a confusion matrix, or -1.
static int confusionMetric(const ModelDesc &m) {
  for (size_t i = 0; i < m.metrics.size(); ++i)
    if (abi::isConfusion(m.metrics[i].finish))
      return static_cast<int>(i);
  return -1;
}

/// Prints metric `i`'s confusion matrix: a row per true class, a column per
/// predicted class, right-aligned counts.
static void printConfusion(const ModelDesc &m, const EvalResult &r, size_t i,
                           std::ostream &out) {
  const abi::MetricSums &sums = r.sums[i];
  int64_t classes = sums.classes();
  double widest = 0;
  for (double v : sums.sums())
    widest = std::max(widest, v);
  int width = std::max<int>(
      {static_cast<int>(std::to_string(static_cast<int64_t>(widest)).size()),
       static_cast<int>(std::to_string(classes - 1).size()), 4});
  out << "confusion matrix (" << m.metrics[i].name
      << "'s; rows: true class, columns: predicted class)\n";
  auto cell = [&](const std::string &text) {
    out << std::string(static_cast<size_t>(width + 1) -
                           std::min(text.size(), static_cast<size_t>(width)),
                       ' ')
        << text;
  };
  out << std::string(static_cast<size_t>(width), ' ');
  for (int64_t c = 0; c < classes; ++c)
    cell(std::to_string(c));
  out << "\n";
  for (int64_t t = 0; t < classes; ++t) {
    cell(std::to_string(t));
    for (int64_t p = 0; p < classes; ++p)
      cell(std::to_string(static_cast<int64_t>(
          sums.sums()[static_cast<size_t>(t * classes + p)])));
    out << "\n";
  }
}

/// eval --json: {"records", "loss", "metrics": {name: value}, "confusion":
/// [[row of counts per true class]...] (a classifier's)}, every number in
/// full precision.
static void writeEvalJson(const ModelDesc &m, const EvalResult &r,
                          const std::string &path) {
  nlohmann::json j;
  j["records"] = r.samples;
  if (m.hasLoss)
    j["loss"] = r.loss;
  j["metrics"] = nlohmann::json::object();
  for (size_t i = 0; i < m.metrics.size(); ++i) {
    // JSON has no NaN: a metric that is not a number is null.
    double v = r.metrics[i];
    j["metrics"][m.metrics[i].name] =
        std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
  }
  if (int c = confusionMetric(m); c >= 0) {
    const abi::MetricSums &sums = r.sums[static_cast<size_t>(c)];
    nlohmann::json rows = nlohmann::json::array();
    for (int64_t t = 0; t < sums.classes(); ++t) {
      nlohmann::json row = nlohmann::json::array();
      for (int64_t p = 0; p < sums.classes(); ++p)
        row.push_back(static_cast<int64_t>(
            sums.sums()[static_cast<size_t>(t * sums.classes() + p)]));
      rows.push_back(row);
    }
    j["confusion"] = rows;
  }
  std::string text = j.dump(2) + "\n";
  AtomicFile f(path);
  f.write(text.data(), text.size());
  f.commit();
}

void runEval(const ModelDesc &m, const Pipelines &pipes, const Options &opt,
             std::ostream &out, std::ostream &err) {
  requireParameters(m, opt, "eval");
  int confusion = confusionMetric(m);
  if (opt.confusion && confusion < 0)
    throw UsageError("--confusion needs a classification metric, and model '" +
                     m.name +
                     "' has none; add one to the model file, such as "
                     "'metric accuracy(logits, y);', and rebuild");
  std::vector<const TensorSpec *> specs;
  for (const std::vector<TensorSpec> *list : {&m.inputs, &m.labels})
    for (const TensorSpec &t : *list)
      specs.push_back(&t);
  // NPY files of the tensors' element types are read a batch at a time;
  // anything else (and the columns of one CSV file) is loaded whole and
  // converted first.
  std::vector<std::unique_ptr<NpyRecords>> files;
  if (!usesColumns(opt))
    files = openRecords(specs, assignData(specs, opt.data, "eval"));
  Dataset data;
  if (files.empty())
    data = loadFromArgs(m, opt, opt.data, true, "eval");
  Session s(m, pipes);
  loadParameters(s, m, opt, err);
  EvalResult r =
      files.empty()
          ? s.evaluate(data, evalBatch(m, opt))
          : s.evaluateStream(
                files[0]->records(), evalBatch(m, opt),
                [&](int64_t first, int64_t rows, std::vector<Tensor> &in,
                    std::vector<Tensor> &labels) {
                  readRecords(files, 0, first, rows, in);
                  readRecords(files, in.size(), first, rows, labels);
                });
  if (opt.verbose && !files.empty())
    err << "eval: read " << r.samples
        << " records from the NPY files batch by batch\n";
  out << formatResult(m, r, "") << "  (" << r.samples << " records)\n";
  if (opt.confusion)
    printConfusion(m, r, static_cast<size_t>(confusion), out);
  if (!opt.json.empty())
    writeEvalJson(m, r, opt.json);
}

/// `base` with `.name` inserted before its extension: out.npy -> out.probs.npy.
std::string outputPath(const std::string &base, const std::string &name) {
  size_t slash = base.rfind('/');
  size_t dot = base.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
    return base + "." + name;
  return base.substr(0, dot) + "." + name + base.substr(dot);
}

/// predict -o when every input is an uncompressed NPY file of its input's
/// element type: each batch is read from the files into the pipeline's
/// input buffers and its outputs appended to the NPY files, so neither is
/// ever held whole or copied again. False (nothing done) otherwise.
bool predictStreaming(const ModelDesc &m, const Pipelines &pipes,
                      const Options &opt, std::ostream &err) {
  if (usesColumns(opt))
    return false;
  std::vector<const TensorSpec *> specs;
  for (const TensorSpec &t : m.inputs)
    specs.push_back(&t);
  std::vector<std::unique_ptr<NpyRecords>> inputs =
      openRecords(specs, assignData(specs, opt.data, "predict"));
  if (inputs.empty())
    return false;
  int64_t records = inputs[0]->records();
  Session s(m, pipes);
  loadParameters(s, m, opt, err);
  std::vector<std::string> outPaths, wrote;
  std::vector<std::unique_ptr<NpyWriter>> writers;
  for (const TensorSpec &o : m.outputs) {
    outPaths.push_back(m.outputs.size() == 1 ? opt.output
                                             : outputPath(opt.output, o.name));
    Shape shape = o.sampleShape();
    if (o.batched())
      shape.insert(shape.begin(), records);
    writers.push_back(
        std::make_unique<NpyWriter>(outPaths.back(), o.dtype, shape));
    wrote.push_back("wrote " + o.name + " " + formatType(o.dtype, shape) +
                    " to " + outPaths.back());
  }
  s.predictStream(
      records, evalBatch(m, opt),
      [&](int64_t first, int64_t rows, std::vector<Tensor> &in) {
        readRecords(inputs, 0, first, rows, in);
      },
      [&](int64_t first, int64_t rows, const std::vector<Tensor> &out) {
        for (size_t i = 0; i < out.size(); ++i) {
          // An output without a batch is written once.
          if (!m.outputs[i].batched()) {
            if (first == 0)
              writers[i]->append(out[i].raw(), out[i].byteSize());
          } else {
            writers[i]->append(out[i].row(0),
                               out[i].rowBytes() * static_cast<size_t>(rows));
          }
        }
      });
  for (size_t i = 0; i < writers.size(); ++i) {
    writers[i]->commit();
    err << wrote[i] << "\n";
  }
  if (opt.verbose)
    err << "predict: read " << records << " records from the NPY input"
        << (inputs.size() == 1 ? "" : "s") << " batch by batch\n";
  return true;
}

void runPredict(const ModelDesc &m, const Pipelines &pipes, const Options &opt,
                std::ostream &out, std::ostream &err) {
  requireParameters(m, opt, "predict");
  if (!opt.output.empty() && predictStreaming(m, pipes, opt, err))
    return;
  Dataset data = loadFromArgs(m, opt, opt.data, false, "predict");
  Session s(m, pipes);
  loadParameters(s, m, opt, err);
  std::vector<Tensor> outputs = s.predict(data, evalBatch(m, opt));
  if (!opt.output.empty()) {
    for (size_t i = 0; i < outputs.size(); ++i) {
      std::string path = outputs.size() == 1
                             ? opt.output
                             : outputPath(opt.output, m.outputs[i].name);
      writeNpy(path, outputs[i]);
      err << "wrote " << m.outputs[i].name << " "
          << formatType(outputs[i].dtype(), outputs[i].shape()) << " to "
          << path << "\n";
    }
    return;
  }
  char num[32];
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor &t = outputs[i];
    if (outputs.size() > 1)
      out << "# " << m.outputs[i].name << " "
          << formatType(t.dtype(), t.shape()) << "\n";
    // One line per row (of a rank-0 output, its value).
    int64_t rowsOut = t.rank() == 0 ? 1 : t.shape()[0];
    int64_t perRow = rowsOut ? t.numel() / rowsOut : 0;
    std::string line;
    for (int64_t r = 0; r < rowsOut; ++r) {
      line.clear();
      for (int64_t j = 0; j < perRow; ++j) {
        std::snprintf(num, sizeof(num), "%.6g", t.get(r * perRow + j));
        if (j)
          line += ',';
        line += num;
      }
      out << line << '\n';
    }
  }
  out.flush();
}

} // namespace

bool runGradCheck(const ModelDesc &m, const Pipelines &pipes,
                  const Options &opt, std::ostream &out, std::ostream &err) {
  Dataset data = loadFromArgs(m, opt, opt.data, true, "gradcheck");
  Session s(m, pipes);
  // The checkpoint's parameters, else the initial ones of the train
  // block's seed (or --seed).
  std::string from;
  if (!opt.checkpoint.empty()) {
    requireFile("--checkpoint", opt.checkpoint);
    loadCheckpoint(s, m, opt.checkpoint, false, err);
    from = "the parameters of " + opt.checkpoint;
  } else {
    uint64_t seed = seedOf(m, opt);
    s.initialize(seed);
    from = "the initial parameters of seed " + std::to_string(seed);
  }
  int64_t records = std::min<int64_t>(opt.records.value_or(8), data.size);
  double tol = opt.tolerance.value_or(1e-4);
  double loss = 0;
  std::vector<GradCheckResult> results =
      s.gradCheck(data, records, /*perParam=*/16, loss);
  char line[256];
  std::snprintf(line, sizeof line, "%.10g", loss);
  out << "gradcheck of " << m.name << " on " << records << " records, " << from
      << ", in f64: loss " << line << "\n";
  std::snprintf(line, sizeof line, "%-24s %9s %12s %17s %17s\n", "parameter",
                "checked", "rel. error", "analytic", "numeric");
  out << line;
  const GradCheckResult *worst = nullptr;
  for (const GradCheckResult &r : results) {
    std::string checked =
        std::to_string(r.checked) + "/" + std::to_string(r.elements);
    std::snprintf(line, sizeof line, "%-24s %9s %12.3g %17.10g %17.10g\n",
                  r.name.c_str(), checked.c_str(), r.error, r.analytic,
                  r.numeric);
    out << line;
    if (!worst || std::isnan(r.error) ||
        (!std::isnan(worst->error) && r.error > worst->error))
      worst = &r;
  }
  if (worst && !(worst->error <= tol)) {
    std::snprintf(line, sizeof line,
                  "gradcheck FAILED: the gradient of %s differs from the "
                  "central difference by %.3g (relative; --tol %g) at element "
                  "%lld: %.10g against %.10g\n",
                  worst->name.c_str(), worst->error, tol,
                  static_cast<long long>(worst->worst), worst->analytic,
                  worst->numeric);
    out << line;
    return false;
  }
  std::snprintf(line, sizeof line,
                "gradcheck passed: every relative error is at most %g\n", tol);
  out << line;
  return true;
}

bool fileExists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

void requireFile(const std::string &option, const std::string &path) {
  if (!fileExists(path))
    throw UsageError(option + " file '" + path + "' does not exist");
}

std::string whatModelCanDo(const ModelDesc &m) {
  std::vector<const char *> can;
  if (m.hasTrain())
    can.push_back("train");
  if (m.hasEval())
    can.push_back("eval");
  if (m.hasPredict())
    can.push_back("predict");
  if (can.empty())
    return "do nothing";
  if (can.size() == 1)
    return std::string("only ") + can[0];
  std::string s;
  for (size_t i = 0; i < can.size(); ++i)
    s += std::string(i == 0                ? ""
                     : i + 1 == can.size() ? " and "
                                           : ", ") +
         can[i];
  return s;
}

void requirePipeline(const ModelDesc &m, Command c) {
  std::string why;
  switch (c) {
  case Command::Train:
    if (m.hasTrain())
      return;
    why = "has no loss";
    break;
  case Command::Eval:
    if (m.hasEval())
      return;
    why = "has no loss and no metric";
    break;
  case Command::Predict:
    if (m.hasPredict())
      return;
    why = "has no output";
    break;
  case Command::Bench:
    if (m.hasTrain() || m.hasEval() || m.hasPredict())
      return;
    why = "has no loss, no metric and no output";
    break;
  case Command::GradCheck:
    if (m.hasTrain())
      return;
    why = "has no loss";
    break;
  }
  throw UsageError("model '" + m.name + "' " + why + ", so it has no " +
                   commandName(c) + " pipeline; it can " + whatModelCanDo(m));
}

} // namespace cli

int runCli(int argc, const char *const *argv, const ModelSource &src,
           std::ostream &out, std::ostream &err, bool interactive) {
  std::string prog = argc > 0 && argv[0] ? argv[0] : "model";
  if (size_t slash = prog.rfind('/'); slash != std::string::npos)
    prog = prog.substr(slash + 1);
  try {
    ModelDesc m = ModelDesc::parse(src.json ? src.json : "");
    cli::Options opt = cli::parseArgs(argc, argv);
    if (opt.help) {
      cli::printHelp(out, prog, m,
                     src.kernelVariant ? src.kernelVariant() : nullptr);
      return kExitOk;
    }
    if (opt.verbose && src.kernelVariant)
      err << prog << ": kernels: " << src.kernelVariant() << "\n";
    int threads = 0;
    if (opt.threads) {
      if (!src.setNumThreads)
        throw UsageError("--threads is not supported by this executable");
      src.setNumThreads(*opt.threads);
    }
    if (src.numThreads)
      threads = src.numThreads();
    cli::requirePipeline(m, opt.command);
    switch (opt.command) {
    case cli::Command::Train:
      cli::runTrain(m, src.pipelines, opt, out, err, interactive);
      break;
    case cli::Command::Eval:
      cli::runEval(m, src.pipelines, opt, out, err);
      break;
    case cli::Command::Predict:
      cli::runPredict(m, src.pipelines, opt, out, err);
      break;
    case cli::Command::Bench:
      cli::runBench(m, src.pipelines, opt, threads,
                    src.kernelVariant ? src.kernelVariant() : nullptr, out);
      break;
    case cli::Command::GradCheck:
      if (!cli::runGradCheck(m, src.pipelines, opt, out, err))
        return kExitFailure;
      break;
    }
    return kExitOk;
  } catch (const UsageError &e) {
    out.flush();
    err << prog << ": error: " << e.what() << "\nRun '" << prog
        << " --help' for usage.\n";
    return kExitUsage;
  } catch (const Error &e) {
    out.flush();
    err << prog << ": error: " << e.what() << "\n";
    return kExitFailure;
  } catch (const std::bad_alloc &) {
    out.flush();
    err << prog << ": error: out of memory\n";
    return kExitFailure;
  }
}

} // namespace lamina
