//===- Embed.cpp - A compiled model behind a C API
//-------------------------===//
#include "lamina/Embed.h"
#include "lamina/Checkpoint.h"
#include "lamina/Error.h"
#include "lamina/Train.h"
#include "lamina/abi/ThreadPool.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <string>

namespace lamina::embed {

class Model {
public:
  Model(ModelDesc desc, const Pipelines &pipelines)
      : session(std::move(desc), pipelines) {}
  Session session;
  std::string error;
};

namespace {

thread_local std::string createErrorText;

/// Runs `f`, turning an exception into a message in `error`; 0 or -1.
template <typename F> int guarded(std::string &error, F f) {
  try {
    f();
    error.clear();
    return 0;
  } catch (const std::bad_alloc &) {
    error = "out of memory";
  } catch (const std::exception &e) {
    error = e.what();
  } catch (...) {
    error = "unknown error";
  }
  return -1;
}

void checkBatch(int64_t batch) {
  if (batch < 1 || batch > std::numeric_limits<int32_t>::max())
    throw Error("batch is " + std::to_string(batch) +
                "; it must be from 1 to 2147483647");
}

/// Copies rows [first, first + rows) of each of `ptrs` into the first rows
/// of `tensors`, checking that no pointer is null and that the values of an
/// i32 tensor that indexes something lie in [0, classes).
void fillRows(const std::vector<TensorSpec> &specs, const void *const *ptrs,
              const char *role, int64_t first, int64_t rows,
              std::vector<Tensor> &tensors) {
  for (size_t i = 0; i < specs.size(); ++i) {
    const TensorSpec &s = specs[i];
    if (!ptrs || !ptrs[i])
      throw Error(std::string(role) + " '" + s.name + "' is NULL");
    size_t rowBytes = static_cast<size_t>(s.sampleNumel()) * dtypeSize(s.dtype);
    const auto *src = static_cast<const uint8_t *>(ptrs[i]) +
                      static_cast<size_t>(first) * rowBytes;
    std::memcpy(tensors[i].row(0), src, rowBytes * static_cast<size_t>(rows));
    if (s.dtype != DType::I32 || s.classes <= 0)
      continue;
    const int32_t *v = tensors[i].data<int32_t>();
    for (int64_t j = 0, n = rows * s.sampleNumel(); j < n; ++j)
      if (v[j] < 0 || v[j] >= s.classes)
        throw Error(std::string(role) + " '" + s.name + "' holds " +
                    std::to_string(v[j]) + " at element " + std::to_string(j) +
                    "; it must be from 0 to " + std::to_string(s.classes - 1));
  }
}

} // namespace

Model *create(const ModelSource &src, const char *checkpoint,
              const uint64_t *seed) noexcept {
  Model *made = nullptr;
  guarded(createErrorText, [&] {
    ModelDesc desc = ModelDesc::parse(src.json ? src.json : "");
    auto m = std::make_unique<Model>(std::move(desc), src.pipelines);
    Session &s = m->session;
    if (checkpoint) {
      // A checkpoint of the executable's train has the optimizer state, so
      // train steps continue it; a --best file or another's may not.
      Checkpoint ck(checkpoint);
      bool withState =
          std::all_of(s.model().state.begin(), s.model().state.end(),
                      [&](const TensorSpec &t) { return ck.contains(t.name); });
      s.load(checkpoint, withState);
    } else {
      const std::optional<TrainDefaults> &d = s.model().train;
      s.initialize(seed ? *seed : d && d->seed ? *d->seed : 0);
    }
    made = m.release();
  });
  return made;
}

const char *createError() noexcept { return createErrorText.c_str(); }

int predict(Model *m, const void *const *inputs, int64_t batch,
            void *const *outputs) noexcept {
  if (!m)
    return -1;
  return guarded(m->error, [&] {
    const ModelDesc &d = m->session.model();
    if (!d.hasPredict())
      throw Error("model '" + d.name + "' has no output to predict");
    checkBatch(batch);
    for (size_t i = 0; i < d.outputs.size(); ++i)
      if (!outputs || !outputs[i])
        throw Error("output '" + d.outputs[i].name + "' is NULL");
    m->session.predictStream(
        batch, batch,
        [&](int64_t first, int64_t rows, std::vector<Tensor> &in) {
          fillRows(d.inputs, inputs, "input", first, rows, in);
        },
        [&](int64_t first, int64_t rows, const std::vector<Tensor> &out) {
          for (size_t i = 0; i < out.size(); ++i) {
            // An output without a batch is written once.
            if (!d.outputs[i].batched()) {
              if (first == 0)
                std::memcpy(outputs[i], out[i].raw(), out[i].byteSize());
              continue;
            }
            size_t bytes = out[i].rowBytes();
            std::memcpy(static_cast<uint8_t *>(outputs[i]) +
                            static_cast<size_t>(first) * bytes,
                        out[i].row(0), bytes * static_cast<size_t>(rows));
          }
        });
  });
}

int eval(Model *m, const void *const *inputs, const void *const *labels,
         int64_t batch, double *loss, double *metrics) noexcept {
  if (!m)
    return -1;
  return guarded(m->error, [&] {
    const ModelDesc &d = m->session.model();
    if (!d.hasEval())
      throw Error("model '" + d.name + "' has no loss or metric to evaluate");
    checkBatch(batch);
    EvalResult r = m->session.evaluateStream(
        batch, batch,
        [&](int64_t first, int64_t rows, std::vector<Tensor> &in,
            std::vector<Tensor> &lbl) {
          fillRows(d.inputs, inputs, "input", first, rows, in);
          fillRows(d.labels, labels, "label", first, rows, lbl);
        });
    if (loss && d.hasLoss)
      *loss = r.loss;
    if (metrics)
      std::copy(r.metrics.begin(), r.metrics.end(), metrics);
  });
}

int trainStep(Model *m, const void *const *inputs, const void *const *labels,
              int64_t batch, double lr, double *loss) noexcept {
  if (!m)
    return -1;
  return guarded(m->error, [&] {
    const ModelDesc &d = m->session.model();
    checkBatch(batch);
    if (!std::isfinite(lr))
      throw Error("lr is not a finite number");
    std::vector<Tensor> in, lbl;
    for (const TensorSpec &s : d.inputs)
      in.emplace_back(s.dtype, s.withBatch(batch));
    for (const TensorSpec &s : d.labels)
      lbl.emplace_back(s.dtype, s.withBatch(batch));
    fillRows(d.inputs, inputs, "input", 0, batch, in);
    fillRows(d.labels, labels, "label", 0, batch, lbl);
    double l = m->session.trainBatch(in, lbl, batch, lr);
    if (loss)
      *loss = l;
  });
}

int save(Model *m, const char *path) noexcept {
  if (!m)
    return -1;
  return guarded(m->error, [&] {
    if (!path)
      throw Error("the checkpoint path is NULL");
    m->session.save(path);
  });
}

const char *error(const Model *m) noexcept {
  return m ? m->error.c_str() : "the model handle is NULL";
}

void setThreads(int n) noexcept { abi::setPoolThreads(n); }

void destroy(Model *m) noexcept { delete m; }

} // namespace lamina::embed
