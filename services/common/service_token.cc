#include "common/service_token.h"

#include <spdlog/spdlog.h>

#include <cctype>
#include <stdexcept>

#include "common/files.h"

namespace kp {

ServiceToken::ServiceToken(const std::string& path, std::chrono::seconds recheck_every)
    : path_(path), file_({path}, recheck_every), token_(Read()) {
  if (token_.empty()) throw std::runtime_error("no service token in " + path_ + " (unreadable or empty)");
}

std::string ServiceToken::Current() {
  std::lock_guard lock(mutex_);
  if (file_.Changed()) {
    std::string fresh = Read();
    if (fresh.empty()) {
      spdlog::warn("service token file unreadable or empty, keeping the last token path={}", path_);
    } else {
      token_ = std::move(fresh);
      spdlog::info("service token renewed from its file path={}", path_);
    }
  }
  return token_;
}

std::string ServiceToken::Read() const {
  std::string token;
  try {
    token = ReadFileToString(path_);
  } catch (const std::runtime_error&) {
    return {};
  }
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  return token;
}

}  // namespace kp
