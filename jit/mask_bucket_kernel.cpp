#include "jit/mask_bucket_kernel.hpp"

#include <array>
#include <cstddef>
#include <functional>

#include "jit/kernel_cache.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace jit {

using namespace Xbyak;

namespace {
std::string key_of(int n_classes) { return "mask_bucket:c" + std::to_string(n_classes); }
} // namespace

mask_bucket_kernel::mask_bucket_kernel(int n_classes)
    : jit_generator("sparse_mask_bucket", key_of(n_classes)), n_classes_(n_classes) {
    if (n_classes < 1 || n_classes > 16) throw error("mask_bucket_kernel: 1..16 tap classes");
}

std::shared_ptr<const mask_bucket_kernel> mask_bucket_kernel::get(int n_classes) {
    return kernel_cache::instance().get_created<mask_bucket_kernel>(key_of(n_classes), n_classes);
}

void mask_bucket_kernel::generate() {
    // rdi args, rsi pixel table, rdx pixels left, r8 src, r9 masks, r10 records, r11 counts,
    // r12 cursor, r13 pixel index, rax / rcx / rbx scratch; zmm0 0.0f, zmm1 lane offsets
    // (int32), zmm2 / zmm3 scratch, xmm4 the pixel entry; k1 the item's mask.
    const Reg64 args = rdi, pix = rsi, left = rdx, src = r8, masks = r9, recs = r10, counts = r11, cursor = r12;
    const Reg64 idx = r13, b = rax, t = rcx, t2 = rbx;
    const Zmm zero(0), lanes(1), tmp(2);
    const Xmm entry(4);
    const int nb = n_buckets();
    Label lane_table;

    preamble();
    using A = mask_bucket_args;
    load_args(args, {{src, offsetof(A, src)}, {masks, offsetof(A, masks)}, {recs, offsetof(A, records)},
            {counts, offsetof(A, counts)}, {cursor, offsetof(A, cursor)}});
    vxorps(zero, zero, zero);
    vmovdqu32(lanes, ptr[rip + lane_table]);
    xor_(t.cvt32(), t.cvt32());
    for (int i = 0; i < nb; ++i) mov(dword[counts + 4 * i], t.cvt32());

    // The bucket of the pixel at `pix` whose mask is in k1: class * 17 + (ntaps ? popcnt : 0).
    auto bucket_of = [&] {
        kmovw(b.cvt32(), k1);
        popcnt(b.cvt32(), b.cvt32());
        mov(t.cvt32(), dword[pix + 12]);
        xor_(t2.cvt32(), t2.cvt32());
        test(t.cvt32(), 0xffff);
        cmovz(b.cvt32(), t2.cvt32()); // no tap reaches the pixel: count 0
        shr(t.cvt32(), 16);
        imul(t.cvt32(), t.cvt32(), mask_counts);
        add(b.cvt32(), t.cvt32());
    };
    auto pixel_loop = [&](const char *what, const std::function<void()> &body) {
        Label loop;
        mov(pix, ptr[args + offsetof(mask_bucket_args, pix)]);
        mov(left, ptr[args + offsetof(mask_bucket_args, n_pix)]);
        xor_(idx.cvt32(), idx.cvt32());
        mark(what);
        L(loop);
        body();
        add(pix, 16);
        inc(idx);
        dec(left);
        jnz(loop, T_NEAR);
    };

    pixel_loop("pass 1: masks and counts", [&] {
        movsxd(t, dword[pix]);
        vcmpps(k1, zero, ptr[src + t], 1); // 0 < src
        kmovw(word[masks + idx * 2], k1);
        bucket_of();
        inc(dword[counts + b * 4]);
    });

    mark("bucket starts");
    xor_(t.cvt32(), t.cvt32());
    mov(t2, ptr[args + offsetof(mask_bucket_args, starts)]);
    for (int i = 0; i < nb; ++i) {
        mov(dword[t2 + 4 * i], t.cvt32());
        mov(dword[cursor + 4 * i], t.cvt32());
        add(t.cvt32(), dword[counts + 4 * i]);
    }

    pixel_loop("pass 2: records", [&] {
        kmovw(k1, word[masks + idx * 2]);
        bucket_of();
        movsxd(t, dword[cursor + b * 4]);
        inc(dword[cursor + b * 4]);
        shl(t, 6);
        add(t, recs);
        vmovdqu(entry, ptr[pix]);
        vmovdqu(ptr[t], entry);
        kmovw(word[t + 16], k1);
        vpcompressd(tmp | k1 | T_z, lanes);
        vpmovdw(ptr[t + mask_record_offsets], tmp);
    });
    postamble();

    align(64);
    mark_data("lane offsets");
    L(lane_table);
    for (int l = 0; l < 16; ++l) dd(64 * l);
}

} // namespace jit
} // namespace sparsetrain
