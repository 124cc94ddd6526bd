#include "jit/kernel_cache.hpp"

#include <condition_variable>
#include <list>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "common/env.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace jit {

struct kernel_cache::impl {
    using entry = std::pair<std::string, std::shared_ptr<const jit_generator>>;
    mutable std::mutex m;
    std::condition_variable generated;
    std::list<entry> lru; // front = most recently used
    std::unordered_map<std::string, std::list<entry>::iterator> index;
    std::unordered_set<std::string> in_progress;
    size_t cap = 1024;
    size_t n_hits = 0, n_misses = 0;

    void trim() {
        while (lru.size() > cap) {
            index.erase(lru.back().first);
            lru.pop_back();
        }
    }
};

kernel_cache::kernel_cache() : impl_(new impl) {
    const long c = env::get_int("SPARSETRAIN_JIT_CACHE_CAPACITY", 1024);
    impl_->cap = c > 0 ? (size_t)c : 1;
}

kernel_cache &kernel_cache::instance() {
    static kernel_cache c;
    return c;
}

std::shared_ptr<const jit_generator> kernel_cache::get_or_create(const std::string &key,
        const std::function<std::shared_ptr<jit_generator>()> &make) {
    std::unique_lock<std::mutex> lk(impl_->m);
    for (;;) {
        auto it = impl_->index.find(key);
        if (it != impl_->index.end()) {
            impl_->lru.splice(impl_->lru.begin(), impl_->lru, it->second);
            ++impl_->n_hits;
            return it->second->second;
        }
        if (!impl_->in_progress.count(key)) break;
        impl_->generated.wait(lk); // another thread is generating this very kernel
    }
    impl_->in_progress.insert(key);
    ++impl_->n_misses;
    lk.unlock();

    std::shared_ptr<const jit_generator> k;
    try {
        k = make();
        if (!k || !k->created()) throw error("jit: kernel_cache: the generator for '" + key + "' returned no created kernel");
    } catch (...) {
        lk.lock();
        impl_->in_progress.erase(key);
        impl_->generated.notify_all();
        throw;
    }

    lk.lock();
    impl_->in_progress.erase(key);
    impl_->lru.emplace_front(key, k);
    impl_->index[key] = impl_->lru.begin();
    impl_->trim();
    impl_->generated.notify_all();
    return k;
}

size_t kernel_cache::size() const {
    std::lock_guard<std::mutex> lk(impl_->m);
    return impl_->lru.size();
}
size_t kernel_cache::capacity() const {
    std::lock_guard<std::mutex> lk(impl_->m);
    return impl_->cap;
}
void kernel_cache::set_capacity(size_t n) {
    std::lock_guard<std::mutex> lk(impl_->m);
    impl_->cap = n > 0 ? n : 1;
    impl_->trim();
}
size_t kernel_cache::hits() const {
    std::lock_guard<std::mutex> lk(impl_->m);
    return impl_->n_hits;
}
size_t kernel_cache::misses() const {
    std::lock_guard<std::mutex> lk(impl_->m);
    return impl_->n_misses;
}
void kernel_cache::clear() {
    std::lock_guard<std::mutex> lk(impl_->m);
    impl_->lru.clear();
    impl_->index.clear();
}

} // namespace jit
} // namespace sparsetrain
