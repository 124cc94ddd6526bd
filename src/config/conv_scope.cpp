#include "config/conv_scope.hpp"

namespace sparsetrain {

bool check_sparse_scope(const problem_t &p, std::string &why_not) {
    if (p.ndims != 4) return decline(why_not, "3D convolution");
    if (p.g != 1) return decline(why_not, "grouped convolution (g = " + std::to_string(p.g) + ")");
    if (p.dh != 0 || p.dw != 0) return decline(why_not, "dilated convolution");
    if (p.ic % 16) return decline(why_not, "ic = " + std::to_string(p.ic) + " is not a multiple of 16");
    if (p.oc % 16) return decline(why_not, "oc = " + std::to_string(p.oc) + " is not a multiple of 16");
    return true;
}

bool check_tap_limits(const problem_t &p, std::string &why_not) {
    if (p.kh > 7 || p.kw > 7) return decline(why_not, "kernels larger than 7x7 are not supported");
    if (p.sh > 4 || p.sw > 4) return decline(why_not, "strides larger than 4 are not supported");
    if (p.ph >= p.kh || p.pw >= p.kw || p.ph_r >= p.kh || p.pw_r >= p.kw)
        return decline(why_not, "padding must be smaller than the kernel");
    return true;
}

} // namespace sparsetrain
