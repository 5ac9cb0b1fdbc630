// What `--version` prints on every binary: the version, the commit and its date (cmake/Version.cmake).
#pragma once

#include <string>

namespace kp {

// "kruispuntd 0.1.0 (commit 1a2b3c4, 2026-12-05)".
std::string VersionLine(const std::string& program);
// Its parts, for the build-info metric: "0.1.0", "1a2b3c4" (with "+changes" for a tree with
// uncommitted changes).
std::string Version();
std::string Commit();

}  // namespace kp
