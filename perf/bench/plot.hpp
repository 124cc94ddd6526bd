// PNG plots through gnuplot (Debian package gnuplot-nox): the data and the script are written
// next to the PNG, so a plot can be re-made or restyled by hand (`gnuplot NAME.gp` in DIR).
#pragma once

#include <string>
#include <vector>

#include "bench/net_bench.hpp"
#include "bench/sweep.hpp"

namespace sparsetrain {
namespace bench {

struct plot_files {
    std::string png, script, data; // paths
    bool made = false;             // false: gnuplot missing or failed (see note)
    std::string note;
};

// Speedup of each conv occurrence, one bar per direction, network order: DIR/BASE.{dat,gp,png}.
plot_files plot_network(const std::string &dir, const std::string &base, const net_result &r);
// Speedup against sparsity (forced sparse and automatic per direction) with the 1/(1-s) bound.
plot_files plot_sweep(const std::string &dir, const std::string &base, const std::vector<sweep_result> &rs);

// The gnuplot inputs alone (tested without running gnuplot).
std::string network_plot_data(const net_result &r);
std::string network_plot_script(const std::string &base, const net_result &r);

} // namespace bench
} // namespace sparsetrain
