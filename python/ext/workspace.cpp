#include "workspace.hpp"

#include "buffer_pool.hpp"

namespace sparsetrain_torch {

namespace {

struct buffer {
    void *p = nullptr;
    size_t size = 0;
    ~buffer() { huge_free(p, size); }
};

struct thread_workspace {
    buffer slots[ws_slot_count];
};

thread_workspace &mine() {
    thread_local thread_workspace ws;
    return ws;
}

} // namespace

void *workspace_buffer(ws_slot slot, size_t bytes) {
    buffer &b = mine().slots[static_cast<int>(slot)];
    if (b.size >= bytes && b.p) return b.p;
    huge_free(b.p, b.size);
    b.p = nullptr;
    b.size = 0;
    const size_t rounded = (bytes + 4095) & ~size_t(4095);
    b.p = huge_alloc(rounded ? rounded : 4096);
    b.size = rounded ? rounded : 4096;
    return b.p;
}

size_t workspace_bytes() {
    size_t n = 0;
    for (const auto &b : mine().slots) n += b.size;
    return n;
}

void release_workspace() {
    for (auto &b : mine().slots) {
        huge_free(b.p, b.size);
        b.p = nullptr;
        b.size = 0;
    }
}

} // namespace sparsetrain_torch
