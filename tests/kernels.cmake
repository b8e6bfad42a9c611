# Code objects the tests load: real AMDGPU code objects from clang (every target the fact sheet
# lists) and simulator code objects packed from C kernels. Paths reach the tests through the
# INTERFACE target rawgpu_test_kernels.
add_library(rawgpu_test_kernels INTERFACE)
set(RAWGPU_KERNEL_DIR ${CMAKE_CURRENT_BINARY_DIR}/kernels)
file(MAKE_DIRECTORY ${RAWGPU_KERNEL_DIR})

find_program(RAWGPU_CLANG_AMDGPU NAMES clang-19 clang-18 clang-17)
find_program(RAWGPU_LLD_AMDGPU NAMES ld.lld-19 ld.lld-18 ld.lld-17 ld.lld)
set(amd_outputs)
if(RAWGPU_CLANG_AMDGPU AND RAWGPU_LLD_AMDGPU)
  foreach(spec gfx90a:5 gfx942:5 gfx1030:5 gfx1100:5 gfx1201:5 gfx1100:4)
    string(REPLACE ":" ";" parts ${spec})
    list(GET parts 0 gfx)
    list(GET parts 1 cov)
    set(obj ${RAWGPU_KERNEL_DIR}/saxpy_${gfx}_v${cov}.o)
    set(co ${RAWGPU_KERNEL_DIR}/saxpy_${gfx}_v${cov}.co)
    add_custom_command(OUTPUT ${co}
      COMMAND ${RAWGPU_CLANG_AMDGPU} -x cl -cl-std=CL2.0 -target amdgcn-amd-amdhsa -mcpu=${gfx}
              -mcode-object-version=${cov} -cl-kernel-arg-info -nogpulib -O2 -c -o ${obj}
              ${PROJECT_SOURCE_DIR}/tests/kfd/kernels/saxpy.cl
      COMMAND ${RAWGPU_LLD_AMDGPU} -shared -o ${co} ${obj}
      DEPENDS ${PROJECT_SOURCE_DIR}/tests/kfd/kernels/saxpy.cl
      COMMENT "amdgcn code object ${gfx} v${cov}")
    list(APPEND amd_outputs ${co})
  endforeach()
  target_compile_definitions(rawgpu_test_kernels INTERFACE RAWGPU_HAVE_AMDGPU_CLANG=1)
endif()
add_custom_target(rawgpu_amdgpu_kernels ALL DEPENDS ${amd_outputs})

rawgpu_add_sim_kernels(sim_basic SOURCE ${PROJECT_SOURCE_DIR}/tests/sim/kernels/basic.c
                       OUTPUT_DIR ${RAWGPU_KERNEL_DIR} AMD_TARGETS gfx1100 gfx942)
target_compile_definitions(rawgpu_test_kernels INTERFACE RAWGPU_KERNEL_DIR="${RAWGPU_KERNEL_DIR}")
