#include "jit/row_pass_kernel.hpp"

#include <cstddef>
#include <limits>
#include <sstream>

#include "jit/register_map.hpp"
#include "jit/zero_skip.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace jit {

using namespace Xbyak;
using namespace Xbyak::util;

namespace {

using namespace regmap::row_pass; // the registers' roles

int32_t disp32(int64_t v, const char *what) {
    if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
        throw error(std::string("row_pass_kernel: ") + what + " does not fit a 32-bit displacement");
    return (int32_t)v;
}

Zmm bcast(int set) { return Zmm(set ? bcast1_idx : bcast0_idx); }

} // namespace

std::string row_pass_desc::key() const {
    std::ostringstream os;
    os << "row_pass_" << direction << ":blk" << n_blk << "x" << acc_sets << ":dd";
    for (auto v : dense_disp) os << v << ",";
    os << ":ds" << dst_blk_stride << "," << dst_row_stride;
    if (dst_px_stride != 64) os << ",px" << dst_px_stride; // (nChw16c keys unchanged)
    os << ":list" << starts_row_stride << "," << offs_disp;
    if (pair) os << ":pair" << pair_dst_disp << "," << region_disp << "," << vb_disp;
    if (inline_vecs) os << ":inline" << inline_vecs << "," << src_col_stride << "," << src_vec_stride;
    os << ":init" << (int)init << ":relu" << relu << ":" << sched.key();
    return os.str();
}

struct row_pass_kernel::step {
    int x_rel;
    std::vector<int> opens, closes; // y_rel
    std::vector<row_target> targets; // y as y_rel
    bool operator==(const step &o) const {
        return x_rel == o.x_rel && opens == o.opens && closes == o.closes && targets == o.targets;
    }
};

struct row_pass_kernel::iteration {
    std::vector<step> steps;
    bool operator==(const iteration &o) const { return steps == o.steps; }
};

row_pass_kernel::row_pass_kernel(const row_pass_desc &d)
    : jit_kernel("sparse_row_pass_" + d.direction, d, d.problem) {
    if (d_.acc_sets != 1 && d_.acc_sets != 2) throw error("row_pass_kernel: acc_sets must be 1 or 2");
    const int acc_limit = d_.pair ? reg_budget::max_acc_pair : d_.inline_vecs ? reg_budget::max_acc_inline : reg_budget::max_acc;
    if (d_.n_blk < 1 || d_.sched.ring * d_.n_blk * d_.acc_sets * images() > acc_limit)
        throw error("row_pass_kernel: ring x blocks x sets x images exceeds the accumulator registers");
    if (d_.inline_vecs && d_.pair) throw error("row_pass_kernel: inline compaction needs single mode");
    if ((int)d_.dense_disp.size() != d_.n_blk * d_.sched.taps)
        throw error("row_pass_kernel: dense_disp must have n_blk x taps entries");
}

// Iteration k covers the sparse pixels [k*px, (k+1)*px) and has its pointers at output
// k*py; y is written relative to that.
std::vector<row_pass_kernel::iteration> row_pass_kernel::iterations() const {
    const auto &s = d_.sched;
    const int K = (s.X + s.px - 1) / s.px;
    std::vector<iteration> its(K);
    for (int k = 0; k < K; ++k)
        for (int xr = 0; xr < s.px; ++xr) {
            const int x = k * s.px + xr;
            if (x >= s.X) break;
            step st;
            st.x_rel = xr;
            for (int y = 0; y < s.Y; ++y) {
                if (s.first[y] == x) st.opens.push_back(y - k * s.py);
                if (s.last[y] == x) st.closes.push_back(y - k * s.py);
            }
            for (const auto &t : s.targets[x]) st.targets.push_back({t.y - k * s.py, t.tap});
            if (!st.opens.empty() || !st.targets.empty() || !st.closes.empty()) its[k].steps.push_back(st);
        }
    return its;
}

Zmm row_pass_kernel::acc(int y_rel, int j, int img, int set) const {
    const int R = d_.sched.ring;
    const int slot = ((y_rel % R) + R) % R;
    return Zmm(((slot * images() + img) * d_.acc_sets + set) * d_.n_blk + j);
}

void row_pass_kernel::emit_open(int y_rel) {
    mark("open accumulators of output " + std::to_string(y_rel)
            + (d_.init == acc_init::load ? " (partial sums)" : d_.init == acc_init::bias ? " (bias)" : " (zero)"));
    for (int img = 0; img < images(); ++img)
        for (int j = 0; j < d_.n_blk; ++j) {
            const Zmm a = acc(y_rel, j, img);
            switch (d_.init) {
            case acc_init::load:
                vmovups(a, ptr[reg_dst + disp32((int64_t)y_rel * d_.dst_px_stride + j * d_.dst_blk_stride + img * d_.pair_dst_disp, "dst")]);
                break;
            case acc_init::zero: vxorps(a, a, a); break;
            case acc_init::bias: vmovups(a, ptr[reg_bias + j * 64]); break;
            }
            if (d_.acc_sets == 2) vxorps(acc(y_rel, j, img, 1), acc(y_rel, j, img, 1), acc(y_rel, j, img, 1));
        }
}

