// sparsetrain-bench --replay: the capture reader (format 1, perf/CAPTURE.md), the zero
// statistics and the shuffle, problem_bench on given data, a whole replay and its outputs, and
// the capture set shipped in perf/data/captures.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "bench/bench_options.hpp"
#include "bench/capture_file.hpp"
#include "bench/replay.hpp"
#include "bench/replay_report.hpp"
#include "bench/report.hpp"
#include "bench/text_util.hpp"
#include "common/cpu.hpp"
#include "sparsetrain/error.hpp"
#include "util/scratch_dir.hpp"

using namespace sparsetrain;
using namespace sparsetrain::bench;

namespace {

struct temp_dir : test::scratch_dir {
    temp_dir() : test::scratch_dir("sparsetrain-replay") {}
};

std::string f32_bytes(const std::vector<float> &v) {
    return std::string(reinterpret_cast<const char *>(v.data()), v.size() * sizeof(float));
}

std::string bitmap_bytes(const std::vector<float> &v) {
    std::string map((v.size() + 7) / 8, '\0'), vals;
    for (size_t i = 0; i < v.size(); ++i)
        if (v[i] != 0.f) {
            map[i / 8] = (char)(map[i / 8] | (1 << (i % 8)));
            vals += f32_bytes({v[i]});
        }
    return map + vals;
}

int64_t nonzeros(const std::vector<float> &v) { return std::count_if(v.begin(), v.end(), [](float x) { return x != 0.f; }); }

// Small integers (exact in any summation order) with whole channels dead and a dark region,
// the structure real ReLU outputs have.
std::vector<float> structured(int64_t n, int64_t c, int64_t hw, int seed) {
    std::vector<float> v((size_t)(n * c * hw));
    for (int64_t in = 0; in < n; ++in)
        for (int64_t ic = 0; ic < c; ++ic)
            for (int64_t p = 0; p < hw; ++p) {
                const bool dead = (ic + seed) % 3 == 0 || p < hw / 4;
                v[(size_t)((in * c + ic) * hw + p)] = dead ? 0.f : (float)(1 + (in + ic + p + seed) % 4);
            }
    return v;
}

// A capture with two layers (the first one's input needs no gradient), written as the Python
// side writes it; `edit` may break the manifest text.
struct toy_capture {
    temp_dir d;
    std::vector<float> src0, dd0, w0, src1, dd1;
    explicit toy_capture(const std::string &extra_line = "", bool bad_count = false) {
        const auto p0 = problem_t::parse("mb2ic16ih6oc16oh6kh3ph1"), p1 = problem_t::parse("mb2ic16ih6oc32oh3kh1sh2ph0");
        src0 = structured(2, 16, 36, 0);
        dd0 = structured(2, 16, 36, 1);
        w0.assign(16 * 16 * 9, 0.f);
        for (size_t i = 0; i < w0.size(); ++i) w0[i] = (float)((int)(i % 5) - 2);
        src1 = structured(2, 16, 36, 2);
        dd1 = structured(2, 32, 9, 3);
        d.write("a.src.bin", f32_bytes(src0));
        d.write("a.dd.bin", bitmap_bytes(dd0));
        d.write("a.w.bin", f32_bytes(w0));
        d.write("b.src.bin", bitmap_bytes(src1));
        d.write("b.dd.bin", bitmap_bytes(dd1));
        std::ostringstream m;
        m << "sparsetrain-capture 1\n# a comment\nsource toy test\n"
          << "layer conv0\nproblem " << p0.to_string() << "\nstep 3\nbias 1\ninput_grad 0\n"
          << "tensor src f32 2x16x6x6 " << nonzeros(src0) << " a.src.bin\n"
          << "tensor diff_dst bitmap_f32 2x16x6x6 " << nonzeros(dd0) + (bad_count ? 1 : 0) << " a.dd.bin\n"
          << "tensor weights f32 16x16x3x3 " << nonzeros(w0) << " a.w.bin\n"
          << "layer conv1\nproblem " << p1.to_string() << "\nstep 3\nbias 0\n"
          << "tensor src bitmap_f32 2x16x6x6 " << nonzeros(src1) << " b.src.bin\n"
          << "tensor diff_dst bitmap_f32 2x32x3x3 " << nonzeros(dd1) << " b.dd.bin\n"
          << extra_line;
        d.write("manifest.txt", m.str());
    }
};


} // namespace

