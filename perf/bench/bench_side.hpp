// One runnable convolution of a benchmark -- a oneDNN dense variant or a sparsetrain
// primitive -- with its own buffers in the layouts its primitive_desc picked. The same
// wiring serves both libraries: their primitive_desc types share the accessor names and their
// primitives share execute()'s signature.
#pragma once

#include <functional>
#include <string>

#include <oneapi/dnnl/dnnl.hpp>

#include "common/problem.hpp"
#include "sparsetrain/dispatch_mode.hpp"

namespace sparsetrain {
namespace bench {

struct side {
    std::string label; // implementation name (oneDNN variants prefixed in fastest mode)
    std::function<void(dnnl::stream &)> run;
    std::function<dispatch_stats()> stats; // sparsetrain sides only
    // Forward naming: src is diff_src for bwd_d; weights is diff_weights for bwd_w; bias is
    // diff_bias for bwd_w (absent for bwd_d); dst is diff_dst for both backward directions.
    dnnl::memory src, weights, bias, dst;
    // Masked backward data (bench/mask_side.hpp): the ReLU output src -- DNNL_ARG_SRC of
    // sparsetrain's relu_mask primitive, or the src of oneDNN's ReLU backward after its bwd_d.
    dnnl::memory mask_src;
};

// oneDNN dense with `alg` (convolution_direct or convolution_auto) and activations in
// `act` (format_tag::any: oneDNN's own pick; nhwc: its channels-last (brgemm) path).
// Throws dnnl::error when oneDNN has no implementation.
side make_onednn_side(const problem_t &p, direction dir, dnnl::algorithm alg, dnnl::memory::format_tag act,
        const std::string &label_prefix = "");
// sparsetrain's primitive (activations in `act`, weights format_tag::any) with the given
// dispatch policy. `alg`: the algorithm of sparsetrain's descs (convolution_auto lets its dense
// path be oneDNN's Winograd where oneDNN picks it).
side make_sparsetrain_side(const problem_t &p, direction dir, dispatch_mode mode,
        dnnl::algorithm alg = dnnl::algorithm::convolution_direct,
        dnnl::memory::format_tag act = dnnl::memory::format_tag::any);

} // namespace bench
} // namespace sparsetrain
