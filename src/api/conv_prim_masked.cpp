// Backward data with the fused ReLU backward (backward_data_options::relu_mask): the execute
// of a conv_prim_impl whose pd has relu_mask. Every path gives diff_src * [src > 0]: the masked
// kernel, the diff_dst-sparse kernel with the mask applied to its rows, oneDNN dense (or the
// reference) followed by a mask pass; masked_dispatcher chooses.
#include <sstream>

#include "api/conv_prim_impl.hpp"
#include "common/md_utils.hpp"
#include "common/scratch.hpp"
#include "common/verbose.hpp"
#include "driver/relu_mask.hpp"
#include "fallback/onednn_dense.hpp"
#include "reference/reference_exec.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace detail {

void conv_prim_impl::run_mask_kernel(const conv_memories &m, double density) const {
    conv_tensors t = tensors_of(direction::bwd_d, m,
            weights_to_mask ? reordered_weights(weights_to_mask, m.weights, pd->mask_weights_md, pd->engine)
                            : nullptr);
    t.mask_src = fptr(m.mask_src);
    t.density_hint = density;
    t.flush_denormals = pd->flush_denormals;
    pd->sparse_mask->execute(t);
}

void conv_prim_impl::run_row_kernel_masked(const conv_memories &m, double density) const {
    conv_tensors t = tensors_of(direction::bwd_d, m,
            weights_to_sparse ? reordered_weights(weights_to_sparse, m.weights, pd->sparse_weights_md, pd->engine)
                              : nullptr);
    t.mask_src = pd->relu_mask_optional ? nullptr : fptr(m.mask_src); // optional: no mask pass
    t.density_hint = density;
    t.flush_denormals = pd->flush_denormals;
    pd->sparse->execute(t);
}

void conv_prim_impl::execute_masked(dnnl::stream &s, const std::unordered_map<int, dnnl::memory> &args,
        const conv_memories &m) const {
    const double t0 = verbose_level() ? now_ms() : 0.0;
    const float *src = fptr(m.mask_src);
    float *diff_src = fptr(m.src);
    const size_t n_src = pd->md.src.get_size() / sizeof(float), n_dd = pd->md.dst.get_size() / sizeof(float);
    masked_paths paths;
    paths.mask = [&](double density) { run_mask_kernel(m, density); };
    paths.row = [&](double density) { run_row_kernel_masked(m, density); };
    paths.dense = [&] {
        std::unordered_map<int, dnnl::memory> dense_args(args);
        dense_args.erase(DNNL_ARG_SRC);
        dense_execute(dense, s, dense_args);
        if (!pd->relu_mask_optional) apply_relu_mask_parallel(diff_src, src, n_src);
    };
    paths.reference = [&] {
        reference_execute(pd->dir, pd->prob, pd->with_bias, pd->with_relu, s, m);
        if (!pd->relu_mask_optional) apply_relu_mask_parallel(diff_src, src, n_src);
    };
    const masked_choice c = choose_masked.run(*pd, src, n_src, fptr(m.dst), n_dd, paths);
    std::string impl;
    switch (c.path) {
    case masked_path::mask:
        ++n_sparse_;
        ++n_sparse_mask_;
        impl = pd->sparse_mask->name();
        break;
    case masked_path::row:
        ++n_sparse_;
        impl = pd->sparse->name() + "+relu_mask";
        break;
    case masked_path::dense:
        ++n_dense_;
        impl = "onednn:" + pd->dnnl_impl + "+relu_mask";
        break;
    case masked_path::reference:
        ++n_reference_;
        impl = "reference+relu_mask";
        break;
    }
    // The sparsity of the operand the path exploited (src for the masked kernel and dense).
    if (c.path == masked_path::row && c.dd_zeros >= 0) last_zeros_ = c.dd_zeros;
    else if (c.src_zeros >= 0) last_zeros_ = c.src_zeros;
    if (verbose_level()) {
        std::ostringstream os;
        os << "exec," << to_string(pd->dir) << "," << impl << "," << pd->prob.to_string() << "," << pd->formats_str()
           << "," << c.note << "," << now_ms() - t0;
        verbose_print(os.str());
    }
}

} // namespace detail
} // namespace sparsetrain
