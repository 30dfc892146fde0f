//===- GradCheckGraph.cpp - The train step in f64, for gradcheck ----------===//
//
// `laminac --gradcheck` builds into the executable an f64 copy of the train
// step's gradient phase: its `gradcheck` command compares those gradients
// with central differences of the loss in f64, where rounding does not
// hide an error in a gradient rule. Every f32 tensor becomes f64, and so
// does every `dtype` attribute that names f32 (a cast). Integer tensors,
// the learning rate and the dropout key keep their types.
//
//===----------------------------------------------------------------------===//
#include "lamina/Plan.h"

namespace lamina {

std::unique_ptr<Graph> gradCheckGraph(const Graph &train) {
  auto out = std::make_unique<Graph>();
  train.cloneInto(*out);
  out->clearOutputs();
  for (const auto &np : out->nodes()) {
    Node &n = *np;
    if (n.dtype() == DType::F32)
      n.setType(TensorType{DType::F64, n.shape()});
    auto dt = n.attrs().find("dtype");
    if (dt != n.attrs().end()) {
      const auto *name = std::get_if<std::string>(&dt->second);
      if (name && *name == "f32")
        n.setAttr("dtype", std::string("f64"));
    }
  }
  out->removeDeadNodes();
  return out;
}

} // namespace lamina
