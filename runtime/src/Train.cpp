//===- Train.cpp - Parameters, the training loop, evaluation, prediction --===//

#include "lamina/Train.h"

#include "lamina/Error.h"
#include "lamina/Init.h"
#include "lamina/abi/Step.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <unistd.h>

namespace lamina {

Session::Session(ModelDesc model, Pipelines pipelines)
    : model_(std::move(model)), pipelines_(pipelines) {
  checkPipelines(model_, pipelines_);
  for (const TensorSpec &p : model_.params) {
    params_.emplace_back(p.dtype, p.shape);
    nextParams_.emplace_back(p.dtype, p.shape);
  }
  for (const TensorSpec &s : model_.state) {
    state_.emplace_back(s.dtype, s.shape);
    nextState_.emplace_back(s.dtype, s.shape);
  }
  for (const TensorSpec &b : model_.nonTrainable) {
    buffers_.emplace_back(b.dtype, b.shape);
    nextBuffers_.emplace_back(b.dtype, b.shape);
  }
}

void Session::initialize(uint64_t seed) {
  for (size_t i = 0; i < params_.size(); ++i)
    initParameter(params_[i], model_.params[i], seed);
  for (size_t i = 0; i < buffers_.size(); ++i)
    initParameter(buffers_[i], model_.nonTrainable[i], seed);
  for (Tensor &s : state_)
    s.setZero();
  epoch_ = 0;
  step_ = 0;
  seed_ = seed;
  lrScale_ = 1.0;
  plateauBad_ = -1;
  stopBad_ = -1;
  stopBestEpoch_ = 0;
  bestParams_.clear();
  bestBuffers_.clear();
}

static const ScheduleSpec *scheduleOf(const ModelDesc &m) {
  return m.train && !m.train->schedule.kind.empty() ? &m.train->schedule
                                                    : nullptr;
}

double Session::scheduledLr(double base, int64_t epoch, int64_t step,
                            int64_t stepsPerEpoch) const {
  const ScheduleSpec *s = scheduleOf(model_);
  if (!s)
    return base;
  double lr = base;
  if (s->kind == "step_decay")
    lr = base * std::pow(s->gamma, static_cast<double>((epoch - 1) / s->every));
  else if (s->kind == "exponential")
    lr = base * std::pow(s->gamma, static_cast<double>(step));
  else if (s->kind == "cosine") {
    // torch's CosineAnnealingLR over epochs * steps-per-epoch steps.
    double x = std::min(static_cast<double>(step) /
                            static_cast<double>(s->epochs * stepsPerEpoch),
                        1.0);
    lr = s->minLr + (base - s->minLr) * (1.0 + std::cos(M_PI * x)) / 2.0;
  } else
    lr = base * lrScale_;
  if (step < s->warmup)
    lr *= static_cast<double>(step + 1) / static_cast<double>(s->warmup);
  return lr;
}

/// Higher is better for r2 and the classification metrics, whatever the
/// model calls them; lower for the loss and the rest.
static bool higherIsBetter(abi::MetricFinish f) {
  return f == abi::MetricFinish::R2 || abi::isConfusion(f);
}

bool Session::endEpochForEarlyStop(const TrainOptions &opts,
                                   const EvalResult &val, int64_t epoch,
                                   std::ostream &out) {
  const EarlyStopSpec &es = opts.earlyStop;
  double value = val.loss;
  bool higher = false;
  for (size_t i = 0; i < model_.metrics.size(); ++i)
    if (model_.metrics[i].name == es.monitor) {
      value = val.metrics[i];
      higher = higherIsBetter(model_.metrics[i].finish);
    }
  bool better = stopBad_ < 0 || (higher ? value > stopBest_ + es.minDelta
                                        : value < stopBest_ - es.minDelta);
  if (better) {
    stopBest_ = value;
    stopBestEpoch_ = epoch;
    stopBad_ = 0;
    bestParams_.clear();
    bestBuffers_.clear();
    for (const Tensor &p : params_)
      bestParams_.push_back(p.clone());
    for (const Tensor &b : buffers_)
      bestBuffers_.push_back(b.clone());
    if (!opts.bestPath.empty())
      save(opts.bestPath);
    return false;
  }
  if (++stopBad_ < es.patience)
    return false;
  char best[32];
  std::snprintf(best, sizeof best, "%.6g", stopBest_);
  out << "early stopping after epoch " << epoch << ": val_" << es.monitor
      << " has not improved on " << best << " (epoch " << stopBestEpoch_
      << ") for " << stopBad_ << " epochs\n";
  return true;
}

int64_t Session::useBest(const std::string &bestPath) {
  if (!bestParams_.empty()) {
    for (size_t i = 0; i < params_.size(); ++i)
      params_[i] = bestParams_[i].clone();
    for (size_t i = 0; i < buffers_.size(); ++i)
      buffers_[i] = bestBuffers_[i].clone();
    return stopBestEpoch_;
  }
  if (stopBad_ < 0 || bestPath.empty() || ::access(bestPath.c_str(), F_OK))
    return 0;
  load(bestPath, false);
  return stopBestEpoch_;
}

// As torch's ReduceLROnPlateau (mode min, threshold 1e-4 relative): after
// more than `patience` epochs without a loss below best (1 - 1e-4), the
// rate is multiplied by `factor`.
void Session::endEpochForSchedule(double valLoss) {
  const ScheduleSpec *s = scheduleOf(model_);
  if (!s || s->kind != "plateau")
    return;
  if (plateauBad_ < 0 || valLoss < plateauBest_ * (1.0 - 1e-4)) {
    plateauBest_ = valLoss;
    plateauBad_ = 0;
    return;
  }
  if (++plateauBad_ > s->patience) {
    lrScale_ *= s->factor;
    plateauBad_ = 0;
  }
}

CheckpointInfo Session::load(const std::string &path, bool withState) {
  Checkpoint ck(path);
  for (size_t i = 0; i < params_.size(); ++i)
    ck.read(model_.params[i].name, params_[i]);
  // The running statistics are part of the model: eval and predict use them.
  for (size_t i = 0; i < buffers_.size(); ++i)
    ck.read(model_.nonTrainable[i].name, buffers_[i]);
  if (withState) {
    for (size_t i = 0; i < state_.size(); ++i)
      ck.read(model_.state[i].name, state_[i]);
    epoch_ = ck.info().epoch;
    step_ = ck.info().step;
    seed_ = ck.info().seed;
    const auto &extra = ck.info().extra;
    auto number = [&](const char *k, double dflt) {
      auto it = extra.find(k);
      return it == extra.end() ? dflt
                               : std::strtod(it->second.c_str(), nullptr);
    };
    lrScale_ = number("lr_scale", 1.0);
    plateauBest_ = number("plateau_best", 0.0);
    plateauBad_ = static_cast<int64_t>(number("plateau_bad", -1.0));
    stopBest_ = number("stop_best", 0.0);
    stopBad_ = static_cast<int64_t>(number("stop_bad", -1.0));
    stopBestEpoch_ = static_cast<int64_t>(number("stop_best_epoch", 0.0));
  }
  return ck.info();
}

/// A test hook: with LAMINA_TEST_KILL_DURING_SAVE=N in the environment, the
/// N-th checkpoint save of the process cuts its temporary file to half its
/// length and kills the process (SIGKILL) before the rename, as a crash or a
/// `kill -9` in the middle of the write would (test/E2E/hostile_save.test).
static std::function<void(AtomicFile &)> killDuringSaveHook() {
  static int saves = 0;
  const char *env = std::getenv("LAMINA_TEST_KILL_DURING_SAVE");
  if (!env || std::atoi(env) != ++saves)
    return {};
  return [](AtomicFile &f) {
    std::fprintf(stderr,
                 "LAMINA_TEST_KILL_DURING_SAVE: killed while writing "
                 "%s\n",
                 f.tmpPath().c_str());
    std::fflush(stderr);
    f.flush();
    if (::truncate(f.tmpPath().c_str(),
                   static_cast<off_t>(f.bytesWritten() / 2)) != 0)
      std::perror("truncate");
    std::raise(SIGKILL);
  };
}

void Session::save(const std::string &path) const {
  std::vector<NamedTensor> tensors;
  for (size_t i = 0; i < params_.size(); ++i)
    tensors.push_back({model_.params[i].name, &params_[i]});
  for (size_t i = 0; i < state_.size(); ++i)
    tensors.push_back({model_.state[i].name, &state_[i]});
  for (size_t i = 0; i < buffers_.size(); ++i)
    tensors.push_back({model_.nonTrainable[i].name, &buffers_[i]});
  CheckpointInfo info{model_.name, epoch_, step_, seed_, {}};
  if (const ScheduleSpec *s = scheduleOf(model_); s && s->kind == "plateau") {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", lrScale_);
    info.extra["lr_scale"] = buf;
    std::snprintf(buf, sizeof buf, "%.17g", plateauBest_);
    info.extra["plateau_best"] = buf;
    info.extra["plateau_bad"] = std::to_string(plateauBad_);
  }
  if (stopBad_ >= 0) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", stopBest_);
    info.extra["stop_best"] = buf;
    info.extra["stop_bad"] = std::to_string(stopBad_);
    info.extra["stop_best_epoch"] = std::to_string(stopBestEpoch_);
  }
  saveCheckpoint(path, tensors, info, killDuringSaveHook());
}

