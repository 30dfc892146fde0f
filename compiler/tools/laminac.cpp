//===- laminac.cpp - The Lamina compiler driver ---------------------------===//
//
// laminac FILE.lam [--emit=STAGE] [-o OUT] ...
//
// The stages, in pipeline order (as in MLIR's Toy tutorial):
//   ast       the parsed model file
//   ir        the forward graph, after the optimization passes
//   grad-ir   the train step: forward, backward and SGD update
//   halide    Halide's lowered statement of one pipeline (--pipeline)
//   llvm      LLVM IR of one pipeline
//   asm       assembly of one pipeline
//   obj       object file of one pipeline
//   exe       the standalone executable (default)
//
//===----------------------------------------------------------------------===//
#include "lamina/AST.h"
#include "lamina/Autodiff.h"
#include "lamina/Codegen.h"
#include "lamina/Diagnostics.h"
#include "lamina/Frontend.h"
#include "lamina/IRText.h"
#include "lamina/Passes.h"
#include "lamina/Summary.h"
#include "lamina/Support.h"

#include <CLI/CLI.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

using namespace lamina;

namespace {

enum class Emit { Ast, Ir, GradIr, Halide, Llvm, Asm, Obj, Exe };

struct Options {
  std::string input;
  std::string output;
  std::string emit = "exe";
  std::string model;
  std::string pipeline;
  std::vector<std::string> dumpBefore, dumpAfter;
  bool summary = false;
  bool noOpt = false;
  bool printLocs = false;
  bool keepTemps = false;
  bool verbose = false;
  bool profile = false;
};

/// Writes `text` to `path` ("-" or empty is stdout).
bool writeOutput(const std::string &path, const std::string &text) {
  if (path.empty() || path == "-") {
    std::cout << text;
    return static_cast<bool>(std::cout);
  }
  std::ofstream out(path);
  out << text;
  if (!out) {
    std::cerr << "laminac: error: cannot write '" << path << "'\n";
    return false;
  }
  return true;
}

/// Runs the optimization passes on `g`, honoring --dump-before/after.
bool optimize(Graph &g, const std::optional<TrainConfig> &defaults,
              const Options &opts, DiagnosticEngine &diag) {
  PassInstrumentation instr;
  instr.dumpBefore =
      std::set<std::string>(opts.dumpBefore.begin(), opts.dumpBefore.end());
  instr.dumpAfter =
      std::set<std::string>(opts.dumpAfter.begin(), opts.dumpAfter.end());
  instr.os = &std::cout;
  instr.printOptions.printLocs = opts.printLocs;
  instr.defaults = defaults;
  std::vector<std::string> pipeline;
  if (!opts.noOpt)
    pipeline = defaultPassPipeline();
  return runPasses(g, pipeline, instr, diag);
}

bool wantsDump(const std::vector<std::string> &list, const std::string &p) {
  for (const std::string &s : list)
    if (s == p || s == "all")
      return true;
  return false;
}

int run(const Options &opts) {
  static const std::map<std::string, Emit> kEmits = {
      {"ast", Emit::Ast},       {"ir", Emit::Ir},     {"grad-ir", Emit::GradIr},
      {"halide", Emit::Halide}, {"llvm", Emit::Llvm}, {"asm", Emit::Asm},
      {"obj", Emit::Obj},       {"exe", Emit::Exe}};
  auto emitIt = kEmits.find(opts.emit);
  if (emitIt == kEmits.end()) {
    std::cerr
        << "laminac: error: unknown --emit value '" << opts.emit
        << "'; use one of ast, ir, grad-ir, halide, llvm, asm, obj, exe\n";
    return 2;
  }
  Emit emit = emitIt->second;

  Expected<std::string> text = readTextFile(opts.input);
  if (!text) {
    std::cerr << "laminac: error: " << text.errorMessage() << "\n";
    return 1;
  }

  DiagnosticEngine diag;
  std::unique_ptr<ast::ModelFile> file =
      parseModelFile(opts.input, *text, diag);
  if (!file)
    return 1;
  if (emit == Emit::Ast) {
    printAst(*file, std::cout);
    return 0;
  }

  Module m;
  m.forward = buildGraph(*file, diag, opts.model, &m.defaults);
  std::unique_ptr<Graph> &forward = m.forward;
  if (!forward || !verifyGraph(*forward, diag))
    return 1;
  if (opts.summary) {
    printSummary(*forward, std::cout);
    return 0;
  }
  if (!optimize(*forward, m.defaults, opts, diag))
    return 1;
  PrintOptions po;
  po.printLocs = opts.printLocs;
  if (emit == Emit::Ir) {
    std::ostringstream os;
    printGraph(*forward, os, po, m.defaults);
    return writeOutput(opts.output, os.str()) ? 0 : 1;
  }

  // The train step exists only for a model with a loss; building it checks
  // that every op between the parameters and the loss has a gradient.
  std::unique_ptr<Graph> &train = m.train;
  if (forward->loss()) {
    train = std::make_unique<Graph>(forward->name());
    if (wantsDump(opts.dumpBefore, "autodiff")) {
      std::cout << "// -----// IR Dump Before autodiff //----- //\n";
      printGraph(*forward, std::cout, po, m.defaults);
    }
    if (!buildTrainStep(*forward, m.defaults.value_or(TrainConfig{}), *train,
                        diag))
      return 1;
    if (wantsDump(opts.dumpAfter, "autodiff")) {
      std::cout << "// -----// IR Dump After autodiff //----- //\n";
      printGraph(*train, std::cout, po, m.defaults);
    }
    if (!optimize(*train, m.defaults, opts, diag))
      return 1;
  } else if (emit == Emit::GradIr) {
    diag.error(SourceLoc{opts.input, 0, 0},
               "model '" + forward->name() +
                   "' has no 'loss' declaration, so it has no train step");
    return 1;
  }
  if (emit == Emit::GradIr) {
    std::ostringstream os;
    printGraph(*train, os, po, m.defaults);
    return writeOutput(opts.output, os.str()) ? 0 : 1;
  }

  if (emit == Emit::Exe) {
    std::string out = opts.output;
    if (out.empty())
      out = std::filesystem::path(opts.input).stem().string();
    ExecutableOptions eo;
    eo.keepTemps = opts.keepTemps;
    eo.verbose = opts.verbose;
    eo.profile = opts.profile;
    auto t0 = std::chrono::steady_clock::now();
    if (!emitExecutable(m, opts.input, out, eo, diag))
      return 1;
    if (opts.verbose)
      std::cerr << "laminac: wrote " << out << " in "
                << std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - t0)
                       .count()
                << " s\n";
    return 0;
  }

