// rawgpu's built-in kernels in CUDA C++ (compiled by nvcc -cubin for each NVIDIA target): the
// same kernels, with the same arguments, as basic.cl (AMDGPU) and basic.c (simulator).
// extern "C" keeps the symbol names unmangled, so .text.<name> matches basic.cl's names.

extern "C" __global__ void saxpy(float* y, const float* x, float a, unsigned n) {
  unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = a * x[i] + y[i];
}

// One partial sum per block (at most 1024 threads), through shared memory.
extern "C" __global__ void reduce_sum(const float* in, float* out, unsigned n) {
  __shared__ float part[1024];
  unsigned lid = threadIdx.x;
  unsigned i = blockIdx.x * blockDim.x + lid;
  part[lid] = i < n ? in[i] : 0.0f;
  __syncthreads();
  if (lid == 0) {
    float s = 0.0f;
    for (unsigned k = 0; k < blockDim.x; ++k) s += part[k];
    out[blockIdx.x] = s;
  }
}

extern "C" __global__ void fill_u32(unsigned* out, unsigned value, unsigned n) {
  unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = value;
}

extern "C" __global__ void empty() {}

// basic.cl's private_sum: a per-thread array indexed at run time, so nvcc keeps it in local
// memory (the stack: EIATTR_MIN_STACK_SIZE / FRAME_SIZE > 0).
extern "C" __global__ void private_sum(unsigned* out, unsigned n) {
  volatile unsigned buf[64];
  unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  for (unsigned k = 0; k < 64; ++k) buf[k] = i + 3 * k;
  unsigned s = 0;
  for (unsigned k = 0; k < 64; ++k) s += buf[(7 * k + i) & 63];
  if (i < n) out[i] = s;
}
