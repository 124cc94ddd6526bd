#include "bench/problem_bench.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>

#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace bench {

using namespace dnnl;
using tag = memory::format_tag;

namespace {

engine &cpu() {
    static engine e(engine::kind::cpu, 0);
    return e;
}

// xorshift64*: fast enough to fill hundreds of MB of benchmark data.
struct rng {
    uint64_t s;
    explicit rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ULL + 1) {}
    uint64_t next() {
        s ^= s >> 12; s ^= s << 25; s ^= s >> 27;
        return s * 0x2545F4914F6CDD1DULL;
    }
    double uniform() { return (next() >> 11) * (1.0 / 9007199254740992.0); }
};

// Non-zero values in [-1, -1/8] U [1/8, 1]; zeros with probability `sparsity`.
void fill_plain(std::vector<float> &v, uint64_t seed, double sparsity) {
    rng r(seed);
    for (auto &x : v) {
        if (sparsity > 0 && r.uniform() < sparsity) { x = 0.f; continue; }
        const double u = r.uniform();
        const double mag = 0.125 + 0.875 * u;
        x = (float)((r.next() & 1) ? mag : -mag);
    }
}

double zero_fraction(const std::vector<float> &v) {
    size_t z = 0;
    for (float x : v) z += (x == 0.f);
    return v.empty() ? 0 : (double)z / v.size();
}

memory::desc any_md(const memory::dims &d) { return memory::desc(d, memory::data_type::f32, tag::any); }

void load(memory &m, const std::vector<float> &plain, tag plain_tag) {
    memory src(memory::desc(m.get_desc().dims(), memory::data_type::f32, plain_tag), cpu(),
            const_cast<float *>(plain.data()));
    stream s(cpu());
    reorder(src, m).execute(s, src, m);
    s.wait();
}

std::vector<float> store(const memory &m, tag plain_tag) {
    std::vector<float> out(m.get_desc().get_size() / sizeof(float));
    memory dst(memory::desc(m.get_desc().dims(), memory::data_type::f32, plain_tag), cpu(), out.data());
    stream s(cpu());
    reorder(const_cast<memory &>(m), dst).execute(s, const_cast<memory &>(m), dst);
    s.wait();
    return out;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// One runnable side (a oneDNN dense variant, or sparsetrain) with its own memories.
struct side {
    std::string impl;
    std::function<void(stream &)> run;
    memory src, weights, bias, dst; // forward naming, in this side's layouts
};

} // namespace

struct problem_bench::impl {
    problem_t p;
    direction dir;
    std::vector<float> src, weights, bias, dst; // plain data (dst = diff_dst for backward)
    std::vector<side> dense;                    // baseline candidates
    side ours;

    memory::dims strides() const { return {p.sh, p.sw}; }
    memory::dims pad_l() const { return {p.ph, p.pw}; }
    memory::dims pad_r() const { return {p.ph_r, p.pw_r}; }
    memory::dims src_dims() const { return {p.mb, p.ic, p.ih, p.iw}; }
    memory::dims wei_dims() const { return {p.oc, p.ic, p.kh, p.kw}; }
    memory::dims dst_dims() const { return {p.mb, p.oc, p.oh, p.ow}; }
    memory::desc bias_md() const { return memory::desc({p.oc}, memory::data_type::f32, tag::x); }

    convolution_forward::desc fwd_desc(algorithm alg, const memory::desc &s, const memory::desc &w,
            const memory::desc &d) const {
        return convolution_forward::desc(prop_kind::forward_training, alg, s, w, bias_md(), d, strides(), pad_l(), pad_r());
    }

    // Builds a side from primitive descs of the direction (works for ours and oneDNN's).
    template <typename FwdPd, typename Prim, typename Pd>
    void wire(side &sd, const Pd &pd, Prim prim);

    void add_dense(algorithm alg, const memory::desc &act, const memory::desc &wei);
    void make_ours(dispatch_mode mode);
};

