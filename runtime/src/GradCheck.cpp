//===- GradCheck.cpp - The compiled gradients against finite differences --===//
//
// `gradcheck` runs lamina_gradcheck, an f64 copy of the train step's
// gradient phase (laminac --gradcheck), on the user's own records: once for
// the compiled gradients, then twice per checked element for the loss at
// p + h and p - h, h = 1e-6 max(1, |p|). In f64 a correct gradient and
// the central difference agree to a few 1e-6 relative (LeNet-5 on
// Fashion-MNIST, 6 seeds: at most 3.3e-6; h = 1e-5 put relu kinks inside
// the step for bias entries, which shift every pixel of a channel; 1e-7
// left 2.5e-5 of rounding). A kink within h of a record's value can still
// make a correct gradient disagree; other records or another --seed tell
// the two apart.
//
//===----------------------------------------------------------------------===//
#include "lamina/Train.h"

#include "lamina/Error.h"
#include "lamina/Init.h"
#include "lamina/abi/Names.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

namespace lamina {

namespace {

/// The f64 form of a float tensor spec (integer ones keep their type).
TensorSpec inF64(TensorSpec s) {
  if (s.dtype == DType::F32)
    s.dtype = DType::F64;
  return s;
}

/// `src`'s first `rows` rows (all of it for rows < 0) converted to `spec`'s
/// element type.
Tensor converted(const Tensor &src, const TensorSpec &spec, int64_t rows) {
  Tensor out(spec.dtype, rows < 0 ? spec.shape : spec.withBatch(rows));
  for (int64_t i = 0, n = out.numel(); i < n; ++i)
    out.set(i, src.get(i));
  return out;
}

/// The elements of a gradient to check: all of a small one, else the
/// `count` / 2 largest in magnitude and as many others drawn by `rng`.
std::vector<int64_t> elementsToCheck(const Tensor &grad, int64_t count,
                                     Rng &rng) {
  int64_t n = grad.numel();
  std::vector<int64_t> all(static_cast<size_t>(n));
  std::iota(all.begin(), all.end(), 0);
  if (n <= count)
    return all;
  int64_t largest = count / 2;
  std::partial_sort(all.begin(), all.begin() + largest, all.end(),
                    [&](int64_t a, int64_t b) {
                      return std::abs(grad.get(a)) > std::abs(grad.get(b));
                    });
  std::set<int64_t> picked(all.begin(), all.begin() + largest);
  while (static_cast<int64_t>(picked.size()) < count)
    picked.insert(static_cast<int64_t>(rng.below(static_cast<uint64_t>(n))));
  return {picked.begin(), picked.end()};
}

} // namespace

std::vector<GradCheckResult> Session::gradCheck(const Dataset &data,
                                                int64_t records,
                                                int64_t perParam,
                                                double &loss) {
  if (!pipelines_.gradCheck.available())
    throw Error("this executable has no f64 gradient phase for gradcheck; "
                "rebuild it with 'laminac --gradcheck " +
                model_.file + "'");
  int64_t rows = std::min(records, data.size);
  if (rows <= 0)
    throw Error("gradcheck needs at least one record");
  // Every tensor in f64: the data's first rows, the parameters, the
  // running statistics (read, and written aside), the gradients and loss.
  std::vector<Tensor> in, lbl, params, buffers, nextBuffers, grads;
  PipelineArgs args;
  args.setInt32(abi::kBatchArgument, static_cast<int32_t>(rows));
  for (size_t i = 0; i < model_.inputs.size(); ++i)
    in.push_back(converted(data.inputs[i], inF64(model_.inputs[i]), rows));
  for (size_t i = 0; i < model_.labels.size(); ++i)
    lbl.push_back(converted(data.labels[i], inF64(model_.labels[i]), rows));
  for (size_t i = 0; i < model_.params.size(); ++i) {
    params.push_back(converted(params_[i], inF64(model_.params[i]), -1));
    grads.emplace_back(DType::F64, model_.params[i].shape);
  }
  for (size_t i = 0; i < model_.nonTrainable.size(); ++i) {
    TensorSpec spec = inF64(model_.nonTrainable[i]);
    buffers.push_back(converted(buffers_[i], spec, -1));
    nextBuffers.emplace_back(spec.dtype, spec.shape);
  }
  for (size_t i = 0; i < in.size(); ++i)
    args.setInput(model_.inputs[i].arg, in[i]);
  for (size_t i = 0; i < lbl.size(); ++i)
    args.setInput(model_.labels[i].arg, lbl[i]);
  for (size_t i = 0; i < params.size(); ++i) {
    args.setInput(model_.params[i].arg, params[i]);
    args.setOutput(abi::gradientArgumentName(model_.params[i].arg), grads[i]);
  }
  for (size_t i = 0; i < buffers.size(); ++i) {
    args.setInput(model_.nonTrainable[i].arg, buffers[i]);
    args.setOutput(abi::nextArgumentName(model_.nonTrainable[i].arg),
                   nextBuffers[i]);
  }
  // One fixed key: every call draws the same dropout masks.
  if (model_.stepKey)
    args.setFloat64(abi::kStepKeyArgument, 1.0);
  Tensor lossOut(DType::F64, {});
  args.setOutput(abi::kLossArgument, lossOut);
  auto lossAt = [&]() {
    run(pipelines_.gradCheck, gradCheckBinding_, args, {true, 0, rows - 1});
    return lossOut.get(0);
  };

  loss = lossAt();
  std::vector<Tensor> analytic;
  for (const Tensor &g : grads)
    analytic.push_back(g.clone());
  Rng rng(deriveSeed(seed_, 0x6772616463686b)); // "gradchk"
  std::vector<GradCheckResult> results;
  for (size_t i = 0; i < params.size(); ++i) {
    GradCheckResult r;
    r.name = model_.params[i].name;
    r.elements = params[i].numel();
    r.error = -1.0;
    for (int64_t j : elementsToCheck(analytic[i], perParam, rng)) {
      double v = params[i].get(j);
      double h = 1e-6 * std::max(1.0, std::abs(v));
      params[i].set(j, v + h);
      double up = lossAt();
      params[i].set(j, v - h);
      double down = lossAt();
      params[i].set(j, v);
      double numeric = (up - down) / ((v + h) - (v - h));
      double a = analytic[i].get(j);
      double error = std::abs(a - numeric) /
                     std::max({std::abs(a), std::abs(numeric), 1e-4});
      ++r.checked;
      // A NaN stays the worst.
      if (std::isnan(error) || (!std::isnan(r.error) && error > r.error)) {
        r.error = error;
        r.worst = j;
        r.analytic = a;
        r.numeric = numeric;
      }
    }
    results.push_back(r);
  }
  return results;
}

} // namespace lamina
