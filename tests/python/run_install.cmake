# ctest driver: `cmake --install` into a scratch prefix, then import sparsetrain.torch from
# that prefix alone (PYTHONPATH = <prefix>/<SPARSETRAIN_PYTHON_INSTALL_DIR>) and run a layer;
# the extension must load the installed libsparsetrain, found through its relative RPATH.
foreach(v BUILD_DIR WORK_DIR PYTHON PY_DIR)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "run_install.cmake: ${v} not set")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK_DIR})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "install failed: ${rc}")
endif()
set(code "
import sys, torch
import sparsetrain.torch as st
assert st.__file__.startswith('${WORK_DIR}/'), st.__file__
libs = [l.split()[-1] for l in open('/proc/self/maps') if 'libsparsetrain.so' in l]
assert libs and all(p.startswith('${WORK_DIR}/') for p in libs), libs
c = st.SparseConv2d(16, 16, 3, padding=1)
x = torch.randn(2, 16, 8, 8).relu_()
ref = torch.nn.functional.conv2d(x, c.weight, c.bias, padding=1)
assert torch.allclose(c(x), ref, atol=1e-5), 'wrong result'
print('installed sparsetrain.torch', st.library_version(), 'from', st.__file__)
")
execute_process(COMMAND ${CMAKE_COMMAND} -E env PYTHONPATH=${WORK_DIR}/${PY_DIR} ${PYTHON} -c "${code}"
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "importing the installed package failed: ${rc}")
endif()
