//===- Support.h - Small utilities shared by the compiler -----------------===//
#ifndef LAMINA_SUPPORT_H
#define LAMINA_SUPPORT_H

#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace lamina {

/// A value or an error message (for user errors; internal errors assert).
template <typename T> class Expected {
public:
  Expected(T v) : value_(std::move(v)) {}
  /// Makes an error result.
  static Expected error(std::string msg) {
    Expected e;
    e.error_ = std::move(msg);
    return e;
  }
  explicit operator bool() const { return value_.has_value(); }
  T &operator*() {
    assert(value_ && "dereferencing an error");
    return *value_;
  }
  const T &operator*() const {
    assert(value_ && "dereferencing an error");
    return *value_;
  }
  T *operator->() { return &**this; }
  const T *operator->() const { return &**this; }
  const std::string &errorMessage() const { return error_; }

private:
  Expected() = default;
  std::optional<T> value_;
  std::string error_;
};

/// a / b rounded down (b > 0).
inline int64_t floorDiv(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/// Formats a double the shortest way that reads back exactly.
std::string formatDouble(double v);

/// The whole contents of the file at `path` ("-": standard input), or an
/// error "cannot read 'PATH': REASON" (missing, unreadable, a directory).
Expected<std::string> readTextFile(const std::string &path);

} // namespace lamina

#endif // LAMINA_SUPPORT_H