EvalResult::EvalResult(const ModelDesc &model) {
  for (const MetricSpec &m : model.metrics)
    sums.push_back(m.sums());
}

void EvalResult::add(double batchLoss, const std::vector<Tensor> &outputs,
                     int64_t rows) {
  loss += batchLoss * static_cast<double>(rows);
  samples += rows;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor &t = outputs[i];
    if (sums[i].finish() == abi::MetricFinish::Rows)
      sums[i].addValue(t.get(0), rows);
    else
      sums[i].add(t.data<double>());
  }
}

double EvalResult::meanLoss() const {
  return samples ? loss / static_cast<double>(samples) : 0.0;
}

void EvalResult::finish() {
  loss = meanLoss();
  metrics.clear();
  for (const abi::MetricSums &m : sums)
    metrics.push_back(m.value());
}

Session::Scalars Session::makeScalars() const {
  Scalars s;
  if (model_.hasLoss)
    s.loss = Tensor(model_.lossDType, {});
  for (const MetricSpec &m : model_.metrics)
    s.metrics.emplace_back(m.dtype, m.statsShape());
  return s;
}

void Session::bindScalars(PipelineArgs &args, Scalars &s) const {
  if (model_.hasLoss)
    args.setOutput(abi::kLossArgument, s.loss);
  for (size_t i = 0; i < model_.metrics.size(); ++i)
    args.setOutput(model_.metrics[i].arg, s.metrics[i]);
}

