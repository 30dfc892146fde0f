//===- laminac.cpp - The Lamina compiler driver ---------------------------===//
//
// laminac FILE.lam [--emit=STAGE] [-o OUT] ...
//
// The stages, in pipeline order (as in MLIR's Toy tutorial):
//   ast       the parsed model file
//   ir        the forward graph, after the optimization passes
//   grad-ir   the train step: forward, backward and SGD update
//   plan      the kernels of one pipeline (--pipeline), their buffers and
//             the arena
//   halide    Halide's lowered statements of one pipeline's kernels
//   llvm      LLVM IR of one pipeline's kernels
//   asm       assembly of one pipeline's kernels
//   obj       object file of one pipeline's kernels
//   exe       the standalone executable (default)
//
//===----------------------------------------------------------------------===//
#include "lamina/Codegen.h"
#include "lamina/Diagnostics.h"
#include "lamina/Driver.h"
#include "lamina/Frontend.h"
#include "lamina/IRText.h"
#include "lamina/Plan.h"
#include "lamina/Summary.h"

#include "ToolCommon.h"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

using namespace lamina;

namespace {

enum class Emit {
  Ast,
  Ir,
  GradIr,
  Plan,
  Halide,
  Llvm,
  Asm,
  Obj,
  Descriptor,
  Exe,
  Lib,
  Dot
};

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
  std::string target;
  std::string cacheDir;
  bool noCache = false;
  bool gradcheck = false;
  bool halideRuntime = false;
  int jobs = 0;
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

/// The arena of the train and predict steps at the train batch (64 when
/// the model has no train block).
void printArenaSummary(const Module &m, std::ostream &os) {
  int64_t batch = m.defaults && m.defaults->batch > 0 ? m.defaults->batch : 64;
  auto line = [&](const char *what, const Graph &g, PipelineKind k) {
    KernelPlan plan = partition(g, k, "");
    double mb =
        static_cast<double>(arenaLayout(arenaEntries(plan), batch, nullptr)) /
        (1024.0 * 1024.0);
    char buf[160];
    std::snprintf(buf, sizeof buf,
                  "%s step: %zu kernels, arena %.2f MiB at batch %lld\n", what,
                  plan.kernels.size(), mb, static_cast<long long>(batch));
    os << buf;
  };
  const Graph &f = *m.forward;
  if (m.train && f.loss())
    line("Train", *m.train, PipelineKind::Train);
  if (f.outputs().size() > f.metrics().size())
    line("Predict", f, PipelineKind::Predict);
}

/// The driver options of the command line: where to stop, the passes and
/// the dumps (to stdout, ahead of the result).
DriverOptions driverOptions(const Options &opts, Emit emit) {
  DriverOptions d;
  d.toolName = "laminac";
  d.model = opts.model;
  d.stopAfter = emit == Emit::Ast  ? Stage::Ast
                : opts.summary     ? Stage::Verified
                : emit == Emit::Ir ? Stage::Ir
                                   : Stage::GradIr;
  if (opts.noOpt)
    d.passes.clear();
  PassInstrumentation &instr = d.instrumentation;
  instr.dumpBefore.insert(opts.dumpBefore.begin(), opts.dumpBefore.end());
  instr.dumpAfter.insert(opts.dumpAfter.begin(), opts.dumpAfter.end());
  instr.os = &std::cout;
  instr.printOptions.printLocs = opts.printLocs;
  return d;
}

int run(const Options &opts) {
  static const std::map<std::string, Emit> kEmits = {
      {"ast", Emit::Ast},        {"ir", Emit::Ir},
      {"grad-ir", Emit::GradIr}, {"plan", Emit::Plan},
      {"halide", Emit::Halide},  {"llvm", Emit::Llvm},
      {"asm", Emit::Asm},        {"obj", Emit::Obj},
      {"exe", Emit::Exe},        {"descriptor", Emit::Descriptor},
      {"lib", Emit::Lib},        {"dot", Emit::Dot}};
  auto emitIt = kEmits.find(opts.emit);
  if (emitIt == kEmits.end()) {
    std::cerr
        << "laminac: error: unknown --emit value '" << opts.emit
        << "'; use one of ast, ir, grad-ir, plan, halide, llvm, asm, obj, "
           "descriptor, dot, exe, lib\n";
    return kExitUsage;
  }
  Emit emit = emitIt->second;
  // A bad -o fails now, not after the whole compile.
  if (!opts.output.empty() && opts.output != "-") {
    std::filesystem::path dir =
        std::filesystem::path(opts.output).parent_path();
    if (dir.empty())
      dir = ".";
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
      std::cerr << "laminac: error: -o " << opts.output << ": the directory '"
                << dir.string()
                << "' does not exist; create it first or give another path\n";
      return kExitUsage;
    }
    if (emit == Emit::Lib) {
      if (std::filesystem::exists(opts.output, ec) &&
          !std::filesystem::is_directory(opts.output, ec)) {
        std::cerr << "laminac: error: -o " << opts.output
                  << " is a file; --emit=lib writes a header and two "
                     "libraries into a directory\n";
        return kExitUsage;
      }
    } else if (std::filesystem::is_directory(opts.output, ec)) {
      std::cerr << "laminac: error: -o " << opts.output
                << " is a directory; give a file name\n";
      return kExitUsage;
    }
  }