  // One pipeline's artifact: train if the model trains, else predict.
  PipelineKind kind = train ? PipelineKind::Train : PipelineKind::Predict;
  if (opts.pipeline == "eval")
    kind = PipelineKind::Eval;
  else if (opts.pipeline == "predict")
    kind = PipelineKind::Predict;
  else if (opts.pipeline == "train" && !train) {
    std::cerr << "laminac: error: model '" << forward->name()
              << "' has no loss, so it has no train pipeline\n";
    return 1;
  }
  if (kind != PipelineKind::Predict && !forward->loss() &&
      forward->metrics().empty()) {
    std::cerr << "laminac: error: model '" << forward->name()
              << "' has no loss or metric to evaluate\n";
    return 1;
  }
  const Graph &g = kind == PipelineKind::Train ? *train : *forward;
  ArtifactKind what = emit == Emit::Halide ? ArtifactKind::HalideStmt
                      : emit == Emit::Llvm ? ArtifactKind::LLVMAssembly
                      : emit == Emit::Asm  ? ArtifactKind::Assembly
                                           : ArtifactKind::Object;
  std::string out = opts.output;
  if (out.empty())
    out = emit == Emit::Obj
              ? std::filesystem::path(opts.input).stem().string() + ".o"
              : "-";
  return emitArtifact(g, kind, what, out, diag) ? 0 : 1;
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"laminac: compiles a Lamina model file (.lam) to a standalone "
               "executable that trains, evaluates and predicts"};
  Options opts;
  app.add_option("input", opts.input, "The model file")->required();
  app.add_option("-o,--output", opts.output,
                 "Output file (default: the model file's stem for exe, "
                 "stdout for text stages)");
  app.add_option("--emit", opts.emit,
                 "Stage to emit: ast, ir, grad-ir, halide, llvm, asm, obj, "
                 "exe (default)");
  app.add_option("--model", opts.model,
                 "Model to compile when the file has several");
  app.add_option("--pipeline", opts.pipeline,
                 "Pipeline for halide/llvm/asm/obj: train, eval or predict")
      ->check(CLI::IsMember({"train", "eval", "predict"}));
  app.add_option("--dump-before", opts.dumpBefore,
                 "Print the IR before this pass (or 'all'; 'autodiff' too)")
      ->allow_extra_args(false)
      ->delimiter(',')
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--dump-after", opts.dumpAfter,
                 "Print the IR after this pass (or 'all'; 'autodiff' too)")
      ->allow_extra_args(false)
      ->delimiter(',')
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_flag("--summary", opts.summary,
               "Print the layer table and parameter totals, allocate nothing");
  app.add_flag("--no-opt", opts.noOpt, "Skip the optimization passes");
  app.add_flag("--print-locs", opts.printLocs,
               "Print source locations in IR dumps");
  app.add_flag("--keep-temps", opts.keepTemps,
               "Keep the intermediate objects of --emit=exe");
  app.add_flag("-v,--verbose", opts.verbose, "Print compile times per step");
  app.add_flag("--profile", opts.profile,
               "Build the executable with Halide's profiler: it prints the "
               "time of each stage when it exits");
  CLI11_PARSE(app, argc, argv);
  try {
    return run(opts);
  } catch (const std::exception &e) {
    std::cerr << "laminac: internal error: " << e.what() << "\n";
    return 3;
  }
}
