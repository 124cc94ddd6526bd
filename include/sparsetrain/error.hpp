// The exception every sparsetrain entry point throws on bad input or failure. It is a
// dnnl::error, so oneDNN code that catches dnnl::error (e.g. to try another algorithm) keeps
// working after the swap; its message names the offending field.
#pragma once

#include <string>

#include <oneapi/dnnl/dnnl.hpp>

#include "sparsetrain/export.hpp"

namespace sparsetrain {

class SPARSETRAIN_API error : public dnnl::error {
public:
    explicit error(const std::string &what, dnnl_status_t status = dnnl_invalid_arguments)
        : dnnl::error(status, ""), what_(what) {}
    const char *what() const noexcept override { return what_.c_str(); }

private:
    std::string what_;
};

} // namespace sparsetrain