void problem_bench::impl::add_dense(algorithm alg, const memory::desc &act_md, const memory::desc &wei_md) {
    const auto src_md = memory::desc(src_dims(), memory::data_type::f32, act_md.data.format_kind == dnnl_format_kind_any ? tag::any : tag::nhwc);
    const auto dst_md = memory::desc(dst_dims(), memory::data_type::f32, act_md.data.format_kind == dnnl_format_kind_any ? tag::any : tag::nhwc);
    const auto w_md = memory::desc(wei_dims(), memory::data_type::f32, tag::any);
    (void)wei_md;
    auto fd = fwd_desc(alg, src_md, w_md, dst_md);
    convolution_forward::primitive_desc fpd(fd, cpu());
    side sd;
    switch (dir) {
    case direction::fwd: {
        sd.impl = fpd.impl_info_str();
        sd.src = memory(fpd.src_desc(), cpu());
        sd.weights = memory(fpd.weights_desc(), cpu());
        sd.bias = memory(fpd.bias_desc(), cpu());
        sd.dst = memory(fpd.dst_desc(), cpu());
        convolution_forward prim(fpd);
        sd.run = [prim, m = sd](stream &s) mutable {
            prim.execute(s, {{DNNL_ARG_SRC, m.src}, {DNNL_ARG_WEIGHTS, m.weights}, {DNNL_ARG_BIAS, m.bias},
                    {DNNL_ARG_DST, m.dst}});
        };
        break;
    }
    case direction::bwd_d: {
        convolution_backward_data::desc bd(alg, src_md, w_md, dst_md, strides(), pad_l(), pad_r());
        convolution_backward_data::primitive_desc bpd(bd, cpu(), fpd);
        sd.impl = bpd.impl_info_str();
        sd.src = memory(bpd.diff_src_desc(), cpu());
        sd.weights = memory(bpd.weights_desc(), cpu());
        sd.dst = memory(bpd.diff_dst_desc(), cpu());
        convolution_backward_data prim(bpd);
        sd.run = [prim, m = sd](stream &s) mutable {
            prim.execute(s, {{DNNL_ARG_DIFF_SRC, m.src}, {DNNL_ARG_WEIGHTS, m.weights}, {DNNL_ARG_DIFF_DST, m.dst}});
        };
        break;
    }
    case direction::bwd_w: {
        convolution_backward_weights::desc wd(alg, src_md, w_md, bias_md(), dst_md, strides(), pad_l(), pad_r());
        convolution_backward_weights::primitive_desc wpd(wd, cpu(), fpd);
        sd.impl = wpd.impl_info_str();
        sd.src = memory(wpd.src_desc(), cpu());
        sd.weights = memory(wpd.diff_weights_desc(), cpu());
        sd.bias = memory(wpd.diff_bias_desc(), cpu());
        sd.dst = memory(wpd.diff_dst_desc(), cpu());
        convolution_backward_weights prim(wpd);
        sd.run = [prim, m = sd](stream &s) mutable {
            prim.execute(s, {{DNNL_ARG_SRC, m.src}, {DNNL_ARG_DIFF_WEIGHTS, m.weights},
                    {DNNL_ARG_DIFF_BIAS, m.bias}, {DNNL_ARG_DIFF_DST, m.dst}});
        };
        break;
    }
    }
    dense.push_back(sd);
}

