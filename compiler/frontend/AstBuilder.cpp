//===- AstBuilder.cpp - ANTLR parse tree -> AST ---------------------------===//
//
// Step 4 of parseModelFile, after the parser: AstBuilder turns the parse
// tree into the AST, checking literals, element types and shapes on the way.
//
//===----------------------------------------------------------------------===//
#include "ParseSteps.h"

#include <cmath>
#include <cstdlib>
#include <limits>

using lamina_antlr::LaminaParser;

namespace lamina {
namespace frontend {

namespace {

using ast::ExprPtr;

/// An expression tree (long operator chains included) may be this deep, so
/// the recursive walks over it stay far from the stack limit.
constexpr unsigned kMaxExprDepth = 1024;
/// A declared shape may have at most this many elements per sample.
constexpr int64_t kMaxElements = int64_t(1) << 40;

/// Converts the parse tree into the AST, checking literals and types. Errors
/// are reported and conversion goes on; the caller drops the result if
/// there were any.
class AstBuilder {
public:
  AstBuilder(std::string file, DiagnosticEngine &diag)
      : file_(std::move(file)), diag_(diag) {}

  /// modelFile ::= (model | trainBlock)* EOF
  std::unique_ptr<ast::ModelFile> build(LaminaParser::ModelFileContext *ctx) {
    auto m = std::make_unique<ast::ModelFile>();
    m->file = file_;
    for (antlr4::tree::ParseTree *child : ctx->children) {
      if (auto *mc = dynamic_cast<LaminaParser::ModelContext *>(child))
        m->models.push_back(convertModel(mc));
      else if (auto *tc =
                   dynamic_cast<LaminaParser::TrainBlockContext *>(child))
        m->trains.push_back(convertTrain(tc));
    }
    return m;
  }

private:
  SourceLoc loc(antlr4::Token *t) const {
    return makeLoc(file_, t->getLine(), t->getCharPositionInLine());
  }
  SourceLoc loc(antlr4::tree::TerminalNode *n) const {
    return loc(n->getSymbol());
  }

  /// model ::= 'model' ID '{' decl* '}'
  ast::Model convertModel(LaminaParser::ModelContext *ctx) {
    ast::Model m;
    m.name = ctx->ID()->getText();
    m.loc = loc(ctx->MODEL());
    for (LaminaParser::DeclContext *d : ctx->decl())
      m.decls.push_back(convertDecl(d));
    return m;
  }

  /// decl ::= 'input' ID ':' typeSpec ';' | 'label' ID ':' typeSpec ';'
  ///        | 'param' ID ':' typeSpec ('=' expr)? ';' | 'loss' expr ';'
  ///        | 'metric' (ID '=')? expr ';' | 'output' ID '=' expr ';'
  ///        | ID '=' expr ';' | ID (',' ID)+ '=' expr ';'
  ast::Decl convertDecl(LaminaParser::DeclContext *ctx) {
    ast::Decl d;
    d.loc = loc(ctx->getStart());
    auto named = [&](antlr4::tree::TerminalNode *id) {
      d.name = id->getText();
      d.nameLoc = loc(id);
    };
    if (auto *c = dynamic_cast<LaminaParser::InputDeclContext *>(ctx)) {
      d.kind = ast::DeclKind::Input;
      named(c->ID());
      d.type = convertType(c->typeSpec(), /*allowBatch=*/true);
    } else if (auto *c = dynamic_cast<LaminaParser::LabelDeclContext *>(ctx)) {
      d.kind = ast::DeclKind::Label;
      named(c->ID());
      d.type = convertType(c->typeSpec(), /*allowBatch=*/true);
    } else if (auto *c = dynamic_cast<LaminaParser::ParamDeclContext *>(ctx)) {
      d.kind = ast::DeclKind::Param;
      named(c->ID());
      d.type = convertType(c->typeSpec(), /*allowBatch=*/false);
      if (c->expr())
        d.value = convertExpr(c->expr());
    } else if (auto *c = dynamic_cast<LaminaParser::LossDeclContext *>(ctx)) {
      d.kind = ast::DeclKind::Loss;
      d.value = convertExpr(c->expr());
    } else if (auto *c =
                   dynamic_cast<LaminaParser::NamedMetricDeclContext *>(ctx)) {
      d.kind = ast::DeclKind::Metric;
      named(c->ID());
      d.value = convertExpr(c->expr());
    } else if (auto *c = dynamic_cast<LaminaParser::MetricDeclContext *>(ctx)) {
      d.kind = ast::DeclKind::Metric;
      d.value = convertExpr(c->expr());
    } else if (auto *c = dynamic_cast<LaminaParser::OutputDeclContext *>(ctx)) {
      d.kind = ast::DeclKind::Output;
      named(c->ID());
      d.value = convertExpr(c->expr());
    } else if (auto *c = dynamic_cast<LaminaParser::LetDeclContext *>(ctx)) {
      d.kind = ast::DeclKind::Let;
      named(c->ID());
      d.value = convertExpr(c->expr());
    } else if (auto *c = dynamic_cast<LaminaParser::SplitDeclContext *>(ctx)) {
      d.kind = ast::DeclKind::Split;
      for (antlr4::tree::TerminalNode *id : c->ID()) {
        d.names.push_back(id->getText());
        d.nameLocs.push_back(loc(id));
      }
      named(c->ID(0));
      d.value = convertExpr(c->expr());
    }
    return d;
  }