  DiagnosticEngine diag;
  DriverOptions dopts = driverOptions(opts, emit);
  std::optional<Compilation> c = compileModelFile(opts.input, dopts, diag);
  if (!c)
    return 1;
  if (emit == Emit::Ast) {
    std::ostringstream os;
    printAst(*c->file, os);
    return writeOutput(opts.output, os.str()) ? 0 : 1;
  }
  const Module &m = c->module;
  const Graph &forward = *m.forward;
  if (opts.summary) {
    std::ostringstream os;
    printSummary(forward, os);
    // The arenas need the optimized graphs and the train step.
    DriverOptions full = dopts;
    full.stopAfter = Stage::GradIr;
    std::optional<Compilation> fc = compileModelFile(opts.input, full, diag);
    if (!fc)
      return 1;
    printArenaSummary(fc->module, os);
    return writeOutput(opts.output, os.str()) ? 0 : 1;
  }
  PrintOptions po = dopts.instrumentation.printOptions;
  if (emit == Emit::Ir) {
    std::ostringstream os;
    printGraph(forward, os, po, m.defaults);
    return writeOutput(opts.output, os.str()) ? 0 : 1;
  }
  const Graph *train = m.train.get();
  if (emit == Emit::GradIr) {
    if (!train) {
      diag.error(SourceLoc{opts.input, 0, 0},
                 "model '" + forward.name() +
                     "' has no 'loss' declaration, so it has no train step");
      return 1;
    }
    std::ostringstream os;
    printGraph(*train, os, po, m.defaults);
    return writeOutput(opts.output, os.str()) ? 0 : 1;
  }

  if (emit == Emit::Descriptor) {
    // The executable's descriptor, with the plans it would be built from.
    ExecutablePlans plans = executablePlans(m, "", opts.gradcheck);
    return writeOutput(opts.output,
                       modelDescriptor(m, opts.input, plans.pointers()) + "\n")
               ? 0
               : 1;
  }

