#include "driver/row_pass_lists.hpp"

#include "common/scratch.hpp"

namespace sparsetrain {

namespace {
// thread_local_scratch slots: single lists, their starts, pair lists, their starts, the
// inline-compaction list.
enum { slot_vals = 0, slot_starts = 1, slot_pair_vals = 2, slot_pair_starts = 3, slot_inline = 4 };

int64_t round64(int64_t bytes) { return (bytes + 63) / 64 * 64; }
} // namespace

lane_offset_table make_lane_offsets(int64_t n_vec, const std::function<int64_t(int64_t)> &line_of_lane) {
    lane_offset_table t(static_cast<int32_t *>(std::aligned_alloc(64, (size_t)n_vec * 64)));
    for (int64_t j = 0; j < n_vec * 16; ++j) t.get()[j] = (int32_t)(line_of_lane(j) * 4);
    return t;
}

void row_pass_list_side::init(const row_pass_plan &plan, const std::function<int64_t(int64_t)> &line_of_lane) {
    offs_table = make_lane_offsets(plan.cb, line_of_lane);
    layout = row_pass_list_layout(plan.list_cap, plan.pairs.acc_sets > 0 ? plan.pair_cap : 0);
    compact.offs_table = offs_table.get();
}

std::vector<std::shared_ptr<const jit::jit_generator>> row_pass_list_side::kernels() const {
    std::vector<std::shared_ptr<const jit::jit_generator>> ks {compact.single};
    if (compact.pair) ks.push_back(compact.pair);
    return ks;
}

jit::row_pass_desc make_pass_desc(const std::string &problem, const char *direction, const jit::row_schedule &sched,
        int64_t n_blk, int acc_sets, const act_layout &dst, int64_t row_step) {
    jit::row_pass_desc pd;
    pd.problem = problem;
    pd.direction = direction;
    pd.sched = sched;
    pd.n_blk = (int)n_blk;
    pd.acc_sets = acc_sets;
    pd.dst_blk_stride = dst.cblk * 4;
    pd.dst_px_stride = dst.px * 4;
    pd.dst_row_stride = row_step * dst.row * 4;
    return pd;
}

jit::row_compact_desc make_compact_variant(row_pass_compactors &k, const row_pass_list_layout &l,
        const std::string &problem, const act_layout &a, int64_t n_vec, int64_t cols, int64_t col_step,
        int64_t row_step, bool pair, bool inl) {
    jit::row_compact_desc cd;
    cd.problem = problem;
    cd.n_vec = (int)n_vec;
    cd.cols = (int)cols;
    cd.vec_stride = a.cblk * 4;
    cd.col_stride = a.px * 4 * col_step;
    cd.row_stride = a.row * 4 * row_step;
    wire_compact_variant(cd, l, pair, a.img * 4);
    if (!inl) (pair ? k.pair : k.single) = jit::row_compact_kernel::get(cd);
    return cd;
}

row_pass_list_layout::row_pass_list_layout(int64_t cap, int64_t pair_cap) {
    offs_disp = round64(cap * 4);
    bytes = 2 * offs_disp + 64;
    const int64_t r = round64(pair_cap * 4);
    pair_offs_disp = r;
    pair_region_disp = 2 * r;
    pair_vb_disp = 6 * r;
    pair_bytes = 7 * r + 64;
}

float *row_pass_inline_list(int64_t cb) {
    return static_cast<float *>(thread_local_scratch(slot_inline).get((size_t)(2 * row_pass_inline_offs_disp(cb) + 64)));
}

void row_pass_unit_lists::build(const row_pass_compactors &k, const row_pass_list_layout &l,
        const row_pass_source &src, int64_t n_images, int64_t n_chunks, int64_t n_rows, int64_t lcols, bool pairs,
        bool singles) {
    groups_.clear();
    n_rows_ = n_rows;
    lcols_ = lcols;
    if (!k.pair) pairs = false;
    const int64_t n_pairs = pairs ? n_images / 2 : 0, n_single = n_images - 2 * n_pairs;
    const int64_t chunk_ints = n_rows * lcols + 1;

    jit::row_compact_args ca {};
    ca.offs_table = k.offs_table;
    ca.n_rows = n_rows;
    if (n_pairs) {
        auto *vals = static_cast<float *>(thread_local_scratch(slot_pair_vals).get((size_t)l.pair_bytes));
        auto *starts = thread_local_scratch(slot_pair_starts).get_as<int32_t>((size_t)(n_pairs * n_chunks * 3 * chunk_ints));
        ca.vals = vals;
        for (int64_t i = 0; i < n_pairs; ++i) {
            groups_.push_back({2 * i, true, vals, starts + i * n_chunks * 3 * chunk_ints});
            for (int64_t ch = 0; ch < n_chunks; ++ch) {
                ca.src = src.base + 2 * i * src.image + ch * src.chunk;
                ca.starts = starts + (i * n_chunks + ch) * 3 * chunk_ints;
                (*k.pair)(&ca);
            }
        }
    }
    if (n_single && !singles)
        for (int64_t i = 0; i < n_single; ++i) groups_.push_back({2 * n_pairs + i, false, nullptr, nullptr});
    if (n_single && singles) {
        auto *vals = static_cast<float *>(thread_local_scratch(slot_vals).get((size_t)l.bytes));
        auto *starts = thread_local_scratch(slot_starts).get_as<int32_t>((size_t)(n_single * n_chunks * chunk_ints));
        ca.vals = vals;
        ca.count[0] = 0;
        for (int64_t i = 0; i < n_single; ++i) {
            const int64_t n = 2 * n_pairs + i;
            groups_.push_back({n, false, vals, starts + i * n_chunks * chunk_ints});
            for (int64_t ch = 0; ch < n_chunks; ++ch) {
                ca.src = src.base + n * src.image + ch * src.chunk;
                ca.starts = starts + (i * n_chunks + ch) * chunk_ints;
                (*k.single)(&ca);
            }
        }
    }
}

void wire_compact_variant(jit::row_compact_desc &cd, const row_pass_list_layout &l, bool pair, int64_t sparse_img_bytes) {
    cd.offs_disp = pair ? l.pair_offs_disp : l.offs_disp;
    if (pair) {
        cd.pair_stride = sparse_img_bytes;
        cd.region_disp = l.pair_region_disp;
        cd.vb_disp = l.pair_vb_disp;
    }
}

void wire_pass_variant(jit::row_pass_desc &pd, const jit::row_compact_desc &cd, const row_pass_list_layout &l, bool pair,
        bool inl, int64_t dst_img_bytes, int64_t cb) {
    pd.offs_disp = cd.offs_disp;
    if (pair) {
        pd.pair = true;
        pd.pair_dst_disp = dst_img_bytes;
        pd.region_disp = l.pair_region_disp;
        pd.vb_disp = l.pair_vb_disp;
    }
    if (inl) {
        pd.inline_vecs = (int)cb;
        pd.src_col_stride = cd.col_stride;
        pd.src_vec_stride = cd.vec_stride;
        pd.starts_row_stride = cd.row_stride; // starts = the sparse operand itself
        pd.offs_disp = row_pass_inline_offs_disp(cb);
    }
}

} // namespace sparsetrain
