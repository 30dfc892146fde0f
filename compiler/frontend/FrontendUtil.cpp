//===- FrontendUtil.cpp - Literal folding, argument binding, suggestions --===//
#include "FrontendUtil.h"

#include "lamina/Diagnostics.h"
#include "lamina/Support.h"

#include <algorithm>

namespace lamina {
namespace frontend {

std::string didYouMean(const std::string &word,
                       const std::vector<std::string> &candidates) {
  std::string m = closestMatch(word, candidates);
  return m.empty() ? "" : "; did you mean '" + m + "'?";
}

std::optional<double> numberValue(const ast::Expr &e) {
  if (const auto *i = e.as<ast::IntLit>())
    return static_cast<double>(i->value);
  if (const auto *f = e.as<ast::FloatLit>())
    return f->value;
  if (const auto *u = e.as<ast::UnaryExpr>()) {
    if (!u->operand || u->operand->as<ast::UnaryExpr>())
      return std::nullopt;
    if (std::optional<double> v = numberValue(*u->operand))
      return -*v;
  }
  return std::nullopt;
}

std::optional<int64_t> intValue(const ast::Expr &e) {
  if (const auto *i = e.as<ast::IntLit>())
    return i->value;
  if (const auto *u = e.as<ast::UnaryExpr>())
    if (u->operand)
      if (const auto *i = u->operand->as<ast::IntLit>())
        return -i->value;
  return std::nullopt;
}

bool givesTensor(const ast::CallExpr &c) {
  return c.args.size() >= 2 && c.args[1].keyword.empty() &&
         !numberValue(*c.args[1].value);
}

std::string describeExpr(const ast::Expr &e) {
  if (const auto *i = e.as<ast::IntLit>())
    return std::to_string(i->value);
  if (const auto *f = e.as<ast::FloatLit>())
    return formatDouble(f->value);
  if (std::optional<double> v = numberValue(e)) {
    if (std::optional<int64_t> i = intValue(e))
      return std::to_string(*i);
    return formatDouble(*v);
  }
  if (const auto *n = e.as<ast::NameRef>())
    return "'" + n->name + "'";
  if (const auto *c = e.as<ast::CallExpr>())
    return "'" + c->callee + "(...)'";
  if (e.as<ast::ArrayLit>())
    return "an array";
  return "an expression";
}

std::optional<BoundArgs>
bindArgs(const ast::CallExpr &call, const std::vector<std::string> &params,
         DiagnosticEngine &diag,
         const std::map<std::string, std::string> &aliases) {
  BoundArgs out;
  out.bound.assign(params.size(), nullptr);
  bool ok = true;
  bool sawKeyword = false;
  std::vector<std::string> keywords;
  for (const std::string &p : params)
    if (p[0] != '#')
      keywords.push_back(p);
  for (const ast::Arg &a : call.args) {
    if (a.keyword.empty()) {
      if (sawKeyword) {
        diag.error(a.loc, "positional argument after a keyword argument");
        ok = false;
        continue;
      }
      if (out.positional >= params.size()) {
        if (out.positional == params.size())
          diag.error(a.loc,
                     "'" + call.callee + "' takes " +
                         (keywords.empty() ? "" : "at most ") +
                         std::to_string(params.size()) +
                         (params.size() == 1 ? " argument" : " arguments") +
                         ", got " + std::to_string(call.args.size()));
        ++out.positional;
        ok = false;
        continue;
      }
      out.bound[out.positional++] = &a;
      continue;
    }
    sawKeyword = true;
    std::string name = a.keyword;
    auto alias = aliases.find(name);
    if (alias != aliases.end())
      name = alias->second;
    auto it = std::find(params.begin(), params.end(), name);
    if (name[0] == '#' || it == params.end()) {
      diag.error(a.loc, "'" + call.callee + "' has no argument '" + a.keyword +
                            "'" + didYouMean(a.keyword, keywords));
      ok = false;
      continue;
    }
    size_t idx = static_cast<size_t>(it - params.begin());
    if (out.bound[idx]) {
      diag.error(a.loc, "argument '" + name + "' of '" + call.callee +
                            "' is given twice");
      ok = false;
      continue;
    }
    out.bound[idx] = &a;
  }
  if (!ok)
    return std::nullopt;
  return out;
}

} // namespace frontend
} // namespace lamina
