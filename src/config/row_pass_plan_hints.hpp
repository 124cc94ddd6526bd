// Developer overrides shared by the two row-pass planners (forward and backward-data), parsed
// from "key=value,..." text: kernel-bench-fwd / kernel-bench-bwd-d --plan, and the
// environment variables SPARSETRAIN_FWD_PLAN / SPARSETRAIN_BWD_D_PLAN.
#pragma once

#include <cstdint>
#include <string>

#include "config/row_pass_blocking.hpp"

namespace sparsetrain {

struct row_pass_plan_hints {
    // Output-channel blocks per group: key "ocb" forward (output channels), "icb" backward-data
    // (diff_src channels). 0 here and below: the planner chooses.
    int64_t n_blk = 0;
    int64_t cb = 0, rb = 0, ib = 0; // key cb, rb, ib: sparse blocks per chunk, rows and images per unit
    int64_t acc_sets = 0;           // key sets: 1 or 2
    int64_t l1_bytes = 32 * 1024;   // key l1: weight-slice limit per pass (see row_pass_blocking_hints)
    int64_t l2_bytes = 1024 * 1024; // key l2: lists + output rows of one work unit
    double sparsity = 0.7;          // key s: the sparsity the cost model optimises for
    int64_t threads = 1;            // key threads: threads that will share the work units
    int64_t pairs = -1;             // key pairs: image-pair variant, -1 cost model, 0 never, 1 always
    int64_t pair_sets = 0;          // key psets: its accumulator sets per image
    int64_t inline_compact = -1;    // key inl: single variant compacts inline, -1 planner, 0 no, 1 yes

    // The blocking search's part of the hints.
    row_pass_blocking_hints blocking() const;

protected:
    // Parses `s` into *this; `who` ("fwd", "bwd_d") prefixes error messages, `blk_key` is the
    // key of n_blk. Throws sparsetrain::error naming the bad token.
    void parse_into(const std::string &s, const char *who, const char *blk_key);
};

// The hints of one planner: `Dir` names it in error messages (Dir::who, "fwd") and gives the
// key of n_blk (Dir::blk_key, "ocb").
template <class Dir>
struct row_pass_dir_hints : row_pass_plan_hints {
    static row_pass_dir_hints parse(const std::string &s) { // throws on malformed text
        row_pass_dir_hints h;
        h.parse_into(s, Dir::who, Dir::blk_key);
        return h;
    }
};

} // namespace sparsetrain
