// Sets an environment variable for the lifetime of the guard, restoring the old value (or
// its absence) even when the test body throws.
#pragma once

#include <cstdlib>
#include <string>

namespace sparsetrain {
namespace test {

class env_guard {
public:
    env_guard(const char *name, const char *value) : name_(name) {
        const char *old = std::getenv(name);
        had_ = old != nullptr;
        if (had_) old_ = old;
        setenv(name, value, 1);
    }
    ~env_guard() {
        if (had_) setenv(name_.c_str(), old_.c_str(), 1);
        else unsetenv(name_.c_str());
    }
    env_guard(const env_guard &) = delete;
    env_guard &operator=(const env_guard &) = delete;

private:
    std::string name_, old_;
    bool had_ = false;
};

} // namespace test
} // namespace sparsetrain
