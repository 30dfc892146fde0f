// Lamina.g4 - the grammar of Lamina model files (.lam).
//
// The language reference is dsl/README.md. The build runs
//   antlr4 -Dlanguage=Cpp -visitor -no-listener -package lamina_antlr
// on this file; compiler/frontend/Parser.cpp turns the parse tree into the
// AST of compiler/include/lamina/AST.h.
//
// Everything semantic (which names are dtypes or ops, literal ranges, shapes)
// is checked after parsing, so the grammar stays small and the errors can say
// more than "unexpected token".
grammar Lamina;

// ----------------------------------------------------------------------------
// Parser rules.
// ----------------------------------------------------------------------------

// A file holds models and train blocks in any order.
modelFile : (model | trainBlock)* EOF ;

model : MODEL ID LBRACE decl* RBRACE ;

decl
  : INPUT ID COLON typeSpec SEMI                  # InputDecl
  | LABEL ID COLON typeSpec SEMI                  # LabelDecl
  | PARAM ID COLON typeSpec (ASSIGN expr)? SEMI   # ParamDecl
  | LOSS expr SEMI                                # LossDecl
  | METRIC ID ASSIGN expr SEMI                    # NamedMetricDecl
  | METRIC expr SEMI                              # MetricDecl
  | OUTPUT ID ASSIGN expr SEMI                    # OutputDecl
  | ID ASSIGN expr SEMI                           # LetDecl
  | ID (COMMA ID)+ ASSIGN expr SEMI               # SplitDecl
  ;

// f32[batch, 784]; a bare dtype or empty brackets is a scalar.
typeSpec : ID (LBRACK (dim (COMMA dim)*)? RBRACK)? ;

// The sign is accepted so a negative dimension gets a clear error.
dim : MINUS? INT | ID ;

// Alternatives are listed from the highest precedence to the lowest; all
// binary operators are left-associative.
expr
  : primary                                       # PrimaryExpr
  | MINUS expr                                    # NegExpr
  | expr op=(STAR | SLASH | AT) expr              # MulExpr
  | expr op=(PLUS | MINUS) expr                   # AddExpr
  ;

primary
  : ID LPAREN argList? RPAREN                     # CallExpr
  | ID                                            # NameExpr
  | INT                                           # IntExpr
  | FLOAT                                         # FloatExpr
  | LBRACK (expr (COMMA expr)* COMMA?)? RBRACK    # ArrayExpr
  | LPAREN expr RPAREN                            # ParenExpr
  ;

argList : arg (COMMA arg)* ;

arg
  : ID ASSIGN expr                                # KeywordArg
  | expr                                          # PositionalArg
  ;

trainBlock : TRAIN ID LBRACE setting* RBRACE ;

setting : ID ASSIGN expr SEMI ;

// ----------------------------------------------------------------------------
// Lexer rules.
// ----------------------------------------------------------------------------

MODEL  : 'model' ;
TRAIN  : 'train' ;
INPUT  : 'input' ;
LABEL  : 'label' ;
PARAM  : 'param' ;
LOSS   : 'loss' ;
METRIC : 'metric' ;
OUTPUT : 'output' ;

LBRACE : '{' ;
RBRACE : '}' ;
LPAREN : '(' ;
RPAREN : ')' ;
LBRACK : '[' ;
RBRACK : ']' ;
COLON  : ':' ;
SEMI   : ';' ;
COMMA  : ',' ;
ASSIGN : '=' ;
PLUS   : '+' ;
MINUS  : '-' ;
STAR   : '*' ;
SLASH  : '/' ;
AT     : '@' ;

// 0.5, 1., .5, 1e-3, 2.5E+4. Digits may be grouped with '_': 160_000.
FLOAT
  : DIGITS '.' DIGITS? EXPONENT?
  | '.' DIGITS EXPONENT?
  | DIGITS EXPONENT
  ;
INT : DIGITS ;
ID  : [a-zA-Z_] [a-zA-Z_0-9]* ;

fragment DIGITS   : [0-9] ('_'? [0-9])* ;
fragment EXPONENT : [eE] [+-]? [0-9]+ ;

WS            : [ \t\r\n\f]+ -> skip ;
LINE_COMMENT  : '//' ~[\r\n]* -> skip ;
BLOCK_COMMENT : '/*' .*? '*/' -> skip ;
// A '/*' without its '*/'. It cannot contain "*/", so it only wins when the
// comment really runs to the end of the file; the frontend reports it.
UNTERMINATED_COMMENT : '/*' (~'*' | '*'+ ~[*/])* '*'* EOF -> channel(HIDDEN) ;
