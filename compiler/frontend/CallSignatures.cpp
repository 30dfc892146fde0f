//===- CallSignatures.cpp - Which names a call may use --------------------===//
#include "CallSignatures.h"

#include "lamina/OpInfo.h"

#include <algorithm>

namespace lamina {
namespace frontend {

bool isPlainCall(OpKind k) { return getOpInfo(k).form == DslForm::Call; }

const std::vector<std::string> &callableNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
#define LAMINA_OP(Name, Spelling, Arity)                                       \
  if (getOpInfo(OpKind::Name).form != DslForm::None)                           \
    v.push_back(Spelling);
#include "lamina/Ops.def"
    v.push_back("flatten");
    v.push_back("global_avgpool");
    v.push_back("stack");
    v.push_back("split");
    v.push_back("prelu");
    v.push_back("swiglu");
    v.push_back("layer_norm");
    v.push_back("rnn");
    v.push_back("lstm");
    v.push_back("gru");
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
