#include "reference/ref_conv.hpp"

#include <cstdint>

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

} // namespace

void conv_fwd(const problem_t &p, const float *src, const float *wei, const float *bias,
        float *dst, bool with_relu) {
    require_2d(p);
    const idx I {p};
#pragma omp parallel for collapse(3) schedule(static)
    for (int64_t n = 0; n < p.mb; ++n)
        for (int64_t oc = 0; oc < p.oc; ++oc)
            for (int64_t oh = 0; oh < p.oh; ++oh)
                for (int64_t ow = 0; ow < p.ow; ++ow) {
                    const int64_t g = oc / I.ocg(), ocl = oc % I.ocg();
                    double acc = bias ? bias[oc] : 0.0;
                    for (int64_t icl = 0; icl < I.icg(); ++icl)
                        for (int64_t kh = 0; kh < p.kh; ++kh) {
                            const int64_t ih = oh * p.sh - p.ph + kh * (p.dh + 1);
                            if (ih < 0 || ih >= p.ih) continue;
                            for (int64_t kw = 0; kw < p.kw; ++kw) {
                                const int64_t iw = ow * p.sw - p.pw + kw * (p.dw + 1);
                                if (iw < 0 || iw >= p.iw) continue;
                                acc += (double)src[I.src(n, g * I.icg() + icl, ih, iw)]
                                        * wei[I.wei(g, ocl, icl, kh, kw)];
                            }
                        }
                    float r = (float)acc;
                    if (with_relu && !(r > 0.f)) r = (r != r) ? r : 0.f; // NaN stays NaN
                    dst[I.dst(n, oc, oh, ow)] = r;
                }
}

void conv_bwd_d(const problem_t &p, float *diff_src, const float *wei, const float *diff_dst) {
    require_2d(p);
    const idx I {p};
#pragma omp parallel for collapse(3) schedule(static)
    for (int64_t n = 0; n < p.mb; ++n)
        for (int64_t ic = 0; ic < p.ic; ++ic)
            for (int64_t ih = 0; ih < p.ih; ++ih)
                for (int64_t iw = 0; iw < p.iw; ++iw) {
                    const int64_t g = ic / I.icg(), icl = ic % I.icg();
                    double acc = 0.0;
                    for (int64_t ocl = 0; ocl < I.ocg(); ++ocl)
                        for (int64_t kh = 0; kh < p.kh; ++kh) {
                            const int64_t th = ih + p.ph - kh * (p.dh + 1);
                            if (th < 0 || th % p.sh) continue;
                            const int64_t oh = th / p.sh;
                            if (oh >= p.oh) continue;
                            for (int64_t kw = 0; kw < p.kw; ++kw) {
                                const int64_t tw = iw + p.pw - kw * (p.dw + 1);
                                if (tw < 0 || tw % p.sw) continue;
                                const int64_t ow = tw / p.sw;
                                if (ow >= p.ow) continue;
                                acc += (double)diff_dst[I.dst(n, g * I.ocg() + ocl, oh, ow)]
                                        * wei[I.wei(g, ocl, icl, kh, kw)];
                            }
                        }
                    diff_src[I.src(n, ic, ih, iw)] = (float)acc;
                }
}

void conv_bwd_w(const problem_t &p, const float *src, float *diff_wei, float *diff_bias,
        const float *diff_dst) {
    require_2d(p);
    const idx I {p};
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t oc = 0; oc < p.oc; ++oc)
        for (int64_t icl = 0; icl < I.icg(); ++icl)
            for (int64_t kh = 0; kh < p.kh; ++kh)
                for (int64_t kw = 0; kw < p.kw; ++kw) {
                    const int64_t g = oc / I.ocg(), ocl = oc % I.ocg();
                    double acc = 0.0;
                    for (int64_t n = 0; n < p.mb; ++n)
                        for (int64_t oh = 0; oh < p.oh; ++oh) {
                            const int64_t ih = oh * p.sh - p.ph + kh * (p.dh + 1);
                            if (ih < 0 || ih >= p.ih) continue;
                            for (int64_t ow = 0; ow < p.ow; ++ow) {
                                const int64_t iw = ow * p.sw - p.pw + kw * (p.dw + 1);
                                if (iw < 0 || iw >= p.iw) continue;
                                acc += (double)diff_dst[I.dst(n, oc, oh, ow)]
                                        * src[I.src(n, g * I.icg() + icl, ih, iw)];
                            }
                        }
                    diff_wei[I.wei(g, ocl, icl, kh, kw)] = (float)acc;
                }
    if (diff_bias) {
#pragma omp parallel for schedule(static)
        for (int64_t oc = 0; oc < p.oc; ++oc) {
            double acc = 0.0;
            for (int64_t n = 0; n < p.mb; ++n)
                for (int64_t oh = 0; oh < p.oh; ++oh)
                    for (int64_t ow = 0; ow < p.ow; ++ow)
                        acc += diff_dst[I.dst(n, oc, oh, ow)];
            diff_bias[oc] = (float)acc;
        }
    }
}

} // namespace reference
} // namespace sparsetrain
