// Names of the weight layouts of the sparse-implementation contract. The factories live
// with their drivers: src/driver/fwd_conv.cpp, bwd_d_conv.cpp, bwd_w_conv.cpp.
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

} // namespace sparsetrain
