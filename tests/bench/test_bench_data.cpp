// The benchmark's data: layer files ("*N" occurrences), the ReLU sparsity profiles, the
// per-occurrence sparsity mappings and their embedded copies.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "bench/bench_data.hpp"
#include "bench/layer_file.hpp"
#include "bench/net_catalog.hpp"
#include "bench/sparsity_map.hpp"
#include "bench/sparsity_profile.hpp"
#include "sparsetrain/error.hpp"

using namespace sparsetrain;
using namespace sparsetrain::bench;

namespace {
std::string read_text(const std::filesystem::path &p) {
    std::ifstream in(p);
    std::ostringstream os;
    os << in.rdbuf();
    return os.str();
}
} // namespace

TEST_CASE("bench data: the embedded copies equal perf/data, file for file", "[bench]") {
    const std::filesystem::path dir = SPARSETRAIN_PERF_DATA_DIR;
    std::set<std::string> on_disk, embedded;
    for (const auto &e : std::filesystem::recursive_directory_iterator(dir)) {
        const auto rel = std::filesystem::relative(e.path(), dir).generic_string();
        // captures/ holds binary tensors for --replay: installed, not embedded.
        if (e.is_regular_file() && rel.rfind("captures/", 0) != 0) on_disk.insert(rel);
    }
    for (const auto &f : embedded_files()) {
        embedded.insert(f.path);
        INFO(f.path);
        CHECK(read_text(dir / f.path) == f.text);
    }
    CHECK(embedded == on_disk);
    // Every network's files exist.
    for (const auto &n : networks()) {
        CHECK(on_disk.count(n.shapes_file) == 1);
        CHECK(on_disk.count(n.mapping_file) == 1);
    }
    CHECK_THROWS_AS(data_source().read("no/such/file"), error);
    CHECK_THROWS_AS(data_source {"/nonexistent-dir"}.read("shapes/vgg_16"), error);
    CHECK(data_source {SPARSETRAIN_PERF_DATA_DIR}.read("shapes/vgg_16") == data_source().read("shapes/vgg_16"));
}

TEST_CASE("layer files: \"*N\" occurrences, the initial layer, minibatch", "[bench]") {
    const std::string text = "# comment\n"
                             "ic3ih32oc16oh32kh3ph1n\"toy:first\"\n"
                             "\n"
                             "mb4ic16ih8oc16oh8kh3ph1n\"toy:body*3\"  # trailing comment\n"
                             "ic16ih8oc32oh4kh1sh2ph0n\"toy:down\"\n";
    const auto layers = parse_layer_file(text, 7, "toy");
    REQUIRE(layers.size() == 3);
    CHECK(layers[0].initial);
    CHECK_FALSE(layers[1].initial);
    CHECK(layers[0].prob.mb == 7);
    CHECK(layers[1].prob.mb == 4); // given in the line
    CHECK(layers[1].count == 3);
    CHECK(layers[1].shape == "body");
    CHECK(layers[1].prob.name == "toy:body");
    CHECK(layers[2].count == 1);
    CHECK(layers[2].prob.oh == 4);
    CHECK(non_initial_occurrences(layers) == 4);

    CHECK_THROWS_AS(parse_layer_file("ic16ih8oc16oh8kh3ph1n\"a*0\"\n", 2, "x"), error);
    CHECK_THROWS_AS(parse_layer_file("ic16ih8oc16oh8kh3ph1n\"a*b\"\n", 2, "x"), error);
    CHECK_THROWS_AS(parse_layer_file("ic16ih8oc16oh8kh3ph1n\"a\"\nic16ih8oc16oh8kh1ph0n\"a\"\n", 2, "x"), error);
    CHECK_THROWS_AS(parse_layer_file("# nothing\n", 2, "x"), error);
    try {
        parse_layer_file("ic16ih8oc16oh8kh3ph1\nic16ih8oc16oh8kh3ph1zz\n", 2, "x.txt");
        FAIL("malformed problem accepted");
    } catch (const error &e) {
        CHECK(std::string(e.what()).find("x.txt:2") != std::string::npos); // names file and line
    }
}

TEST_CASE("layer files: the documented conv layer counts of each network", "[bench]") {
    const std::map<std::string, int> expected {{"vgg16", 12}, {"resnet34", 35}, {"resnet50", 52}, {"fixup_resnet50", 52}};
    for (const auto &n : networks()) {
        INFO(n.name);
        const auto layers = parse_layer_file(data_source().read(n.shapes_file), 16, n.shapes_file);
        CHECK(non_initial_occurrences(layers) == expected.at(n.name));
        CHECK(n.non_initial_layers == expected.at(n.name));
        CHECK(layers[0].initial);
        CHECK(layers[0].prob.ic == 3); // the image
        for (const auto &l : layers) {
            CHECK(l.prob.mb == 16);
            if (!l.initial) CHECK(l.prob.ic % 16 == 0);
        }
    }
    // Fixup ResNet-50 has exactly ResNet-50's shapes.
    const auto a = parse_layer_file(data_source().read(find_network("resnet50").shapes_file), 16, "a");
    const auto b = parse_layer_file(data_source().read(find_network("fixup_resnet50").shapes_file), 16, "b");
    REQUIRE(a.size() == b.size());
    for (size_t i = 0; i < a.size(); ++i) {
        CHECK(a[i].prob.shape_string() == b[i].prob.shape_string());
        CHECK(a[i].count == b[i].count);
    }
    CHECK_THROWS_AS(find_network("alexnet"), error);
}

