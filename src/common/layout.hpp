// The one description of where the sparse kernels' tensors live in memory.
//
// Activations (src, dst, diff_src, diff_dst) come in two layouts, nChw16c (oneDNN's blocked
// pick for format_tag::any) and nhwc (channels last). In both, the 16 channels of one
// 16-channel block at one pixel are one contiguous 64-byte vector, so every kernel's zero
// check, compaction and list loop is the same; only four strides differ:
//
//                 image      16-channel block   row        pixel
//     nChw16c     C*H*W      H*W*16             W*16       16
//     nhwc        H*W*C      16                 W*C        C
//
// (in floats). Every driver and planner computes activation addresses through act_layout
// (the masked backward-data planner through act_geometry, its view in bytes). Scratch buffers
// with their own packing (the bwd_w diff_dst tile copy, list slots) are not tensor layouts.
//
// Weights are addressed through wei_layout: any oneDNN blocked layout of (O, I, kh, kw) with
// at most one block per channel dimension is offset(o, i, kh, kw) = o_part(o) + i_part(i) +
// kh * kh_stride + kw * kw_stride, each channel part (x / blk) * outer + (x % blk) * inner.
// The kernels need 16 consecutive lanes of the vector dimension (forward / backward weights:
// o; backward data: i) to be one contiguous 64-byte line, and read everything else through
// generation-time displacement tables built from these offsets. (The masked backward-data
// kernel reads weights the API reorders to IOhw16i16o; its planner holds their strides.)
// Bias and diff_bias are plain: channel c at c.
#pragma once

#include <cstdint>
#include <string>

#include "common/problem.hpp"

namespace sparsetrain {

enum class act_format { nChw16c, nhwc };
const char *to_string(act_format f);                    // "nChw16c", "nhwc"
act_format act_format_from_string(const std::string &s); // also "nchw16c"; throws on others

struct act_layout {
    act_format format = act_format::nChw16c;
    int64_t c = 0, h = 0, w = 0;                  // channels (multiple of 16), rows, columns
    int64_t img = 0, cblk = 0, row = 0, px = 0;   // strides in floats

    act_layout() = default;
    act_layout(act_format f, int64_t c, int64_t h, int64_t w);
    // Float offset of channel block cb, row y, column x of image n (lane 0).
    int64_t at(int64_t n, int64_t cb, int64_t y, int64_t x) const { return n * img + cb * cblk + y * row + x * px; }
    int64_t bytes(int64_t floats) const { return floats * 4; }
    int64_t blocks() const { return c / 16; } // 16-channel blocks
    // The 64-byte vectors of one pixel are adjacent (nhwc), so n consecutive blocks are one
    // n * 64-byte run.
    bool blocks_adjacent() const { return cblk == 16; }
};

// The problem's activation layouts: src / diff_src (ic x ih x iw), dst / diff_dst (oc x oh x ow).
act_layout src_layout(const problem_t &p, act_format f);
act_layout dst_layout(const problem_t &p, act_format f);

// The label of kernels generated for a problem in a layout (JIT dumps, listings, verbose):
// `problem` as given for nChw16c, with ":nhwc" appended for nhwc.
std::string layout_label(const std::string &problem, act_format f);

// Weight layouts the sparse kernels read in place (oneDNN 2.6's picks for f32 convolutions
// with format_tag::any weights): forward OIhw16i16o (nChw16c activations) or Ohwi16o / 32o /
// 48o / 64o (brgconv on nhwc activations, the block depends on oc); backward data OIhw16o16i
// (IOhw16o16i for 1x1); backward weights OIhw16i16o.
enum class weights_layout { OIhw16i16o, OIhw16o16i, IOhw16o16i, Ohwi16o, Ohwi32o, Ohwi48o, Ohwi64o };
const char *to_string(weights_layout l);

struct wei_dim {
    int64_t blk = 1, outer = 0, inner = 0; // block size, stride of a block, stride inside it
    int64_t at(int64_t x) const { return x / blk * outer + x % blk * inner; }
    // 16 consecutive indices starting at a multiple of 16 are 16 adjacent floats.
    bool lines_of_16() const { return blk % 16 == 0 ? inner == 1 : blk == 1 && outer == 1; }
    // at(x0 + d) - at(x0) == at(d) for every x0 multiple of `span` and 0 <= d < span: a table of
    // displacements built once serves every group of `span` channels.
    bool uniform_over(int64_t span) const { return blk == 1 || span % blk == 0 || blk % span == 0; }
    // Otherwise the displacements repeat every this many groups of `span` (1 when uniform).
    int64_t period_over(int64_t span) const;
};

struct wei_layout {
    weights_layout tag = weights_layout::OIhw16i16o;
    wei_dim o, i;
    int64_t kh = 0, kw = 0; // strides in floats
    int64_t at(int64_t oc, int64_t ic, int64_t y, int64_t x) const { return o.at(oc) + i.at(ic) + y * kh + x * kw; }
};

// The layout of `tag` for the weights of p (oc x ic x kh x kw).
wei_layout make_wei_layout(weights_layout tag, const problem_t &p);

} // namespace sparsetrain
