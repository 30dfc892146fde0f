//===- Embed.h - A compiled model behind a C API
//---------------------------===//
//
// `laminac --emit=lib` writes a header and a library per model. The
// library's C functions (`mlp_create`, `mlp_predict`, ...) are generated
// one-liners over these: they pass each tensor as a pointer, in
// descriptor order, and the functions here check the arguments, copy the
// rows into the session's tensors and run the pipelines. Each library
// holds its own copy of the runtime with every symbol but the model's
// C functions made local, so two models link into one program.
//
// Every function catches every exception: a C caller sees 0 for success,
// else -1 and a message (error(), or createError() after create()).
// Distinct models may be used from distinct threads at the same time.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_RUNTIME_EMBED_H
#define LAMINA_RUNTIME_EMBED_H

#include "lamina/Cli.h"

#include <cstdint>

namespace lamina::embed {

/// A session and the message of its last failed call.
class Model;

/// A model for `src`: with the parameters (and optimizer state, when it has
/// them) of the checkpoint at `checkpoint`, else initialized with `*seed`,
/// else with the train block's seed (the values given in the model file for
/// parameters that have them). Null on failure; createError() says why.
Model *create(const ModelSource &src, const char *checkpoint,
              const uint64_t *seed) noexcept;
/// Why the calling thread's last create() failed ("" if it did not).
const char *createError() noexcept;

/// Runs lamina_predict on `batch` rows: `inputs[i]` holds the rows of the
/// i-th input, `outputs[i]` receives those of the i-th output, dense
/// row-major in the declared element types.
int predict(Model *m, const void *const *inputs, int64_t batch,
            void *const *outputs) noexcept;
/// Runs lamina_eval on `batch` rows: the loss (when the model has one and
/// `loss` is not null) and each metric, finished over the rows, into
/// `metrics` (when not null).
int eval(Model *m, const void *const *inputs, const void *const *labels,
         int64_t batch, double *loss, double *metrics) noexcept;
/// One update of lamina_train on `batch` rows with learning rate `lr`; the
/// batch's loss into `loss` (when not null).
int trainStep(Model *m, const void *const *inputs, const void *const *labels,
              int64_t batch, double lr, double *loss) noexcept;
/// Writes parameters, optimizer state and counters to `path` atomically
/// (a checkpoint the executable reads).
int save(Model *m, const char *path) noexcept;
/// The message of `m`'s last failed call ("" if none).
const char *error(const Model *m) noexcept;
/// Sets the threads of the kernels' parallel loops (n <= 0: HL_NUM_THREADS
/// if set, else every core), for every model of this library.
void setThreads(int n) noexcept;
/// Frees `m` (null is allowed).
void destroy(Model *m) noexcept;

} // namespace lamina::embed

#endif // LAMINA_RUNTIME_EMBED_H
