// Whole-network plans: which profile row each conv occurrence gets in each direction, the
// distinct tasks and their occurrence weights, and the weighted totals.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <tuple>
#include <unistd.h>

#include "bench/net_plan.hpp"
#include "sparsetrain/error.hpp"
#include "util/scratch_dir.hpp"

using namespace sparsetrain;
using namespace sparsetrain::bench;

namespace {

const int FWD = (int)direction::fwd, BWD_D = (int)direction::bwd_d, BWD_W = (int)direction::bwd_w;

std::map<std::string, conv_occurrence> by_layer(const net_plan &p) {
    std::map<std::string, conv_occurrence> m;
    for (const auto &c : p.occurrences) m[c.layer] = c;
    return m;
}

double row(const std::string &net, const std::string &ref, profile_kind k = profile_kind::final_epoch) {
    static const auto p = sparsity_profiles::parse(data_source().read("relu-sparsity-profiles.csv"));
    return p.row(net, ref).at(k);
}

// A scratch copy of perf/data that a test may edit.
struct data_copy : test::scratch_dir {
    data_copy() : test::scratch_dir("sparsetrain-bench-test") {
        std::filesystem::copy(SPARSETRAIN_PERF_DATA_DIR, dir, std::filesystem::copy_options::recursive);
    }
    data_source source() const { return {dir.string()}; }
};

std::string replace_line(const std::string &text, const std::string &from, const std::string &to) {
    const auto pos = text.find(from);
    REQUIRE(pos != std::string::npos);
    return text.substr(0, pos) + to + text.substr(pos + from.size());
}

} // namespace

TEST_CASE("net plan VGG16: inputs from the previous ReLU or pool, gradients from the own ReLU", "[bench]") {
    const auto plan = make_net_plan(find_network("vgg16"), profile_kind::final_epoch, 16, data_source());
    REQUIRE(plan.occurrences.size() == 13);
    auto L = by_layer(plan);
    // The first layer: the image is dense; its BWD-data is not run.
    CHECK(L["conv1_1"].initial);
    CHECK(L["conv1_1"].sparsity[FWD] == 0.0);
    CHECK_FALSE(L["conv1_1"].runs[BWD_D]);
    CHECK(L["conv1_1"].runs[BWD_W]);
    // FWD and BWD-W read the conv's input: the previous ReLU, or the pool after it.
    const std::vector<std::pair<std::string, std::string>> src = {{"conv1_2", "conv0"}, {"conv2_1", "pool0"},
            {"conv2_2", "conv2"}, {"conv3_1", "pool1"}, {"conv3_2", "conv4"}, {"conv3_3", "conv5"}, {"conv4_1", "pool2"},
            {"conv4_2", "conv7"}, {"conv4_3", "conv8"}, {"conv5_1", "pool3"}, {"conv5_2", "conv10"},
            {"conv5_3", "conv11"}};
    for (const auto &s : src) {
        INFO(s.first);
        CHECK(L[s.first].sparsity[FWD] == row("vgg16", s.second));
        CHECK(L[s.first].sparsity[BWD_W] == row("vgg16", s.second));
        CHECK_FALSE(L[s.first].initial);
    }
    // BWD-D: the own ReLU's output sparsity; at least 0.75 before a max-pool.
    const std::vector<std::tuple<std::string, std::string, bool>> grad = {{"conv1_2", "conv1", true},
            {"conv2_1", "conv2", false}, {"conv2_2", "conv3", true}, {"conv3_1", "conv4", false},
            {"conv3_2", "conv5", false}, {"conv3_3", "conv6", true}, {"conv4_1", "conv7", false},
            {"conv4_2", "conv8", false}, {"conv4_3", "conv9", true}, {"conv5_1", "conv10", false},
            {"conv5_2", "conv11", false}, {"conv5_3", "conv12", true}};
    for (const auto &g : grad) {
        INFO(std::get<0>(g));
        const double r = row("vgg16", std::get<1>(g));
        CHECK(L[std::get<0>(g)].sparsity[BWD_D] == (std::get<2>(g) ? std::max(0.75, r) : r));
    }
    CHECK(L["conv1_2"].sparsity[BWD_D] == 0.75); // conv1's ReLU (0.716) is below the pool floor
    // Occurrences of one "*N" entry keep their own rows.
    CHECK(L["conv5_1"].shape == "conv5_1");
    CHECK(L["conv5_3"].shape == "conv5_1");
    CHECK(L["conv5_3"].occurrence == 3);

    SECTION("another profile column") {
        const auto p1 = make_net_plan(find_network("vgg16"), profile_kind::epoch1, 16, data_source());
        CHECK(by_layer(p1)["conv4_3"].sparsity[FWD] == row("vgg16", "conv8", profile_kind::epoch1));
        CHECK(by_layer(p1)["conv4_3"].sparsity[FWD] != L["conv4_3"].sparsity[FWD]);
    }
}

