//===- Cli.cpp - The command line of a generated executable ---------------===//

#include "lamina/Cli.h"

#include "lamina/Data.h"
#include "lamina/Error.h"
#include "lamina/Train.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <sys/stat.h>

namespace lamina {

namespace {

enum class Command { Train, Eval, Predict };

const char *commandName(Command c) {
  switch (c) {
  case Command::Train:
    return "train";
  case Command::Eval:
    return "eval";
  case Command::Predict:
    return "predict";
  }
  return "?";
}

/// The parsed command line.
struct Options {
  Command command = Command::Train;
  bool help = false;
  std::vector<std::string> data;
  std::vector<std::string> testData;
  bool hasTest = false;
  std::optional<int64_t> epochs;
  std::optional<int64_t> batch;
  std::optional<double> lr;
  std::optional<double> valSplit;
  std::optional<uint64_t> seed;
  std::optional<int> threads;
  std::string checkpoint;
  std::string resume;
  std::string output;
};

/// One option: its spellings, its value's name (null for none) and the
/// commands that accept it.
struct OptionInfo {
  const char *name;
  const char *alias;
  const char *value;
  bool train, eval, predict;
  const char *help;
};

// The order here is the order in --help.
const OptionInfo kOptions[] = {
    {"--epochs", nullptr, "N", true, false, false,
     "train until N epochs are complete (resumed ones count)"},
    {"--lr", nullptr, "X", true, false, false, "learning rate"},
    {"--batch", nullptr, "N", true, true, true,
     "rows per pipeline call; the last batch may be shorter"},
    {"--seed", nullptr, "N", true, false, false,
     "seed for initialization and shuffling (same seed, same run)"},
    {"--val-split", nullptr, "F", true, false, false,
     "hold out the last fraction F of the data (before shuffling) and "
     "evaluate on it after every epoch"},
    {"--checkpoint", nullptr, "FILE", true, true, true,
     "train: save parameters and optimizer state to FILE (safetensors) "
     "after every epoch; eval, predict: load parameters from FILE"},
    {"--resume", nullptr, "FILE", true, false, false,
     "continue training from FILE exactly where it stopped (saves back to "
     "FILE unless --checkpoint is given)"},
    {"--test", nullptr, "DATA...", true, false, false,
     "after training, evaluate on DATA (every argument up to the next option)"},
    {"--output", "-o", "OUT.npy", false, false, true,
     "write the outputs to OUT.npy instead of printing them"},
    {"--threads", nullptr, "N", true, true, true,
     "Halide worker threads (default: HL_NUM_THREADS, else all cores)"},
    {"--help", "-h", nullptr, true, true, true, "show this help"},
};

const OptionInfo *findOption(const std::string &name) {
  for (const OptionInfo &o : kOptions)
    if (name == o.name || (o.alias && name == o.alias))
      return &o;
  return nullptr;
}

bool accepts(const OptionInfo &o, Command c) {
  switch (c) {
  case Command::Train:
    return o.train;
  case Command::Eval:
    return o.eval;
  case Command::Predict:
    return o.predict;
  }
  return false;
}

bool isOption(const std::string &arg) {
  return arg.size() > 1 && arg[0] == '-';
}

bool fileExists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

template <typename T>
T parseInteger(const std::string &option, const std::string &text, T min,
               T max) {
  T v{};
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v < min ||
      v > max)
    throw UsageError(option + " expects an integer in [" + std::to_string(min) +
                     ", " + std::to_string(max) + "], got '" + text + "'");
  return v;
}

double parseReal(const std::string &option, const std::string &text, double min,
                 double maxExclusive) {
  double v = 0;
  std::string_view s = text;
  if (!s.empty() && s[0] == '+')
    s.remove_prefix(1);
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  bool ok = !s.empty() && ec == std::errc() && ptr == s.data() + s.size() &&
            std::isfinite(v) && v >= min && v < maxExclusive;
  if (!ok) {
    char range[96];
    if (std::isinf(maxExclusive))
      std::snprintf(range, sizeof(range), "a number >= %g", min);
    else
      std::snprintf(range, sizeof(range), "a number in [%g, %g)", min,
                    maxExclusive);
    throw UsageError(option + " expects " + range + ", got '" + text + "'");
  }
  return v;
}

Options parseArgs(int argc, const char *const *argv) {
  Options opt;
  if (argc < 2)
    throw UsageError("missing command (train, eval or predict)");
  std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    opt.help = true;
    return opt;
  }
  if (cmd == "train")
    opt.command = Command::Train;
  else if (cmd == "eval")
    opt.command = Command::Eval;
  else if (cmd == "predict")
    opt.command = Command::Predict;
  else if (isOption(cmd))
    throw UsageError("expected a command (train, eval or predict) before '" +
                     cmd + "'");
  else
    throw UsageError("unknown command '" + cmd +
                     "' (expected train, eval or predict)");

