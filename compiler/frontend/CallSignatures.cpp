//===- CallSignatures.cpp - Tensor operands and attributes of calls -------===//
//
// The call signatures of Ops.def's ops and the frontend forms; see
// CallSignatures.h.
//
//===----------------------------------------------------------------------===//
#include "CallSignatures.h"

#include <algorithm>

namespace lamina {
namespace frontend {

//===----------------------------------------------------------------------===//
// Call signatures: the tensor operands of each op and its attributes.
//===----------------------------------------------------------------------===//

int opArity(OpKind k) {
  switch (k) {
#define LAMINA_OP(Name, Spelling, Arity)                                       \
  case OpKind::Name:                                                           \
    return Arity;
#include "lamina/Ops.def"
  }
  return 0;
}

std::vector<AttrSpec> attrSpecs(OpKind k) {
  switch (k) {
  case OpKind::LeakyRelu:
    return {{"alpha", AttrKind::Float, Attr(0.01)}};
  case OpKind::Elu:
    return {{"alpha", AttrKind::Float, Attr(1.0)}};
  case OpKind::Swish:
    return {{"beta", AttrKind::Float, Attr(1.0)}};
  case OpKind::Softmax:
  case OpKind::LogSoftmax:
  case OpKind::ArgMax:
    return {{"axis", AttrKind::Int, Attr(int64_t(-1))}};
  case OpKind::Sum:
  case OpKind::Mean:
  case OpKind::ReduceMax:
    return {{"axes", AttrKind::Ints, Attr(std::vector<int64_t>{}), "axis"},
            {"keepdims", AttrKind::Bool, Attr(int64_t(0))}};
  case OpKind::Count:
    return {{"axes", AttrKind::Ints, Attr(std::vector<int64_t>{}), "axis"}};
  case OpKind::OneHot:
    return {{"classes", AttrKind::Int, std::nullopt},
            {"dtype", AttrKind::DType, Attr(std::string("f32"))}};
  case OpKind::Transpose:
    return {{"perm", AttrKind::Ints, std::nullopt}};
  case OpKind::Reshape:
  case OpKind::BroadcastTo:
    return {{"shape", AttrKind::Shape, std::nullopt}};
  case OpKind::Input:
  case OpKind::Param:
  case OpKind::Constant:
  case OpKind::Add:
  case OpKind::Sub:
  case OpKind::Mul:
  case OpKind::Div:
  case OpKind::Maximum:
  case OpKind::Greater:
  case OpKind::Select:
  case OpKind::Neg:
  case OpKind::Exp:
  case OpKind::Log:
  case OpKind::Sqrt:
  case OpKind::Abs:
  case OpKind::Sign:
  case OpKind::Step:
  case OpKind::Sigmoid:
  case OpKind::Tanh:
  case OpKind::Relu:
  case OpKind::Softplus:
  case OpKind::MatMul:
  case OpKind::Dense:
  case OpKind::Mse:
  case OpKind::Mae:
  case OpKind::HalfSquaredError:
  case OpKind::BinaryCrossEntropy:
  case OpKind::CrossEntropy:
  case OpKind::Accuracy:
  case OpKind::Rmse:
  case OpKind::R2:
  // Convolution and pooling have forms of their own (emitConv, emitPool).
  case OpKind::Conv1d:
  case OpKind::Conv2d:
  case OpKind::ConvGradInput:
  case OpKind::ConvGradWeight:
  case OpKind::MaxPool1d:
  case OpKind::MaxPool2d:
  case OpKind::AvgPool1d:
  case OpKind::AvgPool2d:
  case OpKind::MaxPoolGrad:
  case OpKind::AvgPoolGrad:
  case OpKind::Pad:
  case OpKind::PadGrad:
    return {};
  }
  return {};
}

bool isLeaf(OpKind k) {
  return k == OpKind::Input || k == OpKind::Param || k == OpKind::Constant;
}

const std::vector<std::string> &callableNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
#define LAMINA_OP(Name, Spelling, Arity)                                       \
  if (!isLeaf(OpKind::Name))                                                   \
    v.push_back(Spelling);
#include "lamina/Ops.def"
    v.push_back("dense");
    v.push_back("flatten");
    v.push_back("global_avgpool");
    return v;
  }();
  return names;
}

bool isCallable(const std::string &name) {
  const std::vector<std::string> &v = callableNames();
  return std::find(v.begin(), v.end(), name) != v.end();
}

} // namespace frontend
} // namespace lamina
