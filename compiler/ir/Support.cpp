//===- Support.cpp --------------------------------------------------------===//
#include "lamina/Support.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace lamina {

std::string formatDouble(double v) {
  if (std::isnan(v))
    return "nan";
  if (std::isinf(v))
    return v > 0 ? "inf" : "-inf";
  char buf[64];
  for (int prec = 1; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (std::strtod(buf, nullptr) == v)
      break;
  }
  std::string s = buf;
  // Keep a float visibly a float: "1" -> "1.0".
  if (s.find_first_of(".eE") == std::string::npos)
    s += ".0";
  return s;
}

} // namespace lamina