std::string Session::CallSite::describe() const {
  return records
             ? "on records " + std::to_string(a) + ".." + std::to_string(b)
             : "at epoch " + std::to_string(a) + ", step " + std::to_string(b);
}

void Session::run(const Pipeline &p, BoundPipeline &binding,
                  const PipelineArgs &args, const CallSite &site) {
  if (!binding.resolved())
    binding = BoundPipeline(p, args);
  int status = binding.call(args);
  if (status != 0)
    throw Error(std::string(p.name) + " failed " + site.describe() +
                " with Halide error " + std::to_string(status) +
                " (Halide's message is above)");
}

/// Batch-sized tensors for `specs`.
static std::vector<Tensor> batchTensors(const std::vector<TensorSpec> &specs,
                                        int64_t batch) {
  std::vector<Tensor> out;
  for (const TensorSpec &s : specs)
    out.emplace_back(s.dtype, s.withBatch(batch));
  return out;
}

/// Binds `tensors` as inputs under the argument names of `specs`, with
/// `rows` as PipelineArgs::setInput has it; returns their slots.
static std::vector<size_t> bindInputs(PipelineArgs &args,
                                      const std::vector<TensorSpec> &specs,
                                      const std::vector<Tensor> &tensors,
                                      int64_t rows = -1) {
  std::vector<size_t> slots;
  for (size_t i = 0; i < tensors.size(); ++i)
    slots.push_back(args.setInput(specs[i].arg, tensors[i], rows));
  return slots;
}

/// Binds `tensors` as outputs under the argument names `names`; returns
/// their slots.
static std::vector<size_t> bindOutputs(PipelineArgs &args,
                                       const std::vector<std::string> &names,
                                       std::vector<Tensor> &tensors,
                                       int64_t rows = -1) {
  std::vector<size_t> slots;
  for (size_t i = 0; i < tensors.size(); ++i)
    slots.push_back(args.setOutput(names[i], tensors[i], rows));
  return slots;
}

/// Points `slots` at `tensors` again (after a swap, or with other rows).
static void rebind(PipelineArgs &args, const std::vector<size_t> &slots,
                   const std::vector<Tensor> &tensors, int64_t rows = -1) {
  for (size_t i = 0; i < slots.size(); ++i)
    args.setTensorAt(slots[i], tensors[i], rows);
}

/// The argument names `rule` gives the arguments of `specs`.
static std::vector<std::string>
argNames(const std::vector<TensorSpec> &specs,
         std::string (*rule)(const std::string &arg)) {
  std::vector<std::string> names;
  for (const TensorSpec &s : specs)
    names.push_back(rule(s.arg));
  return names;
}

void Session::bindTrainStep(PipelineArgs &args, const std::vector<Tensor> &in,
                            const std::vector<Tensor> &lbl, Scalars &s,
                            double lr, double key) {
  args.setFloat64(abi::kLearningRateArgument, lr);
  bindInputs(args, model_.inputs, in);
  bindInputs(args, model_.labels, lbl);
  bindInputs(args, model_.params, params_);
  bindInputs(args, model_.state, state_);
  bindInputs(args, model_.nonTrainable, buffers_);
  bindOutputs(args, argNames(model_.params, abi::nextArgumentName),
              nextParams_);
  bindOutputs(args, argNames(model_.state, abi::nextArgumentName), nextState_);
  bindOutputs(args, argNames(model_.nonTrainable, abi::nextArgumentName),
              nextBuffers_);
  bindScalars(args, s);
  if (model_.stepKey)
    args.setFloat64(abi::kStepKeyArgument, key);
}