TEST_CASE("sparsity profiles: rows per network, lookup by index and name, columns", "[bench]") {
    const auto p = sparsity_profiles::parse(data_source().read("relu-sparsity-profiles.csv"));
    CHECK(p.rows("vgg16") == 20);
    CHECK(p.rows("resnet34") == 1 + 16 * 2); // stem + 2 per basic block
    CHECK(p.rows("resnet50") == 1 + 16 * 3); // stem + 3 per bottleneck
    const auto &byname = p.row("vgg16", "conv9");
    CHECK(byname.index == 13);
    CHECK(&p.row("vgg16", "13") == &byname);
    // The four columns are distinct values of the same row.
    CHECK(byname.at(profile_kind::epoch1) == Approx(0.498));
    CHECK(byname.at(profile_kind::epoch10) == Approx(0.943));
    CHECK(byname.at(profile_kind::mean) == Approx(0.926));
    CHECK(byname.at(profile_kind::final_epoch) == Approx(0.934));
    CHECK_THROWS_AS(p.row("vgg16", "conv99"), error);
    CHECK_THROWS_AS(p.row("resnet50", "50"), error);
    CHECK_THROWS_AS(p.row("alexnet", "1"), error);

    CHECK(profile_from_string("final") == profile_kind::final_epoch);
    for (auto k : {profile_kind::epoch1, profile_kind::epoch10, profile_kind::mean, profile_kind::final_epoch})
        CHECK(profile_from_string(to_string(k)) == k);
    CHECK_THROWS_AS(profile_from_string("last"), error);

    const std::string hdr = "network,relu_index,layer_name,epoch1,epoch10,mean_all_epochs,final_epoch,epochs\n";
    CHECK_NOTHROW(sparsity_profiles::parse(hdr + "n,1,,0.1,0.2,0.3,0.4,9\nn,2,,0.1,0.2,0.3,0.4,9\n"));
    CHECK_THROWS_AS(sparsity_profiles::parse(hdr + "n,2,,0.1,0.2,0.3,0.4,9\n"), error); // not numbered from 1
    CHECK_THROWS_AS(sparsity_profiles::parse(hdr + "n,1,,0.1,0.2,1.3,0.4,9\n"), error); // outside [0, 1]
    CHECK_THROWS_AS(sparsity_profiles::parse(hdr + "n,1,,0.1,x,0.3,0.4,9\n"), error);
    CHECK_THROWS_AS(sparsity_profiles::parse("net,idx\n"), error);
}

TEST_CASE("sparsity rules: dense, row, max-pool floor, not needed", "[bench]") {
    const auto p = sparsity_profiles::parse(data_source().read("relu-sparsity-profiles.csv"));
    const auto k = profile_kind::final_epoch;
    std::string src;
    CHECK(resolve(sparsity_rule::parse("dense"), p, "vgg16", k, &src) == 0.0);
    CHECK(src == "dense");
    CHECK(resolve(sparsity_rule::parse("row:conv8"), p, "vgg16", k) == p.row("vgg16", "conv8").at(k));
    CHECK(resolve(sparsity_rule::parse("row:12"), p, "vgg16", k) == p.row("vgg16", "conv8").at(k));
    // The floor of a gradient behind a 2x2 max-pool: 0.75 unless the ReLU is sparser still.
    REQUIRE(p.row("vgg16", "conv1").at(k) < 0.75);
    REQUIRE(p.row("vgg16", "conv9").at(k) > 0.75);
    CHECK(resolve(sparsity_rule::parse("pool:conv1"), p, "vgg16", k, &src) == 0.75);
    CHECK(src.find("max(0.75") == 0);
    CHECK(resolve(sparsity_rule::parse("pool:conv9"), p, "vgg16", k) == p.row("vgg16", "conv9").at(k));
    CHECK_THROWS_AS(resolve(sparsity_rule::parse("not_needed"), p, "vgg16", k), error);
    CHECK_THROWS_AS(resolve(sparsity_rule::parse("row:conv77"), p, "vgg16", k), error);
    for (const char *s : {"dense", "row:3", "pool:conv1", "not_needed"}) CHECK(sparsity_rule::parse(s).to_string() == s);
    for (const char *s : {"", "row:", "pool", "sparse", "row3"}) CHECK_THROWS_AS(sparsity_rule::parse(s), error);
}

TEST_CASE("sparsity mapping files: header, fields, duplicates", "[bench]") {
    const std::string hdr = "shape,occurrence,layer,src_sparsity,diff_dst_sparsity,note\n";
    const auto m = parse_sparsity_map(hdr + "a,1,a1,dense,not_needed,first\nb,1,b1,row:1,pool:2,\"x, y\"\n", "m");
    REQUIRE(m.size() == 2);
    CHECK(m[1].src.kind == sparsity_rule::row);
    CHECK(m[1].diff_dst.kind == sparsity_rule::pool);
    CHECK(m[1].note == "x, y");
    CHECK_THROWS_AS(parse_sparsity_map(hdr + "a,1,a1,dense,dense,\na,1,a2,dense,dense,\n", "m"), error); // occurrence twice
    CHECK_THROWS_AS(parse_sparsity_map(hdr + "a,1,a1,dense,dense,\nb,1,a1,dense,dense,\n", "m"), error); // name twice
    CHECK_THROWS_AS(parse_sparsity_map(hdr + "a,0,a1,dense,dense,\n", "m"), error);
    CHECK_THROWS_AS(parse_sparsity_map(hdr + "a,1,a1,not_needed,dense,\n", "m"), error);
    CHECK_THROWS_AS(parse_sparsity_map(hdr + "a,1,a1,dense,\n", "m"), error);
    CHECK_THROWS_AS(parse_sparsity_map("shape,occ\n", "m"), error);
    for (const auto &n : networks()) {
        INFO(n.mapping_file);
        CHECK_NOTHROW(parse_sparsity_map(data_source().read(n.mapping_file), n.mapping_file));
    }
}
