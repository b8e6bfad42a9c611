// Real AMDGPU kernels for the loader tests, compiled by clang for several targets.
__kernel void saxpy(__global float* y, __global const float* x, float a, uint n) {
  __constant char* hidden = (__constant char*)__builtin_amdgcn_implicitarg_ptr();
  uint group_size = *(__constant ushort*)(hidden + 12);
  uint i = __builtin_amdgcn_workgroup_id_x() * group_size + __builtin_amdgcn_workitem_id_x();
  if (i < n) y[i] = a * x[i] + y[i];
}

// A second kernel with LDS and every argument kind, to check the metadata reader.
__kernel void reduce_sum(__global const float* in, __global float* out, uint n,
                         __local float* scratch) {
  __constant char* hidden = (__constant char*)__builtin_amdgcn_implicitarg_ptr();
  uint group_size = *(__constant ushort*)(hidden + 12);
  uint lid = __builtin_amdgcn_workitem_id_x();
  uint i = __builtin_amdgcn_workgroup_id_x() * group_size + lid;
  scratch[lid] = i < n ? in[i] : 0.0f;
  __builtin_amdgcn_s_barrier();
  if (lid == 0) {
    float s = 0.0f;
    for (uint k = 0; k < group_size; ++k) s += scratch[k];
    out[__builtin_amdgcn_workgroup_id_x()] = s;
  }
}
