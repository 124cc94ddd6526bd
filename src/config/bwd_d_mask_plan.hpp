// The planner of masked backward data (diff_src * [src > 0], jit/bwd_d_mask_kernel.hpp):
// problem + threads -> the blocking, the activation and weight strides, and the tables the
// kernels read, or the reason it declines. A pure function of its inputs. Activations nChw16c
// or nhwc (both tensors alike): only act_geometry's strides differ.
//
// Work: a unit is `ib` images x `rb` diff_src rows. For each input-channel block of the unit,
// the unit's pixels are sorted by how many of their 16 src lanes are > 0 (mask_bucket_kernel);
// then one kernel call per chunk of `occ` diff_dst channel blocks runs every bucket (the first
// chunk stores, later ones add). The weight slice of a call (16 input channels x taps x occ
// output blocks, 64-byte lines) is sized to stay in L1.
//
// Activation addressing: `act_geometry` (src / diff_src, and diff_dst) is the tensor's
// act_layout (common/layout.hpp) in bytes; the pixel and tap tables are computed from it.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/layout.hpp"
#include "common/problem.hpp"

namespace sparsetrain {

// The byte strides of an activation tensor's act_layout (the kernels' tables hold byte
// offsets), and its 16-channel blocks.
struct act_geometry {
    int64_t pixel = 64, row = 0, image = 0, cblk = 0;
    int64_t blocks = 0;
    act_geometry() = default;
    explicit act_geometry(const act_layout &l)
        : pixel(l.bytes(l.px)), row(l.bytes(l.row)), image(l.bytes(l.img)), cblk(l.bytes(l.cblk)), blocks(l.blocks()) {}
    int64_t offset(int64_t n, int64_t cb, int64_t h, int64_t w) const { return n * image + cb * cblk + h * row + w * pixel; }
};

// Developer overrides, "key=value,...": occ (diff_dst blocks per call), rb, ib (unit rows and
// images), g (entries per group, 0: all registers), full (counts from which all 16 lanes are
// computed), l1 (weight-slice budget, bytes), ch (FMA chains per group), cls (most unrolled tap classes; 0: generic code
// only), threads. Throws on malformed text.
struct bwd_d_mask_hints {
    int64_t occ = 0, rb = 0, ib = 0;
    int64_t max_group = 0;
    int64_t full_from = 0;
    // 20 KB: 3x3 layers get 2 diff_dst blocks per call (18 KB of weights), 1x1 all 16 (16 KB).
    // Measured on Zen 5 (48 KB L1): 4 blocks (36 KB) ran 5-15 % slower, the unit's diff_dst
    // lines evicting weights; 1 block pays the lane sums per call twice as often.
    int64_t l1_bytes = 20 * 1024;
    int64_t max_classes = -1;
    int64_t chains = 0;
    int64_t threads = 1;
    static bwd_d_mask_hints parse(const std::string &s);
};

using tap_list = std::vector<std::pair<int64_t, int64_t>>; // (dd_rel, w_off) per tap

// What the plan fixes in the code of its kernels (jit/bwd_d_mask_kernel.hpp; the kernel's
// descriptor is made of it plus the call's strides).
struct bwd_d_mask_code {
    int max_group = 0;  // entries per group (0: all the entry registers)
    int full_from = 17; // counts >= full_from compute all 16 lanes
    int chains = 8;     // independent FMA chains wanted per group (accumulator sets = chains / entries)
    // The tap lists with unrolled code (classes 0..K-1, the most frequent ones), and whether
    // some pixels have another tap list (class K, the tap-table loop).
    std::vector<tap_list> classes;
    bool generic = true;
    int n_classes() const { return (int)classes.size() + (generic ? 1 : 0); }
};

struct bwd_d_mask_config : bwd_d_mask_code {
    problem_t p;
    bool nhwc = false;           // activation layout (else nChw16c)
    act_geometry act, dd;        // src / diff_src, diff_dst
    int64_t w_tap = 1024;        // IOhw16i16o weights: bytes per (kh, kw) 16x16 block
    int64_t w_icb = 0, w_ocb = 0; // bytes between input-channel blocks / output-channel blocks
    int64_t occ = 0, n_chunks = 0;
    int64_t ib = 1, rb = 0, n_hblk = 0;

    // Pixel table of one unit-sized image group (ib images x ih x iw, pixel index
    // (i * ih + h) * iw + w): 4 int32 per pixel (act_off, dd_off, tap_end, ntaps | class << 16),
    // and the tap table, 2 int64 per tap (dd_rel, w_off). See jit/bwd_d_mask_kernel.hpp.
    std::vector<int32_t> pix;
    std::vector<int64_t> taps;
    bwd_d_mask_config() { generic = false; } // (the planner sets it)

    int64_t unit_pixels() const { return ib * rb * p.iw; }
    bool single_tap() const { return p.kh == 1 && p.kw == 1; }
    std::string str() const;
};

// Returns false and sets why_not when the problem is not covered.
bool plan_bwd_d_mask(const problem_t &p, const bwd_d_mask_hints &h, bwd_d_mask_config &c, std::string &why_not,
        bool nhwc = false);

} // namespace sparsetrain
