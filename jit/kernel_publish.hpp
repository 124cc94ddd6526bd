// Publication of finished kernels: dump files, perf map symbols, verbose lines.
//   SPARSETRAIN_JIT_DUMP=1        write <name>.bin (the code bytes) and <name>.txt (kind,
//                                 problem, configuration, code size, generator markers) into
//                                 the working directory; =DIR writes them into DIR.
//   SPARSETRAIN_JIT_PROFILE=1     append "addr size name" to /tmp/perf-<pid>.map so that
//                                 `perf report` shows kernel names.
// <name> = sparsetrain_<kind>.<problem>.<hash of kind and configuration>.
#pragma once

#include <cstdint>
#include <string>

#include "jit/jit_generator.hpp"

namespace sparsetrain {
namespace jit {

uint32_t config_hash(const std::string &s);
std::string sanitize_for_file(const std::string &s);
std::string dump_basename(const jit_generator &g);
std::string kernel_description(const jit_generator &g);

} // namespace jit
} // namespace sparsetrain
