//===- History.cpp - Per-epoch training history: CSV, JSON and SVG --------===//

#include "lamina/History.h"

#include "lamina/Error.h"
#include "lamina/File.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cassert>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

namespace lamina {

namespace {

/// The shortest text that reads back as `v`: 0.1, 1e-05, 42; "nan", "inf"
/// and "-inf" for the non-finite values.
std::string formatNumber(double v) {
  if (std::isnan(v))
    return "nan";
  if (std::isinf(v))
    return v > 0 ? "inf" : "-inf";
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  assert(ec == std::errc() && "64 characters hold any double");
  (void)ec;
  return std::string(buf, ptr);
}

/// `s` as one CSV field: quoted when it holds a comma, a quote or a line
/// break.
std::string csvField(const std::string &s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos)
    return s;
  std::string q = "\"";
  for (char c : s)
    q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

/// The fields of one CSV line (quotes as csvField writes them).
std::vector<std::string> splitCsv(const std::string &line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      fields.back() += '"';
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  return fields;
}

/// `s` with the characters XML gives a meaning escaped.
std::string xmlEscape(const std::string &s) {
  std::string out;
  for (char c : s) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&apos;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

/// printf into a std::string.
template <typename... Args> std::string strf(const char *fmt, Args... args) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), fmt, args...);
  return buf;
}

/// A round step near `span / count`: 1, 2 or 5 times a power of ten.
double niceStep(double span, double count) {
  double raw = span / count;
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double f = raw / mag;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

/// A tick label for `v` on an axis with ticks `step` apart: enough
/// significant digits to tell neighbouring ticks apart.
std::string tickLabel(double v, double step) {
  if (std::fabs(v) < step * 1e-9)
    return "0";
  int digits = static_cast<int>(std::ceil(std::log10(std::fabs(v) / step))) + 1;
  return strf("%.*g", std::clamp(digits, 1, 15), v);
}

// The chart's layout, in SVG user units.
constexpr double kWidth = 640, kChartHeight = 300;
constexpr double kLeft = 80, kRight = 20, kTop = 56, kBottom = 50;
/// Training series are solid blue, validation ones dashed red.
constexpr const char *kTrainColor = "#1f77b4", *kValColor = "#d62728";
constexpr const char *kValDash = " stroke-dasharray=\"6 3\"";
/// Points beyond this many in a series get no circle marker.
constexpr size_t kMaxMarkers = 60;

} // namespace

std::optional<History::Format> History::formatOf(const std::string &path) {
  size_t slash = path.rfind('/');
  size_t dot = path.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
    return std::nullopt;
  std::string ext = path.substr(dot + 1);
  for (char &c : ext)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == "csv")
    return Format::Csv;
  if (ext == "json")
    return Format::Json;
  if (ext == "svg")
    return Format::Svg;
  return std::nullopt;
}

History::History(std::vector<std::string> quantities, bool validation)
    : quantities_(std::move(quantities)), validation_(validation) {
  columns_.push_back("epoch");
  for (const std::string &q : quantities_)
    columns_.push_back(q);
  if (validation_)
    for (const std::string &q : quantities_)
      columns_.push_back("val_" + q);
  for (const char *c : {"lr", "seconds", "samples_per_s"})
    columns_.push_back(c);
}

void History::add(int64_t epoch, std::vector<double> values) {
  assert(values.size() + 1 == columns_.size() && "one value per column");
  rows_.push_back({epoch, std::move(values)});
}

void History::keepUpTo(int64_t epoch) {
  rows_.erase(std::remove_if(rows_.begin(), rows_.end(),
                             [&](const Row &r) { return r.epoch > epoch; }),
              rows_.end());
}

