// sparsetrain-jit: generate the sparse kernels of one problem and direction without running
// them, and print annotated listings (works on any x86-64 CPU, AVX-512 or not).
//   sparsetrain-jit [--dir=fwd|bwd_d|bwd_w] [--mb=N] [--summary] PROBLEM
#include <cstdio>
#include <iostream>
#include <string>

#include "common/problem.hpp"
#include "driver/sparse_conv.hpp"
#include "sparsetrain/error.hpp"
#include "tools/jit_listing.hpp"

using namespace sparsetrain;

int main(int argc, char **argv) {
    try {
        direction dir = direction::fwd;
        long mb = 16;
        bool summary = false;
        std::string problem_str;
        for (int i = 1; i < argc; ++i) {
            const std::string a = argv[i];
            if (a.rfind("--dir=", 0) == 0) dir = direction_from_string(a.substr(6));
            else if (a.rfind("--mb=", 0) == 0) mb = std::stol(a.substr(5));
            else if (a == "--summary") summary = true;
            else if (a == "-h" || a == "--help") {
                std::cout << "usage: sparsetrain-jit [--dir=fwd|bwd_d|bwd_w] [--mb=N] [--summary] PROBLEM\n"
                             "Generates the sparse kernels of PROBLEM (a benchdnn string) for one direction\n"
                             "and prints each kernel's annotated listing (or, with --summary, its header).\n";
                return 0;
            } else if (a.rfind("--", 0) == 0) throw error("unknown option " + a);
            else problem_str = a;
        }
        if (problem_str.empty()) throw error("missing PROBLEM (try --help)");
        const problem_t p = problem_t::parse(problem_str, mb);
        sparse_conv_options o;
        o.wei_layout = dir == direction::bwd_d
                ? (p.kh == 1 && p.kw == 1 ? weights_layout::IOhw16o16i : weights_layout::OIhw16o16i)
                : weights_layout::OIhw16i16o;
        o.with_bias = dir != direction::bwd_d;
        std::string why;
        std::unique_ptr<sparse_conv> impl = dir == direction::fwd ? make_sparse_fwd(p, o, why)
                : dir == direction::bwd_d                        ? make_sparse_bwd_d(p, o, why)
                                                                 : make_sparse_bwd_w(p, o, why);
        if (!impl) {
            std::cerr << "sparsetrain-jit: no sparse kernel for " << p.to_string() << " (" << to_string(dir)
                      << "): " << why << "\n";
            return 1;
        }
        std::cout << "; " << impl->name() << " " << to_string(dir) << " " << p.to_string() << "\n";
        std::cout << "; plan: " << impl->config_str() << "\n";
        const auto ks = impl->kernels();
        std::cout << "; " << ks.size() << " kernel(s)\n\n";
        for (const auto &k : ks) {
            std::string l = jit::annotated_listing(*k);
            if (summary) l = l.substr(0, l.find("\n  "));
            std::cout << l << "\n";
        }
        return 0;
    } catch (const std::exception &e) {
        std::cerr << "sparsetrain-jit: " << e.what() << "\n";
        return 1;
    }
}