  bool optionsDone = false;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (optionsDone || !isOption(arg)) {
      opt.data.push_back(arg);
      continue;
    }
    if (arg == "--") {
      optionsDone = true;
      continue;
    }
    std::string name = arg, value;
    bool inlineValue = false;
    if (size_t eq = arg.find('=');
        arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      inlineValue = true;
    }
    const OptionInfo *o = findOption(name);
    if (!o)
      throw UsageError("unknown option '" + name + "'");
    if (!accepts(*o, opt.command))
      throw UsageError(std::string("option '") + o->name +
                       "' does not apply to '" + commandName(opt.command) +
                       "'");
    name = o->name;
    if (name == "--help") {
      opt.help = true;
      continue;
    }
    if (name == "--test") {
      opt.hasTest = true;
      if (inlineValue)
        opt.testData.push_back(value);
      while (i + 1 < argc && !isOption(argv[i + 1]))
        opt.testData.push_back(argv[++i]);
      if (opt.testData.empty())
        throw UsageError("--test needs data files (DATA...)");
      continue;
    }
    if (!inlineValue) {
      if (i + 1 >= argc || std::string(argv[i + 1]).rfind("--", 0) == 0)
        throw UsageError("option '" + name + "' needs a value (" + o->value +
                         ")");
      value = argv[++i];
    }
    if (name == "--epochs")
      opt.epochs = parseInteger<int64_t>(name, value, 0,
                                         std::numeric_limits<int32_t>::max());
    else if (name == "--batch")
      opt.batch = parseInteger<int64_t>(name, value, 1,
                                        std::numeric_limits<int32_t>::max());
    else if (name == "--seed")
      opt.seed = parseInteger<uint64_t>(name, value, 0,
                                        std::numeric_limits<uint64_t>::max());
    else if (name == "--threads")
      opt.threads = parseInteger<int>(name, value, 1, 4096);
    else if (name == "--lr")
      opt.lr =
          parseReal(name, value, 0.0, std::numeric_limits<double>::infinity());
    else if (name == "--val-split")
      opt.valSplit = parseReal(name, value, 0.0, 1.0);
    else if (name == "--checkpoint")
      opt.checkpoint = value;
    else if (name == "--resume")
      opt.resume = value;
    else if (name == "--output")
      opt.output = value;
    if (value.empty())
      throw UsageError("option '" + name + "' needs a non-empty value");
  }
  return opt;
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

