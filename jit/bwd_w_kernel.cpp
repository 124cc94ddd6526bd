#include "jit/bwd_w_kernel.hpp"

#include <cstddef>
#include <sstream>

#include "jit/register_map.hpp"
#include "jit/zero_skip.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace jit {

using namespace Xbyak;

std::string bwd_w_kernel_params::key() const {
    std::ostringstream os;
    os << "bwd_w_kernel:slot=" << slot_bytes << ",icb=" << icb_stride << "x" << icb_step << ",sets=" << nsets;
    if (indirect) os << ",indirect:scale=" << dd_scale << ",src_icb=" << src_icb_stride;
    if (indirect && src_scale != 1) os << ",src_scale=" << src_scale; // (nChw16c keys unchanged)
    if (pairs) os << ",pairs@" << pair_disp << ":step=" << pair_step;
    os << ",acc=";
    for (size_t i = 0; i < dd_disp.size(); ++i) os << (i ? ";" : "") << dd_disp[i] << "/" << dw_disp[i];
    return os.str();
}

bwd_w_kernel::bwd_w_kernel(const bwd_w_kernel_params &p, const std::string &problem)
    : jit_kernel("bwd_w_kernel", p, problem) {
    const size_t f = p.dd_disp.size();
    if (f == 0 || f != p.dw_disp.size() || p.nsets < 1 || f * p.nsets > reg_budget::max_acc_bwd_w_single)
        throw error("bwd_w_kernel: bad accumulator set");
    if (p.icb_step < 1 || p.slot_bytes > INT32_MAX || p.icb_stride * p.icb_step > INT32_MAX
            || p.src_icb_stride * p.icb_step > INT32_MAX)
        throw error("bwd_w_kernel: strides out of range");
    auto scale_ok = [](int s) { return s == 1 || s == 2 || s == 4 || s == 8; };
    if (p.indirect && (!scale_ok(p.dd_scale) || !scale_ok(p.src_scale)))
        throw error("bwd_w_kernel: diff_dst and src scales must be 1, 2, 4 or 8");
    if (p.pairs && (p.indirect || f * p.nsets > reg_budget::max_acc || p.pair_disp <= 0 || p.slot_bytes * 16 + p.pair_disp > INT32_MAX
                || p.pair_step <= 0 || p.pair_step > INT32_MAX / 2))
        throw error("bwd_w_kernel: bad pair mode");
}

