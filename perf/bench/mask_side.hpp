// Masked backward data in the benchmark: sparsetrain's backward data with the fused ReLU
// backward (backward_data_options::relu_mask) and oneDNN's pipeline for the same result, its
// backward data followed by eltwise_backward(eltwise_relu) (perf/README.md, "Masked backward
// data").
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include "bench/bench_side.hpp"

namespace sparsetrain {
namespace bench {

// sparsetrain's backward data with relu_mask (activations in `act`, weights any; `optional`:
// relu_mask_optional); side.mask_src is its DNNL_ARG_SRC.
side make_sparsetrain_masked_side(const problem_t &p, dispatch_mode mode, dnnl::algorithm alg,
        dnnl::memory::format_tag act, bool optional = false);

// Appends oneDNN's ReLU backward to a oneDNN backward-data side, timed with it. scale 1: on
// diff_src itself, in place, with side.mask_src (diff_src's desc) as the ReLU output, so that
// the side's result is masked; scale 4: on a tensor of 2ih x 2iw pixels (the pre-pool tensor of
// a 2x2/2 max-pool before the conv), buffers of its own, the side's result left unmasked.
void add_relu_backward(side &sd, const problem_t &p, int scale);

} // namespace bench
} // namespace sparsetrain
