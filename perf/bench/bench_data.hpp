// The data files of perf/data (layer sets, the ReLU sparsity profiles, the sparsity mappings).
// They are embedded into the binary when CMake configures (so an installed sparsetrain-bench
// needs no source tree; editing a file re-runs the configure step); --data=DIR reads them from
// a directory instead, to try an edited mapping without rebuilding.
#pragma once

#include <string>
#include <vector>

namespace sparsetrain {
namespace bench {

struct embedded_file {
    const char *path; // relative to perf/data, e.g. "shapes/vgg_16"
    const char *text;
};
// Generated at configure time from perf/data (bench_data_embedded.cpp in the build folder).
const std::vector<embedded_file> &embedded_files();

struct data_source {
    std::string dir; // empty: the embedded copies
    // The text of a data file; throws sparsetrain::error naming the file when it is missing.
    std::string read(const std::string &relpath) const;
};

} // namespace bench
} // namespace sparsetrain
