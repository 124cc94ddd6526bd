#include "buffer_pool.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <new>
#include <vector>

namespace sparsetrain_torch {

namespace {

constexpr size_t huge_page = size_t(2) << 20;

size_t round_up(size_t v, size_t a) { return (v + a - 1) / a * a; }

struct block {
    void *p = nullptr;
    size_t bytes = 0;
    std::atomic<bool> in_use {false};
    unsigned long long last_use = 0;
    block(size_t n) : p(huge_alloc(n)), bytes(n) {}
    ~block() { huge_free(p, bytes); }
};

struct pool {
    std::mutex mu;
    std::vector<std::shared_ptr<block>> blocks;
    size_t limit = 0;
    unsigned long long clock = 0, hits = 0, misses = 0;

    pool() {
        const double phys = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
        limit = phys > 0 ? (size_t)(phys / 4) : size_t(4) << 30;
    }
    size_t idle_bytes() const {
        size_t n = 0;
        for (const auto &b : blocks)
            if (!b->in_use.load()) n += b->bytes;
        return n;
    }
    // Frees idle blocks, least recently used first, until at most `keep` idle bytes remain.
    void trim(size_t keep) {
        size_t idle = idle_bytes();
        while (idle > keep) {
            auto victim = blocks.end();
            for (auto it = blocks.begin(); it != blocks.end(); ++it)
                if (!(*it)->in_use.load() && (victim == blocks.end() || (*it)->last_use < (*victim)->last_use)) victim = it;
            if (victim == blocks.end()) return;
            idle -= (*victim)->bytes;
            blocks.erase(victim);
        }
    }
};

// Never destroyed: tensors may be freed (and call back into the pool) during interpreter exit.
pool &the_pool() {
    static pool *p = new pool;
    return *p;
}

std::vector<int64_t> strides_for(at::IntArrayRef sizes, at::MemoryFormat format) {
    std::vector<int64_t> st(sizes.size());
    if (format == at::MemoryFormat::ChannelsLast && sizes.size() == 4) {
        st[1] = 1;
        st[3] = sizes[1];
        st[2] = sizes[3] * sizes[1];
        st[0] = sizes[2] * sizes[3] * sizes[1];
        return st;
    }
    int64_t s = 1;
    for (size_t i = sizes.size(); i-- > 0;) {
        st[i] = s;
        s *= std::max<int64_t>(1, sizes[i]);
    }
    return st;
}

at::Tensor from_pool(at::IntArrayRef sizes, at::IntArrayRef strides, size_t nbytes) {
    pool &pl = the_pool();
    std::shared_ptr<block> b;
    {
        std::lock_guard<std::mutex> lock(pl.mu);
        for (const auto &c : pl.blocks)
            if (c->bytes == nbytes && !c->in_use.load()) {
                b = c;
                break;
            }
        if (b) {
            ++pl.hits;
        } else {
            ++pl.misses;
            pl.trim(pl.limit > nbytes ? pl.limit - nbytes : 0);
            b = std::make_shared<block>(nbytes);
            pl.blocks.push_back(b);
        }
        b->in_use.store(true);
        b->last_use = ++pl.clock;
    }
    return at::from_blob(
            b->p, sizes, strides, [b](void *) { b->in_use.store(false); }, at::TensorOptions().dtype(at::kFloat));
}

} // namespace

void *huge_alloc(size_t bytes) {
    if (bytes < huge_page) {
        void *p = std::aligned_alloc(64, round_up(std::max<size_t>(bytes, 64), 64));
        if (!p) throw std::bad_alloc();
        return p;
    }
    const size_t len = round_up(bytes, huge_page);
    void *raw = mmap(nullptr, len + huge_page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) throw std::bad_alloc();
    const uintptr_t a = round_up((uintptr_t)raw, huge_page);
    const size_t head = a - (uintptr_t)raw;
    if (head) munmap(raw, head);
    if (huge_page - head) munmap(reinterpret_cast<char *>(a) + len, huge_page - head);
    madvise(reinterpret_cast<void *>(a), len, MADV_HUGEPAGE); // advice only: fine if refused
    return reinterpret_cast<void *>(a);
}

void huge_free(void *p, size_t bytes) {
    if (!p) return;
    if (bytes < huge_page) std::free(p);
    else munmap(p, round_up(bytes, huge_page));
}

at::Tensor pooled_empty(at::IntArrayRef sizes, at::MemoryFormat format) {
    int64_t n = 1;
    for (auto s : sizes) n *= s;
    const size_t nbytes = sizeof(float) * (size_t)n;
    if (nbytes < pool_min_bytes) return at::empty(sizes, at::TensorOptions().dtype(at::kFloat).memory_format(format));
    const auto st = strides_for(sizes, format);
    return from_pool(sizes, st, nbytes);
}

at::Tensor pooled_empty_like(const at::Tensor &like) {
    const size_t nbytes = sizeof(float) * (size_t)like.numel();
    if (nbytes < pool_min_bytes || !like.is_non_overlapping_and_dense())
        return at::empty_like(like, at::TensorOptions().dtype(at::kFloat));
    return from_pool(like.sizes(), like.strides(), nbytes);
}

pool_stats buffer_pool_stats() {
    pool &pl = the_pool();
    std::lock_guard<std::mutex> lock(pl.mu);
    pool_stats s;
    s.blocks = pl.blocks.size();
    for (const auto &b : pl.blocks) s.bytes += b->bytes;
    s.idle_bytes = pl.idle_bytes();
    s.limit_bytes = pl.limit;
    s.hits = pl.hits;
    s.misses = pl.misses;
    return s;
}

void set_buffer_pool_limit(size_t bytes) {
    pool &pl = the_pool();
    std::lock_guard<std::mutex> lock(pl.mu);
    pl.limit = bytes;
    pl.trim(bytes);
}

void release_idle_buffers() {
    pool &pl = the_pool();
    std::lock_guard<std::mutex> lock(pl.mu);
    pl.trim(0);
}

} // namespace sparsetrain_torch