/// Copies records order[begin, begin + rows) of each `src` into the first
/// rows of the matching `dst`.
static void gather(const std::vector<Tensor> &src, std::vector<Tensor> &dst,
                   const std::vector<int64_t> &order, int64_t begin,
                   int64_t rows) {
  for (size_t t = 0; t < src.size(); ++t) {
    size_t bytes = src[t].rowBytes();
    for (int64_t r = 0; r < rows; ++r)
      std::memcpy(dst[t].row(r), src[t].row(order[begin + r]), bytes);
  }
}

/// True if every element of `t` is finite (integer tensors always are).
static bool allFinite(const Tensor &t) {
  auto scan = [&](const auto *p) {
    for (int64_t i = 0, n = t.numel(); i < n; ++i)
      if (!std::isfinite(p[i]))
        return false;
    return true;
  };
  switch (t.dtype()) {
  case DType::F32:
    return scan(t.data<float>());
  case DType::F64:
    return scan(t.data<double>());
  case DType::I32:
    return true;
  }
  return true;
}

/// The name of the first of `tensors` (named by `specs`) that holds a NaN or
/// an infinity, or "" if all are finite.
static std::string firstNonFinite(const std::vector<TensorSpec> &specs,
                                  const std::vector<Tensor> &tensors) {
  for (size_t i = 0; i < tensors.size(); ++i)
    if (!allFinite(tensors[i]))
      return specs[i].name;
  return "";
}

static std::vector<int64_t> identityOrder(int64_t n) {
  std::vector<int64_t> order(n);
  for (int64_t i = 0; i < n; ++i)
    order[i] = i;
  return order;
}

std::string formatResult(const ModelDesc &model, const EvalResult &r,
                         const std::string &prefix) {
  std::string s;
  char num[64];
  auto add = [&](const std::string &name, double v) {
    std::snprintf(num, sizeof(num), "%.4f", v);
    if (!s.empty())
      s += "  ";
    s += prefix + name + " " + num;
  };
  if (model.hasLoss)
    add("loss", r.loss);
  for (size_t i = 0; i < model.metrics.size() && i < r.metrics.size(); ++i)
    add(model.metrics[i].name, r.metrics[i]);
  return s;
}

EvalResult Session::evaluate(const Dataset &data, int64_t batch) {
  std::vector<int64_t> order = identityOrder(data.size);
  return evaluateStream(data.size, batch,
                        [&](int64_t first, int64_t rows,
                            std::vector<Tensor> &in,
                            std::vector<Tensor> &labels) {
                          gather(data.inputs, in, order, first, rows);
                          gather(data.labels, labels, order, first, rows);
                        });
}

EvalResult Session::evaluateStream(int64_t records, int64_t batch,
                                   const EvalFill &fill) {
  assert(batch > 0 && "batch must be positive");
  const Pipeline &p = pipelines_.eval;
  EvalResult r(model_);
  int64_t rows = std::min(batch, records);
  std::vector<Tensor> in = batchTensors(model_.inputs, rows);
  std::vector<Tensor> lbl = batchTensors(model_.labels, rows);
  Scalars s = makeScalars();
  PipelineArgs args;
  size_t batchSlot = args.setInt32(abi::kBatchArgument, 0);
  std::vector<size_t> inSlots = bindInputs(args, model_.inputs, in);
  std::vector<size_t> lblSlots = bindInputs(args, model_.labels, lbl);
  bindInputs(args, model_.params, params_);
  bindInputs(args, model_.nonTrainable, buffers_);
  bindScalars(args, s);
  for (int64_t b = 0; b < records; b += rows) {
    int64_t n = std::min(rows, records - b);
    fill(b, n, in, lbl);
    args.setInt32At(batchSlot, static_cast<int32_t>(n));
    rebind(args, inSlots, in, n);
    rebind(args, lblSlots, lbl, n);
    run(p, evalBinding_, args, {true, b, b + n - 1});
    r.add(model_.hasLoss ? s.loss.get(0) : 0.0, s.metrics, n);
  }
  r.finish();
  return r;
}

std::vector<Tensor> Session::predict(const Dataset &data, int64_t batch) {
  std::vector<Tensor> outputs = batchTensors(model_.outputs, data.size);
  std::vector<int64_t> order = identityOrder(data.size);
  predictStream(
      data.size, batch,
      [&](int64_t first, int64_t rows, std::vector<Tensor> &in) {
        gather(data.inputs, in, order, first, rows);
      },
      [&](int64_t first, int64_t rows, const std::vector<Tensor> &out) {
        for (size_t i = 0; i < out.size(); ++i) {
          // An output without a batch is the same for every batch.
          if (!model_.outputs[i].batched()) {
            if (first == 0)
              std::memcpy(outputs[i].raw(), out[i].raw(), out[i].byteSize());
          } else if (size_t bytes =
                         out[i].rowBytes() * static_cast<size_t>(rows)) {
            std::memcpy(outputs[i].row(first), out[i].row(0), bytes);
          }
        }
      });
  return outputs;
}

