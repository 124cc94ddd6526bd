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

} // namespace

std::string row_schedule::key() const {
    std::ostringstream os;
    os << origin << ":ring" << ring << ":period" << px << "/" << py;
    return os.str();
}

row_schedule fwd_row_schedule(int iw, int ow, int kw, int sw, int pw) {
    if (iw <= 0 || ow <= 0 || kw <= 0 || sw <= 0 || pw < 0) throw error("fwd_row_schedule: bad geometry");
    row_schedule s;
    s.X = iw;
    s.Y = ow;
    s.taps = kw;
    s.origin = "fwd_iw" + std::to_string(iw) + "_ow" + std::to_string(ow) + "_kw" + std::to_string(kw) + "_sw"
            + std::to_string(sw) + "_pw" + std::to_string(pw);
    s.targets.resize(iw);
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
    if (iw <= 0 || ow <= 0 || kw <= 0 || sw <= 0 || pw < 0) throw error("bwd_d_row_schedule: bad geometry");
    row_schedule s;
    s.X = ow;
    s.Y = iw;
    s.taps = kw;
    s.origin = "bwd_d_ow" + std::to_string(ow) + "_iw" + std::to_string(iw) + "_kw" + std::to_string(kw) + "_sw"
            + std::to_string(sw) + "_pw" + std::to_string(pw);
    s.targets.resize(ow);
    for (int x = 0; x < ow; ++x)
        for (int k = 0; k < kw; ++k) {
            const int y = x * sw - pw + k;
            if (y >= 0 && y < iw) s.targets[x].push_back({y, k});
        }
    finalize(s, 1, sw);
    return s;
}

} // namespace sparsetrain
