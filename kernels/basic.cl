// rawgpu's built-in AMDGPU kernels (OpenCL C, compiled by clang for each gfx target). The same
// kernels, with the same arguments, exist as simulator kernels in basic.c; the demo and the
// tests pick one or the other by device.
// Work-item ids come from the clang builtins and the COV5 hidden arguments, so no device
// library is needed (-nogpulib).

static uint group_size_x(void) {
  __constant char* hidden = (__constant char*)__builtin_amdgcn_implicitarg_ptr();
  return *(__constant ushort*)(hidden + 12);  // hidden_group_size_x
}

static uint global_id_x(void) {
  return __builtin_amdgcn_workgroup_id_x() * group_size_x() + __builtin_amdgcn_workitem_id_x();
}

__kernel void saxpy(__global float* y, __global const float* x, float a, uint n) {
  uint i = global_id_x();
  if (i < n) y[i] = a * x[i] + y[i];
}

// One partial sum per workgroup (at most 1024 work-items), through group memory.
__kernel void reduce_sum(__global const float* in, __global float* out, uint n) {
  __local float part[1024];
  uint lid = __builtin_amdgcn_workitem_id_x();
  uint i = global_id_x();
  part[lid] = i < n ? in[i] : 0.0f;
  __builtin_amdgcn_s_barrier();
  if (lid == 0) {
    float s = 0.0f;
    for (uint k = 0; k < group_size_x(); ++k) s += part[k];
    out[__builtin_amdgcn_workgroup_id_x()] = s;
  }
}

__kernel void fill_u32(__global uint* out, uint value, uint n) {
  uint i = global_id_x();
  if (i < n) out[i] = value;
}

__kernel void empty(void) {}

// Uses scratch: a private array indexed with a value the compiler cannot fold, and volatile, so
// clang keeps it in the private segment (private_segment_fixed_size > 0). out[i] =
// sum over k of buf[(7k + i) mod 64] with buf[k] = i + 3k, i.e. 64*i + 6048.
__kernel void private_sum(__global uint* out, uint n) {
  volatile uint buf[64];
  uint i = global_id_x();
  for (uint k = 0; k < 64; ++k) buf[k] = i + 3 * k;
  uint s = 0;
  for (uint k = 0; k < 64; ++k) s += buf[(7 * k + i) & 63];
  if (i < n) out[i] = s;
}
