#include "jit/bwd_w_list_builder.hpp"

#include <cstddef>
#include <sstream>

#include "jit/register_map.hpp"
#include "jit/zero_skip.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace jit {

using namespace Xbyak;

std::string bwd_w_build_params::key() const {
    std::ostringstream os;
    os << "bwd_w_list_builder:row=" << src_row_step << ",col=" << src_col_step << ",slot=" << slot_bytes
       << ",off=" << off_row << "/" << off_col << ",pf=" << prefetch_dist << (offsets_only ? ",offsets_only" : "");
    if (pairs) os << ",pairs@" << pair_disp;
    return os.str();
}

bwd_w_list_builder::bwd_w_list_builder(const bwd_w_build_params &p, const std::string &problem)
    : jit_kernel("bwd_w_list_builder", p, problem) {
    if (p.src_col_step * 15 + p.prefetch_dist > INT32_MAX || p.slot_bytes * 15 > INT32_MAX || p.off_col * 16 > INT32_MAX)
        throw error("bwd_w_list_builder: strides out of 32-bit range");
    if (p.pairs && (p.offsets_only || p.pair_disp <= 0 || p.slot_bytes * 15 + p.pair_disp > INT32_MAX))
        throw error("bwd_w_list_builder: bad pair list layout");
}

// 16x16 transpose of 32-bit lanes in four shuffle stages, in place with one spare register
// (each pair op writes its first result to the spare and its second over an input; the
// freed input becomes the next spare). reg[p] holds pixel p (lane c = channel c) on entry and
// channel c (lane p = pixel p) on exit.
void bwd_w_list_builder::transpose16x16(int reg[16], int &spare) {
    auto pair = [&](int &x, int &y, auto lo, auto hi) {
        const int t = spare;
        lo(Zmm(t), Zmm(x), Zmm(y));
        hi(Zmm(y), Zmm(x), Zmm(y));
        spare = x;
        x = t;
    };
    auto ups_lo = [&](const Zmm &d, const Zmm &a, const Zmm &b) { vunpcklps(d, a, b); };
    auto ups_hi = [&](const Zmm &d, const Zmm &a, const Zmm &b) { vunpckhps(d, a, b); };
    auto upd_lo = [&](const Zmm &d, const Zmm &a, const Zmm &b) { vunpcklpd(d, a, b); };
    auto upd_hi = [&](const Zmm &d, const Zmm &a, const Zmm &b) { vunpckhpd(d, a, b); };
    auto shuf = [&](int imm) {
        return [this, imm](const Zmm &d, const Zmm &a, const Zmm &b) { vshuff32x4(d, a, b, imm); };
    };

    // Stage 1: pixels (2m, 2m+1) -> A_m (channels 4q, 4q+1) and B_m (4q+2, 4q+3), per 128-bit lane q.
    int A[8], B[8];
    for (int m = 0; m < 8; ++m) {
        int x = reg[2 * m], y = reg[2 * m + 1];
        pair(x, y, ups_lo, ups_hi);
        A[m] = x;
        B[m] = y;
    }
    // Stage 2: S[P][e] holds, in 128-bit lane q, channel 4q + e of pixels 4P .. 4P+3.
    int S[4][4];
    for (int P = 0; P < 4; ++P) {
        int x = A[2 * P], y = A[2 * P + 1];
        pair(x, y, upd_lo, upd_hi);
        S[P][0] = x;
        S[P][1] = y;
        x = B[2 * P];
        y = B[2 * P + 1];
        pair(x, y, upd_lo, upd_hi);
        S[P][2] = x;
        S[P][3] = y;
    }
    // Stages 3-4: for each e, a 4x4 transpose of 128-bit blocks across S[0..3][e].
    for (int e = 0; e < 4; ++e) {
        int u0 = S[0][e], u1 = S[1][e], u2 = S[2][e], u3 = S[3][e];
        pair(u0, u1, shuf(0x44), shuf(0xEE)); // u0 = [S0.0 S0.1 S1.0 S1.1], u1 = [S0.2 S0.3 S1.2 S1.3]
        pair(u2, u3, shuf(0x44), shuf(0xEE));
        pair(u0, u2, shuf(0x88), shuf(0xDD)); // u0 = blocks 0 of S0..S3 (q = 0), u2: q = 1
        pair(u1, u3, shuf(0x88), shuf(0xDD)); // u1: q = 2, u3: q = 3
        reg[0 * 4 + e] = u0;
        reg[1 * 4 + e] = u2;
        reg[2 * 4 + e] = u1;
        reg[3 * 4 + e] = u3;
    }
}

