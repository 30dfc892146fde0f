//===- IR.h - Lamina graph IR: typed SSA values with static shapes --------===//
//
// A Graph is a list of Nodes in creation order. Every Node produces exactly
// one value, so a Node* is the SSA value itself. Shapes are static except for
// the symbolic batch dimension (kBatch), which is fixed only when a pipeline
// runs; this lets one compiled train step handle the last partial batch and
// lets predict take any number of rows.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_IR_H
#define LAMINA_IR_H

#include "lamina/abi/DType.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace lamina {

// DType, dtypeName, parseDType and dtypeSize are in lamina/abi/DType.h,
// shared with the runtime.

/// The symbolic batch extent inside a Shape.
using abi::kBatch;

/// Dimensions in logical (row-major, last dimension contiguous) order.
using Shape = std::vector<int64_t>;

/// Prints "[batch, 784]"; "[]" for a scalar.
std::string shapeToString(const Shape &s);
/// Number of elements, with kBatch counted as `batch`.
int64_t numElements(const Shape &s, int64_t batch = 1);
/// True if the shape contains kBatch.
bool hasBatch(const Shape &s);

/// A tensor filled from one number (a model file's `param w: f32[...] = 0.5`,
/// or a uniform literal in textual IR) holds its data in the graph as
/// doubles, so it may have at most this many elements (128 MiB).
constexpr int64_t kMaxFilledElements = int64_t(1) << 24;

/// Where a node came from in the model file. line == 0 means unknown.
struct SourceLoc {
  std::string file;
  unsigned line = 0;
  unsigned col = 0;
  bool isKnown() const { return line != 0; }
};

/// The value type of a node: element type and shape.
struct TensorType {
  DType dtype = DType::F32;
  Shape shape;
  unsigned rank() const { return static_cast<unsigned>(shape.size()); }
  bool operator==(const TensorType &o) const {
    return dtype == o.dtype && shape == o.shape;
  }
  bool operator!=(const TensorType &o) const { return !(*this == o); }
};
/// Prints "f32[batch, 784]".
std::string typeToString(const TensorType &t);

enum class OpKind {
#define LAMINA_OP(Name, Spelling, Arity) Name,
#include "lamina/Ops.def"
};

/// Number of op kinds in Ops.def.
constexpr unsigned kNumOpKinds = 0
#define LAMINA_OP(Name, Spelling, Arity) +1
#include "lamina/Ops.def"
    ;

/// An attribute value. Lists of ints are shapes, axes and permutations.
using Attr = std::variant<int64_t, double, std::string, std::vector<int64_t>>;
/// Attributes are kept sorted by name so dumps are deterministic.
using Attrs = std::map<std::string, Attr>;

class Graph;

/// One operation and the value it produces.
class Node {
public:
  unsigned id() const { return id_; }
  OpKind kind() const { return kind_; }
  const std::vector<Node *> &inputs() const { return inputs_; }
  Node &input(unsigned i) const { return *inputs_.at(i); }
  unsigned numInputs() const { return static_cast<unsigned>(inputs_.size()); }
  const TensorType &type() const { return type_; }
  const Shape &shape() const { return type_.shape; }
  DType dtype() const { return type_.dtype; }
  unsigned rank() const { return type_.rank(); }
  const Attrs &attrs() const { return attrs_; }
  const SourceLoc &loc() const { return loc_; }
  /// For input/param/constant: the value's user-visible name; else the
  /// DSL name of the value it was built for ("" if none).
  const std::string &name() const { return name_; }
  /// Constant payload, row-major, as doubles (only for Constant and for a
  /// Param with explicit initial data).
  const std::vector<double> &data() const { return data_; }

  bool hasAttr(const std::string &k) const { return attrs_.count(k) != 0; }
  int64_t intAttr(const std::string &k) const;
  double floatAttr(const std::string &k) const;
  const std::string &strAttr(const std::string &k) const;
  const std::vector<int64_t> &intsAttr(const std::string &k) const;
  /// Integer attribute with a default.
  int64_t intAttrOr(const std::string &k, int64_t dflt) const;
  /// Float attribute (an int attribute is converted) with a default.
  double floatAttrOr(const std::string &k, double dflt) const;

