#include "bench/bench_options.hpp"

#include <fstream>
#include <sstream>

#include "bench/net_catalog.hpp"
#include "bench/text_util.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace bench {

const char *usage() {
    return "usage: sparsetrain-bench [--net=vgg16|resnet34|resnet50|fixup_resnet50[,...]]\n"
           "                         [--profile=final|epoch1|epoch10|mean] [--layers=NAME,...]\n"
           "                         [--sweep] [--replay[=DIR]] [--dir=fwd|bwd_d|bwd_w|all] [--sparsity=S] [--mb=N]\n"
           "                         [--baseline=direct|fastest] [--dispatch=auto|sparse|dense]\n"
           "                         [--layout=nchw16c|nhwc|both]\n"
           "                         [--threads=T] [--reps=R] [--warmup=W] [--out=DIR] [--no-out]\n"
           "                         [--csv=FILE] [--json=FILE] [--batch=FILE] [--data=DIR]\n"
           "                         [--no-check] [--no-progress] [--denormals] [PROBLEM ...]\n"
           "                         [--zeros=iid|channels|spatial] [--mask=on|off] [--relu-mask=S]\n"
           "\n"
           "Times oneDNN dense against sparsetrain in the same process on the same data, interleaved,\n"
           "median of R runs after W warm-up runs; weight reorders are outside the timing. The operand\n"
           "each direction exploits (fwd: src, bwd_d: diff_dst, bwd_w: src) gets i.i.d. zeros at the\n"
           "sparsity of the run; the others are dense. Outputs are checked against oneDNN's.\n"
           "\n"
           "Modes:\n"
           "  PROBLEM ... | --batch=FILE   the given problems at sparsity S (default 0.7). PROBLEM is a\n"
           "      benchdnn string such as mb16ic256ih28oc256oh28kh3ph1n\"vgg16:conv4_2\"; FILE holds one\n"
           "      per line (# comments). No problem: four representative layers. R = 10, W = 2.\n"
           "  --net=NET   every conv layer of the network, each direction at the sparsity measured in\n"
           "      real training (--profile, default final epoch), each distinct (shape, direction,\n"
           "      sparsity) timed once and weighted by its occurrences; totals per direction and per\n"
           "      training step. The first layer runs fwd and bwd_w through sparsetrain (its dense\n"
           "      fallback); its bwd_d is not needed in training and not run. N = 16, R = 5, W = 1.\n"
           "      --layers=NAME,... keeps only those entries of the layer file (e.g. conv5_1).\n"
           "  --sweep     speedup against sparsity 0, 0.05, ..., 0.95 for the given problem(s) (default\n"
           "      VGG16 conv4_2) and --dir, beside the 1/(1-s) bound: oneDNN, sparsetrain forced sparse\n"
           "      and sparsetrain automatic dispatch. R = 5, W = 1.\n"
           "  --replay[=DIR]  conv tensors captured in real training (examples/train_fashion_mnist.py\n"
           "      --capture=DIR; default: the set shipped in perf/data/captures): every layer in each\n"
           "      direction on the real tensors and on the same values at shuffled positions (i.i.d.\n"
           "      zeros, same sparsity), both speedups side by side. R = 5, W = 1.\n"
           "\n"
           "  --baseline=direct   oneDNN's convolution_direct with its own layouts (default);\n"
           "  --baseline=fastest  also Winograd (convolution_auto) and nhwc; the fastest per problem wins.\n"
           "  --layout     activations of both sides (every mode): nchw16c (default; format_tag::any, oneDNN's\n"
           "               own blocked pick) or nhwc (channels last: oneDNN's baseline is its own pick for\n"
           "               nhwc buffers, e.g. brgconv forward; weights format_tag::any on both sides).\n"
           "               both (problem mode): each problem in both layouts, all sides interleaved in one\n"
           "               run, and the nhwc speedup relative to the nchw16c one.\n"
           "  --dispatch   sparsetrain's policy in the problem and --net modes (default: SPARSETRAIN_DISPATCH,\n"
           "               else auto); also deterministic (README: reproducible results).\n"
           "  --out=DIR    writes CSV, JSON and PNG plots there (--net and --sweep default to\n"
           "               sparsetrain-bench-out; --no-out writes nothing). --csv / --json: also these files.\n"
           "  --data=DIR   reads the layer sets and sparsity data from DIR (default: the copies of perf/data\n"
           "               built into the binary).\n"
           "  --denormals  (problem mode) every non-zero of the exploited operand is denormal (~1e-40):\n"
           "               the worst case for the FP units, to measure what denormals cost both sides.\n"
           "  --zeros=P    where the exploited operand's zeros go, in every mode: iid (default, each element\n"
           "               independently), channels (whole channels dead in every image, a random choice of\n"
           "               that share), spatial (square patches of every channel, per image). The problem\n"
           "               mode takes a list (--zeros=iid,channels,spatial): each pattern is timed on the\n"
           "               same primitives in turn, one row each, the pattern in the row's name.\n"
           "  --mask=on|off  (--net) BWD-data with the fused ReLU mask where the mapping's bwd_d_mask column\n"
           "               says so, against oneDNN bwd_d + ReLU backward where the mask replaces it (default on).\n"
           "  --relu-mask=S  (problems, bwd_d) backward data with the ReLU mask, src a ReLU output with zeros\n"
           "               at S, against oneDNN bwd_d + oneDNN ReLU backward (--sparsity: of diff_dst).\n";
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

std::vector<std::string> split_list(const std::string &flag, const std::string &v) {
    std::vector<std::string> out;
    std::stringstream ss(v);
    std::string one;
    while (std::getline(ss, one, ','))
        if (!one.empty()) out.push_back(one);
    if (out.empty()) throw error(flag + "=" + v + ": empty list");
    return out;
}

// `parse(v)`, its error replaced by "FLAG=V: expected EXPECTED" (the flag's own words).
template <typename Parse>
auto parse_value(const std::string &flag, const std::string &v, const char *expected, Parse parse) {
    try {
        return parse(v);
    } catch (const error &) {
        throw error(flag + "=" + v + ": expected " + expected);
    }
}

} // namespace

