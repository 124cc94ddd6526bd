// What happens to every finished kernel: optional dump files (SPARSETRAIN_JIT_DUMP) and
// profiler symbols (SPARSETRAIN_JIT_PROFILE), plus a verbose line at level 2.
#include "jit/kernel_publish.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>

#include "common/env.hpp"
#include "common/verbose.hpp"

namespace sparsetrain {
namespace jit {

uint32_t config_hash(const std::string &s) {
    uint32_t h = 2166136261u; // FNV-1a
    for (unsigned char c : s) {
        h ^= c;
        h *= 16777619u;
    }
    return h;
}

std::string sanitize_for_file(const std::string &s) {
    std::string r;
    for (char c : s) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
                || c == '-' || c == '.';
        r += ok ? c : '_';
    }
    return r;
}

std::string dump_basename(const jit_generator &g) {
    char hash[16];
    std::snprintf(hash, sizeof(hash), "%08x", config_hash(g.kind() + "|" + g.config()));
    std::string name = "sparsetrain_" + sanitize_for_file(g.kind());
    if (!g.problem().empty()) name += "." + sanitize_for_file(g.problem());
    return name + "." + hash;
}

std::string dump_folder() {
    const std::string v = env::get_string("SPARSETRAIN_JIT_DUMP", "");
    if (v.empty() || v == "0") return "";
    if (v == "1") return ".";
    return v;
}

std::string kernel_description(const jit_generator &g) {
    std::ostringstream os;
    os << "kind: " << g.kind() << "\n";
    os << "problem: " << g.problem() << "\n";
    os << "config: " << g.config() << "\n";
    os << "code_size: " << g.code_size() << "\n";
    os << "marks:\n";
    for (const auto &m : g.marks()) os << "  0x" << std::hex << m.offset << std::dec << " " << m.what << "\n";
    return os.str();
}

namespace {

std::mutex publish_mutex;

void write_dump(const jit_generator &g, const std::string &folder) {
    ::mkdir(folder.c_str(), 0755); // fine if it exists
    const std::string base = folder + "/" + dump_basename(g);
    std::ofstream bin(base + ".bin", std::ios::binary);
    bin.write(reinterpret_cast<const char *>(g.code()), (std::streamsize)g.code_size());
    std::ofstream txt(base + ".txt");
    txt << kernel_description(g);
    if (!bin || !txt) std::fprintf(stderr, "sparsetrain: SPARSETRAIN_JIT_DUMP: cannot write %s.{bin,txt}\n", base.c_str());
}

void write_perf_map(const jit_generator &g) {
    const std::string path = "/tmp/perf-" + std::to_string(::getpid()) + ".map";
    FILE *f = std::fopen(path.c_str(), "a");
    if (!f) return;
    std::fprintf(f, "%lx %lx sparsetrain::%s::%s::%08x\n", (unsigned long)(uintptr_t)g.code(),
            (unsigned long)g.code_size(), g.kind().c_str(), g.problem().c_str(),
            config_hash(g.kind() + "|" + g.config()));
    std::fclose(f);
}

} // namespace

void publish_kernel(const jit_generator &g) {
    // Read at every kernel (kernels are generated rarely), so a process can turn dumps on later.
    const std::string folder = dump_folder();
    const bool profile = env::get_int("SPARSETRAIN_JIT_PROFILE", 0) != 0;
    if (folder.empty() && !profile && verbose_level() < 2) return;
    std::lock_guard<std::mutex> lk(publish_mutex);
    if (!folder.empty()) write_dump(g, folder);
    if (profile) write_perf_map(g);
    if (verbose_level() >= 2)
        verbose_print("jit," + g.kind() + "," + g.problem() + "," + std::to_string(g.code_size()) + " bytes," + g.config());
}

} // namespace jit
} // namespace sparsetrain