  void setType(TensorType t) { type_ = std::move(t); }
  void setAttr(const std::string &k, Attr v) { attrs_[k] = std::move(v); }
  void setName(std::string n) { name_ = std::move(n); }
  void setLoc(SourceLoc l) { loc_ = std::move(l); }
  void setData(std::vector<double> d) { data_ = std::move(d); }
  void setInput(unsigned i, Node *v) { inputs_.at(i) = v; }

private:
  friend class Graph;
  Node(unsigned id, OpKind kind, std::vector<Node *> inputs)
      : id_(id), kind_(kind), inputs_(std::move(inputs)) {}
  unsigned id_;
  OpKind kind_;
  std::vector<Node *> inputs_;
  TensorType type_;
  Attrs attrs_;
  std::string name_;
  SourceLoc loc_;
  std::vector<double> data_;
};

/// Roles of Input nodes (attribute "role").
///   "input": a model input, fed from data files.
///   "label": a training target.
///   "hyper": a runtime scalar such as the learning rate "lr".
///   "key": the train step's random key "step_key" (dropout's masks).
/// Roles of Param nodes (attribute "role"):
///   "param": a trainable parameter (default).
///   "state": optimizer state (momentum velocity), zero-initialized.
///   "buffer": non-trainable state (batch norm's running statistics), read
///             by every pipeline and updated by the train step.

/// Whether n is a Param of role "buffer".
bool isBuffer(const Node &n);

/// The training block of a model file: the run defaults of a Module.
/// Momentum and weight decay shape the train step (buildTrainStep); the
/// rest only reaches the runtime's descriptor.
struct TrainConfig {
  int64_t batch = 32;
  int64_t epochs = 1;
  /// "sgd", "adam", "adamw" or "rmsprop": torch.optim's formulas.
  std::string optimizer = "sgd";
  double lr = 0.01;
  /// sgd and rmsprop.
  double momentum = 0.0;
  double weightDecay = 0.0;
  /// sgd: Nesterov momentum.
  bool nesterov = false;
  /// adam and adamw: the decay rates of the moment estimates.
  double beta1 = 0.9, beta2 = 0.999;
  /// adam, adamw and rmsprop: added to the denominator.
  double eps = 1e-8;
  /// rmsprop: the decay rate of the squared-gradient average.
  double alpha = 0.99;
  /// Gradient clipping: the largest global norm of the gradients (all
  /// parameters' as one vector), as torch.nn.utils.clip_grad_norm_; 0 for
  /// none.
  double clipNorm = 0.0;
  /// The learning-rate schedule, which the runtime applies: "" (constant),
  /// "step_decay" (times gamma every `every` epochs), "exponential" (times
  /// gamma every step), "cosine" (to minLr over `epochs` epochs, by step)
  /// or "plateau" (times factor after `patience` epochs without a better
  /// validation loss); `warmup` steps of linear warmup before any of them.
  std::string schedule;
  int64_t every = 0;
  double gamma = 0.1;
  int64_t scheduleEpochs = 0;
  double minLr = 0.0;
  int64_t patience = 0;
  double factor = 0.1;
  int64_t warmup = 0;
  /// Early stopping: the validation value it watches ("loss" or a metric's
  /// name; "" for none), the epochs without improvement it allows, and the
  /// least change that counts as one.
  std::string stopMonitor;
  int64_t stopPatience = 0;
  double stopMinDelta = 0.0;
  /// "uniform_fan_in", "normal", "xavier", "he", "zeros", "constant".
  std::string init = "uniform_fan_in";
  /// Argument of normal(std) or constant(v).
  double initArg = 0.0;
  /// Fraction of the training data held out for validation.
  double validationSplit = 0.0;
  uint64_t seed = 42;
  SourceLoc loc;
};

/// A dataflow graph. Owns its nodes; nodes are kept in creation order, which
/// is a topological order because inputs must exist before their users.
class Graph {
public:
  explicit Graph(std::string name = "") : name_(std::move(name)) {}
  Graph(const Graph &) = delete;
  Graph &operator=(const Graph &) = delete;

  const std::string &name() const { return name_; }
  void setName(std::string n) { name_ = std::move(n); }

  /// Creates a node with the given type. Callers that want shape inference
  /// use GraphBuilder (OpInfo.h) instead.
  Node *create(OpKind kind, std::vector<Node *> inputs, TensorType type,
               Attrs attrs = {}, SourceLoc loc = {});

  /// Removes the most recently created node (which must have no users).
  void eraseLastNode();

  const std::vector<std::unique_ptr<Node>> &nodes() const { return nodes_; }
  unsigned size() const { return static_cast<unsigned>(nodes_.size()); }

  /// The scalar training loss, or nullptr.
  Node *loss() const { return loss_; }
  void setLoss(Node *n) { loss_ = n; }

