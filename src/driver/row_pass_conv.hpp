// The frame of the two row-pass drivers (forward, backward data; fwd_conv.cpp, bwd_d_conv.cpp):
// the plan, the weights' layout, the list side (lane offsets, list layout, compaction kernels),
// the compaction of a work unit's sparse rows, and each call's parallel loop over the work
// units (row_pass_units.hpp). A driver adds its kernels and run_unit.
#pragma once

#include <cstdint>

#include "common/layout.hpp"
#include "driver/row_pass_lists.hpp"
#include "driver/row_pass_units.hpp"
#include "driver/sparse_conv.hpp"

namespace sparsetrain {

template <class Config>
class row_pass_conv : public planned_sparse_conv<Config> {
public:
    void execute(const conv_tensors &t) const override {
        run_row_pass_units(this->c_, this->c_.p.mb, out_rows_, t,
                [&](int64_t n0, int64_t n1, int64_t r0, int64_t r1, row_pass_variant v) { run_unit(t, n0, n1, r0, r1, v); });
    }

protected:
    // `out_rows`: output rows of one image (the work units split them).
    row_pass_conv(const Config &c, int64_t out_rows)
        : planned_sparse_conv<Config>(c), wei_(make_wei_layout(c.wei, c.p)), out_rows_(out_rows) {}

    // One work unit: images [n0, n1) x output rows [r0, r1), in variant v.
    virtual void run_unit(const conv_tensors &t, int64_t n0, int64_t n1, int64_t r0, int64_t r1, row_pass_variant v) const = 0;

    // Compacts n_rows list rows of `lcols` pixels of every chunk of the unit's n_images images
    // into `lists`: the sparse operand in layout `a`, `first` its first image's first list row
    // (channel 0). Compacting inline (variant single_inline), only pair groups get lists.
    void compact_unit(row_pass_unit_lists &lists, const float *first, const act_layout &a, int64_t n_images,
            int64_t n_rows, int64_t lcols, row_pass_variant v) const {
        row_pass_source src;
        src.base = first;
        src.image = a.img;
        src.chunk = this->c_.cb * a.cblk;
        lists.build(lists_.compact, lists_.layout, src, n_images, this->c_.n_chunks, n_rows, lcols,
                v == row_pass_variant::pairs, v != row_pass_variant::single_inline);
    }

    const wei_layout wei_;
    row_pass_list_side lists_;

private:
    int64_t out_rows_;
};

} // namespace sparsetrain