TEST_CASE("capture: tensors decode from both encodings, sizes are checked", "[bench][replay]") {
    const std::vector<float> v {0.f, 1.5f, 0.f, -0.f, -2.f, 0.f, 0.f, 0.f, 0.f, 3.f};
    CHECK(decode_tensor(f32_bytes(v), "f32", 10, "t") == v);
    const auto b = decode_tensor(bitmap_bytes(v), "bitmap_f32", 10, "t");
    CHECK(b == v);
    CHECK_FALSE(std::signbit(b[3])); // -0 is stored as a zero bit and reads back as +0
    CHECK_THROWS_AS(decode_tensor(f32_bytes(v), "f32", 11, "t"), error);
    CHECK_THROWS_AS(decode_tensor(bitmap_bytes(v) + "x", "bitmap_f32", 10, "t"), error);
    CHECK_THROWS_AS(decode_tensor("", "bitmap_f32", 10, "t"), error);
    CHECK_THROWS_AS(decode_tensor(f32_bytes(v), "f16", 10, "t"), error);
}

TEST_CASE("capture: the manifest's layers, problems and tensors read back", "[bench][replay]") {
    toy_capture c;
    const auto set = read_capture(c.d.dir.string());
    CHECK(set.source == "toy test");
    REQUIRE(set.layers.size() == 2);
    const auto &a = set.layers[0], &b = set.layers[1];
    CHECK(a.name == "conv0");
    CHECK(a.prob.mb == 2);
    CHECK(a.step == 3);
    CHECK(a.bias);
    CHECK_FALSE(a.input_grad);
    CHECK(a.src == c.src0);
    CHECK(a.diff_dst == c.dd0);
    CHECK(a.weights == c.w0);
    CHECK(b.prob.sh == 2);
    CHECK_FALSE(b.bias);
    CHECK(b.input_grad); // the default
    CHECK(b.weights.empty());
    CHECK(b.diff_dst == c.dd1);
}

TEST_CASE("capture: bad manifests name the file, line and field", "[bench][replay]") {
    auto fails_with = [](const toy_capture &c, const std::string &needle) {
        try {
            read_capture(c.d.dir.string());
        } catch (const error &e) {
            INFO(e.what());
            CHECK(std::string(e.what()).find(needle) != std::string::npos);
            return;
        }
        FAIL("no error for " << needle);
    };
    fails_with(toy_capture("frobnicate 1\n"), "unknown record 'frobnicate'");
    fails_with(toy_capture("tensor src f32 2x16x6x6 3 a.src.bin\n"), "given twice");
    fails_with(toy_capture("layer conv2\nproblem mb2ic16ih6oc16oh6kh3ph1\nstep 1\ntensor src f32 2x16x6x7 0 a.src.bin\n"),
            "do not match the problem");
    fails_with(toy_capture("layer conv2\nproblem mb2ic16ih6oc16oh6kh3ph1\nstep 1\n"), "no src tensor");
    fails_with(toy_capture("layer conv2\nstep 1\ntensor src f32 2x16x6x6 0 a.src.bin\n"), "before the layer's problem");
    fails_with(toy_capture("bias 2\n"), "bias must be 0 or 1");
    fails_with(toy_capture("", true), "non-zeros, the manifest says");
    fails_with(toy_capture("layer conv2\nproblem mb2ic16ih6oc16oh6kh3ph1\nstep 1\ntensor src f32 2x16x6x6 0 missing.bin\n"),
            "cannot open");
    toy_capture wrong_version;
    wrong_version.d.write("manifest.txt", "sparsetrain-capture 2\n");
    fails_with(wrong_version, "first line must be 'sparsetrain-capture 1'");
    CHECK_THROWS_AS(read_capture("/nonexistent-capture"), error);
}

