//===- Csv.cpp - Reading CSV files of numbers -----------------------------===//
//
// One record per row. The separator is found per file, from the first data
// row: a comma if it has one, else a semicolon if it has one, else runs of
// blanks (numpy.savetxt's default). That one separator holds for the whole
// file, so a row that uses another is an error rather than a silently
// different split. Columns of a file are picked by csvColumns and
// takeColumns, for --columns and --label-column.
//
//===----------------------------------------------------------------------===//

#include "lamina/Data.h"

#include "lamina/Error.h"
#include "lamina/abi/Spelling.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cstring>

namespace lamina {

namespace {

bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/// Parses a whole field as a number (optional leading '+').
bool parseNumber(std::string_view s, double &v) {
  if (!s.empty() && s[0] == '+')
    s.remove_prefix(1);
  if (s.empty())
    return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && ptr == s.data() + s.size();
}

/// What separates the fields of a row.
enum class Separator { Comma, Semicolon, Blanks };

/// The separator a row suggests: ',' if it has one, else ';' if it has one,
/// else runs of blanks.
Separator detectSeparator(std::string_view row) {
  if (row.find(',') != std::string_view::npos)
    return Separator::Comma;
  if (row.find(';') != std::string_view::npos)
    return Separator::Semicolon;
  return Separator::Blanks;
}

/// "','", "';'" or "blanks", for messages.
const char *separatorName(Separator s) {
  switch (s) {
  case Separator::Comma:
    return "','";
  case Separator::Semicolon:
    return "';'";
  case Separator::Blanks:
    return "blanks";
  }
  return "?";
}

struct Field {
  std::string_view text;
  size_t column; // 1-based
};

/// Splits `row` into fields at `sep`, each trimmed of surrounding blanks.
/// With blanks as the separator, a run of them is one separator and
/// leading and trailing ones separate nothing.
void splitRow(std::string_view row, Separator sep, std::vector<Field> &fields) {
  fields.clear();
  if (sep == Separator::Blanks) {
    size_t i = 0;
    for (;;) {
      while (i < row.size() && isBlank(row[i]))
        ++i;
      if (i == row.size())
        return;
      size_t b = i;
      while (i < row.size() && !isBlank(row[i]))
        ++i;
      fields.push_back({row.substr(b, i - b), b + 1});
    }
  }
  char c = sep == Separator::Comma ? ',' : ';';
  size_t start = 0;
  for (;;) {
    size_t at = row.find(c, start);
    size_t stop = at == std::string_view::npos ? row.size() : at;
    size_t b = start, e = stop;
    while (b < e && isBlank(row[b]))
      ++b;
    while (e > b && isBlank(row[e - 1]))
      --e;
    fields.push_back({row.substr(b, e - b), (b < e ? b : start) + 1});
    if (at == std::string_view::npos)
      return;
    start = at + 1;
  }
}

/// A header name without the double quotes a spreadsheet may put around it.
std::string headerName(std::string_view s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"')
    s = s.substr(1, s.size() - 2);
  return std::string(s);
}

} // namespace

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
  Separator sep = Separator::Comma;
  // The first row, when it is a header: split once the separator is known.
  std::string_view header;
  bool sawRow = false;
  size_t pos = 0;
  int64_t line = 0;
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

