//===- Codegen.cpp - Halide AOT objects and the standalone executable -----===//
#include "lamina/Codegen.h"
#include "lamina/Diagnostics.h"
#include "lamina/OpInfo.h"
#include "lamina/Plan.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace lamina {

namespace fs = std::filesystem;

std::optional<std::vector<TargetVariant>>
targetVariants(const std::string &spec, std::string *error) {
  if (spec == "portable" || spec.empty())
    return std::vector<TargetVariant>{
        {"_x86_64", Halide::Target("x86-64-linux")},
        {"_avx2", Halide::Target("x86-64-linux-avx-avx2-fma-sse41")},
        {"_avx512",
         Halide::Target(
             "x86-64-linux-avx-avx2-fma-sse41-avx512-avx512_skylake")}};
  if (spec == "host")
    return std::vector<TargetVariant>{{"", Halide::get_host_target()}};
  if (!Halide::Target::validate_target_string(spec)) {
    *error = "unknown target '" + spec +
             "'; use host, portable or a Halide target string such as "
             "x86-64-linux-avx-avx2-fma";
    return std::nullopt;
  }
  Halide::Target t(spec);
  if (t.arch != Halide::Target::X86 || t.bits != 64 ||
      t.os != Halide::Target::Linux || t.has_gpu_feature()) {
    *error = "target '" + spec +
             "' is not x86-64 Linux without a GPU, the only kind laminac "
             "links executables for";
    return std::nullopt;
  }
  return std::vector<TargetVariant>{{"", t}};
}

/// The target the Halide runtime and the descriptor name: the first
/// (most portable) variant's.
static Halide::Target baseTarget(const std::vector<TargetVariant> &v) {
  return v.front().target;
}

/// A variant's target as kernels of an executable are compiled for it: no
/// Halide runtime (linked once), no assertions and no bounds queries (the
/// generated step checks its arguments once per call, and every buffer it
/// passes is allocated). The fallback variant of a portable build (plain
/// x86-64, run only by CPUs without AVX2) is also compiled without LLVM's
/// loop passes: Halide's schedules already vectorize and unroll, and it
/// cuts that variant's compile time by a quarter (VGG-small: 6.6 to 5.0 CPU
/// seconds).
static Halide::Target aotTarget(const Halide::Target &variant, bool profile,
                                bool fallback) {
  Halide::Target t = variant.with_feature(Halide::Target::NoRuntime)
                         .with_feature(Halide::Target::NoAsserts)
                         .with_feature(Halide::Target::NoBoundsQuery);
  if (fallback)
    t = t.with_feature(Halide::Target::DisableLLVMLoopOpt);
  return profile ? t.with_feature(Halide::Target::Profile) : t;
}

/// Identifies the compiler binary: its size and modification time. A
/// rebuilt laminac never reuses another build's cached kernels.
static std::string compilerBuildId() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec)
    return "";
  auto size = fs::file_size(self, ec);
  if (ec)
    return "";
  auto time = fs::last_write_time(self, ec).time_since_epoch().count();
  if (ec)
    return "";
  return std::to_string(size) + "-" + std::to_string(time) + " halide " +
         LAMINA_HALIDE_VERSION;
}

