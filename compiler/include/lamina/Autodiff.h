//===- Autodiff.h - Reverse-mode differentiation into the IR --------------===//
#ifndef LAMINA_AUTODIFF_H
#define LAMINA_AUTODIFF_H

#include "lamina/IR.h"

#include <vector>

namespace lamina {

class DiagnosticEngine;

/// Adds to `g` the nodes computing d(loss)/d(w) for each w in `wrt`,
/// symbolically, from each op's gradient rule, and returns them in the order
/// of `wrt` (a w that does not reach the loss gets a zero tensor). Every op
/// on a path from a `wrt` node to the loss that has no gradient is reported
/// to `diag` with its location; returns an empty vector then.
std::vector<Node *> buildGradients(Graph &g, Node *loss,
                                   const std::vector<Node *> &wrt,
                                   DiagnosticEngine &diag);

/// Builds the train step of `forward` into `train` (which must be empty):
/// a copy of the forward graph with each op's train form in its place
/// (OpInfo::trainForm: dropout's masks, batch norm's batch statistics and
/// the updates of its running ones), its backward graph (buildGradients)
/// and the SGD update (momentum, weight decay as in torch.optim.SGD, from
/// `cfg`) of every trainable parameter, as graph updates. Adds the rank-0
/// hyper input "lr", the input "step_key" when a train form draws random
/// numbers, and, with momentum, a "state" Param per parameter. Returns false
/// after reporting to `diag` if the loss is missing or not differentiable.
bool buildTrainStep(const Graph &forward, const TrainConfig &cfg, Graph &train,
                    DiagnosticEngine &diag);

} // namespace lamina

#endif // LAMINA_AUTODIFF_H
