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

} // namespace sparsetrain