  /// typeSpec ::= ID ('[' (dim (',' dim)*)? ']')?
  /// dim ::= '-'? INT | ID
  ast::TypeSpec convertType(LaminaParser::TypeSpecContext *ctx,
                            bool allowBatch) {
    ast::TypeSpec t;
    t.loc = loc(ctx->ID());
    std::string dtype = ctx->ID()->getText();
    if (std::optional<DType> dt = parseDType(dtype))
      t.type.dtype = *dt;
    else
      diag_.error(t.loc, "unknown element type '" + dtype +
                             "'; expected f32, f64 or i32");
    bool ok = true;
    std::vector<LaminaParser::DimContext *> dims = ctx->dim();
    for (size_t i = 0; i < dims.size(); ++i) {
      LaminaParser::DimContext *d = dims[i];
      SourceLoc dloc = loc(d->getStart());
      if (antlr4::tree::TerminalNode *id = d->ID()) {
        std::string name = id->getText();
        if (name != "batch") {
          diag_.error(dloc, "unknown dimension '" + name +
                                "'; a dimension is an integer or 'batch'");
          ok = false;
        } else if (!allowBatch) {
          diag_.error(dloc, "a parameter cannot have a batch dimension");
          ok = false;
        } else if (i != 0) {
          diag_.error(dloc, "'batch' must be the first dimension");
          ok = false;
        }
        t.type.shape.push_back(kBatch);
        continue;
      }
      std::optional<int64_t> v = parseInt(d->INT());
      if (!v) {
        ok = false;
        t.type.shape.push_back(1);
        continue;
      }
      int64_t dim = d->MINUS() ? -*v : *v;
      if (dim <= 0) {
        diag_.error(dloc,
                    "dimension must be positive, got " + std::to_string(dim));
        ok = false;
        dim = 1;
      }
      t.type.shape.push_back(dim);
    }
    if (ok && !fitsElementLimit(t.type.shape))
      diag_.error(t.loc, "shape " + shapeToString(t.type.shape) +
                             " has more than 2^40 elements");
    return t;
  }

  static bool fitsElementLimit(const Shape &s) {
    int64_t n = 1;
    for (int64_t d : s) {
      if (d == kBatch)
        continue;
      if (d > kMaxElements / n)
        return false;
      n *= d;
    }
    return true;
  }

