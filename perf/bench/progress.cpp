#include "bench/progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace sparsetrain {
namespace bench {

std::string format_duration(double seconds) {
    const long s = seconds < 0 ? 0 : (long)(seconds + 0.5);
    char b[32];
    if (s >= 3600) std::snprintf(b, sizeof(b), "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else std::snprintf(b, sizeof(b), "%ld:%02ld", s / 60, s % 60);
    return b;
}

progress::progress(std::ostream &os, int steps, double total_work, bool enabled)
    : os_(os), steps_(steps), total_(total_work), enabled_(enabled),
      tty_(&os == &std::cerr && isatty(STDERR_FILENO)), start_(std::chrono::steady_clock::now()) {}

progress::~progress() { finish(); }

void progress::begin(const std::string &what, double work) {
    done_ += current_;
    current_ = work;
    ++step_;
    if (!enabled_) return;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::string line = "[" + std::to_string(step_) + "/" + std::to_string(steps_) + "] " + what + "  elapsed "
            + format_duration(elapsed);
    // The estimate needs some finished work to extrapolate from.
    if (done_ > 0 && total_ > done_ && elapsed > 1) line += ", ~" + format_duration(elapsed * (total_ - done_) / done_) + " left";
    if (tty_) os_ << "\r\033[K" << line << std::flush;
    else os_ << line << "\n" << std::flush;
}

void progress::clear() {
    if (enabled_ && tty_ && step_ > 0) os_ << "\r\033[K" << std::flush;
}

void progress::finish() {
    if (finished_) return;
    finished_ = true;
    if (enabled_ && tty_ && step_ > 0) os_ << "\r\033[K" << std::flush;
}

} // namespace bench
} // namespace sparsetrain
