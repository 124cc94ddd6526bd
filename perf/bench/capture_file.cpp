#include "bench/capture_file.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "bench/text_util.hpp"
#include "sparsetrain/error.hpp"

#ifndef SPARSETRAIN_CAPTURE_SOURCE_DIR
#define SPARSETRAIN_CAPTURE_SOURCE_DIR ""
#endif
#ifndef SPARSETRAIN_CAPTURE_DEFAULT
#define SPARSETRAIN_CAPTURE_DEFAULT ""
#endif

namespace sparsetrain {
namespace bench {

namespace fs = std::filesystem;

namespace {

std::string read_bytes(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw error("capture: cannot open " + path);
    std::ostringstream os;
    os << in.rdbuf();
    return os.str();
}

int64_t to_int(const std::string &where, const std::string &field, const std::string &v) {
    try {
        size_t pos = 0;
        const long long x = std::stoll(v, &pos);
        if (pos == v.size() && x >= 0) return x;
    } catch (const std::exception &) {}
    throw error(where + ": " + field + " '" + v + "' is not a non-negative integer");
}

std::vector<int64_t> parse_dims(const std::string &where, const std::string &v) {
    std::vector<int64_t> dims;
    std::stringstream ss(v);
    std::string one;
    while (std::getline(ss, one, 'x')) dims.push_back(to_int(where, "dims", one));
    if (dims.empty()) throw error(where + ": empty dims");
    return dims;
}

std::vector<int64_t> expected_dims(const problem_t &p, const std::string &role) {
    if (role == "src") return {p.mb, p.ic, p.ih, p.iw};
    if (role == "diff_dst") return {p.mb, p.oc, p.oh, p.ow};
    return {p.oc, p.ic / p.g, p.kh, p.kw};
}

std::string dims_string(const std::vector<int64_t> &d) {
    std::string s;
    for (size_t i = 0; i < d.size(); ++i) s += (i ? "x" : "") + std::to_string(d[i]);
    return s;
}

// One `tensor ROLE ENCODING DIMS NONZEROS FILE` line into the layer.
void read_tensor(const std::string &dir, const std::string &where, const std::string &rest, captured_layer &l) {
    std::istringstream in(rest);
    std::string role, enc, dims_s, nz_s, file, extra;
    if (!(in >> role >> enc >> dims_s >> nz_s >> file) || (in >> extra))
        throw error(where + ": expected 'tensor ROLE ENCODING DIMS NONZEROS FILE'");
    std::vector<float> *dst = role == "src" ? &l.src : role == "diff_dst" ? &l.diff_dst : role == "weights" ? &l.weights : nullptr;
    if (!dst) throw error(where + ": tensor role '" + role + "': expected src, diff_dst or weights");
    if (!dst->empty()) throw error(where + ": tensor " + role + " given twice");
    const auto dims = parse_dims(where, dims_s), want = expected_dims(l.prob, role);
    if (dims != want)
        throw error(where + ": tensor " + role + " dims " + dims_s + " do not match the problem (" + dims_string(want) + ")");
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    *dst = decode_tensor(read_bytes(dir + "/" + file), enc, n, where + " (" + file + ")");
    int64_t nz = 0;
    for (float v : *dst) nz += v != 0.f;
    if (nz != to_int(where, "nonzeros", nz_s))
        throw error(where + ": " + file + " holds " + std::to_string(nz) + " non-zeros, the manifest says " + nz_s);
}

void check_layer(const std::string &manifest, const captured_layer &l) {
    const std::string where = manifest + ": layer " + l.name;
    if (l.step < 0) throw error(where + ": no step");
    if (l.src.empty()) throw error(where + ": no src tensor");
    if (l.diff_dst.empty()) throw error(where + ": no diff_dst tensor");
}

} // namespace

std::vector<float> decode_tensor(const std::string &bytes, const std::string &encoding, int64_t n, const std::string &what) {
    static_assert(sizeof(float) == 4, "float32 expected");
    std::vector<float> out((size_t)n, 0.f);
    // The file is little-endian; so is every CPU sparsetrain runs on (x86-64).
    if (encoding == "f32") {
        if ((int64_t)bytes.size() != 4 * n)
            throw error(what + ": " + std::to_string(bytes.size()) + " bytes, f32 of " + std::to_string(n) + " needs "
                    + std::to_string(4 * n));
        std::copy_n(reinterpret_cast<const char *>(bytes.data()), 4 * n, reinterpret_cast<char *>(out.data()));
        return out;
    }
    if (encoding != "bitmap_f32") throw error(what + ": encoding '" + encoding + "': expected f32 or bitmap_f32");
    const int64_t map_bytes = (n + 7) / 8;
    if ((int64_t)bytes.size() < map_bytes) throw error(what + ": shorter than its bitmap");
    const auto *map = reinterpret_cast<const unsigned char *>(bytes.data());
    int64_t set = 0;
    for (int64_t i = 0; i < n; ++i) set += (map[i / 8] >> (i % 8)) & 1;
    if ((int64_t)bytes.size() != map_bytes + 4 * set)
        throw error(what + ": " + std::to_string(bytes.size()) + " bytes, bitmap_f32 with " + std::to_string(set)
                + " bits set needs " + std::to_string(map_bytes + 4 * set));
    const char *vals = bytes.data() + map_bytes;
    for (int64_t i = 0, k = 0; i < n; ++i)
        if ((map[i / 8] >> (i % 8)) & 1) std::copy_n(vals + 4 * k++, 4, reinterpret_cast<char *>(&out[i]));
    return out;
}

capture_set read_capture(const std::string &dir) {
    const std::string manifest = dir + "/manifest.txt";
    const auto lines = content_lines(read_bytes(manifest));
    const std::string magic = "sparsetrain-capture " + std::to_string(capture_format_version);
    if (lines.empty() || lines[0].text != magic)
        throw error(manifest + ": the first line must be '" + magic + "' (not a capture, or another format version)");
    capture_set set;
    set.dir = dir;
    for (size_t i = 1; i < lines.size(); ++i) {
        const std::string where = manifest + ":" + std::to_string(lines[i].number);
        const std::string &t = lines[i].text;
        const size_t sp = t.find(' ');
        const std::string key = t.substr(0, sp), rest = sp == std::string::npos ? "" : t.substr(sp + 1);
        if (key == "source") {
            set.source = rest;
            continue;
        }
        if (key == "layer") {
            if (rest.empty()) throw error(where + ": layer without a name");
            set.layers.push_back(captured_layer());
            set.layers.back().name = rest;
            continue;
        }
        if (set.layers.empty()) throw error(where + ": '" + key + "' before the first layer");
        captured_layer &l = set.layers.back();
        if (key == "problem") {
            l.prob = problem_t::parse(rest);
            l.prob.validate();
            if (l.prob.ndims != 4 || l.prob.g != 1) throw error(where + ": only 2D ungrouped convolutions are replayed");
        } else if (key == "step") {
            l.step = to_int(where, "step", rest);
        } else if (key == "bias" || key == "input_grad") {
            if (rest != "0" && rest != "1") throw error(where + ": " + key + " must be 0 or 1");
            (key == "bias" ? l.bias : l.input_grad) = rest == "1";
        } else if (key == "tensor") {
            if (l.prob.ic == 0) throw error(where + ": tensor before the layer's problem");
            read_tensor(dir, where, rest, l);
        } else {
            throw error(where + ": unknown record '" + key + "'");
        }
    }
    if (set.layers.empty()) throw error(manifest + ": no layers");
    for (const auto &l : set.layers) check_layer(manifest, l);
    return set;
}

std::string default_capture_dir() {
    std::vector<std::string> tried;
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) tried.push_back((exe.parent_path().parent_path() / "share/sparsetrain/captures" / SPARSETRAIN_CAPTURE_DEFAULT).string());
    tried.push_back(std::string(SPARSETRAIN_CAPTURE_SOURCE_DIR) + "/" + SPARSETRAIN_CAPTURE_DEFAULT);
    for (const auto &d : tried)
        if (fs::is_regular_file(d + "/manifest.txt")) return d;
    std::string msg = "--replay: the shipped capture set is in none of";
    for (const auto &d : tried) msg += " " + d;
    throw error(msg + " (give --replay=DIR)");
}

} // namespace bench
} // namespace sparsetrain
