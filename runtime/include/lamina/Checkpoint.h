//===- Checkpoint.h - safetensors checkpoints -----------------------------===//
//
// Checkpoints are safetensors files (https://github.com/huggingface/
// safetensors): an 8-byte little-endian header length N, N bytes of JSON
//   {"__metadata__": {"model": "Mlp", "epoch": "3", "step": "2814",
//                     "seed": "42"},
//    "h1.weight": {"dtype": "F32", "shape": [784, 256],
//                  "data_offsets": [0, 802816]}, ...}
// padded with spaces, then the raw little-endian tensor data. Metadata values
// are strings, as the format requires, so Python's safetensors can read them.
//
//===----------------------------------------------------------------------===//

#ifndef LAMINA_RUNTIME_CHECKPOINT_H
#define LAMINA_RUNTIME_CHECKPOINT_H

#include "lamina/File.h"
#include "lamina/Tensor.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace lamina {

/// The `__metadata__` of a checkpoint.
struct CheckpointInfo {
  /// Name of the model that wrote it.
  std::string model;
  /// Completed epochs.
  int64_t epoch = 0;
  /// Completed training steps (batches), over all epochs.
  int64_t step = 0;
  /// The seed of the run; with `epoch` it fixes the shuffle of what follows.
  uint64_t seed = 0;
  /// Further metadata (the learning-rate schedule's state), as strings.
  std::map<std::string, std::string> extra;
};

/// A tensor to save, under its checkpoint name.
struct NamedTensor {
  std::string name;
  const Tensor *tensor;
};

/// The safetensors spelling of `t`: "F32", "F64" or "I32".
const char *safetensorsDType(DType t);

/// Writes `tensors` and `info` to `path` atomically (see AtomicFile): a crash
/// or error leaves any previous file at `path` intact. `beforeCommit`, if set,
/// runs after all data is written and before the rename; tests use it to
/// simulate a writer that dies mid-save. Throws Error on failure.
void saveCheckpoint(const std::string &path,
                    const std::vector<NamedTensor> &tensors,
                    const CheckpointInfo &info,
                    const std::function<void(AtomicFile &)> &beforeCommit = {});

/// A checkpoint read into memory and validated.
class Checkpoint {
public:
  /// Reads `path` and validates its structure: the header length fits the
  /// file, the header is a JSON object, every tensor entry has a dtype, a
  /// shape and data offsets that lie in the data section and match the
  /// shape's size. Throws Error naming the file (and tensor) otherwise.
  explicit Checkpoint(const std::string &path);

  /// The file's metadata (defaults for missing fields).
  const CheckpointInfo &info() const { return info_; }
  /// Whether the file has a tensor named `name`.
  bool contains(const std::string &name) const;
  /// The names of all tensors, sorted.
  std::vector<std::string> names() const;
  /// Copies tensor `name` into `into`, whose dtype and shape must match the
  /// file's. Throws Error naming the file and tensor if it is missing or its
  /// dtype or shape differs.
  void read(const std::string &name, Tensor &into) const;
  /// Tensor `name` of dtype F32, F64, I32 or I64, whatever its dtype,
  /// converted to doubles (an I64 beyond 2^53 rounds), with its shape in
  /// `shape`. For tools that feed tensors of other frameworks (lamina-run);
  /// a model's own tensors go through the strict read(). Throws Error naming
  /// the file and tensor if it is missing or of another dtype.
  std::vector<double> readConverted(const std::string &name,
                                    Shape &shape) const;

private:
  struct Entry {
    std::string dtype;
    Shape shape;
    uint64_t begin = 0;
    uint64_t end = 0;
  };
  std::string path_;
  std::vector<uint8_t> bytes_;
  size_t dataStart_ = 0;
  CheckpointInfo info_;
  std::map<std::string, Entry> entries_;
};

} // namespace lamina

#endif // LAMINA_RUNTIME_CHECKPOINT_H
