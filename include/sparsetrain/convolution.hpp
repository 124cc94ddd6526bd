// sparsetrain's convolution primitives, shaped like oneDNN 2.6's so that a oneDNN user can
// swap them in by changing the type at the call site:
//
//     dnnl::convolution_forward::desc d(...);             // unchanged
//     sparsetrain::convolution_forward::primitive_desc pd(d, eng);   // was dnnl::...
//     sparsetrain::convolution_forward conv(pd);                     // was dnnl::...
//     conv.execute(strm, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, dst}});
//
// Each primitive_desc picks, in order, the sparse JIT implementation (skips zeros of the
// operand that ReLU makes sparse), oneDNN dense, or the naive reference; impl_info_str()
// names the pick and declined() says why each earlier candidate declined. format_tag::any
// resolves to oneDNN's own standard layouts (nChw16c activations, OIhw16i16o / OIhw16o16i /
// IOhw16o16i weights), so dnnl::reorder can always produce them.
// Every error is a sparsetrain::error (a dnnl::error) whose message names the offending field.
// Difference from oneDNN: the primitives are not dnnl::primitive objects, so they cannot be
// stored in a std::vector<dnnl::primitive>; keep them in their own containers (or behind a
// std::function) and call execute() on them.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "sparsetrain/dispatch_mode.hpp"
#include "sparsetrain/error.hpp"
#include "sparsetrain/export.hpp"

namespace sparsetrain {

namespace detail {
struct conv_pd_impl;
struct conv_prim_impl;
} // namespace detail

// What every convolution primitive_desc answers.
class SPARSETRAIN_API conv_primitive_desc_base {
public:
    // Name of the chosen implementation: "sparse_jit:avx512_core", "onednn:<oneDNN impl>" or
    // "reference".
    std::string impl_info_str() const;
    // (implementation, reason) for each candidate that declined before the chosen one.
    std::vector<std::pair<std::string, std::string>> declined() const;
    // The problem in oneDNN benchdnn notation, e.g. "mb16ic256ih28oc256oh28kh3ph1".
    std::string problem_str() const;
    dnnl::engine get_engine() const;
    dnnl::memory::desc scratchpad_desc() const; // oneDNN dense's (sparse needs none from the user)
    dnnl::memory::desc workspace_desc() const;  // always zero: no workspace
    dnnl::primitive_attr get_primitive_attr() const;
    // oneDNN-style memory desc query (src_md, diff_src_md, weights_md, diff_weights_md, dst_md,
    // diff_dst_md, workspace_md, scratchpad_md); zero desc for anything else.
    dnnl::memory::desc query_md(dnnl::query what, int idx = 0) const;
    bool is_sparse() const;
    explicit operator bool() const { return (bool)impl_; }

