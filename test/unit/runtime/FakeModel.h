//===- FakeModel.h - Hand-written pipelines standing in for laminac's -----===//
//
// A linear regression model "Lin": pred = x . w + b with x f32[batch, 2],
// w f32[2, 1], b f32[1], squared-error loss, a mean-absolute-error metric and
// SGD with momentum 0.9 (state w.velocity and b.velocity). The argv functions
// follow Halide's calling convention: args in metadata order, scalars by
// pointer, buffers as halide_buffer_t *.
//
//===----------------------------------------------------------------------===//

#ifndef LAMINA_TEST_RUNTIME_FAKEMODEL_H
#define LAMINA_TEST_RUNTIME_FAKEMODEL_H

#include "lamina/Model.h"

#include <vector>

namespace lamina::test {

/// The descriptor of the fake model. `withTrain` adds a train block.
const char *fakeModelJson(bool withTrain = true);

/// The fake model's pipelines.
Pipelines fakePipelines();

/// Row counts of every lamina_train call since the last reset.
std::vector<int> &fakeTrainBatches();

} // namespace lamina::test

#endif // LAMINA_TEST_RUNTIME_FAKEMODEL_H
