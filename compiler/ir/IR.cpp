//===- IR.cpp - Graph and Node --------------------------------------------===//
#include "lamina/IR.h"

#include <cassert>
#include <set>
#include <sstream>

namespace lamina {

std::string shapeToString(const Shape &s) {
  std::ostringstream os;
  os << '[';
  for (size_t i = 0; i < s.size(); ++i) {
    if (i)
      os << ", ";
    if (s[i] == kBatch)
      os << "batch";
    else
      os << s[i];
  }
  os << ']';
  return os.str();
}

std::string typeToString(const TensorType &t) {
  return std::string(dtypeName(t.dtype)) + shapeToString(t.shape);
}

int64_t numElements(const Shape &s, int64_t batch) {
  int64_t n = 1;
  for (int64_t d : s)
    n *= d == kBatch ? batch : d;
  return n;
}

bool hasBatch(const Shape &s) {
  for (int64_t d : s)
    if (d == kBatch)
      return true;
  return false;
}

int64_t Node::intAttr(const std::string &k) const {
  const Attr &a = attrs_.at(k);
  if (auto *d = std::get_if<double>(&a))
    return static_cast<int64_t>(*d);
  return std::get<int64_t>(a);
}

double Node::floatAttr(const std::string &k) const {
  const Attr &a = attrs_.at(k);
  if (auto *i = std::get_if<int64_t>(&a))
    return static_cast<double>(*i);
  return std::get<double>(a);
}

const std::string &Node::strAttr(const std::string &k) const {
  return std::get<std::string>(attrs_.at(k));
}

const std::vector<int64_t> &Node::intsAttr(const std::string &k) const {
  return std::get<std::vector<int64_t>>(attrs_.at(k));
}

int64_t Node::intAttrOr(const std::string &k, int64_t dflt) const {
  return hasAttr(k) ? intAttr(k) : dflt;
}

double Node::floatAttrOr(const std::string &k, double dflt) const {
  return hasAttr(k) ? floatAttr(k) : dflt;
}

Node *Graph::create(OpKind kind, std::vector<Node *> inputs, TensorType type,
                    Attrs attrs, SourceLoc loc) {
  for ([[maybe_unused]] Node *in : inputs)
    assert(in && "null input");
  auto *n = new Node(size(), kind, std::move(inputs));
  n->type_ = std::move(type);
  n->attrs_ = std::move(attrs);
  n->loc_ = std::move(loc);
  nodes_.emplace_back(n);
  return n;
}

void Graph::eraseLastNode() {
  assert(!nodes_.empty() && "no node to erase");
  nodes_.pop_back();
}

Node *Graph::findLeaf(const std::string &name) const {
  for (const auto &n : nodes_)
    if ((n->kind() == OpKind::Input || n->kind() == OpKind::Param) &&
        n->name() == name)
      return n.get();
  return nullptr;
}

static std::string roleOf(const Node &n, const char *dflt) {
  return n.hasAttr("role") ? n.strAttr("role") : dflt;
}

bool isBuffer(const Node &n) {
  return n.kind() == OpKind::Param && roleOf(n, "param") == "buffer";
}

std::vector<Node *> Graph::inputsWithRole(const std::string &role) const {
  std::vector<Node *> out;
  for (const auto &n : nodes_)
    if (n->kind() == OpKind::Input && roleOf(*n, "input") == role)
      out.push_back(n.get());
  return out;
}

std::vector<Node *> Graph::paramsWithRole(const std::string &role) const {
  std::vector<Node *> out;
  for (const auto &n : nodes_)
    if (n->kind() == OpKind::Param && roleOf(*n, "param") == role)
      out.push_back(n.get());
  return out;
}

std::vector<Node *> Graph::cloneInto(Graph &dst,
                                     const CloneHook &substitute) const {
  assert(dst.nodes_.empty() && "cloneInto needs an empty graph");
  dst.name_ = name_;
  std::vector<Node *> map(nodes_.size(), nullptr);
  for (const auto &n : nodes_) {
    std::vector<Node *> ins;
    for (Node *in : n->inputs())
      ins.push_back(map[in->id()]);
    if (Node *s = substitute ? substitute(*n, ins) : nullptr) {
      assert(s->type() == n->type() && "a substitute of another type");
      map[n->id()] = s;
      continue;
    }
    Node *c = dst.create(n->kind(), ins, n->type(), n->attrs(), n->loc());
    c->setName(n->name());
    c->setData(n->data());
    map[n->id()] = c;
  }
  if (loss_)
    dst.loss_ = map[loss_->id()];
  for (const auto &[name, n] : outputs_)
    dst.outputs_.emplace_back(name, map[n->id()]);
  dst.metrics_ = metrics_;
  for (const auto &[name, n] : updates_)
    dst.updates_.emplace_back(name, map[n->id()]);
  for (const auto &[name, n] : gradients_)
    dst.gradients_.emplace_back(name, map[n->id()]);
  return map;
}

void Graph::retainMetricOutputs() {
  std::vector<std::pair<std::string, Node *>> kept;
  for (auto &o : outputs_)
    for (const std::string &m : metrics_)
      if (o.first == m) {
        kept.push_back(o);
        break;
      }
  outputs_ = std::move(kept);
}

void Graph::removeDeadNodes() {
  std::vector<bool> live(nodes_.size(), false);
  std::vector<Node *> work;
  auto mark = [&](Node *n) {
    if (n && !live[n->id()]) {
      live[n->id()] = true;
      work.push_back(n);
    }
  };
  mark(loss_);
  for (auto &o : outputs_)
    mark(o.second);
  for (auto &u : updates_)
    mark(u.second);
  for (auto &u : gradients_)
    mark(u.second);
  for (auto &n : nodes_)
    if (n->kind() == OpKind::Input || n->kind() == OpKind::Param)
      mark(n.get());
  while (!work.empty()) {
    Node *n = work.back();
    work.pop_back();
    for (Node *in : n->inputs())
      mark(in);
  }
  std::vector<std::unique_ptr<Node>> kept;
  for (auto &n : nodes_)
    if (live[n->id()])
      kept.push_back(std::move(n));
  nodes_ = std::move(kept);
  for (unsigned i = 0; i < nodes_.size(); ++i)
    nodes_[i]->id_ = i;
}

Node *Graph::insert(unsigned pos, OpKind kind, std::vector<Node *> inputs,
                    TensorType type, Attrs attrs, SourceLoc loc) {
  assert(pos <= nodes_.size() && "insert position out of range");
  for ([[maybe_unused]] Node *in : inputs)
    assert(in && in->id() < pos && "an input must come before its user");
  auto *n = new Node(pos, kind, std::move(inputs));
  n->type_ = std::move(type);
  n->attrs_ = std::move(attrs);
  n->loc_ = std::move(loc);
  nodes_.emplace(nodes_.begin() + pos, n);
  for (unsigned i = pos + 1; i < nodes_.size(); ++i)
    nodes_[i]->id_ = i;
  return n;
}

void Graph::replaceResultUses(Node *from, Node *to) {
  if (loss_ == from)
    loss_ = to;
  for (auto &o : outputs_)
    if (o.second == from)
      o.second = to;
  for (auto &u : updates_)
    if (u.second == from)
      u.second = to;
  for (auto &u : gradients_)
    if (u.second == from)
      u.second = to;
}

void Graph::eraseNodes(const std::vector<Node *> &dead) {
  if (dead.empty())
    return;
  std::vector<bool> erase(nodes_.size(), false);
  for (Node *n : dead) {
    assert(n && n->id() < nodes_.size() && nodes_[n->id()].get() == n &&
           "erasing a node of another graph");
    erase[n->id()] = true;
  }
  for ([[maybe_unused]] auto &n : nodes_)
    for ([[maybe_unused]] Node *in : n->inputs())
      assert((erase[n->id()] || !erase[in->id()]) && "erasing a used node");
  assert((!loss_ || !erase[loss_->id()]) && "erasing the loss");
  for ([[maybe_unused]] auto &o : outputs_)
    assert(!erase[o.second->id()] && "erasing an output");
  for ([[maybe_unused]] auto &u : updates_)
    assert(!erase[u.second->id()] && "erasing an update");
  for ([[maybe_unused]] auto &u : gradients_)
    assert(!erase[u.second->id()] && "erasing a gradient");
  std::vector<std::unique_ptr<Node>> kept;
  for (auto &n : nodes_)
    if (!erase[n->id()])
      kept.push_back(std::move(n));
  nodes_ = std::move(kept);
  for (unsigned i = 0; i < nodes_.size(); ++i)
    nodes_[i]->id_ = i;
}

} // namespace lamina