void problem_bench::impl::make_ours(dispatch_mode mode) {
    dispatch_options dopt;
    dopt.mode = mode;
    const auto fd = fwd_desc(algorithm::convolution_direct, any_md(src_dims()), any_md(wei_dims()), any_md(dst_dims()));
    sparsetrain::convolution_forward::primitive_desc fpd(fd, primitive_attr(), cpu(), dopt);
    side &sd = ours;
    switch (dir) {
    case direction::fwd: {
        sd.impl = fpd.impl_info_str();
        sd.src = memory(fpd.src_desc(), cpu());
        sd.weights = memory(fpd.weights_desc(), cpu());
        sd.bias = memory(fpd.bias_desc(), cpu());
        sd.dst = memory(fpd.dst_desc(), cpu());
        sparsetrain::convolution_forward prim(fpd);
        sd.run = [prim, m = sd](stream &s) {
            prim.execute(s, {{DNNL_ARG_SRC, m.src}, {DNNL_ARG_WEIGHTS, m.weights}, {DNNL_ARG_BIAS, m.bias},
                    {DNNL_ARG_DST, m.dst}});
        };
        break;
    }
    case direction::bwd_d: {
        convolution_backward_data::desc bd(algorithm::convolution_direct, any_md(src_dims()), any_md(wei_dims()),
                any_md(dst_dims()), strides(), pad_l(), pad_r());
        sparsetrain::convolution_backward_data::primitive_desc bpd(bd, primitive_attr(), cpu(), fpd, dopt);
        sd.impl = bpd.impl_info_str();
        sd.src = memory(bpd.diff_src_desc(), cpu());
        sd.weights = memory(bpd.weights_desc(), cpu());
        sd.dst = memory(bpd.diff_dst_desc(), cpu());
        sparsetrain::convolution_backward_data prim(bpd);
        sd.run = [prim, m = sd](stream &s) {
            prim.execute(s, {{DNNL_ARG_DIFF_SRC, m.src}, {DNNL_ARG_WEIGHTS, m.weights}, {DNNL_ARG_DIFF_DST, m.dst}});
        };
        break;
    }
    case direction::bwd_w: {
        convolution_backward_weights::desc wd(algorithm::convolution_direct, any_md(src_dims()), any_md(wei_dims()),
                bias_md(), any_md(dst_dims()), strides(), pad_l(), pad_r());
        sparsetrain::convolution_backward_weights::primitive_desc wpd(wd, primitive_attr(), cpu(), fpd, dopt);
        sd.impl = wpd.impl_info_str();
        sd.src = memory(wpd.src_desc(), cpu());
        sd.weights = memory(wpd.diff_weights_desc(), cpu());
        sd.bias = memory(wpd.diff_bias_desc(), cpu());
        sd.dst = memory(wpd.diff_dst_desc(), cpu());
        sparsetrain::convolution_backward_weights prim(wpd);
        sd.run = [prim, m = sd](stream &s) {
            prim.execute(s, {{DNNL_ARG_SRC, m.src}, {DNNL_ARG_DIFF_WEIGHTS, m.weights},
                    {DNNL_ARG_DIFF_BIAS, m.bias}, {DNNL_ARG_DIFF_DST, m.dst}});
        };
        break;
    }
    }
}

problem_bench::problem_bench(const problem_t &p, direction dir, dispatch_mode mode, baseline base)
    : impl_(new impl) {
    impl_->p = p;
    impl_->dir = dir;
    if (p.ndims != 4 || p.g != 1) throw error("sparsetrain-bench: only 2D ungrouped problems (" + p.to_string() + ")");
    impl_->src.resize(p.mb * p.ic * p.ih * p.iw);
    impl_->weights.resize(p.oc * p.ic * p.kh * p.kw);
    impl_->bias.resize(p.oc);
    impl_->dst.resize(p.mb * p.oc * p.oh * p.ow);
    impl_->add_dense(algorithm::convolution_direct, any_md(impl_->src_dims()), any_md(impl_->wei_dims()));
    if (base == baseline::fastest) {
        // Winograd where oneDNN has it, and the nhwc (brgemm) path; each may be unavailable.
        try {
            impl_->add_dense(algorithm::convolution_auto, any_md(impl_->src_dims()), any_md(impl_->wei_dims()));
        } catch (const dnnl::error &) {}
        try {
            impl_->add_dense(algorithm::convolution_direct, memory::desc(impl_->src_dims(), memory::data_type::f32, tag::nhwc),
                    any_md(impl_->wei_dims()));
        } catch (const dnnl::error &) {}
    }
    impl_->make_ours(mode);
}

problem_bench::~problem_bench() = default;

