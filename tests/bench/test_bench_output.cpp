// The benchmark's command line, its CSV / JSON outputs (well formed, one record per result)
// and small end-to-end runs of the machinery (outputs checked against oneDNN; no timing checks).
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <unistd.h>

#include "bench/bench_options.hpp"
#include "bench/net_report.hpp"
#include "bench/plot.hpp"
#include "bench/report.hpp"
#include "bench/sweep.hpp"
#include "bench/text_util.hpp"
#include "sparsetrain/error.hpp"
#include "util/scratch_dir.hpp"

using namespace sparsetrain;
using namespace sparsetrain::bench;

namespace {

// A strict JSON reader, enough to check well-formedness and read fields back.
struct json {
    enum kind_t { null, boolean, number, string, array, object } kind = null;
    double num = 0;
    bool b = false;
    std::string str;
    std::vector<json> items;
    std::vector<std::pair<std::string, json>> fields;
    const json &operator[](const std::string &k) const {
        for (const auto &f : fields)
            if (f.first == k) return f.second;
        throw std::runtime_error("no field " + k);
    }
};

struct json_reader {
    const std::string &s;
    size_t i = 0;
    [[noreturn]] void fail(const char *why) { throw std::runtime_error(std::string(why) + " at " + std::to_string(i)); }
    void ws() {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r')) ++i;
    }
    bool lit(const char *l) {
        const std::string t = l;
        if (s.compare(i, t.size(), t) != 0) return false;
        i += t.size();
        return true;
    }
    std::string str() {
        if (s[i] != '"') fail("expected string");
        std::string r;
        for (++i; i < s.size() && s[i] != '"'; ++i) {
            if ((unsigned char)s[i] < 0x20) fail("raw control character in string");
            if (s[i] != '\\') { r += s[i]; continue; }
            ++i;
            if (i >= s.size()) fail("bad escape");
            const char e = s[i];
            if (e == 'u') {
                if (i + 4 >= s.size()) fail("bad \\u");
                r += (char)std::stoi(s.substr(i + 1, 4), nullptr, 16);
                i += 4;
            } else if (std::string("\"\\/bfnrt").find(e) != std::string::npos) {
                r += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e == 'b' ? '\b' : e == 'f' ? '\f' : e;
            } else {
                fail("bad escape");
            }
        }
        if (i >= s.size()) fail("unterminated string");
        ++i;
        return r;
    }
    // The comma-separated items of an object or array, s[i] at its opening bracket: item()
    // reads one; stops after `close`.
    template <class Item>
    void list(char close, Item item) {
        ++i;
        ws();
        if (s[i] == close) { ++i; return; }
        for (;;) {
            item();
            ws();
            if (s[i] == ',') { ++i; continue; }
            if (s[i] == close) { ++i; return; }
            fail(close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
    json value() {
        ws();
        json v;
        if (i >= s.size()) fail("unexpected end");
        if (s[i] == '{') {
            v.kind = json::object;
            list('}', [&] {
                ws();
                std::string k = str();
                ws();
                if (s[i++] != ':') fail("expected ':'");
                v.fields.push_back({k, value()});
            });
            return v;
        }
        if (s[i] == '[') {
            v.kind = json::array;
            list(']', [&] { v.items.push_back(value()); });
            return v;
        }
        if (s[i] == '"') {
            v.kind = json::string;
            v.str = str();
            return v;
        }
        if (lit("null")) return v;
        if (lit("true") || lit("false")) {
            v.kind = json::boolean;
            v.b = s[i - 1] == 'e' && s[i - 2] == 'u';
            return v;
        }
        const size_t b = i;
        if (s[i] == '-') ++i;
        if (i >= s.size() || !std::isdigit((unsigned char)s[i])) fail("bad value");
        while (i < s.size() && (std::isdigit((unsigned char)s[i]) || s[i] == '.' || s[i] == 'e' || s[i] == 'E'
                       || s[i] == '+' || s[i] == '-'))
            ++i;
        v.kind = json::number;
        v.num = std::stod(s.substr(b, i - b));
        return v;
    }
};

json parse_json(const std::string &text) {
    json_reader r {text};
    json v = r.value();
    r.ws();
    if (r.i != text.size()) throw std::runtime_error("trailing characters");
    return v;
}

std::string slurp(const std::string &path) {
    std::ifstream in(path);
    std::ostringstream os;
    os << in.rdbuf();
    return os.str();
}

// Every record has as many fields as the header; returns the records (header first).
std::vector<std::vector<std::string>> read_csv(const std::string &path) {
    std::vector<std::vector<std::string>> rows;
    std::istringstream in(slurp(path));
    std::string line;
    while (std::getline(in, line)) rows.push_back(split_csv(line));
    REQUIRE(!rows.empty());
    for (const auto &r : rows) CHECK(r.size() == rows[0].size());
    return rows;
}

// A scratch folder; `d / "f"` is the path of its file f.
struct scratch_dir : test::scratch_dir {
    scratch_dir() : test::scratch_dir("sparsetrain-bench-out") {}
    std::string operator/(const std::string &f) const { return path(f); }
};

options parse(std::vector<std::string> args) {
    args.insert(args.begin(), "sparsetrain-bench");
    std::vector<char *> argv;
    for (auto &a : args) argv.push_back(&a[0]);
    return parse_options((int)argv.size(), argv.data());
}

// A three-layer network in its own data folder: a first layer, a "*2" entry whose occurrences
// share their input sparsity but not their gradient's, and a strided 1x1.
struct toy_network {
    scratch_dir d;
    network_info net {"toy", "Toy", "shapes/toy", "mapping/toy.csv", "vgg16", 3};
    toy_network() {
        std::filesystem::create_directories(d.dir / "shapes");
        std::filesystem::create_directories(d.dir / "mapping");
        std::filesystem::copy_file(std::string(SPARSETRAIN_PERF_DATA_DIR) + "/relu-sparsity-profiles.csv",
                d / "relu-sparsity-profiles.csv");
        std::ofstream(d / "shapes/toy") << "ic3ih8oc16oh8kh3ph1n\"toy:first\"\n"
                                           "ic16ih8oc16oh8kh3ph1n\"toy:body*2\"\n"
                                           "ic16ih8oc32oh4kh1sh2ph0n\"toy:down\"\n";
        std::ofstream(d / "mapping/toy.csv") << "shape,occurrence,layer,src_sparsity,diff_dst_sparsity,note\n"
                                                "first,1,first,dense,not_needed,\n"
                                                "body,1,body_a,row:conv0,row:conv1,\"a note, with a comma\"\n"
                                                "body,2,body_b,row:conv0,pool:conv1,\n"
                                                "down,1,down,row:conv1,dense,\n";
    }
    data_source source() const { return {d.dir.string()}; }
};


} // namespace

TEST_CASE("bench options: modes, their defaults, errors", "[bench]") {
    const auto plain = parse({});
    CHECK(plain.mode() == run_mode::problems);
    CHECK(plain.reps == 10);
    CHECK(plain.warmup == 2);
    CHECK(plain.out_dir.empty());
    CHECK(collect_problems(plain).size() == 4);

    const auto net = parse({"--net=vgg16"});
    CHECK(net.mode() == run_mode::network);
    CHECK(net.nets == std::vector<std::string> {"vgg16"});
    CHECK(net.mb == 16);
    CHECK(net.reps == 5);
    CHECK(net.warmup == 1);
    CHECK(net.profile == profile_kind::final_epoch);
    CHECK(net.base == baseline::direct);
    CHECK(net.out_dir == "sparsetrain-bench-out");
    CHECK(net.dirs.size() == 3);
    CHECK(net.layout == act_format::nChw16c);
    CHECK(timing_of(parse({"--layout=nhwc"})).layout == act_format::nhwc);
    CHECK(parse({"--sweep", "--layout=nchw16c"}).layout == act_format::nChw16c);
    CHECK(parse({"--layout=both"}).both_layouts);
    CHECK_THROWS_AS(parse({"--net=vgg16", "--layout=both"}), error);

    const auto more = parse({"--net=resnet50,fixup_resnet50", "--profile=epoch10", "--baseline=fastest", "--mb=2",
            "--reps=1", "--warmup=0", "--out=dir", "--dir=fwd,bwd_w"});
    CHECK(more.nets.size() == 2);
    CHECK(more.profile == profile_kind::epoch10);
    CHECK(more.base == baseline::fastest);
    CHECK(more.mb == 2);
    CHECK(more.reps == 1);
    CHECK(more.warmup == 0);
    CHECK(more.out_dir == "dir");
    CHECK(more.dirs == std::vector<direction> {direction::fwd, direction::bwd_w});
    CHECK(parse({"--net=vgg16", "--no-out"}).out_dir.empty());

    const auto sw = parse({"--sweep", "--dir=bwd_d"});
    CHECK(sw.mode() == run_mode::sweep);
    CHECK(sw.reps == 5);
    REQUIRE(collect_problems(sw).size() == 1);
    CHECK(collect_problems(sw)[0].name == "vgg_16:conv4_2");
    CHECK(collect_problems(parse({"--sweep", "--mb=4", "ic16ih8oc16oh8kh3ph1"}))[0].mb == 4);

    for (const auto &bad : std::vector<std::vector<std::string>> {{"--net=alexnet"}, {"--net=vgg16", "--profile=last"},
                 {"--baseline=winograd"}, {"--sweep", "--net=vgg16"}, {"--layers=conv5_1"},
                 {"--net=vgg16", "--out=x", "--no-out"}, {"--net=vgg16", "ic16ih8oc16oh8kh3ph1"}, {"--frobnicate"},
                 {"--reps=0"}, {"--out="}, {"--net="}, {"--layout=nchw"}})
        CHECK_THROWS_AS(parse(bad), error);
}

TEST_CASE("text helpers: CSV quoting round trip, JSON escapes and numbers, file names", "[bench]") {
    const std::vector<std::string> fields {"plain", "a,b", "say \"hi\"", "", "x\ny"};
    std::string line;
    for (const auto &f : fields) line += (line.empty() ? "" : ",") + csv_quote(f);
    CHECK(split_csv(line) == fields);
    CHECK_THROWS_AS(split_csv("\"open"), error);
    CHECK(json_escape("a\"b\\c\n\x01") == "a\\\"b\\\\c\\u000a\\u0001");
    CHECK(parse_json("\"" + json_escape("a\"b\\c\n\x01") + "\"").str == "a\"b\\c\n\x01");
    CHECK(json_number(NAN) == "null");
    CHECK(json_number(INFINITY) == "null");
    CHECK(json_number(1.5, 2) == "1.50");
    CHECK(file_safe("vgg_16:conv4_2 x/y") == "vgg_16_conv4_2_x_y");
    CHECK(shell_quote("it's") == "'it'\\''s'");
}

TEST_CASE("problem_bench: one sparsetrain side per dispatch mode, outputs equal oneDNN's", "[bench]") {
    const auto p = problem_t::parse("mb2ic16ih6oc32oh6kh3ph1n\"tiny\"");
    for (direction d : {direction::fwd, direction::bwd_d, direction::bwd_w}) {
        INFO(to_string(d));
        problem_bench b(p, d, {dispatch_mode::sparse, dispatch_mode::automatic, dispatch_mode::dense});
        for (double s : {0.0, 0.6}) {
            b.fill(s, 7);
            const auto m = b.run(1, 2, true);
            CHECK(m.checked);
            CHECK(m.check_ok);
            CHECK(m.sparsity == s);
            CHECK(std::fabs(m.sparsity_actual - s) < 0.1);
            REQUIRE(m.ours.size() == 3);
            CHECK(m.ours[0].mode == dispatch_mode::sparse);
            CHECK(m.ours[1].mode == dispatch_mode::automatic);
            CHECK(m.ours[2].ran == "dense"); // dispatch_mode::dense runs oneDNN
            CHECK(m.sparse_ms == m.ours[0].ms);
            for (const auto &o : m.ours) CHECK(o.ms > 0);
        }
    }
    SECTION("the fastest baseline labels each oneDNN variant") {
        problem_bench b(p, direction::fwd, dispatch_mode::sparse, baseline::fastest);
        b.fill(0.5, 3);
        const auto m = b.run(0, 1, true);
        CHECK(m.check_ok);
        const auto &l = m.dense_impl;
        CHECK((l.rfind("direct:", 0) == 0 || l.rfind("wino:", 0) == 0 || l.rfind("nhwc:", 0) == 0));
    }
    SECTION("per-problem CSV and JSON") {
        scratch_dir out;
        problem_bench b(p, direction::bwd_w, dispatch_mode::sparse);
        b.fill(0.3, 1);
        auto m = b.run(0, 1, true);
        m.sparse_impl = "odd \"name\", with comma"; // quoting is exercised
        write_csv(out / "r.csv", {m, m});
        const auto rows = read_csv(out / "r.csv");
        CHECK(rows.size() == 3);
        CHECK(rows[0] == split_csv(csv_header()));
        CHECK(rows[1][5] == m.sparse_impl);
        write_json(out / "r.json", {m, m});
        const auto j = parse_json(slurp(out / "r.json"));
        CHECK(j["results"].items.size() == 2);
        CHECK(j["results"].items[0]["sparse_impl"].str == m.sparse_impl);
    }
}

TEST_CASE("network run: every task timed and checked, totals, CSV / JSON / plot data", "[bench]") {
    toy_network toy;
    const auto plan = make_net_plan(toy.net, profile_kind::final_epoch, 2, toy.source());
    // first: fwd, bwd_w; body: fwd (both occurrences share conv0's sparsity), bwd_d x2, bwd_w; down: 3
    REQUIRE(plan.tasks.size() == 9);
    progress quiet(std::cerr, (int)plan.tasks.size(), 1, false);
    const auto r = run_network(plan, test::quick_timing(), quiet);
    REQUIRE(r.results.size() == plan.tasks.size());
    for (size_t i = 0; i < r.results.size(); ++i) {
        INFO(plan.tasks[i].shape << " " << to_string(plan.tasks[i].dir));
        CHECK(r.results[i].check_ok);
        CHECK(r.results[i].dir == plan.tasks[i].dir);
        CHECK(std::fabs(r.results[i].sparsity_actual - plan.tasks[i].sparsity) < 0.1);
    }
    const auto t = compute_totals(plan.tasks, r.results);
    CHECK(r.totals.step(true).dense_ms == Approx(t.step(true).dense_ms));
    CHECK(r.totals.step(false).sparse_ms == Approx(t.step(false).sparse_ms));

    scratch_dir out;
    write_net_csv(out / "n.csv", {r, r});
    const auto rows = read_csv(out / "n.csv");
    CHECK(rows.size() == 1 + 2 * plan.tasks.size());
    CHECK(rows[0] == split_csv(net_csv_header()));
    const auto hdr = split_csv(csv_header());
    for (size_t k = 0; k < hdr.size(); ++k) CHECK(rows[0][k] == hdr[k]); // starts with the per-problem columns
    write_net_totals_csv(out / "t.csv", {r});
    const auto trows = read_csv(out / "t.csv");
    CHECK(trows.size() == 1 + 2 * 4); // {non_initial, all_layers} x {fwd, bwd_d, bwd_w, step}
    write_net_json(out / "n.json", {r});
    const auto j = parse_json(slurp(out / "n.json"));
    const auto &n0 = j["networks"].items.at(0);
    CHECK(n0["network"].str == "toy");
    CHECK(n0["tasks"].items.size() == plan.tasks.size());
    CHECK(n0["occurrences"].items.size() == 4);
    CHECK(n0["occurrences"].items[0]["bwd_d"]["run"].b == false);
    CHECK(n0["occurrences"].items[1]["fwd"]["run"].b == true);
    CHECK(n0["totals"].items.size() == 8);
    double sum = 0;
    for (const auto &task : n0["tasks"].items)
        if (task["dir"].str == "fwd") sum += task["dense_ms"].num * task["occurrences"].num;
    CHECK(sum == Approx(r.totals.dir(direction::fwd, true).dense_ms).epsilon(1e-3));

    const auto data = network_plot_data(r);
    std::istringstream in(data);
    std::string line;
    int lines = 0;
    while (std::getline(in, line))
        if (line[0] != '#') ++lines;
    CHECK(lines == 4);
    CHECK(data.find("\"first (first)\" ") != std::string::npos);
    CHECK(data.find(" - ") != std::string::npos); // the first layer's bwd_d is not run
    CHECK(network_plot_script("toy", r).find("toy.png") != std::string::npos);

    std::ostringstream table;
    print_net_table(table, r);
    print_net_totals(table, r);
    CHECK(table.str().find("step (fwd+bwd_d+bwd_w)") != std::string::npos);
}

TEST_CASE("sweep: twenty sparsities, forced sparse and automatic beside oneDNN, outputs", "[bench]") {
    const auto p = problem_t::parse("mb1ic16ih6oc16oh6kh3ph1n\"sweep toy\"");
    progress quiet(std::cerr, 20, 1, false);
    const auto r = run_sweep(p, direction::bwd_d, test::quick_timing(), quiet);
    REQUIRE(r.points.size() == 20);
    for (size_t i = 0; i < r.points.size(); ++i) {
        const auto &pt = r.points[i];
        CHECK(pt.m.sparsity == Approx(0.05 * i));
        CHECK(pt.bound() == Approx(1 / (1 - 0.05 * i)));
        REQUIRE(pt.m.ours.size() == 2);
        CHECK(pt.m.ours[0].mode == dispatch_mode::sparse);
        CHECK(pt.m.ours[1].mode == dispatch_mode::automatic);
        CHECK(pt.m.check_ok);
        CHECK(pt.auto_vs_best() == Approx(pt.auto_ms() / std::min(pt.m.dense_ms, pt.sparse_ms())));
    }
    scratch_dir out;
    write_sweep_csv(out / "s.csv", {r});
    const auto rows = read_csv(out / "s.csv");
    CHECK(rows.size() == 21);
    CHECK(rows[0] == split_csv(sweep_csv_header()));
    write_sweep_json(out / "s.json", {r, r});
    const auto j = parse_json(slurp(out / "s.json"));
    CHECK(j["sweeps"].items.size() == 2);
    CHECK(j["sweeps"].items[0]["points"].items.size() == 20);
    CHECK(j["sweeps"].items[0]["name"].str == "sweep toy");
}