// The registers' roles: jit/register_map.hpp (using-declarations: they hide any generator
// member of the same name).
void bwd_w_list_builder::generate() {
    using regmap::bwd_w_builder::row_src, regmap::bwd_w_builder::vals, regmap::bwd_w_builder::offs;
    using regmap::bwd_w_builder::cnt, regmap::bwd_w_builder::rows, regmap::bwd_w_builder::cols;
    using regmap::bwd_w_builder::row_off, regmap::bwd_w_builder::pix_src, regmap::bwd_w_builder::j;
    using regmap::bwd_w_builder::scratch, regmap::bwd_w_builder::pix_off, regmap::bwd_w_builder::pcnt;
    using regmap::bwd_w_builder::zero, regmap::bwd_w_builder::offsets, regmap::bwd_w_builder::lane_off;
    const Reg64 a_ptr = abi_param1;

    Label iota, pixel_bits, done, row_loop, block_loop;
    preamble();
    if (d_.offsets_only) sub(rsp, 64); // 16 mask words
    using A = bwd_w_build_args;
    load_args(a_ptr, {{row_src, offsetof(A, src)}, {vals, offsetof(A, vals)}, {offs, offsetof(A, offs)},
            {cnt, offsetof(A, cnt)}, {rows, offsetof(A, rows)}, {cols, offsetof(A, cols)}});
    if (d_.pairs) mov(pcnt, ptr[a_ptr + offsetof(bwd_w_build_args, pcnt)]);

    vpxord(zero, zero, zero);
    vmovdqu32(ptr[cnt], zero); // 16 counts = 0
    if (d_.pairs) vmovdqu32(ptr[pcnt], zero);
    test(rows, rows);
    jle(done, T_NEAR);
    test(cols, cols);
    jle(done, T_NEAR);
    mov(scratch.cvt32(), (uint32_t)d_.off_col);
    vpbroadcastd(lane_off, scratch.cvt32());
    vpmulld(lane_off, lane_off, ptr[rip + iota]); // lane p: p * off_col
    xor_(row_off, row_off);

    mark("row loop");
    L(row_loop);
    mov(pix_src, row_src);
    mov(pix_off, row_off);
    xor_(j, j);
    L(block_loop);
    emit_load_pixels();
    vpbroadcastd(offsets, pix_off.cvt32());
    vpaddd(offsets, offsets, lane_off);
    emit_compact_pixels(pixel_bits);
    add(pix_src, (int32_t)(16 * d_.src_col_step));
    add(pix_off, (int32_t)(16 * d_.off_col));
    add(j, 16);
    cmp(j, cols);
    jl(block_loop, T_NEAR);

    mov(scratch, d_.src_row_step);
    add(row_src, scratch);
    mov(scratch, d_.off_row);
    add(row_off, scratch);
    dec(rows);
    jnz(row_loop, T_NEAR);

    L(done);
    if (d_.offsets_only) add(rsp, 64);
    postamble();

    mark_data("constants: lane iota, pixel bits");
    align(64);
    L(iota);
    for (int q = 0; q < 16; ++q) dd(q);
    L(pixel_bits);
    for (int q = 0; q < 16; ++q) dd(1u << q);
}

void bwd_w_list_builder::emit_load_pixels() {
    using regmap::bwd_w_builder::left, regmap::bwd_w_builder::cols, regmap::bwd_w_builder::j;
    using regmap::bwd_w_builder::pix_src;
    Label tail, have;
    mov(left, cols);
    sub(left, j);
    cmp(left, 16);
    jl(tail, T_NEAR);
    mark("load 16 pixels");
    for (int q = 0; q < 16; ++q) {
        vmovups(Zmm(q), ptr[pix_src + (int32_t)(q * d_.src_col_step)]);
        if (d_.prefetch_dist) prefetcht1(ptr[pix_src + (int32_t)(q * d_.src_col_step + d_.prefetch_dist)]);
    }
    jmp(have, T_NEAR);
    L(tail); // 1..15 pixels left: the others are zero vectors
    for (int q = 1; q < 16; ++q) vpxord(Zmm(q), Zmm(q), Zmm(q));
    vmovups(Zmm(0), ptr[pix_src]);
    if (d_.prefetch_dist) prefetcht1(ptr[pix_src + (int32_t)d_.prefetch_dist]);
    for (int q = 1; q < 15; ++q) {
        cmp(left, q);
        jle(have, T_NEAR);
        vmovups(Zmm(q), ptr[pix_src + (int32_t)(q * d_.src_col_step)]);
        if (d_.prefetch_dist) prefetcht1(ptr[pix_src + (int32_t)(q * d_.src_col_step + d_.prefetch_dist)]);
    }
    L(have);
}

