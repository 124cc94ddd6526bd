#include "common/verbose.hpp"

#include <chrono>
#include <cstdio>
#include <mutex>

#include "common/env.hpp"

namespace sparsetrain {

int verbose_level() {
    static const int level = (int)env::get_int("SPARSETRAIN_VERBOSE", 0);
    return level;
}

void verbose_print(const std::string &line) {
    static std::mutex m;
    std::lock_guard<std::mutex> lk(m);
    std::fprintf(stdout, "sparsetrain_verbose,%s\n", line.c_str());
    std::fflush(stdout);
}

double now_ms() {
    using clock = std::chrono::steady_clock;
    return std::chrono::duration<double, std::milli>(clock::now().time_since_epoch()).count();
}

} // namespace sparsetrain