TEST_CASE("replay: zero structure, and a shuffle that keeps values and sparsity", "[bench][replay]") {
    // 2 images x 32 channels x 2x2: channel block 0 all zero at every pixel of image 0.
    std::vector<float> v(2 * 32 * 4, 1.f);
    for (int c = 0; c < 16; ++c)
        for (int p = 0; p < 4; ++p) v[c * 4 + p] = 0.f;
    for (int p = 0; p < 4; ++p) v[(32 + 20) * 4 + p] = 0.f; // image 1, channel 20: dead plane
    const auto z = measure_zeros(v, 2, 32, 2, 2);
    CHECK(z.zeros == Approx(68.0 / 256));
    CHECK(z.zero_vectors == Approx(4.0 / 16));
    CHECK(z.dead_planes == Approx(17.0 / 64));
    CHECK(z.dead_channels == 0); // no channel is zero in both images

    const auto s = shuffled(v, 5);
    CHECK(s != v);
    CHECK(s == shuffled(v, 5));
    auto a = v, b = s;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    CHECK(a == b);
    const auto real = structured(4, 64, 49, 0);
    const auto zr = measure_zeros(real, 4, 64, 7, 7), zs = measure_zeros(shuffled(real, 1), 4, 64, 7, 7);
    CHECK(zr.zeros == zs.zeros);
    CHECK(zr.dead_planes > 0.3);
    CHECK(zs.dead_planes == 0);
    CHECK(zs.zero_vectors < zr.zero_vectors);
}

TEST_CASE("problem_bench::load_plain: given tensors, checked against oneDNN, sizes checked", "[bench][replay]") {
    const auto p = problem_t::parse("mb2ic16ih6oc16oh6kh3ph1");
    const auto src = structured(2, 16, 36, 0), dd = structured(2, 16, 36, 1);
    std::vector<float> w(16 * 16 * 9, 1.f), bias(16, 0.5f);
    for (direction d : {direction::fwd, direction::bwd_d, direction::bwd_w}) {
        INFO(to_string(d));
        problem_bench b(p, d, dispatch_mode::sparse);
        b.load_plain(src, w, bias, dd);
        const auto m = b.run(0, 1, true);
        CHECK(m.check_ok);
        CHECK(m.sparsity_actual == measure_zeros(d == direction::bwd_d ? dd : src, 2, 16, 6, 6).zeros);
        // Forced sparse runs the kernels; without AVX-512 (or capped) the dense fallback.
        CHECK(m.ours[0].ran == (max_isa() >= cpu_isa::avx512_core ? "sparse" : "dense"));
        CHECK_THROWS_AS(b.load_plain(std::vector<float>(5), w, bias, dd), error);
    }
}

TEST_CASE("replay: every layer and direction on real and shuffled zeros, totals, CSV and JSON", "[bench][replay]") {
    toy_capture c;
    const auto set = read_capture(c.d.dir.string());
    progress prog(std::cerr, 10, 1, false);
    const auto r = run_replay(set, {direction::fwd, direction::bwd_d, direction::bwd_w}, test::quick_timing(), prog);
    REQUIRE(r.rows.size() == 5); // conv0 has no bwd_d (input_grad 0)
    CHECK(r.rows[0].initial);
    CHECK(r.rows[0].dir == direction::fwd);
    CHECK(r.rows[1].dir == direction::bwd_w);
    CHECK(r.rows[4].random_weights);
    for (const auto &row : r.rows) {
        INFO(row.layer->name << " " << to_string(row.dir));
        CHECK(row.real.check_ok);
        CHECK(row.shuffled.check_ok);
        CHECK(row.real.sparsity_actual == row.shuffled.sparsity_actual);
        CHECK(row.real_zeros.zeros == row.shuffled_zeros.zeros);
        CHECK(row.real_zeros.dead_planes > row.shuffled_zeros.dead_planes);
        CHECK(row.real.dense_ms > 0);
        CHECK(row.shuffled.sparse_ms > 0);
        CHECK(row.real_vs_shuffled() > 0);
    }
    temp_dir out;
    write_replay_csv(out.path("r.csv"), r);
    write_replay_json(out.path("r.json"), r);
    std::ifstream in(out.path("r.csv"));
    std::string line;
    std::vector<std::vector<std::string>> rows;
    while (std::getline(in, line)) rows.push_back(split_csv(line));
    REQUIRE(rows.size() == 6);
    CHECK(rows[0] == split_csv(replay_csv_header()));
    for (const auto &row : rows) CHECK(row.size() == rows[0].size());
    CHECK(rows[1][split_csv(csv_header()).size()] == "conv0"); // the first column after the per-problem ones
    std::ifstream js(out.path("r.json"));
    std::ostringstream text;
    text << js.rdbuf();
    const std::string j = text.str();
    CHECK(j.find("\"replay\": {") != std::string::npos);
    CHECK(std::count(j.begin(), j.end(), '{') == std::count(j.begin(), j.end(), '}'));
    CHECK(std::count(j.begin(), j.end(), '[') == std::count(j.begin(), j.end(), ']'));
    CHECK(j.find("\"scope\": \"non_initial\", \"dir\": \"step\"") != std::string::npos);
    std::ostringstream table;
    print_replay_table(table, r);
    print_replay_totals(table, r);
    CHECK(table.str().find("conv0@3 (first)") != std::string::npos);
}

