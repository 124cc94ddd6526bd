#include "config/bwd_d_config.hpp"

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

// The diff_dst rows that diff_src rows [ih0, ih1) need: [lo, hi], empty when lo > hi.
void list_rows(const problem_t &p, int64_t ih0, int64_t ih1, int64_t &lo, int64_t &hi) {
    // oh feeds ih = oh*sh - ph + kh for kh in [0, kh): oh*sh >= ih0 + ph - (kh - 1).
    const int64_t num = ih0 + p.ph - (p.kh - 1);
    lo = num <= 0 ? 0 : (num + p.sh - 1) / p.sh;
    hi = std::min<int64_t>(p.oh - 1, (ih1 - 1 + p.ph) / p.sh);
}

} // namespace

void bwd_d_tap_rows(const problem_t &p, int kh, int64_t ih0, int64_t ih1, int64_t &a, int64_t &n, int64_t &oh_a) {
    // ih + ph - kh must be a non-negative multiple of sh, below oh * sh.
    a = ih0;
    while (a < ih1 && ((a + p.ph - kh) < 0 || (a + p.ph - kh) % p.sh)) ++a;
    n = 0;
    oh_a = a < ih1 ? (a + p.ph - kh) / p.sh : 0;
    for (int64_t ih = a; ih < ih1 && oh_a + n < p.oh; ih += p.sh) ++n;
}

std::string bwd_d_config::str() const {
    std::ostringstream os;
    os << "icb" << n_icb << "x" << n_icg;
    print_units(os);
    os << ":" << to_string(wei);
    if (act != act_format::nChw16c) os << ":" << to_string(act);
    return os.str();
}

bool plan_bwd_d(const problem_t &p, const sparse_conv_options &o, bwd_d_config &c, std::string &why_not,
        const bwd_d_plan_hints &h) {
    if (!check_sparse_scope(p, why_not)) return false;
    const wei_layout wl = make_wei_layout(o.wei_layout, p);
    if (!wl.i.lines_of_16() || !wl.o.uniform_over(16) || !wl.i.uniform_over(16))
        return decline(why_not, std::string("backward data needs OIhw16o16i or IOhw16o16i weights, not ") + to_string(o.wei_layout));
    if (!check_row_pass_limits(p, (double)p.ic * p.ih * p.iw, why_not)) return false;

    const auto sched = bwd_d_row_schedule((int)p.ow, (int)p.iw, (int)p.kw, (int)p.sw, (int)p.pw);
    if (sched.ring > reg_budget::max_acc) return decline(why_not, "row schedule needs too many accumulators");
    const int64_t OCB = p.oc / 16, ICB = p.ic / 16;

    c = bwd_d_config();
    c.set_problem(p, o, sched);

    // Blocking (config/row_pass_blocking.hpp).
    row_pass_shape shape;
    shape.mb = p.mb;
    shape.sparse_blocks = OCB;
    shape.dense_blocks = ICB;
    for (int kh = 0; kh < p.kh; ++kh) {
        int64_t a, n, oh_a;
        bwd_d_tap_rows(p, kh, 0, p.ih, a, n, oh_a);
        shape.pass_rows += n;
    }
    shape.out_cols = p.iw;
    shape.list_rows = p.oh;
    shape.list_cols = p.ow;
    shape.kw = p.kw;
    row_pass_blocking best;
    // Inline compaction where each list would be read once (1x1: one pass per diff_dst row and
    // chunk; one diff_src group), as in the forward planner.
    if (!c.plan_blocking(shape, sched, h, p.kh == 1 && p.kw == 1, (double)p.ic * p.ih * p.iw * 4, best))
        return decline(why_not, "no blocking satisfies the plan hints");
    c.n_icb = best.n_blk;
    c.n_icg = ICB / best.n_blk;

    // Work units (images x diff_src rows), sized like the forward planner's (row_pass_plan).
    const row_pass_unit_shape us(shape, c.n_icb, p.ih, [&](int64_t rb) {
        int64_t most = 0;
        for (int64_t ih0 = 0; ih0 < p.ih; ih0 += rb) {
            int64_t lo, hi;
            list_rows(p, ih0, std::min(p.ih, ih0 + rb), lo, hi);
            most = std::max(most, hi - lo + 1);
        }
        return std::max<int64_t>(most, 1);
    });
    if (!c.plan_units(us, h)) return decline(why_not, "rows too long for 32-bit list indices");

    // Pass order: taps by the number of diff_src rows they feed (most first), chunk-major
    // within a tap, so that a tap's first pass initialises its rows.
    std::vector<int> khs(p.kh);
    std::vector<int64_t> cover(p.kh);
    for (int kh = 0; kh < p.kh; ++kh) {
        int64_t a, n, oh_a;
        bwd_d_tap_rows(p, kh, 0, p.ih, a, n, oh_a);
        khs[kh] = kh;
        cover[kh] = n;
    }
    std::stable_sort(khs.begin(), khs.end(), [&](int a, int b) { return cover[a] > cover[b]; });
    for (int kh : khs)
        for (int ch = 0; ch < c.n_chunks; ++ch) c.passes.push_back({kh, ch});
    return true;
}

} // namespace sparsetrain