/// Loads a data set from command-line arguments; labels only if `withLabels`.
Dataset loadFromArgs(const ModelDesc &m, const std::vector<std::string> &args,
                     bool withLabels, const std::string &what) {
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

void requireFile(const std::string &option, const std::string &path) {
  if (!fileExists(path))
    throw UsageError(option + " file '" + path + "' does not exist");
}

std::string trimNumber(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

/// Formats one help entry: `head` padded to column `indent`, then `text`
/// wrapped at 79 columns with continuation lines indented to `indent`.
std::string wrap(const std::string &head, const std::string &text,
                 size_t indent = 24) {
  constexpr size_t kWidth = 79;
  std::string out = head;
  if (!head.empty() && out.size() + 1 > indent)
    out += "\n" + std::string(indent, ' ');
  else
    out += std::string(indent - out.size(), ' ');
  size_t col = indent;
  size_t pos = 0;
  bool first = true;
  while (pos < text.size()) {
    size_t end = text.find(' ', pos);
    if (end == std::string::npos)
      end = text.size();
    std::string word = text.substr(pos, end - pos);
    pos = end + 1;
    if (!first && col + 1 + word.size() > kWidth) {
      out += "\n" + std::string(indent, ' ');
      col = indent;
      first = true;
    }
    if (!first) {
      out += ' ';
      ++col;
    }
    out += word;
    col += word.size();
    first = false;
  }
  return out + "\n";
}

void printHelp(std::ostream &out, const std::string &prog, const ModelDesc &m) {
  out << "Usage: " << prog << " train [DATA...] [options]\n"
      << "       " << prog << " eval DATA... --checkpoint FILE [options]\n"
      << "       " << prog << " predict INPUTS... --checkpoint FILE "
      << "[-o OUT.npy] [options]\n\n";
  out << "Model " << m.name;
  if (!m.file.empty())
    out << " (" << m.file << ")";
  out << ", " << m.parameterCount() << " parameters\n";
  auto list = [&](const char *title, const std::vector<TensorSpec> &specs) {
    if (specs.empty())
      return;
    out << "  " << title;
    for (size_t i = 0; i < specs.size(); ++i)
      out << (i ? ", " : "") << specs[i].describe();
    out << "\n";
  };
  list("inputs:  ", m.inputs);
  list("labels:  ", m.labels);
  list("outputs: ", m.outputs);
  if (!m.metrics.empty()) {
    out << "  metrics: ";
    for (size_t i = 0; i < m.metrics.size(); ++i)
      out << (i ? ", " : "") << m.metrics[i].name;
    out << "\n";
  }
  if (!m.hasLoss)
    out << "  (no loss: this model can only predict)\n";
  if (m.train) {
    const TrainDefaults &t = *m.train;
    out << "  train defaults:";
    if (t.epochs)
      out << " epochs " << *t.epochs << ",";
    if (t.batch)
      out << " batch " << *t.batch << ",";
    if (t.lr)
      out << " lr " << trimNumber(*t.lr) << ",";
    out << " seed " << t.seed.value_or(0) << ", validation split "
        << trimNumber(t.validationSplit) << "\n";
  } else if (m.hasLoss) {
    out << "  no train block: train needs --epochs, --lr and --batch\n";
  }

  out << "\nCommands:\n"
      << wrap("  train [DATA...]", "train from the initial parameters (or "
                                   "--resume FILE), one line per epoch")
      << wrap("  eval DATA...", "print the loss and metrics of the "
                                "--checkpoint FILE on DATA")
      << wrap("  predict INPUTS...", "run the model on INPUTS; write the "
                                     "outputs to -o OUT.npy or print one "
                                     "row per sample");

  std::string names;
  for (const auto *list : {&m.inputs, &m.labels})
    for (const TensorSpec &t : *list)
      names += (names.empty() ? "" : " ") + t.name;
  out << "\n"
      << wrap("",
              "DATA is one file per input, then one per label (" + names +
                  "), or NAME=PATH pairs; INPUTS are the input files "
                  "only. Files are IDX (.gz or not; u8 values scaled to "
                  "[0, 1]), CSV (one record per row) or NPY. A record "
                  "holds one sample: 28x28 images feed [batch, 784].",
              0);

  out << "\nOptions:\n";
  for (const OptionInfo &o : kOptions) {
    std::string spell = o.alias ? std::string(o.alias) + ", " + o.name : o.name;
    if (o.value)
      spell += std::string(" ") + o.value;
    std::string cmds;
    if (!(o.train && o.eval && o.predict)) {
      cmds = " [";
      if (o.train)
        cmds += "train";
      if (o.eval)
        cmds += std::string(cmds.size() > 2 ? ", " : "") + "eval";
      if (o.predict)
        cmds += std::string(cmds.size() > 2 ? ", " : "") + "predict";
      cmds += "]";
    }
    out << wrap("  " + spell, o.help + cmds);
  }
  out << "\nExit status: 0 on success, 1 on a runtime error, 2 on a usage "
         "error.\n";
}

int64_t evalBatch(const ModelDesc &m, const Options &opt) {
  if (opt.batch)
    return *opt.batch;
  if (m.train && m.train->batch)
    return *m.train->batch;
  return 256;
}

void runTrain(const ModelDesc &m, const Pipelines &pipes, const Options &opt,
              std::ostream &out, std::ostream &err, bool interactive) {
  if (!m.hasLoss)
    throw UsageError("model '" + m.name +
                     "' has no loss, so it cannot be trained");
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
  uint64_t seed = opt.seed ? *opt.seed : d && d->seed ? *d->seed : 0;
  double valSplit = opt.valSplit ? *opt.valSplit : d ? d->validationSplit : 0.0;
  if (opt.data.empty())
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
  Dataset test;
  Dataset data = loadFromArgs(m, opt.data, true, "train");
  if (opt.hasTest)
    test = loadFromArgs(m, opt.testData, true, "--test");

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
  if (!opt.resume.empty()) {
    CheckpointInfo info = s.load(opt.resume, true);
    if (!info.model.empty() && info.model != m.name)
      err << "warning: " << opt.resume << " was written by model '"
          << info.model << "', not '" << m.name << "'\n";
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
  out << "training " << m.name << ": " << m.parameterCount() << " parameters, "
      << data.size << " training records";
  if (validation.size)
    out << ", " << validation.size << " validation records";
  out << ", batch " << to.batch << ", lr " << trimNumber(to.lr) << ", seed "
      << s.seed() << "\n";
  if (s.epoch() >= to.epochs && !opt.resume.empty()) {
    out << "already trained for " << s.epoch() << " epochs; nothing to do "
        << "(raise --epochs to train more)\n";
  } else if (s.epoch() >= to.epochs && !to.checkpointPath.empty()) {
    // --epochs 0 saves the initial parameters, for eval and predict.
    s.save(to.checkpointPath);
    out << "wrote the initial parameters to " << to.checkpointPath << "\n";
  }
  s.train(data, validation, to, out);
  if (opt.hasTest) {
    EvalResult r = s.evaluate(test, to.batch);
    out << formatResult(m, r, "test ") << "\n";
  }
}

void runEval(const ModelDesc &m, const Pipelines &pipes, const Options &opt,
             std::ostream &out) {
  if (opt.checkpoint.empty())
    throw UsageError("eval needs --checkpoint FILE");
  requireFile("--checkpoint", opt.checkpoint);
  Dataset data = loadFromArgs(m, opt.data, true, "eval");
  Session s(m, pipes);
  s.load(opt.checkpoint, false);
  EvalResult r = s.evaluate(data, evalBatch(m, opt));
  out << formatResult(m, r, "") << "  (" << r.samples << " records)\n";
}

/// `base` with `.name` inserted before its extension: out.npy -> out.probs.npy.
std::string outputPath(const std::string &base, const std::string &name) {
  size_t slash = base.rfind('/');
  size_t dot = base.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
    return base + "." + name;
  return base.substr(0, dot) + "." + name + base.substr(dot);
}

void runPredict(const ModelDesc &m, const Pipelines &pipes, const Options &opt,
                std::ostream &out, std::ostream &err) {
  if (opt.checkpoint.empty())
    throw UsageError("predict needs --checkpoint FILE");
  requireFile("--checkpoint", opt.checkpoint);
  Dataset data = loadFromArgs(m, opt.data, false, "predict");
  Session s(m, pipes);
  s.load(opt.checkpoint, false);
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
    int64_t perRow = t.shape()[0] ? t.numel() / t.shape()[0] : 0;
    std::string line;
    for (int64_t r = 0; r < t.shape()[0]; ++r) {
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

int runCli(int argc, const char *const *argv, const ModelSource &src,
           std::ostream &out, std::ostream &err, bool interactive) {
  std::string prog = argc > 0 && argv[0] ? argv[0] : "model";
  if (size_t slash = prog.rfind('/'); slash != std::string::npos)
    prog = prog.substr(slash + 1);
  try {
    ModelDesc m = ModelDesc::parse(src.json ? src.json : "");
    Options opt = parseArgs(argc, argv);
    if (opt.help) {
      printHelp(out, prog, m);
      return kExitOk;
    }
    if (opt.threads) {
      if (!src.setNumThreads)
        throw UsageError("--threads is not supported by this executable");
      src.setNumThreads(*opt.threads);
    }
    switch (opt.command) {
    case Command::Train:
      runTrain(m, src.pipelines, opt, out, err, interactive);
      break;
    case Command::Eval:
      runEval(m, src.pipelines, opt, out);
      break;
    case Command::Predict:
      runPredict(m, src.pipelines, opt, out, err);
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
