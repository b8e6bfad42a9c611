/* rawgpu — the host-native kernel ABI of the simulator (C, so kernels are plain C files).
 *
 * A simulator code object has the container of the backend's real one (AMDHSA ELF with kernel
 * descriptors, cubin-layout ELF, Adreno binary); its machine code is replaced by a stub that
 * carries a host shared object built from a C file like this one:
 *
 *   #include "sim/kernel_abi.h"
 *   RG_SIM_KERNEL(saxpy, "ptr x; ptr y; f32 a; u32 n") {
 *     const struct saxpy_args { uint64_t x, y; float a; uint32_t n; }* a = RG_ARGS(wg);
 *     for (uint32_t t = 0; t < RG_GROUP_ITEMS(wg); ++t) {
 *       uint32_t i = RG_GLOBAL_ID_X(wg, t);
 *       if (i >= a->n) continue;
 *       float* y = RG_PTR(wg, float, a->y + 4ull * i, 4, RG_WRITE);
 *       const float* x = RG_PTR(wg, const float, a->x + 4ull * i, 4, RG_READ);
 *       if (!x || !y) return;          // GPU page fault: stop the workgroup
 *       *y = a->a * *x + *y;
 *     }
 *   }
 *
 * The command processor calls the kernel once per workgroup. Every access to GPU memory goes
 * through wg->mem(), which walks the simulated GPU page table: an address no mapping covers is a
 * GPU page fault, which the simulator reports the way the real driver does; the kernel must then
 * return. Argument strings list the explicit arguments in order: `ptr NAME`, `u32/i32/f32 NAME`,
 * `u64/i64/f64 NAME`; a trailing `; lds N` declares N bytes of static group memory, and
 * `; private N` N bytes of private (scratch) memory per work-item (see private_base below).
 */
#ifndef RAWGPU_SIM_KERNEL_ABI_H
#define RAWGPU_SIM_KERNEL_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RG_SIM_ABI_VERSION 1u
#define RG_READ 1u
#define RG_WRITE 2u

struct rg_sim_workgroup {
  uint32_t abi_version;    /* RG_SIM_ABI_VERSION */
  uint32_t group_id[3];    /* this workgroup's index in the grid */
  uint32_t group_size[3];  /* work-items per workgroup */
  uint32_t grid_groups[3]; /* workgroups in the grid */
  const uint8_t* kernarg;  /* the kernel arguments (explicit, then hidden) */
  uint8_t* lds;            /* group memory, lds_size bytes, zeroed per workgroup */
  uint32_t lds_size;
  uint32_t reserved;
  void* ctx;               /* the simulator's; pass back to mem() */
  /* Host pointer for [gpu_va, gpu_va + bytes) with access RG_READ/RG_WRITE, or NULL on a GPU
   * page fault (recorded by the simulator). */
  void* (*mem)(void* ctx, uint64_t gpu_va, uint64_t bytes, uint32_t access);
  /* Appended without an ABI version change (kernels that never read them are unaffected):
   * private memory, for kernels that declare `; private N`. Work-item t of this workgroup
   * (t = x + y*group_size[0] + z*group_size[0]*group_size[1]) owns the GPU addresses
   * [private_base + t*private_size, + private_size), which lie in the scratch memory the runtime
   * set up for the dispatch; reach them through mem() like any GPU address. private_size >= N;
   * both are 0 for kernels without private memory. The contents do not persist between
   * workgroups. */
  uint64_t private_base;
  uint32_t private_size;
  uint32_t reserved2;
};

typedef void (*rg_sim_kernel_fn)(const struct rg_sim_workgroup* wg);

#define RG_ARGS(wg) ((const void*)(wg)->kernarg)
#define RG_PTR(wg, type, va, bytes, access) ((type*)(wg)->mem((wg)->ctx, (va), (bytes), (access)))
#define RG_GROUP_ITEMS(wg) ((wg)->group_size[0] * (wg)->group_size[1] * (wg)->group_size[2])
/* Global x id of the t-th work-item of the group (1-D groups). */
#define RG_GLOBAL_ID_X(wg, t) ((wg)->group_id[0] * (wg)->group_size[0] + (t))

/* Declares kernel NAME with its argument list; the descriptor string is collected by the
 * code-object packer from the .rawgpu_sim section of the host shared object. */
#define RG_SIM_KERNEL(name, args)                                                      \
  __attribute__((used, section(".rawgpu_sim"))) static const char rg_sim_desc_##name[] = \
      #name "(" args ")";                                                              \
  __attribute__((visibility("default"))) void rg_sim_kernel_##name(                   \
      const struct rg_sim_workgroup* wg)

#ifdef __cplusplus
}
#endif

#endif /* RAWGPU_SIM_KERNEL_ABI_H */