void problem_bench::fill(double sparsity, uint64_t seed) {
    auto &I = *impl_;
    const bool src_sparse = I.dir != direction::bwd_d;
    fill_plain(I.src, seed, src_sparse ? sparsity : 0.0);
    fill_plain(I.weights, seed + 1, 0.0);
    fill_plain(I.bias, seed + 2, 0.0);
    fill_plain(I.dst, seed + 3, src_sparse ? 0.0 : sparsity);
    auto load_side = [&](side &sd) {
        switch (I.dir) {
        case direction::fwd:
            load(sd.src, I.src, tag::nchw);
            load(sd.weights, I.weights, tag::oihw);
            load(sd.bias, I.bias, tag::x);
            break;
        case direction::bwd_d:
            load(sd.weights, I.weights, tag::oihw);
            load(sd.dst, I.dst, tag::nchw);
            break;
        case direction::bwd_w:
            load(sd.src, I.src, tag::nchw);
            load(sd.dst, I.dst, tag::nchw);
            break;
        }
    };
    for (auto &d : I.dense) load_side(d);
    load_side(I.ours);
}

measurement problem_bench::run(int warmup, int reps, bool check) {
    auto &I = *impl_;
    stream s(cpu());
    using clk = std::chrono::steady_clock;
    auto time_once = [&](side &sd) {
        const auto t0 = clk::now();
        sd.run(s);
        s.wait();
        return std::chrono::duration<double, std::milli>(clk::now() - t0).count();
    };
    measurement m;
    m.prob = I.p;
    m.dir = I.dir;
    m.sparsity_actual = zero_fraction(I.dir == direction::bwd_d ? I.dst : I.src);
    m.sparse_impl = I.ours.impl;

    // Each dense candidate is interleaved with ours; the baseline is the fastest candidate.
    std::vector<std::vector<double>> t_dense(I.dense.size());
    std::vector<double> t_ours;
    for (int i = 0; i < warmup; ++i) {
        for (auto &d : I.dense) time_once(d);
        time_once(I.ours);
    }
    for (int r = 0; r < reps; ++r) {
        if (r % 2 == 0) {
            for (size_t k = 0; k < I.dense.size(); ++k) t_dense[k].push_back(time_once(I.dense[k]));
            t_ours.push_back(time_once(I.ours));
        } else {
            t_ours.push_back(time_once(I.ours));
            for (size_t k = I.dense.size(); k-- > 0;) t_dense[k].push_back(time_once(I.dense[k]));
        }
    }
    size_t best = 0;
    for (size_t k = 0; k < I.dense.size(); ++k)
        if (median(t_dense[k]) < median(t_dense[best])) best = k;
    m.dense_ms = median(t_dense[best]);
    m.dense_impl = I.dense[best].impl;
    m.sparse_ms = median(t_ours);

    if (check) {
        m.checked = true;
        const side &d = I.dense[0];
        // Different summation orders: allow a few ulps times sqrt(reduction length), relative
        // to the largest output magnitude.
        const double k_len = I.dir == direction::fwd ? (double)I.p.ic * I.p.kh * I.p.kw
                : I.dir == direction::bwd_d           ? (double)I.p.oc * I.p.kh * I.p.kw
                                                      : (double)I.p.mb * I.p.oh * I.p.ow;
        const double tol = std::max(1e-6, 5e-7 * std::sqrt(k_len));
        auto cmp = [&](const memory &a, const memory &b, tag t) {
            const auto x = store(a, t), y = store(b, t);
            double max_ref = 0;
            for (float v : y) max_ref = std::max(max_ref, (double)std::fabs(v));
            const double scale = std::max(1.0, max_ref);
            for (size_t i = 0; i < x.size(); ++i) {
                const double e = std::fabs((double)x[i] - y[i]) / scale;
                if (!(e <= tol) || std::isnan(x[i]) != std::isnan(y[i])) m.check_ok = false;
                if (e == e) m.max_err = std::max(m.max_err, e);
            }
        };
        switch (I.dir) {
        case direction::fwd: cmp(I.ours.dst, d.dst, tag::nchw); break;
        case direction::bwd_d: cmp(I.ours.src, d.src, tag::nchw); break;
        case direction::bwd_w:
            cmp(I.ours.weights, d.weights, tag::oihw);
            cmp(I.ours.bias, d.bias, tag::x);
            break;
        }
    }
    return m;
}

} // namespace bench
} // namespace sparsetrain
