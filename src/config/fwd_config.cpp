#include "config/fwd_config.hpp"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "common/cpu.hpp"
#include "config/conv_scope.hpp"
#include "config/register_budget.hpp"
#include "config/row_pass_blocking.hpp"
#include "config/row_pass_schedule.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {

namespace {

struct geometry {
    bool subsample;
    int64_t lcols;
    row_schedule sched;
};

geometry make_geometry(const problem_t &p) {
    geometry g;
    g.subsample = p.kh == 1 && p.kw == 1 && p.ph == 0 && p.pw == 0;
    g.lcols = g.subsample ? p.ow : p.iw;
    g.sched = g.subsample ? fwd_row_schedule((int)p.ow, (int)p.ow, 1, 1, 0)
                          : fwd_row_schedule((int)p.iw, (int)p.ow, (int)p.kw, (int)p.sw, (int)p.pw);
    return g;
}

} // namespace

std::string fwd_config::str() const {
    std::ostringstream os;
    os << "ocb" << n_ocb << "x" << n_ocg;
    print_units(os);
    if (act != act_format::nChw16c) os << ":" << to_string(act) << ":" << to_string(wei);
    if (wei_patterns > 1) os << ":wpat" << wei_patterns;
    os << (subsample ? ":subsample" : "") << (with_bias ? ":bias" : "") << (with_relu ? ":relu" : "");
    return os.str();
}

bool plan_fwd(const problem_t &p, const sparse_conv_options &o, fwd_config &c, std::string &why_not,
        const fwd_plan_hints &h) {
    if (!check_sparse_scope(p, why_not)) return false;
    const wei_layout wl = make_wei_layout(o.wei_layout, p);
    if (!wl.o.lines_of_16() || !wl.i.uniform_over(16))
        return decline(why_not, std::string("forward needs weights with 16 output channels per line (OIhw16i16o, Ohwi16o .. "
                                         "Ohwi64o), not ") + to_string(o.wei_layout));
    if (!check_row_pass_limits(p, (double)p.oc * p.oh * p.ow, why_not)) return false;

    const geometry g = make_geometry(p);
    const int64_t OCB = p.oc / 16, ICB = p.ic / 16;
    const int ring = g.sched.ring;
    if (ring > reg_budget::max_acc) return decline(why_not, "row schedule needs too many accumulators");

    // Blocking (config/row_pass_blocking.hpp).
    row_pass_shape shape;
    shape.mb = p.mb;
    shape.sparse_blocks = ICB;
    shape.dense_blocks = OCB;
    for (int kh = 0; kh < p.kh; ++kh)
        for (int64_t oh = 0; oh < p.oh; ++oh) {
            const int64_t ih = oh * p.sh - p.ph + kh;
            shape.pass_rows += ih >= 0 && ih < p.ih;
        }
    shape.out_cols = p.ow;
    shape.list_rows = g.subsample ? p.oh : p.ih;
    shape.list_cols = g.lcols;
    shape.kw = p.kw;
    c = fwd_config();
    row_pass_blocking best;
    // Inline compaction where each list would be read once: 1x1 subsampled, one output group.
    if (!c.plan_blocking(shape, g.sched, h, g.subsample, (double)p.oc * p.oh * p.ow * 4, best))
        return decline(why_not, "no blocking satisfies the plan hints");
    c.set_problem(p, o, g.sched);
    c.with_bias = o.with_bias;
    c.with_relu = o.with_relu;
    c.subsample = g.subsample;
    c.lcols = g.lcols;
    c.n_ocb = best.n_blk;
    c.n_ocg = OCB / best.n_blk;
    c.wei_patterns = std::min<int64_t>(c.n_ocg, wl.o.period_over(c.n_ocb * 16));

    // Work units (images x output rows).
    const row_pass_unit_shape us(shape, c.n_ocb, p.oh,
            [&](int64_t rb) { return g.subsample ? rb : std::min<int64_t>(p.ih, (rb - 1) * p.sh + p.kh); });
    if (!c.plan_units(us, h)) return decline(why_not, "rows too long for 32-bit list indices");

    // Pass order: the kh tap that is valid for the most output rows opens (initialises) and,
    // where there are several chunks, also closes (ReLU) the accumulation; rows that the
    // first or last pass does not reach are initialised / finished by the driver.
    std::vector<int> khs(p.kh);
    std::vector<int64_t> cover(p.kh, 0);
    for (int kh = 0; kh < p.kh; ++kh) {
        khs[kh] = kh;
        for (int64_t oh = 0; oh < p.oh; ++oh) {
            const int64_t ih = oh * p.sh - p.ph + kh;
            cover[kh] += ih >= 0 && ih < p.ih;
        }
    }
    std::stable_sort(khs.begin(), khs.end(), [&](int a, int b) { return cover[a] > cover[b]; });
    const int kh_a = khs[0];
    c.passes.push_back({kh_a, 0});
    // Remaining taps, best-covered last.
    for (size_t i = khs.size(); i-- > 1;)
        for (int ch = 0; ch < c.n_chunks; ++ch) c.passes.push_back({khs[i], ch});
    for (int ch = 1; ch < c.n_chunks; ++ch) c.passes.push_back({kh_a, ch});
    return true;
}

} // namespace sparsetrain
