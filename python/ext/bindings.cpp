// Python bindings of the extension sparsetrain.torch._ext (private: the package's .py
// modules are the API). Every call releases the GIL while it computes.
#include <torch/extension.h>

#include <pybind11/stl.h>

#include <sparsetrain/version.hpp>

#include "buffer_pool.hpp"
#include "conv_runner.hpp"
#include "workspace.hpp"

namespace py = pybind11;
using namespace sparsetrain_torch;

namespace {

sparsetrain::dispatch_mode parse_mode(const std::string &s) {
    if (s == "auto") return sparsetrain::dispatch_mode::automatic;
    if (s == "sparse") return sparsetrain::dispatch_mode::sparse;
    if (s == "dense") return sparsetrain::dispatch_mode::dense;
    throw py::value_error("sparsetrain.torch: dispatch mode '" + s + "': expected 'auto', 'sparse' or 'dense'");
}

sparsetrain::denormal_mode parse_denormals(const std::string &s) {
    if (s == "env") return sparsetrain::denormal_mode::from_env;
    if (s == "flush") return sparsetrain::denormal_mode::flush;
    if (s == "keep") return sparsetrain::denormal_mode::keep;
    throw py::value_error("sparsetrain.torch: denormals '" + s + "': expected 'flush', 'keep' or 'env'");
}

bool parse_inner(const std::string &s) {
    if (s == "nChw16c") return false;
    if (s == "nhwc") return true;
    throw py::value_error("sparsetrain.torch: nchw_inner '" + s + "': expected 'nChw16c' or 'nhwc'");
}

run_options options(bool nhwc, const std::string &mode, const std::string &denormals, const std::string &inner,
        bool relu_mask = false) {
    return run_options {nhwc, parse_inner(inner), parse_mode(mode), parse_denormals(denormals), relu_mask};
}

py::dict to_dict(const direction_report &r) {
    py::dict d;
    d["sparse_runs"] = r.sparse_runs;
    d["dense_runs"] = r.dense_runs;
    d["reference_runs"] = r.reference_runs;
    d["runs"] = r.sparse_runs + r.dense_runs + r.reference_runs;
    d["mask_runs"] = r.mask_runs;
    d["sparse_mask_runs"] = r.sparse_mask_runs;
    d["last_sparsity"] = r.last_zero_fraction >= 0 ? py::object(py::float_(r.last_zero_fraction)) : py::none();
    d["impl"] = r.impl.empty() ? py::object(py::none()) : py::object(py::str(r.impl));
    d["problem"] = r.problem.empty() ? py::object(py::none()) : py::object(py::str(r.problem));
    d["layout"] = r.layout.empty() ? py::object(py::none()) : py::object(py::str(r.layout));
    d["declined"] = r.declined;
    return d;
}

py::dict to_dict(const std::vector<direction_report> &v) {
    py::dict d;
    for (int i = 0; i < 3; ++i) d[dir_name(static_cast<conv_dir>(i))] = to_dict(v[i]);
    return d;
}

py::object maybe(const at::Tensor &t) { return t.defined() ? py::cast(t) : py::none(); }

} // namespace

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
    m.doc() = "sparsetrain.torch C++ extension (private; use sparsetrain.torch)";

    py::class_<conv_runner>(m, "ConvRunner")
            .def(py::init([](int64_t ic, int64_t oc, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                                  int64_t pw, bool with_bias, size_t max_entries) {
                return std::make_unique<conv_runner>(conv_geometry {ic, oc, kh, kw, sh, sw, ph, pw, with_bias}, max_entries);
            }),
                    py::arg("ic"), py::arg("oc"), py::arg("kh"), py::arg("kw"), py::arg("sh"), py::arg("sw"), py::arg("ph"),
                    py::arg("pw"), py::arg("with_bias"), py::arg("max_entries") = 8)
            .def(
                    "forward",
                    [](conv_runner &r, const at::Tensor &x, const at::Tensor &w, const c10::optional<at::Tensor> &b,
                            bool nhwc, const std::string &mode, const std::string &denormals,
                            const std::string &inner) {
                        const run_options o = options(nhwc, mode, denormals, inner);
                        py::gil_scoped_release nogil;
                        return r.forward(x, w, b, o);
                    },
                    py::arg("x"), py::arg("weight"), py::arg("bias"), py::arg("nhwc"), py::arg("mode"),
                    py::arg("denormals"), py::arg("nchw_inner") = "nChw16c")
            .def(
                    "backward",
                    [](conv_runner &r, const at::Tensor &gy, const at::Tensor &x, const at::Tensor &w, bool need_x,
                            bool need_w, bool need_b, bool nhwc, const std::string &mode, const std::string &denormals,
                            const std::string &inner, bool relu_mask) {
                        const run_options o = options(nhwc, mode, denormals, inner, relu_mask);
                        std::tuple<at::Tensor, at::Tensor, at::Tensor> g;
                        {
                            py::gil_scoped_release nogil;
                            g = r.backward(gy, x, w, need_x, need_w, need_b, o);
                        }
                        return py::make_tuple(maybe(std::get<0>(g)), maybe(std::get<1>(g)), maybe(std::get<2>(g)));
                    },
                    py::arg("grad_output"), py::arg("x"), py::arg("weight"), py::arg("need_input"),
                    py::arg("need_weight"), py::arg("need_bias"), py::arg("nhwc"), py::arg("mode"),
                    py::arg("denormals"), py::arg("nchw_inner") = "nChw16c", py::arg("relu_mask") = false)
            .def(
                    "describe",
                    [](conv_runner &r, int64_t n, int64_t ih, int64_t iw, bool nhwc, const std::string &mode,
                            const std::string &denormals, const std::string &inner, bool relu_mask) {
                        const run_options o = options(nhwc, mode, denormals, inner, relu_mask);
                        std::vector<direction_report> v;
                        {
                            py::gil_scoped_release nogil;
                            v = r.describe(n, ih, iw, o);
                        }
                        return to_dict(v);
                    },
                    py::arg("n"), py::arg("ih"), py::arg("iw"), py::arg("nhwc"), py::arg("mode"), py::arg("denormals"),
                    py::arg("nchw_inner") = "nChw16c", py::arg("relu_mask") = false)
            .def("stats", [](const conv_runner &r) { return to_dict(r.stats()); })
            .def("clear", &conv_runner::clear)
            .def("entries", &conv_runner::entries);

    m.def("use_channels_last", &use_channels_last, py::arg("x"), py::arg("weight"));
    m.def("set_debug_fill_nan", &set_debug_fill_nan, py::arg("on"));
    m.def("workspace_bytes", &workspace_bytes);
    m.def("release_workspace", &release_workspace);
    m.def("buffer_pool_stats", [] {
        const auto s = buffer_pool_stats();
        py::dict d;
        d["blocks"] = s.blocks;
        d["bytes"] = s.bytes;
        d["idle_bytes"] = s.idle_bytes;
        d["limit_bytes"] = s.limit_bytes;
        d["hits"] = s.hits;
        d["misses"] = s.misses;
        return d;
    });
    m.def("set_buffer_pool_limit", &set_buffer_pool_limit, py::arg("bytes"));
    m.def("release_idle_buffers", &release_idle_buffers);
    m.def("library_version", [] {
        const auto v = sparsetrain::version();
        return std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.patch);
    });
}
