//===- CheckNode.cpp - One check of a node against its op -----------------===//
//
// checkNode is the single gate every node passes: the builder, the IR
// parser, the verifier and the passes call it. It checks the operand count
// from Ops.def and the attributes the op's schema names (present when
// required, of the right kind) before the op's type rule runs, so type rules
// can read their attributes without checks and never throw.
//
//===----------------------------------------------------------------------===//
#include "lamina/OpInfo.h"

#include <cassert>
#include <cerrno>
#include <cstdlib>

namespace lamina {

namespace {

std::string quoted(OpKind k) { return std::string("'") + opName(k) + "'"; }

/// What an attribute of type `t` must be, for messages.
const char *describe(AttrType t) {
  switch (t) {
  case AttrType::Int:
    return "an integer";
  case AttrType::Float:
    return "a number";
  case AttrType::Bool:
    return "true or false (1 or 0)";
  case AttrType::Ints:
    return "a list of integers";
  case AttrType::IntOrInts:
    return "an integer or a list of integers";
  case AttrType::Shape:
    return "a list of positive sizes or 'batch'";
  case AttrType::DType:
    return "one of f32, f64, i32";
  case AttrType::String:
    return "a string";
  }
  return "?";
}

/// What `a` holds, for messages.
const char *describe(const Attr &a) {
  if (std::holds_alternative<int64_t>(a))
    return "an integer";
  if (std::holds_alternative<double>(a))
    return "a number";
  if (std::holds_alternative<std::string>(a))
    return "a string";
  return "a list";
}

bool fits(const Attr &a, AttrType t) {
  switch (t) {
  case AttrType::Int:
    return std::holds_alternative<int64_t>(a);
  case AttrType::Float:
    return std::holds_alternative<double>(a) ||
           std::holds_alternative<int64_t>(a);
  case AttrType::Bool: {
    const auto *v = std::get_if<int64_t>(&a);
    return v && (*v == 0 || *v == 1);
  }
  case AttrType::Ints:
    return std::holds_alternative<std::vector<int64_t>>(a);
  case AttrType::IntOrInts:
    return std::holds_alternative<int64_t>(a) ||
           std::holds_alternative<std::vector<int64_t>>(a);
  case AttrType::Shape: {
    const auto *v = std::get_if<std::vector<int64_t>>(&a);
    if (!v)
      return false;
    for (int64_t d : *v)
      if (d <= 0 && d != kBatch)
        return false;
    return true;
  }
  case AttrType::DType: {
    const auto *v = std::get_if<std::string>(&a);
    return v && parseDType(*v);
  }
  case AttrType::String:
    return std::holds_alternative<std::string>(a);
  }
  return false;
}

std::optional<std::vector<int64_t>> parseIntList(const std::string &text) {
  if (text.size() < 2 || text.front() != '[' || text.back() != ']')
    return std::nullopt;
  std::vector<int64_t> v;
  const char *p = text.c_str() + 1;
  while (*p && *p != ']') {
    char *end = nullptr;
    v.push_back(std::strtoll(p, &end, 10));
    if (end == p)
      return std::nullopt;
    p = end;
    while (*p == ',' || *p == ' ')
      ++p;
  }
  return v;
}

} // namespace

const AttrSpec *findAttrSpec(OpKind k, const std::string &name) {
  for (const AttrSpec &a : getOpInfo(k).attrs)
    if (name == a.name)
      return &a;
  return nullptr;
}

std::optional<Attr> parseAttrDefault(const AttrSpec &spec) {
  assert(spec.dflt && "a required attribute has no default");
  std::string text = spec.dflt;
  if (text.empty())
    return std::nullopt;
  switch (spec.type) {
  case AttrType::Int:
    return Attr(static_cast<int64_t>(std::strtoll(text.c_str(), nullptr, 10)));
  case AttrType::Float:
    return Attr(std::strtod(text.c_str(), nullptr));
  case AttrType::Bool:
    return Attr(int64_t(text == "true" ? 1 : 0));
  case AttrType::IntOrInts:
    if (text.front() != '[')
      return Attr(
          static_cast<int64_t>(std::strtoll(text.c_str(), nullptr, 10)));
    [[fallthrough]];
  case AttrType::Ints:
  case AttrType::Shape: {
    std::optional<std::vector<int64_t>> v = parseIntList(text);
    assert(v && "malformed list default in an op schema");
    return Attr(*v);
  }
  case AttrType::DType:
  case AttrType::String:
    return Attr(text);
  }
  return std::nullopt;
}

Attr attrOrDefault(const Node &n, const char *name) {
  auto it = n.attrs().find(name);
  if (it != n.attrs().end())
    return it->second;
  const AttrSpec *spec = findAttrSpec(n.kind(), name);
  assert(spec && spec->dflt && *spec->dflt &&
         "attribute not in the op's schema, or without a default");
  return *parseAttrDefault(*spec);
}

double floatAttrOf(const Node &n, const char *name) {
  Attr a = attrOrDefault(n, name);
  if (const auto *i = std::get_if<int64_t>(&a))
    return static_cast<double>(*i);
  return std::get<double>(a);
}

int64_t intAttrOf(const Node &n, const char *name) {
  return std::get<int64_t>(attrOrDefault(n, name));
}

Expected<TensorType> checkNode(const Node &n) {
  OpKind k = n.kind();
  const OpInfo &info = getOpInfo(k);
  int arity = opArity(k);
  if (arity >= 0 && static_cast<unsigned>(arity) != n.numInputs())
    return Expected<TensorType>::error(
        quoted(k) + " takes " + std::to_string(arity) + " operand(s), got " +
        std::to_string(n.numInputs()));
  for (const auto &[name, value] : n.attrs()) {
    const AttrSpec *spec = findAttrSpec(k, name);
    // Attributes outside the schema are kept and printed (IR text may
    // carry notes of its own); no rule reads them. A model file's calls
    // are checked against the schema by the front end.
    if (!spec)
      continue;
    if (!fits(value, spec->type))
      return Expected<TensorType>::error(quoted(k) + " attribute '" + name +
                                         "' must be " + describe(spec->type) +
                                         ", got " + describe(value));
  }
  for (const AttrSpec &a : info.attrs)
    if (!a.dflt && !n.hasAttr(a.name))
      return Expected<TensorType>::error(quoted(k) + " needs attribute '" +
                                         a.name + "' (" + a.doc + ")");
  assert(info.inferType && "every op has a type rule");
  return info.inferType(n);
}

} // namespace lamina
