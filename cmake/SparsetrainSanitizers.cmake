# ASan + UBSan for every target of this build when SPARSETRAIN_SANITIZE=ON.
# JIT code is invisible to the sanitizers; kernel tests use guard regions instead.
if(SPARSETRAIN_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
