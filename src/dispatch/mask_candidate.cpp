#include "dispatch/mask_candidate.hpp"

#include "common/md_utils.hpp"
#include "common/cpu.hpp"
#include "config/conv_scope.hpp"
#include "dispatch/sparse_candidate.hpp"
#include "driver/bwd_d_mask_conv.hpp"

namespace sparsetrain {
namespace detail {

std::shared_ptr<const sparse_conv> try_sparse_mask(const conv_pd_impl &pd, std::string &why_not,
        dnnl::memory::desc &weights_md_for_mask) {
    weights_md_for_mask = dnnl::memory::desc();
    const problem_t &p = pd.prob;
    auto no = [&](const std::string &why) {
        why_not = why;
        return std::shared_ptr<const sparse_conv>();
    };
    if (pd.dir != direction::bwd_d) return no("the ReLU mask is a backward-data option");
    if (pd.mode == dispatch_mode::dense) return no("dispatch mode is dense (SPARSETRAIN_DISPATCH or dispatch_options)");
    const std::string isa = isa_limit_reason();
    if (!isa.empty()) return no(isa);
    const auto f32 = dnnl::memory::data_type::f32;
    if (pd.md.src.data_type() != f32 || pd.md.weights.data_type() != f32 || pd.md.dst.data_type() != f32)
        return no("data types other than f32");
    if (!check_sparse_scope(p, why_not)) return nullptr;
    if (pd.alg != dnnl::algorithm::convolution_direct && pd.alg != dnnl::algorithm::convolution_auto)
        return no("algorithm other than convolution_direct/convolution_auto");
    bool relu = false;
    if (!sparse_supports_attr(pd.dir, pd.attr, relu, why_not)) return nullptr;
    // Activations: both nChw16c or both nhwc. Weights: any layout, reordered per execute.
    const bool src_b = has_tag(pd.md.src, tag::nChw16c), src_n = has_tag(pd.md.src, tag::nhwc);
    const bool dd_b = has_tag(pd.md.dst, tag::nChw16c), dd_n = has_tag(pd.md.dst, tag::nhwc);
    if (!(src_b && dd_b) && !(src_n && dd_n))
        return no("activation layouts diff_src " + md_str(pd.md.src) + ", diff_dst " + md_str(pd.md.dst)
                + " (the masked kernel needs both nChw16c or both nhwc)");
    std::unique_ptr<sparse_conv> impl = make_sparse_bwd_d_mask(p, why_not, src_n);
    if (!impl) return nullptr;
    if (!has_tag(pd.md.weights, tag::IOhw16i16o))
        weights_md_for_mask = dnnl::memory::desc(pd.md.weights.dims(), f32, tag::IOhw16i16o);
    return std::shared_ptr<const sparse_conv>(std::move(impl));
}

} // namespace detail
} // namespace sparsetrain
