#include "dispatch/exec_choice.hpp"

namespace sparsetrain {
namespace detail {

exec_choice choose_exec(const conv_pd_impl &pd, const conv_memories &) {
    switch (pd.chosen) {
    case impl_kind::sparse_jit: return {exec_path::sparse, "dispatch:sparse"};
    case impl_kind::onednn: return {exec_path::dense, "dispatch:dense"};
    case impl_kind::reference: return {exec_path::reference, "dispatch:reference"};
    }
    return {exec_path::dense, ""};
}

} // namespace detail
} // namespace sparsetrain
