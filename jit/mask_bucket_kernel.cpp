#include "jit/mask_bucket_kernel.hpp"

#include <cstddef>

#include "jit/kernel_cache.hpp"

namespace sparsetrain {
namespace jit {

using namespace Xbyak;

mask_bucket_kernel::mask_bucket_kernel(const std::string &problem)
    : jit_generator("sparse_mask_bucket", "mask_bucket:17", problem) {}

std::shared_ptr<const mask_bucket_kernel> mask_bucket_kernel::get() {
    return kernel_cache::instance().get<mask_bucket_kernel>("mask_bucket:17", [] {
        auto k = std::make_shared<mask_bucket_kernel>();
        k->create();
        return k;
    });
}

void mask_bucket_kernel::generate() {
    const Reg64 args = rdi, pix = rsi, p = rdx, left = r8, src = r9, items = r10, cap = r11, counts = r12;
    const Reg64 n = rax, t = rcx, t2 = rbx;
    const Zmm zero(0);
    preamble();
    mov(pix, ptr[args + offsetof(mask_bucket_args, pix)]);
    mov(p, ptr[args + offsetof(mask_bucket_args, p0)]);
    mov(left, ptr[args + offsetof(mask_bucket_args, n_pix)]);
    mov(src, ptr[args + offsetof(mask_bucket_args, src)]);
    mov(items, ptr[args + offsetof(mask_bucket_args, items)]);
    mov(cap, ptr[args + offsetof(mask_bucket_args, cap)]);
    shl(cap, 2);
    mov(counts, ptr[args + offsetof(mask_bucket_args, counts)]);
    vxorps(zero, zero, zero);
    Label loop, done;
    test(left, left);
    jle(done, T_NEAR);
    L(loop);
    mark("count lanes > 0, append to the count's bucket");
    movsxd(t, dword[pix]);
    vcmpps(k1, zero, ptr[src + t], 1); // 0 < src
    kmovw(n.cvt32(), k1);
    popcnt(n.cvt32(), n.cvt32());
    xor_(t.cvt32(), t.cvt32());
    cmp(dword[pix + 12], 0);
    cmove(n.cvt32(), t.cvt32()); // no tap reaches the pixel: bucket 0
    movsxd(t, dword[counts + n * 4]);
    mov(t2, cap);
    imul(t2, n);
    add(t2, items);
    mov(dword[t2 + t * 4], p.cvt32());
    inc(t.cvt32());
    mov(dword[counts + n * 4], t.cvt32());
    add(pix, 16);
    inc(p);
    dec(left);
    jnz(loop, T_NEAR);
    L(done);
    postamble();
}

} // namespace jit
} // namespace sparsetrain
