//===- DataCommon.h - Internals of the data readers -----------------------===//
//
// Private to the runtime: helpers that more than one of Data.cpp, Gzip.cpp,
// Idx.cpp, Npy.cpp and Dataset.cpp use.
//
//===----------------------------------------------------------------------===//

#ifndef LAMINA_RUNTIME_DATACOMMON_H
#define LAMINA_RUNTIME_DATACOMMON_H

#include "lamina/Data.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lamina {

/// "[2, 3]" for messages.
std::string shapeText(const Shape &s);

/// The product of `dims` times `elem`, or throws if it overflows what a file
/// could hold.
uint64_t checkedBytes(const std::string &path, const Shape &dims, size_t elem);

/// Explains that data ends early, naming the first incomplete record.
[[noreturn]] void truncated(const std::string &path, const Shape &shape,
                            ElemType type, uint64_t have);

/// Whether `b` starts with the gzip magic.
bool isGzip(const std::vector<uint8_t> &b);

/// The decompressed contents of the gzip file `path`. Throws Error if it is
/// truncated or corrupt.
std::vector<uint8_t> gunzipFile(const std::string &path);

/// Whether `b` starts with the NPY magic.
bool isNpy(const std::vector<uint8_t> &b);

} // namespace lamina

#endif // LAMINA_RUNTIME_DATACOMMON_H
