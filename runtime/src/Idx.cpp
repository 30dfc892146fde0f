//===- Idx.cpp - Reading IDX files ----------------------------------------===//

#include "lamina/Data.h"

#include "DataCommon.h"

#include "lamina/Error.h"

#include <cstdio>

namespace lamina {

static uint32_t readBigEndian32(const uint8_t *p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 |
         uint32_t(p[3]);
}

RawArray parseIdx(const std::string &path, std::vector<uint8_t> bytes) {
  RawArray a;
  a.path = path;
  a.format = DataFormat::Idx;
  a.bigEndian = true;
  if (bytes.size() < 4)
    throw Error(path + ": file is truncated: an IDX file starts with a " +
                "4-byte magic number but the file has " +
                std::to_string(bytes.size()) + " bytes");
  if (bytes[0] != 0 || bytes[1] != 0) {
    char magic[16];
    std::snprintf(magic, sizeof(magic), "0x%02x%02x%02x%02x", bytes[0],
                  bytes[1], bytes[2], bytes[3]);
    throw Error(path + ": not an IDX file (magic " + magic +
                ", expected 0x0000TTNN); is it a different format?");
  }
  switch (bytes[2]) {
  case 0x08:
    a.type = ElemType::U8;
    break;
  case 0x09:
    a.type = ElemType::I8;
    break;
  case 0x0B:
    a.type = ElemType::I16;
    break;
  case 0x0C:
    a.type = ElemType::I32;
    break;
  case 0x0D:
    a.type = ElemType::F32;
    break;
  case 0x0E:
    a.type = ElemType::F64;
    break;
  default: {
    char code[8];
    std::snprintf(code, sizeof(code), "0x%02x", bytes[2]);
    throw Error(path + ": unknown IDX element type " + code +
                " (expected 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32 " +
                "or 0x0E f64)");
  }
  }
  size_t rank = bytes[3];
  if (rank == 0)
    throw Error(path + ": IDX file has 0 dimensions, so it has no records");
  size_t header = 4 + 4 * rank;
  if (bytes.size() < header)
    throw Error(path + ": file is truncated inside the IDX header (" +
                std::to_string(rank) + " dimensions need " +
                std::to_string(header) + " bytes, the file has " +
                std::to_string(bytes.size()) + ")");
  for (size_t i = 0; i < rank; ++i)
    a.shape.push_back(readBigEndian32(&bytes[4 + 4 * i]));
  uint64_t want = checkedBytes(path, a.shape, elemSize(a.type));
  uint64_t have = bytes.size() - header;
  if (have < want)
    truncated(path, a.shape, a.type, have);
  if (have > want)
    throw Error(path + ": " + std::to_string(have - want) +
                " unexpected bytes after the data declared by the IDX " +
                "header (shape " + shapeText(a.shape) +
                "); the file is corrupt");
  a.bytes = std::move(bytes);
  a.offset = header;
  return a;
}

} // namespace lamina
