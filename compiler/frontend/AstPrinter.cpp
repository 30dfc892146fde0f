//===- AstPrinter.cpp - The AST as an indented tree (--emit=ast) ----------===//
//
// One line per node, children indented by two spaces, every line that has a
// location ending in <line:L:C>. Array literals of plain numbers print on
// one line in source form.
//
//===----------------------------------------------------------------------===//
#include "lamina/AST.h"
#include "lamina/Frontend.h"
#include "lamina/Support.h"

#include <ostream>

namespace lamina {

namespace {

class AstPrinter {
public:
  explicit AstPrinter(std::ostream &os) : os_(os) {}

  void print(const ast::ModelFile &m) {
    os_ << "ModelFile\n";
    for (const ast::Model &model : m.models)
      printModel(model, 1);
    for (const ast::TrainBlock &t : m.trains)
      printTrain(t, 1);
  }

private:
  void indent(unsigned level) {
    for (unsigned i = 0; i < level; ++i)
      os_ << "  ";
  }
  void endLine(const SourceLoc &loc) {
    os_ << " <line:" << loc.line << ':' << loc.col << ">\n";
  }

  void printModel(const ast::Model &m, unsigned level) {
    indent(level);
    os_ << "Model " << m.name;
    endLine(m.loc);
    for (const ast::Decl &d : m.decls)
      printDecl(d, level + 1);
  }

  void printDecl(const ast::Decl &d, unsigned level) {
    indent(level);
    os_ << ast::declKindName(d.kind);
    if (!d.names.empty()) {
      for (size_t i = 0; i < d.names.size(); ++i)
        os_ << (i ? ", " : " ") << d.names[i];
    } else if (!d.name.empty()) {
      os_ << ' ' << d.name;
    }
    if (d.kind == ast::DeclKind::Input || d.kind == ast::DeclKind::Label ||
        d.kind == ast::DeclKind::Param)
      os_ << " : " << typeToString(d.type.type);
    endLine(d.loc);
    if (d.value)
      printExpr(*d.value, level + 1);
  }

  void printTrain(const ast::TrainBlock &t, unsigned level) {
    indent(level);
    os_ << "Train " << t.model;
    endLine(t.loc);
    for (const ast::Setting &s : t.settings) {
      indent(level + 1);
      os_ << "Setting " << s.key;
      endLine(s.loc);
      if (s.value)
        printExpr(*s.value, level + 2);
    }
  }

  /// True if `e` is a number, possibly negated, a bare name, or an array of
  /// those: it then prints on one line.
  static bool isPlainLiteral(const ast::Expr &e) {
    if (e.as<ast::IntLit>() || e.as<ast::FloatLit>() || e.as<ast::NameRef>())
      return true;
    if (const auto *u = e.as<ast::UnaryExpr>())
      return u->operand &&
             (u->operand->as<ast::IntLit>() || u->operand->as<ast::FloatLit>());
    if (const auto *a = e.as<ast::ArrayLit>()) {
      for (const ast::ExprPtr &el : a->elements)
        if (!el || !isPlainLiteral(*el))
          return false;
      return true;
    }
    return false;
  }

  /// Source form of a plain literal: "[[1, 2], [-0.5, batch]]".
  void printPlain(const ast::Expr &e) {
    if (const auto *i = e.as<ast::IntLit>()) {
      os_ << i->value;
    } else if (const auto *f = e.as<ast::FloatLit>()) {
      os_ << formatDouble(f->value);
    } else if (const auto *n = e.as<ast::NameRef>()) {
      os_ << n->name;
    } else if (const auto *u = e.as<ast::UnaryExpr>()) {
      os_ << '-';
      printPlain(*u->operand);
    } else if (const auto *a = e.as<ast::ArrayLit>()) {
      os_ << '[';
      for (size_t k = 0; k < a->elements.size(); ++k) {
        if (k)
          os_ << ", ";
        printPlain(*a->elements[k]);
      }
      os_ << ']';
    }
  }

  void printExpr(const ast::Expr &e, unsigned level) {
    indent(level);
    switch (e.kind()) {
    case ast::Expr::Kind::Int:
      os_ << "Int " << e.as<ast::IntLit>()->value;
      endLine(e.loc());
      return;
    case ast::Expr::Kind::Float:
      os_ << "Float " << formatDouble(e.as<ast::FloatLit>()->value);
      endLine(e.loc());
      return;
    case ast::Expr::Kind::Name:
      os_ << "Name " << e.as<ast::NameRef>()->name;
      endLine(e.loc());
      return;
    case ast::Expr::Kind::Array: {
      os_ << "Array";
      if (isPlainLiteral(e)) {
        os_ << ' ';
        printPlain(e);
        endLine(e.loc());
        return;
      }
      endLine(e.loc());
      for (const ast::ExprPtr &el : e.as<ast::ArrayLit>()->elements)
        if (el)
          printExpr(*el, level + 1);
      return;
    }
    case ast::Expr::Kind::Unary:
      os_ << "Neg";
      endLine(e.loc());
      if (const ast::ExprPtr &op = e.as<ast::UnaryExpr>()->operand)
        printExpr(*op, level + 1);
      return;
    case ast::Expr::Kind::Binary: {
      const auto *b = e.as<ast::BinaryExpr>();
      os_ << "Binary " << ast::binaryOpSpelling(b->op);
      endLine(e.loc());
      if (b->lhs)
        printExpr(*b->lhs, level + 1);
      if (b->rhs)
        printExpr(*b->rhs, level + 1);
      return;
    }
    case ast::Expr::Kind::Call: {
      const auto *c = e.as<ast::CallExpr>();
      os_ << "Call " << c->callee;
      endLine(e.loc());
      for (const ast::Arg &a : c->args) {
        if (a.keyword.empty()) {
          if (a.value)
            printExpr(*a.value, level + 1);
          continue;
        }
        indent(level + 1);
        os_ << "Keyword " << a.keyword;
        endLine(a.loc);
        if (a.value)
          printExpr(*a.value, level + 2);
      }
      return;
    }
    }
  }

  std::ostream &os_;
};

} // namespace

void printAst(const ast::ModelFile &m, std::ostream &os) {
  AstPrinter(os).print(m);
}

} // namespace lamina
