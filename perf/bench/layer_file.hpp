// Layer sets in oneDNN benchdnn syntax, one problem per line ('#' comments), as in
// perf/data/shapes/: a "*N" suffix on a layer's name means the shape occurs N times in the
// network; the first problem is the network's initial layer.
#pragma once

#include <string>
#include <vector>

#include "common/problem.hpp"

namespace sparsetrain {
namespace bench {

struct layer_entry {
    problem_t prob;    // name without the "*N" suffix, e.g. "vgg_16:conv3_2"
    std::string shape; // the name after the "network:" prefix, without "*N": "conv3_2"
    int count = 1;     // N of "*N"
    bool initial = false;
};

// Parses a layer file; `mb` is the minibatch of lines without one. `what` names the file in
// errors (which also give the line number).
std::vector<layer_entry> parse_layer_file(const std::string &text, int64_t mb, const std::string &what);

// Sum of the occurrence counts of the non-initial layers.
int non_initial_occurrences(const std::vector<layer_entry> &layers);

} // namespace bench
} // namespace sparsetrain