std::string History::load(const std::string &path) {
  std::optional<Format> fmt = formatOf(path);
  if (!fmt || *fmt == Format::Svg)
    return "it is not a .csv or .json file";
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return "it cannot be read";
  std::vector<Row> rows;
  size_t width = columns_.size();
  if (*fmt == Format::Csv) {
    std::string line;
    if (!std::getline(in, line) || splitCsv(line) != columns_)
      return "its columns are not " + [&] {
        std::string s;
        for (const std::string &c : columns_)
          s += (s.empty() ? "" : ",") + c;
        return s;
      }();
    for (int lineNo = 2; std::getline(in, line); ++lineNo) {
      if (line.empty())
        continue;
      std::vector<std::string> f = splitCsv(line);
      Row r;
      const char *first = f[0].data(), *last = first + f[0].size();
      auto [ptr, ec] = std::from_chars(first, last, r.epoch);
      if (f.size() != width || ec != std::errc() || ptr != last)
        return "line " + std::to_string(lineNo) + " is not an epoch of " +
               std::to_string(width) + " values";
      for (size_t i = 1; i < width; ++i) {
        char *end = nullptr;
        r.values.push_back(std::strtod(f[i].c_str(), &end));
        if (f[i].empty() || *end)
          return "line " + std::to_string(lineNo) + " has '" + f[i] + "' for " +
                 columns_[i];
      }
      rows.push_back(std::move(r));
    }
  } else {
    nlohmann::ordered_json j =
        nlohmann::ordered_json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (!j.is_array())
      return "it is not a JSON array of epochs";
    for (const nlohmann::ordered_json &o : j) {
      if (!o.is_object() || o.size() != width)
        return "an element is not an object of " + std::to_string(width) +
               " values";
      size_t i = 0;
      Row r;
      for (auto it = o.begin(); it != o.end(); ++it, ++i) {
        if (it.key() != columns_[i])
          return "key '" + it.key() + "' is where '" + columns_[i] +
                 "' should be";
        if (i == 0 && it.value().is_number_integer())
          r.epoch = it.value().get<int64_t>();
        else if (i > 0 && it.value().is_number())
          r.values.push_back(it.value().get<double>());
        else if (i > 0 && it.value().is_null())
          r.values.push_back(std::numeric_limits<double>::quiet_NaN());
        else
          return "'" + it.key() + "' is not a number";
      }
      rows.push_back(std::move(r));
    }
  }
  rows_ = std::move(rows);
  return "";
}

std::string History::toCsv() const {
  std::string s;
  for (size_t i = 0; i < columns_.size(); ++i)
    s += (i ? "," : "") + csvField(columns_[i]);
  s += "\n";
  for (const Row &r : rows_) {
    s += std::to_string(r.epoch);
    for (double v : r.values)
      s += "," + formatNumber(v);
    s += "\n";
  }
  return s;
}

std::string History::toJson() const {
  nlohmann::ordered_json j = nlohmann::ordered_json::array();
  for (const Row &r : rows_) {
    nlohmann::ordered_json o = nlohmann::ordered_json::object();
    o[columns_[0]] = r.epoch;
    for (size_t i = 0; i < r.values.size(); ++i) {
      double v = r.values[i];
      if (std::isfinite(v))
        o[columns_[i + 1]] = v;
      else
        o[columns_[i + 1]] = nullptr;
    }
    j.push_back(std::move(o));
  }
  return j.dump(1) + "\n";
}

