// Public primitive constructors and execute.
#include "sparsetrain/convolution.hpp"

#include "api/conv_prim_impl.hpp"

namespace sparsetrain {

conv_primitive_base::conv_primitive_base(const conv_primitive_desc_base &pd)
    : impl_(std::make_shared<detail::conv_prim_impl>(pd.impl())) {}

void conv_primitive_base::execute(const dnnl::stream &stream, const std::unordered_map<int, dnnl::memory> &args) const {
    if (!impl_) throw error("primitive: empty (default-constructed)");
    impl_->execute(stream, args);
}

dispatch_stats conv_primitive_base::stats() const {
    if (!impl_) throw error("primitive: empty (default-constructed)");
    return impl_->stats();
}

convolution_forward::convolution_forward(const primitive_desc &pd) : conv_primitive_base(pd) {}
convolution_backward_data::convolution_backward_data(const primitive_desc &pd) : conv_primitive_base(pd) {}
convolution_backward_weights::convolution_backward_weights(const primitive_desc &pd) : conv_primitive_base(pd) {}

} // namespace sparsetrain
