//===- lamina-opt.cpp - Textual IR in, passes, textual IR out
//--------------===//
//
// lamina-opt [FILE|-] [--PASS ...] [--pass-pipeline=a,b] [--dump-before=P]
//            [--dump-after=P] [--verify-only] [--print-locs]
//            [--split-input-file] [-o OUT]
//
// Reads a graph in textual IR, verifies it, runs the passes in the order
// they are given on the command line (each pass of Passes.def has a
// --<name> flag) and prints the result. IR dumps go to stdout, ahead of the
// result, as laminac's do. Any error exits with status 1.
//
//===----------------------------------------------------------------------===//
#include "lamina/Diagnostics.h"
#include "lamina/IRText.h"
#include "lamina/Passes.h"
#include "lamina/Support.h"

#include "ToolCommon.h"

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

using namespace lamina;

namespace {

constexpr const char *kSplitMarker = "// -----";

struct Options {
  std::string input = "-";
  std::string output = "-";
  std::vector<std::string> pipeline;
  std::vector<std::string> dumpBefore, dumpAfter;
  bool verifyOnly = false;
  bool printLocs = false;
  bool splitInputFile = false;
};

std::string trim(const std::string &s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos)
    return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

/// Appends the passes of a comma-separated list; "default" is laminac's
/// pipeline.
void appendPipeline(const std::string &spec, std::vector<std::string> &out) {
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ',')) {
    item = trim(item);
    if (item == "default") {
      for (const std::string &p : defaultPassPipeline())
        out.push_back(p);
    } else if (!item.empty()) {
      out.push_back(item);
    }
  }
}

/// The passes in command-line order: CLI11 keeps each option's values but
/// not how --cse and --pass-pipeline interleave, so argv is scanned here.
std::vector<std::string> passesInOrder(int argc, char **argv) {
  std::vector<std::string> passes;
  const std::string pipelineFlag = "--pass-pipeline";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--")
      break;
    if (arg.rfind(pipelineFlag + "=", 0) == 0) {
      appendPipeline(arg.substr(pipelineFlag.size() + 1), passes);
    } else if (arg == pipelineFlag && i + 1 < argc) {
      appendPipeline(argv[++i], passes);
    } else if (arg.rfind("--", 0) == 0 && lookupPass(arg.substr(2))) {
      passes.push_back(arg.substr(2));
    }
  }
  return passes;
}

bool readInput(const std::string &path, std::string &text) {
  Expected<std::string> contents = readTextFile(path);
  if (!contents) {
    std::cerr << "lamina-opt: error: " << contents.errorMessage() << "\n";
    return false;
  }
  text = std::move(*contents);
  return true;
}

/// Splits at lines that are exactly the marker. Each chunk is padded with
/// newlines so its line numbers are those of the whole file.
std::vector<std::string> splitInput(const std::string &text) {
  std::vector<std::string> chunks;
  std::string current;
  unsigned line = 1;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    size_t next = end == std::string::npos ? text.size() : end + 1;
    std::string l = text.substr(pos, next - pos);
    if (trim(l.substr(0, l.find('\n'))) == kSplitMarker) {
      chunks.push_back(current);
      current = std::string(line, '\n');
    } else {
      current += l;
    }
    ++line;
    pos = next;
  }
  chunks.push_back(current);
  return chunks;
}

/// Parses, verifies, optimizes and prints one graph; false on any error.
bool processGraph(const std::string &file, const std::string &text,
                  const std::vector<std::string> &passes, const Options &opts,
                  std::ostream &out) {
  DiagnosticEngine diag;
  std::optional<TrainConfig> defaults;
  std::unique_ptr<Graph> g = parseGraph(file, text, diag, &defaults);
  if (!g || !verifyGraph(*g, diag))
    return false;
  PassInstrumentation instr;
  instr.dumpBefore.insert(opts.dumpBefore.begin(), opts.dumpBefore.end());
  instr.dumpAfter.insert(opts.dumpAfter.begin(), opts.dumpAfter.end());
  instr.os = &std::cout;
  instr.printOptions.printLocs = opts.printLocs;
  instr.defaults = defaults;
  if (!runPasses(*g, passes, instr, diag))
    return false;
  if (!opts.verifyOnly)
    printGraph(*g, out, instr.printOptions, defaults);
  return true;
}

