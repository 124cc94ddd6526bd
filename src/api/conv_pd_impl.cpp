#include "api/conv_pd_impl.hpp"

#include <unistd.h>

#include <cstdio>
#include <sstream>

#include "api/md_utils.hpp"
#include "common/env.hpp"
#include "common/verbose.hpp"
#include "dispatch/mask_candidate.hpp"
#include "dispatch/sparse_candidate.hpp"
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

std::string conv_pd_impl::impl_name() const {
    const std::string masked = relu_mask ? "+relu_mask" : "";
    switch (chosen) {
    case impl_kind::sparse_jit:
        if (sparse_mask) return sparse_mask->name();
        return (sparse ? sparse->name() : "sparse_jit") + masked;
    case impl_kind::onednn: return "onednn:" + dnnl_impl + masked;
    case impl_kind::reference: return "reference" + masked;
    }
    return "?";
}

std::string conv_pd_impl::formats_str() const {
    const auto n = md_names(dir);
    std::ostringstream os;
    auto one = [&](const char *name, const dnnl::memory::desc &m) {
        std::string s(name);
        s = s.substr(0, s.size() - 5); // drop "_desc"
        os << s << ":" << md_str(m) << " ";
    };
    one(n.src, md.src);
    one(n.weights, md.weights);
    if (with_bias) one(n.bias, md.bias);
    one(n.dst, md.dst);
    if (relu_mask) one("src_desc", md.src);
    std::string r = os.str();
    if (!r.empty()) r.pop_back();
    return r;
}

std::string conv_pd_impl::attrs_str() const {
    return with_relu ? "post_ops:relu" : relu_mask ? (relu_mask_optional ? "relu_mask:optional" : "relu_mask") : "";
}

dnnl::primitive_desc_base conv_pd_impl::dnnl_pd() const {
    if (!has_dnnl) return dnnl::primitive_desc_base();
    switch (dir) {
    case direction::fwd: return dnnl_fwd;
    case direction::bwd_d: return dnnl_bwd_d;
    case direction::bwd_w: return dnnl_bwd_w;
    }
    return dnnl::primitive_desc_base();
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

void take_dnnl_mds(conv_pd_impl &pd) {
    switch (pd.dir) {
    case direction::fwd:
        pd.md = {pd.dnnl_fwd.src_desc(), pd.dnnl_fwd.weights_desc(), pd.dnnl_fwd.bias_desc(), pd.dnnl_fwd.dst_desc()};
        pd.dnnl_impl = pd.dnnl_fwd.impl_info_str();
        break;
    case direction::bwd_d:
        pd.md = {pd.dnnl_bwd_d.diff_src_desc(), pd.dnnl_bwd_d.weights_desc(), dnnl::memory::desc(),
                pd.dnnl_bwd_d.diff_dst_desc()};
        pd.dnnl_impl = pd.dnnl_bwd_d.impl_info_str();
        break;
    case direction::bwd_w:
        pd.md = {pd.dnnl_bwd_w.src_desc(), pd.dnnl_bwd_w.diff_weights_desc(), pd.dnnl_bwd_w.diff_bias_desc(),
                pd.dnnl_bwd_w.diff_dst_desc()};
        pd.dnnl_impl = pd.dnnl_bwd_w.impl_info_str();
        break;
    }
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

    // oneDNN dense: also fixes the memory descs of the primitive (its picks for `any`).
    try {
        make_dnnl(*pd, hint, pd->attr);
        pd->has_dnnl = true;
        take_dnnl_mds(*pd);
    } catch (const dnnl::error &e) {
        pd->declined.emplace_back("onednn", std::string("no oneDNN implementation: ") + e.what());
        pd->md = {resolve_any_plain(given.src, false), resolve_any_plain(given.weights, true),
                resolve_any_plain(given.bias, false), resolve_any_plain(given.dst, false)};
    }

    std::string why_not;
    bool relu = false;
    if (sparse_supports_attr(dir, attr, relu, why_not)) pd->with_relu = relu;
    pd->sparse = try_sparse(*pd, why_not, pd->sparse_weights_md);
    std::string why_not_mask;
    if (relu_mask) {
        pd->relu_mask = true;
        pd->relu_mask_optional = relu_mask_optional;
        pd->sparse_mask = try_sparse_mask(*pd, why_not_mask, pd->mask_weights_md);
    }

    if (pd->sparse || pd->sparse_mask) {
        pd->chosen = impl_kind::sparse_jit;
        if (!pd->sparse) pd->declined.insert(pd->declined.begin(), {"sparse_jit", why_not});
    } else {
        pd->declined.insert(pd->declined.begin(), {"sparse_jit", why_not});
        if (pd->has_dnnl) {
            pd->chosen = impl_kind::onednn;
        } else {
            // The reference computes exactly: 2D, ungrouped, f32 (bias too), direct, and no
            // attribute but a plain ReLU. Anything else has no implementation at all.
            const auto f32 = dnnl::memory::data_type::f32;
            std::string attr_why;
            bool relu_ok = false;
            const bool attr_ok = sparse_supports_attr(dir, pd->attr, relu_ok, attr_why);
            const bool ref_ok = pd->prob.ndims == 4 && pd->prob.g == 1 && pd->md.src.data_type() == f32
                    && pd->md.weights.data_type() == f32 && pd->md.dst.data_type() == f32
                    && (!pd->with_bias || pd->md.bias.data_type() == f32) && attr_ok
                    && (pd->alg == dnnl::algorithm::convolution_direct || pd->alg == dnnl::algorithm::convolution_auto);
            if (!ref_ok && !attr_ok)
                throw error("attr: " + attr_why + ", and oneDNN has no implementation either ("
                                + pd->declined.back().second + ")",
                        dnnl_unimplemented);
            if (!ref_ok) {
                const auto names = md_names(dir);
                const std::pair<const char *, const dnnl::memory::desc *> t[] = {{names.src, &pd->md.src},
                        {names.weights, &pd->md.weights}, {names.bias, &pd->md.bias}, {names.dst, &pd->md.dst}};
                for (const auto &x : t)
                    if (!is_zero_md(*x.second) && x.second->data_type() != f32)
                        throw error(std::string(x.first) + ": data type " + dt_str(x.second->data_type())
                                        + " is not supported here (sparse: f32 only; oneDNN: "
                                        + pd->declined.back().second + ")",
                                dnnl_unimplemented);
                std::string msg = "no implementation for " + pd->prob.to_string() + " (" + to_string(dir) + "):";
                for (const auto &d : pd->declined) msg += " " + d.first + ": " + d.second + ";";
                throw error(msg, dnnl_unimplemented);
            }
            pd->chosen = impl_kind::reference;
        }
    }
    if (relu_mask && !pd->sparse_mask) pd->declined.insert(pd->declined.begin(), {"sparse_jit_mask", why_not_mask});
    log_creation(*pd);
    return pd;
}

} // namespace detail
} // namespace sparsetrain