run_mode options::mode() const {
    if (replay) return run_mode::replay;
    if (sweep) return run_mode::sweep;
    if (!nets.empty()) return run_mode::network;
    return run_mode::problems;
}

options parse_options(int argc, char **argv) {
    options o;
    bool reps_given = false, warmup_given = false, out_given = false, no_out = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        std::string v;
        if (a == "-h" || a == "--help") {
            o.help = true;
        } else if (take(a, "--dir", v)) {
            if (v == "all") o.dirs = {direction::fwd, direction::bwd_d, direction::bwd_w};
            else {
                o.dirs.clear();
                for (const auto &one : split_list("--dir", v)) o.dirs.push_back(direction_from_string(one));
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
            reps_given = true;
        } else if (take(a, "--warmup", v)) {
            o.warmup = (int)to_long("--warmup", v);
            if (o.warmup < 0) throw error("--warmup=" + v + ": must not be negative");
            warmup_given = true;
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
            else if (v == "deterministic") o.dispatch = dispatch_mode::deterministic;
            else throw error("--dispatch=" + v + ": expected auto, sparse, dense or deterministic");
        } else if (take(a, "--baseline", v)) {
            o.base = parse_value("--baseline", v, "direct or fastest", baseline_from_string);
        } else if (take(a, "--layout", v)) {
            if (v == "nchw16c" || v == "nChw16c") o.layout = act_format::nChw16c;
            else if (v == "nhwc") o.layout = act_format::nhwc;
            else if (v == "both") o.both_layouts = true;
            else throw error("--layout=" + v + ": expected nchw16c, nhwc or both");
        } else if (take(a, "--net", v)) {
            for (const auto &n : split_list("--net", v)) {
                try {
                    find_network(n);
                } catch (const error &e) {
                    throw error(std::string("--net: ") + e.what());
                }
                o.nets.push_back(n);
            }
        } else if (take(a, "--profile", v)) {
            o.profile = parse_value("--profile", v, "final, epoch1, epoch10 or mean", profile_from_string);
        } else if (take(a, "--layers", v)) {
            o.layers = split_list("--layers", v);
        } else if (a == "--sweep") {
            o.sweep = true;
        } else if (a == "--replay" || take(a, "--replay", v)) {
            if (a != "--replay" && v.empty()) throw error("--replay=: expected a capture folder (or --replay alone)");
            o.replay = true;
            o.replay_dir = v;
        } else if (take(a, "--out", v)) {
            if (v.empty()) throw error("--out=: expected a folder (--no-out writes no files)");
            o.out_dir = v;
            out_given = true;
        } else if (a == "--no-out") {
            no_out = true;
        } else if (take(a, "--data", v)) {
            o.data_dir = v;
        } else if (take(a, "--zeros", v)) {
            o.zeros.clear();
            for (const auto &one : split_list("--zeros", v)) {
                try {
                    o.zeros.push_back(zero_pattern_from_string(one));
                } catch (const error &) {
                    throw error("--zeros=" + v + ": expected iid, channels or spatial (a list in the problem mode)");
                }
            }
        } else if (take(a, "--mask", v)) {
            if (v != "on" && v != "off") throw error("--mask=" + v + ": expected on or off");
            o.net_mask = v == "on";
        } else if (take(a, "--relu-mask", v)) {
            o.relu_mask = to_double("--relu-mask", v);
            if (!(o.relu_mask >= 0 && o.relu_mask <= 1)) throw error("--relu-mask=" + v + ": expected a sparsity in [0, 1]");
        } else if (a == "--denormals") {
            o.denormals = true;
        } else if (a == "--no-check") {
            o.check = false;
        } else if (a == "--no-progress") {
            o.progress = false;
        } else if (a.rfind("--", 0) == 0) {
            throw error("unknown option " + a + " (--help lists the options)");
        } else {
            o.problems.push_back(a);
        }
    }
    if (o.denormals && o.mode() != run_mode::problems) throw error("--denormals applies to problems, not --net / --sweep");
    if (o.both_layouts && o.mode() != run_mode::problems) throw error("--layout=both applies to problems, not --net / --sweep");
    if (o.zeros.size() > 1 && o.mode() != run_mode::problems)
        throw error("--zeros: a list of patterns applies to problems, not --net / --sweep");
    if (o.relu_mask >= 0 && o.mode() != run_mode::problems) throw error("--relu-mask applies to problems (--net: --mask)");
    if (o.relu_mask >= 0 && (o.dirs.size() != 1 || o.dirs[0] != direction::bwd_d))
        throw error("--relu-mask needs --dir=bwd_d");
    if (o.sweep && !o.nets.empty()) throw error("--sweep takes problems (or none for the default), not --net");
    if (!o.nets.empty() && (!o.problems.empty() || !o.batch_files.empty()))
        throw error("--net runs the network's own layers; drop the problems / --batch");
    if (!o.layers.empty() && o.nets.size() != 1) throw error("--layers needs exactly one --net");
    if (o.replay && (o.sweep || !o.nets.empty() || !o.problems.empty() || !o.batch_files.empty() || o.denormals))
        throw error("--replay times the captured layers; drop --net / --sweep / problems / --batch / --denormals");
    if (o.replay && o.mb_given) throw error("--replay runs the captured batch; drop --mb");
    if (out_given && no_out) throw error("--out and --no-out contradict each other");
    const run_mode m = o.mode();
    if (!reps_given) o.reps = m == run_mode::problems ? 10 : 5;
    if (!warmup_given) o.warmup = m == run_mode::problems ? 2 : 1;
    if (!out_given && !no_out && m != run_mode::problems) o.out_dir = "sparsetrain-bench-out";
    if (no_out) o.out_dir.clear();
    return o;
}

