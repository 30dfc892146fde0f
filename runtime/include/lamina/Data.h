//===- Data.h - Reading data sets (IDX, CSV, NPY) and writing NPY ---------===//
//
// A data file holds records: the outermost dimension of an IDX or NPY array,
// or one row of a CSV file (fields separated by commas, semicolons or blanks,
// one separator per file). A tensor of shape [-1, d1, ..., dk] takes records
// of d1 * ... * dk elements, whatever their own shape (an IDX file of 28x28
// images feeds f32[-1, 784]). Records are numbered from 0 in messages; CSV
// errors give file:line:column.
//
// Conversions: uint8 values going into a float tensor are pixels and are
// scaled to [0, 1]; every other value keeps its numeric value. Values going
// into an i32 tensor must be integers in range.
//
//===----------------------------------------------------------------------===//

#ifndef LAMINA_RUNTIME_DATA_H
#define LAMINA_RUNTIME_DATA_H

#include "lamina/File.h"
#include "lamina/Model.h"
#include "lamina/Tensor.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lamina {

/// A file format the runtime reads.
enum class DataFormat { Idx, Csv, Npy };

/// Element type of the values stored in a data file.
enum class ElemType { U8, I8, I16, U16, I32, I64, F32, F64 };

/// Size in bytes of one element of `t`.
size_t elemSize(ElemType t);
/// A short name for messages ("u8", "f32", ...).
const char *elemName(ElemType t);

/// The decoded contents of one data file, before conversion.
struct RawArray {
  /// The file, for messages.
  std::string path;
  DataFormat format = DataFormat::Csv;
  ElemType type = ElemType::F64;
  /// Shape of the whole array; shape[0] is the number of records.
  Shape shape;
  /// The element data starts at bytes[offset].
  std::vector<uint8_t> bytes;
  size_t offset = 0;
  /// Whether elements are stored big-endian (IDX).
  bool bigEndian = false;
  /// CSV only: the 1-based line of each record.
  std::vector<int64_t> lines;
  /// CSV only: the names of the header row, if the file has one.
  std::vector<std::string> header;

  /// Number of records.
  int64_t records() const { return shape.empty() ? 0 : shape[0]; }
  /// Elements per record.
  int64_t recordNumel() const;
  /// "record 5" or, for CSV, "record 5 (line 7)".
  std::string recordName(int64_t i) const;
};

/// Reads `path`, gunzipping it first if it starts with the gzip magic, and
/// decodes it by its extension or contents. Throws Error naming the file (and
/// the record or line) if it is missing, empty, truncated or malformed.
RawArray readArray(const std::string &path);

/// Decodes an IDX file. `bytes` is the (decompressed) file content.
RawArray parseIdx(const std::string &path, std::vector<uint8_t> bytes);
/// Decodes an NPY file (format versions 1, 2 and 3, C order, dtypes '<f4',
/// '<f8', '<i4', '<i8', '<i2', '<u2', '|u1', '|i1', '|b1').
RawArray parseNpy(const std::string &path, std::vector<uint8_t> bytes);
/// Decodes a CSV file of numbers: one record per row. The separator is that
/// of the first data row: ',' if it has one, else ';' if it has one, else
/// runs of spaces and tabs (numpy.savetxt's default); every row must use it.
/// Blanks around fields are ignored. Blank lines and lines starting with '#'
/// are skipped, and so is a first row in which no field is a number (a
/// header, whose names go to RawArray::header). Errors name
/// file:line:column.
RawArray parseCsv(const std::string &path, const std::vector<uint8_t> &bytes);

/// The columns of the CSV array `a` (0-based) that `spec`, given to
/// `option`, picks, in its order. `spec` is a ','-separated list of items,
/// each a header name, a column number (negative from the end: -1 is the
/// last) or a range A:B, the columns A to B - 1 as in Python (an end left
/// out is the first or the last column). Throws UsageError naming the
/// option, the file and its columns for a column that is not in the file,
/// an empty range, or a column picked twice.
std::vector<int64_t> csvColumns(const RawArray &a, const std::string &option,
                                const std::string &spec);

/// The CSV array `a` with only `columns` (0-based, in range), in that order;
/// the lines and header names go along.
RawArray takeColumns(const RawArray &a, const std::vector<int64_t> &columns);

/// Converts all records of `a` into a tensor of shape [records, sample...]
/// with `spec`'s dtype and sample shape. Throws Error if a record has the
/// wrong number of elements, the file has no records, or a value does not fit
/// an i32 tensor.
Tensor toSamples(const RawArray &a, const TensorSpec &spec);

/// Checks records [first, first + rows) of `path`, held in the first rows of
/// `t`, as toSamples checks a whole file: finite floats, class indices in
/// range. Throws Error naming the file and record.
void checkRecords(const std::string &path, const TensorSpec &spec,
                  const Tensor &t, int64_t first, int64_t rows);

/// readArray + toSamples.
Tensor loadSamples(const std::string &path, const TensorSpec &spec);

/// A data set: one tensor per model input and per label, in declaration
/// order, all with the same number of records.
struct Dataset {
  std::vector<Tensor> inputs;
  std::vector<Tensor> labels;
  /// Number of records.
  int64_t size = 0;

  /// Moves the last `count` records into a new data set (the validation
  /// split), keeping the first size - count here.
  Dataset splitTail(int64_t count);
};

/// Loads `inputPaths[i]` for `model.inputs[i]` and `labelPaths[j]` for
/// `model.labels[j]` (labelPaths may be empty for prediction). Throws Error if
/// the files disagree on the number of records.
Dataset loadDataset(const ModelDesc &model,
                    const std::vector<std::string> &inputPaths,
                    const std::vector<std::string> &labelPaths);

/// Writes `t` as an NPY (version 1) file in C order: '<f4', '<f8' or '<i4'.
/// The file is replaced atomically. Throws Error on failure.
void writeNpy(const std::string &path, const Tensor &t);

/// An NPY file written as its rows come: the header (dtype and the whole
/// shape) first, then append() the data in order, then commit(), which
/// replaces `path` atomically (abandoned if never committed).
class NpyWriter {
public:
  NpyWriter(const std::string &path, DType dtype, const Shape &shape);
  void append(const void *data, size_t bytes) { file_.write(data, bytes); }
  void commit() { file_.commit(); }

private:
  AtomicFile file_;
};

/// The records of an uncompressed NPY file, read a batch at a time into a
/// tensor with no conversion: `predict` streams its inputs so (the file is
/// never held whole).
class NpyRecords {
public:
  /// The records of `path` for `spec`, or nullptr when the file is not an
  /// uncompressed NPY of `spec`'s element type and sample size (the caller
  /// loads it whole, converting it or reporting what is wrong). Throws
  /// Error for a corrupt or truncated NPY file.
  static std::unique_ptr<NpyRecords> open(const std::string &path,
                                          const TensorSpec &spec);
  ~NpyRecords();
  NpyRecords(const NpyRecords &) = delete;
  NpyRecords &operator=(const NpyRecords &) = delete;

  int64_t records() const { return records_; }
  /// Reads records [first, first + count) into the first rows of `dst` and
  /// checks them (checkRecords). Throws Error naming the file and record if
  /// the read fails or a value does not fit.
  void read(int64_t first, int64_t count, Tensor &dst);

private:
  NpyRecords() = default;
  int fd_ = -1;
  std::string path_;
  TensorSpec spec_;
  uint64_t dataStart_ = 0, recordBytes_ = 0;
  int64_t records_ = 0;
};

} // namespace lamina

#endif // LAMINA_RUNTIME_DATA_H
