//===- Jit.cpp - Run a graph in-process with Halide's JIT -----------------===//
#include "lamina/Jit.h"
#include "lamina/Plan.h"

#include <map>
#include <stdexcept>

namespace lamina {

/// Halide's dims (innermost first) of logical shape `shape`.
static std::vector<int> halideSizes(const std::vector<int64_t> &shape) {
  return std::vector<int>(shape.rbegin(), shape.rend());
}

/// A dense Halide buffer of `t` with logical shape `shape` (batch resolved).
static Halide::Buffer<> makeBuffer(DType t, const std::vector<int64_t> &shape) {
  return Halide::Buffer<>(LowerContext::halideType(t), halideSizes(shape));
}

/// Row-major logical order is Halide's dense layout with dims reversed, so
/// element i of `data` is element i of the buffer's storage.
static void fill(Halide::Buffer<> &b, DType t, const std::vector<double> &d) {
  for (size_t i = 0; i < d.size(); ++i) {
    switch (t) {
    case DType::F32:
      static_cast<float *>(b.data())[i] = static_cast<float>(d[i]);
      break;
    case DType::F64:
      static_cast<double *>(b.data())[i] = d[i];
      break;
    case DType::I32:
      static_cast<int32_t *>(b.data())[i] = static_cast<int32_t>(d[i]);
      break;
    }
  }
}

static std::vector<double> drain(const Halide::Buffer<> &b, DType t) {
  std::vector<double> d(b.number_of_elements());
  for (size_t i = 0; i < d.size(); ++i) {
    switch (t) {
    case DType::F32:
      d[i] = static_cast<const float *>(b.data())[i];
      break;
    case DType::F64:
      d[i] = static_cast<const double *>(b.data())[i];
      break;
    case DType::I32:
      d[i] = static_cast<const int32_t *>(b.data())[i];
      break;
    }
  }
  return d;
}

/// The JIT target from the environment plus the features `opts` asks for.
static Halide::Target jitTarget(const JitOptions &opts) {
  Halide::Target t = Halide::get_jit_target_from_environment();
  if (opts.strictFloat)
    t = t.with_feature(Halide::Target::StrictFloat);
  return t;
}

JitPipeline::JitPipeline(const Graph &g, PipelineKind kind,
                         const JitOptions &opts)
    : target_(jitTarget(opts)), plan_(partition(g, kind, target_.to_string())) {
  for (const Kernel &k : plan_.kernels) {
    if (compiled_.count(k.hash))
      continue;
    Halide::Target t = kernelTarget(k, target_);
    LoweredKernel lk = lowerKernel(plan_, k, t);
    lk.pipeline.compile_jit(t);
    compiled_.emplace(k.hash, std::move(lk));
  }
}

/// `s` with kBatch replaced by `batch`.
static std::vector<int64_t> atBatch(const Shape &s, int64_t batch) {
  std::vector<int64_t> out = s;
  for (int64_t &d : out)
    if (d == kBatch)
      d = batch;
  return out;
}

/// The buffer a kernel reads or writes for `b`, a dense buffer holding n:
/// b itself, or for a generic kernel (Plan.h) a view of b's memory at the
/// shape of `view`, n's copy in the generic kernel, with the kernel's batch
/// argument `rows` in the batch's place.
static Halide::Buffer<> kernelView(const Halide::Buffer<> &b, const Kernel &k,
                                   const Node *view, int64_t rows) {
  if (!k.generic)
    return b;
  return Halide::Buffer<>(b.type(), const_cast<void *>(b.data()),
                          halideSizes(atBatch(view->shape(), rows)));
}

TensorMap JitPipeline::run(const TensorMap &feeds) {
  // Leaves by node name; the gradients an update phase is cut at by their
  // argument names ("grad_p_w").
  auto feedFor = [&](const Node &leaf) -> const HostTensor & {
    std::string name =
        plan_.cutNames.count(&leaf) ? leafArgName(plan_, leaf) : leaf.name();
    auto it = feeds.find(name);
    if (it == feeds.end())
      throw std::runtime_error("no value fed for '" + name + "'");
    return it->second;
  };
  // The batch comes from the first fed tensor with a batch dim.
  int64_t batch = 1;
  bool found = false;
  for (const Node *leaf : plan_.leaves) {
    const Shape &s = leaf->shape();
    for (size_t d = 0; d < s.size() && !found; ++d)
      if (s[d] == kBatch) {
        const HostTensor &t = feedFor(*leaf);
        if (t.shape.size() != s.size())
          throw std::runtime_error("'" + leaf->name() + "' has rank " +
                                   std::to_string(t.shape.size()) +
                                   ", expected " + std::to_string(s.size()));
        batch = t.shape[d];
        found = true;
      }
  }
  // Every tensor a kernel reads or writes, by node.
  std::map<const Node *, Halide::Buffer<>> buffers;
  std::map<const Node *, double> scalars;
  for (const Node *leaf : plan_.leaves) {
    const HostTensor &t = feedFor(*leaf);
    if (leaf->rank() == 0 && leaf->kind() == OpKind::Input) {
      if (t.data.size() != 1)
        throw std::runtime_error("'" + leaf->name() + "' must be a scalar");
      scalars[leaf] = t.data[0];
      continue;
    }
    std::vector<int64_t> shape = atBatch(leaf->shape(), batch);
    if (t.shape != shape)
      throw std::runtime_error("'" + leaf->name() + "' fed with shape " +
                               shapeToString(t.shape) + ", expected " +
                               shapeToString(shape));
    if (static_cast<int64_t>(t.data.size()) != numElements(shape))
      throw std::runtime_error("'" + leaf->name() + "' has " +
                               std::to_string(t.data.size()) + " values");
    Halide::Buffer<> b = makeBuffer(leaf->dtype(), shape);
    fill(b, leaf->dtype(), t.data);
    buffers[leaf] = b;
  }
  for (const Kernel &k : plan_.kernels) {
    LoweredKernel &lk = compiled_.at(k.hash);
    int64_t rows = k.batchArgumentAt(batch);
    lk.batch.set(static_cast<int32_t>(rows));
    for (size_t i = 0; i < k.scalars.size(); ++i)
      lk.scalars[i].set(scalars.at(k.scalars[i]));
    const Kernel &code = k.generic ? k.generic->kernel : k;
    for (size_t i = 0; i < k.inputs.size(); ++i)
      lk.inputs[i].set(
          kernelView(buffers.at(k.inputs[i]), k, code.inputs[i], rows));
    std::vector<Halide::Buffer<>> outs, views;
    for (size_t i = 0; i < k.outputs.size(); ++i) {
      const Node *o = k.outputs[i];
      outs.push_back(makeBuffer(o->dtype(), atBatch(o->shape(), batch)));
      views.push_back(kernelView(outs.back(), k, code.outputs[i], rows));
    }
    Halide::Realization r(views);
    lk.pipeline.realize(r, kernelTarget(k, target_));
    for (size_t i = 0; i < k.outputs.size(); ++i)
      buffers[k.outputs[i]] = outs[i];
  }

  TensorMap result;
  for (const PlanResult &r : plan_.results) {
    HostTensor t;
    t.dtype = r.node->dtype();
    t.shape = atBatch(r.node->shape(), batch);
    t.data = drain(buffers.at(r.node), r.node->dtype());
    result[r.name] = std::move(t);
  }
  return result;
}

TensorMap runJit(const Graph &g, PipelineKind kind, const TensorMap &feeds,
                 const JitOptions &opts) {
  return JitPipeline(g, kind, opts).run(feeds);
}

} // namespace lamina
