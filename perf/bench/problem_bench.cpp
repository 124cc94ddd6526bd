#include "bench/problem_bench.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "bench/bench_side.hpp"
#include "bench/mask_side.hpp"
#include "bench/plain_data.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace bench {

using namespace dnnl;
using tag = memory::format_tag;

const char *to_string(baseline b) { return b == baseline::direct ? "direct" : "fastest"; }

baseline baseline_from_string(const std::string &s) {
    if (s == "direct") return baseline::direct;
    if (s == "fastest") return baseline::fastest;
    throw error("baseline '" + s + "': expected direct or fastest");
}

const char *mode_name(dispatch_mode m) {
    switch (m) {
    case dispatch_mode::from_env: return "env";
    case dispatch_mode::automatic: return "auto";
    case dispatch_mode::sparse: return "sparse";
    case dispatch_mode::dense: return "dense";
    case dispatch_mode::deterministic: return "deterministic";
    }
    return "?";
}

namespace {

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string paths_taken(const dispatch_stats &before, const dispatch_stats &after) {
    std::string r;
    auto add = [&](unsigned long long b, unsigned long long a, const char *name) {
        if (a > b) r += (r.empty() ? "" : "+") + std::string(name);
    };
    // Masked backward data: "mask" for the masked kernel, "sparse" for the diff_dst kernel + mask.
    add(before.sparse_mask_runs, after.sparse_mask_runs, "mask");
    add(before.sparse_runs - before.sparse_mask_runs, after.sparse_runs - after.sparse_mask_runs, "sparse");
    add(before.dense_runs, after.dense_runs, "dense");
    add(before.reference_runs, after.reference_runs, "reference");
    return r;
}

} // namespace

struct problem_bench::impl {
    problem_t p;
    direction dir = direction::fwd;
    act_format layout = act_format::nChw16c;
    double sparsity = 0;
    std::vector<float> src, weights, bias, dst; // plain data (dst = diff_dst for backward)
    std::vector<side> dense;                    // baseline candidates; [0] = oneDNN direct
    std::vector<side> ours;                     // one per dispatch mode
    std::vector<dispatch_mode> modes;
    bool fresh = true; // no side has run yet
    mask_setup mask;
    double mask_sparsity = 0.5;

    void load_side(side &sd) const {
        switch (dir) {
        case direction::fwd:
            load(sd.src, src, tag::nchw);
            load(sd.weights, weights, tag::oihw);
            load(sd.bias, bias, tag::x);
            break;
        case direction::bwd_d:
            load(sd.weights, weights, tag::oihw);
            load(sd.dst, dst, tag::nchw);
            if (mask.on && sd.mask_src) load(sd.mask_src, src, tag::nchw);
            break;
        case direction::bwd_w:
            load(sd.src, src, tag::nchw);
            load(sd.dst, dst, tag::nchw);
            break;
        }
    }
};

problem_bench::problem_bench(const problem_t &p, direction dir, dispatch_mode mode, baseline base, act_format layout)
    : problem_bench(p, dir, std::vector<dispatch_mode> {mode}, base, layout) {}

problem_bench::problem_bench(const problem_t &p, direction dir, const std::vector<dispatch_mode> &modes, baseline base,
        act_format layout, const mask_setup &mask)
    : impl_(new impl) {
    auto &I = *impl_;
    I.p = p;
    I.dir = dir;
    I.layout = layout;
    I.modes = modes;
    I.mask = mask;
    if (mask.on && dir != direction::bwd_d) throw error("sparsetrain-bench: the ReLU mask is a backward-data option");
    if (p.ndims != 4 || p.g != 1) throw error("sparsetrain-bench: only 2D ungrouped problems (" + p.to_string() + ")");
    if (modes.empty()) throw error("sparsetrain-bench: no dispatch mode to time");
    I.src.resize(p.mb * p.ic * p.ih * p.iw);
    I.weights.resize(p.oc * p.ic * p.kh * p.kw);
    I.bias.resize(p.oc);
    I.dst.resize(p.mb * p.oc * p.oh * p.ow);

    const bool fastest = base == baseline::fastest;
    // Activations of both sides: format_tag::any (both libraries pick nChw16c) or nhwc.
    const tag act = layout == act_format::nhwc ? tag::nhwc : tag::any;
    I.dense.push_back(make_onednn_side(p, dir, algorithm::convolution_direct, act, fastest ? "direct:" : ""));
    if (fastest) {
        // Winograd where oneDNN picks it for convolution_auto (otherwise auto = direct, skipped),
        // and, on nChw16c, the nhwc (brgemm) path; either may be unavailable for a problem.
        try {
            side w = make_onednn_side(p, dir, algorithm::convolution_auto, act);
            if (w.label.find("wino") != std::string::npos) {
                w.label = "wino:" + w.label;
                I.dense.push_back(std::move(w));
            }
        } catch (const dnnl::error &) {}
        if (layout == act_format::nChw16c) try {
                I.dense.push_back(make_onednn_side(p, dir, algorithm::convolution_direct, tag::nhwc, "nhwc:"));
            } catch (const dnnl::error &) {}
    }
    // Against the fastest oneDNN, sparsetrain is given convolution_auto too: its dense path
    // (and the automatic choice) is then oneDNN's Winograd where oneDNN picks it.
    const auto ours_alg = fastest ? algorithm::convolution_auto : algorithm::convolution_direct;
    if (!mask.on) {
        for (dispatch_mode m : modes) I.ours.push_back(make_sparsetrain_side(p, dir, m, ours_alg, act));
        return;
    }
    for (dispatch_mode m : modes)
        I.ours.push_back(make_sparsetrain_masked_side(p, m, ours_alg, act, mask.relu_bwd_scale == 0));
    if (mask.relu_bwd_scale)
        for (auto &d : I.dense) add_relu_backward(d, p, mask.relu_bwd_scale);
}