TEST_CASE("net plan ResNets: per-occurrence rows, BatchNorm makes gradients dense, Fixup's are sparse", "[bench]") {
    SECTION("ResNet-50: res2a_branch1*4 = the shortcut and three branch2c convs, each its own row") {
        const auto plan = make_net_plan(find_network("resnet50"), profile_kind::final_epoch, 16, data_source());
        auto L = by_layer(plan);
        std::vector<double> got;
        for (const auto &c : plan.occurrences)
            if (c.shape == "res2a_branch1") got.push_back(c.sparsity[FWD]);
        CHECK(got == std::vector<double> {row("resnet50", "1"), row("resnet50", "3"), row("resnet50", "6"), row("resnet50", "9")});
        // Bottleneck b: branch2a / branch1 read the previous block's output (row 1+3b, row 1 = stem),
        // branch2b row 2+3b, branch2c row 3+3b.
        const char *names[16] = {"res2a", "res2b", "res2c", "res3a", "res3b", "res3c", "res3d", "res4a", "res4b",
                "res4c", "res4d", "res4e", "res4f", "res5a", "res5b", "res5c"};
        for (int b = 0; b < 16; ++b) {
            const std::string n = names[b];
            INFO(n);
            CHECK(L[n + "_branch2a"].sparsity[FWD] == row("resnet50", std::to_string(1 + 3 * b)));
            CHECK(L[n + "_branch2b"].sparsity[FWD] == row("resnet50", std::to_string(2 + 3 * b)));
            CHECK(L[n + "_branch2c"].sparsity[BWD_W] == row("resnet50", std::to_string(3 + 3 * b)));
            if (L.count(n + "_branch1")) CHECK(L[n + "_branch1"].sparsity[FWD] == row("resnet50", std::to_string(1 + 3 * b)));
        }
        int shortcuts = 0;
        for (const auto &c : plan.occurrences) {
            shortcuts += c.layer.find("branch1") != std::string::npos;
            if (!c.initial) CHECK(c.sparsity[BWD_D] == 0.0); // BatchNorm after every conv
        }
        CHECK(shortcuts == 4);
        CHECK(plan.occurrences.size() == 53);
    }
    SECTION("Fixup ResNet-50: a conv's gradient is as sparse as the ReLU it feeds") {
        const auto plan = make_net_plan(find_network("fixup_resnet50"), profile_kind::final_epoch, 16, data_source());
        auto L = by_layer(plan);
        const char *names[16] = {"res2a", "res2b", "res2c", "res3a", "res3b", "res3c", "res3d", "res4a", "res4b",
                "res4c", "res4d", "res4e", "res4f", "res5a", "res5b", "res5c"};
        for (int b = 0; b < 16; ++b) {
            const std::string n = names[b];
            INFO(n);
            // branch2a feeds the ReLU that branch2b reads, branch2b the one branch2c reads.
            CHECK(L[n + "_branch2a"].sparsity[BWD_D] == L[n + "_branch2b"].sparsity[FWD]);
            CHECK(L[n + "_branch2b"].sparsity[BWD_D] == L[n + "_branch2c"].sparsity[FWD]);
            // branch2c (and branch1) feed the add whose ReLU the next block reads.
            const double out = row("resnet50", std::to_string(4 + 3 * b));
            CHECK(L[n + "_branch2c"].sparsity[BWD_D] == out);
            if (L.count(n + "_branch1")) CHECK(L[n + "_branch1"].sparsity[BWD_D] == out);
            if (b + 1 < 16) CHECK(L[std::string(names[b + 1]) + "_branch2a"].sparsity[FWD] == out);
            CHECK(L[n + "_branch2a"].sparsity[FWD] == by_layer(make_net_plan(find_network("resnet50"),
                    profile_kind::final_epoch, 16, data_source()))[n + "_branch2a"].sparsity[FWD]);
        }
    }
    SECTION("ResNet-34: conv1 reads the block input, conv2 the mid-block ReLU; gradients dense") {
        const auto plan = make_net_plan(find_network("resnet34"), profile_kind::final_epoch, 16, data_source());
        auto L = by_layer(plan);
        const int blocks[4] = {3, 4, 6, 3};
        int b = 0;
        for (int s = 0; s < 4; ++s)
            for (int j = 0; j < blocks[s]; ++j, ++b) {
                const std::string n = "layer" + std::to_string(s + 1) + "." + std::to_string(j);
                INFO(n);
                CHECK(L[n + ".conv1"].sparsity[FWD] == row("resnet34", std::to_string(b == 0 ? 1 : 1 + 2 * b)));
                CHECK(L[n + ".conv2"].sparsity[FWD] == row("resnet34", std::to_string(2 + 2 * b)));
                CHECK(L[n + ".conv1"].sparsity[BWD_D] == 0.0);
                CHECK(L[n + ".conv2"].sparsity[BWD_D] == 0.0);
                if (s > 0 && j == 0) CHECK(L[n + ".downsample"].sparsity[FWD] == L[n + ".conv1"].sparsity[FWD]);
            }
        CHECK(plan.occurrences.size() == 36);
    }
}

