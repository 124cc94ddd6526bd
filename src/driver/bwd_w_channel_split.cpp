#include "driver/bwd_w_channel_split.hpp"

#include <algorithm>
#include <cmath>

namespace sparsetrain {

std::vector<int64_t> split_by_weight(const std::vector<double> &w, int parts) {
    const int64_t n = (int64_t)w.size();
    parts = (int)std::max<int64_t>(1, std::min<int64_t>(parts, n));
    std::vector<double> prefix(n + 1, 0.0);
    for (int64_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + std::max(0.0, w[i]);
    std::vector<int64_t> b(parts + 1, 0);
    b[parts] = n;
    for (int k = 1; k < parts; ++k) {
        const double target = prefix[n] * k / parts;
        // The boundary whose prefix is closest to the target, leaving room for the parts
        // before (one item each at least) and after.
        int64_t i = std::lower_bound(prefix.begin(), prefix.end(), target) - prefix.begin();
        if (i > 0 && target - prefix[i - 1] < prefix[std::min(i, n)] - target) --i;
        b[k] = std::clamp<int64_t>(i, b[k - 1] + 1, n - (parts - k));
    }
    return b;
}

std::vector<double> bwd_w_block_work(const bwd_w_plan &q, const float *src) {
    const problem_t &p = q.p;
    const int64_t plane = p.ih * p.iw, total = p.mb * plane;
    // Cycles per pixel of a block for the 16x16 transpose and compaction of the list builder,
    // and per non-zero for its FMAs (taps x oc blocks, ~1.4 memory-operand FMAs per cycle).
    const double build = 16.0;
    const double fma = (double)(p.kh * p.kw) / (double)(p.sh * p.sw) * (double)q.ocb / 1.4;
    const int64_t samples = std::min<int64_t>(total, std::max<int64_t>(8, 1024 / std::max<int64_t>(1, q.icb)));
    const int64_t stride = total / samples;
    std::vector<double> w(q.icb);
    for (int64_t b = 0; b < q.icb; ++b) {
        int64_t nz = 0;
        for (int64_t k = 0; k < samples; ++k) {
            // Evenly spaced pixels over all images, shifted within their stride.
            const int64_t at = k * stride + (k * 7919) % std::max<int64_t>(1, stride);
            const int64_t n = at / plane, pix = at % plane;
            const float *v = src + q.src_l.at(n, b, pix / p.iw, pix % p.iw);
            for (int l = 0; l < 16; ++l) nz += v[l] != 0.f;
        }
        w[b] = build + fma * (double)nz / (double)samples;
    }
    return w;
}

std::vector<int64_t> bwd_w_channel_parts(const bwd_w_plan &q, const float *src) {
    if (q.n_c_parts <= 1) return {0, q.icb};
    if (!q.balance_channels) return split_by_weight(std::vector<double>(q.icb, 1.0), q.n_c_parts);
    return split_by_weight(bwd_w_block_work(q, src), q.n_c_parts);
}

} // namespace sparsetrain