  /// Named results: model outputs and metrics (insertion order is kept).
  const std::vector<std::pair<std::string, Node *>> &outputs() const {
    return outputs_;
  }
  void addOutput(std::string name, Node *n) {
    outputs_.emplace_back(std::move(name), n);
  }
  /// Metric names are outputs too; this list marks which of them are
  /// metrics (evaluated against labels) rather than model outputs.
  const std::vector<std::string> &metrics() const { return metrics_; }
  void addMetric(std::string name, Node *n) {
    metrics_.push_back(name);
    addOutput(std::move(name), n);
  }

  /// Points output `name` at `n`.
  void replaceOutput(const std::string &name, Node *n) {
    for (auto &o : outputs_)
      if (o.first == name)
        o.second = n;
  }
  /// Drops every output and metric.
  void clearOutputs() {
    outputs_.clear();
    metrics_.clear();
  }
  /// Drops every output that is not a metric (a train step needs only the
  /// loss, the metrics and the updates).
  void retainMetricOutputs();

  /// For a train step: the new value of each parameter and optimizer state,
  /// keyed by the Param node's name.
  const std::vector<std::pair<std::string, Node *>> &updates() const {
    return updates_;
  }
  void addUpdate(std::string paramName, Node *n) {
    updates_.emplace_back(std::move(paramName), n);
  }

  /// For a train step: dL/dp of each trainable parameter, keyed by its name
  /// (what the updates read; a step run in two phases, gradients then
  /// updates, cuts the graph here). Not part of the IR text.
  const std::vector<std::pair<std::string, Node *>> &gradients() const {
    return gradients_;
  }
  void addGradient(std::string paramName, Node *n) {
    gradients_.emplace_back(std::move(paramName), n);
  }

  /// Finds an Input or Param node by name, or nullptr.
  Node *findLeaf(const std::string &name) const;
  /// Input nodes with the given role, in creation order.
  std::vector<Node *> inputsWithRole(const std::string &role) const;
  /// Param nodes with the given role ("param", "state" or "buffer"), in
  /// creation order.
  std::vector<Node *> paramsWithRole(const std::string &role) const;

  /// Builds the copy of node `n` in the destination graph from its copied
  /// operands `ins`, or returns nullptr to have it copied as is.
  using CloneHook =
      std::function<Node *(const Node &n, const std::vector<Node *> &ins)>;

  /// Copies every node, the loss, outputs and updates into `dst`
  /// (which must be empty), in order, so `substitute` may build a node in
  /// place of each. Returns the map old node -> new node.
  std::vector<Node *> cloneInto(Graph &dst,
                                const CloneHook &substitute = {}) const;

  /// Removes nodes not reachable from the loss, outputs or updates, except
  /// Input and Param nodes. Renumbers ids in creation order.
  void removeDeadNodes();

  /// Creates a node like create() but places it at position `pos` (before
  /// the node now there, or last if pos == size()) and renumbers the nodes
  /// after it. Every input must come before `pos`.
  Node *insert(unsigned pos, OpKind kind, std::vector<Node *> inputs,
               TensorType type, Attrs attrs = {}, SourceLoc loc = {});

  /// Points the loss, the outputs and the updates that are `from` at `to`.
  /// Node inputs are left alone (replaceAllUses in Passes.h does both).
  void replaceResultUses(Node *from, Node *to);

  /// Removes the nodes in `dead`, which no remaining node, the loss, an
  /// output or an update may use. Renumbers ids in creation order.
  void eraseNodes(const std::vector<Node *> &dead);

private:
  std::string name_;
  std::vector<std::unique_ptr<Node>> nodes_;
  Node *loss_ = nullptr;
  std::vector<std::pair<std::string, Node *>> outputs_;
  std::vector<std::string> metrics_;
  std::vector<std::pair<std::string, Node *>> updates_;
  std::vector<std::pair<std::string, Node *>> gradients_;
};

/// A compiled model: the forward graph, the train step built from it, and
/// the run defaults of the model's train block. What every tool compiles a
/// model file to (Driver.h); each graph prints as IR text closed by the
/// `train {...}` line of the defaults (IRText.h).
struct Module {
  /// The forward graph: predict and eval pipelines. Null only before the
  /// graph is built.
  std::unique_ptr<Graph> forward;
  /// The train step (buildTrainStep), or null: no loss, or not built yet.
  std::unique_ptr<Graph> train;
  /// The model's train block, if it has one.
  std::optional<TrainConfig> defaults;
};

} // namespace lamina

#endif // LAMINA_IR_H