    std::shared_ptr<const detail::conv_pd_impl> impl() const { return impl_; }

protected:
    conv_primitive_desc_base() = default;
    explicit conv_primitive_desc_base(std::shared_ptr<const detail::conv_pd_impl> impl)
        : impl_(std::move(impl)) {}
    const detail::conv_pd_impl &checked() const;
    std::shared_ptr<const detail::conv_pd_impl> impl_;
};

// Executes a primitive_desc's implementation with the usual DNNL_ARG_* argument maps.
class SPARSETRAIN_API conv_primitive_base {
public:
    void execute(const dnnl::stream &stream, const std::unordered_map<int, dnnl::memory> &args) const;
    // Which paths the executes so far took (automatic dispatch may switch per call).
    dispatch_stats stats() const;
    explicit operator bool() const { return (bool)impl_; }

protected:
    conv_primitive_base() = default;
    explicit conv_primitive_base(const conv_primitive_desc_base &pd);
    std::shared_ptr<detail::conv_prim_impl> impl_;
};

class SPARSETRAIN_API convolution_forward : public conv_primitive_base {
public:
    // oneDNN's op descriptor, validated first so that bad shapes fail with a message naming
    // the field (oneDNN's own constructor only says "could not create a descriptor").
    struct SPARSETRAIN_API desc : public dnnl::convolution_forward::desc {
        desc(dnnl::prop_kind prop_kind, dnnl::algorithm algorithm, const dnnl::memory::desc &src_desc, const dnnl::memory::desc &weights_desc,
                const dnnl::memory::desc &bias_desc, const dnnl::memory::desc &dst_desc, const dnnl::memory::dims &strides, const dnnl::memory::dims &padding_l, const dnnl::memory::dims &padding_r);
        desc(dnnl::prop_kind prop_kind, dnnl::algorithm algorithm, const dnnl::memory::desc &src_desc, const dnnl::memory::desc &weights_desc,
                const dnnl::memory::desc &dst_desc, const dnnl::memory::dims &strides, const dnnl::memory::dims &padding_l, const dnnl::memory::dims &padding_r);
        desc(dnnl::prop_kind prop_kind, dnnl::algorithm algorithm, const dnnl::memory::desc &src_desc, const dnnl::memory::desc &weights_desc,
                const dnnl::memory::desc &bias_desc, const dnnl::memory::desc &dst_desc, const dnnl::memory::dims &strides, const dnnl::memory::dims &dilates, const dnnl::memory::dims &padding_l,
                const dnnl::memory::dims &padding_r);
        desc(dnnl::prop_kind prop_kind, dnnl::algorithm algorithm, const dnnl::memory::desc &src_desc, const dnnl::memory::desc &weights_desc,
                const dnnl::memory::desc &dst_desc, const dnnl::memory::dims &strides, const dnnl::memory::dims &dilates, const dnnl::memory::dims &padding_l, const dnnl::memory::dims &padding_r);
    };
    struct SPARSETRAIN_API primitive_desc : public conv_primitive_desc_base {
        primitive_desc() = default;
        // allow_empty as in oneDNN: when no implementation exists, leave the pd empty
        // (operator bool false) instead of throwing; bad input still throws.
        primitive_desc(const dnnl::convolution_forward::desc &desc, const dnnl::engine &engine,
                bool allow_empty = false);
        primitive_desc(const dnnl::convolution_forward::desc &desc, const dnnl::primitive_attr &attr,
                const dnnl::engine &engine, bool allow_empty = false);
        // Same, with a per-primitive sparse/dense policy (overrides SPARSETRAIN_DISPATCH).
        primitive_desc(const dnnl::convolution_forward::desc &desc, const dnnl::primitive_attr &attr,
                const dnnl::engine &engine, const dispatch_options &dispatch, bool allow_empty = false);

