// The non-initial conv layers of the benchmark's networks (perf/data/shapes), for tests
// that sweep the full layer matrix.
#pragma once

#include <fstream>
#include <string>
#include <vector>

#include "common/problem.hpp"

namespace sparsetrain {
namespace test {

inline std::vector<problem_t> network_layers(int64_t mb = 16) {
    std::vector<problem_t> out;
    for (const char *net : {"vgg_16", "resnet_34", "resnet_50_v1_5"}) {
        std::ifstream in(std::string(SPARSETRAIN_SHAPES_DIR) + "/" + net);
        std::string line;
        bool first = true;
        while (std::getline(in, line)) {
            if (line.empty() || line[0] == '#') continue;
            if (first) { first = false; continue; } // the initial (dense) layer
            out.push_back(problem_t::parse(line, mb));
        }
    }
    return out;
}

} // namespace test
} // namespace sparsetrain
