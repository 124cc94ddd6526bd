// Horizontal sums of up to 16 accumulators at once, with a transpose-add tree.
//
// Each of the m accumulators holds 16 partial sums (one per lane) of one output; the tree
// halves the partial sums per output at each of four levels (256-bit, 128-bit, 64-bit and 32-bit
// granularity) while packing two accumulators into one register, so that m outputs cost about
// 3m shuffle/add instructions instead of ~8m for separate horizontal sums:
//   pair level:  r = shuffle(a, b, lo) + shuffle(a, b, hi)   (3 instructions per pair)
//   self level:  r = a + permute(a)                           (2 instructions; an odd one out)
// A single accumulator (m = 1) is summed by narrowing (256 -> 128 -> 64 -> 32 bits).
// The lane each output lands in follows from the tree; a final vpermps (its index vector is a
// generation-time constant) puts output j into lane `place[j]`. Lanes that receive no output
// hold unspecified values. The tree's lane bookkeeping is simulated at generation time, so a
// wrong shuffle immediate is a generation-time error, not a wrong sum.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "jit/jit_generator.hpp"

namespace sparsetrain {
namespace jit {

// The generator provides the constant index vectors (emitted as data after the code): it
// returns an operand that reads the 16 int32 `idx` (64 bytes, e.g. rip-relative).
using const_vector_fn = std::function<Xbyak::Address(const std::array<int32_t, 16> &idx)>;

// Sums accs[j] across its lanes into lane place[j] of `out` (m = accs.size(), 1..16; place
// values distinct, in 0..15). `accs` are clobbered; `tmp` is scratch; `out` may be accs[0] (it
// is not one of the others). The sum order is a fixed tree (the same for every call).
void emit_lane_sums(jit_generator &g, const std::vector<Xbyak::Zmm> &accs, const std::vector<int> &place,
        const Xbyak::Zmm &tmp, const Xbyak::Zmm &out, const const_vector_fn &const_vector);

// Instructions emit_lane_sums emits for m accumulators (for cost models and tests).
int lane_sum_instructions(int m);

} // namespace jit
} // namespace sparsetrain
