// Which measured sparsity each conv occurrence's exploited operand gets (perf/data/mapping/*.csv,
// columns shape, occurrence, layer, src_sparsity, diff_dst_sparsity, note). FWD and BWD-weights
// exploit src (the conv's input), BWD-data exploits diff_dst (the gradient of its output).
#pragma once

#include <string>
#include <vector>

#include "bench/sparsity_profile.hpp"

namespace sparsetrain {
namespace bench {

// A gradient that went back through a 2x2/2 max-pool is non-zero in at most 1 of 4 places.
constexpr double max_pool_grad_min_sparsity = 0.75;

struct sparsity_rule {
    enum kind_t {
        dense,      // "dense": 0 (the network's input image; diff_dst when BatchNorm follows the conv)
        row,        // "row:R": the profile row R (relu_index or layer_name)
        pool,       // "pool:R": max(0.75, row R) -- the conv feeds ReLU R and then a 2x2 max-pool
        not_needed, // "not_needed": the direction is not run (the first layer's BWD-data)
    } kind = dense;
    std::string ref; // R

    static sparsity_rule parse(const std::string &s); // throws sparsetrain::error
    std::string to_string() const;
};

// Masked backward data (backward_data_options::relu_mask) of a conv occurrence: what its input
// is, which decides the baseline (perf/README.md, "Masked backward data").
enum class bwd_d_mask_kind {
    none,         // "none": no mask (the first layer; or a mapping without the column)
    relu,         // "relu": a ReLU output only this conv reads; baseline bwd_d + ReLU bwd on src
    maxpool_relu, // "maxpool_relu": a 2x2/2 max-pool of one; baseline bwd_d + ReLU bwd on 4x src
    shared,       // "shared": a ReLU output other layers read too; baseline bwd_d alone
};
const char *to_string(bwd_d_mask_kind k);
bwd_d_mask_kind bwd_d_mask_kind_from_string(const std::string &s); // throws sparsetrain::error

struct layer_occurrence {
    std::string shape; // the entry of the layer file ("conv3_2" of "vgg_16:conv3_2*2")
    int occurrence = 1; // 1..N among that entry's N occurrences
    std::string layer;  // this occurrence's own name ("conv3_3")
    sparsity_rule src, diff_dst;
    bwd_d_mask_kind mask = bwd_d_mask_kind::none;
    std::string note;
};

// `what` names the file in errors (with the line number). The bwd_d_mask column (between
// diff_dst_sparsity and note) is optional: without it every occurrence has mask none.
std::vector<layer_occurrence> parse_sparsity_map(const std::string &csv_text, const std::string &what);

// The sparsity a rule gives under a profile column, and a short description of where it came
// from ("row 12 = 0.859", "max(0.75, row conv9 = 0.934)", "dense"). Throws for not_needed.
double resolve(const sparsity_rule &r, const sparsity_profiles &profiles, const std::string &network,
        profile_kind kind, std::string *source = nullptr);

} // namespace bench
} // namespace sparsetrain
