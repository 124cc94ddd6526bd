// Scaffolding of the benchmark tests (tests/bench/): a scratch folder removed at the end of
// the test, and the quickest timing options (one run, no warm-up, sparse path forced).
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "bench/problem_bench.hpp"

namespace sparsetrain {
namespace test {

// A fresh folder under the system's temporary folder, named `prefix`-pid-n; removed with
// everything in it when the object goes.
struct scratch_dir {
    std::filesystem::path dir;
    explicit scratch_dir(const std::string &prefix) {
        static int n = 0;
        dir = std::filesystem::temp_directory_path() / (prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(n++));
        std::filesystem::create_directories(dir);
    }
    ~scratch_dir() { std::filesystem::remove_all(dir); }
    scratch_dir(const scratch_dir &) = delete;
    scratch_dir &operator=(const scratch_dir &) = delete;
    std::string path(const std::string &f) const { return (dir / f).string(); }
    // Writes `bytes` to the file `f` (relative to the folder) as they are.
    void write(const std::string &f, const std::string &bytes) const { std::ofstream(path(f), std::ios::binary) << bytes; }
};

// One timed run, no warm-up, the sparse path forced: what a test of the reports needs.
inline bench::timing_options quick_timing() {
    bench::timing_options t;
    t.warmup = 0;
    t.reps = 1;
    t.dispatch = dispatch_mode::sparse;
    return t;
}

} // namespace test
} // namespace sparsetrain