/// Checks pass names in the pipeline and the dump lists.
bool checkPassNames(const std::vector<std::string> &passes,
                    const Options &opts) {
  std::string known = passNameList();
  bool ok = true;
  auto check = [&](const std::string &name, bool allowAll) {
    if (lookupPass(name) || (allowAll && name == "all"))
      return;
    std::cerr << "lamina-opt: error: unknown pass '" << name
              << "' (passes: " << known << ")\n";
    ok = false;
  };
  for (const std::string &p : passes)
    check(p, false);
  for (const std::string &p : opts.dumpBefore)
    check(p, true);
  for (const std::string &p : opts.dumpAfter)
    check(p, true);
  return ok;
}

int run(const Options &opts, const std::vector<std::string> &passes) {
  if (!checkPassNames(passes, opts))
    return 1;
  std::string text;
  if (!readInput(opts.input, text))
    return 1;
  std::string name = opts.input == "-" ? "<stdin>" : opts.input;
  std::vector<std::string> chunks;
  if (opts.splitInputFile)
    chunks = splitInput(text);
  else
    chunks.push_back(text);

  std::ofstream file;
  if (opts.output != "-") {
    file.open(opts.output, std::ios::binary);
    if (!file) {
      std::cerr << "lamina-opt: error: cannot write '" << opts.output
                << "': " << std::strerror(errno) << "\n";
      return 1;
    }
  }
  // Dumps go to stdout as each pass runs, so results go out chunk by chunk.
  std::ostream &out = opts.output == "-" ? std::cout : file;
  bool ok = true;
  for (size_t i = 0; i < chunks.size(); ++i) {
    if (i && !opts.verifyOnly)
      out << kSplitMarker << "\n";
    ok &= processGraph(name, chunks[i], passes, opts, out);
  }
  out.flush();
  if (!out) {
    std::cerr << "lamina-opt: error: cannot write '" << opts.output << "'\n";
    return 1;
  }
  return ok ? 0 : 1;
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"lamina-opt: reads textual Lamina IR (.lir), runs graph passes "
               "in the order given and prints the result"};
  Options opts;
  app.add_option("input", opts.input, "IR file, or - for stdin (default)");
  app.add_option("-o,--output", opts.output, "Output file (default: stdout)");
  auto *passGroup = app.add_option_group("Passes", "Run in command-line order");
  for (const PassInfo &p : registeredPasses())
    passGroup->add_flag(std::string("--") + p.name, p.description);
  std::vector<std::string> pipelineSpecs;
  passGroup
      ->add_option("--pass-pipeline", pipelineSpecs,
                   "Comma-separated passes ('default' is laminac's "
                   "pipeline)")
      ->allow_extra_args(false);
  app.add_option("--dump-before", opts.dumpBefore,
                 "Print the IR before this pass ('all': every pass)")
      ->allow_extra_args(false)
      ->delimiter(',');
  app.add_option("--dump-after", opts.dumpAfter,
                 "Print the IR after this pass ('all': every pass)")
      ->allow_extra_args(false)
      ->delimiter(',');
  app.add_flag("--verify-only", opts.verifyOnly,
               "Parse, verify and run the passes; print nothing");
  app.add_flag("--print-locs", opts.printLocs,
               "Print the loc(...) of nodes that have one");
  app.add_flag("--split-input-file", opts.splitInputFile,
               "Treat each '// -----'-separated chunk as its own graph");
  if (std::optional<int> rc = parseCommandLine(app, argc, argv))
    return *rc;
  try {
    return run(opts, passesInOrder(argc, argv));
  } catch (const std::exception &e) {
    std::cerr << "lamina-opt: internal error: " << e.what() << "\n";
    return 3;
  }
}
