//===- HistoryTest.cpp - Training history: CSV, JSON and SVG --------------===//

#include "lamina/History.h"

#include "TestUtil.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

using namespace lamina;
using namespace lamina::test;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// loss and accuracy, with validation: epochs 1..n, each value distinct.
History sample(int n) {
  History h({"loss", "accuracy"}, true);
  for (int e = 1; e <= n; ++e)
    h.add(e, {1.0 / e, 0.5 + 0.1 * e, 1.5 / e, 0.4 + 0.1 * e, 0.1, 0.25 * e,
              1000.0 + e});
  return h;
}

std::string readText(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// An element of a parsed XML document: its name, attributes and children.
struct Element {
  std::string name;
  std::map<std::string, std::string> attrs;
  std::vector<Element> children;
};

/// A small XML reader, strict enough to reject what a browser would: tags
/// must nest, attribute values must be quoted and free of '<', and '&'
/// must start an entity. Fails the test (and returns what it has) on error.
class XmlReader {
public:
  explicit XmlReader(std::string text) : s_(std::move(text)) {}

  Element document() {
    skipProlog();
    Element root;
    if (!element(root))
      ADD_FAILURE() << "no root element";
    skipSpace();
    EXPECT_EQ(pos_, s_.size()) << "text after the root element";
    return root;
  }

private:
  void skipSpace() {
    while (pos_ < s_.size() &&
           std::isspace(static_cast<unsigned char>(s_[pos_])))
      ++pos_;
  }
  void skipProlog() {
    skipSpace();
    if (s_.compare(pos_, 5, "<?xml") == 0) {
      size_t end = s_.find("?>", pos_);
      ASSERT_NE(end, std::string::npos);
      pos_ = end + 2;
    }
    skipSpace();
  }
  std::string name() {
    size_t start = pos_;
    while (pos_ < s_.size() &&
           (std::isalnum(static_cast<unsigned char>(s_[pos_])) ||
            s_[pos_] == '-' || s_[pos_] == '_' || s_[pos_] == ':'))
      ++pos_;
    return s_.substr(start, pos_ - start);
  }
  bool checkText(const std::string &t) {
    for (size_t i = 0; i < t.size(); ++i) {
      if (t[i] == '<')
        return false;
      if (t[i] == '&') {
        size_t semi = t.find(';', i);
        std::string ent =
            semi == std::string::npos ? "" : t.substr(i, semi - i + 1);
        if (ent != "&amp;" && ent != "&lt;" && ent != "&gt;" &&
            ent != "&quot;" && ent != "&apos;")
          return false;
      }
    }
    return true;
  }
  bool element(Element &e) {
    if (pos_ >= s_.size() || s_[pos_] != '<')
      return false;
    ++pos_;
    e.name = name();
    if (e.name.empty()) {
      ADD_FAILURE() << "bad tag at " << pos_;
      return false;
    }
    for (;;) {
      skipSpace();
      if (s_.compare(pos_, 2, "/>") == 0) {
        pos_ += 2;
        return true;
      }
      if (pos_ < s_.size() && s_[pos_] == '>') {
        ++pos_;
        break;
      }
      std::string attr = name();
      if (attr.empty() || pos_ + 1 >= s_.size() || s_[pos_] != '=' ||
          s_[pos_ + 1] != '"') {
        ADD_FAILURE() << "bad attribute in <" << e.name << "> at " << pos_;
        return false;
      }
      pos_ += 2;
      size_t end = s_.find('"', pos_);
      if (end == std::string::npos) {
        ADD_FAILURE() << "unterminated attribute";
        return false;
      }
      std::string value = s_.substr(pos_, end - pos_);
      EXPECT_TRUE(checkText(value)) << attr << "=\"" << value << "\"";
      EXPECT_EQ(e.attrs.count(attr), 0u) << "attribute " << attr << " twice";
      e.attrs[attr] = value;
      pos_ = end + 1;
    }
    for (;;) {
      size_t lt = s_.find('<', pos_);
      if (lt == std::string::npos) {
        ADD_FAILURE() << "<" << e.name << "> is not closed";
        return false;
      }
      EXPECT_TRUE(checkText(s_.substr(pos_, lt - pos_)));
      pos_ = lt;
      if (s_.compare(pos_, 2, "</") == 0) {
        pos_ += 2;
        std::string closing = name();
        EXPECT_EQ(closing, e.name) << "mismatched closing tag";
        skipSpace();
        if (pos_ >= s_.size() || s_[pos_] != '>') {
          ADD_FAILURE() << "bad closing tag";
          return false;
        }
        ++pos_;
        return closing == e.name;
      }
      Element child;
      if (!element(child))
        return false;
      e.children.push_back(std::move(child));
    }
  }

  std::string s_;
  size_t pos_ = 0;
};

void collect(const Element &e, const std::string &name,
             std::vector<const Element *> &out) {
  if (e.name == name)
    out.push_back(&e);
  for (const Element &c : e.children)
    collect(c, name, out);
}

/// The series name and point count of every <polyline> in `svg`.
std::map<std::string, size_t> polylines(const std::string &svg) {
  Element root = XmlReader(svg).document();
  EXPECT_EQ(root.name, "svg");
  EXPECT_EQ(root.attrs["xmlns"], "http://www.w3.org/2000/svg");
  std::vector<const Element *> lines;
  collect(root, "polyline", lines);
  std::map<std::string, size_t> out;
  for (const Element *p : lines) {
    auto it = p->attrs.find("data-series");
    EXPECT_NE(it, p->attrs.end());
    std::istringstream points(p->attrs.at("points"));
    std::string pt;
    size_t n = 0;
    while (points >> pt) {
      size_t comma = pt.find(',');
      EXPECT_NE(comma, std::string::npos) << pt;
      EXPECT_TRUE(std::isfinite(std::stod(pt.substr(0, comma)))) << pt;
      EXPECT_TRUE(std::isfinite(std::stod(pt.substr(comma + 1)))) << pt;
      ++n;
    }
    EXPECT_EQ(out.count(it->second), 0u) << "series " << it->second << " twice";
    out[it->second] = n;
  }
  return out;
}

TEST(History, FormatByExtension) {
  EXPECT_EQ(History::formatOf("h.csv"), History::Format::Csv);
  EXPECT_EQ(History::formatOf("dir.x/h.JSON"), History::Format::Json);
  EXPECT_EQ(History::formatOf("p.svg"), History::Format::Svg);
  EXPECT_EQ(History::formatOf("h.txt"), std::nullopt);
  EXPECT_EQ(History::formatOf("dir.csv/h"), std::nullopt);
  EXPECT_EQ(History::formatOf("h"), std::nullopt);
}

TEST(History, Columns) {
  EXPECT_EQ(History({"loss", "accuracy"}, true).columns(),
            (std::vector<std::string>{"epoch", "loss", "accuracy", "val_loss",
                                      "val_accuracy", "lr", "seconds",
                                      "samples_per_s"}));
  EXPECT_EQ(History({"loss"}, false).columns(),
            (std::vector<std::string>{"epoch", "loss", "lr", "seconds",
                                      "samples_per_s"}));
}

TEST(History, Csv) {
  History h({"loss"}, false);
  h.add(1, {0.1, 0.05, 1.5, 12345.678});
  h.add(2, {1.0 / 3, 1e-7, 2, 1e6});
  h.add(3, {kNaN, std::numeric_limits<double>::infinity(), -0.0, 0});
  EXPECT_EQ(h.toCsv(), "epoch,loss,lr,seconds,samples_per_s\n"
                       "1,0.1,0.05,1.5,12345.678\n"
                       "2,0.3333333333333333,1e-07,2,1e+06\n"
                       "3,nan,inf,-0,0\n");
}

TEST(History, Json) {
  History h = sample(2);
  h.add(3, {kNaN, 0.7, 0.5, 0.7, 0.1, 1, 2});
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(h.toJson());
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 3u);
  std::vector<std::string> keys;
  for (auto it = j[0].begin(); it != j[0].end(); ++it)
    keys.push_back(it.key());
  EXPECT_EQ(keys, h.columns());
  EXPECT_EQ(j[1]["epoch"], 2);
  EXPECT_DOUBLE_EQ(j[1]["loss"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j[1]["val_accuracy"].get<double>(), 0.6);
  EXPECT_TRUE(j[2]["loss"].is_null());
}

TEST(History, WriteAndLoadBack) {
  TempDir dir;
  History h = sample(4);
  for (const char *name : {"h.csv", "h.json"}) {
    std::string path = dir.file(name);
    h.write(path);
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
    EXPECT_EQ(readText(path),
              std::string(name) == "h.csv" ? h.toCsv() : h.toJson());
    History back({"loss", "accuracy"}, true);
    EXPECT_EQ(back.load(path), "") << name;
    ASSERT_EQ(back.rows().size(), 4u) << name;
    for (size_t i = 0; i < 4; ++i) {
      EXPECT_EQ(back.rows()[i].epoch, h.rows()[i].epoch);
      EXPECT_EQ(back.rows()[i].values, h.rows()[i].values) << name;
    }
    back.keepUpTo(2);
    EXPECT_EQ(back.rows().size(), 2u);
    EXPECT_EQ(back.rows().back().epoch, 2);

    // Another model's columns (no validation) are not continued.
    History other({"loss", "accuracy"}, false);
    EXPECT_NE(other.load(path), "") << name;
    EXPECT_TRUE(other.rows().empty());
  }
  writeText(dir.file("bad.csv"),
            "epoch,loss,lr,seconds,samples_per_s\n1,0.5,x,1,2\n");
  History bad({"loss"}, false);
  EXPECT_NE(bad.load(dir.file("bad.csv")).find("'x' for lr"),
            std::string::npos);
  writeText(dir.file("bad.json"), "{\"not\": \"a list\"}");
  EXPECT_NE(bad.load(dir.file("bad.json")), "");
}

TEST(History, SvgHasOnePolylinePerSeries) {
  std::string svg = sample(5).toSvg();
  EXPECT_EQ(
      polylines(svg),
      (std::map<std::string, size_t>{
          {"loss", 5}, {"val_loss", 5}, {"accuracy", 5}, {"val_accuracy", 5}}));
  // A title, axis titles and a legend entry for each series.
  EXPECT_NE(svg.find(">epoch</text>"), std::string::npos);
  EXPECT_NE(svg.find(">val_accuracy</text>"), std::string::npos);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
}

TEST(History, SvgWithoutValidation) {
  History h({"loss", "r2"}, false);
  h.add(1, {0.5, 0.1, 0.01, 1, 100});
  h.add(2, {0.25, 0.2, 0.01, 1, 100});
  EXPECT_EQ(polylines(h.toSvg()),
            (std::map<std::string, size_t>{{"loss", 2}, {"r2", 2}}));
}

TEST(History, SvgOfOneEpochAndConstantValues) {
  History one = sample(1);
  EXPECT_EQ(polylines(one.toSvg()).at("loss"), 1u);
  History flat({"loss"}, false);
  for (int e = 1; e <= 3; ++e)
    flat.add(e, {0.0, 0.1, 1, 10});
  std::string svg = flat.toSvg();
  EXPECT_EQ(polylines(svg).at("loss"), 3u);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
  // No rows at all: still a document.
  EXPECT_EQ(polylines(History({"loss"}, true).toSvg()).at("val_loss"), 0u);
}

TEST(History, SvgLeavesOutNonFiniteValues) {
  History h({"loss"}, true);
  h.add(1, {0.5, kNaN, 0.1, 1, 10});
  h.add(2, {0.4, std::numeric_limits<double>::infinity(), 0.1, 1, 10});
  h.add(3, {0.3, 0.2, 0.1, 1, 10});
  std::string svg = h.toSvg();
  EXPECT_EQ(polylines(svg),
            (std::map<std::string, size_t>{{"loss", 3}, {"val_loss", 1}}));
  EXPECT_NE(svg.find("val_loss (2 non-finite left out)"), std::string::npos);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
}

TEST(History, SvgOfHugeValues) {
  History h({"loss"}, false);
  h.add(1, {-std::numeric_limits<double>::max(), 0.1, 1, 10});
  h.add(2, {std::numeric_limits<double>::max(), 0.1, 1, 10});
  h.add(3, {1e-300, 0.1, 1, 10});
  std::string svg = h.toSvg();
  EXPECT_EQ(polylines(svg).at("loss"), 3u);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
}

TEST(History, SvgEscapesNames) {
  History h({"loss", "a<b&\"c\""}, false);
  h.add(1, {0.5, 0.5, 0.1, 1, 10});
  std::string svg = h.toSvg();
  std::map<std::string, size_t> series = polylines(svg);
  EXPECT_EQ(series.count("a&lt;b&amp;&quot;c&quot;"), 1u);
  EXPECT_NE(svg.find(">a&lt;b&amp;&quot;c&quot;</text>"), std::string::npos);
}

TEST(History, WriteFailsInAMissingDirectory) {
  TempDir dir;
  EXPECT_THROW(sample(1).write(dir.file("no/such/h.csv")), Error);
}

} // namespace
