// A progress line on stderr for long runs: step k of n, what runs now, elapsed time and an
// estimate of the time left from the work done so far (steps weighted, e.g. by FLOPs). On a
// terminal the line is redrawn in place; otherwise each step is one line (for logs).
#pragma once

#include <chrono>
#include <ostream>
#include <string>

namespace sparsetrain {
namespace bench {

class progress {
public:
    progress(std::ostream &os, int steps, double total_work, bool enabled);
    ~progress();
    // Announces the next step (work: its share of total_work).
    void begin(const std::string &what, double work);
    // Erases the line on a terminal (before printing results there); the next begin() redraws.
    void clear();
    // Clears the line (terminal) once everything is done.
    void finish();

private:
    std::ostream &os_;
    int steps_, step_ = 0;
    double total_, done_ = 0, current_ = 0;
    bool enabled_, tty_, finished_ = false;
    std::chrono::steady_clock::time_point start_;
};

std::string format_duration(double seconds); // "1:05", "12:00:03"

} // namespace bench
} // namespace sparsetrain
