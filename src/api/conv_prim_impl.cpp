#include "api/conv_prim_impl.hpp"

#include <cstdlib>
#include <sstream>

#include "common/md_utils.hpp"
#include "common/scratch.hpp"
#include "common/verbose.hpp"
#include "dispatch/exec_choice.hpp"
#include "fallback/onednn_dense.hpp"
#include "reference/reference_exec.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace detail {

namespace {
const conv_pd_impl &non_null(const std::shared_ptr<const conv_pd_impl> &p) {
    if (!p) throw error("primitive_desc: empty; create it from a convolution desc and an engine first");
    return *p;
}
} // namespace

conv_prim_impl::conv_prim_impl(std::shared_ptr<const conv_pd_impl> p)
    : pd(std::move(p)), choose(non_null(pd)), choose_masked(*pd) {
    // The dense primitive exists before the first execute whenever dense may run, so that
    // switching to it never stalls a training step on primitive creation.
    if (pd->has_dnnl && (pd->chosen == impl_kind::onednn || pd->mode == dispatch_mode::automatic
                                || pd->mode == dispatch_mode::deterministic))
        dense = make_dense_primitive(*pd);
    if (pd->sparse && pd->sparse_weights_md.data.ndims)
        weights_to_sparse = dnnl::reorder(dnnl::reorder::primitive_desc(pd->engine, pd->md.weights, pd->engine,
                pd->sparse_weights_md));
    if (pd->sparse_mask && pd->mask_weights_md.data.ndims)
        weights_to_mask = dnnl::reorder(dnnl::reorder::primitive_desc(pd->engine, pd->md.weights, pd->engine,
                pd->mask_weights_md));
}

namespace {

// The DNNL_ARG_* key and name of each execute argument, by direction (fwd, bwd_d, bwd_w) and
// tensor in forward naming (conv_memories): src, weights, dst and the optional fourth (fwd:
// bias; bwd_d: relu_mask's forward src; bwd_w: diff_bias).
struct arg_key {
    int key;
    const char *name;
};
const arg_key arg_keys[3][4] = {
        {{DNNL_ARG_SRC, "DNNL_ARG_SRC"}, {DNNL_ARG_WEIGHTS, "DNNL_ARG_WEIGHTS"}, {DNNL_ARG_DST, "DNNL_ARG_DST"},
                {DNNL_ARG_BIAS, "DNNL_ARG_BIAS"}},
        {{DNNL_ARG_DIFF_SRC, "DNNL_ARG_DIFF_SRC"}, {DNNL_ARG_WEIGHTS, "DNNL_ARG_WEIGHTS"},
                {DNNL_ARG_DIFF_DST, "DNNL_ARG_DIFF_DST"},
                {DNNL_ARG_SRC, "DNNL_ARG_SRC (backward_data_options::relu_mask)"}},
        {{DNNL_ARG_SRC, "DNNL_ARG_SRC"}, {DNNL_ARG_DIFF_WEIGHTS, "DNNL_ARG_DIFF_WEIGHTS"},
                {DNNL_ARG_DIFF_DST, "DNNL_ARG_DIFF_DST"}, {DNNL_ARG_DIFF_BIAS, "DNNL_ARG_DIFF_BIAS"}}};
static_assert(static_cast<int>(direction::fwd) == 0 && static_cast<int>(direction::bwd_d) == 1
                && static_cast<int>(direction::bwd_w) == 2,
        "arg_keys is indexed by direction");

// The argument `a` of the map, checked against the primitive's desc `md`.
const dnnl::memory &fetch(const std::unordered_map<int, dnnl::memory> &args, const arg_key &a,
        const dnnl::memory::desc &md) {
    auto it = args.find(a.key);
    if (it == args.end()) throw error(std::string(a.name) + ": missing from the execute argument map");
    const dnnl::memory &m = it->second;
    if (!m.get(true)) throw error(std::string(a.name) + ": null (empty) dnnl::memory");
    if (m.get_engine().get_kind() != dnnl::engine::kind::cpu)
        throw error(std::string(a.name) + ": memory lives on a non-cpu engine");
    if (m.get_desc() != md)
        throw error(std::string(a.name) + ": memory desc " + md_str(m.get_desc()) + " "
                + [&] {
                      std::ostringstream os;
                      for (auto d : m.get_desc().dims()) os << d << "x";
                      std::string s = os.str();
                      if (!s.empty()) s.pop_back();
                      return s;
                  }()
                + " differs from the primitive's " + md_str(md));
    if (!m.get_data_handle()) throw error(std::string(a.name) + ": memory has a null data handle");
    return m;
}

} // namespace

