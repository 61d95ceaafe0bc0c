// Shared by the fuzz targets: a property check that aborts (libFuzzer and the replay main
// both report an abort as a crash, with the input that caused it), and byte helpers.
// Header-only so a target links only what it fuzzes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <utility>

namespace ibd::fuzz {

[[noreturn]] inline void fail(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: fuzz property violated: %s\n", file, line, what);
  std::fflush(stderr);
  std::abort();
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Splits at the first `sep`: {before, after}; no separator = everything is the first part.
inline std::pair<std::string_view, std::string_view> split_once(std::string_view text, char sep) {
  const auto at = text.find(sep);
  if (at == std::string_view::npos) return {text, {}};
  return {text.substr(0, at), text.substr(at + 1)};
}

}  // namespace ibd::fuzz

#define FUZZ_CHECK(cond)                                      \
  do {                                                        \
    if (!(cond)) ::ibd::fuzz::fail(#cond, __FILE__, __LINE__); \
  } while (0)
