#include "reference/ref_conv.hpp"

#include <cstdint>
#include <vector>

#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace reference {

namespace {

void require_2d(const problem_t &p) {
    if (p.ndims != 4) throw error("reference convolution: only 2D problems are supported");
}

struct idx {
    const problem_t &p;
    int64_t icg() const { return p.ic / p.g; }
    int64_t ocg() const { return p.oc / p.g; }
    int64_t src(int64_t n, int64_t c, int64_t h, int64_t w) const {
        return ((n * p.ic + c) * p.ih + h) * p.iw + w;
    }
    int64_t dst(int64_t n, int64_t c, int64_t h, int64_t w) const {
        return ((n * p.oc + c) * p.oh + h) * p.ow + w;
    }
    // oc, ic are the channel indices inside group g.
    int64_t wei(int64_t g, int64_t oc, int64_t ic, int64_t kh, int64_t kw) const {
        return (((g * ocg() + oc) * icg() + ic) * p.kh + kh) * p.kw + kw;
    }
};

// Which loop the taps are split over between threads: one whose every index owns its own part
// of the direction's output, so that no two threads add into one element (fwd: dst[n][oc],
// bwd_d: diff_src[n], bwd_w: diff_wei[oc]).
enum class split_by { image, out_channel };

// Every tap of the convolution: output pixel (n, oc, oh, ow) reads input pixel (n, ic, ih, iw)
// through weight (oc, ic, kh, kw), ic in oc's group; taps that fall in the padding are skipped.
// Calls tap(s, w, d) with the plain offsets of the three. Each output element gets its terms in
// the order of the loops below: fwd by ic, kh, kw; bwd_d by oc, kh, kw; bwd_w by n, oh, ow.
template <typename Tap>
void for_each_tap(const problem_t &p, split_by by, const Tap &tap) {
    const idx I {p};
    const bool by_oc = by == split_by::out_channel;
    const int64_t outer = by_oc ? p.oc : p.mb, inner = by_oc ? p.mb : p.oc;
#pragma omp parallel for schedule(static)
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < inner; ++i) {
            const int64_t n = by_oc ? i : o, oc = by_oc ? o : i;
            const int64_t g = oc / I.ocg(), ocl = oc % I.ocg();
            for (int64_t icl = 0; icl < I.icg(); ++icl)
                for (int64_t kh = 0; kh < p.kh; ++kh)
                    for (int64_t kw = 0; kw < p.kw; ++kw) {
                        const int64_t w = I.wei(g, ocl, icl, kh, kw);
                        for (int64_t oh = 0; oh < p.oh; ++oh) {
                            const int64_t ih = oh * p.sh - p.ph + kh * (p.dh + 1);
                            if (ih < 0 || ih >= p.ih) continue;
                            for (int64_t ow = 0; ow < p.ow; ++ow) {
                                const int64_t iw = ow * p.sw - p.pw + kw * (p.dw + 1);
                                if (iw < 0 || iw >= p.iw) continue;
                                tap(I.src(n, g * I.icg() + icl, ih, iw), w, I.dst(n, oc, oh, ow));
                            }
                        }
                    }
        }
}

// The float output of the double sums; with_relu applies max(x, 0) (NaN stays NaN).
void store(const std::vector<double> &acc, float *out, bool with_relu = false) {
    const int64_t n = (int64_t)acc.size();
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) {
        float r = (float)acc[i];
        if (with_relu && !(r > 0.f)) r = (r != r) ? r : 0.f;
        out[i] = r;
    }
}

} // namespace

void conv_fwd(const problem_t &p, const float *src, const float *wei, const float *bias,
        float *dst, bool with_relu) {
    require_2d(p);
    std::vector<double> acc(p.mb * p.oc * p.oh * p.ow, 0.0);
    if (bias) // the sums start from the bias
        for (int64_t i = 0; i < (int64_t)acc.size(); ++i) acc[i] = bias[(i / (p.oh * p.ow)) % p.oc];
    double *a = acc.data();
    for_each_tap(p, split_by::out_channel, [=](int64_t s, int64_t w, int64_t d) { a[d] += (double)src[s] * wei[w]; });
    store(acc, dst, with_relu);
}

void conv_bwd_d(const problem_t &p, float *diff_src, const float *wei, const float *diff_dst) {
    require_2d(p);
    std::vector<double> acc(p.mb * p.ic * p.ih * p.iw, 0.0);
    double *a = acc.data();
    for_each_tap(p, split_by::image, [=](int64_t s, int64_t w, int64_t d) { a[s] += (double)diff_dst[d] * wei[w]; });
    store(acc, diff_src);
}

void conv_bwd_w(const problem_t &p, const float *src, float *diff_wei, float *diff_bias,
        const float *diff_dst) {
    require_2d(p);
    const idx I {p};
    std::vector<double> acc(p.oc * I.icg() * p.kh * p.kw, 0.0);
    double *a = acc.data();
    for_each_tap(p, split_by::out_channel, [=](int64_t s, int64_t w, int64_t d) { a[w] += (double)diff_dst[d] * src[s]; });
    store(acc, diff_wei);
    if (diff_bias) {
#pragma omp parallel for schedule(static)
        for (int64_t oc = 0; oc < p.oc; ++oc) {
            double sum = 0.0;
            for (int64_t n = 0; n < p.mb; ++n)
                for (int64_t oh = 0; oh < p.oh; ++oh)
                    for (int64_t ow = 0; ow < p.ow; ++ow)
                        sum += diff_dst[I.dst(n, oc, oh, ow)];
            diff_bias[oc] = (float)sum;
        }
    }
}

} // namespace reference
} // namespace sparsetrain
