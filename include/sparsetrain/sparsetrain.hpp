// Umbrella header of sparsetrain.
#pragma once

#include "sparsetrain/convolution.hpp"
#include "sparsetrain/dispatch_mode.hpp"
#include "sparsetrain/error.hpp"
#include "sparsetrain/export.hpp"
#include "sparsetrain/version.hpp"