    if (!sawRow) {
      sawRow = true;
      // A first row with no number at all is a header.
      splitRow(row, detectSeparator(row), fields);
      double ignored;
      if (std::none_of(fields.begin(), fields.end(), [&](const Field &f) {
            return parseNumber(f.text, ignored);
          })) {
        header = row;
        continue;
      }
    }
    auto where = [&](size_t column) {
      return path + ":" + std::to_string(line) + ":" + std::to_string(column) +
             ": ";
    };
    if (columns < 0) {
      sep = detectSeparator(row);
      firstDataLine = line;
      if (!header.empty()) {
        splitRow(header, sep, fields);
        for (const Field &f : fields)
          a.header.push_back(headerName(f.text));
      }
    }
    // Another separator would split a row differently from the first data
    // row, so it is an error even where the count of fields happens to
    // agree.
    auto mixed = [&](size_t column, const std::string &what,
                     const std::string &hint = "") {
      return Error(where(column) + what + " in a file whose first data row " +
                   "(line " + std::to_string(firstDataLine) +
                   ") separates fields by " + separatorName(sep) +
                   (sep == Separator::Blanks ? " (it has no ',' or ';')" : "") +
                   "; every row must use the same separator" + hint);
    };
    for (size_t i = first; i < row.size(); ++i) {
      char c = row[i];
      bool other = sep == Separator::Blanks
                       ? c == ',' || c == ';'
                       : c == (sep == Separator::Comma ? ';' : ',');
      if (!other)
        continue;
      // ',' and ';' together are most likely decimal commas.
      throw mixed(i + 1, std::string("'") + c + "'",
                  c == ',' || sep == Separator::Comma
                      ? " (a decimal comma is not read: write 1.5, not 1,5)"
                      : "");
    }
    splitRow(row, sep, fields);
    if (sep != Separator::Blanks)
      for (const Field &f : fields)
        for (size_t i = 0; i < f.text.size(); ++i)
          if (isBlank(f.text[i]))
            throw mixed(f.column + i, "a blank inside a field");
    if (columns < 0) {
      columns = static_cast<int64_t>(fields.size());
    } else if (static_cast<int64_t>(fields.size()) != columns) {
      // Point at the first field too many, or at the last one of a short
      // row.
      const Field &f = fields[std::min<size_t>(fields.size() - 1, columns)];
      throw Error(
          where(f.column) + "this row has " + std::to_string(fields.size()) +
          " fields but line " + std::to_string(firstDataLine) + " has " +
          std::to_string(columns) + " (separated by " + separatorName(sep) +
          "); every record must have the same number of values");
    }
    for (size_t i = 0; i < fields.size(); ++i) {
      double v;
      if (!parseNumber(fields[i].text, v)) {
        if (fields[i].text.empty())
          throw Error(where(fields[i].column) + "field " +
                      std::to_string(i + 1) + " is empty; expected a number");
        throw Error(where(fields[i].column) + "field " + std::to_string(i + 1) +
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

//===----------------------------------------------------------------------===//
// Picking columns
//===----------------------------------------------------------------------===//

namespace {

/// Parses all of `s` as an integer.
bool parseIndex(std::string_view s, int64_t &v) {
  if (!s.empty() && s[0] == '+')
    s.remove_prefix(1);
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && ec == std::errc() && ptr == s.data() + s.size();
}

} // namespace

std::vector<int64_t> csvColumns(const RawArray &a, const std::string &option,
                                const std::string &spec) {
  assert(a.shape.size() == 2 && "a CSV array is records x columns");
  int64_t n = a.shape[1];
  std::string what = option + " " + spec + ": ";
  std::string has = a.path + " has " + std::to_string(n) + " column" +
                    (n == 1 ? "" : "s") + " (0 to " + std::to_string(n - 1) +
                    ", or -" + std::to_string(n) + " to -1 from the end)";
  auto named = [&](const std::string &name) -> int64_t {
    auto it = std::find(a.header.begin(), a.header.end(), name);
    if (it == a.header.end())
      return -1;
    if (static_cast<int64_t>(a.header.size()) != n)
      throw UsageError(what + "the header of " + a.path + " has " +
                       std::to_string(a.header.size()) +
                       " names but its rows have " + std::to_string(n) +
                       " fields, so a name does not tell the column; pick "
                       "it by number");
    return it - a.header.begin();
  };
  // A header name may itself hold a ',' or ':'.
  if (int64_t c = named(spec); c >= 0)
    return {c};

  std::vector<int64_t> picked;
  auto add = [&](int64_t c) {
    if (std::find(picked.begin(), picked.end(), c) != picked.end())
      throw UsageError(what + "column " + std::to_string(c) +
                       " is picked twice");
    picked.push_back(c);
  };
  // An index in [-n, n) (or, as a range's end, [-n, n]) made 0-based.
  auto index = [&](std::string_view text, bool end) {
    int64_t v = 0;
    if (!parseIndex(text, v))
      return static_cast<int64_t>(-1);
    if (v < -n || v > (end ? n : n - 1))
      throw UsageError(what + "column " + std::string(text) +
                       " is out of range; " + has);
    return v < 0 ? v + n : v;
  };
  std::string_view rest = spec;
  for (;;) {
    size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    if (item.empty())
      throw UsageError(what + "an empty column in the list; expected "
                              "numbers, ranges A:B or header names "
                              "separated by ','");
    if (int64_t c = named(std::string(item)); c >= 0) {
      add(c);
    } else if (size_t colon = item.find(':'); colon != std::string_view::npos) {
      std::string_view lo = item.substr(0, colon), hi = item.substr(colon + 1);
      int64_t b = lo.empty() ? 0 : index(lo, true);
      int64_t e = hi.empty() ? n : index(hi, true);
      if (b < 0 || e < 0)
        throw UsageError(what + "'" + std::string(item) +
                         "' is not a range; expected A:B, the columns A to "
                         "B - 1 (0-based, as in Python: 0:3 is 0, 1 and 2; "
                         "either end may be left out or negative)");
      if (b >= e)
        throw UsageError(what + "the range '" + std::string(item) +
                         "' picks no column; " + has);
      for (int64_t c = b; c < e; ++c)
        add(c);
    } else if (int64_t c = index(item, false); c >= 0) {
      add(c);
    } else if (a.header.empty()) {
      throw UsageError(what + "'" + std::string(item) +
                       "' is not a column number, and " + a.path +
                       " has no header row to name its columns; " + has);
    } else {
      std::string m = abi::closestMatch(std::string(item), a.header);
      std::string names;
      for (const std::string &h : a.header)
        names += (names.empty() ? "" : ", ") + h;
      throw UsageError(what + "no column is named '" + std::string(item) + "'" +
                       (m.empty() ? "" : " (did you mean '" + m + "'?)") +
                       "; the header of " + a.path + " has " + names);
    }
    if (comma == std::string_view::npos)
      return picked;
    rest.remove_prefix(comma + 1);
  }
}

RawArray takeColumns(const RawArray &a, const std::vector<int64_t> &columns) {
  assert(a.format == DataFormat::Csv && a.type == ElemType::F64 &&
         a.shape.size() == 2 && a.offset == 0 && "a CSV array");
  RawArray out;
  out.path = a.path;
  out.format = DataFormat::Csv;
  out.type = ElemType::F64;
  out.lines = a.lines;
  int64_t records = a.shape[0], width = a.shape[1];
  auto picked = static_cast<int64_t>(columns.size());
  out.shape = {records, picked};
  bool named = static_cast<int64_t>(a.header.size()) == width;
  for (int64_t c : columns) {
    assert(c >= 0 && c < width && "column out of range");
    if (named)
      out.header.push_back(a.header[static_cast<size_t>(c)]);
  }
  out.bytes.resize(static_cast<size_t>(records * picked) * sizeof(double));
  for (int64_t r = 0; r < records; ++r)
    for (int64_t j = 0; j < picked; ++j)
      std::memcpy(out.bytes.data() + (r * picked + j) * sizeof(double),
                  a.bytes.data() +
                      (r * width + columns[static_cast<size_t>(j)]) *
                          sizeof(double),
                  sizeof(double));
  return out;
}

} // namespace lamina
