// Command line of sparsetrain-bench.
#pragma once

#include <string>
#include <vector>

#include "bench/problem_bench.hpp"
#include "bench/sparsity_profile.hpp"
#include "common/problem.hpp"
#include "sparsetrain/dispatch_mode.hpp"

namespace sparsetrain {
namespace bench {

// problems: the given (or default) problems at one sparsity; network: --net; sweep: --sweep;
// replay: --replay[=DIR], tensors captured in real training.
enum class run_mode { problems, network, sweep, replay };

struct options {
    std::vector<direction> dirs {direction::fwd, direction::bwd_d, direction::bwd_w};
    double sparsity = 0.7;
    bool mb_given = false;
    int64_t mb = 16;
    int threads = 0; // 0: all cores (OpenMP default)
    int reps = 10;   // defaults per mode, see parse_options
    int warmup = 2;
    std::string csv_path, json_path;
    std::vector<std::string> batch_files;
    std::vector<std::string> problems; // benchdnn strings from the command line
    dispatch_mode dispatch = dispatch_mode::from_env;
    baseline base = baseline::direct;
    act_format layout = act_format::nChw16c; // --layout: activations of both sides
    bool both_layouts = false;               // --layout=both (problem mode): nchw16c and nhwc interleaved
    bool check = true;
    bool denormals = false; // --denormals: the exploited operand's non-zeros are denormal
    // --zeros: where the exploited operand's zeros go; the problem mode takes a list and times
    // each pattern on the same primitives, one row each (same-run comparisons).
    std::vector<zero_pattern> zeros {zero_pattern::iid};
    bool help = false;
    // Masked backward data (perf/README.md): --mask=off runs every BWD-data of --net unmasked;
    // --relu-mask=S (problems, bwd_d) runs backward data with the ReLU mask, src with zeros at S,
    // against oneDNN backward data + ReLU backward (-1: off).
    bool net_mask = true;
    double relu_mask = -1;

    std::vector<std::string> nets; // --net=a,b
    profile_kind profile = profile_kind::final_epoch;
    std::vector<std::string> layers; // --layers=a,b: only these layer-file entries of the network
    bool sweep = false;
    bool replay = false;
    std::string replay_dir; // "" with replay: the capture set shipped with sparsetrain
    std::string out_dir;  // where CSV / JSON / plots go ("" = nowhere)
    std::string data_dir; // --data: read perf/data files from here instead of the embedded copies
    bool progress = true;

    run_mode mode() const;
};

// Throws sparsetrain::error with the offending argument on bad input. Defaults that depend on
// the mode: --net: reps 5, warmup 1, --out=sparsetrain-bench-out; --sweep: reps 5, warmup 1,
// the same --out; problems: reps 10, warmup 2, no --out.
options parse_options(int argc, char **argv);
const char *usage();

// Problems from the command line and batch files, with --mb applied (throws on a bad one).
std::vector<problem_t> collect_problems(const options &o);

// The same without throwing on a bad problem string: each entry is the text as given and
// either its problem or why it is not one (an unreadable batch file still throws).
struct problem_entry {
    std::string text;
    problem_t prob;
    std::string error;
};
std::vector<problem_entry> collect_problem_entries(const options &o);

timing_options timing_of(const options &o);

} // namespace bench
} // namespace sparsetrain