conv_memories conv_prim_impl::checked_args(const std::unordered_map<int, dnnl::memory> &args) const {
    conv_memories m;
    const arg_key *k = arg_keys[static_cast<int>(pd->dir)];
    m.src = fetch(args, k[0], pd->md.src);
    m.weights = fetch(args, k[1], pd->md.weights);
    m.dst = fetch(args, k[2], pd->md.dst);
    // relu_mask: the forward src, in diff_src's layout.
    if (pd->dir == direction::bwd_d && pd->relu_mask) m.mask_src = fetch(args, k[3], pd->md.src);
    if (pd->dir != direction::bwd_d && pd->with_bias) m.bias = fetch(args, k[3], pd->md.bias);
    // oneDNN dereferences a user-mode scratchpad without checking that it was given.
    if (dense && pd->user_scratchpad) {
        const dnnl::memory::desc sp = pd->dnnl_pd().scratchpad_desc();
        if (sp.get_size() > 0) (void)fetch(args, {DNNL_ARG_SCRATCHPAD, "DNNL_ARG_SCRATCHPAD"}, sp);
    }
    return m;
}

void conv_prim_impl::execute(const dnnl::stream &s_in, const std::unordered_map<int, dnnl::memory> &args) const {
    if (!s_in.get(true)) throw error("stream: empty (null) dnnl::stream");
    dnnl::stream s = s_in;
    check_engine(s.get_engine(), "stream");
    if (s.get_engine() != pd->engine)
        throw error("stream: belongs to another engine than the primitive_desc's");
    const conv_memories m = checked_args(args);
    if (pd->relu_mask) {
        execute_masked(s, args, m);
        return;
    }

    const double t0 = verbose_level() ? now_ms() : 0.0;
    exec_paths paths;
    paths.sparse = [&](double density) { run_sparse(m, density); };
    paths.dense = [&] { dense_execute(dense, s, args); };
    paths.reference = [&] { reference_execute(pd->dir, pd->prob, pd->with_bias, pd->with_relu, s, m); };
    const exec_choice choice = choose.run(*pd, m, paths);
    switch (choice.path) {
    case impl_kind::sparse_jit: ++n_sparse_; break;
    case impl_kind::onednn: ++n_dense_; break;
    case impl_kind::reference: ++n_reference_; break;
    }
    if (choice.zero_fraction >= 0) last_zeros_ = choice.zero_fraction;
    if (verbose_level()) {
        std::ostringstream os;
        os << "exec," << to_string(pd->dir) << "," << pd->impl_name(choice.path) << "," << pd->prob.to_string()
           << "," << pd->formats_str() << "," << choice.note << "," << now_ms() - t0;
        verbose_print(os.str());
    }
}

float *fptr(const dnnl::memory &x) { return x ? static_cast<float *>(x.get_data_handle()) : nullptr; }

conv_tensors tensors_of(direction dir, const conv_memories &m, const float *weights) {
    conv_tensors t;
    if (dir == direction::bwd_d) t.diff_src = fptr(m.src);
    else t.src = fptr(m.src);
    if (dir == direction::bwd_w) t.diff_weights = fptr(m.weights);
    else t.weights = weights ? weights : fptr(m.weights);
    if (dir == direction::fwd) t.dst = fptr(m.dst);
    else t.diff_dst = fptr(m.dst);
    if (dir == direction::fwd) t.bias = fptr(m.bias);
    if (dir == direction::bwd_w) t.diff_bias = fptr(m.bias);
    return t;
}

const float *reordered_weights(const dnnl::reorder &r, const dnnl::memory &weights, const dnnl::memory::desc &md,
        const dnnl::engine &eng) {
    // The calling thread's own buffer (slot 7: the drivers use 0..4), so concurrent executes
    // of a primitive never share it.
    float *w = thread_local_scratch(7).get_as<float>(md.get_size() / sizeof(float) + 16);
    dnnl::memory src = weights, dst(md, eng, w); // reorder::execute takes non-const memories
    dnnl::stream s(eng);
    r.execute(s, src, dst);
    s.wait();
    return w;
}

void conv_prim_impl::run_sparse(const conv_memories &m, double density) const {
    // Backward data under oneDNN's Winograd pick: the kernel's weights layout differs.
    const float *w = weights_to_sparse
            ? reordered_weights(weights_to_sparse, m.weights, pd->sparse_weights_md, pd->engine)
            : nullptr;
    conv_tensors t = tensors_of(pd->dir, m, w);
    t.density_hint = density;
    t.flush_denormals = pd->flush_denormals;
    pd->sparse->execute(t);
}

dispatch_stats conv_prim_impl::stats() const {
    dispatch_stats st;
    st.sparse_runs = n_sparse_;
    st.dense_runs = n_dense_;
    st.reference_runs = n_reference_;
    st.sparse_mask_runs = n_sparse_mask_;
    st.last_zero_fraction = last_zeros_;
    return st;
}

} // namespace detail
} // namespace sparsetrain
