#include "conv_runner.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>

#include "buffer_pool.hpp"
#include "workspace.hpp"

namespace sparsetrain_torch {

namespace {

std::atomic<bool> g_fill_nan {false};

void fill_nan(void *p, size_t bytes) {
    if (!g_fill_nan.load(std::memory_order_relaxed)) return;
    float *f = static_cast<float *>(p);
    std::fill(f, f + bytes / sizeof(float), std::numeric_limits<float>::quiet_NaN());
}

at::MemoryFormat act_format(bool nhwc) { return nhwc ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous; }

// The weight as oneDNN can read it: its own strides when dense, else a contiguous copy.
at::Tensor readable(const at::Tensor &t) { return t.is_non_overlapping_and_dense() ? t : t.contiguous(); }

// Binds tensor `t` as argument `arg`: directly when its layout is the primitive's, else
// through a reorder into the workspace slot. Returns the bound buffer.
void *bind_input(dir_state &st, int arg, const at::Tensor &t, cached_reorder &r, ws_slot slot) {
    const dnnl::memory::desc user = strided_md(t), want = st.md(arg);
    if (user == want) {
        st.bind(arg, handle(t));
        return handle(t);
    }
    void *buf = workspace_buffer(slot, want.get_size());
    r.prepare(user, want);
    r.run(handle(t), buf);
    st.bind(arg, buf);
    return buf;
}

// Where the primitive writes output `arg` that ends up in tensor `out`: `out` itself when
// the layouts agree, else a workspace slot (copied out by finish_output).
void *bind_output(dir_state &st, int arg, const at::Tensor &out, ws_slot slot) {
    const dnnl::memory::desc want = st.md(arg);
    void *buf = strided_md(out) == want ? handle(out) : workspace_buffer(slot, want.get_size());
    fill_nan(buf, want.get_size());
    st.bind(arg, buf);
    return buf;
}

void finish_output(dir_state &st, int arg, const at::Tensor &out, void *buf, cached_reorder &r) {
    if (buf == handle(out)) return;
    r.prepare(st.md(arg), strided_md(out));
    r.run(buf, handle(out));
}

direction_report report_of(const dir_state *stp) {
    direction_report r;
    if (!stp) return r;
    const dir_state &st = *stp;
    r.impl = st.impl;
    r.problem = st.problem;
    r.layout = st.layout;
    r.declined = st.declined;
    if (st.created) {
        const auto s = st.stats();
        r.sparse_runs = s.sparse_runs;
        r.dense_runs = s.dense_runs;
        r.reference_runs = s.reference_runs;
        r.sparse_mask_runs = s.sparse_mask_runs;
        r.last_zero_fraction = s.last_zero_fraction;
    }
    return r;
}

unsigned long long runs(const direction_report &r) { return r.sparse_runs + r.dense_runs + r.reference_runs; }

void add_counts(direction_report &to, const direction_report &from) {
    to.sparse_runs += from.sparse_runs;
    to.dense_runs += from.dense_runs;
    to.reference_runs += from.reference_runs;
    to.mask_runs += from.mask_runs;
    to.sparse_mask_runs += from.sparse_mask_runs;
}

// Direction d (forward, backward data, backward weights) of one entry; backward data sums its
// masked and unmasked primitives and shows the facts of the one that ran last.
direction_report entry_report(const conv_entry &e, int d) {
    direction_report r = report_of(e.peek(static_cast<conv_dir>(d)));
    if (static_cast<conv_dir>(d) != conv_dir::bwd_d) return r;
    direction_report m = report_of(e.peek(conv_dir::bwd_d_mask));
    m.mask_runs = runs(m);
    const bool show_mask = (e.last_bwd_d_masked && m.mask_runs > 0) || r.impl.empty();
    direction_report out = show_mask ? m : r;
    out.sparse_runs = out.dense_runs = out.reference_runs = out.mask_runs = out.sparse_mask_runs = 0;
    add_counts(out, r);
    add_counts(out, m);
    out.sparse_mask_runs = m.sparse_mask_runs;
    return out;
}

} // namespace

void set_debug_fill_nan(bool on) { g_fill_nan = on; }

bool use_channels_last(const at::Tensor &x, const at::Tensor &w) {
    return (x.dim() == 4 && x.suggest_memory_format() == at::MemoryFormat::ChannelsLast)
            || (w.dim() == 4 && w.suggest_memory_format() == at::MemoryFormat::ChannelsLast);
}

conv_runner::conv_runner(const conv_geometry &g, size_t max_entries) : g_(g), max_entries_(std::max<size_t>(1, max_entries)) {
    TORCH_CHECK(g.ic > 0 && g.oc > 0 && g.kh > 0 && g.kw > 0 && g.sh > 0 && g.sw > 0 && g.ph >= 0 && g.pw >= 0,
            "sparsetrain.torch: invalid convolution geometry (channels, kernel and stride must be positive, "
            "padding non-negative)");
}

void conv_runner::check_input(const at::Tensor &x, const at::Tensor &w, const run_options &o) const {
    // The Python layer routes everything else to F.conv2d; these checks keep a direct caller
    // of the extension from reaching oneDNN with a wrong tensor.
    TORCH_CHECK(x.device().is_cpu() && w.device().is_cpu(), "sparsetrain.torch: tensors must be on the CPU");
    TORCH_CHECK(x.scalar_type() == at::kFloat && w.scalar_type() == at::kFloat,
            "sparsetrain.torch: tensors must be float32");
    TORCH_CHECK(x.layout() == at::kStrided && w.layout() == at::kStrided, "sparsetrain.torch: tensors must be strided");
    TORCH_CHECK(x.dim() == 4, "sparsetrain.torch: expected a 4-D input, got ", x.dim(), "-D");
    TORCH_CHECK(x.size(1) == g_.ic, "sparsetrain.torch: input has ", x.size(1), " channels, expected ", g_.ic);
    TORCH_CHECK(w.sizes() == at::IntArrayRef({g_.oc, g_.ic, g_.kh, g_.kw}), "sparsetrain.torch: weight of size ",
            w.sizes(), " does not match the module");
    TORCH_CHECK(x.size(0) > 0, "sparsetrain.torch: empty batch");
    TORCH_CHECK(x.size(2) + 2 * g_.ph >= g_.kh && x.size(3) + 2 * g_.pw >= g_.kw,
            "sparsetrain.torch: padded input smaller than the kernel");
    TORCH_CHECK(x.is_contiguous(act_format(o.nhwc)), "sparsetrain.torch: input must be contiguous in the ",
            o.nhwc ? "channels_last" : "contiguous", " memory format");
}

void conv_runner::retire(const conv_entry &e) {
    for (int d = 0; d < 3; ++d) add_counts(retired_[d], entry_report(e, d));
}

conv_entry &conv_runner::entry_for(const entry_key &k) {
    for (size_t i = 0; i < entries_.size(); ++i)
        if (entries_[i]->key() == k) {
            if (i) std::rotate(entries_.begin(), entries_.begin() + i, entries_.begin() + i + 1);
            return *entries_.front();
        }
    auto e = std::make_unique<conv_entry>(g_, k);
    if (entries_.size() >= max_entries_) {
        retire(*entries_.back());
        entries_.pop_back();
    }
    entries_.insert(entries_.begin(), std::move(e));
    return *entries_.front();
}

at::Tensor conv_runner::forward(const at::Tensor &x, const at::Tensor &w, const c10::optional<at::Tensor> &b,
        const run_options &o) {
    check_input(x, w, o);
    TORCH_CHECK(g_.with_bias == (b.has_value() && b->defined()), "sparsetrain.torch: bias presence differs from the module");
    std::lock_guard<std::mutex> lock(mu_);
    const entry_key k {x.size(0), x.size(2), x.size(3), o.nhwc, o.inner_nhwc && !o.nhwc, follow_torch_threads(), o.mode, o.denormals};
    conv_entry &e = entry_for(k);
    dir_state &st = e.dir(conv_dir::fwd, true);

    const at::Tensor wr = readable(w);
    e.wei_to_fwd.prepare(strided_md(wr), st.md(DNNL_ARG_WEIGHTS));
    float *wbuf = e.wei_fwd_buf();
    e.wei_to_fwd.run(handle(wr), wbuf);
    st.bind(DNNL_ARG_WEIGHTS, wbuf);
    at::Tensor bias;
    if (g_.with_bias) {
        TORCH_CHECK(b->scalar_type() == at::kFloat && b->numel() == g_.oc, "sparsetrain.torch: bias must be float32 of size ", g_.oc);
        bias = b->contiguous();
        st.bind(DNNL_ARG_BIAS, handle(bias));
    }
    (void)bind_input(st, DNNL_ARG_SRC, x, e.src_in, ws_slot::act_in);
    at::Tensor y = pooled_empty({k.n, g_.oc, e.oh(), e.ow()}, act_format(o.nhwc));
    void *ybuf = bind_output(st, DNNL_ARG_DST, y, ws_slot::act_out);
    st.execute();
    finish_output(st, DNNL_ARG_DST, y, ybuf, e.dst_out);
    return y;
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> conv_runner::backward(const at::Tensor &grad_y, const at::Tensor &x,
        const at::Tensor &w, bool need_x, bool need_w, bool need_b, const run_options &o) {
    check_input(x, w, o);
    TORCH_CHECK(grad_y.scalar_type() == at::kFloat && grad_y.dim() == 4 && grad_y.device().is_cpu(),
            "sparsetrain.torch: grad_output must be a 4-D float32 CPU tensor");
    need_b = need_b && g_.with_bias;
    at::Tensor gx, gw, gb;
    if (!need_x && !need_w && !need_b) return {gx, gw, gb};
    const at::Tensor gy = grad_y.contiguous(act_format(o.nhwc));
    if (need_b && !need_w) gb = gy.sum({0, 2, 3}); // no need to run backward-weights for it

    std::lock_guard<std::mutex> lock(mu_);
    const entry_key k {x.size(0), x.size(2), x.size(3), o.nhwc, o.inner_nhwc && !o.nhwc, follow_torch_threads(), o.mode, o.denormals};
    conv_entry &e = entry_for(k);
    TORCH_CHECK(gy.sizes() == at::IntArrayRef({k.n, g_.oc, e.oh(), e.ow()}), "sparsetrain.torch: grad_output of size ",
            gy.sizes(), " does not match the forward output");
    const at::Tensor wr = readable(w);
    // diff_dst is reordered once and shared by both directions when they want one layout.
    void *dd_buf = nullptr;
    dnnl::memory::desc dd_md;
    auto bind_diff_dst = [&](dir_state &st) {
        if (dd_buf && dd_md == st.md(DNNL_ARG_DIFF_DST)) {
            st.bind(DNNL_ARG_DIFF_DST, dd_buf);
            return;
        }
        dd_buf = bind_input(st, DNNL_ARG_DIFF_DST, gy, e.diff_dst_in, ws_slot::act_in);
        dd_md = st.md(DNNL_ARG_DIFF_DST);
    };

    // relu_mask: x is bound as backward-data's src; backward-weights reuses that copy.
    void *src_buf = nullptr;
    dnnl::memory::desc src_md;
    if (need_x) {
        dir_state &st = e.dir(o.relu_mask ? conv_dir::bwd_d_mask : conv_dir::bwd_d, true);
        e.last_bwd_d_masked = o.relu_mask;
        const dnnl::memory::desc &w_md = st.md(DNNL_ARG_WEIGHTS);
        e.wei_to_bwd_d.prepare(strided_md(wr), w_md);
        float *wbuf = e.wei_bwd_d_buf(w_md.get_size());
        e.wei_to_bwd_d.run(handle(wr), wbuf);
        st.bind(DNNL_ARG_WEIGHTS, wbuf);
        bind_diff_dst(st);
        if (o.relu_mask) {
            src_buf = bind_input(st, DNNL_ARG_SRC, x, e.mask_src_in, ws_slot::mask_src);
            src_md = st.md(DNNL_ARG_SRC);
        }
        gx = pooled_empty(x.sizes(), act_format(o.nhwc));
        void *gxbuf = bind_output(st, DNNL_ARG_DIFF_SRC, gx, ws_slot::act_out);
        st.execute();
        finish_output(st, DNNL_ARG_DIFF_SRC, gx, gxbuf, e.diff_src_out);
    }
    if (need_w) {
        dir_state &st = e.dir(conv_dir::bwd_w, true);
        bind_diff_dst(st);
        // act_out is free again: diff_src has been copied out.
        if (src_buf && src_md == st.md(DNNL_ARG_SRC)) st.bind(DNNL_ARG_SRC, src_buf);
        else (void)bind_input(st, DNNL_ARG_SRC, x, e.bwd_w_src_in, ws_slot::act_out);
        gw = pooled_empty_like(wr);
        // The blocked diff_weights go to the entry's own buffer (the workspace holds diff_dst).
        const dnnl::memory::desc &gw_md = st.md(DNNL_ARG_DIFF_WEIGHTS);
        void *gwbuf = strided_md(gw) == gw_md ? handle(gw) : e.diff_wei_buf();
        fill_nan(gwbuf, gw_md.get_size());
        st.bind(DNNL_ARG_DIFF_WEIGHTS, gwbuf);
        if (g_.with_bias) {
            if (need_b) gb = at::empty({g_.oc}, x.options());
            float *gbbuf = need_b ? gb.data_ptr<float>() : e.diff_bias_sink();
            fill_nan(gbbuf, sizeof(float) * g_.oc);
            st.bind(DNNL_ARG_DIFF_BIAS, gbbuf);
        }
        st.execute();
        finish_output(st, DNNL_ARG_DIFF_WEIGHTS, gw, gwbuf, e.diff_wei_out);
    }
    return {gx, gw, gb};
}

std::vector<direction_report> conv_runner::describe(int64_t n, int64_t ih, int64_t iw, const run_options &o) {
    TORCH_CHECK(n > 0 && ih + 2 * g_.ph >= g_.kh && iw + 2 * g_.pw >= g_.kw,
            "sparsetrain.torch: describe: input shape too small for the kernel");
    std::lock_guard<std::mutex> lock(mu_);
    conv_entry &e = entry_for({n, ih, iw, o.nhwc, o.inner_nhwc && !o.nhwc, follow_torch_threads(), o.mode, o.denormals});
    std::vector<direction_report> r;
    for (int d = 0; d < 3; ++d) {
        const conv_dir cd = d == 1 && o.relu_mask ? conv_dir::bwd_d_mask : static_cast<conv_dir>(d);
        r.push_back(report_of(&e.dir(cd, false)));
    }
    return r;
}

std::vector<direction_report> conv_runner::stats() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<direction_report> r(3);
    for (int d = 0; d < 3; ++d) {
        add_counts(r[d], retired_[d]);
        bool latest = true; // entries_ is in most-recently-used order
        for (const auto &e : entries_) {
            const auto one = entry_report(*e, d);
            add_counts(r[d], one);
            if (latest && runs(one) > 0) {
                r[d].impl = one.impl;
                r[d].problem = one.problem;
                r[d].layout = one.layout;
                r[d].declined = one.declined;
                r[d].last_zero_fraction = one.last_zero_fraction;
                latest = false;
            }
        }
    }
    return r;
}

void conv_runner::clear() {
    std::lock_guard<std::mutex> lock(mu_);
    while (!entries_.empty()) {
        retire(*entries_.back());
        entries_.pop_back();
    }
}

size_t conv_runner::entries() const {
    std::lock_guard<std::mutex> lock(mu_);
    return entries_.size();
}

} // namespace sparsetrain_torch
