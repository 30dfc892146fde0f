//===- Codegen.cpp - Halide AOT objects and the standalone executable -----===//
#include "lamina/Codegen.h"
#include "lamina/Diagnostics.h"
#include "lamina/OpInfo.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <sys/wait.h>

namespace lamina {

namespace fs = std::filesystem;

const char *pipelineFunctionName(PipelineKind k) {
  switch (k) {
  case PipelineKind::Train:
    return "lamina_train";
  case PipelineKind::Eval:
    return "lamina_eval";
  case PipelineKind::Predict:
    return "lamina_predict";
  }
  return "lamina_unknown";
}

/// The AOT target: the host's features, no bounds-query surprises, and the
/// Halide runtime compiled once into its own object.
static Halide::Target aotTarget(bool withRuntime) {
  Halide::Target t = defaultTarget();
  if (!withRuntime)
    t = t.with_feature(Halide::Target::NoRuntime);
  return t;
}

/// Runs a Halide compile step, turning Halide's errors into diagnostics.
template <typename F>
static bool guarded(DiagnosticEngine &diag, const std::string &what, F f) {
  try {
    f();
    return true;
  } catch (const Halide::Error &e) {
    diag.error(SourceLoc{}, what + " failed in Halide: " + e.what());
  } catch (const std::exception &e) {
    diag.error(SourceLoc{}, what + " failed: " + e.what());
  }
  return false;
}

/// Copies a file to stdout.
static void catFile(const fs::path &p) {
  std::ifstream in(p, std::ios::binary);
  std::cout << in.rdbuf();
  std::cout.flush();
}

bool emitArtifact(const Graph &g, PipelineKind kind, ArtifactKind what,
                  const std::string &path, DiagnosticEngine &diag) {
  bool toStdout = path == "-";
  fs::path tmp = toStdout ? fs::temp_directory_path() /
                                ("lamina-emit-" + std::to_string(getpid()))
                          : fs::path(path);
  bool ok = guarded(diag, "lowering", [&] {
    LoweredPipeline lp = lowerGraph(g, kind, aotTarget(true));
    const char *fn = pipelineFunctionName(kind);
    Halide::Target t = aotTarget(true);
    switch (what) {
    case ArtifactKind::HalideStmt:
      lp.pipeline.compile_to_lowered_stmt(tmp.string(), lp.arguments,
                                          Halide::Text, t);
      break;
    case ArtifactKind::LLVMAssembly:
      lp.pipeline.compile_to_llvm_assembly(tmp.string(), lp.arguments, fn, t);
      break;
    case ArtifactKind::Assembly:
      lp.pipeline.compile_to_assembly(tmp.string(), lp.arguments, fn, t);
      break;
    case ArtifactKind::Object:
      lp.pipeline.compile_to_object(tmp.string(), lp.arguments, fn, t);
      break;
    }
  });
  if (ok && toStdout)
    catFile(tmp);
  if (toStdout)
    fs::remove(tmp);
  return ok;
}

static nlohmann::json tensorJson(const Node &n) {
  nlohmann::json j;
  j["name"] = n.name();
  j["arg"] = argName(n);
  j["dtype"] = dtypeName(n.dtype());
  j["shape"] = n.shape();
  return j;
}

/// The number of classes an i32 label indexes: the smallest class count of
/// the ops that read it as class indices (0 if none does).
static int64_t classCount(const Graph &g, const Node &label) {
  if (label.dtype() != DType::I32)
    return 0;
  int64_t classes = 0;
  auto note = [&](int64_t c) {
    if (c > 0 && (classes == 0 || c < classes))
      classes = c;
  };
  for (const auto &np : g.nodes()) {
    const Node &n = *np;
    for (unsigned i = 0; i < n.numInputs(); ++i) {
      if (&n.input(i) != &label)
        continue;
      if (auto classes = getOpInfo(n.kind()).labelClasses)
        note(classes(n, i));
    }
  }
  return classes;
}

std::string modelDescriptor(const Module &m, const std::string &sourceFile) {
  const Graph &forward = *m.forward;
  const Graph *train = m.train.get();
  nlohmann::json d;
  d["model"] = forward.name();
  d["file"] = sourceFile;
  d["inputs"] = nlohmann::json::array();
  for (Node *n : forward.inputsWithRole("input"))
    d["inputs"].push_back(tensorJson(*n));
  d["labels"] = nlohmann::json::array();
  for (Node *n : forward.inputsWithRole("label")) {
    nlohmann::json l = tensorJson(*n);
    if (int64_t classes = classCount(forward, *n))
      l["classes"] = classes;
    d["labels"].push_back(l);
  }
  d["params"] = nlohmann::json::array();
  for (Node *n : forward.paramsWithRole("param")) {
    nlohmann::json p = tensorJson(*n);
    nlohmann::json init;
    init["kind"] = n->hasAttr("init") ? n->strAttr("init") : "uniform_fan_in";
    if (!n->data().empty())
      init["kind"] = "data";
    init["arg"] = n->floatAttrOr("init_arg", 0.0);
    int64_t fanIn = n->rank() >= 2       ? n->shape()[0]
                    : n->shape().empty() ? 1
                                         : n->shape()[0];
    init["fan_in"] = n->intAttrOr("fan_in", fanIn);
    init["fan_out"] =
        n->intAttrOr("fan_out", n->rank() >= 2 ? n->shape()[1] : 1);
    init["data"] = n->data();
    p["init"] = init;
    d["params"].push_back(p);
  }
  d["state"] = nlohmann::json::array();
  if (train)
    for (Node *n : train->paramsWithRole("state"))
      d["state"].push_back(tensorJson(*n));
  d["outputs"] = nlohmann::json::array();
  d["metrics"] = nlohmann::json::array();
  for (const auto &[name, n] : forward.outputs()) {
    bool isMetric = false;
    for (const std::string &m : forward.metrics())
      isMetric |= m == name;
    nlohmann::json o = tensorJson(*n);
    o["name"] = name;
    o["arg"] = (isMetric ? "m_" : "out_") + sanitize(name);
    d[isMetric ? "metrics" : "outputs"].push_back(o);
  }
  d["has_loss"] = forward.loss() != nullptr && train != nullptr;
  if (m.defaults) {
    const TrainConfig &c = *m.defaults;
    d["train"] = {{"batch", c.batch},
                  {"epochs", c.epochs},
                  {"lr", c.lr},
                  {"momentum", c.momentum},
                  {"weight_decay", c.weightDecay},
                  {"seed", c.seed},
                  {"validation_split", c.validationSplit}};
  }
  return d.dump(2);
}

/// A C++ raw string literal cannot contain its delimiter; pick one that the
/// text does not contain.
static std::string rawStringLiteral(const std::string &text) {
  std::string delim = "lamina";
  while (text.find(")" + delim + "\"") != std::string::npos)
    delim += "_";
  return "R\"" + delim + "(" + text + ")" + delim + "\"";
}

/// Source of model.cpp: the descriptor. Nothing is generated for a pipeline
/// the model lacks; the runtime's main() refers to the pipelines weakly and
/// finds an absent one null (see runtime/src/Main.cpp).
static std::string modelSource(const std::string &json) {
  std::ostringstream os;
  os << "// Generated by laminac. Do not edit.\n"
     << "extern \"C\" const char lamina_model_json[] = "
     << rawStringLiteral(json) << ";\n";
  return os.str();
}

/// Runs a shell command; true if it exited 0.
static bool runCommand(const std::string &cmd, DiagnosticEngine &diag) {
  int rc = std::system(cmd.c_str());
  if (rc == 0)
    return true;
  diag.error(SourceLoc{},
             "command failed (exit " +
                 std::to_string(WIFEXITED(rc) ? WEXITSTATUS(rc) : rc) +
                 "): " + cmd);
  return false;
}

static std::string quote(const std::string &s) {
  std::string q = "'";
  for (char c : s)
    q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

bool emitExecutable(const Module &m, const std::string &sourceFile,
                    const std::string &out, const ExecutableOptions &opts,
                    DiagnosticEngine &diag) {
  const Graph &forward = *m.forward;
  const Graph *train = m.train.get();
  using Clock = std::chrono::steady_clock;
  char tmpl[] = "/tmp/laminac-XXXXXX";
  if (!mkdtemp(tmpl)) {
    diag.error(SourceLoc{}, "cannot create a temporary directory in /tmp");
    return false;
  }
  fs::path dir = tmpl;
  auto step = [&](const std::string &what, auto f) {
    auto t0 = Clock::now();
    bool ok = guarded(diag, what, f);
    if (opts.verbose)
      std::cerr << "laminac: " << what << ": "
                << std::chrono::duration<double>(Clock::now() - t0).count()
                << " s\n";
    return ok;
  };
  std::vector<std::string> objects;
  auto compile = [&](const Graph &g, PipelineKind k, const char *file) {
    return step(std::string("compiling ") + pipelineFunctionName(k), [&] {
      Halide::Target t = aotTarget(false);
      if (opts.profile)
        t = t.with_feature(Halide::Target::Profile);
      LoweredPipeline lp = lowerGraph(g, k, t);
      fs::path o = dir / file;
      lp.pipeline.compile_to_object(o.string(), lp.arguments,
                                    pipelineFunctionName(k), t);
      objects.push_back(o.string());
    });
  };
  bool hasTrain = train && forward.loss();
  bool hasEval = forward.loss() || !forward.metrics().empty();
  bool hasPredict = forward.outputs().size() > forward.metrics().size();
  bool ok = true;
  if (hasTrain)
    ok = ok && compile(*train, PipelineKind::Train, "train.o");
  if (hasEval)
    ok = ok && compile(forward, PipelineKind::Eval, "eval.o");
  if (hasPredict)
    ok = ok && compile(forward, PipelineKind::Predict, "predict.o");
  ok = ok && step("compiling the Halide runtime", [&] {
         fs::path o = dir / "halide_runtime.o";
         Halide::compile_standalone_runtime(o.string(), aotTarget(true));
         objects.push_back(o.string());
       });
  if (ok) {
    std::ofstream src(dir / "model.cpp");
    src << modelSource(modelDescriptor(m, sourceFile));
    ok = static_cast<bool>(src);
  }
  if (ok) {
    const char *cxx = std::getenv("LAMINA_CXX");
    std::string cmd = std::string(cxx ? cxx : LAMINA_CXX) + " -O1 " +
                      LAMINA_EXE_LINK_FLAGS + " " +
                      quote((dir / "model.cpp").string());
    for (const std::string &o : objects)
      cmd += " " + quote(o);
    const char *rt = std::getenv("LAMINA_RUNTIME_LIB");
    cmd += " " + quote(rt ? rt : LAMINA_RUNTIME_LIB) +
           " -lz -lpthread -ldl -o " + quote(out);
    auto t0 = Clock::now();
    ok = runCommand(cmd, diag);
    if (opts.verbose)
      std::cerr << "laminac: linking: "
                << std::chrono::duration<double>(Clock::now() - t0).count()
                << " s\n";
  }
  if (opts.keepTemps)
    std::cerr << "laminac: intermediate files kept in " << dir.string() << "\n";
  else
    fs::remove_all(dir);
  return ok;
}

} // namespace lamina
