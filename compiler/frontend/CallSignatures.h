//===- CallSignatures.h - Operands and attributes of calls --*- C++ -*-===//
//
// Private to compiler/frontend/: which names a call may use, how many tensor
// operands each op of Ops.def takes and which attributes follow them.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_FRONTEND_CALLSIGNATURES_H
#define LAMINA_FRONTEND_CALLSIGNATURES_H

#include "lamina/IR.h"

#include <optional>
#include <string>
#include <vector>

namespace lamina {
namespace frontend {

enum class AttrKind {
  Float, // a number, stored as double
  Int,   // an integer, stored as int64
  Ints,  // an integer or a list of them, stored as vector<int64>
  Bool,  // true/false or 1/0, stored as int64 0/1
  Shape, // a list of positive integers or `batch`, stored as vector<int64>
  DType, // f32, f64 or i32, stored as a string
};

struct AttrSpec {
  const char *name;
  AttrKind kind;
  /// Used when the call does not give the attribute; nullopt makes it
  /// required (or, for transpose's perm, computed from the operand).
  std::optional<Attr> dflt;
  /// Another keyword accepted for this attribute (`axis` for `axes`).
  const char *alias = nullptr;
};

/// The number of tensor operands of `k` (Ops.def arity; -1 for dense).
int opArity(OpKind k);

/// The attributes `k` takes from a call, in positional order after its
/// operands. An op added to Ops.def must be placed here (no default case).
std::vector<AttrSpec> attrSpecs(OpKind k);

/// True for the ops a call cannot name: input, param and constant.
bool isLeaf(OpKind k);

/// Every name a call may use: the non-leaf ops and the frontend forms.
const std::vector<std::string> &callableNames();

/// True if `name` is one of callableNames().
bool isCallable(const std::string &name);

} // namespace frontend
} // namespace lamina

#endif // LAMINA_FRONTEND_CALLSIGNATURES_H
