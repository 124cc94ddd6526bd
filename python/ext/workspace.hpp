// Per-thread scratch buffers for the blocked (nChw16c) copies of activations and gradients.
//
// A copy lives only inside one call of the extension (reorder in, execute, reorder out), so
// every layer of a model can share the same few buffers. They only grow: the largest layer
// sets their size once and later calls reuse the pages already touched (a fresh large
// allocation page-faults on every call). thread_local, so concurrent calls never share one.
#pragma once

#include <cstddef>

namespace sparsetrain_torch {

// act_in: the primitive's input (src forward, diff_dst backward); act_out: its output
// (dst, diff_src), then backward-weights' src once diff_src has been copied out; mask_src:
// backward-data's src with relu_mask (shared with backward-weights where the layouts agree).
enum class ws_slot { act_in = 0, act_out = 1, mask_src = 2 };
constexpr int ws_slot_count = 3;

// A buffer of at least `bytes` bytes for the calling thread (huge_alloc: 64-byte aligned,
// huge pages when large).
void *workspace_buffer(ws_slot slot, size_t bytes);
// Bytes held by the calling thread's workspace.
size_t workspace_bytes();
// Frees the calling thread's workspace (the next call allocates it again).
void release_workspace();

} // namespace sparsetrain_torch
