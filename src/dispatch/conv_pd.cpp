#include "dispatch/conv_pd.hpp"

#include <sstream>

#include "common/md_utils.hpp"

namespace sparsetrain {
namespace detail {

std::string conv_pd_impl::impl_name(impl_kind kind) const {
    const std::string masked = relu_mask ? "+relu_mask" : "";
    switch (kind) {
    case impl_kind::sparse_jit:
        if (sparse_mask) return sparse_mask->name();
        return (sparse ? sparse->name() : "sparse_jit") + masked;
    case impl_kind::onednn: return "onednn:" + dnnl_impl + masked;
    case impl_kind::reference: return "reference" + masked;
    }
    return "?";
}

std::string conv_pd_impl::formats_str() const {
    const auto n = md_names(dir);
    std::ostringstream os;
    auto one = [&](const char *name, const dnnl::memory::desc &m) {
        std::string s(name);
        s = s.substr(0, s.size() - 5); // drop "_desc"
        os << s << ":" << md_str(m) << " ";
    };
    one(n.src, md.src);
    one(n.weights, md.weights);
    if (with_bias) one(n.bias, md.bias);
    one(n.dst, md.dst);
    if (relu_mask) one("src_desc", md.src);
    std::string r = os.str();
    if (!r.empty()) r.pop_back();
    return r;
}

std::string conv_pd_impl::attrs_str() const {
    return with_relu ? "post_ops:relu" : relu_mask ? (relu_mask_optional ? "relu_mask:optional" : "relu_mask") : "";
}

dnnl::primitive_desc_base conv_pd_impl::dnnl_pd() const {
    if (!has_dnnl) return dnnl::primitive_desc_base();
    switch (dir) {
    case direction::fwd: return dnnl_fwd;
    case direction::bwd_d: return dnnl_bwd_d;
    case direction::bwd_w: return dnnl_bwd_w;
    }
    return dnnl::primitive_desc_base();
}

} // namespace detail
} // namespace sparsetrain
