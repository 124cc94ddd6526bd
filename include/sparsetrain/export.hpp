// SPARSETRAIN_API marks what libsparsetrain exports: the classes and functions of
// include/sparsetrain/. The library is built with -fvisibility=hidden and
// -fvisibility-inlines-hidden, so every other symbol (the rooms under src/ and jit/) stays
// internal to it; tests, benchmarks and tools link the internal static libraries instead.
#pragma once

#if defined(__GNUC__) || defined(__clang__)
#define SPARSETRAIN_API __attribute__((visibility("default")))
#else
#define SPARSETRAIN_API
#endif
