//===- CallSignatures.h - Which names a call may use --------*- C++ -*-===//
//
// Private to compiler/frontend/. The operands and attributes of an op's call
// come from its OpInfo (Ops.def's operand count, the attribute schema); this
// header only says which names a model file may call.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_FRONTEND_CALLSIGNATURES_H
#define LAMINA_FRONTEND_CALLSIGNATURES_H

#include "lamina/IR.h"

#include <string>
#include <vector>

namespace lamina {
namespace frontend {

/// True for the ops a model file calls as `op(operands..., attributes...)`
/// checked against the op's schema (DslForm::Call).
bool isPlainCall(OpKind k);

/// Every name a call may use: the ops of DslForm::Call and DslForm::Layer,
/// and the frontend forms (flatten, global_avgpool). Leaves and the ops
/// only gradient rules build (conv_grad_input, maxpool_grad, ...) are not
/// among them.
const std::vector<std::string> &callableNames();

/// True if `name` is one of callableNames().
bool isCallable(const std::string &name);

} // namespace frontend
} // namespace lamina

#endif // LAMINA_FRONTEND_CALLSIGNATURES_H
