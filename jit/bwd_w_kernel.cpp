#include "jit/bwd_w_kernel.hpp"

#include <cstddef>
#include <sstream>

#include "jit/zero_skip.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace jit {

using namespace Xbyak;

std::string bwd_w_kernel_params::key() const {
    std::ostringstream os;
    os << "bwd_w_kernel:slot=" << slot_bytes << ",icb=" << icb_stride << "x" << icb_step << ",sets=" << nsets;
    if (indirect) os << ",indirect:scale=" << dd_scale << ",src_icb=" << src_icb_stride;
    os << ",acc=";
    for (size_t i = 0; i < dd_disp.size(); ++i) os << (i ? ";" : "") << dd_disp[i] << "/" << dw_disp[i];
    return os.str();
}

bwd_w_kernel::bwd_w_kernel(const bwd_w_kernel_params &p, const std::string &problem)
    : jit_generator("bwd_w_kernel", p.key(), problem), p_(p) {
    const size_t f = p.dd_disp.size();
    if (f == 0 || f != p.dw_disp.size() || p.nsets < 1 || f * p.nsets > 31)
        throw error("bwd_w_kernel: bad accumulator set");
    if (p.icb_step < 1 || p.slot_bytes > INT32_MAX || p.icb_stride * p.icb_step > INT32_MAX
            || p.src_icb_stride * p.icb_step > INT32_MAX)
        throw error("bwd_w_kernel: strides out of range");
    if (p.indirect && p.dd_scale != 1 && p.dd_scale != 2 && p.dd_scale != 4 && p.dd_scale != 8)
        throw error("bwd_w_kernel: diff_dst scale must be 1, 2, 4 or 8");
}

void bwd_w_kernel::generate() {
    const Reg64 a_ptr = abi_param1;
    const Reg64 vals = r8, offs = r9, cnt = r10, dd = r11, dw = r12, n_icb = r13, lane = r14;
    const Reg64 idx = rax, end = rbx, off = rcx, left = rdx;
    const Zmm bcast(31);
    const int f = (int)p_.dd_disp.size(), s = p_.nsets;
    auto acc = [&](int set, int i) { return Zmm(set * f + i); };

    preamble();
    mov(vals, ptr[a_ptr + offsetof(bwd_w_kernel_args, vals)]);
    mov(offs, ptr[a_ptr + offsetof(bwd_w_kernel_args, offs)]);
    mov(cnt, ptr[a_ptr + offsetof(bwd_w_kernel_args, cnt)]);
    mov(dd, ptr[a_ptr + offsetof(bwd_w_kernel_args, dd)]);
    mov(dw, ptr[a_ptr + offsetof(bwd_w_kernel_args, dw)]);
    mov(n_icb, ptr[a_ptr + offsetof(bwd_w_kernel_args, n_icb)]);

    std::vector<std::vector<fma_target>> sets(s);
    for (int st = 0; st < s; ++st)
        for (int i = 0; i < f; ++i) sets[st].push_back({acc(st, i), p_.dd_disp[i]});
    const list_loop_regs lr {vals, offs, idx, end, dd, off, bcast};

    Label icb_loop, lane_loop, skip;
    L(icb_loop);
    mov(lane, 16);
    L(lane_loop);
    movsxd(end, dword[cnt]);
    test(end, end);
    jz(skip, T_NEAR); // empty list: nothing to add
    mark("zero accumulators");
    for (int i = 0; i < f * s; ++i) vpxord(Zmm(i), Zmm(i), Zmm(i));
    xor_(idx, idx);
    mark("list loop");
    if (p_.indirect) emit_list_loop_indirect(*this, lr, p_.dd_scale, sets, left);
    else emit_list_loop(*this, lr, sets, left);
    mark("flush to diff_w");
    for (int st = 1; st < s; ++st)
        for (int i = 0; i < f; ++i) vaddps(acc(0, i), acc(0, i), acc(st, i));
    for (int i = 0; i < f; ++i) {
        vaddps(acc(0, i), acc(0, i), ptr[dw + p_.dw_disp[i]]);
        vmovups(ptr[dw + p_.dw_disp[i]], acc(0, i));
    }
    L(skip);
    add(vals, p_.indirect ? 4 : (int32_t)p_.slot_bytes);
    add(offs, (int32_t)p_.slot_bytes);
    add(cnt, 4);
    add(dw, 64);
    dec(lane);
    jnz(lane_loop, T_NEAR);
    add(dw, (int32_t)(p_.icb_stride * p_.icb_step - 16 * 64));
    if (p_.indirect) add(vals, (int32_t)(p_.src_icb_stride * p_.icb_step - 16 * 4));
    dec(n_icb);
    jnz(icb_loop, T_NEAR);
    postamble();
}

} // namespace jit
} // namespace sparsetrain