  if (emit == Emit::Exe || emit == Emit::Lib) {
    std::string out = opts.output;
    if (out.empty())
      out = emit == Emit::Lib
                ? "."
                : std::filesystem::path(opts.input).stem().string();
    ExecutableOptions eo;
    eo.keepTemps = opts.keepTemps;
    eo.gradcheck = opts.gradcheck;
    eo.verbose = opts.verbose;
    eo.profile = opts.profile;
    eo.target = opts.target.empty() ? "portable" : opts.target;
    eo.cacheDir = opts.noCache            ? ""
                  : opts.cacheDir.empty() ? defaultCacheDir()
                                          : opts.cacheDir;
    eo.jobs = opts.jobs;
    eo.library = emit == Emit::Lib;
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
    std::cerr << "laminac: error: model '" << forward.name()
              << "' has no loss, so it has no train pipeline\n";
    return 1;
  }
  if (kind != PipelineKind::Predict && !forward.loss() &&
      forward.metrics().empty()) {
    std::cerr << "laminac: error: model '" << forward.name()
              << "' has no loss or metric to evaluate\n";
    return 1;
  }
  if (emit == Emit::Dot && opts.pipeline.empty())
    return writeOutput(opts.output, graphDot(forward, nullptr)) ? 0 : 1;
  // The executable's pipelines: its train and eval steps compute each
  // metric's sums (withMetricStats).
  const Graph &source = kind == PipelineKind::Train ? *train : forward;
  std::unique_ptr<Graph> stats;
  if (kind != PipelineKind::Predict)
    stats = withMetricStats(source);
  const Graph &g = stats ? *stats : source;
  ArtifactKind what = emit == Emit::Plan     ? ArtifactKind::Plan
                      : emit == Emit::Dot    ? ArtifactKind::Dot
                      : emit == Emit::Halide ? ArtifactKind::HalideStmt
                      : emit == Emit::Llvm   ? ArtifactKind::LLVMAssembly
                      : emit == Emit::Asm    ? ArtifactKind::Assembly
                                             : ArtifactKind::Object;
  std::string out = opts.output;
  if (out.empty())
    out = emit == Emit::Obj
              ? std::filesystem::path(opts.input).stem().string() + ".o"
              : "-";
  return emitArtifact(g, kind, what, out, opts.target, diag, opts.halideRuntime)
             ? 0
             : 1;
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"laminac: compiles a Lamina model file (.lam) to a standalone "
               "executable that trains, evaluates and predicts"};
  Options opts;
  app.add_option("input", opts.input, "The model file")->required();
  app.add_option("-o,--output", opts.output,
                 "Output file (default: the model file's stem for exe, "
                 "stdout for text stages); the directory for lib "
                 "(default: .)");
  app.add_option(
      "--emit", opts.emit,
      "Stage to emit: ast, ir, grad-ir, plan, halide, llvm, asm, "
      "obj, descriptor (the model descriptor JSON), exe (default), lib "
      "(a header and a static and shared library in the -o "
      "directory)");
  app.add_option("--model", opts.model,
                 "Model to compile when the file has several");
  app.add_option("--pipeline", opts.pipeline,
                 "Pipeline for plan/halide/llvm/asm/obj/dot: train, eval or "
                 "predict")
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
  app.add_flag("--halide-runtime", opts.halideRuntime,
               "With --emit=llvm or asm, also print Halide's runtime (by "
               "default only the model's own code)");
  app.add_flag("--gradcheck", opts.gradcheck,
               "Also build an f64 copy of the gradient phase, for the "
               "executable's gradcheck command (which checks the compiled "
               "gradients against central differences)");
  app.add_flag("--profile", opts.profile,
               "Build the executable with Halide's profiler: it prints the "
               "time of each stage when it exits");
  app.add_option("--target", opts.target,
                 "Code for: portable (default for exe: plain x86-64 with "
                 "AVX2+FMA and AVX-512 variants, chosen at run time, of the "
                 "kernels where they pay), host "
                 "(this CPU; default for halide/llvm/asm/obj) or a Halide "
                 "target string");
  app.add_option("--cache-dir", opts.cacheDir,
                 "Where compiled kernels are kept between compiles (default: "
                 "$XDG_CACHE_HOME/lamina or ~/.cache/lamina)");
  app.add_flag("--no-cache", opts.noCache,
               "Compile every kernel afresh and keep none (a cold build)");
  app.add_option("-j,--jobs", opts.jobs,
                 "Compile processes (default: one per core)")
      ->check(CLI::NonNegativeNumber);
  app.set_version_flag("--version", versionText("laminac"));
  if (std::optional<int> rc = parseCommandLine(app, argc, argv))
    return *rc;
  // A dump of a pass that does not exist would print nothing, silently.
  for (const std::vector<std::string> *list :
       {&opts.dumpBefore, &opts.dumpAfter})
    for (const std::string &name : *list)
      if (!lookupPass(name) && name != "all" && name != "autodiff") {
        std::cerr << "laminac: error: unknown pass '" << name << "' in --dump-"
                  << (list == &opts.dumpBefore ? "before" : "after")
                  << " (passes: " << passNameList()
                  << "; also autodiff and all)\n";
        return kExitUsage;
      }
  try {
    return run(opts);
  } catch (const std::exception &e) {
    std::cerr << "laminac: internal error: " << e.what() << "\n";
    return 3;
  }
}
