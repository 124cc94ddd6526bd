# All dependencies are Debian 12 packages: libdnnl-dev (+ ocl-icd-opencl-dev, which
# oneDNN's CMake config requires), libxbyak-dev, catch2 (tests only), and OpenMP from g++.
find_package(dnnl 2.6 CONFIG REQUIRED)
find_package(xbyak CONFIG REQUIRED)
# oneDNN 2.6.3 from Debian is built with GNU OpenMP; we use the same runtime so both
# libraries share one thread pool.
find_package(OpenMP REQUIRED COMPONENTS CXX)
