//===- CliCommon.h - Internals of the command line ------------------------===//
//
// Private to the runtime: the parsed command line and the option table, shared
// by CliOptions.cpp (parsing), CliHelp.cpp (--help) and Cli.cpp (the
// commands).
//
//===----------------------------------------------------------------------===//

#ifndef LAMINA_RUNTIME_CLICOMMON_H
#define LAMINA_RUNTIME_CLICOMMON_H

#include "lamina/Data.h"
#include "lamina/Model.h"

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace lamina::cli {

/// The command, argv[1].
enum class Command { Train, Eval, Predict, Bench, GradCheck };

/// "train", "eval", "predict", "bench" or "gradcheck".
const char *commandName(Command c);

/// The parsed command line.
struct Options {
  Command command = Command::Train;
  bool help = false;
  bool verbose = false;
  /// eval: print the confusion matrix of the first classification metric.
  bool confusion = false;
  /// eval: also write the results, in full precision, to this JSON file.
  std::string json;
  std::vector<std::string> data;
  std::vector<std::string> testData;
  /// --columns and --label-column: the specs that pick the input's and the
  /// label's columns of one CSV file ("" when not given).
  std::string columns;
  std::string labelColumn;
  bool hasTest = false;
  std::optional<int64_t> epochs;
  std::optional<int64_t> batch;
  std::optional<double> lr;
  std::optional<double> valSplit;
  std::optional<uint64_t> seed;
  std::optional<int> threads;
  std::optional<int64_t> accumulate;
  std::optional<int64_t> patience;
  std::string best;
  /// --history files (.csv or .json; the option may be repeated) and the
  /// --plot file (.svg).
  std::vector<std::string> history;
  std::string plot;
  std::string checkpoint;
  std::string resume;
  std::string output;
  /// bench: the pipeline ("" for the default) and the seconds to time.
  std::string pipeline;
  std::optional<double> seconds;
  /// gradcheck: the records checked and the largest relative error allowed.
  std::optional<int64_t> records;
  std::optional<double> tolerance;
};

/// One option: its spellings, its value's name (null for none) and the
/// commands that accept it.
struct OptionInfo {
  const char *name;
  const char *alias;
  const char *value;
  bool train, eval, predict;
  const char *help;
  bool bench = false;
  bool gradcheck = false;
};

/// Every option of every command, in the order --help lists them.
inline constexpr OptionInfo kOptions[] = {
    {"--epochs", nullptr, "N", true, false, false,
     "train until N epochs are complete (resumed ones count)"},
    {"--lr", nullptr, "X", true, false, false, "learning rate", true},
    {"--batch", nullptr, "N", true, true, true,
     "rows per pipeline call; the last batch may be shorter", true},
    {"--seed", nullptr, "N", true, false, false,
     "seed for initialization and shuffling (same seed, same run)", false,
     true},
    {"--val-split", nullptr, "F", true, false, false,
     "hold out the last fraction F of the data (before shuffling) and "
     "evaluate on it after every epoch"},
    {"--checkpoint", nullptr, "FILE", true, true, true,
     "train: save parameters and optimizer state to FILE (safetensors) "
     "after every epoch; eval, predict, gradcheck: load parameters from FILE",
     true, true},
    {"--resume", nullptr, "FILE", true, false, false,
     "continue training from FILE exactly where it stopped (saves back to "
     "FILE unless --checkpoint is given)"},
    {"--test", nullptr, "DATA...", true, false, false,
     "after training, evaluate on DATA (every argument up to the next option)"},
    {"--columns", nullptr, "SPEC", true, true, true,
     "take the input from these columns of the one data file (CSV): "
     "0-based numbers (negative from the end), ranges A:B as in Python "
     "(0:4 is 0 to 3) or header names, separated by ','; default: every "
     "column but --label-column's. For a model with one input and at most "
     "one label",
     false, true},
    {"--label-column", nullptr, "SPEC", true, true, true,
     "take the label from this column of the one data file (CSV): a 0-based "
     "number, -1 for the last, or a header name (or a list, as --columns); "
     "default: every column but --columns'. predict leaves it out of the "
     "input",
     false, true},
    {"--output", "-o", "OUT.npy", false, false, true,
     "write the outputs to OUT.npy instead of printing them"},
    {"--confusion", nullptr, nullptr, false, true, false,
     "also print the confusion matrix (rows: true class, columns: "
     "predicted) of the model's first accuracy, precision, recall or f1 "
     "metric"},
    {"--json", nullptr, "FILE", false, true, false,
     "also write the loss, the metrics (full precision), the record count "
     "and any confusion matrix to FILE as JSON"},
    {"--accumulate", nullptr, "N", true, false, false,
     "update once per N batches, with their gradients combined (weighted by "
     "rows): the parameters of one batch N times larger"},
    {"--patience", nullptr, "N", true, false, false,
     "stop when the validation loss has not improved for N epochs (needs "
     "validation data; replaces the train block's early_stopping)"},
    {"--best", nullptr, "FILE", true, false, false,
     "with early stopping: save the best epoch's parameters to FILE "
     "(default: the checkpoint's name and .best); --test evaluates them"},
    {"--history", nullptr, "FILE", true, false, false,
     "after every epoch, write one row per epoch so far to FILE (epoch, "
     "loss, metrics, the val_ ones, lr, seconds, samples_per_s); FILE.csv "
     "or FILE.json picks the format; may be repeated; with --resume, the "
     "rows of FILE up to the resumed epoch are kept"},
    {"--plot", nullptr, "FILE.svg", true, false, false,
     "after every epoch, draw the loss and each metric per epoch, training "
     "against validation, as one SVG file"},
    {"--threads", nullptr, "N", true, true, true,
     "threads that run the kernels' parallel loops (default: "
     "HL_NUM_THREADS, else all cores)",
     true, true},
    {"--verbose", "-v", nullptr, true, true, true,
     "print the kernel variant this CPU runs to stderr", true, true},
    {"--pipeline", nullptr, "P", false, false, false,
     "the pipeline to time: train, eval or predict (default: predict if the "
     "model has outputs, else eval, else train)",
     true},
    {"--seconds", nullptr, "S", false, false, false,
     "time calls for S seconds after a warm-up call (default 3)", true},
    {"--records", nullptr, "N", false, false, false,
     "check the gradients on the first N records (default 8)", false, true},
    {"--tol", nullptr, "X", false, false, false,
     "the largest relative error that passes (default 1e-4)", false, true},
    {"--help", "-h", nullptr, true, true, true, "show this help", true, true},
};

/// Parses argv[1..argc): the command, then options and data arguments in any
/// order. Throws UsageError on a mistake.
Options parseArgs(int argc, const char *const *argv);

/// Prints the --help text of `prog` for model `m`; `kernels` describes the
/// kernel variant in use (may be null).
void printHelp(std::ostream &out, const std::string &prog, const ModelDesc &m,
               const char *kernels);

/// `v` printed with %g: 0.05, 1e-06.
std::string trimNumber(double v);

/// The commands `m` has pipelines for, for messages: "only predict", "eval and
/// predict", "train, eval and predict".
std::string whatModelCanDo(const ModelDesc &m);

/// Throws UsageError if `m` has no pipeline for `c`, saying why and what the
/// model can do instead.
void requirePipeline(const ModelDesc &m, Command c);

/// Throws UsageError if the file `path` given to `option` does not exist.
void requireFile(const std::string &option, const std::string &path);

/// Whether `path` exists.
bool fileExists(const std::string &path);

/// Whether --columns or --label-column is given: the input and the label
/// then come from columns of one CSV file (loadColumns).
bool usesColumns(const Options &opt);

/// The data set of `args`, which must be one CSV file, for --columns and
/// --label-column (CliColumns.cpp): the model's one input from the columns
/// --columns picks (default: all but --label-column's) and, if `withLabels`
/// and the model has a label, the label from --label-column's (default: all
/// but --columns'). `what` names the command or option for messages.
/// Throws UsageError for a model with more than one input or label, another
/// count of files than one, or a column not in the file; Error when the
/// columns picked do not fit the tensors.
Dataset loadColumns(const ModelDesc &m, const Options &opt,
                    const std::vector<std::string> &args, bool withLabels,
                    const std::string &what);

/// `gradcheck` (GradCheck.cpp): the compiled gradients of the first
/// --records records against central differences of the loss, in f64;
/// prints one line per parameter and returns false when an error is above
/// --tol.
bool runGradCheck(const ModelDesc &m, const Pipelines &pipes,
                  const Options &opt, std::ostream &out, std::ostream &err);

/// `bench` (Bench.cpp): times a pipeline on synthetic data and prints its
/// throughput, latency percentiles, per-kernel times, GFLOP/s and the share
/// of the machine's FMA peak, measured at start.
void runBench(const ModelDesc &m, const Pipelines &pipes, const Options &opt,
              int threads, const char *kernelVariant, std::ostream &out);

} // namespace lamina::cli

#endif // LAMINA_RUNTIME_CLICOMMON_H
