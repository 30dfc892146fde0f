/* predict.c: runs examples/mlp.lam, compiled with `laminac --emit=lib`, on
 * the rows of an .npy file from a checkpoint that the executable's train
 * wrote, in batches of a given size, as `./mlp predict --batch N` does.
 *
 *   laminac examples/mlp.lam --emit=lib -o lib
 *   cc examples/embed/predict.c -Ilib lib/libmlp.a -lstdc++ -lz -lpthread \
 *       -ldl -lm -o predict
 *   ./predict mlp.st x.npy 64 probs.npy
 */
#include "mlp.h"
#include "npy.h"

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s CHECKPOINT X.npy BATCH OUT.npy\n", argv[0]);
    return 2;
  }
  npy_array x;
  if (npy_read(argv[2], "<f4", &x) != 0)
    return 1;
  if (x.row_size != MLP_X_SIZE) {
    fprintf(stderr, "%s: rows of %lld values; the model takes %d\n", argv[2],
            (long long)x.row_size, MLP_X_SIZE);
    return 1;
  }
  int64_t batch = strtoll(argv[3], NULL, 10);
  mlp_t *model = mlp_create(argv[1]);
  if (!model) {
    fprintf(stderr, "mlp_create: %s\n", mlp_create_error());
    return 1;
  }
  float *probs = (float *)malloc((size_t)(x.rows * MLP_PROBS_SIZE) * 4);
  const float *rows = (const float *)x.data;
  for (int64_t first = 0; first < x.rows; first += batch) {
    int64_t n = x.rows - first < batch ? x.rows - first : batch;
    if (mlp_predict(model, rows + first * MLP_X_SIZE, n,
                    probs + first * MLP_PROBS_SIZE) != 0) {
      fprintf(stderr, "mlp_predict: %s\n", mlp_error(model));
      return 1;
    }
  }
  int rc = npy_write_f32(argv[4], probs, x.rows, MLP_PROBS_SIZE);
  printf("predicted %lld rows\n", (long long)x.rows);
  mlp_destroy(model);
  free(probs);
  free(x.data);
  return rc == 0 ? 0 : 1;
}
