//===- Train.h - Parameters, the training loop, evaluation, prediction ----===//

#ifndef LAMINA_RUNTIME_TRAIN_H
#define LAMINA_RUNTIME_TRAIN_H

#include "lamina/Checkpoint.h"
#include "lamina/Data.h"
#include "lamina/Model.h"
#include "lamina/Tensor.h"

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace lamina {

struct EpochSummary;

/// Settings of one `train` run.
struct TrainOptions {
  /// Train until this many epochs are complete (counting resumed ones).
  int64_t epochs = 1;
  /// Rows per training step; the last batch of an epoch may be shorter.
  int64_t batch = 32;
  /// Learning rate, passed to lamina_train as `lr`.
  double lr = 0.01;
  /// If not empty, the checkpoint written after every epoch.
  std::string checkpointPath;
  /// Redraw a progress bar within each epoch (for terminals).
  bool progressBar = false;
  /// Micro-batches of `batch` rows whose gradients make one update (1: an
  /// update per batch, through lamina_train).
  int64_t accumulate = 1;
  /// Early stopping (monitor "" for none), and the file that keeps the
  /// best epoch's parameters ("" for memory only).
  EarlyStopSpec earlyStop;
  std::string bestPath;
  /// If set, called after every epoch once its line is printed and its
  /// checkpoint saved (--history, --plot).
  std::function<void(const EpochSummary &)> onEpoch;
};

/// Loss and metrics over a data set. The loss is each batch's mean weighted
/// by its rows; each metric is finished once from its sums over every batch
/// (lamina/abi/Metrics.h), so neither depends on the batch size.
struct EvalResult {
  /// Mean loss (0 when the model has no loss).
  double loss = 0.0;
  /// Each metric over the data set, in descriptor order.
  std::vector<double> metrics;
  /// Each metric's merged sums (the confusion matrix of a classifier's).
  std::vector<abi::MetricSums> sums;
  /// Records evaluated.
  int64_t samples = 0;

  /// No metrics (a run without validation data).
  EvalResult() = default;
  /// Starts the sums of `model`'s metrics.
  explicit EvalResult(const ModelDesc &model);
  /// Adds one batch of `rows` rows: its loss and its metric outputs.
  void add(double batchLoss, const std::vector<Tensor> &metricOutputs,
           int64_t rows);
  /// The mean loss so far.
  double meanLoss() const;
  /// Sets `loss` to the mean and `metrics` to the finished values.
  void finish();
};

/// One parameter's gradient check (Session::gradCheck).
struct GradCheckResult {
  std::string name;
  /// Elements checked, of `elements`.
  int64_t checked = 0, elements = 0;
  /// The checked element with the largest relative error, the error, and
  /// the compiled (analytic) and central-difference (numeric) gradients
  /// there.
  int64_t worst = 0;
  double error = 0.0, analytic = 0.0, numeric = 0.0;
};

/// What one epoch of Session::train measured, for TrainOptions::onEpoch.
struct EpochSummary {
  int64_t epoch = 0;
  /// The training loss and metrics over the epoch.
  EvalResult train;
  /// The validation ones (samples == 0 without validation data).
  EvalResult validation;
  /// The learning rate of the epoch's last update.
  double lr = 0.0;
  /// The whole epoch, validation included.
  double seconds = 0.0;
  /// Training records per second of training.
  double samplesPerSecond = 0.0;
};

/// A model's parameters and optimizer state and the pipelines that use them.
class Session {
public:
  /// Allocates parameters and state (zero) for `model`. Throws Error if a
  /// pipeline's metadata disagrees with the descriptor (checkPipelines).
  Session(ModelDesc model, Pipelines pipelines);

  /// The descriptor.
  const ModelDesc &model() const { return model_; }
  /// Parameters, in descriptor order.
  const std::vector<Tensor> &params() const { return params_; }
  /// Optimizer state, in descriptor order.
  const std::vector<Tensor> &state() const { return state_; }
  /// Non-trainable state (running statistics), in descriptor order.
  const std::vector<Tensor> &buffers() const { return buffers_; }
  /// Completed epochs (0 after initialize, the checkpoint's after load).
  int64_t epoch() const { return epoch_; }
  /// Completed training steps.
  int64_t step() const { return step_; }
  /// The seed that drives init and shuffling.
  uint64_t seed() const { return seed_; }
  /// Replaces the seed used for future shuffles.
  void setSeed(uint64_t seed) { seed_ = seed; }

  /// After early stopping: makes the best epoch's parameters current (kept
  /// from this run, else read from `bestPath`); returns that epoch, or 0
  /// when there is none.
  int64_t useBest(const std::string &bestPath);

  /// Initializes every parameter from its init spec with `seed`, zeroes the
  /// optimizer state and resets the epoch and step counts.
  void initialize(uint64_t seed);

  /// Restores parameters (and, if `withState`, optimizer state, epoch, step
  /// and seed) from the checkpoint at `path`. Throws Error naming the file and
  /// tensor if anything is missing or mismatched. Returns its metadata.
  CheckpointInfo load(const std::string &path, bool withState);

  /// Saves parameters, state, epoch, step and seed to `path` atomically.
  void save(const std::string &path) const;

  /// Trains on `data` from epoch epoch()+1 to opts.epochs, evaluating on
  /// `validation` (if it has records) after each epoch and printing one line
  /// per epoch to `out`. Each epoch visits the records in an order fixed by
  /// (seed, epoch), so a resumed run continues exactly. Throws Error if the
  /// loss becomes NaN or infinite (parameters of the last completed epoch
  /// stay in the checkpoint) or a pipeline fails.
  void train(const Dataset &data, const Dataset &validation,
             const TrainOptions &opts, std::ostream &out);

  /// Mean loss and metrics of `data` through lamina_eval, in batches of
  /// `batch` rows (the last one may be short).
  EvalResult evaluate(const Dataset &data, int64_t batch);
  /// `fill(first, rows, inputs, labels)` puts records [first, first + rows)
  /// into the first rows of each input and label tensor.
  using EvalFill = std::function<void(int64_t, int64_t, std::vector<Tensor> &,
                                      std::vector<Tensor> &)>;
  /// evaluate() over `records` records that `fill` reads as they are needed.
  EvalResult evaluateStream(int64_t records, int64_t batch,
                            const EvalFill &fill);

  /// The model outputs for `data`'s inputs through lamina_predict: one tensor
  /// per descriptor output, of shape [data.size, ...].
  std::vector<Tensor> predict(const Dataset &data, int64_t batch);
  /// The model outputs for `records` records through lamina_predict, in
  /// batches of `batch` rows: `fill(first, rows, inputs)` puts records
  /// [first, first + rows) into the first rows of each input tensor, and
  /// `sink(first, rows, outputs)` takes the outputs of those rows.
  void predictStream(
      int64_t records, int64_t batch,
      const std::function<void(int64_t, int64_t, std::vector<Tensor> &)> &fill,
      const std::function<void(int64_t, int64_t, const std::vector<Tensor> &)>
          &sink);

  /// Checks lamina_gradcheck's gradients (the f64 gradient phase, with
  /// the current parameters in f64) on the first `records` records of
  /// `data` against central differences of its loss. Checks every element
  /// of a parameter of at most `perParam` elements, else the perParam / 2
  /// of the largest gradients and as many others drawn with the seed. The
  /// step is h = 1e-6 max(1, |p|) and the relative error |a - n| /
  /// max(|a|, |n|, 1e-4). `loss` receives the loss at the parameters.
  /// Throws Error when the executable has no lamina_gradcheck.
  std::vector<GradCheckResult> gradCheck(const Dataset &data, int64_t records,
                                         int64_t perParam, double &loss);

  /// One update of lamina_train on `rows` rows: `in` and `lbl` hold
  /// exactly those rows, in descriptor order. Advances step(); returns the
  /// batch's loss (not checked for finiteness: the caller sees it). Throws
  /// Error if the model has no loss or the pipeline fails. For programs
  /// that run their own loop (the embedding API, lamina/Embed.h).
  double trainBatch(const std::vector<Tensor> &in,
                    const std::vector<Tensor> &lbl, int64_t rows, double lr);

  /// The pipelines `timeCalls` runs.
  enum class Timed { Train, Eval, Predict };
  /// Calls pipeline `which` on `batch` rows of synthetic data (inputs
  /// uniform in [0, 1), integer labels 0, float labels uniform), once to
  /// warm up and then until `seconds` have passed (at least 3 calls). The
  /// train step writes its new parameters aside, so every call starts from
  /// the same ones. Returns each timed call's seconds.
  std::vector<double> timeCalls(Timed which, int64_t batch, double lr,
                                double seconds);

private:
  /// The loss and metric outputs of one pipeline call.
  struct Scalars {
    Tensor loss;
    std::vector<Tensor> metrics;
  };
  Scalars makeScalars() const;
  void bindScalars(PipelineArgs &args, Scalars &s) const;
  /// Binds every argument of lamina_train but the batch: `in`, `lbl`, the
  /// parameters, state and buffers and their next values, the loss and
  /// metrics of `s`, `lr` and (with dropout) the step key `key`.
  void bindTrainStep(PipelineArgs &args, const std::vector<Tensor> &in,
                     const std::vector<Tensor> &lbl, Scalars &s, double lr,
                     double key);
  /// Where a pipeline call is, for its error message: "at epoch A, step
  /// B" or "on records A..B". Formatted only when the call fails, so that
  /// a steady-state step allocates nothing.
  struct CallSite {
    bool records;
    int64_t a, b;
    std::string describe() const;
  };
  /// Calls `p` through `binding`, resolving it from `args` at the first
  /// The learning rate of the update after `step` earlier ones, in epoch
  /// `epoch`, of the model's schedule from `base`.
  double scheduledLr(double base, int64_t epoch, int64_t step,
                     int64_t stepsPerEpoch) const;
  /// The plateau schedule's bookkeeping after an epoch's validation loss.
  void endEpochForSchedule(double valLoss);
  /// Early stopping's bookkeeping after an epoch's validation results:
  /// keeps the parameters of a better epoch; true when training stops.
  bool endEpochForEarlyStop(const TrainOptions &opts, const EvalResult &val,
                            int64_t epoch, std::ostream &out);
  /// call; throws Error naming `site` if the pipeline fails.
  void run(const Pipeline &p, BoundPipeline &binding, const PipelineArgs &args,
           const CallSite &site);

  ModelDesc model_;
  Pipelines pipelines_;
  /// Each pipeline's binding, resolved once per session: every call of one
  /// pipeline binds the same names in the same order.
  BoundPipeline trainBinding_, gradBinding_, updateBinding_, evalBinding_,
      predictBinding_, gradCheckBinding_, batchBinding_;
  std::vector<Tensor> params_, nextParams_;
  std::vector<Tensor> state_, nextState_;
  /// Non-trainable state (running statistics), in descriptor order.
  std::vector<Tensor> buffers_, nextBuffers_;
  /// The plateau schedule's state: the factor applied to the base rate so
  /// far, the best validation loss and the epochs since it (checkpointed).
  double lrScale_ = 1.0;
  double plateauBest_ = 0.0;
  int64_t plateauBad_ = -1;
  /// Early stopping's state: the best value, its epoch and the epochs
  /// since (-1: none yet; checkpointed), and the best epoch's parameters
  /// and buffers when this run saw it.
  double stopBest_ = 0.0;
  int64_t stopBestEpoch_ = 0, stopBad_ = -1;
  std::vector<Tensor> bestParams_, bestBuffers_;
  int64_t epoch_ = 0;
  int64_t step_ = 0;
  uint64_t seed_ = 0;
};

/// "epoch 1/5  loss 0.5123  accuracy 0.8123  val_loss 0.4567  ..." pieces:
/// formats `r` as "loss X  NAME Y ...", each name prefixed with `prefix`.
std::string formatResult(const ModelDesc &model, const EvalResult &r,
                         const std::string &prefix);

} // namespace lamina

#endif // LAMINA_RUNTIME_TRAIN_H
