# Code objects the tests load (built in kernels/): real AMDGPU code objects from clang and
# simulator code objects. Paths reach the tests through the INTERFACE target rawgpu_test_kernels.
add_library(rawgpu_test_kernels INTERFACE)
target_compile_definitions(rawgpu_test_kernels INTERFACE RAWGPU_KERNEL_DIR="${RAWGPU_KERNEL_DIR}")
if(RAWGPU_HAVE_AMDGPU_CLANG)
  target_compile_definitions(rawgpu_test_kernels INTERFACE RAWGPU_HAVE_AMDGPU_CLANG=1)
endif()
