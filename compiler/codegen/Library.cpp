//===- Library.cpp - The header and C API of a model library
//---------------===//
//
// `laminac --emit=lib` links a model into lib<prefix>.a and lib<prefix>.so
// and writes <prefix>.h. The header and the C functions behind it are made
// here from the model's descriptor, from one list of functions, so the two
// cannot disagree. Each C function passes its tensors as arrays of pointers
// to the runtime's lamina::embed functions (runtime/include/lamina/Embed.h).
//
//===----------------------------------------------------------------------===//
#include "lamina/Codegen.h"
#include "lamina/abi/Descriptor.h"
#include "lamina/abi/Names.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <set>
#include <sstream>

namespace lamina {

namespace key = abi::key;

std::string libraryPrefix(const std::string &model) {
  std::string p = abi::sanitize(model);
  for (char &c : p)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return p;
}

namespace {

/// One tensor an API function takes.
struct CTensor {
  std::string name;  ///< as in the model file
  std::string ident; ///< its C parameter name
  std::string enumName;
  std::string ctype;
  std::vector<int64_t> shape;
  int64_t classes = 0;
  std::string role;
};

/// One C function: its return type, name, parameters and documentation,
/// and the body of its definition.
struct CFunction {
  std::string ret, name, params, doc, body;
};

std::string upper(std::string s) {
  for (char &c : s)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

const char *ctypeOf(const std::string &dtype) {
  return dtype == "f64" ? "double" : dtype == "i32" ? "int32_t" : "float";
}

std::string typeText(const CTensor &t) {
  std::string s = t.ctype == "double"    ? "f64"
                  : t.ctype == "int32_t" ? "i32"
                                         : "f32";
  s += "[";
  for (size_t i = 0; i < t.shape.size(); ++i)
    s += (i ? ", " : "") +
         (t.shape[i] < 0 ? std::string("batch") : std::to_string(t.shape[i]));
  return s + "]";
}

/// The API of the model `d` describes, with prefix `p`.
struct Api {
  std::string prefix, model, file;
  std::vector<CTensor> inputs, labels, outputs;
  std::vector<std::string> metrics;
  bool hasLoss = false;
  std::string lossType = "float";
  std::vector<CFunction> functions;
};

Api makeApi(const std::string &json, const std::string &p) {
  nlohmann::json d = nlohmann::json::parse(json);
  Api api;
  api.prefix = p;
  api.model = d.at(key::kModel).get<std::string>();
  api.file = d.value(key::kFile, "");
  // C keywords and the API's own parameter names may not name a tensor.
  std::set<std::string> used = {
      "auto",     "break",    "case",     "char",     "const",    "continue",
      "default",  "do",       "double",   "else",     "enum",     "extern",
      "float",    "for",      "goto",     "if",       "inline",   "int",
      "long",     "register", "restrict", "return",   "short",    "signed",
      "sizeof",   "static",   "struct",   "switch",   "typedef",  "union",
      "unsigned", "void",     "volatile", "while",    "model",    "batch",
      "lr",       "loss",     "metrics",  "path",     "int32_t",  "int64_t",
      "bool",     "true",     "false",    "this",     "new",      "delete",
      "class",    "private",  "public",   "template", "operator", "in",
      "lb",       "out",      "l"};
  std::set<std::string> enums;
  auto add = [&](const nlohmann::json &t, const char *role) {
    CTensor c;
    c.name = t.at(key::kName).get<std::string>();
    c.role = role;
    c.ctype = ctypeOf(t.at(key::kDType).get<std::string>());
    c.shape = t.at(key::kShape).get<std::vector<int64_t>>();
    c.classes = t.value(key::kClasses, int64_t(0));
    std::string id = abi::sanitize(c.name);
    while (!used.insert(id).second)
      id += "_";
    c.ident = id;
    std::string e = upper(p + "_" + abi::sanitize(c.name));
    while (!enums.insert(e).second)
      e += "_";
    c.enumName = e;
    return c;
  };
  for (const auto &t : d.at(key::kInputs))
    api.inputs.push_back(add(t, "input"));
  for (const auto &t : d.at(key::kLabels))
    api.labels.push_back(add(t, "label"));
  for (const auto &t : d.at(key::kOutputs))
    api.outputs.push_back(add(t, "output"));
  for (const auto &m : d.at(key::kMetrics))
    api.metrics.push_back(m.at(key::kName).get<std::string>());
  api.hasLoss = d.value(key::kHasLoss, false);
  api.lossType = ctypeOf(d.value(key::kLossDType, "f32"));

  const std::string t = p + "_t";
  auto params = [](const std::vector<CTensor> &list, bool constant) {
    std::string s;
    for (const CTensor &c : list)
      s += std::string(", ") + (constant ? "const " : "") + c.ctype + " *" +
           c.ident;
    return s;
  };
  auto array = [](const char *name, const std::vector<CTensor> &list,
                  bool constant) {
    std::string s = std::string("  ") + (constant ? "const " : "") +
                    "void *const " + name + "[] = {";
    for (const CTensor &c : list)
      s += c.ident + ", ";
    return s + "nullptr};\n";
  };
  auto &f = api.functions;
  f.push_back({t + " *", p + "_create", "const char *checkpoint",
               "A model with the parameters (and optimizer state, if it has "
               "them) of the checkpoint at `checkpoint`, as the executable's "
               "train --checkpoint writes it; with checkpoint NULL, the "
               "values the model file gives and the train block's seed for "
               "the rest. NULL on failure: " +
                   p + "_create_error() says why.",
               "  return wrap(lamina::embed::create(source(), checkpoint, "
               "nullptr));\n"});
  f.push_back({t + " *", p + "_create_seeded", "uint64_t seed",
               "A model initialized with `seed` (the values the model file "
               "gives, the rest drawn with the seed).",
               "  return wrap(lamina::embed::create(source(), nullptr, "
               "&seed));\n"});
  f.push_back(
      {"const char *", p + "_create_error", "void",
       "Why this thread's last " + p + "_create failed (\"\" if it did not).",
       "  return lamina::embed::createError();\n"});
  if (!api.outputs.empty())
    f.push_back({"int", p + "_predict",
                 t + " *model" + params(api.inputs, true) + ", int64_t batch" +
                     params(api.outputs, false),
                 "Runs the model on `batch` rows of each input and writes "
                 "`batch` rows of each output.",
                 array("in", api.inputs, true) +
                     array("out", api.outputs, false) +
                     "  return lamina::embed::predict(unwrap(model), in, "
                     "batch, out);\n"});
  if (api.hasLoss || !api.metrics.empty()) {
    std::string ps = t + " *model" + params(api.inputs, true) +
                     params(api.labels, true) + ", int64_t batch";
    std::string body = array("in", api.inputs, true) +
                       array("lb", api.labels, true) + "  double l = 0;\n";
    if (api.hasLoss)
      ps += ", " + api.lossType + " *loss";
    if (!api.metrics.empty())
      ps += ", double *metrics";
    body += "  int rc = lamina::embed::eval(unwrap(model), in, lb, batch, " +
            std::string(api.hasLoss ? "loss ? &l : nullptr" : "nullptr") +
            ", " + (api.metrics.empty() ? "nullptr" : "metrics") + ");\n";
    if (api.hasLoss)
      body += "  if (rc == 0 && loss)\n    *loss = static_cast<" +
              api.lossType + ">(l);\n";
    else
      body += "  (void)l;\n";
    f.push_back({"int", p + "_eval", ps,
                 "The mean loss" +
                     std::string(api.metrics.empty()
                                     ? ""
                                     : " and the metrics (" + upper(p) +
                                           "_NUM_METRICS values, in the "
                                           "order of the " +
                                           upper(p) + "_METRIC_* indices)") +
                     " over `batch` rows; a NULL pointer skips its result.",
                 body + "  return rc;\n"});
  }
  if (api.hasLoss)
    f.push_back({"int", p + "_train_step",
                 t + " *model" + params(api.inputs, true) +
                     params(api.labels, true) + ", int64_t batch, double lr, " +
                     api.lossType + " *loss",
                 "One step of the train block's optimizer on `batch` rows "
                 "with learning rate `lr`; the batch's loss (before the "
                 "update) into `loss` unless it is NULL.",
                 array("in", api.inputs, true) + array("lb", api.labels, true) +
                     "  double l = 0;\n"
                     "  int rc = lamina::embed::trainStep(unwrap(model), in, "
                     "lb, batch, lr, &l);\n"
                     "  if (rc == 0 && loss)\n    *loss = static_cast<" +
                     api.lossType + ">(l);\n  return rc;\n"});
  f.push_back({"int", p + "_save", t + " *model, const char *path",
               "Writes the parameters, optimizer state and step count to "
               "`path` atomically, as a checkpoint the executable reads.",
               "  return lamina::embed::save(unwrap(model), path);\n"});
  f.push_back(
      {"const char *", p + "_error", t + " *model",
       "The message of the model's last failed call (\"\" if none), valid "
       "until the model's next call.",
       "  return lamina::embed::error(unwrap(model));\n"});
  f.push_back({"void", p + "_set_threads", "int threads",
               "Threads for the kernels' parallel loops of every " + p +
                   " model (0: HL_NUM_THREADS if set, else every core).",
               "  lamina::embed::setThreads(threads);\n"});
  f.push_back({"void", p + "_destroy", t + " *model",
               "Frees the model (NULL is allowed).",
               "  lamina::embed::destroy(unwrap(model));\n"});
  return api;
}

/// `text` as a C comment of lines of at most 80 columns.
std::string comment(const std::string &text) {
  std::istringstream words(text);
  std::string out = "/*", line, w;
  while (words >> w) {
    if (!line.empty() && line.size() + 1 + w.size() > 76) {
      out += line + "\n *";
      line.clear();
    }
    line += " " + w;
  }
  return out + line + " */\n";
}

std::string declaration(const CFunction &f) {
  return f.ret + (f.ret.back() == '*' ? "" : " ") + f.name + "(" + f.params +
         ")";
}

} // namespace

std::string libraryHeader(const std::string &descriptorJson,
                          const std::string &prefix) {
  Api api = makeApi(descriptorJson, prefix);
  const std::string P = upper(prefix);
  std::ostringstream os;
  os << "/* " << prefix << ".h: the C API of model " << api.model;
  if (!api.file.empty())
    os << " (" << api.file << ")";
  os << ",\n * generated by laminac " << LAMINA_VERSION << ". Do not edit.\n"
     << " *\n"
     << " * Link lib" << prefix << ".a or lib" << prefix
     << ".so and the C++ runtime it uses:\n"
     << " *   cc app.c -IDIR DIR/lib" << prefix
     << ".a -lstdc++ -lz -lpthread -ldl -lm\n"
     << " * No Halide or LLVM header is needed. Only " << prefix
     << "_* symbols are exported, so the\n"
     << " * libraries of several models link into one program.\n"
     << " *\n"
     << " * Tensors are passed as pointers to dense row-major data of the "
        "declared\n"
     << " * element type; the first dimension of each is the batch: `batch` "
        "rows of\n"
     << " * " << P
     << "_<NAME>_SIZE elements. The int functions return 0 on "
        "success, else -1\n"
     << " * and " << prefix
     << "_error(model) says why. A model is used by one "
        "thread at a time;\n"
     << " * distinct models may be used by distinct threads at once.\n"
     << " *\n";
  auto listTensor = [&](const CTensor &c) {
    os << " *   " << c.role << " " << c.name << ": " << typeText(c);
    if (c.classes > 0)
      os << ", values 0.." << c.classes - 1;
    if (c.shape.empty() || c.shape[0] >= 0)
      os << " (no batch: written once by each call)";
    os << "\n";
  };
  for (const auto *list : {&api.inputs, &api.labels, &api.outputs})
    for (const CTensor &c : *list)
      listTensor(c);
  if (api.hasLoss)
    os << " *   loss: " << (api.lossType == "double" ? "f64" : "f32") << "\n";
  for (const std::string &m : api.metrics)
    os << " *   metric " << m << "\n";
  os << " */\n"
     << "#ifndef LAMINA_MODEL_" << P << "_H\n"
     << "#define LAMINA_MODEL_" << P << "_H\n\n"
     << "#include <stdint.h>\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << "/* Shapes: the elements of one row (SIZE) and each dimension after "
        "the batch\n * (of a tensor without one, all of them). */\n"
     << "enum {\n";
  for (const auto *list : {&api.inputs, &api.labels, &api.outputs})
    for (const CTensor &c : *list) {
      int64_t size = 1;
      bool batched = !c.shape.empty() && c.shape[0] < 0;
      for (size_t i = batched ? 1 : 0; i < c.shape.size(); ++i) {
        os << "  " << c.enumName << "_DIM" << i << " = " << c.shape[i] << ",\n";
        size *= c.shape[i];
      }
      os << "  " << c.enumName << "_SIZE = " << size << ",\n";
      if (c.classes > 0)
        os << "  " << c.enumName << "_CLASSES = " << c.classes << ",\n";
    }
  os << "  " << P << "_NUM_METRICS = " << api.metrics.size() << "\n};\n\n";
  if (!api.metrics.empty()) {
    os << "/* Indices into the metrics of " << prefix << "_eval. */\nenum {\n";
    for (size_t i = 0; i < api.metrics.size(); ++i)
      os << "  " << P << "_METRIC_" << upper(abi::sanitize(api.metrics[i]))
         << " = " << i << (i + 1 < api.metrics.size() ? ",\n" : "\n");
    os << "};\n\n";
  }
  os << "typedef struct " << prefix << "_model " << prefix << "_t;\n\n";
  for (const CFunction &f : api.functions)
    os << comment(f.doc) << declaration(f) << ";\n\n";
  os << "#ifdef __cplusplus\n}\n#endif\n\n"
     << "#endif /* LAMINA_MODEL_" << P << "_H */\n";
  return os.str();
}

std::vector<std::string> libraryFunctions(const std::string &descriptorJson,
                                          const std::string &prefix) {
  std::vector<std::string> names;
  for (const CFunction &f : makeApi(descriptorJson, prefix).functions)
    names.push_back(f.name);
  return names;
}

std::string libraryApiSource(const std::string &descriptorJson,
                             const std::string &prefix) {
  Api api = makeApi(descriptorJson, prefix);
  std::ostringstream os;
  os << "// Generated by laminac. Do not edit.\n"
     << "#include \"" << prefix << ".h\"\n"
     << "#include \"lamina/Embed.h\"\n"
     << "#include \"lamina/Generated.h\"\n\n"
     << "namespace {\n"
     << "const lamina::ModelSource &source() {\n"
     << "  static const lamina::ModelSource src = [] {\n"
     << "    lamina::installKernelRuntime();\n"
     << "    return lamina::generatedModel();\n"
     << "  }();\n"
     << "  return src;\n"
     << "}\n"
     << "lamina::embed::Model *unwrap(" << prefix << "_t *m) {\n"
     << "  return reinterpret_cast<lamina::embed::Model *>(m);\n"
     << "}\n"
     << prefix << "_t *wrap(lamina::embed::Model *m) {\n"
     << "  return reinterpret_cast<" << prefix << "_t *>(m);\n"
     << "}\n"
     << "} // namespace\n\n"
     << "extern \"C\" {\n\n";
  for (const CFunction &f : api.functions)
    os << declaration(f) << " {\n" << f.body << "}\n\n";
  os << "} // extern \"C\"\n";
  return os.str();
}

} // namespace lamina