void Session::predictStream(
    int64_t records, int64_t batch,
    const std::function<void(int64_t, int64_t, std::vector<Tensor> &)> &fill,
    const std::function<void(int64_t, int64_t, const std::vector<Tensor> &)>
        &sink) {
  assert(batch > 0 && "batch must be positive");
  const Pipeline &p = pipelines_.predict;
  int64_t rows = std::min(batch, records);
  std::vector<Tensor> in = batchTensors(model_.inputs, rows);
  std::vector<Tensor> out = batchTensors(model_.outputs, rows);
  PipelineArgs args;
  size_t batchSlot = args.setInt32(abi::kBatchArgument, 0);
  std::vector<size_t> inSlots = bindInputs(args, model_.inputs, in);
  bindInputs(args, model_.params, params_);
  bindInputs(args, model_.nonTrainable, buffers_);
  std::vector<std::string> outNames;
  for (const TensorSpec &o : model_.outputs)
    outNames.push_back(o.arg);
  std::vector<size_t> outSlots = bindOutputs(args, outNames, out);
  for (int64_t b = 0; b < records; b += rows) {
    int64_t n = std::min(rows, records - b);
    fill(b, n, in);
    args.setInt32At(batchSlot, static_cast<int32_t>(n));
    rebind(args, inSlots, in, n);
    for (size_t i = 0; i < outSlots.size(); ++i)
      args.setTensorAt(outSlots[i], out[i],
                       model_.outputs[i].batched() ? n : -1);
    run(p, predictBinding_, args, {true, b, b + n - 1});
    sink(b, n, out);
  }
}

std::vector<double> Session::timeCalls(Timed which, int64_t batch, double lr,
                                       double seconds) {
  assert(batch > 0 && "batch must be positive");
  std::vector<Tensor> in = batchTensors(model_.inputs, batch);
  std::vector<Tensor> lbl = batchTensors(model_.labels, batch);
  Rng rng(deriveSeed(seed_, 0x62656e6368)); // "bench"
  for (std::vector<Tensor> *list : {&in, &lbl})
    for (Tensor &t : *list)
      for (int64_t i = 0, n = t.numel(); i < n; ++i)
        t.set(i, t.dtype() == DType::I32 ? 0.0 : rng.uniform());
  Scalars s = makeScalars();
  PipelineArgs args;
  args.setInt32(abi::kBatchArgument, static_cast<int32_t>(batch));
  std::vector<Tensor> out;
  const Pipeline *p = &pipelines_.predict;
  BoundPipeline *binding = &predictBinding_;
  if (which == Timed::Train) {
    p = &pipelines_.train;
    binding = &trainBinding_;
    bindTrainStep(args, in, lbl, s, lr, 1.0);
  } else if (which == Timed::Predict) {
    bindInputs(args, model_.inputs, in);
    bindInputs(args, model_.nonTrainable, buffers_);
    out = batchTensors(model_.outputs, batch);
    bindInputs(args, model_.params, params_);
    std::vector<std::string> names;
    for (const TensorSpec &o : model_.outputs)
      names.push_back(o.arg);
    bindOutputs(args, names, out);
  } else {
    bindInputs(args, model_.inputs, in);
    bindInputs(args, model_.nonTrainable, buffers_);
    bindInputs(args, model_.labels, lbl);
    bindInputs(args, model_.params, params_);
    bindScalars(args, s);
    p = &pipelines_.eval;
    binding = &evalBinding_;
  }
  std::vector<double> times;
  run(*p, *binding, args, {true, 0, batch - 1});
  double end = abi::clockSeconds() + seconds;
  for (;;) {
    double t0 = abi::clockSeconds();
    run(*p, *binding, args, {true, 0, batch - 1});
    double t1 = abi::clockSeconds();
    times.push_back(t1 - t0);
    if (t1 >= end && times.size() >= 3)
      break;
  }
  return times;
}

namespace {
/// Redraws one status line on a terminal, at most ten times a second.
class ProgressBar {
public:
  ProgressBar(std::ostream &out, bool enabled) : out_(out), enabled_(enabled) {}