TEST_CASE("replay options: --replay with and without a folder, conflicts", "[bench][replay]") {
    auto parse = [](std::vector<std::string> args) {
        args.insert(args.begin(), "sparsetrain-bench");
        std::vector<char *> argv;
        for (auto &a : args) argv.push_back(a.data());
        return parse_options((int)argv.size(), argv.data());
    };
    const auto o = parse({"--replay"});
    CHECK(o.mode() == run_mode::replay);
    CHECK(o.replay_dir.empty());
    CHECK(o.reps == 5);
    CHECK(o.warmup == 1);
    CHECK(o.out_dir == "sparsetrain-bench-out");
    CHECK(parse({"--replay=some/dir", "--dir=fwd"}).replay_dir == "some/dir");
    for (const auto &bad : std::vector<std::vector<std::string>> {{"--replay="}, {"--replay", "--net=vgg16"},
                 {"--replay", "--sweep"}, {"--replay", "--mb=4"}, {"--replay", "ic16ih8oc16oh8kh3ph1"}})
        CHECK_THROWS_AS(parse(bad), error);
}

TEST_CASE("replay: the shipped capture set reads and is found by default", "[bench][replay]") {
    const std::string dir = default_capture_dir();
    CHECK(std::filesystem::equivalent(std::filesystem::path(dir).parent_path(),
            std::filesystem::path(SPARSETRAIN_PERF_DATA_DIR) / "captures"));
    const auto set = read_capture(dir);
    REQUIRE(set.layers.size() >= 5);
    int64_t bytes = 0;
    for (const auto &e : std::filesystem::directory_iterator(dir)) bytes += (int64_t)e.file_size();
    CHECK(bytes < 5'000'000); // a few MB at most
    for (const auto &l : set.layers) {
        INFO(l.name);
        CHECK(l.prob.mb == 8);
        const auto z = measure_zeros(l.src, l.prob.mb, l.prob.ic, l.prob.ih, l.prob.iw);
        if (l.input_grad) CHECK(z.zeros > 0.2); // a ReLU's output
    }
}

TEST_CASE("replay on nhwc activations: the same rows, checked against oneDNN on nhwc", "[bench][replay]") {
    toy_capture c;
    const auto set = read_capture(c.d.dir.string());
    auto t = test::quick_timing();
    t.layout = act_format::nhwc;
    progress prog(std::cerr, 10, 1, false);
    const auto r = run_replay(set, {direction::fwd, direction::bwd_d, direction::bwd_w}, t, prog);
    REQUIRE(r.rows.size() == 5);
    for (const auto &row : r.rows) {
        INFO(row.layer->name << " " << to_string(row.dir));
        CHECK(row.real.check_ok);
        CHECK(row.shuffled.check_ok);
    }
    std::ostringstream table;
    print_replay_table(table, r);
    CHECK(table.str().find("nhwc activations") != std::string::npos);
}
