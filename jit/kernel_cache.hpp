// Process-wide cache of generated kernels, keyed by the kernel's full configuration
// string (kind + every parameter the generator reads), so that each distinct kernel is
// generated once per process and shared by all primitives that need it.
// Bounded (LRU); capacity from SPARSETRAIN_JIT_CACHE_CAPACITY (default 1024 kernels).
// Evicting a kernel never invalidates it for holders: entries are shared_ptrs.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "jit/jit_generator.hpp"

namespace sparsetrain {
namespace jit {

class kernel_cache {
public:
    static kernel_cache &instance();

    // Returns the kernel for `key`, generating it with `make` (which must return a created
    // kernel) on a miss. Thread-safe; concurrent misses on one key generate it once.
    std::shared_ptr<const jit_generator> get_or_create(const std::string &key,
            const std::function<std::shared_ptr<jit_generator>()> &make);

    template <typename G>
    std::shared_ptr<const G> get(const std::string &key, const std::function<std::shared_ptr<G>()> &make) {
        return std::static_pointer_cast<const G>(get_or_create(key, [&] {
            return std::static_pointer_cast<jit_generator>(make());
        }));
    }

    // The kernel `G(desc, extra...)`, created on a miss, cached under `key`.
    template <typename G, typename Desc, typename... Extra>
    std::shared_ptr<const G> get_created(const std::string &key, const Desc &desc, const Extra &...extra) {
        return get<G>(key, [&] {
            auto k = std::make_shared<G>(desc, extra...);
            k->create();
            return k;
        });
    }

    size_t size() const;
    size_t capacity() const;
    void set_capacity(size_t n); // evicts least recently used entries beyond n
    size_t hits() const;
    size_t misses() const;
    void clear();

private:
    kernel_cache();
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace jit
} // namespace sparsetrain
