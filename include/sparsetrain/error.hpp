// The exception every sparsetrain entry point throws on bad input or failure.
#pragma once

#include <stdexcept>
#include <string>

namespace sparsetrain {

class error : public std::runtime_error {
public:
    explicit error(const std::string &what) : std::runtime_error(what) {}
};

} // namespace sparsetrain
