//===- Csv.cpp - Reading CSV files of numbers -----------------------------===//

#include "lamina/Data.h"

#include "lamina/Error.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace lamina {

static bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/// Parses a whole field as a number (optional leading '+').
static bool parseNumber(std::string_view s, double &v) {
  if (!s.empty() && s[0] == '+')
    s.remove_prefix(1);
  if (s.empty())
    return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && ptr == s.data() + s.size();
}

RawArray parseCsv(const std::string &path, const std::vector<uint8_t> &bytes) {
  RawArray a;
  a.path = path;
  a.format = DataFormat::Csv;
  a.type = ElemType::F64;
  std::string_view text(reinterpret_cast<const char *>(bytes.data()),
                        bytes.size());
  std::vector<double> values;
  int64_t columns = -1;
  int64_t firstDataLine = 0;
  bool sawRow = false;
  size_t pos = 0;
  int64_t line = 0;
  struct Field {
    std::string_view text;
    size_t column; // 1-based
  };
  std::vector<Field> fields;
  while (pos < text.size()) {
    ++line;
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos)
      end = text.size();
    std::string_view row = text.substr(pos, end - pos);
    pos = end + 1;
    size_t first = 0;
    while (first < row.size() && isBlank(row[first]))
      ++first;
    if (first == row.size() || row[first] == '#')
      continue;
    if (row.find('\0') != std::string_view::npos)
      throw Error(path + ":" + std::to_string(line) +
                  ": binary data in a CSV file; is it IDX or NPY?");

    fields.clear();
    size_t start = 0;
    for (;;) {
      size_t comma = row.find(',', start);
      size_t stop = comma == std::string_view::npos ? row.size() : comma;
      size_t b = start, e = stop;
      while (b < e && isBlank(row[b]))
        ++b;
      while (e > b && isBlank(row[e - 1]))
        --e;
      fields.push_back({row.substr(b, e - b), (b < e ? b : start) + 1});
      if (comma == std::string_view::npos)
        break;
      start = comma + 1;
    }

    if (!sawRow) {
      sawRow = true;
      // A first row with no number at all is a header.
      double ignored;
      if (std::none_of(fields.begin(), fields.end(), [&](const Field &f) {
            return parseNumber(f.text, ignored);
          }))
        continue;
    }
    auto where = [&](const Field &f) {
      return path + ":" + std::to_string(line) + ":" +
             std::to_string(f.column) + ": ";
    };
    if (columns < 0) {
      columns = static_cast<int64_t>(fields.size());
      firstDataLine = line;
    } else if (static_cast<int64_t>(fields.size()) != columns) {
      const Field &f = fields[std::min<size_t>(fields.size(), columns) - 1];
      throw Error(where(f) + "this row has " + std::to_string(fields.size()) +
                  " fields but line " + std::to_string(firstDataLine) +
                  " has " + std::to_string(columns) +
                  "; every record must have the same number of values");
    }
    for (size_t i = 0; i < fields.size(); ++i) {
      double v;
      if (!parseNumber(fields[i].text, v)) {
        if (fields[i].text.empty())
          throw Error(where(fields[i]) + "field " + std::to_string(i + 1) +
                      " is empty; expected a number");
        throw Error(where(fields[i]) + "field " + std::to_string(i + 1) +
                    " is '" + std::string(fields[i].text) +
                    "', not a number; CSV data must be numeric (a header is "
                    "only allowed on the first line)");
      }
      values.push_back(v);
    }
    a.lines.push_back(line);
  }
  int64_t records = static_cast<int64_t>(a.lines.size());
  if (records == 0)
    throw Error(path + ": no records (the file is empty or has only a " +
                "header); expected one row of numbers per record");
  a.shape = {records, columns};
  a.bytes.resize(values.size() * sizeof(double));
  std::memcpy(a.bytes.data(), values.data(), a.bytes.size());
  return a;
}

} // namespace lamina