std::string History::toSvg() const {
  size_t charts = quantities_.size();
  double height = kChartHeight * static_cast<double>(charts);
  std::string s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  s += strf("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" "
            "height=\"%g\" viewBox=\"0 0 %g %g\" font-family=\"sans-serif\" "
            "font-size=\"12\">\n",
            kWidth, height, kWidth, height);
  s += strf("<rect width=\"%g\" height=\"%g\" fill=\"white\"/>\n", kWidth,
            height);

  // The x axis is shared: the epochs of the rows, padded when there is one.
  int64_t firstEpoch = rows_.empty() ? 1 : rows_.front().epoch;
  int64_t lastEpoch = rows_.empty() ? 1 : rows_.back().epoch;
  for (const Row &r : rows_) {
    firstEpoch = std::min(firstEpoch, r.epoch);
    lastEpoch = std::max(lastEpoch, r.epoch);
  }
  double x0 = static_cast<double>(firstEpoch),
         x1 = static_cast<double>(lastEpoch);
  if (x1 - x0 < 1) {
    x0 -= 0.5;
    x1 += 0.5;
  } else {
    // Keep the first and last points off the axes.
    double pad = (x1 - x0) * 0.03;
    x0 -= pad;
    x1 += pad;
  }
  double plotW = kWidth - kLeft - kRight;
  double plotH = kChartHeight - kTop - kBottom;
  auto px = [&](double e) { return kLeft + (e - x0) / (x1 - x0) * plotW; };
  double xStep = std::max(1.0, niceStep(x1 - x0, 10));

  for (size_t q = 0; q < charts; ++q) {
    const std::string &name = quantities_[q];
    // The series of this chart: the value column of the quantity, and of
    // its val_ twin.
    std::vector<std::pair<std::string, size_t>> series = {{name, q}};
    if (validation_)
      series.push_back({"val_" + name, charts + q});

    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const Row &r : rows_)
      for (const auto &[label, col] : series)
        if (std::isfinite(r.values[col])) {
          lo = std::min(lo, r.values[col]);
          hi = std::max(hi, r.values[col]);
        }
    if (lo > hi) {
      lo = 0;
      hi = 1;
    } else if (hi - lo <= std::max(std::fabs(hi), std::fabs(lo)) * 1e-12) {
      // Constant: a band around the value.
      double pad = std::max(std::fabs(lo) * 0.05, 1e-3);
      lo -= pad;
      hi += pad;
    } else {
      double pad = (hi - lo) * 0.05;
      lo -= pad;
      hi += pad;
    }
    // Halved, so that values near the largest double cannot overflow.
    constexpr double kMax = std::numeric_limits<double>::max();
    lo = std::max(lo, -kMax);
    hi = std::min(hi, kMax);
    double halfSpan = hi * 0.5 - lo * 0.5;
    auto py = [&](double v) {
      return kTop + (hi * 0.5 - v * 0.5) / halfSpan * plotH;
    };

    s += strf("<g class=\"chart\" transform=\"translate(0,%g)\">\n",
              kChartHeight * static_cast<double>(q));
    s += "<text class=\"title\" x=\"" + strf("%g", kWidth / 2) +
         "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\" "
         "font-weight=\"bold\">" +
         xmlEscape(name) + "</text>\n";
    // Axes, ticks and grid lines.
    s += strf("<line class=\"axis\" x1=\"%g\" y1=\"%g\" x2=\"%g\" "
              "y2=\"%g\" stroke=\"black\"/>\n",
              kLeft, kTop + plotH, kLeft + plotW, kTop + plotH);
    s += strf("<line class=\"axis\" x1=\"%g\" y1=\"%g\" x2=\"%g\" "
              "y2=\"%g\" stroke=\"black\"/>\n",
              kLeft, kTop, kLeft, kTop + plotH);
    // (At most 11 ticks either way; the bound only guards against rounding.)
    int ticks = 0;
    for (double e = std::ceil(x0 / xStep) * xStep; e <= x1 + 1e-9 && ticks < 20;
         e += xStep, ++ticks) {
      double x = px(e);
      s += strf("<line x1=\"%.2f\" y1=\"%g\" x2=\"%.2f\" y2=\"%g\" "
                "stroke=\"black\"/>\n",
                x, kTop + plotH, x, kTop + plotH + 5);
      s += strf("<text class=\"tick\" x=\"%.2f\" y=\"%g\" "
                "text-anchor=\"middle\">%.0f</text>\n",
                x, kTop + plotH + 18, e);
    }
    double yStep = niceStep(halfSpan, 2.5);
    ticks = 0;
    for (double v = std::ceil(lo / yStep) * yStep;
         std::isfinite(v) && v <= hi + yStep * 1e-9 && ticks < 20;
         v += yStep, ++ticks) {
      double y = py(v);
      s += strf("<line x1=\"%g\" y1=\"%.2f\" x2=\"%g\" y2=\"%.2f\" "
                "stroke=\"#dddddd\"/>\n",
                kLeft, y, kLeft + plotW, y);
      s += strf("<line x1=\"%g\" y1=\"%.2f\" x2=\"%g\" y2=\"%.2f\" "
                "stroke=\"black\"/>\n",
                kLeft - 5, y, kLeft, y);
      s += strf("<text class=\"tick\" x=\"%g\" y=\"%.2f\" "
                "text-anchor=\"end\">",
                kLeft - 8, y + 4) +
           xmlEscape(tickLabel(v, yStep)) + "</text>\n";
    }
    s += strf("<text class=\"axis-title\" x=\"%g\" y=\"%g\" "
              "text-anchor=\"middle\">epoch</text>\n",
              kLeft + plotW / 2, kChartHeight - 12);
    s += strf("<text class=\"axis-title\" x=\"18\" y=\"%g\" "
              "text-anchor=\"middle\" transform=\"rotate(-90 18 %g)\">",
              kTop + plotH / 2, kTop + plotH / 2) +
         xmlEscape(name) + "</text>\n";

    // The series, then their legend.
    std::vector<std::string> legend;
    for (size_t k = 0; k < series.size(); ++k) {
      const auto &[label, col] = series[k];
      const char *color = k == 0 ? kTrainColor : kValColor;
      std::string points, markers;
      size_t left = 0, count = 0;
      for (const Row &r : rows_) {
        double v = r.values[col];
        if (!std::isfinite(v)) {
          ++left;
          continue;
        }
        double x = px(static_cast<double>(r.epoch)), y = py(v);
        points += strf("%s%.2f,%.2f", points.empty() ? "" : " ", x, y);
        markers += strf("<circle class=\"marker\" cx=\"%.2f\" cy=\"%.2f\" "
                        "r=\"3\" fill=\"%s\"/>\n",
                        x, y, color);
        ++count;
      }
      s += "<polyline data-series=\"" + xmlEscape(label) +
           "\" class=\"series\" fill=\"none\" stroke=\"" + color +
           "\" stroke-width=\"2\"" + (k ? kValDash : "") + " points=\"" +
           points + "\"/>\n";
      if (count <= kMaxMarkers)
        s += markers;
      legend.push_back(label);
      if (left)
        legend.back() += " (" + std::to_string(left) + " non-finite left out)";
    }
    // One row under the title, right-aligned with the plot: about 7 units
    // a character at font-size 12.
    double legendW = 0;
    for (const std::string &text : legend)
      legendW += 36 + 7 * static_cast<double>(text.size()) + 16;
    double lx = std::max(kLeft, kLeft + plotW - legendW + 16), ly = 42;
    for (size_t k = 0; k < legend.size(); ++k) {
      s += strf("<line class=\"legend\" x1=\"%g\" y1=\"%g\" x2=\"%g\" "
                "y2=\"%g\" stroke=\"%s\" stroke-width=\"2\"%s/>\n",
                lx, ly, lx + 24, ly, k ? kValColor : kTrainColor,
                k ? kValDash : "");
      s += strf("<text class=\"legend\" x=\"%g\" y=\"%g\">", lx + 30, ly + 4) +
           xmlEscape(legend[k]) + "</text>\n";
      lx += 36 + 7 * static_cast<double>(legend[k].size()) + 16;
    }
    s += "</g>\n";
  }
  return s + "</svg>\n";
}

void History::write(const std::string &path) const {
  std::optional<Format> fmt = formatOf(path);
  if (!fmt)
    throw Error(path + ": a history file must end in .csv, .json or .svg");
  AtomicFile f(path);
  switch (*fmt) {
  case Format::Csv:
    f.write(toCsv());
    break;
  case Format::Json:
    f.write(toJson());
    break;
  case Format::Svg:
    f.write(toSvg());
    break;
  }
  f.commit();
}

} // namespace lamina
