// The shipped configuration (config/ibd-cds.yaml, with its rules and value sets), loaded once
// per process for the targets that run the engine or the server's routes. A configuration
// that does not load is a broken build, not a fuzz finding: it aborts with the reason.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "server/config.hpp"

#ifndef IBD_SOURCE_DIR
#error "IBD_SOURCE_DIR must name the source tree (tests/fuzz/CMakeLists.txt defines it)"
#endif

namespace ibd::fuzz {

inline const config::AppConfig& shipped_config() {
  static const config::AppConfig config = [] {
    auto loaded = config::load_config(IBD_SOURCE_DIR "/config/ibd-cds.yaml");
    if (!loaded) {
      std::fprintf(stderr, "fuzz: cannot load config/ibd-cds.yaml: %s\n", loaded.error().c_str());
      std::abort();
    }
    return std::move(*loaded);
  }();
  return config;
}

}  // namespace ibd::fuzz