void bwd_w_kernel::generate() {
    // The registers' roles (jit/register_map.hpp); using-declarations, so that dd / dw hide
    // the generator's data directives of the same names.
    using regmap::bwd_w::vals, regmap::bwd_w::offs, regmap::bwd_w::cnt, regmap::bwd_w::dd, regmap::bwd_w::dw;
    using regmap::bwd_w::n_icb, regmap::bwd_w::lane, regmap::bwd_w::idx, regmap::bwd_w::end, regmap::bwd_w::off;
    using regmap::bwd_w::left, regmap::bwd_w::pcnt, regmap::bwd_w::pf;
    using regmap::bwd_w::bcast_idx, regmap::bwd_w::pair_bcast_idx, regmap::bwd_w::pair_line0_idx, regmap::bwd_w::pair_line1_idx;
    const Reg64 a_ptr = abi_param1; // kept: the prefetch arguments are read per channel
    const Zmm bcast(bcast_idx);
    const int f = (int)d_.dd_disp.size(), s = d_.nsets;
    auto acc = [&](int set, int i) { return Zmm(set * f + i); };

    preamble();
    sub(rsp, 8); // [rsp]: prefetch table cursor
    using A = bwd_w_kernel_args;
    load_args(a_ptr, {{vals, offsetof(A, vals)}, {offs, offsetof(A, offs)}, {cnt, offsetof(A, cnt)},
            {dd, offsetof(A, dd)}, {dw, offsetof(A, dw)}, {n_icb, offsetof(A, n_icb)}});
    if (d_.pairs) mov(pcnt, ptr[a_ptr + offsetof(bwd_w_kernel_args, pcnt)]);
    mov(pf, ptr[a_ptr + offsetof(bwd_w_kernel_args, pf)]);

    std::vector<std::vector<fma_target>> sets(s);
    for (int st = 0; st < s; ++st)
        for (int i = 0; i < f; ++i) sets[st].push_back({acc(st, i), d_.dd_disp[i]});
    const list_loop_regs lr {vals, offs, idx, end, dd, off, bcast};

    Label icb_loop, lane_loop, skip;
    L(icb_loop);
    mov(left, ptr[a_ptr + offsetof(bwd_w_kernel_args, pf_offs)]);
    mov(ptr[rsp], left); // the prefetch table restarts for every channel block
    mov(lane, 16);
    L(lane_loop);
    {
        // rcx, rdx, rbx are free until the lists start.
        mark("prefetch a share of the next tile's src");
        Label pf_loop, pf_done;
        mov(off, ptr[a_ptr + offsetof(bwd_w_kernel_args, pf_lines)]);
        test(off, off);
        jz(pf_done);
        mov(left, ptr[rsp]);
        L(pf_loop);
        movsxd(end, dword[left]);
        prefetcht1(ptr[pf + end]);
        add(left, 4);
        dec(off);
        jnz(pf_loop);
        mov(ptr[rsp], left);
        L(pf_done);
    }
    movsxd(end, dword[cnt]);
    if (d_.pairs) {
        mov(left.cvt32(), dword[pcnt]);
        or_(left.cvt32(), end.cvt32());
    } else {
        test(end, end);
    }
    jz(skip, T_NEAR); // empty lists: nothing to add
    mark("zero accumulators");
    for (int i = 0; i < f * s; ++i) vpxord(Zmm(i), Zmm(i), Zmm(i));
    xor_(idx, idx);
    mark("list loop");
    if (d_.indirect) emit_list_loop_indirect(*this, lr, d_.dd_scale, sets, left, d_.src_scale);
    else emit_list_loop(*this, lr, sets, left);
    if (d_.pairs) {
        mark("pair list loop");
        xor_(idx, idx);
        movsxd(end, dword[pcnt]);
        const pair_loop_regs pr {vals, offs, idx, end, dd, off, bcast, Zmm(pair_bcast_idx), Zmm(pair_line0_idx), Zmm(pair_line1_idx)};
        emit_pair_list_loop(*this, pr, (int32_t)d_.pair_step, sets[0], (int32_t)d_.pair_disp);
    }
    mark("flush to diff_w");
    for (int st = 1; st < s; ++st)
        for (int i = 0; i < f; ++i) vaddps(acc(0, i), acc(0, i), acc(st, i));
    for (int i = 0; i < f; ++i) {
        vaddps(acc(0, i), acc(0, i), ptr[dw + d_.dw_disp[i]]);
        vmovups(ptr[dw + d_.dw_disp[i]], acc(0, i));
    }
    L(skip);
    add(vals, d_.indirect ? 4 : (int32_t)d_.slot_bytes);
    add(offs, (int32_t)d_.slot_bytes);
    add(cnt, 4);
    if (d_.pairs) add(pcnt, 4);
    add(dw, 64);
    dec(lane);
    jnz(lane_loop, T_NEAR);
    add(dw, (int32_t)(d_.icb_stride * d_.icb_step - 16 * 64));
    if (d_.indirect) add(vals, (int32_t)(d_.src_icb_stride * d_.icb_step - 16 * 4));
    add(pf, ptr[a_ptr + offsetof(bwd_w_kernel_args, pf_icb_stride)]);
    dec(n_icb);
    jnz(icb_loop, T_NEAR);
    add(rsp, 8);
    postamble();
}

} // namespace jit
} // namespace sparsetrain