  void update(int64_t epoch, int64_t epochs, int64_t done, int64_t total,
              double loss) {
    if (!enabled_)
      return;
    auto now = std::chrono::steady_clock::now();
    if (done < total && now - last_ < std::chrono::milliseconds(100))
      return;
    last_ = now;
    constexpr int kWidth = 30;
    int filled = static_cast<int>(kWidth * done / std::max<int64_t>(total, 1));
    std::string bar(filled, '=');
    if (filled < kWidth)
      bar += '>' + std::string(kWidth - filled - 1, ' ');
    char line[160];
    std::snprintf(line, sizeof(line),
                  "\repoch %lld/%lld [%s] %lld/%lld  loss %.4f",
                  static_cast<long long>(epoch), static_cast<long long>(epochs),
                  bar.c_str(), static_cast<long long>(done),
                  static_cast<long long>(total), loss);
    out_ << line << std::flush;
    drawn_ = true;
  }

  /// Erases the bar so the epoch summary starts on a clean line.
  void clear() {
    if (!drawn_)
      return;
    out_ << "\r\033[K" << std::flush;
    drawn_ = false;
  }

private:
  std::ostream &out_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_{};
};
} // namespace

/// What a diverged run leaves in the checkpoint at `path`.
static std::string keptCheckpoint(const std::string &path, int64_t savedEpoch) {
  if (path.empty())
    return "No checkpoint was written (use --checkpoint FILE).";
  if (savedEpoch > 0)
    return "The checkpoint " + path + " keeps the parameters after epoch " +
           std::to_string(savedEpoch) + ".";
  return "The checkpoint " + path + " was not updated.";
}

/// The random key of the step at (epoch, step in epoch): the same on a
/// resumed run (which restarts at an epoch), new for every step and
/// micro-batch, below 2^32 so a double holds it exactly.
static double stepKey(uint64_t seed, int64_t epoch, int64_t step) {
  uint64_t k = deriveSeed(deriveSeed(seed, static_cast<uint64_t>(epoch)),
                          static_cast<uint64_t>(step));
  return static_cast<double>(k & 0xffffffffu);
}

double Session::trainBatch(const std::vector<Tensor> &in,
                           const std::vector<Tensor> &lbl, int64_t rows,
                           double lr) {
  if (!model_.hasLoss || !pipelines_.train.available())
    throw Error("model '" + model_.name +
                "' has no loss, so it cannot be trained");
  Scalars s = makeScalars();
  PipelineArgs args;
  args.setInt32(abi::kBatchArgument, static_cast<int32_t>(rows));
  bindTrainStep(args, in, lbl, s, lr, stepKey(seed_, epoch_ + 1, step_ + 1));
  run(pipelines_.train, batchBinding_, args, {false, epoch_ + 1, step_ + 1});
  std::swap(params_, nextParams_);
  std::swap(state_, nextState_);
  std::swap(buffers_, nextBuffers_);
  ++step_;
  return s.loss.get(0);
}