void row_pass_kernel::emit_close(int y_rel) {
    mark("store output " + std::to_string(y_rel) + (d_.relu ? " (ReLU)" : ""));
    for (int img = 0; img < images(); ++img)
        for (int j = 0; j < d_.n_blk; ++j) {
            const Zmm a = acc(y_rel, j, img);
            if (d_.acc_sets == 2) vaddps(a, a, acc(y_rel, j, img, 1));
            // vmaxps returns its second source when either is NaN: NaN stays NaN.
            if (d_.relu) vmaxps(a, Zmm(zero_idx), a);
            vmovups(ptr[reg_dst + disp32((int64_t)y_rel * d_.dst_px_stride + j * d_.dst_blk_stride + img * d_.pair_dst_disp, "dst")], a);
        }
}

// One compacted entry `disp` bytes after [reg_vals_end + reg_idx*4]: broadcast its value,
// fetch its dense offset, FMAs with memory operands into image img's set `set`.
void row_pass_kernel::emit_list_entry(int32_t disp, int img, int set, const std::vector<row_target> &targets,
        const Opmask &mask) {
    const int32_t od = disp32(d_.offs_disp + disp, "offs_disp");
    const Zmm b = bcast(d_.pair ? img : set);
    vbroadcastss(b, ptr[reg_vals_end + reg_idx * 4 + disp]);
    mov(reg_addr.cvt32(), ptr[reg_vals_end + reg_idx * 4 + od]);
    add(reg_addr, reg_dense);
    for (const auto &t : targets)
        for (int j = 0; j < d_.n_blk; ++j) {
            const Zmm a = acc(t.y, j, img, set);
            const Address w = ptr[reg_addr + d_.dense_disp[j * d_.sched.taps + t.tap]];
            if (mask.getIdx()) vfmadd231ps(a | mask, b, w);
            else vfmadd231ps(a, b, w);
        }
}

// One AB entry: both images' values, one offset; each dense line is loaded once (rotating
// through the line registers) and feeds one register FMA per image.
void row_pass_kernel::emit_pair_entry(int32_t disp, int set, const std::vector<row_target> &targets,
        const Opmask &mask) {
    const Zmm ba = bcast(0), bb = bcast(1);
    vbroadcastss(ba, ptr[reg_vals_end + reg_idx * 4 + disp]);
    vbroadcastss(bb, ptr[reg_vals_end + reg_idx * 4 + disp32(d_.vb_disp + disp, "vb_disp")]);
    mov(reg_addr.cvt32(), ptr[reg_vals_end + reg_idx * 4 + disp32(d_.offs_disp + disp, "offs_disp")]);
    add(reg_addr, reg_dense);
    int n = 0;
    for (const auto &t : targets)
        for (int j = 0; j < d_.n_blk; ++j, ++n) {
            const Zmm line(line_idx + n % n_line_regs);
            vmovups(line, ptr[reg_addr + d_.dense_disp[j * d_.sched.taps + t.tap]]);
            if (mask.getIdx()) {
                vfmadd231ps(acc(t.y, j, 0, set) | mask, ba, line);
                vfmadd231ps(acc(t.y, j, 1, set) | mask, bb, line);
            } else {
                vfmadd231ps(acc(t.y, j, 0, set), ba, line);
                vfmadd231ps(acc(t.y, j, 1, set), bb, line);
            }
        }
}

// One compacted list of sparse pixel x: list 0 in single mode; in pair mode list 0 (AB),
// 1 (A) or 2 (B). Entries [start, end) run with a negative index that counts up to zero, so
// that the loop branch is a fused inc/jnz; values are addressed from a base biased to the
// list end. The loop exit is the one data-dependent branch; it resolves as soon as the index
// is known, ahead of the FMAs it follows, so most of its mispredict is hidden behind them.
void row_pass_kernel::emit_list(int x_rel, int list, const std::vector<row_target> &targets) {
    const int n_lists = d_.pair ? 3 : 1;
    const int32_t s0 = (x_rel * n_lists + list) * 4;
    auto entry = [&](int32_t disp, int set, const Opmask &mask = Opmask(0)) {
        if (d_.pair && list == 0) emit_pair_entry(disp, set, targets, mask);
        else emit_list_entry(disp, d_.pair ? list - 1 : 0, set, targets, mask);
    };
    Label skip;
    if (d_.inline_vecs) {
        // The list that emit_inline_compaction just wrote: entries [0, rdx).
        emit_inline_compaction(x_rel);
        mov(reg_idx, reg_end);
        neg(reg_idx);
    } else {
        mov(reg_idx.cvt32(), ptr[reg_ptr + s0]);
        mov(reg_end.cvt32(), ptr[reg_ptr + s0 + 4 * n_lists]);
        sub(reg_idx, reg_end);
    }
    jz(skip, T_NEAR);
    lea(reg_vals_end, ptr[reg_vals + reg_end * 4 + disp32(list * d_.region_disp, "region_disp")]);
    const std::string what = !d_.pair ? "list loop" : list == 0 ? "pair list loop" : list == 1 ? "list loop a" : "list loop b";
    // Two sets: pairs of entries, one per set (an odd count's first entry runs merge-masked).
    list_loop_control c;
    c.counter = list_counter::up_to_zero;
    c.unroll = d_.acc_sets;
    c.idx = reg_idx;
    c.tmp = reg_addr;
    c.leftover = k_odd;
    c.mark = d_.acc_sets == 2 ? what + " x2" : what;
    emit_list_loop_control(*this, c, [&](int i, const Opmask &mask) { entry(4 * i, i, mask); });
    L(skip);
}

