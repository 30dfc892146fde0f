//===- Dataset.cpp - Raw arrays to samples and data sets ------------------===//

#include "lamina/Data.h"

#include "DataCommon.h"

#include "lamina/Error.h"
#include "lamina/abi/Names.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <type_traits>

namespace lamina {

//===----------------------------------------------------------------------===//
// Conversion
//===----------------------------------------------------------------------===//

template <typename S> static S loadElem(const uint8_t *p, bool bigEndian) {
  uint8_t tmp[sizeof(S)];
  if (bigEndian)
    std::reverse_copy(p, p + sizeof(S), tmp);
  else
    std::memcpy(tmp, p, sizeof(S));
  S v;
  std::memcpy(&v, tmp, sizeof(S));
  return v;
}

/// The errors of a value that does not fit its tensor, shared by the
/// whole-file reader and the records streamed by NpyRecords.
static Error classOutOfRange(const std::string &path, const std::string &record,
                             double v, const TensorSpec &spec) {
  // A label holds classes; an input of tokens indexes a table's rows.
  bool label = spec.arg.rfind(abi::argumentName(abi::Role::Label, ""), 0) == 0;
  return Error(path + ": " + record + ": " + (label ? "class " : "index ") +
               std::to_string(static_cast<int64_t>(v)) + " is out of range; " +
               spec.describe() + (label ? " holds " : " indexes ") +
               std::to_string(spec.classes) + (label ? " classes" : " rows") +
               ", 0 to " + std::to_string(spec.classes - 1));
}

// A NaN or infinity would flow silently through relu and pooling.
static Error notFinite(const std::string &path, const std::string &record,
                       int64_t value, double v, const TensorSpec &spec) {
  return Error(path + ": " + record + ", value " + std::to_string(value) +
               " is " + (std::isnan(v) ? "nan" : "infinite") + "; " +
               spec.describe() + " needs finite numbers");
}

template <typename T>
static void checkValues(const std::string &path, const TensorSpec &spec,
                        const T *v, int64_t first, int64_t n,
                        int64_t perRecord) {
  // Blocks of a fixed 64 values with an integer OR: loops the compiler
  // vectorizes at -O2 (no floating-point reduction to keep in order, no
  // trip count to peel); NaN and infinity have every exponent bit set.
  constexpr int64_t kBlock = 64;
  using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  auto hit = [&](int64_t i) -> Bits {
    if constexpr (std::is_integral_v<T>) {
      return static_cast<Bits>(v[i] < 0) |
             static_cast<Bits>(v[i] >= spec.classes);
    } else {
      constexpr auto exponent =
          static_cast<Bits>(sizeof(T) == 4 ? 0x7f800000u : 0x7ff0000000000000u);
      Bits b;
      std::memcpy(&b, v + i, sizeof(b));
      return static_cast<Bits>((b & exponent) == exponent);
    }
  };
  if (std::is_integral_v<T> && spec.classes <= 0)
    return;
  Bits any = 0;
  int64_t i = 0;
  for (; i + kBlock <= n; i += kBlock)
    for (int64_t j = 0; j < kBlock; ++j)
      any |= hit(i + j);
  for (; i < n; ++i)
    any |= hit(i);
  bool bad = any != 0;
  if (!bad)
    return;
  for (int64_t i = 0; i < n; ++i) {
    auto x = static_cast<double>(v[i]);
    std::string record = "record " + std::to_string(first + i / perRecord);
    if constexpr (std::is_integral_v<T>) {
      if (x < 0 || x >= static_cast<double>(spec.classes))
        throw classOutOfRange(path, record, x, spec);
    } else if (!std::isfinite(x)) {
      throw notFinite(path, record, i % perRecord, x, spec);
    }
  }
}

void checkRecords(const std::string &path, const TensorSpec &spec,
                  const Tensor &t, int64_t first, int64_t rows) {
  int64_t perRecord = spec.sampleNumel();
  int64_t n = rows * perRecord;
  switch (t.dtype()) {
  case DType::F32:
    return checkValues(path, spec, t.data<float>(), first, n, perRecord);
  case DType::F64:
    return checkValues(path, spec, t.data<double>(), first, n, perRecord);
  case DType::I32:
    return checkValues(path, spec, t.data<int32_t>(), first, n, perRecord);
  }
}

template <typename S, typename D>
static void convertAll(const RawArray &a, D *out, int64_t n, double scale,
                       const TensorSpec &spec) {
  const uint8_t *src = a.bytes.data() + a.offset;
  int64_t perRecord = a.recordNumel();
  for (int64_t i = 0; i < n; ++i) {
    S s = loadElem<S>(src + i * sizeof(S), a.bigEndian && sizeof(S) > 1);
    if constexpr (std::is_integral_v<D>) {
      double v = static_cast<double>(s);
      if (!std::isfinite(v) || v != std::floor(v) ||
          v < std::numeric_limits<D>::min() ||
          v > std::numeric_limits<D>::max()) {
        char text[64];
        std::snprintf(text, sizeof(text), "%.17g", v);
        throw Error(a.path + ": " + a.recordName(i / perRecord) + ", value " +
                    std::to_string(i % perRecord) + ": " + text +
                    " is not a 32-bit integer, but " + spec.describe() +
                    " holds integers (class indices)");
      }
      if (spec.classes > 0 && (v < 0 || v >= spec.classes))
        throw classOutOfRange(a.path, a.recordName(i / perRecord), v, spec);
      out[i] = static_cast<D>(s);
    } else {
      double v = static_cast<double>(s);
      if (!std::isfinite(v))
        throw notFinite(a.path, a.recordName(i / perRecord), i % perRecord, v,
                        spec);
      out[i] = static_cast<D>(v * scale);
    }
  }
}

template <typename D>
static void convertTo(const RawArray &a, D *out, int64_t n,
                      const TensorSpec &spec) {
  // Bytes in a float tensor are pixels: scale them to [0, 1].
  double scale =
      std::is_floating_point_v<D> && a.type == ElemType::U8 ? 1.0 / 255.0 : 1.0;
  switch (a.type) {
  case ElemType::U8:
    return convertAll<uint8_t>(a, out, n, scale, spec);
  case ElemType::I8:
    return convertAll<int8_t>(a, out, n, scale, spec);
  case ElemType::I16:
    return convertAll<int16_t>(a, out, n, scale, spec);
  case ElemType::U16:
    return convertAll<uint16_t>(a, out, n, scale, spec);
  case ElemType::I32:
    return convertAll<int32_t>(a, out, n, scale, spec);
  case ElemType::I64:
    return convertAll<int64_t>(a, out, n, scale, spec);
  case ElemType::F32:
    return convertAll<float>(a, out, n, scale, spec);
  case ElemType::F64:
    return convertAll<double>(a, out, n, scale, spec);
  }
}

Tensor toSamples(const RawArray &a, const TensorSpec &spec) {
  int64_t records = a.records();
  if (records == 0)
    throw Error(a.path + ": no records (shape " + shapeText(a.shape) + "); " +
                spec.describe() + " needs at least one");
  int64_t perRecord = a.recordNumel();
  int64_t perSample = spec.sampleNumel();
  if (perRecord != perSample) {
    std::string recordShape =
        a.format == DataFormat::Csv
            ? std::to_string(perRecord) + " values per row"
            : "records of shape " +
                  shapeText(Shape(a.shape.begin() + 1, a.shape.end())) + " (" +
                  std::to_string(perRecord) + " values)";
    throw Error(a.path + ": has " + recordShape + ", but " + spec.describe() +
                " takes " + std::to_string(perSample) +
                " values per sample; is this the file for '" + spec.name +
                "'? (data files go in declaration order: inputs, then labels)");
  }
  Shape shape = spec.sampleShape();
  shape.insert(shape.begin(), records);
  Tensor t(spec.dtype, shape);
  int64_t n = t.numel();
  switch (spec.dtype) {
  case DType::F32:
    convertTo(a, t.data<float>(), n, spec);
    break;
  case DType::F64:
    convertTo(a, t.data<double>(), n, spec);
    break;
  case DType::I32:
    convertTo(a, t.data<int32_t>(), n, spec);
    break;
  }
  return t;
}

Tensor loadSamples(const std::string &path, const TensorSpec &spec) {
  return toSamples(readArray(path), spec);
}

//===----------------------------------------------------------------------===//
// Data sets
//===----------------------------------------------------------------------===//

static Tensor takeRows(Tensor &t, int64_t begin, int64_t end) {
  Shape s = t.shape();
  s[0] = end - begin;
  Tensor out(t.dtype(), s);
  if (out.byteSize())
    std::memcpy(out.raw(), t.row(begin), out.byteSize());
  return out;
}

Dataset Dataset::splitTail(int64_t count) {
  assert(count >= 0 && count <= size && "split larger than the data set");
  Dataset tail;
  tail.size = count;
  int64_t keep = size - count;
  for (auto *list : {&inputs, &labels}) {
    auto &dst = list == &inputs ? tail.inputs : tail.labels;
    for (Tensor &t : *list) {
      dst.push_back(takeRows(t, keep, size));
      t = takeRows(t, 0, keep);
    }
  }
  size = keep;
  return tail;
}

Dataset loadDataset(const ModelDesc &model,
                    const std::vector<std::string> &inputPaths,
                    const std::vector<std::string> &labelPaths) {
  assert(inputPaths.size() == model.inputs.size() &&
         (labelPaths.empty() || labelPaths.size() == model.labels.size()) &&
         "one path per tensor");
  Dataset d;
  std::string firstPath;
  auto add = [&](const TensorSpec &spec, const std::string &path,
                 std::vector<Tensor> &dst) {
    Tensor t = loadSamples(path, spec);
    int64_t n = t.shape()[0];
    if (firstPath.empty()) {
      firstPath = path;
      d.size = n;
    } else if (n != d.size) {
      throw Error(path + ": has " + std::to_string(n) + " records but " +
                  firstPath + " has " + std::to_string(d.size) +
                  "; inputs and labels must have one record per sample");
    }
    dst.push_back(std::move(t));
  };
  for (size_t i = 0; i < inputPaths.size(); ++i)
    add(model.inputs[i], inputPaths[i], d.inputs);
  for (size_t i = 0; i < labelPaths.size(); ++i)
    add(model.labels[i], labelPaths[i], d.labels);
  return d;
}

} // namespace lamina
