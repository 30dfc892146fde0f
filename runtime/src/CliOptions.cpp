//===- CliOptions.cpp - Parsing the command line --------------------------===//

#include "CliCommon.h"

#include "lamina/Error.h"
#include "lamina/History.h"
#include "lamina/abi/Spelling.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

namespace lamina::cli {

const char *commandName(Command c) {
  switch (c) {
  case Command::Train:
    return "train";
  case Command::Eval:
    return "eval";
  case Command::Predict:
    return "predict";
  case Command::Bench:
    return "bench";
  case Command::GradCheck:
    return "gradcheck";
  }
  return "?";
}

namespace {

const OptionInfo *findOption(const std::string &name) {
  for (const OptionInfo &o : kOptions)
    if (name == o.name || (o.alias && name == o.alias))
      return &o;
  return nullptr;
}

/// "; did you mean '--epochs'?" for an unknown option, or "".
std::string optionSuggestion(const std::string &name) {
  if (name == "--learning-rate" || name == "--learning_rate")
    return "; did you mean '--lr'?";
  std::vector<std::string> names;
  for (const OptionInfo &o : kOptions) {
    names.push_back(o.name);
    if (o.alias)
      names.push_back(o.alias);
  }
  std::string m = abi::closestMatch(name, names);
  return m.empty() ? "" : "; did you mean '" + m + "'?";
}

bool accepts(const OptionInfo &o, Command c) {
  switch (c) {
  case Command::Train:
    return o.train;
  case Command::Eval:
    return o.eval;
  case Command::Predict:
    return o.predict;
  case Command::Bench:
    return o.bench;
  case Command::GradCheck:
    return o.gradcheck;
  }
  return false;
}

bool isOption(const std::string &arg) {
  return arg.size() > 1 && arg[0] == '-';
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

} // namespace

Options parseArgs(int argc, const char *const *argv) {
  Options opt;
  if (argc < 2)
    throw UsageError(
        "missing command (train, eval, predict, bench or gradcheck)");
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
  else if (cmd == "bench")
    opt.command = Command::Bench;
  else if (cmd == "gradcheck")
    opt.command = Command::GradCheck;
  else if (isOption(cmd))
    throw UsageError(
        "expected a command (train, eval, predict, bench or gradcheck) "
        "before '" +
        cmd + "'");
  else
    throw UsageError("unknown command '" + cmd +
                     "' (expected train, eval, predict, bench or gradcheck)");

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
      throw UsageError("unknown option '" + name + "'" +
                       optionSuggestion(name));
    if (!accepts(*o, opt.command))
      throw UsageError(std::string("option '") + o->name +
                       "' does not apply to '" + commandName(opt.command) +
                       "'");
    name = o->name;
    if (name == "--help") {
      opt.help = true;
      continue;
    }
    if (name == "--verbose") {
      opt.verbose = true;
      continue;
    }
    if (name == "--confusion") {
      opt.confusion = true;
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
    else if (name == "--accumulate")
      opt.accumulate = parseInteger<int64_t>(name, value, 1, 1 << 20);
    else if (name == "--patience")
      opt.patience = parseInteger<int64_t>(name, value, 1, 1 << 20);
    else if (name == "--best")
      opt.best = value;
    else if (name == "--history") {
      std::optional<History::Format> f = History::formatOf(value);
      if (!f || *f == History::Format::Svg)
        throw UsageError("--history expects a file ending in .csv or .json "
                         "(the extension picks the format), got '" +
                         value + "'");
      opt.history.push_back(value);
    } else if (name == "--plot") {
      if (History::formatOf(value) != History::Format::Svg)
        throw UsageError("--plot expects a file ending in .svg, got '" + value +
                         "'");
      opt.plot = value;
    } else if (name == "--threads")
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
    else if (name == "--columns")
      opt.columns = value;
    else if (name == "--label-column")
      opt.labelColumn = value;
    else if (name == "--json")
      opt.json = value;
    else if (name == "--pipeline") {
      if (value != "train" && value != "eval" && value != "predict")
        throw UsageError("--pipeline expects train, eval or predict, got '" +
                         value + "'");
      opt.pipeline = value;
    } else if (name == "--records")
      opt.records = parseInteger<int64_t>(name, value, 1, 1 << 20);
    else if (name == "--tol")
      opt.tolerance = parseReal(name, value, 0.0, 1.0);
    else if (name == "--seconds")
      opt.seconds = parseReal(name, value, 0.0, 86400.0);
    if (value.empty())
      throw UsageError("option '" + name + "' needs a non-empty value");
  }
  return opt;
}

} // namespace lamina::cli
