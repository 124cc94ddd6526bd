# Warnings as errors for our own targets only (never leaked to consumers).
function(sparsetrain_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror)
endfunction()
