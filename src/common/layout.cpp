#include "common/layout.hpp"

#include <numeric>

#include "sparsetrain/error.hpp"

namespace sparsetrain {

const char *to_string(act_format f) { return f == act_format::nhwc ? "nhwc" : "nChw16c"; }

act_format act_format_from_string(const std::string &s) {
    if (s == "nChw16c" || s == "nchw16c") return act_format::nChw16c;
    if (s == "nhwc") return act_format::nhwc;
    throw error("activation layout '" + s + "': expected nchw16c or nhwc");
}

act_layout::act_layout(act_format f, int64_t c_, int64_t h_, int64_t w_) : format(f), c(c_), h(h_), w(w_) {
    img = c * h * w;
    if (f == act_format::nChw16c) {
        cblk = h * w * 16;
        row = w * 16;
        px = 16;
    } else {
        cblk = 16;
        row = w * c;
        px = c;
    }
}

act_layout src_layout(const problem_t &p, act_format f) { return act_layout(f, p.ic, p.ih, p.iw); }
act_layout dst_layout(const problem_t &p, act_format f) { return act_layout(f, p.oc, p.oh, p.ow); }

std::string layout_label(const std::string &problem, act_format f) {
    return f == act_format::nChw16c ? problem : problem + ":" + to_string(f);
}

const char *to_string(weights_layout l) {
    switch (l) {
    case weights_layout::OIhw16i16o: return "OIhw16i16o";
    case weights_layout::OIhw16o16i: return "OIhw16o16i";
    case weights_layout::IOhw16o16i: return "IOhw16o16i";
    case weights_layout::Ohwi16o: return "Ohwi16o";
    case weights_layout::Ohwi32o: return "Ohwi32o";
    case weights_layout::Ohwi48o: return "Ohwi48o";
    case weights_layout::Ohwi64o: return "Ohwi64o";
    }
    return "?";
}

int64_t wei_dim::period_over(int64_t span) const {
    if (uniform_over(span)) return 1;
    return std::lcm(blk, span) / span;
}

wei_layout make_wei_layout(weights_layout tag, const problem_t &p) {
    wei_layout l;
    l.tag = tag;
    const int64_t khw = p.kh * p.kw, ocb = (p.oc + 15) / 16, icb = (p.ic + 15) / 16;
    auto ohwi = [&](int64_t b) {
        l.o = {b, khw * p.ic * b, 1};
        l.i = {1, b, 0};
        l.kh = p.kw * p.ic * b;
        l.kw = p.ic * b;
    };
    switch (tag) {
    case weights_layout::OIhw16i16o: // [O/16][I/16][kh][kw][16i][16o]
        l.o = {16, icb * khw * 256, 1};
        l.i = {16, khw * 256, 16};
        break;
    case weights_layout::OIhw16o16i: // [O/16][I/16][kh][kw][16o][16i]
        l.o = {16, icb * khw * 256, 16};
        l.i = {16, khw * 256, 1};
        break;
    case weights_layout::IOhw16o16i: // [I/16][O/16][kh][kw][16o][16i]
        l.o = {16, khw * 256, 16};
        l.i = {16, ocb * khw * 256, 1};
        break;
    case weights_layout::Ohwi16o: ohwi(16); break;
    case weights_layout::Ohwi32o: ohwi(32); break;
    case weights_layout::Ohwi48o: ohwi(48); break;
    case weights_layout::Ohwi64o: ohwi(64); break;
    }
    if (tag == weights_layout::OIhw16i16o || tag == weights_layout::OIhw16o16i || tag == weights_layout::IOhw16o16i) {
        l.kh = p.kw * 256;
        l.kw = 256;
    }
    return l;
}

} // namespace sparsetrain
