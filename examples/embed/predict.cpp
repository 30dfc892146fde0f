// predict.cpp: examples/mlp.lam's library from C++. It predicts as
// predict.c does, on two models at once from two threads (distinct models
// may run at the same time), evaluates the labelled rows, then trains on
// them for a few steps and saves a checkpoint the executable can read.
//
//   c++ examples/embed/predict.cpp -Ilib lib/libmlp.a -lz -lpthread -ldl
//       -o predict_cpp   (one line)
//   ./predict_cpp mlp.st x.npy y.npy 64 probs.npy trained.st
#include "mlp.h"
#include "npy.h"

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

/// A model that frees itself; throws with the library's message.
struct Model {
  explicit Model(const char *checkpoint) : m(mlp_create(checkpoint)) {
    if (!m)
      throw std::runtime_error(std::string("mlp_create: ") +
                               mlp_create_error());
  }
  ~Model() { mlp_destroy(m); }
  Model(const Model &) = delete;
  Model &operator=(const Model &) = delete;
  void check(int rc, const char *what) const {
    if (rc != 0)
      throw std::runtime_error(std::string(what) + ": " + mlp_error(m));
  }
  mlp_t *m;
};

/// The outputs of `rows` rows of `x`, predicted in batches of `batch`.
std::vector<float> predictAll(const Model &model, const float *x, int64_t rows,
                              int64_t batch) {
  std::vector<float> probs(static_cast<size_t>(rows * MLP_PROBS_SIZE));
  for (int64_t first = 0; first < rows; first += batch) {
    int64_t n = std::min(batch, rows - first);
    model.check(mlp_predict(model.m, x + first * MLP_X_SIZE, n,
                            probs.data() + first * MLP_PROBS_SIZE),
                "mlp_predict");
  }
  return probs;
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 7) {
    std::fprintf(stderr,
                 "usage: %s CHECKPOINT X.npy Y.npy BATCH OUT.npy SAVED.st\n",
                 argv[0]);
    return 2;
  }
  npy_array x, y;
  if (npy_read(argv[2], "<f4", &x) != 0 || npy_read(argv[3], "<i4", &y) != 0)
    return 1;
  std::unique_ptr<void, void (*)(void *)> xData(x.data, std::free),
      yData(y.data, std::free);
  if (x.row_size != MLP_X_SIZE || y.rows != x.rows) {
    std::fprintf(stderr, "expected rows of %d values and one label each\n",
                 MLP_X_SIZE);
    return 1;
  }
  const auto *rows = static_cast<const float *>(x.data);
  const auto *labels = static_cast<const int32_t *>(y.data);
  int64_t batch = std::strtoll(argv[4], nullptr, 10);
  try {
    // Two models, each used by its own thread.
    Model a(argv[1]), b(argv[1]);
    std::vector<float> pa, pb;
    std::thread ta([&] { pa = predictAll(a, rows, x.rows, batch); });
    std::thread tb([&] { pb = predictAll(b, rows, x.rows, batch); });
    ta.join();
    tb.join();
    if (pa != pb)
      throw std::runtime_error("two models from one checkpoint disagree");
    if (npy_write_f32(argv[5], pa.data(), x.rows, MLP_PROBS_SIZE) != 0)
      throw std::runtime_error(std::string("cannot write ") + argv[5]);
    std::printf("predicted %lld rows on two threads, identically\n",
                static_cast<long long>(x.rows));

    float loss = 0;
    double metrics[MLP_NUM_METRICS];
    a.check(mlp_eval(a.m, rows, labels, x.rows, &loss, metrics), "mlp_eval");
    std::printf("eval: loss %.4f  accuracy %.4f\n", loss,
                metrics[MLP_METRIC_ACCURACY]);

    for (int step = 1; step <= 3; ++step) {
      a.check(mlp_train_step(a.m, rows, labels, x.rows, 0.05, &loss),
              "mlp_train_step");
      std::printf("train step %d: loss %.4f\n", step, loss);
    }
    a.check(mlp_save(a.m, argv[6]), "mlp_save");
    a.check(mlp_eval(a.m, rows, labels, x.rows, &loss, metrics), "mlp_eval");
    std::printf("after training: loss %.4f  accuracy %.4f\n", loss,
                metrics[MLP_METRIC_ACCURACY]);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
