// sparsetrain-jit: generate the sparse kernels of one problem and direction without running
// them, and print annotated listings (works on any x86-64 CPU, AVX-512 or not).
//   sparsetrain-jit [--dir=fwd|bwd_d|bwd_w] [--mb=N] [--layout=nchw16c|nhwc] [--wei=TAG] [--relu] [--summary] PROBLEM
#include <cstdio>
#include <iostream>
#include <string>
#include <utility>

#include <oneapi/dnnl/dnnl.hpp>

#include "common/layout.hpp"
#include "common/problem.hpp"
#include "driver/sparse_conv.hpp"
#include "sparsetrain/error.hpp"
#include "tools/jit_listing.hpp"

using namespace sparsetrain;

namespace {

weights_layout weights_from_string(const std::string &s) {
    for (auto l : {weights_layout::OIhw16i16o, weights_layout::OIhw16o16i, weights_layout::IOhw16o16i,
                 weights_layout::Ohwi16o, weights_layout::Ohwi32o, weights_layout::Ohwi48o, weights_layout::Ohwi64o})
        if (s == to_string(l)) return l;
    throw error("--wei=" + s + ": expected OIhw16i16o, OIhw16o16i, IOhw16o16i or Ohwi16o/32o/48o/64o");
}

// The weights layout oneDNN picks for format_tag::any weights (forward on nhwc: brgconv's
// Ohwi<B>o, B from 16 to 64 depending on the channels), asked from oneDNN itself; where this
// machine's oneDNN picks none of the layouts the kernels read (no AVX-512), Ohwi32o / Ohwi16o.
weights_layout default_weights(const problem_t &p, direction dir, act_format act) {
    if (dir == direction::bwd_d) return p.kh == 1 && p.kw == 1 ? weights_layout::IOhw16o16i : weights_layout::OIhw16o16i;
    if (dir == direction::bwd_w || act == act_format::nChw16c) return weights_layout::OIhw16i16o;
    using tag = dnnl::memory::format_tag;
    const auto f32 = dnnl::memory::data_type::f32;
    try {
        const dnnl::engine eng(dnnl::engine::kind::cpu, 0);
        const dnnl::memory::desc src({p.mb, p.ic, p.ih, p.iw}, f32, tag::nhwc), dst({p.mb, p.oc, p.oh, p.ow}, f32, tag::nhwc),
                wei({p.oc, p.ic, p.kh, p.kw}, f32, tag::any);
        const dnnl::convolution_forward::primitive_desc pd({dnnl::prop_kind::forward_training,
                dnnl::algorithm::convolution_direct, src, wei, dst, {p.sh, p.sw}, {p.ph, p.pw}, {p.ph_r, p.pw_r}}, eng);
        const std::pair<tag, weights_layout> known[] = {{tag::Ohwi16o, weights_layout::Ohwi16o},
                {tag::Ohwi32o, weights_layout::Ohwi32o}, {tag::Ohwi48o, weights_layout::Ohwi48o},
                {tag::Ohwi64o, weights_layout::Ohwi64o}, {tag::OIhw16i16o, weights_layout::OIhw16i16o}};
        for (const auto &k : known)
            if (pd.weights_desc() == dnnl::memory::desc(wei.dims(), f32, k.first)) return k.second;
    } catch (const dnnl::error &) {
    }
    return p.oc % 32 ? weights_layout::Ohwi16o : weights_layout::Ohwi32o;
}

} // namespace

int main(int argc, char **argv) {
    try {
        direction dir = direction::fwd;
        long mb = 16;
        bool summary = false, relu = false;
        act_format act = act_format::nChw16c;
        std::string wei;
        std::string problem_str;
        for (int i = 1; i < argc; ++i) {
            const std::string a = argv[i];
            if (a.rfind("--dir=", 0) == 0) dir = direction_from_string(a.substr(6));
            else if (a.rfind("--mb=", 0) == 0) mb = std::stol(a.substr(5));
            else if (a == "--summary") summary = true;
            else if (a == "--relu") relu = true;
            else if (a.rfind("--layout=", 0) == 0) act = act_format_from_string(a.substr(9));
            else if (a.rfind("--wei=", 0) == 0) wei = a.substr(6);
            else if (a == "-h" || a == "--help") {
                std::cout << "usage: sparsetrain-jit [--dir=fwd|bwd_d|bwd_w] [--mb=N] [--layout=nchw16c|nhwc] [--wei=TAG]\n"
                             "                       [--relu] [--summary] PROBLEM\n"
                             "Generates the sparse kernels of PROBLEM (a benchdnn string) for one direction\n"
                             "and activation layout, and prints each kernel's annotated listing (or, with\n"
                             "--summary, its header). --wei overrides the weights layout (default: oneDNN's\n"
                             "pick for format_tag::any, e.g. Ohwi32o for a forward on nhwc); --relu fuses a\n"
                             "ReLU post-op into the forward kernels.\n";
                return 0;
            } else if (a.rfind("--", 0) == 0) throw error("unknown option " + a);
            else problem_str = a;
        }
        if (problem_str.empty()) throw error("missing PROBLEM (try --help)");
        const problem_t p = problem_t::parse(problem_str, mb);
        sparse_conv_options o;
        o.act = act;
        o.wei_layout = wei.empty() ? default_weights(p, dir, act) : weights_from_string(wei);
        o.with_bias = dir != direction::bwd_d;
        o.with_relu = relu && dir == direction::fwd;
        std::string why;
        std::unique_ptr<sparse_conv> impl = dir == direction::fwd ? make_sparse_fwd(p, o, why)
                : dir == direction::bwd_d                        ? make_sparse_bwd_d(p, o, why)
                                                                 : make_sparse_bwd_w(p, o, why);
        if (!impl) {
            std::cerr << "sparsetrain-jit: no sparse kernel for " << p.to_string() << " (" << to_string(dir)
                      << "): " << why << "\n";
            return 1;
        }
        std::cout << "; " << impl->name() << " " << to_string(dir) << " " << p.to_string() << " " << to_string(act)
                  << " weights " << to_string(o.wei_layout) << "\n";
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
