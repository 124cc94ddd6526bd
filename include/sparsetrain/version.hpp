#pragma once

#include "sparsetrain/export.hpp"

namespace sparsetrain {

struct version_t {
    int major, minor, patch;
};
// The library's version (from the shared object, not this header).
SPARSETRAIN_API version_t version();

} // namespace sparsetrain
