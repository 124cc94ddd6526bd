#include "jit/row_compact_kernel.hpp"

#include <cstddef>
#include <limits>
#include <sstream>

#include "jit/kernel_cache.hpp"
#include "jit/zero_skip.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace jit {

using namespace Xbyak;

namespace {
const int max_table_regs = 24; // zmm0..23

int32_t disp32(int64_t v, const char *what) {
    if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
        throw error(std::string("row_compact_kernel: ") + what + " does not fit a 32-bit displacement");
    return (int32_t)v;
}
} // namespace

std::string row_compact_desc::key() const {
    std::ostringstream os;
    os << "row_compact:v" << n_vec << ":c" << cols << ":vs" << vec_stride << ":cs" << col_stride
       << ":rs" << row_stride << ":od" << offs_disp;
    if (pair) os << ":pair" << pair_stride << "," << vals1_disp << "," << region_disp << "," << starts_disp;
    return os.str();
}

row_compact_kernel::row_compact_kernel(const row_compact_desc &d)
    : jit_generator("sparse_row_compact", d.key()), d_(d) {
    if (d_.n_vec < 1 || d_.cols < 1) throw error("row_compact_kernel: empty chunk or row");
}

std::shared_ptr<const row_compact_kernel> row_compact_kernel::get(const row_compact_desc &d) {
    return kernel_cache::instance().get<row_compact_kernel>(d.key(), [&] {
        auto k = std::make_shared<row_compact_kernel>(d);
        k->create();
        return k;
    });
}

void row_compact_kernel::generate() {
    const Reg64 reg_args = rdi, reg_row = r8, reg_pix = r9, reg_vals = r10, reg_offs = r11;
    const Reg64 reg_count = r12, reg_starts = r13, reg_rows = r14, reg_cols = r15, reg_tmp = rax;
    const Reg64 reg_count_a = rbx, reg_count_b = rbp, reg_table = rsi;
    const Zmm zero(31), tmp(30), v(29), vb(28), table_tmp(27);
    const bool table_in_regs = d_.n_vec <= max_table_regs;
    const bool pair = d_.pair;
    const int32_t od = disp32(d_.offs_disp, "offs_disp");

    preamble();
    mov(reg_row, ptr[reg_args + offsetof(row_compact_args, src)]);
    mov(reg_vals, ptr[reg_args + offsetof(row_compact_args, vals)]);
    lea(reg_offs, ptr[reg_vals + od]);
    mov(reg_starts, ptr[reg_args + offsetof(row_compact_args, starts)]);
    mov(reg_table, ptr[reg_args + offsetof(row_compact_args, offs_table)]);
    mov(reg_rows, ptr[reg_args + offsetof(row_compact_args, n_rows)]);
    mov(reg_count, ptr[reg_args + offsetof(row_compact_args, count)]);
    if (pair) {
        mov(reg_count_a, ptr[reg_args + offsetof(row_compact_args, count) + 8]);
        mov(reg_count_b, ptr[reg_args + offsetof(row_compact_args, count) + 16]);
    }
    vxorps(zero, zero, zero);
    if (table_in_regs)
        for (int b = 0; b < d_.n_vec; ++b) vmovdqa32(Zmm(b), ptr[reg_table + b * 64]);

    const int32_t v1d = disp32(d_.vals1_disp, "vals1_disp"), rd = disp32(d_.region_disp, "region_disp");
    const int32_t rd2 = disp32(2 * d_.region_disp, "region_disp"), sd = disp32(d_.starts_disp, "starts_disp");
    auto advance = [&](const Reg64 &count, const Opmask &k) {
        kmovw(reg_tmp.cvt32(), k);
        popcnt(reg_tmp.cvt32(), reg_tmp.cvt32());
        add(count, reg_tmp);
    };

    const compact_regs cr {zero, tmp, k1, reg_vals, reg_offs, reg_count, reg_tmp};
    Label row_loop, col_loop;
    L(row_loop);
    mov(reg_pix, reg_row);
    mov(reg_cols, d_.cols);
    L(col_loop);
    mark("pixel");
    mov(ptr[reg_starts], reg_count.cvt32());
    if (pair) {
        mov(ptr[reg_starts + sd], reg_count_a.cvt32());
        mov(ptr[reg_starts + 2 * sd], reg_count_b.cvt32());
    }
    add(reg_starts, 4);
    for (int b = 0; b < d_.n_vec; ++b) {
        const int32_t src_off = disp32(b * d_.vec_stride, "vec_stride");
        vmovups(v, ptr[reg_pix + src_off]);
        Zmm offs = Zmm(b);
        if (!table_in_regs) {
            vmovdqa32(table_tmp, ptr[reg_table + b * 64]);
            offs = table_tmp;
        }
        if (!pair) {
            emit_compact_vector(*this, cr, v, offs);
            continue;
        }
        vmovups(vb, ptr[reg_pix + disp32(b * d_.vec_stride + d_.pair_stride, "pair_stride")]);
        // _CMP_NEQ_UQ: non-zero or NaN. k3 = both, k4 = a only, k5 = b only.
        vcmpps(k1, v, zero, 4);
        vcmpps(k2, vb, zero, 4);
        kandw(k3, k1, k2);
        kandnw(k4, k2, k1);
        kandnw(k5, k1, k2);
        emit_append_lanes(*this, tmp, k3, v, reg_vals, reg_count, 0);
        emit_append_lanes(*this, tmp, k3, vb, reg_vals, reg_count, v1d);
        emit_append_lanes(*this, tmp, k3, offs, reg_vals, reg_count, od);
        advance(reg_count, k3);
        emit_append_lanes(*this, tmp, k4, v, reg_vals, reg_count_a, rd);
        emit_append_lanes(*this, tmp, k4, offs, reg_vals, reg_count_a, rd + od);
        advance(reg_count_a, k4);
        emit_append_lanes(*this, tmp, k5, vb, reg_vals, reg_count_b, rd2);
        emit_append_lanes(*this, tmp, k5, offs, reg_vals, reg_count_b, rd2 + od);
        advance(reg_count_b, k5);
    }
    add(reg_pix, disp32(d_.col_stride, "col_stride"));
    dec(reg_cols);
    jnz(col_loop, T_NEAR);
    add(reg_row, disp32(d_.row_stride, "row_stride"));
    dec(reg_rows);
    jnz(row_loop, T_NEAR);

    mov(ptr[reg_starts], reg_count.cvt32());
    mov(ptr[reg_args + offsetof(row_compact_args, count)], reg_count);
    if (pair) {
        mov(ptr[reg_starts + sd], reg_count_a.cvt32());
        mov(ptr[reg_starts + 2 * sd], reg_count_b.cvt32());
        mov(ptr[reg_args + offsetof(row_compact_args, count) + 8], reg_count_a);
        mov(ptr[reg_args + offsetof(row_compact_args, count) + 16], reg_count_b);
    }
    postamble();
}

} // namespace jit
} // namespace sparsetrain
