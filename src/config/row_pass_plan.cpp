#include "config/row_pass_plan.hpp"

#include <algorithm>

#include "config/conv_scope.hpp"

namespace sparsetrain {

bool check_row_pass_limits(const problem_t &p, double out_elems, std::string &why_not) {
    if (!check_tap_limits(p, why_not)) return false;
    if ((double)p.oc * p.ic * p.kh * p.kw * 4 >= 2e9 || out_elems * 4 >= 2e9)
        return decline(why_not, "tensor too large for 32-bit offsets");
    return true;
}

bool row_pass_plan::use_pairs(double density_hint) const {
    const double d = density_hint >= 0 ? density_hint : 1.0 - planning_sparsity;
    return pairs.acc_sets > 0 && pair_ib >= 2 && d >= pairs.min_density;
}

row_pass_variant row_pass_plan::choose_variant(double density_hint) const {
    row_pass_variants v;
    v.pairs = pairs;
    v.pairs_runnable = pair_ib >= 2;
    v.inline_compact = inline_compact;
    v.inline_min_density = inline_min_density;
    return choose_row_pass_variant(v, density_hint >= 0 ? density_hint : 1.0 - planning_sparsity);
}

bool row_pass_plan::plan_blocking(row_pass_shape shape, const row_schedule &sched, const row_pass_plan_hints &h,
        bool lists_read_once, double out_image_bytes, row_pass_blocking &best) {
    shape.ring = sched.ring;
    for (const auto &t : sched.targets) {
        if (t.size() >= shape.targets_hist.size()) shape.targets_hist.resize(t.size() + 1);
        ++shape.targets_hist[t.size()];
    }
    if (!choose_row_pass_blocking(shape, h.blocking(), best)) return false;
    cb = best.cb;
    n_chunks = shape.sparse_blocks / best.cb;
    ring = sched.ring;
    acc_sets = best.acc_sets;
    est_cycles = best.cost;
    planning_sparsity = h.sparsity;
    pairs = choose_row_pass_pairs(shape, best, (int)h.pairs, (int)h.pair_sets);
    // Inline compaction needs registers for its accumulators (26).
    const bool inline_ok = lists_read_once && ring * best.n_blk * best.acc_sets <= 26;
    inline_compact = inline_ok && (h.inline_compact >= 0 ? h.inline_compact == 1 : shape.dense_blocks / best.n_blk == 1);
    // Measured (kernel-bench-fwd, 1x1 256->64 and 512->128): inline single lists beat both
    // list variants, pairs included, from ~15 % density up (10-17 % at 50 %); below, the short
    // lists expose the compaction's latency. So no pair variant beside it, unless asked.
    if (inline_compact) {
        if (h.pairs != 1) pairs = row_pass_pairs();
        if (h.inline_compact == 1) inline_min_density = 0.0;
    }
    if (out_image_bytes * 2 >= 2e9) pairs = row_pass_pairs(); // image b's dst displacement
    return true;
}

row_pass_unit_shape::row_pass_unit_shape(const row_pass_shape &s, int64_t n_blk, int64_t rows_,
        std::function<int64_t(int64_t)> list_rows_)
    : mb(s.mb), rows(rows_), cols(s.out_cols), list_row_lanes(s.list_cols * s.sparse_blocks * 16),
      out_row_bytes(s.out_cols * n_blk * 64), list_rows(std::move(list_rows_)) {}

void row_pass_plan::set_problem(const problem_t &prob, const sparse_conv_options &o, const row_schedule &s) {
    p = prob;
    act = o.act;
    wei = o.wei_layout;
    sched = s;
}

// A pass's weight slice is loaded into L1 once per unit, so a unit should hold many output
// pixels (~2048); its lists (at ~50 % density: 4 bytes per sparse channel) and one group's
// output rows should fit the L2 budget; there should be enough units to keep every thread
// busy (a small minibatch splits images into row blocks).
bool row_pass_plan::plan_units(const row_pass_unit_shape &s, const row_pass_plan_hints &h) {
    const int64_t threads = std::max<int64_t>(1, h.threads);
    auto unit_bytes = [&](int64_t ib, int64_t rb) {
        return ib * (s.list_rows(rb) * s.list_row_lanes * 4 + rb * s.out_row_bytes);
    };
    auto units = [&](int64_t ib, int64_t rb) { return ((s.mb + ib - 1) / ib) * ((s.rows + rb - 1) / rb); };
    auto cap = [&](int64_t ib, int64_t rb) { return ib * s.list_rows(rb) * s.list_row_lanes + 16; };
    // Rows per unit (spread evenly over the row blocks) and images per unit; the pair variant
    // has its own units of at least two images (with fewer rows to stay in L2).
    auto choose = [&](int64_t ib_min, int64_t &rb, int64_t &ib) {
        rb = h.rb ? std::min<int64_t>(h.rb, s.rows) : s.rows;
        if (!h.rb) {
            int64_t nb = 1;
            while (nb < s.rows
                    && (unit_bytes(ib_min, (s.rows + nb - 1) / nb) > h.l2_bytes
                            || units(ib_min, (s.rows + nb - 1) / nb) < threads))
                ++nb;
            rb = (s.rows + nb - 1) / nb;
        }
        ib = h.ib ? std::min<int64_t>(h.ib, s.mb) : std::min<int64_t>(ib_min, s.mb);
        if (!h.ib) {
            const int64_t target_pixels = 2048;
            while (ib < s.mb && ib * rb * s.cols < target_pixels && unit_bytes(ib + 1, rb) <= h.l2_bytes
                    && units(ib + 1, rb) >= threads)
                ++ib;
            ib = (s.mb + (s.mb + ib - 1) / ib - 1) / ((s.mb + ib - 1) / ib); // images spread evenly
            if (ib_min == 2 && ib % 2 && ib < s.mb) ++ib;                  // whole pairs
        }
        // Single lists hold all images of a unit (values, then offsets: 8 bytes an entry);
        // each pair list up to all lanes of its image pairs (seven slots of 4 bytes); all
        // indexed by 32-bit displacements.
        auto too_big = [&] { return cap(ib, rb) * 8 >= (1LL << 31) - (1LL << 26) || cap(ib / 2, rb) * 28 >= (1LL << 30); };
        while (ib > ib_min && too_big()) --ib;
        while (rb > 1 && too_big()) --rb;
        return !too_big();
    };
    int64_t rb, ib;
    if (!choose(1, rb, ib)) return false;
    this->rb = rb;
    this->ib = ib;
    n_hblk = (s.rows + rb - 1) / rb;
    lrows_max = s.list_rows(rb);
    list_cap = cap(ib, rb);
    if (pairs.acc_sets) {
        if (choose(2, rb, ib) && ib >= 2) {
            pair_rb = rb;
            pair_ib = ib;
            pair_n_hblk = (s.rows + rb - 1) / rb;
            lrows_max = std::max(lrows_max, s.list_rows(rb));
            pair_cap = cap(ib / 2, rb);
            list_cap = std::max(list_cap, cap(1, rb)); // the last image of an odd count runs in single lists
        } else {
            pairs = row_pass_pairs();
        }
    }
    offs_disp = (list_cap * 4 + 63) / 64 * 64;
    return true;
}

void row_pass_plan::print_units(std::ostream &os) const {
    os << ":cb" << cb << "x" << n_chunks << ":rb" << rb << "x" << n_hblk << ":ib" << ib << ":ring" << ring << "x"
       << acc_sets;
    if (inline_compact) os << ":inline>=" << inline_min_density;
    if (pairs.acc_sets)
        os << ":pairs" << pairs.acc_sets << ">=" << pairs.min_density << ":rb" << pair_rb << "x" << pair_n_hblk << ":ib"
           << pair_ib;
}

} // namespace sparsetrain
