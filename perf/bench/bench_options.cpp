#include "bench/bench_options.hpp"

#include <fstream>
#include <sstream>

#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace bench {

const char *usage() {
    return "usage: sparsetrain-bench [--dir=fwd|bwd_d|bwd_w|all] [--sparsity=S] [--mb=N] [--threads=T]\n"
           "                         [--reps=R] [--warmup=W] [--batch=FILE] [--csv=FILE] [--json=FILE]\n"
           "                         [--dispatch=auto|sparse|dense] [--no-check] [PROBLEM ...]\n"
           "\n"
           "Times oneDNN dense (convolution_direct, its own layouts) against sparsetrain in the same\n"
           "process, interleaved, median of R runs after W warm-up runs; weight reorders are outside the\n"
           "timing. The operand each direction exploits (fwd: src, bwd_d: diff_dst, bwd_w: src) gets\n"
           "i.i.d. zeros at rate S, the others are dense. PROBLEM is a benchdnn string such as\n"
           "mb16ic256ih28oc256oh28kh3ph1n\"vgg16:conv4_2\"; FILE holds one per line (# comments).\n"
           "Defaults: all directions, S = 0.7, N = 16, all cores, R = 10, W = 2, the issue's layer set.\n";
}

namespace {

bool take(const std::string &arg, const char *key, std::string &value) {
    const std::string k = std::string(key) + "=";
    if (arg.compare(0, k.size(), k) != 0) return false;
    value = arg.substr(k.size());
    return true;
}

double to_double(const std::string &flag, const std::string &v) {
    try {
        size_t pos = 0;
        const double x = std::stod(v, &pos);
        if (pos != v.size()) throw std::invalid_argument(v);
        return x;
    } catch (const std::exception &) {
        throw error(flag + "=" + v + ": not a number");
    }
}

long to_long(const std::string &flag, const std::string &v) {
    const double x = to_double(flag, v);
    if (x != (double)(long)x) throw error(flag + "=" + v + ": not an integer");
    return (long)x;
}

} // namespace

options parse_options(int argc, char **argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        std::string v;
        if (a == "-h" || a == "--help") {
            o.help = true;
        } else if (take(a, "--dir", v)) {
            if (v == "all") o.dirs = {direction::fwd, direction::bwd_d, direction::bwd_w};
            else {
                o.dirs.clear();
                std::stringstream ss(v);
                std::string one;
                while (std::getline(ss, one, ',')) o.dirs.push_back(direction_from_string(one));
            }
        } else if (take(a, "--sparsity", v)) {
            o.sparsity = to_double("--sparsity", v);
            if (o.sparsity < 0 || o.sparsity > 1) throw error("--sparsity=" + v + ": must be in [0, 1]");
        } else if (take(a, "--mb", v)) {
            o.mb = to_long("--mb", v);
            if (o.mb <= 0) throw error("--mb=" + v + ": must be positive");
            o.mb_given = true;
        } else if (take(a, "--threads", v)) {
            o.threads = (int)to_long("--threads", v);
            if (o.threads <= 0) throw error("--threads=" + v + ": must be positive");
        } else if (take(a, "--reps", v)) {
            o.reps = (int)to_long("--reps", v);
            if (o.reps <= 0) throw error("--reps=" + v + ": must be positive");
        } else if (take(a, "--warmup", v)) {
            o.warmup = (int)to_long("--warmup", v);
            if (o.warmup < 0) throw error("--warmup=" + v + ": must not be negative");
        } else if (take(a, "--batch", v)) {
            o.batch_files.push_back(v);
        } else if (take(a, "--csv", v)) {
            o.csv_path = v;
        } else if (take(a, "--json", v)) {
            o.json_path = v;
        } else if (take(a, "--dispatch", v)) {
            if (v == "auto") o.dispatch = dispatch_mode::automatic;
            else if (v == "sparse") o.dispatch = dispatch_mode::sparse;
            else if (v == "dense") o.dispatch = dispatch_mode::dense;
            else throw error("--dispatch=" + v + ": expected auto, sparse or dense");
        } else if (a == "--no-check") {
            o.check = false;
        } else if (a.rfind("--", 0) == 0) {
            throw error("unknown option " + a + "\n" + usage());
        } else {
            o.problems.push_back(a);
        }
    }
    return o;
}

std::vector<problem_t> collect_problems(const options &o) {
    std::vector<std::string> strings = o.problems;
    for (const auto &f : o.batch_files) {
        std::ifstream in(f);
        if (!in) throw error("--batch=" + f + ": cannot open");
        std::string line;
        while (std::getline(in, line)) {
            const auto hash = line.find('#');
            if (hash != std::string::npos) line = line.substr(0, hash);
            const auto b = line.find_first_not_of(" \t\r");
            if (b == std::string::npos) continue;
            line = line.substr(b, line.find_last_not_of(" \t\r") - b + 1);
            strings.push_back(line);
        }
    }
    if (strings.empty())
        strings = {"mb16ic256ih28oc256oh28kh3ph1n\"3x3:256x28\"", "mb16ic128ih56oc128oh56kh3ph1n\"3x3:128x56\"",
                "mb16ic256ih56oc64oh56kh1ph0n\"1x1:256to64x56\"", "mb16ic1024ih14oc256oh14kh1ph0n\"1x1:1024to256x14\""};
    std::vector<problem_t> out;
    for (const auto &s : strings) {
        problem_t p = problem_t::parse(s, o.mb);
        if (o.mb_given) p.mb = o.mb;
        out.push_back(p);
    }
    return out;
}

} // namespace bench
} // namespace sparsetrain