void Session::train(const Dataset &data, const Dataset &validation,
                    const TrainOptions &opts, std::ostream &out) {
  assert(opts.batch > 0 && "batch must be positive");
  if (!model_.hasLoss)
    throw Error("model '" + model_.name +
                "' has no loss, so it cannot be trained");
  if (data.size == 0)
    throw Error("no training records (after holding out the validation set)");
  // With --accumulate N, each step runs the gradient phase on N
  // micro-batches and the update phase once.
  bool accumulating = opts.accumulate > 1;
  if (accumulating && (!pipelines_.trainGrad.available() ||
                       !pipelines_.trainUpdate.available()))
    throw Error("this executable has no lamina_train_grad and "
                "lamina_train_update pipelines, which --accumulate needs; "
                "rebuild it with laminac");
  const Pipeline &p = accumulating ? pipelines_.trainGrad : pipelines_.train;
  if (!opts.earlyStop.monitor.empty() && validation.size == 0)
    throw Error("early stopping watches val_" + opts.earlyStop.monitor +
                ", and there is no validation data: pass --val-split F (or "
                "set validation = F in the train block) to hold out a "
                "fraction F of the training data");
  if (const ScheduleSpec *sc = scheduleOf(model_);
      sc && sc->kind == "plateau" && validation.size == 0)
    throw Error("the plateau schedule lowers the learning rate when the "
                "validation loss stops improving, and there is no validation "
                "data: pass --val-split F (or set validation = F in the train "
                "block) to hold out a fraction F of the training data");
  std::vector<Tensor> grads;
  std::vector<std::vector<double>> sums;
  for (size_t i = 0; i < model_.params.size() && accumulating; ++i) {
    grads.emplace_back(model_.params[i].dtype, model_.params[i].shape);
    sums.emplace_back(static_cast<size_t>(grads.back().numel()), 0.0);
  }
  int64_t microBatches = 0, rowsSummed = 0;
  int64_t rows = std::min(opts.batch, data.size);
  std::vector<Tensor> in = batchTensors(model_.inputs, rows);
  std::vector<Tensor> lbl = batchTensors(model_.labels, rows);
  Scalars s = makeScalars();
  BoundPipeline &binding = accumulating ? gradBinding_ : trainBinding_;
  std::vector<std::string> nextParamNames =
      argNames(model_.params, abi::nextArgumentName);
  std::vector<std::string> nextStateNames =
      argNames(model_.state, abi::nextArgumentName);
  std::vector<std::string> gradNames =
      argNames(model_.params, abi::gradientArgumentName);
  // The step's arguments, bound by name once; each step re-points the
  // tensors by slot (the batch's rows, the swapped parameters and state).
  PipelineArgs args;
  size_t batchSlot = args.setInt32(abi::kBatchArgument, 0);
  size_t lrSlot =
      accumulating ? 0 : args.setFloat64(abi::kLearningRateArgument, opts.lr);
  std::vector<size_t> inSlots = bindInputs(args, model_.inputs, in);
  std::vector<size_t> lblSlots = bindInputs(args, model_.labels, lbl);
  std::vector<size_t> paramSlots = bindInputs(args, model_.params, params_);
  // The running statistics: read and written by every micro-batch's step.
  std::vector<size_t> bufferSlots =
      bindInputs(args, model_.nonTrainable, buffers_);
  std::vector<size_t> nextBufferSlots = bindOutputs(
      args, argNames(model_.nonTrainable, abi::nextArgumentName), nextBuffers_);
  size_t keySlot =
      model_.stepKey ? args.setFloat64(abi::kStepKeyArgument, 0.0) : 0;
  std::vector<size_t> nextParamSlots, stateSlots, nextStateSlots;
  if (accumulating) {
    bindOutputs(args, gradNames, grads);
  } else {
    nextParamSlots = bindOutputs(args, nextParamNames, nextParams_);
    stateSlots = bindInputs(args, model_.state, state_);
    nextStateSlots = bindOutputs(args, nextStateNames, nextState_);
  }
  bindScalars(args, s);
  // The update phase's arguments; it has no batch dimension.
  PipelineArgs up;
  size_t upLrSlot = 0;
  std::vector<size_t> upParamSlots, upNextParamSlots, upStateSlots,
      upNextStateSlots;
  if (accumulating) {
    up.setInt32(abi::kBatchArgument, 1);
    upLrSlot = up.setFloat64(abi::kLearningRateArgument, opts.lr);
    upParamSlots = bindInputs(up, model_.params, params_);
    for (size_t i = 0; i < grads.size(); ++i)
      up.setInput(gradNames[i], grads[i]);
    upNextParamSlots = bindOutputs(up, nextParamNames, nextParams_);
    upStateSlots = bindInputs(up, model_.state, state_);
    upNextStateSlots = bindOutputs(up, nextStateNames, nextState_);
  }
  ProgressBar bar(out, opts.progressBar);
  int64_t stepsPerEpoch = (data.size + rows - 1) / rows;
  // The schedule counts updates: with --accumulate N, one per N batches.
  int64_t updatesPerEpoch = (stepsPerEpoch + opts.accumulate - 1) /
                            std::max<int64_t>(opts.accumulate, 1);
  double lastLr = opts.lr;
  int64_t savedEpoch = 0;

  for (int64_t epoch = epoch_ + 1; epoch <= opts.epochs; ++epoch) {
    auto start = std::chrono::steady_clock::now();
    Rng rng(deriveSeed(seed_, static_cast<uint64_t>(epoch)));
    std::vector<int64_t> order = shuffledOrder(data.size, rng);
    EvalResult sum(model_);
    for (int64_t b = 0, stepInEpoch = 1; b < data.size;
         b += rows, ++stepInEpoch) {
      int64_t n = std::min(rows, data.size - b);
      gather(data.inputs, in, order, b, n);
      gather(data.labels, lbl, order, b, n);
      args.setInt32At(batchSlot, static_cast<int32_t>(n));
      rebind(args, inSlots, in, n);
      rebind(args, lblSlots, lbl, n);
      rebind(args, paramSlots, params_);
      rebind(args, nextParamSlots, nextParams_);
      rebind(args, stateSlots, state_);
      rebind(args, nextStateSlots, nextState_);
      rebind(args, bufferSlots, buffers_);
      rebind(args, nextBufferSlots, nextBuffers_);
      if (model_.stepKey)
        args.setFloat64At(keySlot, stepKey(seed_, epoch, stepInEpoch));
      double lr = scheduledLr(opts.lr, epoch, step_, updatesPerEpoch);
      lastLr = lr;
      if (!accumulating)
        args.setFloat64At(lrSlot, lr);
      CallSite where{false, epoch, stepInEpoch};
      run(p, binding, args, where);
      std::swap(buffers_, nextBuffers_);

      double loss = s.loss.get(0);
      if (!std::isfinite(loss)) {
        bar.clear();
        // The step ran forward, backward, then the update, so the first
        // tensor to go bad is a parameter or state tensor going into it (the
        // previous step's update overflowed), else the loss itself.
        std::string bad = firstNonFinite(model_.params, params_);
        if (bad.empty())
          bad = firstNonFinite(model_.state, state_);
        if (bad.empty())
          bad = firstNonFinite(model_.nonTrainable, nextBuffers_);
        std::string first =
            bad.empty() ? "the loss (every parameter going into the step was "
                          "finite)"
                        : "'" + bad + "', as updated by the previous step";
        throw Error(
            std::string("loss is ") + (std::isnan(loss) ? "NaN" : "infinite") +
            " " + where.describe() + " (global step " +
            std::to_string(step_ + 1) +
            "); training diverged. The first non-finite tensor is " + first +
            ". " + keptCheckpoint(opts.checkpointPath, savedEpoch) +
            " Try a smaller --lr.");
      }
      double w = static_cast<double>(n);
      bool updated = !accumulating;
      if (accumulating) {
        // Gradients are means over the micro-batch's rows: weighted by
        // them, the sum over N micro-batches is the gradient of the batch
        // they make together.
        for (size_t i = 0; i < grads.size(); ++i)
          for (int64_t j = 0; j < grads[i].numel(); ++j)
            sums[i][static_cast<size_t>(j)] += w * grads[i].get(j);
        rowsSummed += n;
        updated = ++microBatches == opts.accumulate || b + rows >= data.size;
      }
      if (accumulating && updated) {
        for (size_t i = 0; i < grads.size(); ++i)
          for (int64_t j = 0; j < grads[i].numel(); ++j) {
            double &v = sums[i][static_cast<size_t>(j)];
            grads[i].set(j, v / static_cast<double>(rowsSummed));
            v = 0.0;
          }
        rebind(up, upParamSlots, params_);
        rebind(up, upNextParamSlots, nextParams_);
        rebind(up, upStateSlots, state_);
        rebind(up, upNextStateSlots, nextState_);
        up.setFloat64At(upLrSlot, lr);
        run(pipelines_.trainUpdate, updateBinding_, up, where);
        microBatches = 0;
        rowsSummed = 0;
      }
      if (updated) {
        // The pipeline wrote the updated values into the second buffers.
        std::swap(params_, nextParams_);
        std::swap(state_, nextState_);
        ++step_;
      }
      sum.add(loss, s.metrics, n);
      bar.update(epoch, opts.epochs, stepInEpoch, stepsPerEpoch,
                 sum.meanLoss());
    }
    auto trained = std::chrono::steady_clock::now();
    sum.finish();
    epoch_ = epoch;

    bool stop = false;
    std::ostringstream stopNote;
    std::string line = "epoch " + std::to_string(epoch) + "/" +
                       std::to_string(opts.epochs) + "  " +
                       formatResult(model_, sum, "");
    EvalResult val;
    if (validation.size > 0) {
      val = evaluate(validation, opts.batch);
      line += "  " + formatResult(model_, val, "val_");
      endEpochForSchedule(val.loss);
      if (!opts.earlyStop.monitor.empty())
        stop = endEpochForEarlyStop(opts, val, epoch, stopNote);
    }
    if (scheduleOf(model_)) {
      char lrText[48];
      std::snprintf(lrText, sizeof lrText, "  lr %.6g", lastLr);
      line += lrText;
    }
    auto end = std::chrono::steady_clock::now();
    double trainSeconds =
        std::chrono::duration<double>(trained - start).count();
    double seconds = std::chrono::duration<double>(end - start).count();
    double samplesPerSecond =
        static_cast<double>(sum.samples) / std::max(trainSeconds, 1e-9);
    char tail[96];
    std::snprintf(tail, sizeof(tail), "  %.0f samples/s  %.1f s",
                  samplesPerSecond, seconds);
    bar.clear();
    out << line << tail << std::endl;
    // An update can overflow while the loss it came from was finite (and a
    // NaN can hide behind max or select); such parameters are never saved.
    std::string bad = firstNonFinite(model_.params, params_);
    if (bad.empty())
      bad = firstNonFinite(model_.state, state_);
    if (bad.empty())
      bad = firstNonFinite(model_.nonTrainable, buffers_);
    if (!bad.empty())
      throw Error("'" + bad + "' holds a NaN or an infinity after epoch " +
                  std::to_string(epoch) + " (global step " +
                  std::to_string(step_) +
                  "), though the loss was finite; training diverged. " +
                  keptCheckpoint(opts.checkpointPath, savedEpoch) +
                  " Try a smaller --lr.");
    if (!opts.checkpointPath.empty()) {
      save(opts.checkpointPath);
      savedEpoch = epoch;
    }
    if (opts.onEpoch)
      opts.onEpoch({epoch, sum, val, lastLr, seconds, samplesPerSecond});
    if (stop) {
      out << stopNote.str();
      break;
    }
  }
}

} // namespace lamina