TEST_CASE("net plan tasks: each distinct (shape, direction, sparsity) once, weighted by occurrences", "[bench]") {
    for (const auto &net : networks()) {
        INFO(net.name);
        const auto plan = make_net_plan(net, profile_kind::final_epoch, 8, data_source());
        CHECK_FALSE(plan.subset);
        std::set<std::tuple<std::string, int, double, bool, int, double>> keys;
        int weight[n_dirs] = {0, 0, 0};
        for (size_t i = 0; i < plan.tasks.size(); ++i) {
            const auto &t = plan.tasks[i];
            CHECK(keys.insert({t.prob.shape_string(), (int)t.dir, t.sparsity, t.initial, (int)t.mask, t.mask_sparsity}).second);
            // Masked BWD-data: every non-initial one, the mask's sparsity = the FWD sparsity (the input).
            CHECK((t.mask != bwd_d_mask_kind::none) == (t.dir == direction::bwd_d && !t.initial));
            if (t.mask != bwd_d_mask_kind::none)
                for (const auto &l : t.layers) CHECK(by_layer(plan)[l].sparsity[FWD] == t.mask_sparsity);
            CHECK(t.weight == (int)t.layers.size());
            CHECK(t.prob.mb == 8);
            weight[(int)t.dir] += t.initial ? 0 : t.weight;
            // The tasks of one (shape, direction) are adjacent (one problem_bench serves them).
            if (i > 0 && plan.tasks[i - 1].shape != t.shape) {
                for (size_t k = i + 1; k < plan.tasks.size(); ++k) CHECK(plan.tasks[k].shape != plan.tasks[i - 1].shape);
            }
            // Every occurrence a task stands for has that sparsity.
            for (const auto &l : t.layers) CHECK(by_layer(plan)[l].sparsity[(int)t.dir] == t.sparsity);
        }
        for (int d = 0; d < n_dirs; ++d) CHECK(weight[d] == net.non_initial_layers);
    }
    // ResNet-34's dense gradients, without the mask: one BWD-data task per distinct shape.
    plan_options no_mask;
    no_mask.relu_mask = false;
    const auto r34 = make_net_plan(find_network("resnet34"), profile_kind::final_epoch, 8, data_source(), no_mask);
    int bwd_d_tasks = 0;
    for (const auto &t : r34.tasks)
        if (t.dir == direction::bwd_d) {
            ++bwd_d_tasks;
            if (t.shape == "layer3_3x3") CHECK(t.weight == 11);
        }
    CHECK(bwd_d_tasks == (int)r34.layers.size() - 1);
}

