#pragma once

namespace sparsetrain {

struct version_t {
    int major, minor, patch;
};
// The library's version (from the shared object, not this header).
version_t version();

} // namespace sparsetrain