void problem_bench::set_mask_sparsity(double s) { impl_->mask_sparsity = s; }

problem_bench::~problem_bench() = default;

void problem_bench::fill(double sparsity, uint64_t seed, bool denormal, zero_pattern zeros) {
    auto &I = *impl_;
    const auto &p = I.p;
    I.sparsity = sparsity;
    const bool src_sparse = I.dir != direction::bwd_d;
    const double scale = denormal ? denormal_scale : 1.0;
    const double iid = zeros == zero_pattern::iid ? sparsity : 0.0;
    fill_plain(I.src, seed, src_sparse ? iid : 0.0, src_sparse ? scale : 1.0);
    fill_plain(I.weights, seed + 1, 0.0);
    fill_plain(I.bias, seed + 2, 0.0);
    fill_plain(I.dst, seed + 3, src_sparse ? 0.0 : iid, src_sparse ? 1.0 : scale);
    if (src_sparse) apply_zero_pattern(I.src, p.mb, p.ic, p.ih, p.iw, zeros, sparsity, seed + 4);
    else apply_zero_pattern(I.dst, p.mb, p.oc, p.oh, p.ow, zeros, sparsity, seed + 4);
    if (I.mask.on) { // a ReLU output: non-negative, zeros at the mask sparsity
        fill_plain(I.src, seed + 5, I.mask_sparsity);
        for (float &x : I.src) x = std::fabs(x);
    }
    for (auto &d : I.dense) I.load_side(d);
    for (auto &o : I.ours) I.load_side(o);
}

void problem_bench::load_plain(const std::vector<float> &src, const std::vector<float> &weights,
        const std::vector<float> &bias, const std::vector<float> &dst) {
    auto &I = *impl_;
    const bool needs[4] = {I.dir != direction::bwd_d || I.mask.on, I.dir != direction::bwd_w, I.dir == direction::fwd,
            I.dir != direction::fwd};
    const std::vector<float> *given[4] = {&src, &weights, &bias, &dst};
    std::vector<float> *mine[4] = {&I.src, &I.weights, &I.bias, &I.dst};
    const char *names[4] = {"src", "weights", "bias", "dst"};
    for (int i = 0; i < 4; ++i) {
        if (!needs[i] && given[i]->empty()) continue;
        if (given[i]->size() != mine[i]->size())
            throw error("problem_bench::load_plain: " + std::string(names[i]) + " has " + std::to_string(given[i]->size())
                    + " values, " + I.p.shape_string() + " needs " + std::to_string(mine[i]->size()));
        *mine[i] = *given[i];
    }
    I.sparsity = zero_fraction(I.dir == direction::bwd_d ? I.dst : I.src);
    for (auto &d : I.dense) I.load_side(d);
    for (auto &o : I.ours) I.load_side(o);
}

measurement problem_bench::run(int warmup, int reps, bool check) { return run_together({this}, warmup, reps, check)[0]; }

