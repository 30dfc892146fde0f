//===- lamina-run.cpp - Run a model file with the JIT, for tests ----------===//
//
// lamina-run MODEL.lam [--feeds IN.safetensors] --out OUT.safetensors
//            [--model NAME] [--grads [--wrt A,B]] [--train-steps N [--lr X]]
//            [--forward] [--no-opt]
//
// Compiles a model file as laminac does (parse, build, optimization passes,
// autodiff) and runs it in-process with Halide's JIT on the tensors of IN,
// so that another framework can be fed the same numbers and compared.
//
// Feeds: every input, label and parameter by its node name ("x",
// "h1.weight"); a parameter with initial data in the model file may be left
// out; optimizer state ("h1.weight.velocity") starts at zeros unless fed.
// Tensors may be F32, F64, I32 or I64 whatever the node's dtype: values are
// converted to it, so give f32 models f32 data to feed both sides alike.
// IN and OUT go through the runtime's checkpoint reader and writer
// (lamina/Checkpoint.h); OUT's metadata names the model, at epoch and step 0.
//
// Results, in OUT (each tensor in its node's dtype):
//   NAME               each model output (`output NAME = ...`)
//   loss               the loss, if the model has one
//   metric.NAME        each metric
//   grad.NAME          with --grads: d(loss)/d(leaf) for every parameter and
//                      every float input and label, or for the leaves
//                      --wrt names (a leaf the loss does not depend on gets
//                      zeros)
//   trained.NAME       with --train-steps N: every parameter and optimizer
//                      state after N SGD steps (the model's train block:
//                      momentum, weight decay; lr from it or --lr)
//   train.loss         [N] f64: the loss of each step
//   train.metric.NAME  [N] f64: each metric of each step
//
// With --train-steps, an input or label fed with one more leading dim than
// its node has is a stack of batches: step i reads batch i (modulo the
// stack's length). Others are fed unchanged to every step. Forward results
// are computed without --train-steps, or with --forward or --grads (from the
// first batch of a stack).
//
// Exit status: 0 success, 1 compile or run error, 2 usage error.
//
//===----------------------------------------------------------------------===//
#include "lamina/Autodiff.h"
#include "lamina/Diagnostics.h"
#include "lamina/Driver.h"
#include "lamina/IRText.h"
#include "lamina/Jit.h"
#include "lamina/Passes.h"
#include "lamina/Support.h"
#include "lamina/abi/Names.h"

// The runtime's safetensors reader and writer (its Tensor.h shares
// lamina/abi/DType.h with the compiler's IR.h).
#include "lamina/Checkpoint.h"

#include "ToolCommon.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <set>
#include <sstream>
#include <stdexcept>

using namespace lamina;

