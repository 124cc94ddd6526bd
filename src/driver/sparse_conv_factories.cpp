// Until a direction's sparse kernels land, its factory declines every problem, so the
// dispatch layer runs oneDNN dense. Each kernel issue replaces its factory here
// (bwd_w: src/driver/bwd_w_conv.cpp).
#include "driver/sparse_conv.hpp"

namespace sparsetrain {

const char *to_string(weights_layout l) {
    switch (l) {
    case weights_layout::OIhw16i16o: return "OIhw16i16o";
    case weights_layout::OIhw16o16i: return "OIhw16o16i";
    case weights_layout::IOhw16o16i: return "IOhw16o16i";
    }
    return "?";
}

std::unique_ptr<sparse_conv> make_sparse_fwd(const problem_t &, const sparse_conv_options &, std::string &why_not) {
    why_not = "no sparse forward kernel in this build yet";
    return nullptr;
}
std::unique_ptr<sparse_conv> make_sparse_bwd_d(const problem_t &, const sparse_conv_options &, std::string &why_not) {
    why_not = "no sparse backward-data kernel in this build yet";
    return nullptr;
}

} // namespace sparsetrain
