// Reading small configuration files (keys, certificates) whole.
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace kp {

// The file's content; throws std::runtime_error naming the path when it cannot be read.
inline std::string ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace kp