        dnnl::memory::desc src_desc() const;
        dnnl::memory::desc weights_desc() const;
        dnnl::memory::desc bias_desc() const; // zero desc when the desc has no bias
        dnnl::memory::desc dst_desc() const;
        // The oneDNN dense primitive_desc underneath (a valid hint for oneDNN backward pds).
        const dnnl::convolution_forward::primitive_desc &dnnl_pd() const;
    };
    convolution_forward() = default;
    convolution_forward(const primitive_desc &pd);
};

// The constructors both backward primitive_descs have (OpDesc: oneDNN's backward-data or
// backward-weights op descriptor): the forward hint is ours or oneDNN's, with or without
// attributes and dispatch options. allow_empty as in oneDNN: when no implementation exists,
// leave the pd empty (operator bool false) instead of throwing; bad input still throws.
template <typename OpDesc>
class SPARSETRAIN_API conv_backward_primitive_desc : public conv_primitive_desc_base {
public:
    conv_backward_primitive_desc() = default;
    conv_backward_primitive_desc(const OpDesc &desc, const dnnl::engine &engine,
            const convolution_forward::primitive_desc &hint_fwd_pd, bool allow_empty = false);
    conv_backward_primitive_desc(const OpDesc &desc, const dnnl::primitive_attr &attr, const dnnl::engine &engine,
            const convolution_forward::primitive_desc &hint_fwd_pd, bool allow_empty = false);
    conv_backward_primitive_desc(const OpDesc &desc, const dnnl::primitive_attr &attr, const dnnl::engine &engine,
            const convolution_forward::primitive_desc &hint_fwd_pd, const dispatch_options &dispatch,
            bool allow_empty = false);
    // A oneDNN forward primitive_desc is accepted as the hint too.
    conv_backward_primitive_desc(const OpDesc &desc, const dnnl::engine &engine,
            const dnnl::convolution_forward::primitive_desc &hint_fwd_pd, bool allow_empty = false);
    conv_backward_primitive_desc(const OpDesc &desc, const dnnl::primitive_attr &attr, const dnnl::engine &engine,
            const dnnl::convolution_forward::primitive_desc &hint_fwd_pd, bool allow_empty = false);
    conv_backward_primitive_desc(const OpDesc &desc, const dnnl::primitive_attr &attr, const dnnl::engine &engine,
            const dnnl::convolution_forward::primitive_desc &hint_fwd_pd, const dispatch_options &dispatch,
            bool allow_empty = false);

protected:
    explicit conv_backward_primitive_desc(std::shared_ptr<const detail::conv_pd_impl> impl)
        : conv_primitive_desc_base(std::move(impl)) {}
};
// Instantiated in the library (src/api/convolution_pds.cpp) for the two backward op descriptors.
extern template class SPARSETRAIN_API conv_backward_primitive_desc<dnnl::convolution_backward_data::desc>;
extern template class SPARSETRAIN_API conv_backward_primitive_desc<dnnl::convolution_backward_weights::desc>;

// Options of a backward-data primitive beyond oneDNN's.
struct backward_data_options {
    // Fused ReLU backward. Set it when this convolution's forward input `src` is the output of
    // a ReLU, max(z, 0), or of a max or average pool applied to a ReLU output: the primitive
    // then computes
    //     diff_src = (backward data of diff_dst) * [src > 0]
    // i.e. the input gradient with the ReLU's backward already applied (0 wherever src <= 0,
    // whatever the convolution's gradient was there; -0.0 and NaN in src count as "not > 0"),
    // and computes only the elements where src > 0. Execute needs DNNL_ARG_SRC: the forward
    // src, in the layout of diff_src (src_desc() == diff_src_desc()).
    // Exact when src = relu(z), maxpool(relu(z)) or avgpool(relu(z)): there, src is 0 exactly
    // where the ReLU's backward zeroes the gradient (for a pool: where every input it pooled was
    // 0). Where this conv is the ReLU output's only reader, the framework's ReLU backward for it
    // can be dropped (for a max pool in between too: the pool's backward then routes only
    // masked gradients to positions > 0). Where the ReLU output also feeds other layers (a
    // residual block's input: conv1, the downsample conv, the identity path), masking this
    // contribution is still exact, but the ReLU's backward must still run on the sum of the
    // gradients. Not for arbitrary non-negative inputs (e.g. a sigmoid output), whose zeros do
    // not come from a ReLU.
    // Which kernel runs: the masked kernel (cost with the density of src), the diff_dst-sparse
    // kernel followed by the mask, or oneDNN followed by the mask, chosen per execute as
    // dispatch_options says (stats().sparse_mask_runs counts the masked kernel's runs). The
    // masked kernel takes nChw16c or nhwc activations; other layouts run oneDNN + the mask.
    bool relu_mask = false;
    // With relu_mask, for a ReLU output that other layers read too (a residual block's input),
    // where the framework runs the ReLU's backward on the summed gradient anyway: diff_src
    // where src <= 0 is then left unspecified (0, or the unmasked gradient, whichever path ran),
    // so that the paths that would need a separate mask pass (oneDNN dense, the diff_dst-sparse
    // kernel) skip it. The masked kernel still skips the elements where src <= 0.
    bool relu_mask_optional = false;
};

class SPARSETRAIN_API convolution_backward_data : public conv_primitive_base {
public:
    struct SPARSETRAIN_API desc : public dnnl::convolution_backward_data::desc {
        desc(dnnl::algorithm algorithm, const dnnl::memory::desc &diff_src_desc, const dnnl::memory::desc &weights_desc, const dnnl::memory::desc &diff_dst_desc,
                const dnnl::memory::dims &strides, const dnnl::memory::dims &padding_l, const dnnl::memory::dims &padding_r);
        desc(dnnl::algorithm algorithm, const dnnl::memory::desc &diff_src_desc, const dnnl::memory::desc &weights_desc, const dnnl::memory::desc &diff_dst_desc,
                const dnnl::memory::dims &strides, const dnnl::memory::dims &dilates, const dnnl::memory::dims &padding_l, const dnnl::memory::dims &padding_r);
    };
    struct SPARSETRAIN_API primitive_desc : public conv_backward_primitive_desc<dnnl::convolution_backward_data::desc> {
        primitive_desc() = default;
        using conv_backward_primitive_desc::conv_backward_primitive_desc;
        // With backward_data_options (the fused ReLU backward, relu_mask).
        primitive_desc(const dnnl::convolution_backward_data::desc &desc, const dnnl::primitive_attr &attr,
                const dnnl::engine &engine, const convolution_forward::primitive_desc &hint_fwd_pd,
                const dispatch_options &dispatch, const backward_data_options &options, bool allow_empty = false);
        primitive_desc(const dnnl::convolution_backward_data::desc &desc, const dnnl::primitive_attr &attr,
                const dnnl::engine &engine, const dnnl::convolution_forward::primitive_desc &hint_fwd_pd,
                const dispatch_options &dispatch, const backward_data_options &options, bool allow_empty = false);