  /// Parses an INT token ('_' separators allowed); reports values beyond
  /// int64.
  std::optional<int64_t> parseInt(antlr4::tree::TerminalNode *tok) {
    std::string text = tok->getText();
    int64_t v = 0;
    for (char c : text) {
      if (c == '_')
        continue;
      int digit = c - '0';
      if (v > (std::numeric_limits<int64_t>::max() - digit) / 10) {
        diag_.error(loc(tok),
                    "integer literal '" + text +
                        "' is too large (the maximum is 9223372036854775807)");
        return std::nullopt;
      }
      v = v * 10 + digit;
    }
    return v;
  }

  /// expr ::= primary | '-' expr | expr ('*' | '/' | '@') expr
  ///        | expr ('+' | '-') expr
  /// Left-associative chains form the parse tree's left spine; it is walked
  /// with a loop so a long sum does not recurse once per term.
  ExprPtr convertExpr(LaminaParser::ExprContext *ctx) {
    unsigned depth = 0;
    return convertExpr(ctx, depth);
  }

  ExprPtr convertExpr(LaminaParser::ExprContext *ctx, unsigned &depth) {
    std::vector<LaminaParser::ExprContext *> spine;
    LaminaParser::ExprContext *cur = ctx;
    for (;;) {
      if (auto *m = dynamic_cast<LaminaParser::MulExprContext *>(cur)) {
        spine.push_back(m);
        cur = m->expr(0);
        continue;
      }
      if (auto *a = dynamic_cast<LaminaParser::AddExprContext *>(cur)) {
        spine.push_back(a);
        cur = a->expr(0);
        continue;
      }
      break;
    }
    ExprPtr result = convertUnaryOrPrimary(cur, depth);
    for (auto it = spine.rbegin(); it != spine.rend(); ++it) {
      antlr4::Token *op;
      LaminaParser::ExprContext *rhsCtx;
      if (auto *m = dynamic_cast<LaminaParser::MulExprContext *>(*it)) {
        op = m->op;
        rhsCtx = m->expr(1);
      } else {
        auto *a = static_cast<LaminaParser::AddExprContext *>(*it);
        op = a->op;
        rhsCtx = a->expr(1);
      }
      unsigned rhsDepth = 0;
      ExprPtr rhs = convertExpr(rhsCtx, rhsDepth);
      depth = std::max(depth, rhsDepth) + 1;
      if (depth > kMaxExprDepth) {
        diag_.error(loc(op), "expression is too complex (its tree is more "
                             "than " +
                                 std::to_string(kMaxExprDepth) +
                                 " levels deep)");
        depth = 0;
        return nullptr;
      }
      ast::BinaryOp bop = ast::BinaryOp::Add;
      switch (op->getType()) {
      case LaminaParser::PLUS:
        bop = ast::BinaryOp::Add;
        break;
      case LaminaParser::MINUS:
        bop = ast::BinaryOp::Sub;
        break;
      case LaminaParser::STAR:
        bop = ast::BinaryOp::Mul;
        break;
      case LaminaParser::SLASH:
        bop = ast::BinaryOp::Div;
        break;
      case LaminaParser::AT:
        bop = ast::BinaryOp::MatMul;
        break;
      }
      result = std::make_unique<ast::BinaryExpr>(bop, std::move(result),
                                                 std::move(rhs), loc(op));
    }
    return result;
  }

  ExprPtr convertUnaryOrPrimary(LaminaParser::ExprContext *ctx,
                                unsigned &depth) {
    if (auto *n = dynamic_cast<LaminaParser::NegExprContext *>(ctx)) {
      ExprPtr operand = convertExpr(n->expr(), depth);
      ++depth;
      return std::make_unique<ast::UnaryExpr>(std::move(operand),
                                              loc(n->MINUS()));
    }
    auto *p = static_cast<LaminaParser::PrimaryExprContext *>(ctx);
    return convertPrimary(p->primary(), depth);
  }