namespace {

struct Options {
  std::string input;
  std::string feeds;
  std::string output;
  std::string model;
  bool grads = false;
  std::vector<std::string> wrt;
  bool forward = false;
  bool noOpt = false;
  int64_t trainSteps = 0;
  double lr = 0.0;
  bool lrGiven = false;
};

/// A tensor as read from or written to a safetensors file.
struct FileTensor {
  DType dtype = DType::F64; // unused for feeds, which keep the file's values
  std::vector<int64_t> shape;
  std::vector<double> data;
};
using FileTensors = std::map<std::string, FileTensor>;

[[noreturn]] void fail(const std::string &msg) {
  throw std::runtime_error(msg);
}

/// Reads a safetensors file with the runtime's checkpoint reader; tensors
/// may be F32, F64, I32 or I64 and are converted to doubles.
FileTensors readSafetensors(const std::string &path) {
  Checkpoint ck(path);
  FileTensors result;
  for (const std::string &name : ck.names()) {
    FileTensor t;
    t.data = ck.readConverted(name, t.shape);
    result[name] = std::move(t);
  }
  return result;
}

/// Writes `tensors` (each in its dtype) with the runtime's checkpoint
/// writer, so the file is one an executable of `model` could read.
void writeSafetensors(const std::string &path, const FileTensors &tensors,
                      const std::string &model) {
  std::vector<Tensor> owned;
  owned.reserve(tensors.size());
  std::vector<NamedTensor> named;
  for (const auto &[name, t] : tensors) {
    owned.emplace_back(t.dtype, t.shape);
    Tensor &out = owned.back();
    for (size_t i = 0; i < t.data.size(); ++i)
      out.set(static_cast<int64_t>(i), t.data[i]);
    named.push_back({name, &out});
  }
  CheckpointInfo info;
  info.model = model;
  saveCheckpoint(path, named, info);
}

/// The number of elements of a fixed shape (the compiler's numElements; the
/// runtime's one-argument overload is visible here too).
int64_t elements(const Shape &s) { return numElements(s, 1); }

FileTensor toFile(const HostTensor &t) {
  return FileTensor{t.dtype, t.shape, t.data};
}

/// The driver options of the command line: the default passes unless
/// --no-opt, no dumps.
DriverOptions driverOptions(const Options &opts) {
  DriverOptions d;
  d.toolName = "lamina-run";
  d.model = opts.model;
  d.stopAfter = Stage::Ir;
  if (opts.noOpt)
    d.passes.clear();
  return d;
}

/// Runs the passes of the driver options on `g`.
bool optimize(Graph &g, const Options &opts, DiagnosticEngine &diag) {
  return runPasses(g, driverOptions(opts).passes, PassInstrumentation{}, diag);
}

/// The fed value of `leaf` as a HostTensor of its dtype: from `file` (batch
/// `step` of a stack when the tensor has one more dim than the node and
/// `stacked` allows it), else from the node's initial data, else zeros for
/// optimizer state and the initial constant of a buffer. Throws naming the leaf
/// if there is none.
HostTensor feedFor(const Node &leaf, const FileTensors &file, int64_t step,
                   bool stacked) {
  HostTensor h;
  h.dtype = leaf.dtype();
  auto it = file.find(leaf.name());
  if (it != file.end()) {
    const FileTensor &t = it->second;
    if (stacked && !t.shape.empty() && t.shape.size() == leaf.rank() + 1) {
      int64_t n = t.shape[0];
      if (n == 0)
        fail("'" + leaf.name() + "' is an empty stack of batches");
      h.shape.assign(t.shape.begin() + 1, t.shape.end());
      int64_t per = elements(h.shape);
      int64_t i = step % n;
      h.data.assign(t.data.begin() + i * per, t.data.begin() + (i + 1) * per);
      return h;
    }
    h.shape = t.shape;
    h.data = t.data;
    return h;
  }
  if (leaf.kind() == OpKind::Param && !leaf.data().empty()) {
    h.shape = leaf.shape();
    h.data = leaf.data();
    if (h.data.size() == 1 && elements(h.shape) != 1)
      h.data.assign(elements(h.shape), h.data[0]);
    return h;
  }
  if (leaf.kind() == OpKind::Param && leaf.hasAttr("role") &&
      leaf.strAttr("role") == "state") {
    h.shape = leaf.shape();
    h.data.assign(elements(h.shape), 0.0);
    return h;
  }
  // A buffer (running statistics) starts at its constant: 0 or 1.
  if (isBuffer(leaf) && leaf.hasAttr("init") &&
      leaf.strAttr("init") == "constant") {
    h.shape = leaf.shape();
    h.data.assign(elements(h.shape), leaf.floatAttrOr("init_arg", 0.0));
    return h;
  }
  fail("no value fed for '" + leaf.name() + "' (" + typeToString(leaf.type()) +
       ")");
}

/// Feeds for every Input and Param leaf of `g` except hyper-parameters.
TensorMap feedsFor(const Graph &g, const FileTensors &file, int64_t step,
                   bool stacked) {
  TensorMap feeds;
  for (const auto &np : g.nodes()) {
    const Node &n = *np;
    if (n.kind() != OpKind::Input && n.kind() != OpKind::Param)
      continue;
    if (n.hasAttr("role") && n.strAttr("role") == "hyper")
      continue;
    feeds[n.name()] = feedFor(n, file, step, stacked);
  }
  return feeds;
}

/// Forward results (and gradients) of `forward` in one Predict pipeline:
/// the loss, metrics and gradients become extra outputs of a copy.
bool runForward(const Graph &forward, const FileTensors &file,
                const Options &opts, DiagnosticEngine &diag,
                FileTensors &results) {
  Graph g(forward.name());
  forward.cloneInto(g);
  // Result name -> output added to g; the pipeline names outputs
  // abi::outputArgumentName(name), so keep the result names apart from
  // those.
  std::vector<std::pair<std::string, std::string>> wanted;
  std::set<std::string> metricNames(g.metrics().begin(), g.metrics().end());
  std::vector<std::pair<std::string, Node *>> outs = g.outputs();
  unsigned next = 0;
  auto add = [&](const std::string &result, Node *n) {
    std::string name = "lamina_run_" + std::to_string(next++);
    g.addOutput(name, n);
    wanted.emplace_back(result, name);
  };
  for (const auto &[name, n] : outs)
    add(metricNames.count(name) ? "metric." + name : name, n);
  if (g.loss())
    add("loss", g.loss());
  if (opts.grads) {
    if (!g.loss()) {
      diag.error(SourceLoc{opts.input, 0, 0},
                 "--grads needs a model with a 'loss' declaration");
      return false;
    }
    std::vector<Node *> wrt;
    if (opts.wrt.empty()) {
      wrt = g.paramsWithRole("param");
      for (const char *role : {"input", "label"})
        for (Node *in : g.inputsWithRole(role))
          if (in->dtype() != DType::I32)
            wrt.push_back(in);
    }
    for (const std::string &name : opts.wrt) {
      Node *leaf = g.findLeaf(name);
      if (!leaf || leaf->dtype() == DType::I32) {
        diag.error(SourceLoc{opts.input, 0, 0},
                   "--wrt '" + name +
                       "' is no float input, label or parameter of model '" +
                       g.name() + "'");
        return false;
      }
      wrt.push_back(leaf);
    }
    std::vector<Node *> grads = buildGradients(g, g.loss(), wrt, diag);
    if (grads.size() != wrt.size())
      return false;
    for (size_t i = 0; i < wrt.size(); ++i)
      add("grad." + wrt[i]->name(), grads[i]);
  }
  if (!optimize(g, opts, diag))
    return false;
  TensorMap r = runJit(g, PipelineKind::Predict,
                       feedsFor(g, file, 0, opts.trainSteps > 0));
  for (const auto &[result, name] : wanted) {
    auto it = r.find(abi::outputArgumentName(abi::sanitize(name)));
    if (it == r.end())
      fail("internal error: the pipeline has no result '" + name + "'");
    results[result] = toFile(it->second);
  }
  return true;
}

/// N train steps of `m`'s train step (built here by the driver's autodiff
/// stage), feeding each step's new parameters and state to the next.
bool runTraining(Module &m, const FileTensors &file, const Options &opts,
                 DiagnosticEngine &diag, FileTensors &results) {
  if (!buildTrainStage(m, driverOptions(opts), diag))
    return false;
  const Graph &train = *m.train;
  double lr = opts.lrGiven ? opts.lr : m.defaults.value_or(TrainConfig{}).lr;
  JitPipeline step(train, PipelineKind::Train);
  // Parameters and state carry over from step to step; data is re-read.
  TensorMap carried;
  for (Node *p : train.paramsWithRole("param"))
    carried[p->name()] = feedFor(*p, file, 0, false);
  for (const char *role : {"state", "buffer"})
    for (Node *s : train.paramsWithRole(role))
      carried[s->name()] = feedFor(*s, file, 0, false);
  FileTensor losses{DType::F64, {opts.trainSteps}, {}};
  std::map<std::string, FileTensor> metrics;
  for (const std::string &m : train.metrics())
    metrics[m] = FileTensor{DType::F64, {opts.trainSteps}, {}};
  for (int64_t i = 0; i < opts.trainSteps; ++i) {
    TensorMap feeds;
    for (const char *role : {"input", "label"})
      for (Node *in : train.inputsWithRole(role))
        feeds[in->name()] = feedFor(*in, file, i, true);
    for (const auto &[name, t] : carried)
      feeds[name] = t;
    feeds[abi::kLearningRateArgument] = HostTensor{DType::F64, {}, {lr}};
    if (train.findLeaf(abi::kStepKeyArgument))
      feeds[abi::kStepKeyArgument] =
          HostTensor{DType::F64, {}, {static_cast<double>(i + 1)}};
    TensorMap r = step.run(feeds);
    losses.data.push_back(r.at(abi::kLossArgument).data.at(0));
    for (auto &[m, t] : metrics)
      t.data.push_back(
          r.at(abi::metricArgumentName(abi::sanitize(m))).data.at(0));
    for (const auto &[name, val] : train.updates()) {
      (void)val;
      carried[name] =
          r.at(abi::nextArgumentName(argName(*train.findLeaf(name))));
    }
  }
  for (const auto &[name, t] : carried)
    results["trained." + name] = toFile(t);
  results["train.loss"] = losses;
  for (const auto &[m, t] : metrics)
    results["train.metric." + m] = t;
  return true;
}

int run(const Options &opts) {
  DiagnosticEngine diag;
  std::optional<Compilation> c =
      compileModelFile(opts.input, driverOptions(opts), diag);
  if (!c)
    return 1;
  Module &m = c->module;
  const Graph *forward = m.forward.get();

  FileTensors feeds;
  if (!opts.feeds.empty())
    feeds = readSafetensors(opts.feeds);
  // A misspelt feed would silently fall back to initial data: reject it.
  for (const auto &[name, t] : feeds) {
    (void)t;
    const Node *leaf = forward->findLeaf(name);
    std::string suffix = ".velocity";
    bool isState =
        name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        forward->findLeaf(name.substr(0, name.size() - suffix.size()));
    if (!leaf && !isState) {
      std::cerr << "lamina-run: error: '" << opts.feeds << "' feeds '" << name
                << "', which is no input, label or parameter of model '"
                << forward->name() << "'\n";
      return 1;
    }
  }

  FileTensors results;
  if (opts.trainSteps == 0 || opts.forward || opts.grads)
    if (!runForward(*forward, feeds, opts, diag, results))
      return 1;
  if (opts.trainSteps > 0 && !runTraining(m, feeds, opts, diag, results))
    return 1;
  writeSafetensors(opts.output, results, forward->name());
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"lamina-run: runs a Lamina model file with the JIT on tensors "
               "from a safetensors file (forward, gradients, train steps) "
               "and writes the results as safetensors"};
  Options opts;
  app.add_option("input", opts.input, "The model file")->required();
  app.add_option("--feeds", opts.feeds,
                 "safetensors file with inputs, labels and parameters");
  app.add_option("-o,--out", opts.output, "safetensors file to write")
      ->required();
  app.add_option("--model", opts.model,
                 "Model to run when the file has several");
  app.add_flag("--grads", opts.grads,
               "Also the gradient of the loss w.r.t. every parameter and "
               "float input (grad.NAME)");
  app.add_option("--wrt", opts.wrt,
                 "Gradients w.r.t. these leaves only (comma-separated names)")
      ->delimiter(',');
  app.add_flag("--forward", opts.forward,
               "Forward results even with --train-steps");
  app.add_option("--train-steps", opts.trainSteps,
                 "SGD steps to run (trained.NAME, train.loss)")
      ->check(CLI::NonNegativeNumber);
  CLI::Option *lr =
      app.add_option("--lr", opts.lr, "Learning rate (default: the model's)")
          ->check(CLI::PositiveNumber);
  app.add_flag("--no-opt", opts.noOpt, "Skip the optimization passes");
  if (std::optional<int> rc = parseCommandLine(app, argc, argv))
    return *rc;
  opts.lrGiven = lr->count() > 0;
  opts.grads |= !opts.wrt.empty();
  try {
    return run(opts);
  } catch (const std::exception &e) {
    std::cerr << "lamina-run: error: " << e.what() << "\n";
    return 1;
  }
}