std::vector<problem_t> collect_problems(const options &o) {
    std::vector<problem_t> out;
    for (const auto &e : collect_problem_entries(o)) {
        if (!e.error.empty()) throw error(e.error);
        out.push_back(e.prob);
    }
    return out;
}

std::vector<problem_entry> collect_problem_entries(const options &o) {
    std::vector<std::string> strings = o.problems;
    for (const auto &f : o.batch_files) {
        std::ifstream in(f);
        if (!in) throw error("--batch=" + f + ": cannot open");
        std::ostringstream text;
        text << in.rdbuf();
        for (const auto &line : content_lines(text.str())) strings.push_back(line.text);
    }
    if (strings.empty()) {
        if (o.sweep) strings = {"mb16ic512ih28oc512oh28kh3ph1n\"vgg_16:conv4_2\""};
        else
            strings = {"mb16ic256ih28oc256oh28kh3ph1n\"3x3:256x28\"", "mb16ic128ih56oc128oh56kh3ph1n\"3x3:128x56\"",
                    "mb16ic256ih56oc64oh56kh1ph0n\"1x1:256to64x56\"",
                    "mb16ic1024ih14oc256oh14kh1ph0n\"1x1:1024to256x14\""};
    }
    std::vector<problem_entry> out;
    for (const auto &s : strings) {
        problem_entry e;
        e.text = s;
        try {
            e.prob = problem_t::parse(s, o.mb);
            if (o.mb_given) e.prob.mb = o.mb;
        } catch (const error &x) {
            e.error = x.what();
        }
        out.push_back(e);
    }
    return out;
}

timing_options timing_of(const options &o) {
    timing_options t;
    t.warmup = o.warmup;
    t.reps = o.reps;
    t.check = o.check;
    t.base = o.base;
    t.dispatch = o.dispatch;
    t.layout = o.layout;
    t.zeros = o.zeros.front();
    return t;
}

} // namespace bench
} // namespace sparsetrain