  /// primary ::= ID '(' argList? ')' | ID | INT | FLOAT
  ///           | '[' (expr (',' expr)* ','?)? ']' | '(' expr ')'
  ExprPtr convertPrimary(LaminaParser::PrimaryContext *ctx, unsigned &depth) {
    depth = 1;
    if (auto *c = dynamic_cast<LaminaParser::CallExprContext *>(ctx)) {
      std::vector<ast::Arg> args;
      if (LaminaParser::ArgListContext *al = c->argList())
        for (LaminaParser::ArgContext *a : al->arg())
          args.push_back(convertArg(a, depth));
      ++depth;
      return std::make_unique<ast::CallExpr>(c->ID()->getText(),
                                             std::move(args), loc(c->ID()));
    }
    if (auto *n = dynamic_cast<LaminaParser::NameExprContext *>(ctx))
      return std::make_unique<ast::NameRef>(n->ID()->getText(), loc(n->ID()));
    if (auto *i = dynamic_cast<LaminaParser::IntExprContext *>(ctx)) {
      std::optional<int64_t> v = parseInt(i->INT());
      return std::make_unique<ast::IntLit>(v.value_or(0), loc(i->INT()));
    }
    if (auto *f = dynamic_cast<LaminaParser::FloatExprContext *>(ctx)) {
      std::string text = f->FLOAT()->getText();
      std::string digits;
      for (char c : text)
        if (c != '_')
          digits += c;
      double v = std::strtod(digits.c_str(), nullptr);
      if (std::isinf(v))
        diag_.error(loc(f->FLOAT()),
                    "floating-point literal '" + text + "' is out of range");
      return std::make_unique<ast::FloatLit>(v, loc(f->FLOAT()));
    }
    if (auto *a = dynamic_cast<LaminaParser::ArrayExprContext *>(ctx)) {
      std::vector<ExprPtr> elems;
      unsigned maxDepth = 0;
      for (LaminaParser::ExprContext *e : a->expr()) {
        unsigned d = 0;
        elems.push_back(convertExpr(e, d));
        maxDepth = std::max(maxDepth, d);
      }
      depth = maxDepth + 1;
      return std::make_unique<ast::ArrayLit>(std::move(elems),
                                             loc(a->LBRACK()));
    }
    auto *p = static_cast<LaminaParser::ParenExprContext *>(ctx);
    return convertExpr(p->expr(), depth);
  }

  /// arg ::= ID '=' expr | expr
  ast::Arg convertArg(LaminaParser::ArgContext *ctx, unsigned &depth) {
    ast::Arg a;
    unsigned d = 0;
    if (auto *k = dynamic_cast<LaminaParser::KeywordArgContext *>(ctx)) {
      a.keyword = k->ID()->getText();
      a.loc = loc(k->ID());
      a.value = convertExpr(k->expr(), d);
    } else {
      auto *p = static_cast<LaminaParser::PositionalArgContext *>(ctx);
      a.loc = loc(p->getStart());
      a.value = convertExpr(p->expr(), d);
    }
    depth = std::max(depth, d);
    return a;
  }

  /// trainBlock ::= 'train' ID '{' setting* '}'
  /// setting ::= ID '=' expr ';'
  ast::TrainBlock convertTrain(LaminaParser::TrainBlockContext *ctx) {
    ast::TrainBlock t;
    t.model = ctx->ID()->getText();
    t.loc = loc(ctx->TRAIN());
    t.modelLoc = loc(ctx->ID());
    for (LaminaParser::SettingContext *s : ctx->setting()) {
      ast::Setting st;
      st.key = s->ID()->getText();
      st.loc = loc(s->ID());
      st.value = convertExpr(s->expr());
      t.settings.push_back(std::move(st));
    }
    return t;
  }

  std::string file_;
  DiagnosticEngine &diag_;
};

} // namespace

std::unique_ptr<ast::ModelFile>
buildAst(lamina_antlr::LaminaParser::ModelFileContext *tree,
         const std::string &file, DiagnosticEngine &diag) {
  return AstBuilder(file, diag).build(tree);
}

} // namespace frontend
} // namespace lamina
