// Everything one convolution module needs for one input shape, memory format, thread count
// and dispatch policy: sparsetrain primitive_descs and primitives for the three directions,
// plus backward-data with the ReLU-backward mask (relu_mask) beside the unmasked one (each
// created on first use), the reorder primitives between PyTorch's layouts and the
// layouts the primitive_descs picked, and the blocked weight buffers. Created once, then
// reused by every call with the same key.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <sparsetrain/sparsetrain.hpp>

#include "torch_dnnl.hpp"

namespace sparsetrain_torch {

// The fixed geometry of a module (nn.Conv2d arguments the extension supports).
struct conv_geometry {
    int64_t ic = 0, oc = 0, kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0;
    bool with_bias = false;
};

// What varies between calls of one module.
struct entry_key {
    int64_t n = 0, ih = 0, iw = 0;
    bool nhwc = false;       // channels_last tensors (else NCHW tensors, reordered inside)
    bool inner_nhwc = false; // NCHW tensors: the primitives run on nhwc copies (else nChw16c)
    int threads = 1;
    sparsetrain::dispatch_mode mode = sparsetrain::dispatch_mode::automatic;
    sparsetrain::denormal_mode denormals = sparsetrain::denormal_mode::from_env;

    bool operator==(const entry_key &o) const {
        return n == o.n && ih == o.ih && iw == o.iw && nhwc == o.nhwc && inner_nhwc == o.inner_nhwc
                && threads == o.threads && mode == o.mode
                && denormals == o.denormals;
    }
};

// bwd_d_mask: backward-data with backward_data_options::relu_mask (diff_src * [src > 0]).
enum class conv_dir { fwd = 0, bwd_d = 1, bwd_w = 2, bwd_d_mask = 3 };
constexpr int conv_dir_count = 4;
const char *dir_name(conv_dir d);

// One direction's primitive with its argument map (memory objects re-pointed per call).
struct dir_state {
    std::string impl;                                      // impl_info_str()
    std::vector<std::pair<std::string, std::string>> declined;
    std::string problem;                                   // benchdnn string
    std::string layout;                                    // activations: nhwc, nChw16c, nchw or other
    std::function<void()> execute;                         // runs the primitive on `args`
    std::function<sparsetrain::dispatch_stats()> stats;
    std::unordered_map<int, dnnl::memory> args;
    bool created = false;                                  // primitive exists (pd always does)
    // Binds `ptr` to argument `key` (the memory object was created with the pd's desc).
    void bind(int key, void *ptr) { args.at(key).set_data_handle(ptr); }
    dnnl::memory::desc md(int key) const { return args.at(key).get_desc(); }
};

struct conv_mds;

class conv_entry {
public:
    struct layout_try {
        dnnl::memory::format_tag act, wei;
    };
    std::vector<layout_try> layout_tries(conv_dir d) const;

    conv_entry(const conv_geometry &g, const entry_key &k);

    const entry_key &key() const { return key_; }
    int64_t oh() const { return oh_; }
    int64_t ow() const { return ow_; }

    // The direction's primitive_desc facts and its primitive, created on first use.
    dir_state &dir(conv_dir d, bool need_primitive);
    // The direction as it is (nullptr when its primitive_desc was never needed).
    const dir_state *peek(conv_dir d) const { return pd_made_[static_cast<int>(d)] ? &dirs_[static_cast<int>(d)] : nullptr; }

    // The latest backward-data call ran the masked primitive (whose facts stats() then shows).
    bool last_bwd_d_masked = false;

    // Reorders (cached per entry): weights into each direction's layout, activations and
    // gradients between PyTorch's tensors and the primitive's buffers.
    cached_reorder wei_to_fwd, wei_to_bwd_d, diff_wei_out;
    cached_reorder src_in, dst_out, diff_dst_in, diff_src_out, bwd_w_src_in, mask_src_in;
    // Blocked weights (forward layout, backward-data layout: `bytes` for the masked or the
    // unmasked primitive) and diff_weights, 64-byte aligned, owned by the entry; a diff_bias
    // sink when autograd does not want it.
    float *wei_fwd_buf(), *wei_bwd_d_buf(size_t bytes), *diff_wei_buf(), *diff_bias_sink();

private:
    conv_mds mds(const layout_try &t) const;
    void create_fwd_pd();
    void create_bwd_d_pd(bool relu_mask);
    void create_bwd_w_pd();

    conv_geometry g_;
    entry_key key_;
    int64_t oh_ = 0, ow_ = 0;
    dnnl::memory::dims strides_, pad_l_, pad_r_;
    sparsetrain::convolution_forward::primitive_desc fwd_pd_;
    sparsetrain::convolution_backward_data::primitive_desc bwd_d_pd_, bwd_d_mask_pd_;
    sparsetrain::convolution_backward_weights::primitive_desc bwd_w_pd_;
    sparsetrain::convolution_forward fwd_;
    sparsetrain::convolution_backward_data bwd_d_, bwd_d_mask_;
    sparsetrain::convolution_backward_weights bwd_w_;
    std::array<dir_state, conv_dir_count> dirs_;
    std::array<bool, conv_dir_count> pd_made_ {false, false, false, false};
    at::Tensor wei_fwd_, wei_bwd_d_, diff_wei_, diff_bias_;
};

} // namespace sparsetrain_torch
