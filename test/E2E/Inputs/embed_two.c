/* Two model libraries in one program (examples/xor.lam and
 * examples/mlp.lam): each exports only its own functions, so they link
 * together, and each runs. Also the API's errors: every failure returns
 * -1 or NULL with a message, and nothing crashes. */
#include "mlp.h"
#include "xor.h"

#include <stdio.h>
#include <stdlib.h>

static int failures = 0;

/* Prints the result of a call that must fail, and its message (read after
 * the call: a message lives until the model's next call). */
static void expect_fail(int rc, const char *what, mlp_t *m) {
  printf("%s: rc %d: %s\n", what, rc, mlp_error(m));
  if (rc == 0)
    ++failures;
}

int main(void) {
  /* XOR's weights are all in its file: no checkpoint needed. */
  xor_t *x = xor_create(NULL);
  if (!x) {
    printf("xor_create: %s\n", xor_create_error());
    return 1;
  }
  const float points[8] = {0, 0, 0, 1, 1, 0, 1, 1};
  float y[4];
  if (xor_predict(x, points, 4, y) != 0) {
    printf("xor_predict: %s\n", xor_error(x));
    return 1;
  }
  printf("xor: %g %g %g %g\n", y[0], y[1], y[2], y[3]);

  mlp_t *m = mlp_create_seeded(3);
  if (!m) {
    printf("mlp_create_seeded: %s\n", mlp_create_error());
    return 1;
  }
  float *image = calloc(MLP_X_SIZE * 2, sizeof(float));
  float probs[MLP_PROBS_SIZE * 2];
  if (mlp_predict(m, image, 2, probs) != 0) {
    printf("mlp_predict: %s\n", mlp_error(m));
    return 1;
  }
  double sum = 0;
  for (int i = 0; i < MLP_PROBS_SIZE; ++i)
    sum += probs[i];
  printf("mlp: probabilities sum to %.4f\n", sum);

  /* Errors. */
  mlp_t *missing = mlp_create("no/such/checkpoint.st");
  printf("mlp_create(missing): %s: %s\n", missing ? "a model" : "NULL",
         mlp_create_error());
  failures += missing != NULL;
  mlp_t *other = mlp_create("garbage.st");
  printf("mlp_create(garbage): %s: %s\n", other ? "a model" : "NULL",
         mlp_create_error());
  failures += other != NULL;
  expect_fail(mlp_predict(m, NULL, 2, probs), "predict(NULL input)", m);
  expect_fail(mlp_predict(m, image, 0, probs), "predict(batch 0)", m);
  int32_t labels[2] = {3, 12};
  float loss;
  double metrics[MLP_NUM_METRICS];
  expect_fail(mlp_eval(m, image, labels, 2, &loss, metrics), "eval(label 12)", m);
  expect_fail(mlp_save(m, "no/such/dir/m.st"), "save(bad path)", m);
  expect_fail(mlp_predict(NULL, image, 2, probs), "predict(NULL model)", NULL);
  labels[1] = 4;
  if (mlp_eval(m, image, labels, 2, &loss, metrics) != 0 ||
      mlp_train_step(m, image, labels, 2, 0.1, &loss) != 0) {
    printf("after errors: %s\n", mlp_error(m));
    return 1;
  }
  printf("after the errors, eval and a train step run: loss %.4f\n", loss);
  mlp_destroy(m);
  xor_destroy(x);
  free(image);
  return failures;
}
