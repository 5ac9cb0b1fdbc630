#include "common/credential_files.h"

#include <stdexcept>

#include "common/files.h"

namespace kp {

CredentialFiles::CredentialFiles(std::vector<std::string> paths, std::chrono::seconds recheck_every)
    : paths_(std::move(paths)),
      recheck_every_(recheck_every),
      contents_(Contents()),
      looked_at_(std::chrono::steady_clock::now()) {}

bool CredentialFiles::Changed() {
  const auto now = std::chrono::steady_clock::now();
  if (now - looked_at_ < recheck_every_) return false;
  looked_at_ = now;
  auto contents = Contents();
  if (contents == contents_) return false;
  contents_ = std::move(contents);
  return true;
}

std::vector<std::optional<std::string>> CredentialFiles::Contents() const {
  std::vector<std::optional<std::string>> contents;
  for (const auto& path : paths_) {
    try {
      contents.push_back(ReadFileToString(path));
    } catch (const std::runtime_error&) {
      contents.push_back(std::nullopt);
    }
  }
  return contents;
}

}  // namespace kp
