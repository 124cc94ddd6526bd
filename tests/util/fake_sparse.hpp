// A stand-in sparse implementation for dispatcher tests: the dispatcher only needs a non-null
// one; executing it does nothing.
#pragma once

#include <string>

#include "driver/sparse_conv.hpp"

namespace sparsetrain {
namespace test {

struct fake_sparse : sparse_conv {
    void execute(const conv_tensors &) const override {}
    std::string name() const override { return "fake"; }
    std::string config_str() const override { return ""; }
};

} // namespace test
} // namespace sparsetrain