TEST_CASE("net plan: the bwd_d_mask column (relu: the conv is the ReLU output's only reader; shared: not)", "[bench]") {
    const plan_options po; // one object (GCC 12 warns on temporaries' initializer lists here)
    const data_source data;
    const auto r50 = make_net_plan(find_network("resnet50"), profile_kind::final_epoch, 8, data, po);
    auto L = by_layer(r50);
    CHECK(L["res2a_branch2b"].mask == bwd_d_mask_kind::relu);
    CHECK(L["res2a_branch2c"].mask == bwd_d_mask_kind::relu);
    CHECK(L["res2a_branch2a"].mask == bwd_d_mask_kind::shared);
    CHECK(L["res3a_branch1"].mask == bwd_d_mask_kind::shared);
    CHECK(L["conv1"].mask == bwd_d_mask_kind::none);
    const auto r34 = make_net_plan(find_network("resnet34"), profile_kind::final_epoch, 8, data, po);
    L = by_layer(r34);
    CHECK(L["layer1.0.conv2"].mask == bwd_d_mask_kind::relu);
    CHECK(L["layer1.0.conv1"].mask == bwd_d_mask_kind::shared);
    CHECK(L["layer2.0.downsample"].mask == bwd_d_mask_kind::shared);
    const auto vgg = make_net_plan(find_network("vgg16"), profile_kind::final_epoch, 8, data, po);
    L = by_layer(vgg);
    CHECK(L["conv1_2"].mask == bwd_d_mask_kind::relu);
    CHECK(L["conv2_1"].mask == bwd_d_mask_kind::maxpool_relu);
    CHECK(L["conv5_3"].mask == bwd_d_mask_kind::relu);
    // A mapping without the column: no mask anywhere; a bad value is an error naming it.
    CHECK(parse_sparsity_map("shape,occurrence,layer,src_sparsity,diff_dst_sparsity,note\nc,1,c,row:1,dense,\n", "m")[0].mask
            == bwd_d_mask_kind::none);
    try {
        parse_sparsity_map("shape,occurrence,layer,src_sparsity,diff_dst_sparsity,bwd_d_mask,note\nc,1,c,row:1,dense,relux,\n", "m");
        FAIL("accepted");
    } catch (const error &e) {
        CHECK(std::string(e.what()).find("bwd_d_mask") != std::string::npos);
    }
}

TEST_CASE("net plan: --layers and --dir subsets", "[bench]") {
    plan_options o;
    o.only_layers = {"conv5_1", "conv1_1"};
    o.dirs = {direction::bwd_d};
    const auto plan = make_net_plan(find_network("vgg16"), profile_kind::final_epoch, 2, data_source(), o);
    CHECK(plan.subset);
    REQUIRE(plan.tasks.size() == 3); // conv5_1..5_3 bwd_d; conv1_1 has no bwd_d
    for (const auto &t : plan.tasks) {
        CHECK(t.dir == direction::bwd_d);
        CHECK(t.shape == "conv5_1");
    }
    o.only_layers = {"conv9_9"};
    CHECK_THROWS_AS(make_net_plan(find_network("vgg16"), profile_kind::final_epoch, 2, data_source(), o), error);
}

