#include "jit/jit_generator.hpp"

namespace sparsetrain {
namespace jit {

// Publication hook: dumps (SPARSETRAIN_JIT_DUMP) and perf-map symbols
// (SPARSETRAIN_JIT_PROFILE) are added here by the JIT inspection work.
void publish_kernel(const jit_generator &) {}

} // namespace jit
} // namespace sparsetrain
