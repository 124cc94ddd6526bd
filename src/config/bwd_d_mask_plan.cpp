#include "config/bwd_d_mask_plan.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <sstream>
#include <utility>

#include "config/conv_scope.hpp"
#include "config/plan_hint_text.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {

namespace {

// Diff_dst positions (along one axis) that input position i receives from, with their taps:
// k with (i + pad - k) a non-negative multiple of s below `out`.
std::vector<std::pair<int64_t, int64_t>> axis_taps(int64_t i, int64_t k, int64_t s, int64_t pad, int64_t out) {
    std::vector<std::pair<int64_t, int64_t>> r; // (tap, output position)
    for (int64_t t = 0; t < k; ++t) {
        const int64_t num = i + pad - t;
        if (num < 0 || num % s) continue;
        if (num / s < out) r.push_back({t, num / s});
    }
    return r;
}

// The tap list of every pixel: (dd_rel, w_off) pairs, dd_rel relative to the pixel's first
// tap's diff_dst pixel (its dd_off).
struct pixel_taps {
    int64_t act_off = 0, dd_off = 0;
    std::vector<int64_t> list;
};

std::vector<pixel_taps> all_pixel_taps(const bwd_d_mask_config &c) {
    const auto &p = c.p;
    std::vector<pixel_taps> r;
    for (int64_t i = 0; i < c.ib; ++i)
        for (int64_t h = 0; h < p.ih; ++h) {
            const auto th = axis_taps(h, p.kh, p.sh, p.ph, p.oh);
            for (int64_t w = 0; w < p.iw; ++w) {
                const auto tw = axis_taps(w, p.kw, p.sw, p.pw, p.ow);
                pixel_taps t;
                t.act_off = c.act.offset(i, 0, h, w);
                t.dd_off = i * c.dd.image;
                if (!th.empty() && !tw.empty()) t.dd_off += th[0].second * c.dd.row + tw[0].second * c.dd.pixel;
                for (const auto &a : th)
                    for (const auto &b : tw) {
                        t.list.push_back((a.second - th[0].second) * c.dd.row + (b.second - tw[0].second) * c.dd.pixel);
                        t.list.push_back((a.first * p.kw + b.first) * c.w_tap);
                    }
                r.push_back(std::move(t));
            }
        }
    return r;
}

// Unrolled classes: the most frequent tap lists, each covering at least 10 % of the pixels that
// have taps, at most `max_classes` of them and 25 taps in all (code size); the rest go through
// the tap-table loop. Tap tables of all pixels are interned (equal lists share entries).
void build_tables(bwd_d_mask_config &c, int64_t max_classes) {
    const auto px = all_pixel_taps(c);
    std::map<std::vector<int64_t>, int64_t> freq;
    int64_t active = 0;
    for (const auto &t : px)
        if (!t.list.empty()) {
            ++freq[t.list];
            ++active;
        }
    std::vector<std::pair<int64_t, std::vector<int64_t>>> by_freq;
    for (const auto &f : freq) by_freq.push_back({f.second, f.first});
    std::stable_sort(by_freq.begin(), by_freq.end(), [](const auto &a, const auto &b) { return a.first > b.first; });
    std::map<std::vector<int64_t>, int32_t> class_of;
    int64_t taps_used = 0;
    c.classes.clear();
    for (const auto &f : by_freq) {
        const int64_t ntaps = (int64_t)f.second.size() / 2;
        if ((int64_t)c.classes.size() >= max_classes || f.first * 10 < active || taps_used + ntaps > 25) break;
        class_of[f.second] = (int32_t)c.classes.size();
        std::vector<std::pair<int64_t, int64_t>> l;
        for (int64_t k = 0; k < ntaps; ++k) l.push_back({f.second[2 * k], f.second[2 * k + 1]});
        c.classes.push_back(l);
        taps_used += ntaps;
    }
    c.generic = class_of.size() < freq.size();
    const int32_t generic_class = (int32_t)c.classes.size();

    std::map<std::vector<int64_t>, int32_t> interned; // tap list -> tap_end
    c.pix.clear();
    c.taps.clear();
    for (const auto &t : px) {
        int32_t tap_end = 0, cls = 0;
        if (!t.list.empty()) {
            auto it = interned.find(t.list);
            if (it == interned.end()) {
                c.taps.insert(c.taps.end(), t.list.begin(), t.list.end());
                it = interned.emplace(t.list, (int32_t)(c.taps.size() / 2)).first;
            }
            tap_end = it->second;
            const auto k = class_of.find(t.list);
            cls = k == class_of.end() ? generic_class : k->second;
        }
        c.pix.push_back((int32_t)t.act_off);
        c.pix.push_back((int32_t)t.dd_off);
        c.pix.push_back(tap_end);
        c.pix.push_back((int32_t)(t.list.size() / 2) | cls << 16);
    }
}

} // namespace

