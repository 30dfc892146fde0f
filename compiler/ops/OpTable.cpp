//===- OpTable.cpp - The language reference's op table from the schemas --===//
//
// dsl/README.md's table of ops is this text; test/unit/OpTableTest.cpp
// fails when the two differ, and prints the table to paste.
//
//===----------------------------------------------------------------------===//
#include "lamina/OpInfo.h"

#include <string>
#include <vector>

namespace lamina {

namespace {

/// "`alpha` (0.01): the slope below 0; ..." for a call, "see below" for a
/// layer form.
std::string attrColumn(const OpInfo &info) {
  if (info.form == DslForm::Layer)
    return "see below";
  std::string s;
  for (const AttrSpec &a : info.attrs) {
    if (!s.empty())
      s += "; ";
    s += std::string("`") + a.name + "`";
    if (!a.dflt)
      s += " (required)";
    else if (*a.dflt)
      s += std::string(" (") + a.dflt + ")";
    if (a.alias)
      s += std::string(" or `") + a.alias + "`";
    s += std::string(": ") + a.doc;
  }
  return s;
}

} // namespace

std::string opReferenceTable() {
  struct Row {
    std::string ops, operands, attrs;
  };
  std::vector<Row> rows;
  // Consecutive ops of Ops.def with the same operands and attributes share a
  // row.
  auto add = [&](const char *name, const OpInfo &info) {
    if (info.form == DslForm::None)
      return;
    Row r{std::string("`") + name + "`", info.operandDoc, attrColumn(info)};
    if (!rows.empty() && rows.back().operands == r.operands &&
        rows.back().attrs == r.attrs) {
      rows.back().ops += " " + r.ops;
      return;
    }
    rows.push_back(std::move(r));
  };
#define LAMINA_OP(Name, Spelling, Arity) add(Spelling, getOpInfo(OpKind::Name));
#include "lamina/Ops.def"
  rows.push_back({"`flatten` `global_avgpool`", "x", "see below"});
  rows.push_back({"`stack`", "a, b, ...", "see below"});
  rows.push_back({"`split`", "x, pieces", "see below"});
  rows.push_back({"`prelu` `layer_norm`", "x", "see below"});
  rows.push_back({"`swiglu`", "x, units", "see below"});
  rows.push_back(
      {"`rnn` `lstm` `gru`", "x, hidden [, h0 [, c0]]", "see below"});
  std::string out = "| Op | Operands | Attributes (default): meaning |\n"
                    "| --- | --- | --- |\n";
  for (const Row &r : rows)
    out += "| " + r.ops + " | " + r.operands + " | " +
           (r.attrs.empty() ? "" : r.attrs + " ") + "|\n";
  return out;
}

} // namespace lamina
