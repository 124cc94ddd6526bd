#include "config/row_pass_schedule.hpp"

#include <sstream>

#include "sparsetrain/error.hpp"

namespace sparsetrain {

namespace {

// Fills first/last, the ring and the loop period. When x advances by x_unit, the whole
// pattern of targets shifts by y_unit outputs (forward: sw inputs per output; backward
// data: sw outputs per input).
void finalize(row_schedule &s, int x_unit, int y_unit) {
    s.first.assign(s.Y, -1);
    s.last.assign(s.Y, -1);
    for (int x = 0; x < s.X; ++x)
        for (const auto &t : s.targets[x]) {
            if (s.first[t.y] < 0) s.first[t.y] = x;
            s.last[t.y] = x;
        }
    // Smallest ring such that output y + ring is opened only after y was stored. Outputs
    // are opened before the list of their first x and stored after the list of their last.
    int ring = 1;
    for (;; ++ring) {
        bool ok = true;
        for (int y = 0; y + ring < s.Y && ok; ++y)
            if (s.first[y] >= 0 && s.first[y + ring] >= 0 && s.first[y + ring] <= s.last[y]) ok = false;
        if (ok) break;
    }
    s.ring = ring;
    int m = 1;
    while ((m * y_unit) % ring) ++m;
    s.px = m * x_unit;
    s.py = m * y_unit;
}

// The frame of a schedule: X list columns feeding Y target columns through kw taps, named
// `dir`_<x_name>X_<y_name>Y_kw.._sw.._pw.. (the origin is part of the kernels' keys).
row_schedule frame(const std::string &dir, const char *x_name, int X, const char *y_name, int Y, int kw, int sw, int pw) {
    if (X <= 0 || Y <= 0 || kw <= 0 || sw <= 0 || pw < 0) throw error(dir + "_row_schedule: bad geometry");
    row_schedule s;
    s.X = X;
    s.Y = Y;
    s.taps = kw;
    s.origin = dir + "_" + x_name + std::to_string(X) + "_" + y_name + std::to_string(Y) + "_kw" + std::to_string(kw)
            + "_sw" + std::to_string(sw) + "_pw" + std::to_string(pw);
    s.targets.resize(X);
    return s;
}

} // namespace

std::string row_schedule::key() const {
    std::ostringstream os;
    os << origin << ":ring" << ring << ":period" << px << "/" << py;
    return os.str();
}

row_schedule fwd_row_schedule(int iw, int ow, int kw, int sw, int pw) {
    row_schedule s = frame("fwd", "iw", iw, "ow", ow, kw, sw, pw);
    for (int x = 0; x < iw; ++x)
        for (int k = 0; k < kw; ++k) {
            const int num = x + pw - k;
            if (num < 0 || num % sw) continue;
            const int y = num / sw;
            if (y < ow) s.targets[x].push_back({y, k});
        }
    finalize(s, sw, 1);
    return s;
}

row_schedule bwd_d_row_schedule(int ow, int iw, int kw, int sw, int pw) {
    row_schedule s = frame("bwd_d", "ow", ow, "iw", iw, kw, sw, pw);
    for (int x = 0; x < ow; ++x)
        for (int k = 0; k < kw; ++k) {
            const int y = x * sw - pw + k;
            if (y >= 0 && y < iw) s.targets[x].push_back({y, k});
        }
    finalize(s, 1, sw);
    return s;
}

} // namespace sparsetrain
