// What a sparsetrain convolution primitive_desc holds: the validated problem, the memory
// descs of the primitive, the oneDNN dense primitive_desc (when oneDNN has one), the sparse
// implementation (when one accepted), the chosen implementation and every decline reason.
// A plain type in the dispatch room: the implementation list (dispatch/impl_list.hpp) fills
// it, the dispatcher reads it, api/ wraps it for the public primitive_desc.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "common/desc_validate.hpp"
#include "common/problem.hpp"
#include "driver/sparse_conv.hpp"
#include "sparsetrain/dispatch_mode.hpp"

namespace sparsetrain {
namespace detail {

enum class impl_kind { sparse_jit, onednn, reference };

struct conv_pd_impl {
    direction dir = direction::fwd;
    problem_t prob;
    dnnl::engine engine;
    dnnl::primitive_attr attr;
    bool with_bias = false; // fwd: bias; bwd_w: diff_bias
    bool with_relu = false; // fwd: a single ReLU post-op
    bool user_scratchpad = false; // attr scratchpad_mode::user: DNNL_ARG_SCRATCHPAD required for dense
    dnnl::prop_kind prop = dnnl::prop_kind::forward_training;
    dnnl::algorithm alg = dnnl::algorithm::convolution_direct;

    conv_mds md; // resolved (never `any`), in forward naming

    // The oneDNN dense pd of the direction (only the one matching `dir` is set).
    dnnl::convolution_forward::primitive_desc dnnl_fwd;
    dnnl::convolution_backward_data::primitive_desc dnnl_bwd_d;
    dnnl::convolution_backward_weights::primitive_desc dnnl_bwd_w;
    bool has_dnnl = false;
    std::string dnnl_impl; // oneDNN's impl_info_str()

    std::shared_ptr<const sparse_conv> sparse;
    // Set when the sparse kernel needs the weights in another standard layout than the
    // primitive's (backward data under oneDNN's Winograd pick, OIhw16i16o): each sparse
    // execute reorders them with oneDNN first (counted in its time).
    dnnl::memory::desc sparse_weights_md;
    // Backward data with the fused ReLU backward (backward_data_options::relu_mask):
    // DNNL_ARG_SRC is required, every path computes diff_src * [src > 0]. The masked kernel
    // (exploits src; reads IOhw16i16o weights, reordered per execute) runs beside `sparse`
    // (exploits diff_dst; the mask applied to its output), the dispatcher choosing per call.
    bool relu_mask = false;
    bool relu_mask_optional = false; // backward_data_options::relu_mask_optional: no mask pass needed
    std::shared_ptr<const sparse_conv> sparse_mask;
    dnnl::memory::desc mask_weights_md;
    dispatch_mode mode = dispatch_mode::automatic; // resolved (never from_env)
    bool flush_denormals = true;                   // resolved denormal_mode: FTZ/DAZ in sparse kernels

    impl_kind chosen = impl_kind::onednn;
    std::vector<std::pair<std::string, std::string>> declined;

    std::string impl_name() const { return impl_name(chosen); }
    std::string impl_name(impl_kind kind) const; // the name of this pd's implementation `kind`
    std::string formats_str() const;
    std::string attrs_str() const;
    dnnl::primitive_desc_base dnnl_pd() const; // the set one, or empty
};

// Hint from a forward pd (ours or oneDNN's), for backward pds.
struct fwd_hint {
    bool present = false;
    problem_t prob;
    dnnl::convolution_forward::primitive_desc dnnl_pd;
    bool has_dnnl_pd = false;
};

// Creates the oneDNN dense pd of the direction into `pd` (throws dnnl::error if oneDNN has none).
using dnnl_pd_maker = std::function<void(conv_pd_impl &pd, const fwd_hint &hint, const dnnl::primitive_attr &attr)>;

} // namespace detail
} // namespace sparsetrain