bwd_d_mask_hints bwd_d_mask_hints::parse(const std::string &s) {
    bwd_d_mask_hints h;
    parse_plan_hints(s, "bwd_d mask", true, [&h](const std::string &k, double v) {
        const int64_t x = (int64_t)v;
        if (k == "occ") h.occ = x;
        else if (k == "rb") h.rb = x;
        else if (k == "ib") h.ib = x;
        else if (k == "g") h.max_group = x;
        else if (k == "full") h.full_from = x;
        else if (k == "l1") h.l1_bytes = x;
        else if (k == "cls") h.max_classes = x;
        else if (k == "ch") h.chains = x;
        else if (k == "threads") h.threads = x;
        else return false;
        return true;
    });
    return h;
}

std::string bwd_d_mask_config::str() const {
    std::ostringstream os;
    os << "mask:occ" << occ << "x" << n_chunks << ":rb" << rb << "x" << n_hblk << ":ib" << ib << ":g" << max_group
       << ":full" << full_from << ":ch" << chains << ":cls" << classes.size() << (generic ? "+generic" : "") << ":IOhw16i16o"
       << (nhwc ? ":nhwc" : "");
    return os.str();
}

bool plan_bwd_d_mask(const problem_t &p, const bwd_d_mask_hints &h, bwd_d_mask_config &c, std::string &why_not,
        bool nhwc) {
    if (!check_sparse_scope(p, why_not) || !check_tap_limits(p, why_not)) return false;

    c = bwd_d_mask_config();
    c.p = p;
    c.nhwc = nhwc;
    const act_format f = nhwc ? act_format::nhwc : act_format::nChw16c;
    c.act = act_geometry(src_layout(p, f));
    c.dd = act_geometry(dst_layout(p, f));
    const int64_t OCB = c.dd.blocks, ICB = c.act.blocks, taps = p.kh * p.kw;
    // IOhw16i16o: the taps x blocks of one input-channel block are contiguous, so that the
    // slice of a call is too (no L1 set conflicts between its lines).
    c.w_ocb = taps * c.w_tap;
    c.w_icb = OCB * c.w_ocb;

    // Output blocks per call: the largest divisor of OCB whose weight slice fits the budget
    // (and keeps the code of a variant small: at most 16 blocks, 8 with a tap loop).
    const int64_t slice_per_blk = c.w_ocb;
    const int64_t occ_cap = c.single_tap() ? 16 : 8;
    c.occ = 1;
    for (int64_t o = 1; o <= std::min(OCB, occ_cap); ++o)
        if (OCB % o == 0 && o * slice_per_blk <= std::max<int64_t>(h.l1_bytes, slice_per_blk)) c.occ = o;
    if (h.occ) {
        if (OCB % h.occ) return decline(why_not, "plan hint occ must divide oc / 16");
        c.occ = h.occ;
    }
    c.n_chunks = OCB / c.occ;

    // Units: about 256..512 pixels (buckets of a few hundred items), whole images when small.
    const int64_t target = 384;
    const int64_t img_px = p.ih * p.iw;
    if (img_px >= target) {
        c.ib = 1;
        c.rb = std::min(p.ih, std::max<int64_t>(1, target / p.iw));
    } else {
        c.ib = std::max<int64_t>(1, std::min(p.mb, target / img_px));
        c.rb = p.ih;
    }
    if (h.ib) c.ib = std::min(h.ib, p.mb);
    if (h.rb) c.rb = std::min(h.rb, p.ih);
    if (c.ib > 1) c.rb = p.ih; // several images: whole images
    c.n_hblk = (p.ih + c.rb - 1) / c.rb;
    c.max_group = (int)h.max_group;
    c.full_from = h.full_from ? (int)h.full_from : 17;
    if (h.chains) c.chains = (int)h.chains;

    const double act_bytes = (double)c.ib * c.act.image, dd_bytes = (double)c.ib * c.dd.image;
    if (act_bytes >= 2e9 || dd_bytes >= 2e9 || (double)c.w_icb * ICB >= 2e9)
        return decline(why_not, "tensor too large for 32-bit offsets");
    build_tables(c, h.max_classes >= 0 ? h.max_classes : 4);
    return true;
}

} // namespace sparsetrain