        dnnl::memory::desc diff_src_desc() const;
        dnnl::memory::desc weights_desc() const;
        dnnl::memory::desc diff_dst_desc() const;
        // With relu_mask: the desc of DNNL_ARG_SRC (equal to diff_src_desc()); else a zero desc.
        dnnl::memory::desc src_desc() const;
        bool relu_mask() const;
    };
    convolution_backward_data() = default;
    convolution_backward_data(const primitive_desc &pd);
};

class SPARSETRAIN_API convolution_backward_weights : public conv_primitive_base {
public:
    struct SPARSETRAIN_API desc : public dnnl::convolution_backward_weights::desc {
        desc(dnnl::algorithm algorithm, const dnnl::memory::desc &src_desc, const dnnl::memory::desc &diff_weights_desc, const dnnl::memory::desc &diff_bias_desc,
                const dnnl::memory::desc &diff_dst_desc, const dnnl::memory::dims &strides, const dnnl::memory::dims &padding_l, const dnnl::memory::dims &padding_r);
        desc(dnnl::algorithm algorithm, const dnnl::memory::desc &src_desc, const dnnl::memory::desc &diff_weights_desc, const dnnl::memory::desc &diff_dst_desc,
                const dnnl::memory::dims &strides, const dnnl::memory::dims &padding_l, const dnnl::memory::dims &padding_r);
        desc(dnnl::algorithm algorithm, const dnnl::memory::desc &src_desc, const dnnl::memory::desc &diff_weights_desc, const dnnl::memory::desc &diff_bias_desc,
                const dnnl::memory::desc &diff_dst_desc, const dnnl::memory::dims &strides, const dnnl::memory::dims &dilates, const dnnl::memory::dims &padding_l, const dnnl::memory::dims &padding_r);
        desc(dnnl::algorithm algorithm, const dnnl::memory::desc &src_desc, const dnnl::memory::desc &diff_weights_desc, const dnnl::memory::desc &diff_dst_desc,
                const dnnl::memory::dims &strides, const dnnl::memory::dims &dilates, const dnnl::memory::dims &padding_l, const dnnl::memory::dims &padding_r);
    };
    struct SPARSETRAIN_API primitive_desc : public conv_backward_primitive_desc<dnnl::convolution_backward_weights::desc> {
        primitive_desc() = default;
        using conv_backward_primitive_desc::conv_backward_primitive_desc;

        dnnl::memory::desc src_desc() const;
        dnnl::memory::desc diff_weights_desc() const;
        dnnl::memory::desc diff_bias_desc() const; // zero desc when the desc has no bias
        dnnl::memory::desc diff_dst_desc() const;
    };
    convolution_backward_weights() = default;
    convolution_backward_weights(const primitive_desc &pd);
};

} // namespace sparsetrain