/// The salt of every kernel key: the variants' targets, the build and the
/// flags that change generated code.
static std::string kernelSalt(const std::vector<TargetVariant> &variants,
                              bool profile) {
  std::string salt = "build " + compilerBuildId() + "\ntargets";
  for (const TargetVariant &v : variants)
    salt += " " + v.target.to_string() + v.suffix;
  return salt + (profile ? "\nprofile" : "");
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
/// The bytes of the file at `p`.
static std::string fileBytes(const fs::path &p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

bool emitArtifact(const Graph &g, PipelineKind kind, ArtifactKind what,
                  const std::string &path, const std::string &targetSpec,
                  DiagnosticEngine &diag, bool halideRuntime) {
  std::string error;
  std::optional<std::vector<TargetVariant>> variants =
      targetVariants(targetSpec.empty() ? "host" : targetSpec, &error);
  if (!variants) {
    diag.error(SourceLoc{}, error);
    return false;
  }
  // One variant: the first (for --target=portable, plain x86-64).
  Halide::Target t = baseTarget(*variants);
  KernelPlan plan = partition(g, kind, kernelSalt(*variants, false));
  if (what == ArtifactKind::Plan || what == ArtifactKind::Dot) {
    std::ostringstream os;
    if (what == ArtifactKind::Dot)
      os << graphDot(g, &plan);
    else
      printPlan(plan, os, 64);
    if (path == "-") {
      std::cout << os.str();
      return true;
    }
    std::ofstream out(path);
    out << os.str();
    return static_cast<bool>(out);
  }
  if (plan.kernels.empty()) {
    // Halide cannot link an empty module.
    const char *name = pipelineFunctionName(kind) + std::strlen("lamina_");
    std::string file;
    for (const std::unique_ptr<Node> &n : g.nodes())
      if (file.empty())
        file = n->loc().file;
    diag.error(SourceLoc{},
               (file.empty() ? "" : file + ": ") + "model '" + g.name() +
                   "': the " + name +
                   " pipeline computes nothing, so it has no code to emit (" +
                   (kind == PipelineKind::Predict
                        ? "the model declares no `output`; add one, as "
                          "`output probs = softmax(logits);`,"
                        : "the model has no loss or metric;") +
                   " or choose another --pipeline)");
    return false;
  }
  // Halide writes files: stdout's text goes through a private directory,
  // removed before the text is printed, so that a reader that stops early
  // (`| head`, which ends this process) leaves nothing behind.
  bool toStdout = path == "-";
  fs::path tmpDir, tmp = path;
  if (toStdout) {
    std::error_code ec;
    std::string tmpl =
        (fs::temp_directory_path(ec) / "lamina-emit-XXXXXX").string();
    if (ec || !mkdtemp(tmpl.data())) {
      diag.error(SourceLoc{}, "cannot create a temporary directory in " +
                                  fs::path(tmpl).parent_path().string() +
                                  " (set TMPDIR to another directory)");
      return false;
    }
    tmpDir = tmpl;
    tmp = tmpDir / "artifact";
  }
  bool ok = guarded(diag, "lowering", [&] {
    // Every distinct kernel, in plan order, in one module (of one target:
    // with large_buffers for all if one kernel needs it).
    Halide::Target kt = t;
    for (const Kernel &k : plan.kernels)
      if (kernelTarget(k, t) != t)
        kt = kernelTarget(k, t);
    // Text shows the model's code; Halide's runtime (tens of thousands of
    // lines) only when asked for.
    if (!halideRuntime &&
        (what == ArtifactKind::LLVMAssembly || what == ArtifactKind::Assembly))
      kt = kt.with_feature(Halide::Target::NoRuntime);
    std::vector<Halide::Module> modules;
    std::set<uint64_t> seen;
    for (const Kernel &k : plan.kernels) {
      if (!seen.insert(k.hash).second)
        continue;
      LoweredKernel lk = lowerKernel(plan, k, kt);
      modules.push_back(
          lk.pipeline.compile_to_module(lk.arguments, k.symbol(), kt));
    }
    Halide::Module m =
        Halide::link_modules(pipelineFunctionName(kind), modules);
    Halide::OutputFileType type =
        what == ArtifactKind::HalideStmt ? Halide::OutputFileType::stmt
        : what == ArtifactKind::LLVMAssembly
            ? Halide::OutputFileType::llvm_assembly
        : what == ArtifactKind::Assembly ? Halide::OutputFileType::assembly
                                         : Halide::OutputFileType::object;
    m.compile({{type, tmp.string()}});
  });
  if (!toStdout)
    return ok;
  std::string text = ok ? fileBytes(tmp) : "";
  std::error_code ec;
  fs::remove_all(tmpDir, ec);
  std::cout << text;
  std::cout.flush();
  return ok;
}

namespace key = abi::key;

static nlohmann::json tensorJson(const Node &n) {
  nlohmann::json j;
  j[key::kName] = n.name();
  j[key::kArg] = argName(n);
  j[key::kDType] = dtypeName(n.dtype());
  j[key::kShape] = n.shape();
  return j;
}

/// The descriptor's argument list of `plan`'s pipeline.
static nlohmann::json argumentsJson(const KernelPlan &plan) {
  nlohmann::json list = nlohmann::json::array();
  for (const PipelineArgument &a : pipelineArguments(plan))
    list.push_back({{key::kName, a.name},
                    {key::kKind, abi::argKindName(a.kind)},
                    {key::kDType, dtypeName(a.dtype)},
                    {key::kShape, a.shape}});
  return list;
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

std::string modelDescriptor(const Module &m, const std::string &sourceFile,
                            const std::vector<const KernelPlan *> &plans) {
  const Graph &forward = *m.forward;
  const Graph *train = m.train.get();
  nlohmann::json d;
  d[key::kVersion] = abi::kDescriptorVersion;
  d[key::kModel] = forward.name();
  d[key::kFile] = sourceFile;
  // i32 inputs and labels that index something (embedding tokens, class
  // labels) carry the count, checked when data is read.
  for (auto [role, field] :
       {std::pair{"input", key::kInputs}, std::pair{"label", key::kLabels}}) {
    d[field] = nlohmann::json::array();
    for (Node *n : forward.inputsWithRole(role)) {
      nlohmann::json t = tensorJson(*n);
      if (int64_t classes = classCount(forward, *n))
        t[key::kClasses] = classes;
      d[field].push_back(t);
    }
  }
  // Parameters and buffers, with how the runtime fills them at first.
  auto initialized = [](const Node *n) {
    nlohmann::json p = tensorJson(*n);
    nlohmann::json init;
    init[key::kKind] =
        n->hasAttr("init") ? n->strAttr("init") : "uniform_fan_in";
    if (!n->data().empty())
      init[key::kKind] = "data";
    init[key::kInitArg] = n->floatAttrOr("init_arg", 0.0);
    int64_t fanIn = n->rank() >= 2       ? n->shape()[0]
                    : n->shape().empty() ? 1
                                         : n->shape()[0];
    init[key::kFanIn] = n->intAttrOr("fan_in", fanIn);
    init[key::kFanOut] =
        n->intAttrOr("fan_out", n->rank() >= 2 ? n->shape()[1] : 1);
    init[key::kInitData] = n->data();
    p[key::kInit] = init;
    return p;
  };
  d[key::kParams] = nlohmann::json::array();
  for (Node *n : forward.paramsWithRole("param"))
    d[key::kParams].push_back(initialized(n));
  d[key::kState] = nlohmann::json::array();
  if (train)
    for (Node *n : train->paramsWithRole("state"))
      d[key::kState].push_back(tensorJson(*n));
  d[key::kNonTrainable] = nlohmann::json::array();
  for (Node *n : forward.paramsWithRole("buffer"))
    d[key::kNonTrainable].push_back(initialized(n));
  d[key::kStepKey] = train && !train->inputsWithRole("key").empty();
  d[key::kOutputs] = nlohmann::json::array();
  d[key::kMetrics] = nlohmann::json::array();
  for (const auto &[name, n] : forward.outputs()) {
    bool isMetric = false;
    for (const std::string &m : forward.metrics())
      isMetric |= m == name;
    std::string arg = isMetric ? abi::metricArgumentName(abi::sanitize(name))
                               : abi::outputArgumentName(abi::sanitize(name));
    // A metric is its sums where the train and eval pipelines compute them.
    const Node *result = n;
    for (const KernelPlan *p : plans)
      for (const PlanResult &r : p->results)
        if (isMetric && r.name == arg)
          result = r.node;
    nlohmann::json o = tensorJson(*result);
    o[key::kName] = name;
    o[key::kArg] = arg;
    if (isMetric) {
      abi::MetricFinish finish = abi::MetricFinish::Rows;
      if (result->kind() == OpKind::MetricStats)
        finish = getOpInfo(*lookupOp(result->strAttr("metric"))).statsFinish;
      o[key::kFinish] = abi::metricFinishName(finish);
      if (abi::isConfusion(finish))
        o[key::kClasses] = static_cast<int64_t>(
            std::lround(std::sqrt(static_cast<double>(result->shape()[0]))));
    }
    d[isMetric ? key::kMetrics : key::kOutputs].push_back(o);
  }
  bool hasLoss = forward.loss() != nullptr && train != nullptr;
  d[key::kHasLoss] = hasLoss;
  if (hasLoss)
    d[key::kLossDType] = dtypeName(forward.loss()->dtype());
  d[key::kPipelines] = nlohmann::json::object();
  for (const KernelPlan *p : plans)
    d[key::kPipelines][pipelineFunctionName(p->kind)] = argumentsJson(*p);
  if (m.defaults) {
    const TrainConfig &c = *m.defaults;
    d[key::kTrain] = {{key::kBatch, c.batch},
                      {key::kEpochs, c.epochs},
                      {key::kOptimizer, c.optimizer},
                      {key::kLr, c.lr},
                      {key::kMomentum, c.momentum},
                      {key::kWeightDecay, c.weightDecay},
                      {key::kSeed, c.seed},
                      {key::kValidationSplit, c.validationSplit}};
    if (c.clipNorm > 0)
      d[key::kTrain][key::kClipNorm] = c.clipNorm;
    if (!c.stopMonitor.empty())
      d[key::kTrain][key::kEarlyStopping] = {{key::kMonitor, c.stopMonitor},
                                             {key::kPatience, c.stopPatience},
                                             {key::kMinDelta, c.stopMinDelta}};
    if (!c.schedule.empty())
      d[key::kTrain][key::kSchedule] = {
          {key::kKind, c.schedule}, {key::kEvery, c.every},
          {key::kGamma, c.gamma},   {key::kEpochs, c.scheduleEpochs},
          {key::kMinLr, c.minLr},   {key::kPatience, c.patience},
          {key::kFactor, c.factor}, {key::kWarmup, c.warmup}};
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

/// Links a model library into `outDir`: every object and the runtime
/// archive into one relocatable object with only `exported` global, made
/// into lib<prefix>.a and lib<prefix>.so next to <prefix>.h. Each library
/// holds its own runtime, Halide's included, so several link into one
/// program.
static bool linkLibrary(const std::vector<std::string> &objects,
                        const std::string &rtlib, const fs::path &dir,
                        const fs::path &outDir, const std::string &prefix,
                        const std::vector<std::string> &exported,
                        const std::string &cxx, DiagnosticEngine &diag) {
  fs::path combined = dir / (prefix + ".o");
  // A relocatable link resolves the objects against each other and pulls
  // what they use from the runtime archive; section groups (inline
  // functions, templates) become plain sections, so that the symbols in
  // them can be made local.
  std::string cmd = std::string(LAMINA_LD) +
                    " -r --force-group-allocation -o " +
                    quote(combined.string());
  for (const std::string &o : objects)
    cmd += " " + quote(o);
  cmd += " " + quote(rtlib);
  if (!runCommand(cmd, diag))
    return false;
  cmd = std::string(LAMINA_OBJCOPY);
  for (const std::string &f : exported)
    cmd += " --keep-global-symbol=" + f;
  if (!runCommand(cmd + " " + quote(combined.string()), diag))
    return false;
  fs::path archive = dir / ("lib" + prefix + ".a");
  fs::path shared = dir / ("lib" + prefix + ".so");
  if (!runCommand(std::string(LAMINA_AR) + " rcs " + quote(archive.string()) +
                      " " + quote(combined.string()),
                  diag) ||
      !runCommand(cxx + " " + LAMINA_EXE_LINK_FLAGS + " -shared -o " +
                      quote(shared.string()) + " " + quote(combined.string()) +
                      " -lz -lpthread -ldl -lm",
                  diag))
    return false;
  std::error_code ec;
  fs::create_directory(outDir, ec);
  for (const fs::path &f : {dir / (prefix + ".h"), archive, shared}) {
    fs::copy_file(f, outDir / f.filename(),
                  fs::copy_options::overwrite_existing, ec);
    if (ec) {
      diag.error(SourceLoc{}, "cannot write " +
                                  (outDir / f.filename()).string() + ": " +
                                  ec.message());
      return false;
    }
  }
  return true;
}

namespace {

/// One unit of compile work, run in a child process.
struct Job {
  std::string what;
  /// The object it writes (renamed into place when complete).
  fs::path object;
  std::function<void(const std::string &tmpPath)> work;
};

/// Runs `jobs` in up to `parallel` forked processes. Each child lowers and
/// compiles on its own, so the parent stays small and Halide's state is
/// never shared between threads. Returns false after reporting every
/// failed job.
bool runJobs(const std::vector<Job> &jobs, int parallel, const fs::path &dir,
             bool verbose, DiagnosticEngine &diag) {
  using Clock = std::chrono::steady_clock;
  std::map<pid_t, Clock::time_point> started;
  size_t done = 0;
  std::cout.flush();
  std::cerr.flush();
  std::map<pid_t, size_t> running;
  size_t next = 0;
  bool ok = true;
  auto errFile = [&](size_t i) {
    return dir / ("job-" + std::to_string(i) + ".err");
  };
  auto reap = [&] {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR)
        return;
      // No child to wait for (SIGCHLD ignored): the running jobs' results
      // are unknown.
      for (const auto &[p, i] : running)
        diag.error(SourceLoc{}, jobs[i].what +
                                    " failed: its process was "
                                    "lost (" +
                                    std::string(std::strerror(errno)) + ")");
      running.clear();
      ok = false;
      return;
    }
    size_t i = running.at(pid);
    running.erase(pid);
    ++done;
    if (verbose)
      std::cerr
          << "laminac: [" << done << "/" << jobs.size() << "] " << jobs[i].what
          << ": "
          << std::chrono::duration<double>(Clock::now() - started[pid]).count()
          << " s\n";
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
      return;
    ok = false;
    std::ifstream in(errFile(i));
    std::stringstream text;
    text << in.rdbuf();
    std::string msg = text.str();
    if (msg.empty())
      msg = WIFSIGNALED(status)
                ? "killed by signal " + std::to_string(WTERMSIG(status))
                : "exit " + std::to_string(WEXITSTATUS(status));
    diag.error(SourceLoc{}, jobs[i].what + " failed: " + msg);
  };
  while (next < jobs.size() || !running.empty()) {
    if (next < jobs.size() && static_cast<int>(running.size()) < parallel) {
      size_t i = next++;
      pid_t pid = ::fork();
      if (pid < 0) {
        diag.error(SourceLoc{}, "cannot start a compile process: " +
                                    std::string(std::strerror(errno)));
        ok = false;
        break;
      }
      if (pid == 0) {
        int rc = 0;
        // A unique temporary next to the object, renamed into place only
        // when complete: a cache shared by concurrent runs holds whole
        // objects only.
        std::string tmp = jobs[i].object.string() + ".tmpXXXXXX";
        if (int fd = ::mkstemp(tmp.data()); fd >= 0)
          ::close(fd);
        try {
          jobs[i].work(tmp);
          fs::rename(tmp, jobs[i].object);
        } catch (const Halide::Error &e) {
          std::ofstream(errFile(i)) << "Halide: " << e.what();
          rc = 1;
        } catch (const std::exception &e) {
          std::ofstream(errFile(i)) << e.what();
          rc = 1;
        }
        if (rc != 0)
          ::unlink(tmp.c_str());
        std::cout.flush();
        std::cerr.flush();
        ::_exit(rc);
      }
      running[pid] = i;
      started[pid] = Clock::now();
      continue;
    }
    reap();
  }
  while (!running.empty())
    reap();
  return ok;
}

} // namespace

RuntimeFiles runtimeFiles() {
  RuntimeFiles f{LAMINA_RUNTIME_LIB, LAMINA_HALIDE_RUNTIME_OBJ,
                 LAMINA_RUNTIME_INCLUDE};
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  fs::path prefix = self.parent_path().parent_path();
  fs::path lib = prefix / "lib" / "lamina";
  if (!ec && fs::exists(lib / "liblamina_runtime.a", ec))
    f = {(lib / "liblamina_runtime.a").string(),
         (lib / "halide_runtime_x86_64.o").string(),
         (prefix / "include").string()};
  if (const char *env = std::getenv("LAMINA_RUNTIME_LIB"))
    f.runtimeLib = env;
  if (const char *env = std::getenv("LAMINA_HALIDE_RUNTIME_OBJ"))
    f.halideRuntime = env;
  return f;
}

std::vector<const KernelPlan *> ExecutablePlans::pointers() const {
  std::vector<const KernelPlan *> pp;
  for (const KernelPlan &p : plans)
    pp.push_back(&p);
  return pp;
}

ExecutablePlans executablePlans(const Module &m, const std::string &salt,
                                bool gradcheck) {
  const Graph &forward = *m.forward;
  ExecutablePlans out;
  std::vector<KernelPlan> &plans = out.plans;
  if (m.train && forward.loss()) {
    const Graph &train = *out.graphs.emplace_back(withMetricStats(*m.train));
    plans.push_back(partition(train, PipelineKind::Train, salt));
    // The two phases, for train --accumulate.
    plans.push_back(partition(train, PipelineKind::Grad, salt));
    plans.push_back(partition(train, PipelineKind::Update, salt));
    if (gradcheck)
      plans.push_back(
          partition(*out.graphs.emplace_back(gradCheckGraph(*m.train)),
                    PipelineKind::GradCheck, salt));
  }
  if (forward.loss() || !forward.metrics().empty())
    plans.push_back(
        partition(*out.graphs.emplace_back(withMetricStats(forward)),
                  PipelineKind::Eval, salt));
  if (forward.outputs().size() > forward.metrics().size())
    plans.push_back(partition(forward, PipelineKind::Predict, salt));
  return out;
}

std::string versionText(const std::string &tool) {
  return tool + " " + LAMINA_VERSION + " (Halide " + LAMINA_HALIDE_VERSION +
         ", ABI " + std::to_string(abi::kAbiVersion) + ")";
}

std::string defaultCacheDir() {
  if (const char *x = std::getenv("XDG_CACHE_HOME"); x && *x)
    return (fs::path(x) / "lamina").string();
  if (const char *h = std::getenv("HOME"); h && *h)
    return (fs::path(h) / ".cache" / "lamina").string();
  return "";
}

/// Every input of `n`'s value that is an Input of role `role`.
static std::vector<const Node *> dependsOn(const Node &n,
                                           const std::string &role) {
  std::vector<const Node *> found;
  std::set<const Node *> seen;
  std::vector<const Node *> work = {&n};
  while (!work.empty()) {
    const Node *v = work.back();
    work.pop_back();
    if (!seen.insert(v).second)
      continue;
    if (v->kind() == OpKind::Input && v->strAttr("role") == role)
      found.push_back(v);
    for (const Node *in : v->inputs())
      work.push_back(in);
  }
  return found;
}

bool checkRunnable(const Graph &forward, DiagnosticEngine &diag) {
  bool ok = true;
  // The runtime feeds inputs and labels a batch of records at a time.
  for (const char *role : {"input", "label"})
    for (const Node *n : forward.inputsWithRole(role)) {
      const Shape &s = n->shape();
      if (!s.empty() && s[0] == kBatch)
        continue;
      Shape with = s;
      with.insert(with.begin(), kBatch);
      diag.error(n->loc(),
                 std::string(role) + " '" + n->name() + "' of type " +
                     typeToString(n->type()) +
                     " has no leading batch dimension, and an executable "
                     "reads a batch of records at a time; declare it as " +
                     typeToString({n->dtype(), with}));
      ok = false;
    }
  const std::vector<std::string> &metrics = forward.metrics();
  for (const auto &[name, n] : forward.outputs()) {
    if (std::find(metrics.begin(), metrics.end(), name) != metrics.end())
      continue;
    std::vector<const Node *> labels = dependsOn(*n, "label");
    if (!labels.empty()) {
      diag.error(n->loc(), "output '" + name + "' depends on label '" +
                               labels.front()->name() +
                               "', which predict does not read; declare it "
                               "as a metric (`metric " +
                               name +
                               " = ...;`, reported by eval and train) or "
                               "compute it from the inputs only");
      ok = false;
      continue;
    }
    const Shape &s = n->shape();
    bool batched = !s.empty() && s[0] == kBatch;
    if (!batched && hasBatch(s)) {
      diag.error(n->loc(), "output '" + name + "' of type " +
                               typeToString(n->type()) +
                               " has the batch in another dimension than "
                               "the first; predict writes a row per record: "
                               "transpose it so the batch comes first");
      ok = false;
    } else if (!batched && !dependsOn(*n, "input").empty()) {
      // Written once per predict: it must not depend on the records.
      diag.error(n->loc(),
                 "output '" + name + "' of type " + typeToString(n->type()) +
                     " combines the records of a batch, so its value would "
                     "depend on predict's batch size; keep the batch "
                     "dimension (a reduction with keepdims, or over the "
                     "other axes), or make it a metric (`metric " +
                     name + " = ...;`, averaged over the records)");
      ok = false;
    }
  }
  return ok;
}

bool emitExecutable(const Module &m, const std::string &sourceFile,
                    const std::string &out, const ExecutableOptions &opts,
                    DiagnosticEngine &diag) {
  using Clock = std::chrono::steady_clock;
  if (!checkRunnable(*m.forward, diag))
    return false;
  std::string error;
  std::optional<std::vector<TargetVariant>> variants =
      targetVariants(opts.target, &error);
  if (!variants) {
    diag.error(SourceLoc{}, error);
    return false;
  }
  char tmpl[] = "/tmp/laminac-XXXXXX";
  if (!mkdtemp(tmpl)) {
    diag.error(SourceLoc{}, "cannot create a temporary directory in /tmp");
    return false;
  }
  fs::path dir = tmpl;
  fs::path cache = opts.cacheDir;
  if (!cache.empty() && compilerBuildId().empty()) {
    diag.warning(SourceLoc{}, "cannot identify this laminac binary (no "
                              "/proc/self/exe); compiling without the kernel "
                              "cache");
    cache.clear();
  }
  if (!cache.empty()) {
    std::error_code ec;
    fs::create_directories(cache, ec);
    if (ec) {
      diag.warning(SourceLoc{}, "cannot use the kernel cache '" +
                                    cache.string() + "' (" + ec.message() +
                                    "); compiling without it");
      cache.clear();
    }
  }
  fs::path objDir = cache.empty() ? dir : cache;
  auto elapsed = [](Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
  };

  // The plans.
  auto t0 = Clock::now();
  std::string salt = kernelSalt(*variants, opts.profile);
  ExecutablePlans planned = executablePlans(m, salt, opts.gradcheck);
  const std::vector<KernelPlan> &plans = planned.plans;

  // The generated step and descriptor, compiled by the C++ compiler as the
  // first job, alongside the kernels: it is known before any kernel is. It
  // is a sequence of calls and tables, so -O0: optimizing it takes longer
  // (0.21 s instead of 0.12 s for VGG-small) than it could ever save.
  std::vector<Job> jobs;
  std::vector<std::string> objects;
  std::string descriptor;
  const RuntimeFiles runtime = runtimeFiles();
  if (opts.verbose)
    std::cerr << "laminac: runtime " << runtime.runtimeLib << ", headers "
              << runtime.include << "\n";
  const std::string prefix = libraryPrefix(m.forward->name());
  const char *cxxEnv = std::getenv("LAMINA_CXX");
  const std::string cxx = cxxEnv ? cxxEnv : LAMINA_CXX;
  {
    std::vector<const KernelPlan *> pp = planned.pointers();
    std::vector<std::string> suffixes;
    for (const TargetVariant &v : *variants)
      suffixes.push_back(v.suffix);
    fs::path src = dir / "model.cpp";
    std::ofstream os(src);
    descriptor = modelDescriptor(m, sourceFile, pp);
    os << modelSource(descriptor)
       << stepSource(pp, suffixes, baseTarget(*variants).to_string());
    // A library's C API: its header and the functions behind it.
    fs::path apiSrc = dir / (prefix + "_api.cpp");
    if (opts.library) {
      std::ofstream(dir / (prefix + ".h")) << libraryHeader(descriptor, prefix);
      std::ofstream(apiSrc) << libraryApiSource(descriptor, prefix);
    }
    if (!os) {
      diag.error(SourceLoc{}, "cannot write " + src.string());
      fs::remove_all(dir);
      return false;
    }
    // A library's objects go into a shared object: position-independent,
    // and (GCC) without STB_GNU_UNIQUE symbols, which cannot be made local.
    std::string flags = std::string(LAMINA_EXE_LINK_FLAGS) +
                        (opts.library ? " " LAMINA_LIB_CXX_FLAGS : "") + " -I" +
                        quote(runtime.include) + " -I" +
                        quote(LAMINA_HALIDE_INCLUDE) + " -I" +
                        quote(dir.string());
    auto compileJob = [&](const std::string &what, const fs::path &source,
                          const char *opt) {
      fs::path obj = fs::path(source).replace_extension(".o");
      objects.push_back(obj.string());
      std::string cmd = cxx + " " + opt + " " + flags + " -c " +
                        quote(source.string()) + " -o ";
      jobs.push_back({what, obj, [cmd](const std::string &tmp) {
                        std::string full = cmd + quote(tmp);
                        if (std::system(full.c_str()) != 0)
                          throw std::runtime_error("command failed: " + full);
                      }});
    };
    compileJob("compiling the step (model.cpp)", src, "-O0");
    if (opts.library)
      compileJob("compiling the C API (" + apiSrc.filename().string() + ")",
                 apiSrc, "-O1");
  }

  // Every distinct kernel in every variant, unless the cache has it.
  size_t kernels = 0, distinct = 0, compiles = 0, cached = 0;
  std::set<uint64_t> seen;
  for (const KernelPlan &plan : plans)
    for (const Kernel &k : plan.kernels) {
      ++kernels;
      if (!seen.insert(k.hash).second)
        continue;
      ++distinct;
      size_t n = std::min(variants->size(), static_cast<size_t>(k.variants));
      compiles += n;
      for (size_t vi = 0; vi < n; ++vi) {
        const TargetVariant &v = (*variants)[vi];
        std::string fn = k.symbol() + v.suffix;
        fs::path obj = objDir / (fn + ".o");
        objects.push_back(obj.string());
        if (!cache.empty() && fs::exists(obj)) {
          ++cached;
          continue;
        }
        Halide::Target t =
            kernelTarget(k, aotTarget(v.target, opts.profile,
                                      vi == 0 && variants->size() > 1));
        const KernelPlan *pp = &plan;
        const Kernel *kp = &k;
        jobs.push_back({"compiling kernel " + fn + " (" +
                            std::string(pipelineFunctionName(plan.kind)) + ")",
                        obj, [pp, kp, fn, t](const std::string &tmp) {
                          LoweredKernel lk = lowerKernel(*pp, *kp, t);
                          lk.pipeline.compile_to_object(tmp, lk.arguments, fn,
                                                        t);
                        }});
      }
    }
  // The Halide runtime: built with laminac for plain x86-64; compiled here
  // only for the profiler, whose hooks the kernels' target selects.
  Halide::Target rt = baseTarget(*variants);
  if (!opts.profile) {
    objects.push_back(runtime.halideRuntime);
  } else {
    Halide::Target prt = rt.with_feature(Halide::Target::Profile);
    fs::path obj = dir / "halide_runtime_profile.o";
    objects.push_back(obj.string());
    jobs.push_back(
        {"compiling the Halide runtime", obj, [prt](const std::string &tmp) {
           Halide::compile_standalone_runtime(tmp, prt);
         }});
  }
  int parallel =
      opts.jobs > 0
          ? opts.jobs
          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  if (opts.verbose)
    std::cerr << "laminac: " << kernels << " kernels, " << distinct
              << " distinct, " << variants->size() << " variant(s), "
              << compiles << " objects; " << cached
              << " objects from the cache, " << jobs.size() << " to compile on "
              << parallel << " processes\n";
  bool ok = runJobs(jobs, parallel, dir, opts.verbose, diag);
  if (opts.verbose)
    std::cerr << "laminac: compiling the step and kernels: " << elapsed(t0)
              << " s\n";

  const std::string &rtlib = runtime.runtimeLib;
  auto t1 = Clock::now();
  if (ok && !opts.library) {
    std::string cmd =
        cxx + " " + LAMINA_EXE_LINKER + " " + LAMINA_EXE_LINK_FLAGS;
    for (const std::string &o : objects)
      cmd += " " + quote(o);
    cmd += " " + quote(rtlib) + " -lz -lpthread -ldl -o " + quote(out);
    ok = runCommand(cmd, diag);
  }
  if (ok && opts.library)
    ok = linkLibrary(objects, rtlib, dir, out, prefix,
                     libraryFunctions(descriptor, prefix), cxx, diag);
  if (ok && opts.verbose)
    std::cerr << "laminac: linking: " << elapsed(t1) << " s\n";
  if (opts.keepTemps)
    std::cerr << "laminac: intermediate files kept in " << dir.string() << "\n";
  else
    fs::remove_all(dir);
  return ok;
}

} // namespace lamina
