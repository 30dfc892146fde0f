//===- DeadCodeElim.cpp - Remove nodes no result depends on
//----------------===//
//
// A node is live if the loss, an output or an update depends on it. Inputs
// and params are always kept: they are the compiled pipeline's interface,
// even when unused.
//
//===----------------------------------------------------------------------===//
#include "lamina/Passes.h"

namespace lamina {

void eliminateDeadCode(Graph &g) { g.removeDeadNodes(); }

} // namespace lamina
