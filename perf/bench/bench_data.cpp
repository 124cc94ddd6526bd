#include "bench/bench_data.hpp"

#include <fstream>
#include <sstream>

#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace bench {

std::string data_source::read(const std::string &relpath) const {
    if (!dir.empty()) {
        const std::string path = dir + "/" + relpath;
        std::ifstream in(path);
        if (!in) throw error("data file " + path + ": cannot open");
        std::ostringstream os;
        os << in.rdbuf();
        return os.str();
    }
    for (const auto &f : embedded_files())
        if (relpath == f.path) return f.text;
    throw error("data file " + relpath + ": not embedded in this build (see perf/data)");
}

} // namespace bench
} // namespace sparsetrain