std::vector<measurement> problem_bench::run_together(const std::vector<problem_bench *> &benches, int warmup, int reps,
        bool check) {
    stream s(cpu_engine());
    using clk = std::chrono::steady_clock;
    auto time_once = [&](side &sd) {
        const auto t0 = clk::now();
        sd.run(s);
        s.wait();
        return std::chrono::duration<double, std::milli>(clk::now() - t0).count();
    };
    // All sides of all benches run in one sequence per repetition, in alternating order, so
    // that drifting machine load hits every side alike; each side's time is its median.
    std::vector<side *> all;
    for (problem_bench *b : benches) {
        for (auto &d : b->impl_->dense) all.push_back(&d);
        for (auto &o : b->impl_->ours) all.push_back(&o);
    }
    std::vector<std::vector<double>> t(all.size());
    // A fresh bench: each sparsetrain side's first three executes, timed on their own (with
    // automatic dispatch they calibrate and confirm; README "Sparse or dense, per call").
    std::vector<std::vector<double>> first, first3; // [bench][sparsetrain side]
    for (problem_bench *b : benches) {
        auto &I = *b->impl_;
        first.emplace_back(I.ours.size(), -1.0);
        first3.emplace_back(I.ours.size(), -1.0);
        if (I.fresh)
            for (size_t k = 0; k < I.ours.size(); ++k) {
                first.back()[k] = time_once(I.ours[k]);
                first3.back()[k] = first.back()[k] + time_once(I.ours[k]) + time_once(I.ours[k]);
            }
        I.fresh = false;
    }
    for (int i = 0; i < warmup; ++i)
        for (side *sd : all) time_once(*sd);
    std::vector<std::vector<dispatch_stats>> before;
    for (problem_bench *b : benches) {
        before.emplace_back(b->impl_->ours.size());
        for (size_t k = 0; k < b->impl_->ours.size(); ++k)
            if (b->impl_->ours[k].stats) before.back()[k] = b->impl_->ours[k].stats();
    }
    for (int r = 0; r < reps; ++r) {
        if (r % 2 == 0)
            for (size_t k = 0; k < all.size(); ++k) t[k].push_back(time_once(*all[k]));
        else
            for (size_t k = all.size(); k-- > 0;) t[k].push_back(time_once(*all[k]));
    }
    std::vector<measurement> out;
    size_t at = 0; // the bench's first side in `all`
    for (size_t bi = 0; bi < benches.size(); ++bi) {
        const auto &I = *benches[bi]->impl_;
        measurement m;
        m.prob = I.p;
        m.dir = I.dir;
        m.layout = I.layout;
        m.sparsity = I.sparsity;
        m.sparsity_actual = zero_fraction(I.dir == direction::bwd_d ? I.dst : I.src);
        if (I.mask.on) {
            m.mask_sparsity = zero_fraction(I.src);
            m.relu_bwd_scale = I.mask.relu_bwd_scale;
        }
        size_t best = 0;
        for (size_t k = 0; k < I.dense.size(); ++k)
            if (median(t[at + k]) < median(t[at + best])) best = k;
        m.dense_ms = median(t[at + best]);
        m.dense_impl = I.dense[best].label;
        for (size_t k = 0; k < I.ours.size(); ++k) {
            mode_result r;
            r.mode = I.modes[k];
            r.impl = I.ours[k].label;
            r.ms = median(t[at + I.dense.size() + k]);
            r.first_ms = first[bi][k];
            r.first3_ms = first3[bi][k];
            if (I.ours[k].stats) r.ran = paths_taken(before[bi][k], I.ours[k].stats());
            m.ours.push_back(r);
        }
        m.sparse_impl = m.ours[0].impl;
        m.sparse_ms = m.ours[0].ms;
        if (check) benches[bi]->check_outputs(m);
        at += I.dense.size() + I.ours.size();
        out.push_back(m);
    }
    return out;
}

// Compares every sparsetrain side's output with oneDNN direct's.
void problem_bench::check_outputs(measurement &m) const {
    auto &I = *impl_;
    m.checked = true;
    const side &d = I.dense[0];
    // Different summation orders: allow a few ulps times sqrt(reduction length), relative
    // to the largest output magnitude.
    const double k_len = I.dir == direction::fwd ? (double)I.p.ic * I.p.kh * I.p.kw
            : I.dir == direction::bwd_d           ? (double)I.p.oc * I.p.kh * I.p.kw
                                                  : (double)I.p.mb * I.p.oh * I.p.ow;
    const double tol = std::max(1e-6, 5e-7 * std::sqrt(k_len));
    auto cmp = [&](const memory &a, const memory &b, tag tg) {
        auto x = store(a, tg), y = store(b, tg);
        if (I.mask.on) // both after the ReLU backward (ours may be unmasked: relu_mask_optional)
            for (size_t i = 0; i < y.size(); ++i) {
                x[i] = I.src[i] > 0.f ? x[i] : 0.f;
                y[i] = I.src[i] > 0.f ? y[i] : 0.f;
            }
        double max_ref = 0;
        for (float v : y) max_ref = std::max(max_ref, (double)std::fabs(v));
        const double scale = std::max(1.0, max_ref);
        for (size_t i = 0; i < x.size(); ++i) {
            const double e = std::fabs((double)x[i] - y[i]) / scale;
            if (!(e <= tol) || std::isnan(x[i]) != std::isnan(y[i])) m.check_ok = false;
            if (e == e) m.max_err = std::max(m.max_err, e);
        }
    };
    for (const side &o : I.ours) {
        switch (I.dir) {
        case direction::fwd: cmp(o.dst, d.dst, tag::nchw); break;
        case direction::bwd_d: cmp(o.src, d.src, tag::nchw); break;
        case direction::bwd_w:
            cmp(o.weights, d.weights, tag::oihw);
            cmp(o.bias, d.bias, tag::x);
            break;
        }
    }
}


} // namespace bench
} // namespace sparsetrain
