//===- Support.cpp --------------------------------------------------------===//
#include "lamina/Support.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

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

Expected<std::string> readTextFile(const std::string &path) {
  std::stringstream buf;
  if (path == "-") {
    buf << std::cin.rdbuf();
    return buf.str();
  }
  auto fail = [&](const std::string &why) {
    return Expected<std::string>::error("cannot read '" + path + "': " + why);
  };
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return fail("it is a directory; give a file");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(std::strerror(errno));
  buf << in.rdbuf();
  if (in.bad())
    return fail(std::strerror(errno));
  return buf.str();
}

} // namespace lamina
