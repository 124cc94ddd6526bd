#include "api/conv_pd_impl.hpp"

#include <unistd.h>

#include <cstdio>
#include <sstream>

#include "common/env.hpp"
#include "common/md_utils.hpp"
#include "common/verbose.hpp"
#include "dispatch/impl_list.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace detail {

void check_engine_kind(dnnl::engine::kind kind, const char *what) {
    if (kind != dnnl::engine::kind::cpu)
        throw error(std::string(what) + ": engine kind "
                + (kind == dnnl::engine::kind::gpu ? "gpu" : "any")
                + " is not supported, sparsetrain runs on cpu engines");
}

void check_engine(const dnnl::engine &engine, const char *what) {
    if (!engine.get(true)) throw error(std::string(what) + ": empty (null) dnnl::engine");
    check_engine_kind(engine.get_kind(), what);
}

namespace {

dispatch_mode resolve_mode(const dispatch_options &o) {
    if (o.mode != dispatch_mode::from_env) return o.mode;
    const std::string v = env::get_string("SPARSETRAIN_DISPATCH", "auto");
    if (v == "auto") return dispatch_mode::automatic;
    if (v == "sparse") return dispatch_mode::sparse;
    if (v == "dense") return dispatch_mode::dense;
    if (v == "deterministic") return dispatch_mode::deterministic;
    throw error("SPARSETRAIN_DISPATCH=" + v + ": expected auto, sparse, dense or deterministic");
}

bool resolve_flush_denormals(const dispatch_options &o) {
    if (o.denormals != denormal_mode::from_env) return o.denormals == denormal_mode::flush;
    const std::string v = env::get_string("SPARSETRAIN_DENORMALS", "flush");
    if (v == "flush") return true;
    if (v == "keep") return false;
    throw error("SPARSETRAIN_DENORMALS=" + v + ": expected flush or keep");
}

// A problem whose tensors cannot fit in this machine's memory is refused at creation with a
// clear error, instead of failing (or swapping) on the first execute.
void check_size_limits(const problem_t &p, direction dir) {
    const double phys = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
    const auto names = md_names(dir);
    const std::pair<const char *, double> tensors[] = {
            {names.src, 4.0 * p.mb * p.ic * p.id * p.ih * p.iw},
            {names.weights, 4.0 * p.oc * (p.ic / p.g) * p.kd * p.kh * p.kw},
            {names.dst, 4.0 * p.mb * p.oc * p.od * p.oh * p.ow}};
    double total = 0;
    for (const auto &t : tensors) {
        total += t.second;
        if (t.second > 9.0e18) throw error(std::string(t.first) + ": size overflows 64-bit byte counts");
    }
    if (phys > 0 && total > phys) {
        char b[256];
        std::snprintf(b, sizeof(b), "problem %s needs %.1f GiB for %s, %s and %s, more than this machine's %.1f GiB",
                p.to_string().c_str(), total / (1 << 30), names.src, names.weights, names.dst, phys / (1 << 30));
        throw error(b);
    }
}

void log_creation(const conv_pd_impl &pd) {
    if (verbose_level() < 1) return;
    std::ostringstream os;
    os << "create," << to_string(pd.dir) << "," << pd.impl_name() << "," << pd.prob.to_string() << ","
       << pd.formats_str() << "," << pd.attrs_str() << ",";
    if (pd.chosen == impl_kind::sparse_jit) os << "denormals:" << (pd.flush_denormals ? "flush" : "keep") << ";";
    for (size_t i = 0; i < pd.declined.size(); ++i)
        os << (i ? ";" : "") << "declined " << pd.declined[i].first << ": " << pd.declined[i].second;
    verbose_print(os.str());
}

} // namespace

std::shared_ptr<const conv_pd_impl> make_conv_pd(direction dir, const dnnl_convolution_desc_t &desc,
        const dnnl::primitive_attr &attr, const dnnl::engine &engine, const fwd_hint &hint,
        const dispatch_options &dispatch, const dnnl_pd_maker &make_dnnl, bool relu_mask, bool relu_mask_optional) {
    check_engine(engine, "engine");
    if (relu_mask && dir != direction::bwd_d) throw error("relu_mask: a backward-data option");
    auto pd = std::make_shared<conv_pd_impl>();
    pd->dir = dir;
    pd->engine = engine;
    // A private copy: dnnl::primitive_attr copies share one object, and the caller may change
    // theirs after creating this primitive_desc.
    dnnl_primitive_attr_t attr_copy = nullptr;
    if (dnnl_primitive_attr_clone(&attr_copy, attr.get()) != dnnl_success)
        throw error("attr: cannot copy the primitive_attr");
    pd->attr = dnnl::primitive_attr(attr_copy);
    pd->user_scratchpad = attr.get_scratchpad_mode() == dnnl::scratchpad_mode::user;
    pd->prop = (dnnl::prop_kind)desc.prop_kind;
    pd->alg = (dnnl::algorithm)desc.alg_kind;
    pd->prob = problem_from_desc(dir, desc);
    const conv_mds given = mds_of(dir, desc);
    check_size_limits(pd->prob, dir);
    pd->with_bias = !is_zero_md(given.bias);
    pd->mode = resolve_mode(dispatch);
    pd->flush_denormals = resolve_flush_denormals(dispatch);

    if (dir != direction::fwd) {
        if (!hint.present)
            throw error("hint_fwd_pd: empty; a backward convolution needs the forward primitive_desc as a hint");
        problem_t a = hint.prob, b = pd->prob;
        a.name = b.name = "";
        if (a != b)
            throw error("hint_fwd_pd: forward problem " + a.to_string() + " does not match this "
                    + to_string(dir) + " problem " + b.to_string());
    }

    choose_implementation(*pd, given, hint, make_dnnl, relu_mask, relu_mask_optional);
    log_creation(*pd);
    return pd;
}

} // namespace detail
} // namespace sparsetrain
