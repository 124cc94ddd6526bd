// The networks sparsetrain-bench --net knows: which data files describe each one.
#pragma once

#include <string>
#include <vector>

namespace sparsetrain {
namespace bench {

struct network_info {
    std::string name;            // the --net value
    std::string title;           // for tables and plots
    std::string shapes_file;     // layer set, relative to perf/data
    std::string mapping_file;    // per-occurrence sparsity mapping, relative to perf/data
    std::string profile_network; // its rows in relu-sparsity-profiles.csv
    int non_initial_layers;      // conv occurrences after the first layer (documented count)
};

const std::vector<network_info> &networks();
// Throws sparsetrain::error listing the known names.
const network_info &find_network(const std::string &name);

} // namespace bench
} // namespace sparsetrain
