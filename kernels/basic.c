/* rawgpu's built-in kernels as simulator kernels (host-native implementations of basic.cl,
 * same names and arguments), packed into simulator code objects by rawgpu_add_sim_kernels. */
#include <string.h>

#include "sim/kernel_abi.h"

RG_SIM_KERNEL(saxpy, "ptr y; ptr x; f32 a; u32 n") {
  const struct { uint64_t y, x; float a; uint32_t n; }* a = RG_ARGS(wg);
  uint32_t first = wg->group_id[0] * wg->group_size[0];
  if (first >= a->n) return;
  uint32_t count = wg->group_size[0];
  if (count > a->n - first) count = a->n - first;
  float* y = RG_PTR(wg, float, a->y + 4ull * first, 4ull * count, RG_READ | RG_WRITE);
  const float* x = RG_PTR(wg, const float, a->x + 4ull * first, 4ull * count, RG_READ);
  if (!x || !y) return;
  for (uint32_t t = 0; t < count; ++t) y[t] = a->a * x[t] + y[t];
}

/* One partial sum per workgroup, through group memory. */
RG_SIM_KERNEL(reduce_sum, "ptr in; ptr out; u32 n; lds 4096") {
  const struct { uint64_t in, out; uint32_t n; }* a = RG_ARGS(wg);
  float* part = (float*)wg->lds;
  uint32_t gs = wg->group_size[0];
  for (uint32_t t = 0; t < gs; ++t) {
    uint32_t i = wg->group_id[0] * gs + t;
    const float* v = i < a->n ? RG_PTR(wg, const float, a->in + 4ull * i, 4, RG_READ) : 0;
    if (i < a->n && !v) return;
    part[t % 1024] += i < a->n ? *v : 0.0f;
  }
  float s = 0;
  for (uint32_t t = 0; t < gs && t < 1024; ++t) s += part[t];
  float* o = RG_PTR(wg, float, a->out + 4ull * wg->group_id[0], 4, RG_WRITE);
  if (o) *o = s;
}

/* Writes `value` to out[i] for every work-item i < n; with a short buffer it writes past the end
 * (a GPU page fault). */
RG_SIM_KERNEL(fill_u32, "ptr out; u32 value; u32 n") {
  const struct { uint64_t out; uint32_t value, n; }* a = RG_ARGS(wg);
  for (uint32_t t = 0; t < wg->group_size[0]; ++t) {
    uint32_t i = wg->group_id[0] * wg->group_size[0] + t;
    if (i >= a->n) return;
    uint32_t* o = RG_PTR(wg, uint32_t, a->out + 4ull * i, 4, RG_WRITE);
    if (!o) return;
    *o = a->value;
  }
}

/* Does nothing: measures dispatch overhead. */
RG_SIM_KERNEL(empty, "") { (void)wg; }

/* basic.cl's private_sum, through the work-item's private memory (64 dwords). */
RG_SIM_KERNEL(private_sum, "ptr out; u32 n; private 256") {
  const struct { uint64_t out; uint32_t n; }* a = RG_ARGS(wg);
  for (uint32_t t = 0; t < wg->group_size[0]; ++t) {
    uint32_t i = wg->group_id[0] * wg->group_size[0] + t;
    uint32_t* buf = RG_PTR(wg, uint32_t, wg->private_base + (uint64_t)t * wg->private_size, 256,
                           RG_READ | RG_WRITE);
    if (!buf) return;
    for (uint32_t k = 0; k < 64; ++k) buf[k] = i + 3 * k;
    uint32_t s = 0;
    for (uint32_t k = 0; k < 64; ++k) s += buf[(7 * k + i) & 63];
    if (i >= a->n) continue;
    uint32_t* o = RG_PTR(wg, uint32_t, a->out + 4ull * i, 4, RG_WRITE);
    if (!o) return;
    *o = s;
  }
}