TEST_CASE("net plan: the mapping must cover every occurrence of every layer exactly once", "[bench]") {
    data_copy d;
    const auto &net = find_network("vgg16");
    const std::string map = d.source().read(net.mapping_file);
    const std::string shapes = d.source().read(net.shapes_file);
    CHECK_NOTHROW(make_net_plan(net, profile_kind::final_epoch, 2, d.source()));
    SECTION("an occurrence missing") {
        d.write(net.mapping_file,
                replace_line(map, "conv5_1,3,conv5_3,row:conv11,pool:conv12,relu,feeds ReLU conv12 then pool4\n", ""));
        CHECK_THROWS_AS(make_net_plan(net, profile_kind::final_epoch, 2, d.source()), error);
    }
    SECTION("an occurrence beyond *N") {
        d.write(net.shapes_file, replace_line(shapes, "conv5_1*3", "conv5_1*2"));
        CHECK_THROWS_AS(make_net_plan(net, profile_kind::final_epoch, 2, d.source()), error);
    }
    SECTION("a layer the layer file does not have") {
        d.write(net.mapping_file, replace_line(map, "conv5_1,3,conv5_3", "conv6_1,1,conv6_1"));
        CHECK_THROWS_AS(make_net_plan(net, profile_kind::final_epoch, 2, d.source()), error);
    }
    SECTION("a profile row that does not exist") {
        d.write(net.mapping_file, replace_line(map, "row:conv11,pool:conv12", "row:conv11,pool:conv13"));
        try {
            make_net_plan(net, profile_kind::final_epoch, 2, d.source());
            FAIL("accepted");
        } catch (const error &e) {
            CHECK(std::string(e.what()).find("conv5_3") != std::string::npos); // names the occurrence
        }
    }
    SECTION("an edited row changes the plan (data, not code)") {
        d.write(net.mapping_file, replace_line(map, "conv5_1,2,conv5_2,row:conv10", "conv5_1,2,conv5_2,dense"));
        const auto plan = make_net_plan(net, profile_kind::final_epoch, 2, d.source());
        CHECK(by_layer(plan)["conv5_2"].sparsity[FWD] == 0.0);
    }
}

TEST_CASE("net totals: occurrence-weighted sums per direction and per step, with and without the first layer",
        "[bench]") {
    const auto plan = make_net_plan(find_network("resnet34"), profile_kind::final_epoch, 2, data_source());
    std::vector<measurement> ms;
    double dense[n_dirs] = {0, 0, 0}, sparse[n_dirs] = {0, 0, 0}, dense_init[n_dirs] = {0, 0, 0};
    for (size_t i = 0; i < plan.tasks.size(); ++i) {
        measurement m;
        m.dense_ms = 1.0 + (double)i;
        m.sparse_ms = 0.5 + 0.25 * (double)(i % 5);
        ms.push_back(m);
        const auto &t = plan.tasks[i];
        if (t.initial) dense_init[(int)t.dir] += m.dense_ms * t.weight;
        else {
            dense[(int)t.dir] += m.dense_ms * t.weight;
            sparse[(int)t.dir] += m.sparse_ms * t.weight;
        }
    }
    const auto tot = compute_totals(plan.tasks, ms);
    for (int d = 0; d < n_dirs; ++d) {
        CHECK(tot.dir((direction)d, false).dense_ms == Approx(dense[d]));
        CHECK(tot.dir((direction)d, false).sparse_ms == Approx(sparse[d]));
        CHECK(tot.dir((direction)d, true).dense_ms == Approx(dense[d] + dense_init[d]));
        CHECK(tot.dir((direction)d, false).speedup() == Approx(dense[d] / sparse[d]));
    }
    CHECK(dense_init[BWD_D] == 0.0); // the first layer's BWD-data is not run
    CHECK(tot.step(false).dense_ms == Approx(dense[0] + dense[1] + dense[2]));
    CHECK(tot.step(true).dense_ms == Approx(dense[0] + dense[1] + dense[2] + dense_init[0] + dense_init[2]));
    // A task standing for 11 occurrences counts 11 times.
    bench_task one = plan.tasks[0];
    one.weight = 11;
    one.initial = false;
    measurement m;
    m.dense_ms = 2;
    m.sparse_ms = 1;
    const auto t11 = compute_totals({one}, {m});
    CHECK(t11.dir(one.dir, false).dense_ms == 22);
    CHECK(t11.step(true).sparse_ms == 11);
    CHECK_THROWS_AS(compute_totals(plan.tasks, {}), error);
}
