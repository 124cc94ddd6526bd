#include "config/row_pass_blocking.hpp"

#include <algorithm>
#include <vector>

#include "config/register_budget.hpp"

namespace sparsetrain {

namespace {

// Costs fitted to kernel-bench-fwd runs on this machine (mb16, 2 threads, and kernel-only
// experiments), in cycles. Checked against a measured grid of blockings for the 3x3 layers
// (28x28 256->256, 56x56 128->128, 56->28 stride 2): the planner picks the blocking with the
// best summed relative ratio at 50/70/90 %. The 1x1 layers are memory-bound and too noisy
// here (host-shared memory) to rank blockings closer than ~30 %.
const double fma_per_cycle = 1.42;  // FMAs with a 64-byte memory operand, L1-resident lines
const double fma_latency = 4.0;     // each entry's FMAs depend on the previous entry's (per set)
const double uops_per_cycle = 5.0;
const double loads_per_cycle = 1.7; // 64-byte loads plus the scalar broadcast / offset loads
const double list_overhead = 6.5;   // per list: start/end loads, sub/jz, lea, exit (mostly hidden)
const double vec_compact = 8.0;     // compaction per vector (p5-bound compresses, list stores)
// Per pass, every output pixel's accumulators are loaded from and stored to dst (L2): ~3-4
// cycles per 64-byte line, in addition to the FMA work (fitted: it does not overlap).
const double dst_line = 4.0;
using reg_budget::max_acc;          // zmm accumulators (config/register_budget.hpp)
using reg_budget::max_acc_pair;     // pair mode: 4 registers hold dense lines
// Pair mode: an AB entry's 2F register FMAs share F line loads (measured ~1.85 FMA/cycle);
// a pixel pair has three lists; a pair of vectors takes 7 compress + store steps, not 4.
const double pair_fma_per_cycle = 1.75;
const double pair_compact = 1.15;       // memory-bound on large layers: barely more than single
const double pair_list_overhead = 15.0; // per image pair and pixel: the third list, more L1 traffic
// A weight slice above 32 KB shares L1 (48 KB) with the lists and dst lines: measured ~6 %
// slower FMAs, worth it when longer lists save list overhead and dst traffic.
const int64_t l1_comfortable = 32 * 1024;
const double l1_tight_penalty = 1.06;

} // namespace

double estimate_row_pass(const row_pass_shape &s, const row_pass_blocking &b, double sparsity, int pair_sets) {
    const double n_grp = (double)(s.dense_blocks / b.n_blk), n_chunks = (double)(s.sparse_blocks / b.cb);
    const double lanes = (double)b.cb * 16.0, d = 1.0 - sparsity;
    const double slice = (double)(s.kw * b.cb * 16 * b.n_blk * 64);
    const double l1 = slice > (double)l1_comfortable ? l1_tight_penalty : 1.0;
    const int sets = pair_sets ? pair_sets : b.acc_sets;
    double row = (double)s.out_cols * (double)b.n_blk * dst_line;
    for (size_t t = 1; t < s.targets_hist.size(); ++t) {
        // An entry: F FMAs plus a broadcast and an offset load, an add and the loop branch.
        // With few FMAs the loads, the latency chain or the issue width bound it.
        const double F = (double)t * (double)b.n_blk;
        const double entry = l1 * std::max({F / fma_per_cycle, (F + 2.0) / loads_per_cycle, fma_latency / sets,
                                     (F + 4.0) / uops_per_cycle});
        double per_x = list_overhead + lanes * d * entry;
        if (pair_sets) {
            // Per image: half of an image pair's three lists and AB entries (d^2 of the lanes;
            // 2F register FMAs, F line loads and three scalar loads), and the A or B entries.
            const double pair_entry = l1 * std::max({2.0 * F / pair_fma_per_cycle, (F + 3.0) / loads_per_cycle,
                                                 fma_latency / sets, (3.0 * F + 5.0) / uops_per_cycle});
            per_x = list_overhead + 0.5 * pair_list_overhead + lanes * (d * d * pair_entry / 2.0 + d * (1.0 - d) * entry);
        }
        row += (double)s.targets_hist[t] * per_x;
    }
    const double passes = (double)s.mb * (double)s.pass_rows * n_chunks * n_grp * row;
    const double compaction = (double)s.mb * (double)s.list_rows * (double)s.list_cols * (double)s.sparse_blocks
            * vec_compact * (pair_sets ? pair_compact : 1.0);
    return passes + compaction;
}

row_pass_pairs choose_row_pass_pairs(const row_pass_shape &s, const row_pass_blocking &b, int mode, int acc_sets) {
    row_pass_pairs r;
    if (mode == 0 || s.mb < 2) return r;
    // One accumulator set per image unless asked: the two images' FMA chains already
    // interleave, and a second set measured no faster (up to 4 % slower) even with few FMAs
    // per entry (1x1, stride 2).
    const int sets = acc_sets ? acc_sets : 1;
    if (s.ring * b.n_blk * 2 * sets > max_acc_pair) return r;
    if (mode == 1) {
        r.acc_sets = sets;
        r.min_density = 0.0;
        return r;
    }
    // The lowest density from which the pair variant is estimated faster all the way up.
    double from = 2.0;
    for (int i = 100; i >= 1; --i) {
        const double d = i / 100.0;
        if (estimate_row_pass(s, b, 1.0 - d, sets) >= estimate_row_pass(s, b, 1.0 - d)) break;
        from = d;
    }
    if (from <= 1.0) {
        r.acc_sets = sets;
        r.min_density = from;
    }
    return r;
}

row_pass_variant choose_row_pass_variant(const row_pass_variants &v, double density) {
    if (v.pairs.acc_sets > 0 && v.pairs_runnable && density >= v.pairs.min_density) return row_pass_variant::pairs;
    if (v.inline_compact && density >= v.inline_min_density) return row_pass_variant::single_inline;
    return row_pass_variant::single;
}

bool choose_row_pass_blocking(const row_pass_shape &s, const row_pass_blocking_hints &h, row_pass_blocking &out) {
    std::vector<row_pass_blocking> cands;
    for (int64_t n_blk = 1; n_blk <= s.dense_blocks; ++n_blk) {
        if (s.dense_blocks % n_blk || s.ring * n_blk > max_acc) continue;
        if (h.n_blk && n_blk != h.n_blk) continue;
        for (int64_t cb = 1; cb <= s.sparse_blocks; ++cb) {
            if (s.sparse_blocks % cb) continue;
            if (h.cb && cb != h.cb) continue;
            const int64_t slice = s.kw * cb * 16 * n_blk * 64;
            if (!h.cb && slice > h.l1_bytes && cb > 1) continue;
            row_pass_blocking b;
            b.n_blk = n_blk;
            b.cb = cb;
            // Two accumulator sets when few FMAs per entry would leave the loop latency-bound
            // and the registers allow it.
            int64_t nx = 0, nt = 0;
            for (size_t t = 0; t < s.targets_hist.size(); ++t) {
                nx += t ? s.targets_hist[t] : 0;
                nt += (int64_t)t * s.targets_hist[t];
            }
            const double targets_per_x = nx ? (double)nt / (double)nx : 0.0;
            b.acc_sets = (targets_per_x * (double)n_blk < 6.0 && s.ring * n_blk * 2 <= max_acc) ? 2 : 1;
            if (h.acc_sets) b.acc_sets = (int)h.acc_sets;
            if (s.ring * n_blk * b.acc_sets > max_acc) continue;
            cands.push_back(b);
        }
    }
    if (cands.empty()) return false;
    const double sparsities[] = {0.5, 0.7, 0.9};
    double best_at[3] = {-1, -1, -1};
    for (const auto &b : cands)
        for (int i = 0; i < 3; ++i) {
            const double e = estimate_row_pass(s, b, sparsities[i]);
            if (best_at[i] < 0 || e < best_at[i]) best_at[i] = e;
        }
    double best_score = -1;
    for (const auto &b : cands) {
        double score = 0;
        for (int i = 0; i < 3; ++i) score += estimate_row_pass(s, b, sparsities[i]) / best_at[i];
        if (best_score < 0 || score < best_score - 1e-3 || (score < best_score + 1e-3 && b.n_blk > out.n_blk)) {
            best_score = score;
            out = b;
        }
    }
    out.cost = estimate_row_pass(s, out, h.sparsity);
    return true;
}

} // namespace sparsetrain