// Compacts pixel x's vectors into the list at reg_vals (offsets at rbp); rdx = the count.
void row_pass_kernel::emit_inline_compaction(int x_rel) {
    const Zmm v(inline_v_idx), tmp(inline_tmp_idx), table(inline_table_idx);
    const compact_regs cr {Zmm(zero_idx), tmp, k_inline, reg_vals, reg_inline_offs, reg_end, reg_addr};
    mark("inline compaction");
    xor_(reg_end.cvt32(), reg_end.cvt32());
    for (int b = 0; b < d_.inline_vecs; ++b) {
        vmovups(v, ptr[reg_ptr + disp32(x_rel * d_.src_col_stride + b * d_.src_vec_stride, "src stride")]);
        mov(reg_addr, ptr[reg_args + offsetof(row_pass_args, lane_offsets)]);
        vmovdqa32(table, ptr[reg_addr + b * 64]);
        emit_compact_vector(*this, cr, v, table);
    }
}

void row_pass_kernel::emit_iteration(const iteration &it) {
    for (const auto &st : it.steps) {
        for (int y : st.opens) emit_open(y);
        if (!st.targets.empty())
            for (int l = 0; l < (d_.pair ? 3 : 1); ++l) emit_list(st.x_rel, l, st.targets);
        for (int y : st.closes) emit_close(y);
    }
}

void row_pass_kernel::generate() {
    const auto &s = d_.sched;
    preamble();
    using A = row_pass_args;
    load_args(reg_args, {{reg_ptr_row, offsetof(A, starts)}, {reg_vals, offsetof(A, vals)},
            {reg_dense, offsetof(A, dense)}, {reg_dst_row, offsetof(A, dst)}, {reg_bias, offsetof(A, bias)},
            {reg_rows, offsetof(A, n_rows)}});
    vxorps(Zmm(zero_idx), Zmm(zero_idx), Zmm(zero_idx));

    if (d_.inline_vecs) lea(reg_inline_offs, ptr[reg_vals + disp32(d_.offs_disp, "offs_disp")]);

    const auto its = iterations();
    const int32_t ptr_step = d_.inline_vecs ? disp32(s.px * d_.src_col_stride, "src stride") : s.px * 4 * (d_.pair ? 3 : 1);
    const int32_t dst_step = disp32(s.py * d_.dst_px_stride, "dst_px_stride");

    Label row_loop;
    L(row_loop);
    mark("row");
    mov(reg_ptr, reg_ptr_row);
    mov(reg_dst, reg_dst_row);
    bool middle_seen = false;
    for (size_t k = 0; k < its.size();) {
        size_t n = 1;
        while (k + n < its.size() && its[k + n] == its[k]) ++n;
        if (n == 1) {
            mark(middle_seen ? "right edge" : "left edge");
            emit_iteration(its[k]);
            add(reg_ptr, ptr_step);
            add(reg_dst, dst_step);
        } else {
            Label loop;
            mov(reg_iter, (int64_t)n);
            mark("periodic middle");
            middle_seen = true;
            L(loop);
            emit_iteration(its[k]);
            add(reg_ptr, ptr_step);
            add(reg_dst, dst_step);
            dec(reg_iter);
            jnz(loop, T_NEAR);
        }
        k += n;
    }
    // Outputs that no sparse pixel of the row feeds (possible only with wide padding or
    // strided backward data): the first pass still has to write them.
    if (d_.init != acc_init::load) {
        const int y0 = (int)its.size() * s.py;
        for (int y = 0; y < s.Y; ++y)
            if (s.first[y] < 0) {
                emit_open(y - y0);
                emit_close(y - y0);
            }
    }
    add(reg_ptr_row, disp32(d_.starts_row_stride, "starts_row_stride"));
    add(reg_dst_row, disp32(d_.dst_row_stride, "dst_row_stride"));
    dec(reg_rows);
    jnz(row_loop, T_NEAR);
    postamble();
}

} // namespace jit
} // namespace sparsetrain
