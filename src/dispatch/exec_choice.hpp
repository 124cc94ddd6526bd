// Per-execute choice between the sparse kernel and oneDNN dense.
#pragma once

#include <string>

#include "api/conv_pd_impl.hpp"
#include "fallback/reference_exec.hpp"

namespace sparsetrain {
namespace detail {

enum class exec_path { sparse, dense, reference };

struct exec_choice {
    exec_path path;
    std::string note; // for the verbose line: why this path (mode, measured sparsity, ...)
};

exec_choice choose_exec(const conv_pd_impl &pd, const conv_memories &m);

} // namespace detail
} // namespace sparsetrain