void bwd_w_list_builder::emit_compact_pixels(Label &pixel_bits) {
    using regmap::bwd_w_builder::vals, regmap::bwd_w_builder::offs, regmap::bwd_w_builder::cnt;
    using regmap::bwd_w_builder::pcnt, regmap::bwd_w_builder::left, regmap::bwd_w_builder::count;
    using regmap::bwd_w_builder::scratch, regmap::bwd_w_builder::k, regmap::bwd_w_builder::k_chan;
    using regmap::bwd_w_builder::zero, regmap::bwd_w_builder::offsets, regmap::bwd_w_builder::tmp;
    using regmap::bwd_w_builder::chan_bits;
    if (d_.offsets_only) {
        // Lane c of `chan_bits` collects bit q for every pixel q where channel c is non-zero:
        // one masked OR per pixel, then one 64-byte store; channel c's mask is reloaded with
        // kmovw from inside that store (a contained load, so it is forwarded).
        mark("bit-transpose 16 masks");
        vpxord(chan_bits, chan_bits, chan_bits);
        for (int q = 0; q < 16; ++q) {
            vcmpps(k, Zmm(q), zero, 4); // NEQ_UQ, as in emit_compact_vector
            vpord(chan_bits | k, chan_bits, ptr_b[rip + pixel_bits + 4 * q]);
        }
        vmovdqu32(ptr[rsp], chan_bits);
        mark("compact 16 channels (offsets)");
        const compact_offsets_regs cr {tmp, offs, count, scratch};
        for (int c = 0; c < 16; ++c) {
            kmovw(k_chan, ptr[rsp + 4 * c]);
            mov(count.cvt32(), ptr[cnt + 4 * c]);
            emit_compact_offsets(*this, cr, k_chan, offsets, (int32_t)(c * d_.slot_bytes));
            mov(ptr[cnt + 4 * c], count.cvt32());
        }
        return;
    }
    mark("transpose 16x16");
    int reg[16], spare = 16;
    for (int q = 0; q < 16; ++q) reg[q] = q;
    transpose16x16(reg, spare);
    const compact_regs cr {zero, tmp, k, vals, offs, count, scratch};
    if (!d_.pairs) {
        mark("compact 16 channels");
        for (int c = 0; c < 16; ++c) {
            mov(count.cvt32(), ptr[cnt + 4 * c]);
            emit_compact_vector(*this, cr, Zmm(reg[c]), offsets, (int32_t)(c * d_.slot_bytes));
            mov(ptr[cnt + 4 * c], count.cvt32());
        }
        return;
    }
    // rax (`left`, reloaded per block) and rsi are free here.
    using regmap::bwd_w_builder::k_single, regmap::bwd_w_builder::k_first, regmap::bwd_w_builder::k_both;
    mark("pair and compact 16 channels");
    const Reg32 m = left.cvt32(), first = regmap::bwd_w_builder::pair_first, t = scratch.cvt32();
    for (int c = 0; c < 16; ++c) {
        const int32_t disp = (int32_t)(c * d_.slot_bytes);
        vcmpps(k, Zmm(reg[c]), zero, 4); // NEQ_UQ, as in emit_compact_vector
        kmovw(m, k);
        emit_pair_masks(*this, m, first, t); // t = both lanes of the pairs
        kmovw(k_single, m);
        kmovw(k_first, first);
        kmovw(k_both, t);
        mov(count.cvt32(), ptr[cnt + 4 * c]);
        emit_compact_selected(*this, cr, k_single, Zmm(reg[c]), offsets, disp);
        mov(ptr[cnt + 4 * c], count.cvt32());
        mov(count.cvt32(), ptr[pcnt + 4 * c]);
        emit_compact_pairs(*this, cr, k_first, k_both, Zmm(reg[c]), offsets, disp + (int32_t)d_.pair_disp);
        mov(ptr[pcnt + 4 * c], count.cvt32());
    }
}

} // namespace jit
} // namespace sparsetrain
