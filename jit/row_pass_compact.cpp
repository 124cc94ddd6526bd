#include "jit/row_pass_compact.hpp"

#include <cstddef>
#include <limits>
#include <sstream>

#include "jit/register_map.hpp"
#include "jit/zero_skip.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace jit {

using namespace Xbyak;

namespace {
using namespace regmap::row_compact;

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
    if (pair_stride) os << ":pair" << pair_stride << "," << region_disp << "," << vb_disp;
    return os.str();
}

row_compact_kernel::row_compact_kernel(const row_compact_desc &d)
    : jit_kernel("sparse_row_compact", d, d.problem) {
    if (d_.n_vec < 1 || d_.cols < 1) throw error("row_compact_kernel: empty chunk or row");
}

void row_compact_kernel::generate() {
    const Reg64 reg_args = rdi, reg_row = r8, reg_pix = r9, reg_vals = r10, reg_offs = r11;
    const Reg64 reg_count = r12, reg_starts = r13, reg_rows = r14, reg_cols = r15, reg_tmp = rax;
    const Reg64 reg_table = rsi, reg_count_a = rbx, reg_count_b = rbp;
    const Zmm zero(zero_idx), tmp(tmp_idx), v(v_idx), vb(vb_idx), table_tmp(table_tmp_idx);
    const bool table_in_regs = d_.n_vec <= max_table_regs;
    const bool pair = d_.pair_stride != 0;
    const int n_lists = pair ? 3 : 1;

    preamble();
    using A = row_compact_args;
    load_args(reg_args, {{reg_row, offsetof(A, src)}, {reg_vals, offsetof(A, vals)}});
    lea(reg_offs, ptr[reg_vals + disp32(d_.offs_disp, "offs_disp")]);
    load_args(reg_args, {{reg_starts, offsetof(A, starts)}, {reg_table, offsetof(A, offs_table)},
            {reg_rows, offsetof(A, n_rows)}});
    const Reg64 counts[3] = {reg_count, reg_count_a, reg_count_b};
    for (int l = 0; l < n_lists; ++l) mov(counts[l], ptr[reg_args + offsetof(row_compact_args, count) + 8 * l]);
    vxorps(zero, zero, zero);
    if (table_in_regs)
        for (int b = 0; b < d_.n_vec; ++b) vmovdqa32(Zmm(b), ptr[reg_table + b * 64]);

    const compact_regs cr {zero, tmp, k1, reg_vals, reg_offs, reg_count, reg_tmp};
    const compact_pair_regs pr {zero, tmp, k1, k2, k3, reg_vals, {reg_count, reg_count_a, reg_count_b}, reg_tmp};
    compact_pair_layout pl {};
    for (int l = 0; l < 3; ++l) {
        pl.vals[l] = disp32(l * d_.region_disp, "region_disp");
        pl.offs[l] = disp32(l * d_.region_disp + d_.offs_disp, "region_disp");
    }
    pl.vals_b = disp32(d_.vb_disp, "vb_disp");
    Label row_loop, col_loop;
    L(row_loop);
    mov(reg_pix, reg_row);
    mov(reg_cols, d_.cols);
    L(col_loop);
    mark("pixel");
    for (int l = 0; l < n_lists; ++l) mov(ptr[reg_starts + 4 * l], counts[l].cvt32());
    add(reg_starts, 4 * n_lists);
    for (int b = 0; b < d_.n_vec; ++b) {
        vmovups(v, ptr[reg_pix + disp32(b * d_.vec_stride, "vec_stride")]);
        if (pair) vmovups(vb, ptr[reg_pix + disp32(b * d_.vec_stride + d_.pair_stride, "pair_stride")]);
        Zmm offs = Zmm(b);
        if (!table_in_regs) {
            vmovdqa32(table_tmp, ptr[reg_table + b * 64]);
            offs = table_tmp;
        }
        if (pair) emit_compact_pair(*this, pr, pl, v, vb, offs);
        else emit_compact_vector(*this, cr, v, offs);
    }
    add(reg_pix, disp32(d_.col_stride, "col_stride"));
    dec(reg_cols);
    jnz(col_loop, T_NEAR);
    add(reg_row, disp32(d_.row_stride, "row_stride"));
    dec(reg_rows);
    jnz(row_loop, T_NEAR);

    for (int l = 0; l < n_lists; ++l) {
        mov(ptr[reg_starts + 4 * l], counts[l].cvt32());
        mov(ptr[reg_args + offsetof(row_compact_args, count) + 8 * l], counts[l]);
    }
    postamble();
}

} // namespace jit
} // namespace sparsetrain
