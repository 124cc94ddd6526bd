#include "driver/bwd_d_mask_conv.hpp"

#include <algorithm>
#include <cstring>

#include <omp.h>

#include "common/env.hpp"
#include "common/scratch.hpp"
#include "driver/row_pass_units.hpp"
#include "jit/bwd_d_mask_kernel.hpp"
#include "jit/mask_bucket_kernel.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {

const char *const bwd_d_mask_impl_name = "sparse_jit_mask:avx512_core";

namespace {

// thread_local_scratch slots (the row-pass drivers use 0..4, the API's weight reorder 7): item
// records, and the masks, bucket tables and this call's tap table.
enum { slot_records = 5, slot_small = 6 };

class sparse_bwd_d_mask : public planned_sparse_conv<bwd_d_mask_config> {
public:
    explicit sparse_bwd_d_mask(const bwd_d_mask_config &c);
    void execute(const conv_tensors &t) const override;
    std::string name() const override { return bwd_d_mask_impl_name; }
    std::vector<std::shared_ptr<const jit::jit_generator>> kernels() const override {
        std::vector<std::shared_ptr<const jit::jit_generator>> k {bucket_, pass_[0]};
        if (pass_[1] != pass_[0]) k.push_back(pass_[1]);
        return k;
    }

private:
    void run_unit(const conv_tensors &t, int64_t n0, int64_t n1, int64_t r0, int64_t r1) const;

    std::shared_ptr<const jit::mask_bucket_kernel> bucket_;
    std::shared_ptr<const jit::bwd_d_mask_kernel> pass_[2]; // [accumulate]
};

sparse_bwd_d_mask::sparse_bwd_d_mask(const bwd_d_mask_config &c) : planned_sparse_conv(c) {
    bucket_ = jit::mask_bucket_kernel::get(c_.n_classes());
    jit::bwd_d_mask_desc d(c_); // the plan's code
    d.problem = c_.p.to_string();
    d.occ = (int)c_.occ;
    d.dd_blk_stride = c_.dd.cblk;
    d.w_blk_stride = c_.w_ocb;
    for (int acc = 0; acc < 2; ++acc) {
        d.accumulate = acc == 1;
        if (acc == 0 || c_.n_chunks > 1) pass_[acc] = jit::bwd_d_mask_kernel::get(d);
    }
    if (!pass_[1]) pass_[1] = pass_[0];
}

void sparse_bwd_d_mask::execute(const conv_tensors &t) const {
    if (!t.mask_src) throw error("masked backward data: the src tensor (mask) is missing");
    for_each_row_pass_unit(c_.p.mb, c_.p.ih, c_.ib, c_.rb, c_.n_hblk, t.flush_denormals,
            [&](int64_t n0, int64_t n1, int64_t r0, int64_t r1) { run_unit(t, n0, n1, r0, r1); });
}

// Images [n0, n1) x diff_src rows [r0, r1) (one contiguous range of the pixel table): per
// input-channel block, sort the unit's items into buckets with their records, then run every
// diff_dst chunk over the buckets.
void sparse_bwd_d_mask::run_unit(const conv_tensors &t, int64_t n0, int64_t n1, int64_t r0, int64_t r1) const {
    const auto &p = c_.p;
    const int64_t p0 = r0 * p.iw, n_pix = (n1 - n0 - 1) * p.ih * p.iw + (r1 - r0) * p.iw;
    const int nb = bucket_->n_buckets();
    const size_t n_taps = c_.taps.size();
    auto *records = static_cast<char *>(thread_local_scratch(slot_records).get((size_t)(n_pix * jit::mask_record_bytes)));
    // Small tables: masks (n_pix uint16), starts / counts / cursor (nb int32 each), tap table.
    const size_t masks_bytes = ((size_t)n_pix * 2 + 63) / 64 * 64, tbl = ((size_t)nb * 4 + 63) / 64 * 64;
    char *small = static_cast<char *>(thread_local_scratch(slot_small).get(masks_bytes + 3 * tbl + n_taps * 8));
    auto *masks = reinterpret_cast<uint16_t *>(small);
    auto *starts = reinterpret_cast<int32_t *>(small + masks_bytes);
    auto *counts = reinterpret_cast<int32_t *>(small + masks_bytes + tbl);
    auto *cursor = reinterpret_cast<int32_t *>(small + masks_bytes + 2 * tbl);
    auto *taps = reinterpret_cast<int64_t *>(small + masks_bytes + 3 * tbl);

    const auto *src = reinterpret_cast<const char *>(t.mask_src) + n0 * c_.act.image;
    auto *dst = reinterpret_cast<char *>(t.diff_src) + n0 * c_.act.image;
    const auto *dd = reinterpret_cast<const char *>(t.diff_dst) + n0 * c_.dd.image;
    const auto *w = reinterpret_cast<const char *>(t.weights);

    jit::mask_bucket_args ba {};
    ba.pix = c_.pix.data() + 4 * p0;
    ba.n_pix = n_pix;
    ba.masks = masks;
    ba.records = records;
    ba.starts = starts;
    ba.counts = counts;
    ba.cursor = cursor;
    jit::bwd_d_mask_args ka {};
    ka.records = records;
    ka.starts = starts;
    ka.counts = counts;
    ka.taps = taps;
    for (int64_t icb = 0; icb < c_.act.blocks; ++icb) {
        ba.src = reinterpret_cast<const float *>(src + icb * c_.act.cblk);
        (*bucket_)(&ba);
        ka.src = ba.src;
        ka.dst = reinterpret_cast<float *>(dst + icb * c_.act.cblk);
        for (int64_t ch = 0; ch < c_.n_chunks; ++ch) {
            ka.dd = reinterpret_cast<const float *>(dd + ch * c_.occ * c_.dd.cblk);
            ka.w = reinterpret_cast<const float *>(w + ch * c_.occ * c_.w_ocb + icb * c_.w_icb);
            // The tap table with this call's weight addresses (the generic class reads it).
            for (size_t k = 0; k < n_taps; k += 2) {
                taps[k] = c_.taps[k];
                taps[k + 1] = c_.taps[k + 1] + (int64_t)(intptr_t)ka.w;
            }
            (*pass_[ch > 0])(&ka);
        }
    }
}

} // namespace

std::unique_ptr<sparse_conv> make_sparse_bwd_d_mask_from_config(const bwd_d_mask_config &c) {
    return std::unique_ptr<sparse_conv>(new sparse_bwd_d_mask(c));
}

std::unique_ptr<sparse_conv> make_sparse_bwd_d_mask(const problem_t &p, std::string &why_not, bool nhwc) {
    bwd_d_mask_hints h = bwd_d_mask_hints::parse(env::get_string("SPARSETRAIN_BWD_D_MASK_PLAN", ""));
    h.threads = omp_get_max_threads();
    bwd_d_mask_config c;
    if (!plan_bwd_d_mask(p, h, c, why_not, nhwc)) return nullptr;
    return make_sparse_bwd_d_mask_from_config(c);
}

} // namespace sparsetrain
