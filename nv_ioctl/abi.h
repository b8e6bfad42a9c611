// rawgpu — NVIDIA open kernel module ABI: the RM escapes of nvidia.ko (/dev/nvidiactl,
// /dev/nvidia<minor>), the nvidia-uvm.ko ioctls (/dev/nvidia-uvm), the RM control commands and
// allocation classes the bring-up uses, their ids, and the per-architecture class table.
//
// No NVIDIA header is packaged, so every struct here is hand-written from the published layouts
// (shared/abi/nvidia.md §1, §2, §3, §7; nvidia-hopper.md §3) and mirrors one upstream block of
// NVIDIA/open-gpu-kernel-modules, named in the comment above it with the driver version it was
// read at (STYLE rule 3). Only fixed-width types (char for the drivers' char arrays), explicit pad
// fields, 64-bit fields on 8-byte offsets, user pointers as uint64_t (NvP64). Member names are
// the driver's own; NvHandle/NvV32/NV_STATUS are uint32_t, NvBool is uint8_t.
//
// Every struct has static_asserts on its size and on every field offset.
//
// Driver branches (STYLE rule 4, fact sheet §7.2): a layout that changed between branches is a
// new type with the suffix of the first branch that has it (NVOS46_PARAMETERS_V580); the older
// type keeps the plain name. Which one a driver needs is decided once, from its version, by
// nv::select_abi() (nv_ioctl/ioctl.h); an unknown branch is refused there, never guessed.
//
// The ioctl table (request numbers, field lists, hints) is in nv_ioctl/describe.*; the status
// codes in nv_ioctl/status.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include "nv_ioctl/classes.h"

namespace rawgpu::nv {

#define RAWGPU_NV_SIZE(T, N)                                                     \
  static_assert(sizeof(T) == (N), #T ": size");                                  \
  static_assert(std::is_standard_layout_v<T> && std::is_trivially_copyable_v<T>, \
                #T ": must be a plain C struct")
#define RAWGPU_NV_OFF(T, F, O) static_assert(offsetof(T, F) == (O), #T "." #F ": offset")

// =============================================================================================
// 1. nvidia.ko escapes.
// Request encoding: _IOWR('F', nr, sizeof(args)); the kernel reads only _IOC_NR and _IOC_SIZE
// (14 bits). Sources: kernel-open/common/inc/nv-ioctl-numbers.h, nv-ioctl-numa.h,
// src/nvidia/arch/nvalloc/unix/include/nv_escape.h (numbers identical in 570, 580 and 610;
// fact sheet §1.2, §1.3).

inline constexpr uint8_t NV_IOCTL_MAGIC = 'F';  // nv-ioctl-numbers.h
inline constexpr uint32_t NV_IOCTL_BASE = 200;  // nv-ioctl-numbers.h
// Largest argument the _IOC size field can carry; larger ones go through NV_ESC_IOCTL_XFER_CMD
// (kernel-open/common/inc/nv.h NV_ABSOLUTE_MAX_IOCTL_SIZE is 16384 for the inner size).
inline constexpr uint32_t NV_ABSOLUTE_MAX_IOCTL_SIZE = 16384;

// nv_escape.h @ 580 (RM escapes; issued on /dev/nvidiactl except RM_ALLOC_MEMORY, fact sheet §1.2)
inline constexpr uint32_t NV_ESC_RM_ALLOC_MEMORY = 0x27;
inline constexpr uint32_t NV_ESC_RM_FREE = 0x29;
inline constexpr uint32_t NV_ESC_RM_CONTROL = 0x2A;
inline constexpr uint32_t NV_ESC_RM_ALLOC = 0x2B;
inline constexpr uint32_t NV_ESC_RM_DUP_OBJECT = 0x34;
inline constexpr uint32_t NV_ESC_RM_SHARE = 0x35;
inline constexpr uint32_t NV_ESC_RM_VID_HEAP_CONTROL = 0x4A;
inline constexpr uint32_t NV_ESC_RM_MAP_MEMORY = 0x4E;
inline constexpr uint32_t NV_ESC_RM_UNMAP_MEMORY = 0x4F;
inline constexpr uint32_t NV_ESC_RM_MAP_MEMORY_DMA = 0x57;
inline constexpr uint32_t NV_ESC_RM_UNMAP_MEMORY_DMA = 0x58;
inline constexpr uint32_t NV_ESC_RM_UPDATE_DEVICE_MAPPING_INFO = 0x5E;
// nv-ioctl-numbers.h / nv-ioctl-numa.h @ 580 (NV_IOCTL_BASE + n)
inline constexpr uint32_t NV_ESC_CARD_INFO = NV_IOCTL_BASE + 0;
inline constexpr uint32_t NV_ESC_REGISTER_FD = NV_IOCTL_BASE + 1;
inline constexpr uint32_t NV_ESC_ALLOC_OS_EVENT = NV_IOCTL_BASE + 6;
inline constexpr uint32_t NV_ESC_FREE_OS_EVENT = NV_IOCTL_BASE + 7;
inline constexpr uint32_t NV_ESC_STATUS_CODE = NV_IOCTL_BASE + 9;
inline constexpr uint32_t NV_ESC_CHECK_VERSION_STR = NV_IOCTL_BASE + 10;
inline constexpr uint32_t NV_ESC_IOCTL_XFER_CMD = NV_IOCTL_BASE + 11;
inline constexpr uint32_t NV_ESC_ATTACH_GPUS_TO_FD = NV_IOCTL_BASE + 12;
inline constexpr uint32_t NV_ESC_QUERY_DEVICE_INTR = NV_IOCTL_BASE + 13;
inline constexpr uint32_t NV_ESC_SYS_PARAMS = NV_IOCTL_BASE + 14;
inline constexpr uint32_t NV_ESC_NUMA_INFO = NV_IOCTL_BASE + 15;
inline constexpr uint32_t NV_ESC_SET_NUMA_STATUS = NV_IOCTL_BASE + 16;
inline constexpr uint32_t NV_ESC_EXPORT_TO_DMABUF_FD = NV_IOCTL_BASE + 17;
inline constexpr uint32_t NV_ESC_WAIT_OPEN_COMPLETE = NV_IOCTL_BASE + 18;

// ---------------------------------------------------------------------------------------------
// Mirrors kernel-open/common/inc/nv-ioctl.h nv_pci_info_t @ 580
struct nv_pci_info_t {
  uint32_t domain;
  uint8_t bus;
  uint8_t slot;
  uint8_t function;
  uint8_t pad0;
  uint16_t vendor_id;
  uint16_t device_id;
};
RAWGPU_NV_SIZE(nv_pci_info_t, 12);
RAWGPU_NV_OFF(nv_pci_info_t, domain, 0);
RAWGPU_NV_OFF(nv_pci_info_t, bus, 4);
RAWGPU_NV_OFF(nv_pci_info_t, slot, 5);
RAWGPU_NV_OFF(nv_pci_info_t, function, 6);
RAWGPU_NV_OFF(nv_pci_info_t, pad0, 7);
RAWGPU_NV_OFF(nv_pci_info_t, vendor_id, 8);
RAWGPU_NV_OFF(nv_pci_info_t, device_id, 10);

// Mirrors kernel-open/common/inc/nv-ioctl.h nv_ioctl_card_info_t @ 580 (all OUT; NV_ESC_CARD_INFO
// takes an array of them, tinygrad passes 64).
struct nv_ioctl_card_info_t {
  uint8_t valid;  // NvBool
  uint8_t pad0;
  uint16_t pad1;
  nv_pci_info_t pci_info;
  uint32_t gpu_id;  // input of NV0000_CTRL_CMD_GPU_GET_ID_INFO_V2
  uint16_t interrupt_line;
  uint16_t pad2;
  uint64_t reg_address;
  uint64_t reg_size;
  uint64_t fb_address;
  uint64_t fb_size;
  uint32_t minor_number;  // /dev/nvidia<minor_number>
  uint8_t dev_name[10];
  uint16_t pad3;
};
RAWGPU_NV_SIZE(nv_ioctl_card_info_t, 72);
RAWGPU_NV_OFF(nv_ioctl_card_info_t, valid, 0);
RAWGPU_NV_OFF(nv_ioctl_card_info_t, pad0, 1);
RAWGPU_NV_OFF(nv_ioctl_card_info_t, pad1, 2);
RAWGPU_NV_OFF(nv_ioctl_card_info_t, pci_info, 4);
RAWGPU_NV_OFF(nv_ioctl_card_info_t, gpu_id, 16);
RAWGPU_NV_OFF(nv_ioctl_card_info_t, interrupt_line, 20);
RAWGPU_NV_OFF(nv_ioctl_card_info_t, pad2, 22);
RAWGPU_NV_OFF(nv_ioctl_card_info_t, reg_address, 24);
RAWGPU_NV_OFF(nv_ioctl_card_info_t, reg_size, 32);
RAWGPU_NV_OFF(nv_ioctl_card_info_t, fb_address, 40);
RAWGPU_NV_OFF(nv_ioctl_card_info_t, fb_size, 48);
RAWGPU_NV_OFF(nv_ioctl_card_info_t, minor_number, 56);
RAWGPU_NV_OFF(nv_ioctl_card_info_t, dev_name, 60);
RAWGPU_NV_OFF(nv_ioctl_card_info_t, pad3, 70);

// Mirrors kernel-open/common/inc/nv-ioctl.h nv_ioctl_xfer_t @ 580
struct nv_ioctl_xfer_t {
  uint32_t cmd;
  uint32_t size;
  uint64_t ptr;  // NvP64
};
RAWGPU_NV_SIZE(nv_ioctl_xfer_t, 16);
RAWGPU_NV_OFF(nv_ioctl_xfer_t, cmd, 0);
RAWGPU_NV_OFF(nv_ioctl_xfer_t, size, 4);
RAWGPU_NV_OFF(nv_ioctl_xfer_t, ptr, 8);

// Mirrors kernel-open/common/inc/nv-ioctl.h nv_ioctl_alloc_os_event_t / nv_ioctl_free_os_event_t
// @ 580 (Status is the in-band NV_STATUS).
struct nv_ioctl_alloc_os_event_t {
  uint32_t hClient;
  uint32_t hDevice;
  uint32_t fd;
  uint32_t Status;
};
RAWGPU_NV_SIZE(nv_ioctl_alloc_os_event_t, 16);
RAWGPU_NV_OFF(nv_ioctl_alloc_os_event_t, hClient, 0);
RAWGPU_NV_OFF(nv_ioctl_alloc_os_event_t, hDevice, 4);
RAWGPU_NV_OFF(nv_ioctl_alloc_os_event_t, fd, 8);
RAWGPU_NV_OFF(nv_ioctl_alloc_os_event_t, Status, 12);
struct nv_ioctl_free_os_event_t {
  uint32_t hClient;
  uint32_t hDevice;
  uint32_t fd;
  uint32_t Status;
};
RAWGPU_NV_SIZE(nv_ioctl_free_os_event_t, 16);
RAWGPU_NV_OFF(nv_ioctl_free_os_event_t, hClient, 0);
RAWGPU_NV_OFF(nv_ioctl_free_os_event_t, hDevice, 4);
RAWGPU_NV_OFF(nv_ioctl_free_os_event_t, fd, 8);
RAWGPU_NV_OFF(nv_ioctl_free_os_event_t, Status, 12);

// Mirrors kernel-open/common/inc/nv-ioctl.h nv_ioctl_status_code_t @ 580
struct nv_ioctl_status_code_t {
  uint32_t domain;
  uint8_t bus;
  uint8_t slot;
  uint16_t pad0;
  uint32_t status;
};
RAWGPU_NV_SIZE(nv_ioctl_status_code_t, 12);
RAWGPU_NV_OFF(nv_ioctl_status_code_t, domain, 0);
RAWGPU_NV_OFF(nv_ioctl_status_code_t, bus, 4);
RAWGPU_NV_OFF(nv_ioctl_status_code_t, slot, 5);
RAWGPU_NV_OFF(nv_ioctl_status_code_t, pad0, 6);
RAWGPU_NV_OFF(nv_ioctl_status_code_t, status, 8);

// Mirrors kernel-open/common/inc/nv-ioctl.h nv_ioctl_rm_api_version_t @ 580 (fact sheet §1.4)
inline constexpr uint32_t NV_RM_API_VERSION_STRING_LENGTH = 64;
inline constexpr uint32_t NV_RM_API_VERSION_CMD_STRICT = 0;
inline constexpr uint32_t NV_RM_API_VERSION_CMD_RELAXED = '1';  // compare up to the first '.'
inline constexpr uint32_t NV_RM_API_VERSION_CMD_QUERY = '2';    // kernel copies its version out
inline constexpr uint32_t NV_RM_API_VERSION_REPLY_UNRECOGNIZED = 0;
inline constexpr uint32_t NV_RM_API_VERSION_REPLY_RECOGNIZED = 1;
struct nv_ioctl_rm_api_version_t {
  uint32_t cmd;
  uint32_t reply;  // OUT
  char versionString[NV_RM_API_VERSION_STRING_LENGTH];
};
RAWGPU_NV_SIZE(nv_ioctl_rm_api_version_t, 72);
RAWGPU_NV_OFF(nv_ioctl_rm_api_version_t, cmd, 0);
RAWGPU_NV_OFF(nv_ioctl_rm_api_version_t, reply, 4);
RAWGPU_NV_OFF(nv_ioctl_rm_api_version_t, versionString, 8);

// Mirrors kernel-open/common/inc/nv-ioctl.h nv_ioctl_query_device_intr_t @ 580
struct nv_ioctl_query_device_intr_t {
  uint32_t intrStatus;
  uint32_t status;
};
RAWGPU_NV_SIZE(nv_ioctl_query_device_intr_t, 8);
RAWGPU_NV_OFF(nv_ioctl_query_device_intr_t, intrStatus, 0);
RAWGPU_NV_OFF(nv_ioctl_query_device_intr_t, status, 4);

// Mirrors kernel-open/common/inc/nv-ioctl.h nv_ioctl_sys_params_t @ 580
struct nv_ioctl_sys_params_t {
  uint64_t memblock_size;
};
RAWGPU_NV_SIZE(nv_ioctl_sys_params_t, 8);
RAWGPU_NV_OFF(nv_ioctl_sys_params_t, memblock_size, 0);

// Mirrors kernel-open/common/inc/nv-ioctl.h nv_ioctl_register_fd_t @ 580 (no status field: a
// failure is ioctl() = -EINVAL)
struct nv_ioctl_register_fd_t {
  int32_t ctl_fd;
};
RAWGPU_NV_SIZE(nv_ioctl_register_fd_t, 4);
RAWGPU_NV_OFF(nv_ioctl_register_fd_t, ctl_fd, 0);

// Mirrors kernel-open/common/inc/nv-ioctl.h nv_ioctl_export_to_dma_buf_fd_t @ 580 (bAllowMmap was
// padding before 580; the size is 2608 in both, fact sheet §7.2)
inline constexpr uint32_t NV_DMABUF_EXPORT_MAX_HANDLES = 128;
struct nv_ioctl_export_to_dma_buf_fd_t {
  int32_t fd;
  uint32_t hClient;
  uint32_t totalObjects;
  uint32_t numObjects;
  uint32_t index;
  uint32_t pad0;
  uint64_t totalSize;
  uint8_t mappingType;
  uint8_t bAllowMmap;
  uint16_t pad1;
  uint32_t handles[NV_DMABUF_EXPORT_MAX_HANDLES];
  uint32_t pad2;
  uint64_t offsets[NV_DMABUF_EXPORT_MAX_HANDLES];
  uint64_t sizes[NV_DMABUF_EXPORT_MAX_HANDLES];
  uint32_t status;
  uint32_t pad3;
};
RAWGPU_NV_SIZE(nv_ioctl_export_to_dma_buf_fd_t, 2608);
RAWGPU_NV_OFF(nv_ioctl_export_to_dma_buf_fd_t, fd, 0);
RAWGPU_NV_OFF(nv_ioctl_export_to_dma_buf_fd_t, hClient, 4);
RAWGPU_NV_OFF(nv_ioctl_export_to_dma_buf_fd_t, totalObjects, 8);
RAWGPU_NV_OFF(nv_ioctl_export_to_dma_buf_fd_t, numObjects, 12);
RAWGPU_NV_OFF(nv_ioctl_export_to_dma_buf_fd_t, index, 16);
RAWGPU_NV_OFF(nv_ioctl_export_to_dma_buf_fd_t, pad0, 20);
RAWGPU_NV_OFF(nv_ioctl_export_to_dma_buf_fd_t, totalSize, 24);
RAWGPU_NV_OFF(nv_ioctl_export_to_dma_buf_fd_t, mappingType, 32);
RAWGPU_NV_OFF(nv_ioctl_export_to_dma_buf_fd_t, bAllowMmap, 33);
RAWGPU_NV_OFF(nv_ioctl_export_to_dma_buf_fd_t, pad1, 34);
RAWGPU_NV_OFF(nv_ioctl_export_to_dma_buf_fd_t, handles, 36);
RAWGPU_NV_OFF(nv_ioctl_export_to_dma_buf_fd_t, pad2, 548);
RAWGPU_NV_OFF(nv_ioctl_export_to_dma_buf_fd_t, offsets, 552);
RAWGPU_NV_OFF(nv_ioctl_export_to_dma_buf_fd_t, sizes, 1576);
RAWGPU_NV_OFF(nv_ioctl_export_to_dma_buf_fd_t, status, 2600);
RAWGPU_NV_OFF(nv_ioctl_export_to_dma_buf_fd_t, pad3, 2604);

// Mirrors kernel-open/common/inc/nv-ioctl.h nv_ioctl_wait_open_complete_t @ 580
struct nv_ioctl_wait_open_complete_t {
  int32_t rc;
  uint32_t adapterStatus;
};
RAWGPU_NV_SIZE(nv_ioctl_wait_open_complete_t, 8);
RAWGPU_NV_OFF(nv_ioctl_wait_open_complete_t, rc, 0);
RAWGPU_NV_OFF(nv_ioctl_wait_open_complete_t, adapterStatus, 4);

// Mirrors kernel-open/common/inc/nv-ioctl-numa.h nv_offline_addresses_t / nv_ioctl_numa_info_t
// @ 570 (fact sheet §1.4: 560 bytes with use_auto_online; older releases had no use_auto_online
// and were 552 bytes). Issued on a GPU node; irrelevant to discrete PCIe GPUs.
inline constexpr uint32_t NV_IOCTL_NUMA_INFO_MAX_OFFLINE_ADDRESSES = 64;
struct nv_offline_addresses_t {
  uint64_t addresses[NV_IOCTL_NUMA_INFO_MAX_OFFLINE_ADDRESSES];
  uint32_t numEntries;
  uint32_t pad0;
};
RAWGPU_NV_SIZE(nv_offline_addresses_t, 520);
RAWGPU_NV_OFF(nv_offline_addresses_t, addresses, 0);
RAWGPU_NV_OFF(nv_offline_addresses_t, numEntries, 512);
RAWGPU_NV_OFF(nv_offline_addresses_t, pad0, 516);
struct nv_ioctl_numa_info_t {
  int32_t nid;
  int32_t status;
  uint64_t memblock_size;
  uint64_t numa_mem_addr;
  uint64_t numa_mem_size;
  uint8_t use_auto_online;
  uint8_t pad0;
  uint16_t pad1;
  uint32_t pad2;
  nv_offline_addresses_t offline_addresses;
};
RAWGPU_NV_SIZE(nv_ioctl_numa_info_t, 560);
RAWGPU_NV_OFF(nv_ioctl_numa_info_t, nid, 0);
RAWGPU_NV_OFF(nv_ioctl_numa_info_t, status, 4);
RAWGPU_NV_OFF(nv_ioctl_numa_info_t, memblock_size, 8);
RAWGPU_NV_OFF(nv_ioctl_numa_info_t, numa_mem_addr, 16);
RAWGPU_NV_OFF(nv_ioctl_numa_info_t, numa_mem_size, 24);
RAWGPU_NV_OFF(nv_ioctl_numa_info_t, use_auto_online, 32);
RAWGPU_NV_OFF(nv_ioctl_numa_info_t, pad0, 33);
RAWGPU_NV_OFF(nv_ioctl_numa_info_t, pad1, 34);
RAWGPU_NV_OFF(nv_ioctl_numa_info_t, pad2, 36);
RAWGPU_NV_OFF(nv_ioctl_numa_info_t, offline_addresses, 40);

// Mirrors kernel-open/common/inc/nv-ioctl-numa.h nv_ioctl_set_numa_status_t @ 580
struct nv_ioctl_set_numa_status_t {
  int32_t status;  // IN: NV_IOCTL_NUMA_STATUS_*
};
RAWGPU_NV_SIZE(nv_ioctl_set_numa_status_t, 4);
RAWGPU_NV_OFF(nv_ioctl_set_numa_status_t, status, 0);

// ---------------------------------------------------------------------------------------------
// RM object and memory escapes. Mirrors src/common/sdk/nvidia/inc/nvos.h and
// src/nvidia/arch/nvalloc/unix/include/nv-unix-nvos-params-wrappers.h @ 580 (fact sheet §1.5;
// identical in 570 and 610 unless a _V suffix says otherwise).

// Mirrors nvos.h NVOS00_PARAMETERS @ 580 (NV_ESC_RM_FREE)
struct NVOS00_PARAMETERS {
  uint32_t hRoot;
  uint32_t hObjectParent;
  uint32_t hObjectOld;
  uint32_t status;
};
RAWGPU_NV_SIZE(NVOS00_PARAMETERS, 16);
RAWGPU_NV_OFF(NVOS00_PARAMETERS, hRoot, 0);
RAWGPU_NV_OFF(NVOS00_PARAMETERS, hObjectParent, 4);
RAWGPU_NV_OFF(NVOS00_PARAMETERS, hObjectOld, 8);
RAWGPU_NV_OFF(NVOS00_PARAMETERS, status, 12);

// Mirrors nvos.h NVOS02_PARAMETERS @ 580 (NV_ESC_RM_ALLOC_MEMORY, inside the fd wrapper)
struct NVOS02_PARAMETERS {
  uint32_t hRoot;
  uint32_t hObjectParent;
  uint32_t hObjectNew;  // caller-chosen for OS descriptors
  uint32_t hClass;
  uint32_t flags;  // NVOS02_FLAGS_*
  uint32_t pad0;
  uint64_t pMemory;  // NvP64: CPU VA for OS descriptors
  uint64_t limit;    // size - 1
  uint32_t status;
  uint32_t pad1;
};
RAWGPU_NV_SIZE(NVOS02_PARAMETERS, 48);
RAWGPU_NV_OFF(NVOS02_PARAMETERS, hRoot, 0);
RAWGPU_NV_OFF(NVOS02_PARAMETERS, hObjectParent, 4);
RAWGPU_NV_OFF(NVOS02_PARAMETERS, hObjectNew, 8);
RAWGPU_NV_OFF(NVOS02_PARAMETERS, hClass, 12);
RAWGPU_NV_OFF(NVOS02_PARAMETERS, flags, 16);
RAWGPU_NV_OFF(NVOS02_PARAMETERS, pad0, 20);
RAWGPU_NV_OFF(NVOS02_PARAMETERS, pMemory, 24);
RAWGPU_NV_OFF(NVOS02_PARAMETERS, limit, 32);
RAWGPU_NV_OFF(NVOS02_PARAMETERS, status, 40);
RAWGPU_NV_OFF(NVOS02_PARAMETERS, pad1, 44);

// Mirrors nv-unix-nvos-params-wrappers.h nv_ioctl_nvos02_parameters_with_fd @ 580
struct nv_ioctl_nvos02_parameters_with_fd {
  NVOS02_PARAMETERS params;
  int32_t fd;  // mmap-context fd for NV01_MEMORY_SYSTEM without NO_MAP; -1 otherwise
  uint32_t pad0;
};
RAWGPU_NV_SIZE(nv_ioctl_nvos02_parameters_with_fd, 56);
RAWGPU_NV_OFF(nv_ioctl_nvos02_parameters_with_fd, params, 0);
RAWGPU_NV_OFF(nv_ioctl_nvos02_parameters_with_fd, fd, 48);
RAWGPU_NV_OFF(nv_ioctl_nvos02_parameters_with_fd, pad0, 52);

// NVOS02 flags (nvos.h @ 580; fact sheet §3.4): PHYSICALITY 7:4, LOCATION 11:8, COHERENCY 15:12,
// GPU_CACHEABLE 18, ALLOC_USER_READ_ONLY 21, MAPPING 31:30.
inline constexpr uint32_t NVOS02_FLAGS_PHYSICALITY_NONCONTIGUOUS = 1u << 4;
inline constexpr uint32_t NVOS02_FLAGS_LOCATION_PCI = 0u << 8;
inline constexpr uint32_t NVOS02_FLAGS_COHERENCY_CACHED = 1u << 12;
inline constexpr uint32_t NVOS02_FLAGS_GPU_CACHEABLE_YES = 1u << 18;
inline constexpr uint32_t NVOS02_FLAGS_ALLOC_USER_READ_ONLY_YES = 1u << 21;
inline constexpr uint32_t NVOS02_FLAGS_MAPPING_NO_MAP = 1u << 30;

// Mirrors nvos.h NVOS21_PARAMETERS @ 580 (NV_ESC_RM_ALLOC, 32-byte form)
struct NVOS21_PARAMETERS {
  uint32_t hRoot;  // client (0 when allocating the client itself)
  uint32_t hObjectParent;
  uint32_t hObjectNew;  // INOUT: 0 lets RM generate the handle
  uint32_t hClass;
  uint64_t pAllocParms;  // NvP64
  uint32_t paramsSize;   // ignored by RM: it copies the class's own params size
  uint32_t status;
};
RAWGPU_NV_SIZE(NVOS21_PARAMETERS, 32);
RAWGPU_NV_OFF(NVOS21_PARAMETERS, hRoot, 0);
RAWGPU_NV_OFF(NVOS21_PARAMETERS, hObjectParent, 4);
RAWGPU_NV_OFF(NVOS21_PARAMETERS, hObjectNew, 8);
RAWGPU_NV_OFF(NVOS21_PARAMETERS, hClass, 12);
RAWGPU_NV_OFF(NVOS21_PARAMETERS, pAllocParms, 16);
RAWGPU_NV_OFF(NVOS21_PARAMETERS, paramsSize, 24);
RAWGPU_NV_OFF(NVOS21_PARAMETERS, status, 28);

// Mirrors nvos.h NVOS64_PARAMETERS @ 580 (NV_ESC_RM_ALLOC, 48-byte form with access rights)
struct NVOS64_PARAMETERS {
  uint32_t hRoot;
  uint32_t hObjectParent;
  uint32_t hObjectNew;
  uint32_t hClass;
  uint64_t pAllocParms;       // NvP64
  uint64_t pRightsRequested;  // NvP64
  uint32_t paramsSize;
  uint32_t flags;
  uint32_t status;
  uint32_t pad0;
};
RAWGPU_NV_SIZE(NVOS64_PARAMETERS, 48);
RAWGPU_NV_OFF(NVOS64_PARAMETERS, hRoot, 0);
RAWGPU_NV_OFF(NVOS64_PARAMETERS, hObjectParent, 4);
RAWGPU_NV_OFF(NVOS64_PARAMETERS, hObjectNew, 8);
RAWGPU_NV_OFF(NVOS64_PARAMETERS, hClass, 12);
RAWGPU_NV_OFF(NVOS64_PARAMETERS, pAllocParms, 16);
RAWGPU_NV_OFF(NVOS64_PARAMETERS, pRightsRequested, 24);
RAWGPU_NV_OFF(NVOS64_PARAMETERS, paramsSize, 32);
RAWGPU_NV_OFF(NVOS64_PARAMETERS, flags, 36);
RAWGPU_NV_OFF(NVOS64_PARAMETERS, status, 40);
RAWGPU_NV_OFF(NVOS64_PARAMETERS, pad0, 44);

// Mirrors nvos.h NVOS54_PARAMETERS @ 580 (NV_ESC_RM_CONTROL; paramsSize must equal the
// control's registered size exactly)
struct NVOS54_PARAMETERS {
  uint32_t hClient;
  uint32_t hObject;
  uint32_t cmd;
  uint32_t flags;
  uint64_t params;  // NvP64
  uint32_t paramsSize;
  uint32_t status;
};
RAWGPU_NV_SIZE(NVOS54_PARAMETERS, 32);
RAWGPU_NV_OFF(NVOS54_PARAMETERS, hClient, 0);
RAWGPU_NV_OFF(NVOS54_PARAMETERS, hObject, 4);
RAWGPU_NV_OFF(NVOS54_PARAMETERS, cmd, 8);
RAWGPU_NV_OFF(NVOS54_PARAMETERS, flags, 12);
RAWGPU_NV_OFF(NVOS54_PARAMETERS, params, 16);
RAWGPU_NV_OFF(NVOS54_PARAMETERS, paramsSize, 24);
RAWGPU_NV_OFF(NVOS54_PARAMETERS, status, 28);

// Mirrors nvos.h NVOS55_PARAMETERS @ 580 (NV_ESC_RM_DUP_OBJECT)
struct NVOS55_PARAMETERS {
  uint32_t hClient;
  uint32_t hParent;
  uint32_t hObject;  // INOUT
  uint32_t hClientSrc;
  uint32_t hObjectSrc;
  uint32_t flags;
  uint32_t status;
};
RAWGPU_NV_SIZE(NVOS55_PARAMETERS, 28);
RAWGPU_NV_OFF(NVOS55_PARAMETERS, hClient, 0);
RAWGPU_NV_OFF(NVOS55_PARAMETERS, hParent, 4);
RAWGPU_NV_OFF(NVOS55_PARAMETERS, hObject, 8);
RAWGPU_NV_OFF(NVOS55_PARAMETERS, hClientSrc, 12);
RAWGPU_NV_OFF(NVOS55_PARAMETERS, hObjectSrc, 16);
RAWGPU_NV_OFF(NVOS55_PARAMETERS, flags, 20);
RAWGPU_NV_OFF(NVOS55_PARAMETERS, status, 24);

// Mirrors src/common/sdk/nvidia/inc/rs_access.h RS_SHARE_POLICY and nvos.h NVOS57_PARAMETERS
// @ 580 (NV_ESC_RM_SHARE)
struct RS_SHARE_POLICY {
  uint32_t target;
  uint32_t accessMask;  // RS_ACCESS_MASK
  uint16_t type;
  uint8_t action;
  uint8_t pad0;
};
RAWGPU_NV_SIZE(RS_SHARE_POLICY, 12);
RAWGPU_NV_OFF(RS_SHARE_POLICY, target, 0);
RAWGPU_NV_OFF(RS_SHARE_POLICY, accessMask, 4);
RAWGPU_NV_OFF(RS_SHARE_POLICY, type, 8);
RAWGPU_NV_OFF(RS_SHARE_POLICY, action, 10);
RAWGPU_NV_OFF(RS_SHARE_POLICY, pad0, 11);
struct NVOS57_PARAMETERS {
  uint32_t hClient;
  uint32_t hObject;
  RS_SHARE_POLICY sharePolicy;
  uint32_t status;
};
RAWGPU_NV_SIZE(NVOS57_PARAMETERS, 24);
RAWGPU_NV_OFF(NVOS57_PARAMETERS, hClient, 0);
RAWGPU_NV_OFF(NVOS57_PARAMETERS, hObject, 4);
RAWGPU_NV_OFF(NVOS57_PARAMETERS, sharePolicy, 8);
RAWGPU_NV_OFF(NVOS57_PARAMETERS, status, 20);

// Mirrors nvos.h NVOS32_PARAMETERS @ 580 (NV_ESC_RM_VID_HEAP_CONTROL). The 144-byte union `data`
// is kept as bytes; its AllocSize member (function NVOS32_FUNCTION_ALLOC_SIZE) is
// NVOS32_ALLOC_SIZE below, to be placed at offsetof(NVOS32_PARAMETERS, data).
inline constexpr uint32_t NVOS32_FUNCTION_ALLOC_SIZE = 2;
struct NVOS32_ALLOC_SIZE {
  uint32_t owner;
  uint32_t hMemory;  // OUT
  uint32_t type;
  uint32_t flags;
  uint32_t attr;
  uint32_t format;
  uint32_t comprCovg;
  uint32_t zcullCovg;
  uint32_t partitionStride;
  uint32_t width;
  uint32_t height;
  uint32_t pad0;
  uint64_t size;
  uint64_t alignment;
  uint64_t offset;
  uint64_t limit;
  uint64_t address;  // NvP64
  uint64_t rangeBegin;
  uint64_t rangeEnd;
  uint32_t attr2;
  uint32_t ctagOffset;
  int32_t numaNode;
  uint32_t pad1;
};
RAWGPU_NV_SIZE(NVOS32_ALLOC_SIZE, 120);
RAWGPU_NV_OFF(NVOS32_ALLOC_SIZE, owner, 0);
RAWGPU_NV_OFF(NVOS32_ALLOC_SIZE, hMemory, 4);
RAWGPU_NV_OFF(NVOS32_ALLOC_SIZE, type, 8);
RAWGPU_NV_OFF(NVOS32_ALLOC_SIZE, flags, 12);
RAWGPU_NV_OFF(NVOS32_ALLOC_SIZE, attr, 16);
RAWGPU_NV_OFF(NVOS32_ALLOC_SIZE, format, 20);
RAWGPU_NV_OFF(NVOS32_ALLOC_SIZE, comprCovg, 24);
RAWGPU_NV_OFF(NVOS32_ALLOC_SIZE, zcullCovg, 28);
RAWGPU_NV_OFF(NVOS32_ALLOC_SIZE, partitionStride, 32);
RAWGPU_NV_OFF(NVOS32_ALLOC_SIZE, width, 36);
RAWGPU_NV_OFF(NVOS32_ALLOC_SIZE, height, 40);
RAWGPU_NV_OFF(NVOS32_ALLOC_SIZE, pad0, 44);
RAWGPU_NV_OFF(NVOS32_ALLOC_SIZE, size, 48);
RAWGPU_NV_OFF(NVOS32_ALLOC_SIZE, alignment, 56);
RAWGPU_NV_OFF(NVOS32_ALLOC_SIZE, offset, 64);
RAWGPU_NV_OFF(NVOS32_ALLOC_SIZE, limit, 72);
RAWGPU_NV_OFF(NVOS32_ALLOC_SIZE, address, 80);
RAWGPU_NV_OFF(NVOS32_ALLOC_SIZE, rangeBegin, 88);
RAWGPU_NV_OFF(NVOS32_ALLOC_SIZE, rangeEnd, 96);
RAWGPU_NV_OFF(NVOS32_ALLOC_SIZE, attr2, 104);
RAWGPU_NV_OFF(NVOS32_ALLOC_SIZE, ctagOffset, 108);
RAWGPU_NV_OFF(NVOS32_ALLOC_SIZE, numaNode, 112);
RAWGPU_NV_OFF(NVOS32_ALLOC_SIZE, pad1, 116);
struct NVOS32_PARAMETERS {
  uint32_t hRoot;
  uint32_t hObjectParent;
  uint32_t function;
  uint32_t hVASpace;
  int16_t ivcHeapNumber;
  uint16_t pad0;
  uint32_t status;
  uint64_t total;
  uint64_t free;
  uint8_t data[144];  // union; NVOS32_ALLOC_SIZE for NVOS32_FUNCTION_ALLOC_SIZE
};
RAWGPU_NV_SIZE(NVOS32_PARAMETERS, 184);
RAWGPU_NV_OFF(NVOS32_PARAMETERS, hRoot, 0);
RAWGPU_NV_OFF(NVOS32_PARAMETERS, hObjectParent, 4);
RAWGPU_NV_OFF(NVOS32_PARAMETERS, function, 8);
RAWGPU_NV_OFF(NVOS32_PARAMETERS, hVASpace, 12);
RAWGPU_NV_OFF(NVOS32_PARAMETERS, ivcHeapNumber, 16);
RAWGPU_NV_OFF(NVOS32_PARAMETERS, pad0, 18);
RAWGPU_NV_OFF(NVOS32_PARAMETERS, status, 20);
RAWGPU_NV_OFF(NVOS32_PARAMETERS, total, 24);
RAWGPU_NV_OFF(NVOS32_PARAMETERS, free, 32);
RAWGPU_NV_OFF(NVOS32_PARAMETERS, data, 40);
static_assert(sizeof(NVOS32_ALLOC_SIZE) <= sizeof(NVOS32_PARAMETERS::data));

// Mirrors nvos.h NVOS33_PARAMETERS @ 580 (NV_ESC_RM_MAP_MEMORY, inside the fd wrapper)
struct NVOS33_PARAMETERS {
  uint32_t hClient;
  uint32_t hDevice;  // device or subdevice
  uint32_t hMemory;
  uint32_t pad0;
  uint64_t offset;
  uint64_t length;
  uint64_t pLinearAddress;  // OUT: a kernel cookie (NvP64)
  uint32_t status;
  uint32_t flags;  // NVOS33_FLAGS_*; the kernel overwrites CACHING_TYPE with DEFAULT
};
RAWGPU_NV_SIZE(NVOS33_PARAMETERS, 48);
RAWGPU_NV_OFF(NVOS33_PARAMETERS, hClient, 0);
RAWGPU_NV_OFF(NVOS33_PARAMETERS, hDevice, 4);
RAWGPU_NV_OFF(NVOS33_PARAMETERS, hMemory, 8);
RAWGPU_NV_OFF(NVOS33_PARAMETERS, pad0, 12);
RAWGPU_NV_OFF(NVOS33_PARAMETERS, offset, 16);
RAWGPU_NV_OFF(NVOS33_PARAMETERS, length, 24);
RAWGPU_NV_OFF(NVOS33_PARAMETERS, pLinearAddress, 32);
RAWGPU_NV_OFF(NVOS33_PARAMETERS, status, 40);
RAWGPU_NV_OFF(NVOS33_PARAMETERS, flags, 44);

// Mirrors nv-unix-nvos-params-wrappers.h nv_ioctl_nvos33_parameters_with_fd @ 580
struct nv_ioctl_nvos33_parameters_with_fd {
  NVOS33_PARAMETERS params;
  int32_t fd;  // the fd that receives the mmap context; mmap it at offset 0 afterwards
  uint32_t pad0;
};
RAWGPU_NV_SIZE(nv_ioctl_nvos33_parameters_with_fd, 56);
RAWGPU_NV_OFF(nv_ioctl_nvos33_parameters_with_fd, params, 0);
RAWGPU_NV_OFF(nv_ioctl_nvos33_parameters_with_fd, fd, 48);
RAWGPU_NV_OFF(nv_ioctl_nvos33_parameters_with_fd, pad0, 52);

// NVOS33 flags (nvos.h @ 580; fact sheet §1.6): ACCESS 1:0, MAP_FIXED 18, RESERVE_ON_UNMAP 19.
inline constexpr uint32_t NVOS33_FLAGS_ACCESS_READ_WRITE = 0;
inline constexpr uint32_t NVOS33_FLAGS_ACCESS_READ_ONLY = 1;
inline constexpr uint32_t NVOS33_FLAGS_ACCESS_WRITE_ONLY = 2;
inline constexpr uint32_t NVOS33_FLAGS_MAP_FIXED = 1u << 18;
inline constexpr uint32_t NVOS33_FLAGS_RESERVE_ON_UNMAP = 1u << 19;

// Mirrors nvos.h NVOS34_PARAMETERS @ 580 (NV_ESC_RM_UNMAP_MEMORY)
struct NVOS34_PARAMETERS {
  uint32_t hClient;
  uint32_t hDevice;
  uint32_t hMemory;
  uint32_t pad0;
  uint64_t pLinearAddress;  // NvP64: the cookie NV_ESC_RM_MAP_MEMORY returned
  uint32_t status;
  uint32_t flags;
};
RAWGPU_NV_SIZE(NVOS34_PARAMETERS, 32);
RAWGPU_NV_OFF(NVOS34_PARAMETERS, hClient, 0);
RAWGPU_NV_OFF(NVOS34_PARAMETERS, hDevice, 4);
RAWGPU_NV_OFF(NVOS34_PARAMETERS, hMemory, 8);
RAWGPU_NV_OFF(NVOS34_PARAMETERS, pad0, 12);
RAWGPU_NV_OFF(NVOS34_PARAMETERS, pLinearAddress, 16);
RAWGPU_NV_OFF(NVOS34_PARAMETERS, status, 24);
RAWGPU_NV_OFF(NVOS34_PARAMETERS, flags, 28);

// Mirrors nvos.h NVOS46_PARAMETERS @ 570 (NV_ESC_RM_MAP_MEMORY_DMA, 56 bytes on 570/575)
struct NVOS46_PARAMETERS {
  uint32_t hClient;
  uint32_t hDevice;
  uint32_t hDma;  // VA space or context DMA (tinygrad: the NV01_MEMORY_VIRTUAL object)
  uint32_t hMemory;
  uint64_t offset;
  uint64_t length;
  uint32_t flags;  // NVOS46_FLAGS_*
  uint32_t pad0;
  uint64_t dmaOffset;  // INOUT: IN with DMA_OFFSET_FIXED
  uint32_t status;
  uint32_t pad1;
};
RAWGPU_NV_SIZE(NVOS46_PARAMETERS, 56);
RAWGPU_NV_OFF(NVOS46_PARAMETERS, hClient, 0);
RAWGPU_NV_OFF(NVOS46_PARAMETERS, hDevice, 4);
RAWGPU_NV_OFF(NVOS46_PARAMETERS, hDma, 8);
RAWGPU_NV_OFF(NVOS46_PARAMETERS, hMemory, 12);
RAWGPU_NV_OFF(NVOS46_PARAMETERS, offset, 16);
RAWGPU_NV_OFF(NVOS46_PARAMETERS, length, 24);
RAWGPU_NV_OFF(NVOS46_PARAMETERS, flags, 32);
RAWGPU_NV_OFF(NVOS46_PARAMETERS, pad0, 36);
RAWGPU_NV_OFF(NVOS46_PARAMETERS, dmaOffset, 40);
RAWGPU_NV_OFF(NVOS46_PARAMETERS, status, 48);
RAWGPU_NV_OFF(NVOS46_PARAMETERS, pad1, 52);

// Mirrors nvos.h NVOS46_PARAMETERS @ 580.65.06 (flags2 and kindOverride inserted: 64 bytes; the
// ioctl size check rejects the 56-byte form; gvisor NVOS46_PARAMETERS_V580)
struct NVOS46_PARAMETERS_V580 {
  uint32_t hClient;
  uint32_t hDevice;
  uint32_t hDma;
  uint32_t hMemory;
  uint64_t offset;
  uint64_t length;
  uint32_t flags;
  uint32_t flags2;
  uint32_t kindOverride;
  uint32_t pad0;
  uint64_t dmaOffset;
  uint32_t status;
  uint32_t pad1;
};
RAWGPU_NV_SIZE(NVOS46_PARAMETERS_V580, 64);
RAWGPU_NV_OFF(NVOS46_PARAMETERS_V580, hClient, 0);
RAWGPU_NV_OFF(NVOS46_PARAMETERS_V580, hDevice, 4);
RAWGPU_NV_OFF(NVOS46_PARAMETERS_V580, hDma, 8);
RAWGPU_NV_OFF(NVOS46_PARAMETERS_V580, hMemory, 12);
RAWGPU_NV_OFF(NVOS46_PARAMETERS_V580, offset, 16);
RAWGPU_NV_OFF(NVOS46_PARAMETERS_V580, length, 24);
RAWGPU_NV_OFF(NVOS46_PARAMETERS_V580, flags, 32);
RAWGPU_NV_OFF(NVOS46_PARAMETERS_V580, flags2, 36);
RAWGPU_NV_OFF(NVOS46_PARAMETERS_V580, kindOverride, 40);
RAWGPU_NV_OFF(NVOS46_PARAMETERS_V580, pad0, 44);
RAWGPU_NV_OFF(NVOS46_PARAMETERS_V580, dmaOffset, 48);
RAWGPU_NV_OFF(NVOS46_PARAMETERS_V580, status, 56);
RAWGPU_NV_OFF(NVOS46_PARAMETERS_V580, pad1, 60);

// NVOS46 flags (nvos.h @ 580; fact sheet §3.5): ACCESS 1:0, PAGE_KIND 3, CACHE_SNOOP 4,
// SHADER_ACCESS 7:6, PAGE_SIZE 11:8, DMA_OFFSET_FIXED 15, GPU_CACHEABLE 18:17 (580+),
// PAGE_KIND_OVERRIDE 19 (580+).
inline constexpr uint32_t NVOS46_FLAGS_CACHE_SNOOP_ENABLE = 1u << 4;
inline constexpr uint32_t NVOS46_FLAGS_PAGE_SIZE_4KB = 1u << 8;
inline constexpr uint32_t NVOS46_FLAGS_DMA_OFFSET_FIXED_TRUE = 1u << 15;

// Mirrors nvos.h NVOS47_PARAMETERS @ 580 (NV_ESC_RM_UNMAP_MEMORY_DMA)
struct NVOS47_PARAMETERS {
  uint32_t hClient;
  uint32_t hDevice;
  uint32_t hDma;
  uint32_t hMemory;
  uint32_t flags;
  uint32_t pad0;
  uint64_t dmaOffset;
  uint64_t size;  // 0 unmaps the whole mapping
  uint32_t status;
  uint32_t pad1;
};
RAWGPU_NV_SIZE(NVOS47_PARAMETERS, 48);
RAWGPU_NV_OFF(NVOS47_PARAMETERS, hClient, 0);
RAWGPU_NV_OFF(NVOS47_PARAMETERS, hDevice, 4);
RAWGPU_NV_OFF(NVOS47_PARAMETERS, hDma, 8);
RAWGPU_NV_OFF(NVOS47_PARAMETERS, hMemory, 12);
RAWGPU_NV_OFF(NVOS47_PARAMETERS, flags, 16);
RAWGPU_NV_OFF(NVOS47_PARAMETERS, pad0, 20);
RAWGPU_NV_OFF(NVOS47_PARAMETERS, dmaOffset, 24);
RAWGPU_NV_OFF(NVOS47_PARAMETERS, size, 32);
RAWGPU_NV_OFF(NVOS47_PARAMETERS, status, 40);
RAWGPU_NV_OFF(NVOS47_PARAMETERS, pad1, 44);

// Mirrors nvos.h NVOS56_PARAMETERS @ 580 (NV_ESC_RM_UPDATE_DEVICE_MAPPING_INFO)
struct NVOS56_PARAMETERS {
  uint32_t hClient;
  uint32_t hDevice;
  uint32_t hMemory;
  uint32_t pad0;
  uint64_t pOldCpuAddress;  // NvP64
  uint64_t pNewCpuAddress;  // NvP64
  uint32_t status;
  uint32_t pad1;
};
RAWGPU_NV_SIZE(NVOS56_PARAMETERS, 40);
RAWGPU_NV_OFF(NVOS56_PARAMETERS, hClient, 0);
RAWGPU_NV_OFF(NVOS56_PARAMETERS, hDevice, 4);
RAWGPU_NV_OFF(NVOS56_PARAMETERS, hMemory, 8);
RAWGPU_NV_OFF(NVOS56_PARAMETERS, pad0, 12);
RAWGPU_NV_OFF(NVOS56_PARAMETERS, pOldCpuAddress, 16);
RAWGPU_NV_OFF(NVOS56_PARAMETERS, pNewCpuAddress, 24);
RAWGPU_NV_OFF(NVOS56_PARAMETERS, status, 32);
RAWGPU_NV_OFF(NVOS56_PARAMETERS, pad1, 36);

// =============================================================================================
// 2. nvidia-uvm.ko ioctls (/dev/nvidia-uvm). The request is the bare number (UVM_IOCTL_BASE(i)
// is i on Linux); the kernel copies sizeof(its own struct) and never checks a size; the result
// is the last field, rmStatus. Mirrors kernel-open/nvidia-uvm/uvm_ioctl.h, uvm_linux_ioctl.h
// @ 580 unless a _V suffix says otherwise (fact sheet §2).

inline constexpr uint32_t UVM_INITIALIZE = 0x30000001;
inline constexpr uint32_t UVM_DEINITIALIZE = 0x30000002;
inline constexpr uint32_t UVM_REGISTER_GPU_VASPACE = 25;
inline constexpr uint32_t UVM_UNREGISTER_GPU_VASPACE = 26;
inline constexpr uint32_t UVM_REGISTER_CHANNEL = 27;
inline constexpr uint32_t UVM_UNREGISTER_CHANNEL = 28;
inline constexpr uint32_t UVM_ENABLE_PEER_ACCESS = 29;
inline constexpr uint32_t UVM_DISABLE_PEER_ACCESS = 30;
inline constexpr uint32_t UVM_MAP_EXTERNAL_ALLOCATION = 33;
inline constexpr uint32_t UVM_FREE = 34;
inline constexpr uint32_t UVM_REGISTER_GPU = 37;
inline constexpr uint32_t UVM_UNREGISTER_GPU = 38;
inline constexpr uint32_t UVM_UNMAP_EXTERNAL = 66;
inline constexpr uint32_t UVM_CREATE_EXTERNAL_RANGE = 73;
inline constexpr uint32_t UVM_MM_INITIALIZE = 75;

// UVM_INITIALIZE flags (uvm_ioctl.h @ 580)
inline constexpr uint64_t UVM_INIT_FLAGS_DISABLE_HMM = 1;
inline constexpr uint64_t UVM_INIT_FLAGS_MULTI_PROCESS_SHARING_MODE = 2;

// Mirrors src/common/sdk/nvidia/inc/nvtypes.h NvProcessorUuid @ 580 (the GPU UUID as 16 bytes,
// from NV2080_CTRL_CMD_GPU_GET_GID_INFO with FORMAT_BINARY)
struct NvProcessorUuid {
  uint8_t uuid[16];
};
RAWGPU_NV_SIZE(NvProcessorUuid, 16);
RAWGPU_NV_OFF(NvProcessorUuid, uuid, 0);

// Mirrors uvm_ioctl.h UVM_INITIALIZE_PARAMS @ 580
struct UVM_INITIALIZE_PARAMS {
  uint64_t flags;
  uint32_t rmStatus;
  uint32_t pad0;
};
RAWGPU_NV_SIZE(UVM_INITIALIZE_PARAMS, 16);
RAWGPU_NV_OFF(UVM_INITIALIZE_PARAMS, flags, 0);
RAWGPU_NV_OFF(UVM_INITIALIZE_PARAMS, rmStatus, 8);
RAWGPU_NV_OFF(UVM_INITIALIZE_PARAMS, pad0, 12);

// Mirrors uvm_ioctl.h UVM_MM_INITIALIZE_PARAMS @ 580 (issued on a second UVM fd)
struct UVM_MM_INITIALIZE_PARAMS {
  int32_t uvmFd;  // the first UVM fd
  uint32_t rmStatus;
};
RAWGPU_NV_SIZE(UVM_MM_INITIALIZE_PARAMS, 8);
RAWGPU_NV_OFF(UVM_MM_INITIALIZE_PARAMS, uvmFd, 0);
RAWGPU_NV_OFF(UVM_MM_INITIALIZE_PARAMS, rmStatus, 4);

// Mirrors uvm_ioctl.h UVM_REGISTER_GPU_PARAMS @ 580
struct UVM_REGISTER_GPU_PARAMS {
  NvProcessorUuid gpu_uuid;  // INOUT
  uint8_t numaEnabled;       // OUT, NvBool
  uint8_t pad0;
  uint16_t pad1;
  int32_t numaNodeId;  // OUT
  int32_t rmCtrlFd;    // -1 unless a MIG partition is named
  uint32_t hClient;
  uint32_t hSmcPartRef;
  uint32_t rmStatus;
};
RAWGPU_NV_SIZE(UVM_REGISTER_GPU_PARAMS, 40);
RAWGPU_NV_OFF(UVM_REGISTER_GPU_PARAMS, gpu_uuid, 0);
RAWGPU_NV_OFF(UVM_REGISTER_GPU_PARAMS, numaEnabled, 16);
RAWGPU_NV_OFF(UVM_REGISTER_GPU_PARAMS, pad0, 17);
RAWGPU_NV_OFF(UVM_REGISTER_GPU_PARAMS, pad1, 18);
RAWGPU_NV_OFF(UVM_REGISTER_GPU_PARAMS, numaNodeId, 20);
RAWGPU_NV_OFF(UVM_REGISTER_GPU_PARAMS, rmCtrlFd, 24);
RAWGPU_NV_OFF(UVM_REGISTER_GPU_PARAMS, hClient, 28);
RAWGPU_NV_OFF(UVM_REGISTER_GPU_PARAMS, hSmcPartRef, 32);
RAWGPU_NV_OFF(UVM_REGISTER_GPU_PARAMS, rmStatus, 36);

// Mirrors uvm_ioctl.h UVM_UNREGISTER_GPU_PARAMS @ 580
struct UVM_UNREGISTER_GPU_PARAMS {
  NvProcessorUuid gpu_uuid;
  uint32_t rmStatus;
};
RAWGPU_NV_SIZE(UVM_UNREGISTER_GPU_PARAMS, 20);
RAWGPU_NV_OFF(UVM_UNREGISTER_GPU_PARAMS, gpu_uuid, 0);
RAWGPU_NV_OFF(UVM_UNREGISTER_GPU_PARAMS, rmStatus, 16);

// Mirrors uvm_ioctl.h UVM_REGISTER_GPU_VASPACE_PARAMS @ 580
struct UVM_REGISTER_GPU_VASPACE_PARAMS {
  NvProcessorUuid gpuUuid;
  int32_t rmCtrlFd;  // the /dev/nvidiactl fd
  uint32_t hClient;
  uint32_t hVaSpace;  // a FERMI_VASPACE_A
  uint32_t rmStatus;
};
RAWGPU_NV_SIZE(UVM_REGISTER_GPU_VASPACE_PARAMS, 32);
RAWGPU_NV_OFF(UVM_REGISTER_GPU_VASPACE_PARAMS, gpuUuid, 0);
RAWGPU_NV_OFF(UVM_REGISTER_GPU_VASPACE_PARAMS, rmCtrlFd, 16);
RAWGPU_NV_OFF(UVM_REGISTER_GPU_VASPACE_PARAMS, hClient, 20);
RAWGPU_NV_OFF(UVM_REGISTER_GPU_VASPACE_PARAMS, hVaSpace, 24);
RAWGPU_NV_OFF(UVM_REGISTER_GPU_VASPACE_PARAMS, rmStatus, 28);

// Mirrors uvm_ioctl.h UVM_UNREGISTER_GPU_VASPACE_PARAMS @ 580
struct UVM_UNREGISTER_GPU_VASPACE_PARAMS {
  NvProcessorUuid gpuUuid;
  uint32_t rmStatus;
};
RAWGPU_NV_SIZE(UVM_UNREGISTER_GPU_VASPACE_PARAMS, 20);
RAWGPU_NV_OFF(UVM_UNREGISTER_GPU_VASPACE_PARAMS, gpuUuid, 0);
RAWGPU_NV_OFF(UVM_UNREGISTER_GPU_VASPACE_PARAMS, rmStatus, 16);

// Mirrors uvm_ioctl.h UVM_REGISTER_CHANNEL_PARAMS @ 580
struct UVM_REGISTER_CHANNEL_PARAMS {
  NvProcessorUuid gpuUuid;
  int32_t rmCtrlFd;
  uint32_t hClient;
  uint32_t hChannel;
  uint32_t pad0;
  uint64_t base;  // a VA region unused by UVM, for the channel's RM context buffers
  uint64_t length;
  uint32_t rmStatus;
  uint32_t pad1;
};
RAWGPU_NV_SIZE(UVM_REGISTER_CHANNEL_PARAMS, 56);
RAWGPU_NV_OFF(UVM_REGISTER_CHANNEL_PARAMS, gpuUuid, 0);
RAWGPU_NV_OFF(UVM_REGISTER_CHANNEL_PARAMS, rmCtrlFd, 16);
RAWGPU_NV_OFF(UVM_REGISTER_CHANNEL_PARAMS, hClient, 20);
RAWGPU_NV_OFF(UVM_REGISTER_CHANNEL_PARAMS, hChannel, 24);
RAWGPU_NV_OFF(UVM_REGISTER_CHANNEL_PARAMS, pad0, 28);
RAWGPU_NV_OFF(UVM_REGISTER_CHANNEL_PARAMS, base, 32);
RAWGPU_NV_OFF(UVM_REGISTER_CHANNEL_PARAMS, length, 40);
RAWGPU_NV_OFF(UVM_REGISTER_CHANNEL_PARAMS, rmStatus, 48);
RAWGPU_NV_OFF(UVM_REGISTER_CHANNEL_PARAMS, pad1, 52);

// Mirrors uvm_ioctl.h UVM_UNREGISTER_CHANNEL_PARAMS @ 580 (28 bytes up to 580)
struct UVM_UNREGISTER_CHANNEL_PARAMS {
  NvProcessorUuid gpuUuid;
  uint32_t hClient;
  uint32_t hChannel;
  uint32_t rmStatus;
};
RAWGPU_NV_SIZE(UVM_UNREGISTER_CHANNEL_PARAMS, 28);
RAWGPU_NV_OFF(UVM_UNREGISTER_CHANNEL_PARAMS, gpuUuid, 0);
RAWGPU_NV_OFF(UVM_UNREGISTER_CHANNEL_PARAMS, hClient, 16);
RAWGPU_NV_OFF(UVM_UNREGISTER_CHANNEL_PARAMS, hChannel, 20);
RAWGPU_NV_OFF(UVM_UNREGISTER_CHANNEL_PARAMS, rmStatus, 24);

// Mirrors uvm_ioctl.h UVM_UNREGISTER_CHANNEL_PARAMS @ 590.44.01 (gpuUuid removed: 12 bytes)
struct UVM_UNREGISTER_CHANNEL_PARAMS_V590 {
  uint32_t hClient;
  uint32_t hChannel;
  uint32_t rmStatus;
};
RAWGPU_NV_SIZE(UVM_UNREGISTER_CHANNEL_PARAMS_V590, 12);
RAWGPU_NV_OFF(UVM_UNREGISTER_CHANNEL_PARAMS_V590, hClient, 0);
RAWGPU_NV_OFF(UVM_UNREGISTER_CHANNEL_PARAMS_V590, hChannel, 4);
RAWGPU_NV_OFF(UVM_UNREGISTER_CHANNEL_PARAMS_V590, rmStatus, 8);

// Mirrors uvm_ioctl.h UVM_ENABLE_PEER_ACCESS_PARAMS / UVM_DISABLE_PEER_ACCESS_PARAMS @ 580
struct UVM_ENABLE_PEER_ACCESS_PARAMS {
  NvProcessorUuid gpuUuidA;
  NvProcessorUuid gpuUuidB;
  uint32_t rmStatus;
};
RAWGPU_NV_SIZE(UVM_ENABLE_PEER_ACCESS_PARAMS, 36);
RAWGPU_NV_OFF(UVM_ENABLE_PEER_ACCESS_PARAMS, gpuUuidA, 0);
RAWGPU_NV_OFF(UVM_ENABLE_PEER_ACCESS_PARAMS, gpuUuidB, 16);
RAWGPU_NV_OFF(UVM_ENABLE_PEER_ACCESS_PARAMS, rmStatus, 32);
struct UVM_DISABLE_PEER_ACCESS_PARAMS {
  NvProcessorUuid gpuUuidA;
  NvProcessorUuid gpuUuidB;
  uint32_t rmStatus;
};
RAWGPU_NV_SIZE(UVM_DISABLE_PEER_ACCESS_PARAMS, 36);
RAWGPU_NV_OFF(UVM_DISABLE_PEER_ACCESS_PARAMS, gpuUuidA, 0);
RAWGPU_NV_OFF(UVM_DISABLE_PEER_ACCESS_PARAMS, gpuUuidB, 16);
RAWGPU_NV_OFF(UVM_DISABLE_PEER_ACCESS_PARAMS, rmStatus, 32);

// Mirrors kernel-open/common/inc/nv_uvm_user_types.h UvmGpuMappingAttributes and the
// UvmGpuMappingType values @ 580
inline constexpr uint32_t UvmGpuMappingTypeDefault = 0;
inline constexpr uint32_t UvmGpuMappingTypeReadWriteAtomic = 1;
inline constexpr uint32_t UvmGpuMappingTypeReadWrite = 2;
inline constexpr uint32_t UvmGpuMappingTypeReadOnly = 3;
struct UvmGpuMappingAttributes {
  NvProcessorUuid gpuUuid;
  uint32_t gpuMappingType;
  uint32_t gpuCachingType;
  uint32_t gpuFormatType;
  uint32_t gpuElementBits;
  uint32_t gpuCompressionType;
};
RAWGPU_NV_SIZE(UvmGpuMappingAttributes, 36);
RAWGPU_NV_OFF(UvmGpuMappingAttributes, gpuUuid, 0);
RAWGPU_NV_OFF(UvmGpuMappingAttributes, gpuMappingType, 16);
RAWGPU_NV_OFF(UvmGpuMappingAttributes, gpuCachingType, 20);
RAWGPU_NV_OFF(UvmGpuMappingAttributes, gpuFormatType, 24);
RAWGPU_NV_OFF(UvmGpuMappingAttributes, gpuElementBits, 28);
RAWGPU_NV_OFF(UvmGpuMappingAttributes, gpuCompressionType, 32);

// Mirrors uvm_ioctl.h UVM_MAP_EXTERNAL_ALLOCATION_PARAMS @ 580 (UVM_MAX_GPUS_V2 = 256 entries)
inline constexpr uint32_t UVM_MAX_GPUS_V2 = 256;
struct UVM_MAP_EXTERNAL_ALLOCATION_PARAMS {
  uint64_t base;
  uint64_t length;
  uint64_t offset;
  UvmGpuMappingAttributes perGpuAttributes[UVM_MAX_GPUS_V2];
  uint64_t gpuAttributesCount;
  int32_t rmCtrlFd;
  uint32_t hClient;
  uint32_t hMemory;
  uint32_t rmStatus;
};
RAWGPU_NV_SIZE(UVM_MAP_EXTERNAL_ALLOCATION_PARAMS, 9264);
RAWGPU_NV_OFF(UVM_MAP_EXTERNAL_ALLOCATION_PARAMS, base, 0);
RAWGPU_NV_OFF(UVM_MAP_EXTERNAL_ALLOCATION_PARAMS, length, 8);
RAWGPU_NV_OFF(UVM_MAP_EXTERNAL_ALLOCATION_PARAMS, offset, 16);
RAWGPU_NV_OFF(UVM_MAP_EXTERNAL_ALLOCATION_PARAMS, perGpuAttributes, 24);
RAWGPU_NV_OFF(UVM_MAP_EXTERNAL_ALLOCATION_PARAMS, gpuAttributesCount, 0x2418);
RAWGPU_NV_OFF(UVM_MAP_EXTERNAL_ALLOCATION_PARAMS, rmCtrlFd, 0x2420);
RAWGPU_NV_OFF(UVM_MAP_EXTERNAL_ALLOCATION_PARAMS, hClient, 0x2424);
RAWGPU_NV_OFF(UVM_MAP_EXTERNAL_ALLOCATION_PARAMS, hMemory, 0x2428);
RAWGPU_NV_OFF(UVM_MAP_EXTERNAL_ALLOCATION_PARAMS, rmStatus, 0x242C);

// Mirrors uvm_ioctl.h UVM_FREE_PARAMS @ 580 (24 bytes up to 580)
struct UVM_FREE_PARAMS {
  uint64_t base;
  uint64_t length;
  uint32_t rmStatus;
  uint32_t pad0;
};
RAWGPU_NV_SIZE(UVM_FREE_PARAMS, 24);
RAWGPU_NV_OFF(UVM_FREE_PARAMS, base, 0);
RAWGPU_NV_OFF(UVM_FREE_PARAMS, length, 8);
RAWGPU_NV_OFF(UVM_FREE_PARAMS, rmStatus, 16);
RAWGPU_NV_OFF(UVM_FREE_PARAMS, pad0, 20);

// Mirrors uvm_ioctl.h UVM_FREE_PARAMS @ 590.44.01 (length removed: rmStatus moves to 8;
// gvisor UVM_FREE_PARAMS_V590)
struct UVM_FREE_PARAMS_V590 {
  uint64_t base;
  uint32_t rmStatus;
  uint32_t pad0;
};
RAWGPU_NV_SIZE(UVM_FREE_PARAMS_V590, 16);
RAWGPU_NV_OFF(UVM_FREE_PARAMS_V590, base, 0);
RAWGPU_NV_OFF(UVM_FREE_PARAMS_V590, rmStatus, 8);
RAWGPU_NV_OFF(UVM_FREE_PARAMS_V590, pad0, 12);

// Mirrors uvm_ioctl.h UVM_UNMAP_EXTERNAL_PARAMS @ 580
struct UVM_UNMAP_EXTERNAL_PARAMS {
  uint64_t base;
  uint64_t length;
  NvProcessorUuid gpuUuid;
  uint32_t rmStatus;
  uint32_t pad0;
};
RAWGPU_NV_SIZE(UVM_UNMAP_EXTERNAL_PARAMS, 40);
RAWGPU_NV_OFF(UVM_UNMAP_EXTERNAL_PARAMS, base, 0);
RAWGPU_NV_OFF(UVM_UNMAP_EXTERNAL_PARAMS, length, 8);
RAWGPU_NV_OFF(UVM_UNMAP_EXTERNAL_PARAMS, gpuUuid, 16);
RAWGPU_NV_OFF(UVM_UNMAP_EXTERNAL_PARAMS, rmStatus, 32);
RAWGPU_NV_OFF(UVM_UNMAP_EXTERNAL_PARAMS, pad0, 36);

// Mirrors uvm_ioctl.h UVM_CREATE_EXTERNAL_RANGE_PARAMS @ 580 (base and length 4 KiB aligned; no
// CPU mapping is created)
struct UVM_CREATE_EXTERNAL_RANGE_PARAMS {
  uint64_t base;
  uint64_t length;
  uint32_t rmStatus;
  uint32_t pad0;
};
RAWGPU_NV_SIZE(UVM_CREATE_EXTERNAL_RANGE_PARAMS, 24);
RAWGPU_NV_OFF(UVM_CREATE_EXTERNAL_RANGE_PARAMS, base, 0);
RAWGPU_NV_OFF(UVM_CREATE_EXTERNAL_RANGE_PARAMS, length, 8);
RAWGPU_NV_OFF(UVM_CREATE_EXTERNAL_RANGE_PARAMS, rmStatus, 16);
RAWGPU_NV_OFF(UVM_CREATE_EXTERNAL_RANGE_PARAMS, pad0, 20);

// An ioctl without an argument (UVM_DEINITIALIZE).
struct nv_no_args {};

// RM allocation class ids: nv_ioctl/classes.h (one list for the ABI, packets and simulator).

// Engine types (src/common/sdk/nvidia/inc/class/cl2080_notification.h / ctrl2080gpu.h @ 580;
// fact sheet §3.7)
inline constexpr uint32_t NV2080_ENGINE_TYPE_GRAPHICS = 1;
inline constexpr uint32_t NV2080_ENGINE_TYPE_COPY0 = 9;
inline constexpr uint32_t NV2080_ENGINE_TYPE_NVDEC0 = 0x13;

// ---------------------------------------------------------------------------------------------
// Allocation params.

// Mirrors src/common/sdk/nvidia/inc/class/cl0005.h NV0005_ALLOC_PARAMETERS @ 580
// (NV01_EVENT_OS_EVENT and the other NV01_EVENT classes)
struct NV0005_ALLOC_PARAMETERS {
  uint32_t hParentClient;
  uint32_t hSrcResource;
  uint32_t hClass;
  uint32_t notifyIndex;
  uint64_t data;  // NvP64: for OS events, the event fd
};
RAWGPU_NV_SIZE(NV0005_ALLOC_PARAMETERS, 24);
RAWGPU_NV_OFF(NV0005_ALLOC_PARAMETERS, hParentClient, 0);
RAWGPU_NV_OFF(NV0005_ALLOC_PARAMETERS, hSrcResource, 4);
RAWGPU_NV_OFF(NV0005_ALLOC_PARAMETERS, hClass, 8);
RAWGPU_NV_OFF(NV0005_ALLOC_PARAMETERS, notifyIndex, 12);
RAWGPU_NV_OFF(NV0005_ALLOC_PARAMETERS, data, 16);

// Mirrors src/common/sdk/nvidia/inc/class/cl0080.h NV0080_ALLOC_PARAMETERS @ 580
inline constexpr uint32_t NV_DEVICE_ALLOCATION_VAMODE_OPTIONAL_MULTIPLE_VASPACES = 0;
inline constexpr uint32_t NV_DEVICE_ALLOCATION_VAMODE_SINGLE_VASPACE = 1;
inline constexpr uint32_t NV_DEVICE_ALLOCATION_VAMODE_MULTIPLE_VASPACES = 2;
struct NV0080_ALLOC_PARAMETERS {
  uint32_t deviceId;      // deviceInstance from NV0000_CTRL_CMD_GPU_GET_ID_INFO_V2
  uint32_t hClientShare;  // the client
  uint32_t hTargetClient;
  uint32_t hTargetDevice;
  uint32_t flags;
  uint32_t pad0;
  uint64_t vaSpaceSize;
  uint64_t vaStartInternal;
  uint64_t vaLimitInternal;
  uint32_t vaMode;
  uint32_t pad1;
};
RAWGPU_NV_SIZE(NV0080_ALLOC_PARAMETERS, 56);
RAWGPU_NV_OFF(NV0080_ALLOC_PARAMETERS, deviceId, 0);
RAWGPU_NV_OFF(NV0080_ALLOC_PARAMETERS, hClientShare, 4);
RAWGPU_NV_OFF(NV0080_ALLOC_PARAMETERS, hTargetClient, 8);
RAWGPU_NV_OFF(NV0080_ALLOC_PARAMETERS, hTargetDevice, 12);
RAWGPU_NV_OFF(NV0080_ALLOC_PARAMETERS, flags, 16);
RAWGPU_NV_OFF(NV0080_ALLOC_PARAMETERS, pad0, 20);
RAWGPU_NV_OFF(NV0080_ALLOC_PARAMETERS, vaSpaceSize, 24);
RAWGPU_NV_OFF(NV0080_ALLOC_PARAMETERS, vaStartInternal, 32);
RAWGPU_NV_OFF(NV0080_ALLOC_PARAMETERS, vaLimitInternal, 40);
RAWGPU_NV_OFF(NV0080_ALLOC_PARAMETERS, vaMode, 48);
RAWGPU_NV_OFF(NV0080_ALLOC_PARAMETERS, pad1, 52);

// Mirrors src/common/sdk/nvidia/inc/class/cl2080.h NV2080_ALLOC_PARAMETERS @ 580
struct NV2080_ALLOC_PARAMETERS {
  uint32_t subDeviceId;
};
RAWGPU_NV_SIZE(NV2080_ALLOC_PARAMETERS, 4);
RAWGPU_NV_OFF(NV2080_ALLOC_PARAMETERS, subDeviceId, 0);

// Mirrors src/common/sdk/nvidia/inc/nvos.h NV_MEMORY_VIRTUAL_ALLOCATION_PARAMS @ 580
// (NV01_MEMORY_VIRTUAL)
struct NV_MEMORY_VIRTUAL_ALLOCATION_PARAMS {
  uint64_t offset;
  uint64_t limit;
  uint32_t hVASpace;  // 0: the device's default VA space
  uint32_t pad0;
};
RAWGPU_NV_SIZE(NV_MEMORY_VIRTUAL_ALLOCATION_PARAMS, 24);
RAWGPU_NV_OFF(NV_MEMORY_VIRTUAL_ALLOCATION_PARAMS, offset, 0);
RAWGPU_NV_OFF(NV_MEMORY_VIRTUAL_ALLOCATION_PARAMS, limit, 8);
RAWGPU_NV_OFF(NV_MEMORY_VIRTUAL_ALLOCATION_PARAMS, hVASpace, 16);
RAWGPU_NV_OFF(NV_MEMORY_VIRTUAL_ALLOCATION_PARAMS, pad0, 20);

// Mirrors src/common/sdk/nvidia/inc/nvos.h NV_MEMORY_ALLOCATION_PARAMS @ 580
// (NV01_MEMORY_LOCAL_USER, NV01_MEMORY_SYSTEM; fact sheet §3.4)
inline constexpr uint32_t NVOS32_TYPE_IMAGE = 0;
inline constexpr uint32_t NVOS32_TYPE_NOTIFIER = 13;
inline constexpr uint32_t NVOS32_ALLOC_FLAGS_IGNORE_BANK_PLACEMENT = 0x1;
inline constexpr uint32_t NVOS32_ALLOC_FLAGS_ALIGNMENT_FORCE = 0x100;
inline constexpr uint32_t NVOS32_ALLOC_FLAGS_MEMORY_HANDLE_PROVIDED = 0x4000;
inline constexpr uint32_t NVOS32_ALLOC_FLAGS_MAP_NOT_REQUIRED = 0x8000;
inline constexpr uint32_t NVOS32_ALLOC_FLAGS_PERSISTENT_VIDMEM = 0x10000;
struct NV_MEMORY_ALLOCATION_PARAMS {
  uint32_t owner;
  uint32_t type;   // NVOS32_TYPE_*
  uint32_t flags;  // NVOS32_ALLOC_FLAGS_*
  uint32_t width;
  uint32_t height;
  int32_t pitch;
  uint32_t attr;   // NVOS32_ATTR_*: PAGE_SIZE 24:23, LOCATION 26:25, PHYSICALITY 28:27
  uint32_t attr2;  // NVOS32_ATTR2_*: ZBC 1:0, GPU_CACHEABLE 3:2, PAGE_SIZE_HUGE 21:20
  uint32_t format;
  uint32_t comprCovg;
  uint32_t zcullCovg;
  uint32_t pad0;
  uint64_t rangeLo;
  uint64_t rangeHi;
  uint64_t size;
  uint64_t alignment;
  uint64_t offset;
  uint64_t limit;
  uint64_t address;  // NvP64, OUT
  uint32_t ctagOffset;
  uint32_t hVASpace;
  uint32_t internalflags;
  uint32_t tag;
  int32_t numaNode;
  uint32_t pad1;
};
RAWGPU_NV_SIZE(NV_MEMORY_ALLOCATION_PARAMS, 128);
RAWGPU_NV_OFF(NV_MEMORY_ALLOCATION_PARAMS, owner, 0);
RAWGPU_NV_OFF(NV_MEMORY_ALLOCATION_PARAMS, type, 4);
RAWGPU_NV_OFF(NV_MEMORY_ALLOCATION_PARAMS, flags, 8);
RAWGPU_NV_OFF(NV_MEMORY_ALLOCATION_PARAMS, width, 12);
RAWGPU_NV_OFF(NV_MEMORY_ALLOCATION_PARAMS, height, 16);
RAWGPU_NV_OFF(NV_MEMORY_ALLOCATION_PARAMS, pitch, 20);
RAWGPU_NV_OFF(NV_MEMORY_ALLOCATION_PARAMS, attr, 24);
RAWGPU_NV_OFF(NV_MEMORY_ALLOCATION_PARAMS, attr2, 28);
RAWGPU_NV_OFF(NV_MEMORY_ALLOCATION_PARAMS, format, 32);
RAWGPU_NV_OFF(NV_MEMORY_ALLOCATION_PARAMS, comprCovg, 36);
RAWGPU_NV_OFF(NV_MEMORY_ALLOCATION_PARAMS, zcullCovg, 40);
RAWGPU_NV_OFF(NV_MEMORY_ALLOCATION_PARAMS, pad0, 44);
RAWGPU_NV_OFF(NV_MEMORY_ALLOCATION_PARAMS, rangeLo, 48);
RAWGPU_NV_OFF(NV_MEMORY_ALLOCATION_PARAMS, rangeHi, 56);
RAWGPU_NV_OFF(NV_MEMORY_ALLOCATION_PARAMS, size, 64);
RAWGPU_NV_OFF(NV_MEMORY_ALLOCATION_PARAMS, alignment, 72);
RAWGPU_NV_OFF(NV_MEMORY_ALLOCATION_PARAMS, offset, 80);
RAWGPU_NV_OFF(NV_MEMORY_ALLOCATION_PARAMS, limit, 88);
RAWGPU_NV_OFF(NV_MEMORY_ALLOCATION_PARAMS, address, 96);
RAWGPU_NV_OFF(NV_MEMORY_ALLOCATION_PARAMS, ctagOffset, 104);
RAWGPU_NV_OFF(NV_MEMORY_ALLOCATION_PARAMS, hVASpace, 108);
RAWGPU_NV_OFF(NV_MEMORY_ALLOCATION_PARAMS, internalflags, 112);
RAWGPU_NV_OFF(NV_MEMORY_ALLOCATION_PARAMS, tag, 116);
RAWGPU_NV_OFF(NV_MEMORY_ALLOCATION_PARAMS, numaNode, 120);
RAWGPU_NV_OFF(NV_MEMORY_ALLOCATION_PARAMS, pad1, 124);

// Mirrors src/common/sdk/nvidia/inc/nvos.h NV_VASPACE_ALLOCATION_PARAMETERS @ 570 (48 bytes;
// FERMI_VASPACE_A)
inline constexpr uint32_t NV_VASPACE_ALLOCATION_FLAGS_IS_EXTERNALLY_OWNED = 0x8;
inline constexpr uint32_t NV_VASPACE_ALLOCATION_FLAGS_ENABLE_PAGE_FAULTING = 0x40;
struct NV_VASPACE_ALLOCATION_PARAMETERS {
  uint32_t index;
  uint32_t flags;
  uint64_t vaSize;
  uint64_t vaStartInternal;
  uint64_t vaLimitInternal;
  uint32_t bigPageSize;
  uint32_t pad0;
  uint64_t vaBase;
};
RAWGPU_NV_SIZE(NV_VASPACE_ALLOCATION_PARAMETERS, 48);
RAWGPU_NV_OFF(NV_VASPACE_ALLOCATION_PARAMETERS, index, 0);
RAWGPU_NV_OFF(NV_VASPACE_ALLOCATION_PARAMETERS, flags, 4);
RAWGPU_NV_OFF(NV_VASPACE_ALLOCATION_PARAMETERS, vaSize, 8);
RAWGPU_NV_OFF(NV_VASPACE_ALLOCATION_PARAMETERS, vaStartInternal, 16);
RAWGPU_NV_OFF(NV_VASPACE_ALLOCATION_PARAMETERS, vaLimitInternal, 24);
RAWGPU_NV_OFF(NV_VASPACE_ALLOCATION_PARAMETERS, bigPageSize, 32);
RAWGPU_NV_OFF(NV_VASPACE_ALLOCATION_PARAMETERS, pad0, 36);
RAWGPU_NV_OFF(NV_VASPACE_ALLOCATION_PARAMETERS, vaBase, 40);

// Mirrors nvos.h NV_VASPACE_ALLOCATION_PARAMETERS @ 580.65.06 (pasid appended: 56 bytes; RM copies
// the class-sized struct, so the 48-byte form would be over-read silently; gvisor ..._V580)
struct NV_VASPACE_ALLOCATION_PARAMETERS_V580 {
  uint32_t index;
  uint32_t flags;
  uint64_t vaSize;
  uint64_t vaStartInternal;
  uint64_t vaLimitInternal;
  uint32_t bigPageSize;
  uint32_t pad0;
  uint64_t vaBase;
  uint32_t pasid;
  uint32_t pad1;
};
RAWGPU_NV_SIZE(NV_VASPACE_ALLOCATION_PARAMETERS_V580, 56);
RAWGPU_NV_OFF(NV_VASPACE_ALLOCATION_PARAMETERS_V580, index, 0);
RAWGPU_NV_OFF(NV_VASPACE_ALLOCATION_PARAMETERS_V580, flags, 4);
RAWGPU_NV_OFF(NV_VASPACE_ALLOCATION_PARAMETERS_V580, vaSize, 8);
RAWGPU_NV_OFF(NV_VASPACE_ALLOCATION_PARAMETERS_V580, vaStartInternal, 16);
RAWGPU_NV_OFF(NV_VASPACE_ALLOCATION_PARAMETERS_V580, vaLimitInternal, 24);
RAWGPU_NV_OFF(NV_VASPACE_ALLOCATION_PARAMETERS_V580, bigPageSize, 32);
RAWGPU_NV_OFF(NV_VASPACE_ALLOCATION_PARAMETERS_V580, pad0, 36);
RAWGPU_NV_OFF(NV_VASPACE_ALLOCATION_PARAMETERS_V580, vaBase, 40);
RAWGPU_NV_OFF(NV_VASPACE_ALLOCATION_PARAMETERS_V580, pasid, 48);
RAWGPU_NV_OFF(NV_VASPACE_ALLOCATION_PARAMETERS_V580, pad1, 52);

// Mirrors src/common/sdk/nvidia/inc/nvos.h NV_CHANNEL_GROUP_ALLOCATION_PARAMETERS @ 580
// (KEPLER_CHANNEL_GROUP_A, the TSG)
struct NV_CHANNEL_GROUP_ALLOCATION_PARAMETERS {
  uint32_t hObjectError;
  uint32_t hObjectEccError;
  uint32_t hVASpace;
  uint32_t engineType;  // NV2080_ENGINE_TYPE_*
  uint8_t bIsCallingContextVgpuPlugin;
  uint8_t pad0;
  uint16_t pad1;
};
RAWGPU_NV_SIZE(NV_CHANNEL_GROUP_ALLOCATION_PARAMETERS, 20);
RAWGPU_NV_OFF(NV_CHANNEL_GROUP_ALLOCATION_PARAMETERS, hObjectError, 0);
RAWGPU_NV_OFF(NV_CHANNEL_GROUP_ALLOCATION_PARAMETERS, hObjectEccError, 4);
RAWGPU_NV_OFF(NV_CHANNEL_GROUP_ALLOCATION_PARAMETERS, hVASpace, 8);
RAWGPU_NV_OFF(NV_CHANNEL_GROUP_ALLOCATION_PARAMETERS, engineType, 12);
RAWGPU_NV_OFF(NV_CHANNEL_GROUP_ALLOCATION_PARAMETERS, bIsCallingContextVgpuPlugin, 16);
RAWGPU_NV_OFF(NV_CHANNEL_GROUP_ALLOCATION_PARAMETERS, pad0, 17);
RAWGPU_NV_OFF(NV_CHANNEL_GROUP_ALLOCATION_PARAMETERS, pad1, 18);

// Mirrors src/common/sdk/nvidia/inc/nvos.h NV_CTXSHARE_ALLOCATION_PARAMETERS @ 580
// (FERMI_CONTEXT_SHARE_A)
inline constexpr uint32_t NV_CTXSHARE_ALLOCATION_FLAGS_SUBCONTEXT_ASYNC = 1;
struct NV_CTXSHARE_ALLOCATION_PARAMETERS {
  uint32_t hVASpace;
  uint32_t flags;
  uint32_t subctxId;
};
RAWGPU_NV_SIZE(NV_CTXSHARE_ALLOCATION_PARAMETERS, 12);
RAWGPU_NV_OFF(NV_CTXSHARE_ALLOCATION_PARAMETERS, hVASpace, 0);
RAWGPU_NV_OFF(NV_CTXSHARE_ALLOCATION_PARAMETERS, flags, 4);
RAWGPU_NV_OFF(NV_CTXSHARE_ALLOCATION_PARAMETERS, subctxId, 8);

// Mirrors src/common/sdk/nvidia/inc/nvos.h NV_MEMORY_DESC_PARAMS @ 580
struct NV_MEMORY_DESC_PARAMS {
  uint64_t base;
  uint64_t size;
  uint32_t addressSpace;
  uint32_t cacheAttrib;
};
RAWGPU_NV_SIZE(NV_MEMORY_DESC_PARAMS, 24);
RAWGPU_NV_OFF(NV_MEMORY_DESC_PARAMS, base, 0);
RAWGPU_NV_OFF(NV_MEMORY_DESC_PARAMS, size, 8);
RAWGPU_NV_OFF(NV_MEMORY_DESC_PARAMS, addressSpace, 16);
RAWGPU_NV_OFF(NV_MEMORY_DESC_PARAMS, cacheAttrib, 20);

// Mirrors src/common/sdk/nvidia/inc/alloc/alloc_channel.h NV_CHANNEL_ALLOC_PARAMS @ 570.86.15
// (a.k.a. NV_CHANNELGPFIFO_ALLOCATION_PARAMETERS; tpcConfigID appended at 570.86.15, 368 bytes,
// unchanged through 595; gvisor NV_CHANNEL_ALLOC_PARAMS_V570). The GPFIFO channel classes.
inline constexpr uint32_t NV_MAX_SUBDEVICES = 8;
inline constexpr uint32_t CC_CHAN_ALLOC_IV_SIZE_DWORD = 3;
inline constexpr uint32_t CC_CHAN_ALLOC_NONCE_SIZE_DWORD = 8;
struct NV_CHANNEL_ALLOC_PARAMS {
  uint32_t hObjectError;   // error notifier memory
  uint32_t hObjectBuffer;  // "no longer used"
  uint64_t gpFifoOffset;   // GPU VA of the ring
  uint32_t gpFifoEntries;  // power of two
  uint32_t flags;
  uint32_t hContextShare;
  uint32_t hVASpace;
  uint32_t hUserdMemory[NV_MAX_SUBDEVICES];
  uint64_t userdOffset[NV_MAX_SUBDEVICES];
  uint32_t engineType;
  uint32_t cid;
  uint32_t subDeviceId;
  uint32_t hObjectEccError;
  NV_MEMORY_DESC_PARAMS instanceMem;
  NV_MEMORY_DESC_PARAMS userdMem;
  NV_MEMORY_DESC_PARAMS ramfcMem;
  NV_MEMORY_DESC_PARAMS mthdbufMem;
  uint32_t hPhysChannelGroup;
  uint32_t internalFlags;
  NV_MEMORY_DESC_PARAMS errorNotifierMem;
  NV_MEMORY_DESC_PARAMS eccErrorNotifierMem;
  uint32_t ProcessID;
  uint32_t SubProcessID;
  uint32_t encryptIv[CC_CHAN_ALLOC_IV_SIZE_DWORD];
  uint32_t decryptIv[CC_CHAN_ALLOC_IV_SIZE_DWORD];
  uint32_t hmacNonce[CC_CHAN_ALLOC_NONCE_SIZE_DWORD];
  uint32_t tpcConfigID;
  uint32_t pad0;
};
RAWGPU_NV_SIZE(NV_CHANNEL_ALLOC_PARAMS, 368);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS, hObjectError, 0x00);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS, hObjectBuffer, 0x04);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS, gpFifoOffset, 0x08);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS, gpFifoEntries, 0x10);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS, flags, 0x14);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS, hContextShare, 0x18);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS, hVASpace, 0x1C);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS, hUserdMemory, 0x20);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS, userdOffset, 0x40);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS, engineType, 0x80);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS, cid, 0x84);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS, subDeviceId, 0x88);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS, hObjectEccError, 0x8C);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS, instanceMem, 0x90);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS, userdMem, 0xA8);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS, ramfcMem, 0xC0);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS, mthdbufMem, 0xD8);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS, hPhysChannelGroup, 0xF0);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS, internalFlags, 0xF4);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS, errorNotifierMem, 0xF8);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS, eccErrorNotifierMem, 0x110);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS, ProcessID, 0x128);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS, SubProcessID, 0x12C);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS, encryptIv, 0x130);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS, decryptIv, 0x13C);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS, hmacNonce, 0x148);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS, tpcConfigID, 0x168);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS, pad0, 0x16C);

// Mirrors alloc_channel.h NV_CHANNEL_ALLOC_PARAMS @ 610.43.02 (hHandleVASpace inserted at 0x20:
// every later field moves by 4, then by 8 after the u64 realignment; 376 bytes; tinygrad nv_610,
// gvisor NV_CHANNEL_ALLOC_PARAMS_V610)
struct NV_CHANNEL_ALLOC_PARAMS_V610 {
  uint32_t hObjectError;
  uint32_t hObjectBuffer;
  uint64_t gpFifoOffset;
  uint32_t gpFifoEntries;
  uint32_t flags;
  uint32_t hContextShare;
  uint32_t hVASpace;
  uint32_t hHandleVASpace;
  uint32_t hUserdMemory[NV_MAX_SUBDEVICES];
  uint32_t pad0;
  uint64_t userdOffset[NV_MAX_SUBDEVICES];
  uint32_t engineType;
  uint32_t cid;
  uint32_t subDeviceId;
  uint32_t hObjectEccError;
  NV_MEMORY_DESC_PARAMS instanceMem;
  NV_MEMORY_DESC_PARAMS userdMem;
  NV_MEMORY_DESC_PARAMS ramfcMem;
  NV_MEMORY_DESC_PARAMS mthdbufMem;
  uint32_t hPhysChannelGroup;
  uint32_t internalFlags;
  NV_MEMORY_DESC_PARAMS errorNotifierMem;
  NV_MEMORY_DESC_PARAMS eccErrorNotifierMem;
  uint32_t ProcessID;
  uint32_t SubProcessID;
  uint32_t encryptIv[CC_CHAN_ALLOC_IV_SIZE_DWORD];
  uint32_t decryptIv[CC_CHAN_ALLOC_IV_SIZE_DWORD];
  uint32_t hmacNonce[CC_CHAN_ALLOC_NONCE_SIZE_DWORD];
  uint32_t tpcConfigID;
  uint32_t pad1;
};
RAWGPU_NV_SIZE(NV_CHANNEL_ALLOC_PARAMS_V610, 376);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS_V610, hObjectError, 0x00);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS_V610, hObjectBuffer, 0x04);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS_V610, gpFifoOffset, 0x08);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS_V610, gpFifoEntries, 0x10);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS_V610, flags, 0x14);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS_V610, hContextShare, 0x18);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS_V610, hVASpace, 0x1C);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS_V610, hHandleVASpace, 0x20);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS_V610, hUserdMemory, 0x24);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS_V610, pad0, 0x44);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS_V610, userdOffset, 0x48);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS_V610, engineType, 0x88);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS_V610, cid, 0x8C);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS_V610, subDeviceId, 0x90);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS_V610, hObjectEccError, 0x94);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS_V610, instanceMem, 0x98);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS_V610, userdMem, 0xB0);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS_V610, ramfcMem, 0xC8);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS_V610, mthdbufMem, 0xE0);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS_V610, hPhysChannelGroup, 0xF8);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS_V610, internalFlags, 0xFC);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS_V610, errorNotifierMem, 0x100);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS_V610, eccErrorNotifierMem, 0x118);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS_V610, ProcessID, 0x130);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS_V610, SubProcessID, 0x134);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS_V610, encryptIv, 0x138);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS_V610, decryptIv, 0x144);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS_V610, hmacNonce, 0x150);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS_V610, tpcConfigID, 0x170);
RAWGPU_NV_OFF(NV_CHANNEL_ALLOC_PARAMS_V610, pad1, 0x174);

// Mirrors src/common/sdk/nvidia/inc/class/cl83de.h NV83DE_ALLOC_PARAMETERS @ 580 (GT200_DEBUGGER)
struct NV83DE_ALLOC_PARAMETERS {
  uint32_t hDebuggerClient_Obsolete;
  uint32_t hAppClient;
  uint32_t hClass3dObject;  // the compute object
};
RAWGPU_NV_SIZE(NV83DE_ALLOC_PARAMETERS, 12);
RAWGPU_NV_OFF(NV83DE_ALLOC_PARAMETERS, hDebuggerClient_Obsolete, 0);
RAWGPU_NV_OFF(NV83DE_ALLOC_PARAMETERS, hAppClient, 4);
RAWGPU_NV_OFF(NV83DE_ALLOC_PARAMETERS, hClass3dObject, 8);

// Mirrors src/common/sdk/nvidia/inc/nvos.h NV_HOPPER_USERMODE_A_PARAMS @ 580 (optional params of
// HOPPER_USERMODE_A; NULL or bBar1Mapping = 0 maps the BAR0 VF page; nvidia-hopper.md §3)
struct NV_HOPPER_USERMODE_A_PARAMS {
  uint8_t bBar1Mapping;  // NvBool
  uint8_t bPriv;         // NvBool; needs kernel privilege
};
RAWGPU_NV_SIZE(NV_HOPPER_USERMODE_A_PARAMS, 2);
RAWGPU_NV_OFF(NV_HOPPER_USERMODE_A_PARAMS, bBar1Mapping, 0);
RAWGPU_NV_OFF(NV_HOPPER_USERMODE_A_PARAMS, bPriv, 1);

// =============================================================================================
// 4. RM control commands (src/common/sdk/nvidia/inc/ctrl/ctrl*/ *.h @ 580; fact sheet §3).
// cmd = (class << 16) | (interface << 8) | message, as FINN evaluates it.

inline constexpr uint32_t NV0000_CTRL_CMD_SYSTEM_GET_BUILD_VERSION_V2 = 0x13E;
inline constexpr uint32_t NV0000_CTRL_CMD_GPU_GET_ATTACHED_IDS = 0x201;
inline constexpr uint32_t NV0000_CTRL_CMD_GPU_GET_ID_INFO_V2 = 0x205;
inline constexpr uint32_t NV0080_CTRL_CMD_GPU_GET_CLASSLIST = 0x800201;
inline constexpr uint32_t NV0080_CTRL_CMD_GPU_GET_CLASSLIST_V2 = 0x800292;
inline constexpr uint32_t NV2080_CTRL_CMD_GPU_GET_GID_INFO = 0x2080014A;
inline constexpr uint32_t NV2080_CTRL_CMD_GR_GET_INFO = 0x20801201;
inline constexpr uint32_t NV2080_CTRL_CMD_GR_GET_CTX_BUFFER_SIZE = 0x20801218;
inline constexpr uint32_t NV2080_CTRL_CMD_FB_FLUSH_GPU_CACHE = 0x2080130E;
inline constexpr uint32_t NV2080_CTRL_CMD_PERF_BOOST = 0x2080200A;
inline constexpr uint32_t NVA06C_CTRL_CMD_GPFIFO_SCHEDULE = 0xA06C0101;
inline constexpr uint32_t NVA06F_CTRL_CMD_GPFIFO_SCHEDULE = 0xA06F0103;
inline constexpr uint32_t NVA06F_CTRL_CMD_BIND = 0xA06F0104;
inline constexpr uint32_t NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN = 0xC36F0108;

// Mirrors src/common/sdk/nvidia/inc/ctrl/ctrl0000/ctrl0000system.h
// NV0000_CTRL_SYSTEM_GET_BUILD_VERSION_V2_PARAMS @ 580 (on the client; "580.65.06")
inline constexpr uint32_t NV0000_CTRL_SYSTEM_GET_BUILD_VERSION_V2_MAX_STRING_SIZE = 256;
struct NV0000_CTRL_SYSTEM_GET_BUILD_VERSION_V2_PARAMS {
  char driverVersionBuffer[NV0000_CTRL_SYSTEM_GET_BUILD_VERSION_V2_MAX_STRING_SIZE];
  char versionBuffer[NV0000_CTRL_SYSTEM_GET_BUILD_VERSION_V2_MAX_STRING_SIZE];
  char driverBranch[NV0000_CTRL_SYSTEM_GET_BUILD_VERSION_V2_MAX_STRING_SIZE];
  char titleBuffer[NV0000_CTRL_SYSTEM_GET_BUILD_VERSION_V2_MAX_STRING_SIZE];
  uint32_t changelistNumber;
  uint32_t officialChangelistNumber;
};
RAWGPU_NV_SIZE(NV0000_CTRL_SYSTEM_GET_BUILD_VERSION_V2_PARAMS, 1032);
RAWGPU_NV_OFF(NV0000_CTRL_SYSTEM_GET_BUILD_VERSION_V2_PARAMS, driverVersionBuffer, 0);
RAWGPU_NV_OFF(NV0000_CTRL_SYSTEM_GET_BUILD_VERSION_V2_PARAMS, versionBuffer, 256);
RAWGPU_NV_OFF(NV0000_CTRL_SYSTEM_GET_BUILD_VERSION_V2_PARAMS, driverBranch, 512);
RAWGPU_NV_OFF(NV0000_CTRL_SYSTEM_GET_BUILD_VERSION_V2_PARAMS, titleBuffer, 768);
RAWGPU_NV_OFF(NV0000_CTRL_SYSTEM_GET_BUILD_VERSION_V2_PARAMS, changelistNumber, 1024);
RAWGPU_NV_OFF(NV0000_CTRL_SYSTEM_GET_BUILD_VERSION_V2_PARAMS, officialChangelistNumber, 1028);

// Mirrors src/common/sdk/nvidia/inc/ctrl/ctrl0000/ctrl0000gpu.h
// NV0000_CTRL_GPU_GET_ATTACHED_IDS_PARAMS @ 580 (valid entries first, then
// NV0000_CTRL_GPU_INVALID_ID)
inline constexpr uint32_t NV0000_CTRL_GPU_MAX_ATTACHED_GPUS = 32;
inline constexpr uint32_t NV0000_CTRL_GPU_INVALID_ID = 0xFFFFFFFF;
struct NV0000_CTRL_GPU_GET_ATTACHED_IDS_PARAMS {
  uint32_t gpuIds[NV0000_CTRL_GPU_MAX_ATTACHED_GPUS];
};
RAWGPU_NV_SIZE(NV0000_CTRL_GPU_GET_ATTACHED_IDS_PARAMS, 128);
RAWGPU_NV_OFF(NV0000_CTRL_GPU_GET_ATTACHED_IDS_PARAMS, gpuIds, 0);

// Mirrors ctrl0000gpu.h NV0000_CTRL_GPU_GET_ID_INFO_V2_PARAMS @ 580
struct NV0000_CTRL_GPU_GET_ID_INFO_V2_PARAMS {
  uint32_t gpuId;  // IN: nv_ioctl_card_info_t.gpu_id
  uint32_t gpuFlags;
  uint32_t deviceInstance;  // -> NV0080_ALLOC_PARAMETERS.deviceId
  uint32_t subDeviceInstance;
  uint32_t sliStatus;
  uint32_t boardId;
  uint32_t gpuInstance;
  int32_t numaId;
};
RAWGPU_NV_SIZE(NV0000_CTRL_GPU_GET_ID_INFO_V2_PARAMS, 32);
RAWGPU_NV_OFF(NV0000_CTRL_GPU_GET_ID_INFO_V2_PARAMS, gpuId, 0);
RAWGPU_NV_OFF(NV0000_CTRL_GPU_GET_ID_INFO_V2_PARAMS, gpuFlags, 4);
RAWGPU_NV_OFF(NV0000_CTRL_GPU_GET_ID_INFO_V2_PARAMS, deviceInstance, 8);
RAWGPU_NV_OFF(NV0000_CTRL_GPU_GET_ID_INFO_V2_PARAMS, subDeviceInstance, 12);
RAWGPU_NV_OFF(NV0000_CTRL_GPU_GET_ID_INFO_V2_PARAMS, sliStatus, 16);
RAWGPU_NV_OFF(NV0000_CTRL_GPU_GET_ID_INFO_V2_PARAMS, boardId, 20);
RAWGPU_NV_OFF(NV0000_CTRL_GPU_GET_ID_INFO_V2_PARAMS, gpuInstance, 24);
RAWGPU_NV_OFF(NV0000_CTRL_GPU_GET_ID_INFO_V2_PARAMS, numaId, 28);

// Mirrors src/common/sdk/nvidia/inc/ctrl/ctrl0080/ctrl0080gpu.h
// NV0080_CTRL_GPU_GET_CLASSLIST_PARAMS @ 580 (call with numClasses = 0 and NULL for the count)
struct NV0080_CTRL_GPU_GET_CLASSLIST_PARAMS {
  uint32_t numClasses;  // INOUT
  uint32_t pad0;
  uint64_t classList;  // NvP64 -> uint32_t[numClasses]
};
RAWGPU_NV_SIZE(NV0080_CTRL_GPU_GET_CLASSLIST_PARAMS, 16);
RAWGPU_NV_OFF(NV0080_CTRL_GPU_GET_CLASSLIST_PARAMS, numClasses, 0);
RAWGPU_NV_OFF(NV0080_CTRL_GPU_GET_CLASSLIST_PARAMS, pad0, 4);
RAWGPU_NV_OFF(NV0080_CTRL_GPU_GET_CLASSLIST_PARAMS, classList, 8);

// Mirrors ctrl0080gpu.h NV0080_CTRL_GPU_GET_CLASSLIST_V2_PARAMS @ 570 (classList[100])
struct NV0080_CTRL_GPU_GET_CLASSLIST_V2_PARAMS {
  uint32_t numClasses;  // OUT
  uint32_t classList[100];
};
RAWGPU_NV_SIZE(NV0080_CTRL_GPU_GET_CLASSLIST_V2_PARAMS, 404);
RAWGPU_NV_OFF(NV0080_CTRL_GPU_GET_CLASSLIST_V2_PARAMS, numClasses, 0);
RAWGPU_NV_OFF(NV0080_CTRL_GPU_GET_CLASSLIST_V2_PARAMS, classList, 4);

// Mirrors ctrl0080gpu.h NV0080_CTRL_GPU_GET_CLASSLIST_V2_PARAMS @ 580 (classList[200]; tinygrad
// nv_580 autogen)
struct NV0080_CTRL_GPU_GET_CLASSLIST_V2_PARAMS_V580 {
  uint32_t numClasses;
  uint32_t classList[200];
};
RAWGPU_NV_SIZE(NV0080_CTRL_GPU_GET_CLASSLIST_V2_PARAMS_V580, 804);
RAWGPU_NV_OFF(NV0080_CTRL_GPU_GET_CLASSLIST_V2_PARAMS_V580, numClasses, 0);
RAWGPU_NV_OFF(NV0080_CTRL_GPU_GET_CLASSLIST_V2_PARAMS_V580, classList, 4);

// Mirrors src/common/sdk/nvidia/inc/ctrl/ctrl2080/ctrl2080gpu.h NV2080_CTRL_GPU_GET_GID_INFO_PARAMS
// @ 580 (FORMAT_BINARY gives the 16-byte UUID in data[0..16))
inline constexpr uint32_t NV2080_GPU_MAX_GID_LENGTH = 256;
inline constexpr uint32_t NV2080_GPU_CMD_GPU_GET_GID_FLAGS_FORMAT_BINARY = 2;
struct NV2080_CTRL_GPU_GET_GID_INFO_PARAMS {
  uint32_t index;
  uint32_t flags;
  uint32_t length;  // INOUT
  uint8_t data[NV2080_GPU_MAX_GID_LENGTH];
};
RAWGPU_NV_SIZE(NV2080_CTRL_GPU_GET_GID_INFO_PARAMS, 268);
RAWGPU_NV_OFF(NV2080_CTRL_GPU_GET_GID_INFO_PARAMS, index, 0);
RAWGPU_NV_OFF(NV2080_CTRL_GPU_GET_GID_INFO_PARAMS, flags, 4);
RAWGPU_NV_OFF(NV2080_CTRL_GPU_GET_GID_INFO_PARAMS, length, 8);
RAWGPU_NV_OFF(NV2080_CTRL_GPU_GET_GID_INFO_PARAMS, data, 12);

// Mirrors src/common/sdk/nvidia/inc/ctrl/ctrl2080/ctrl2080gr.h NV2080_CTRL_GR_INFO,
// NV0080_CTRL_GR_ROUTE_INFO and NV2080_CTRL_GR_GET_INFO_PARAMS @ 580
inline constexpr uint32_t NV2080_CTRL_GR_INFO_INDEX_SM_VERSION = 0xC;
inline constexpr uint32_t NV2080_CTRL_GR_INFO_INDEX_MAX_WARPS_PER_SM = 0xD;
inline constexpr uint32_t NV2080_CTRL_GR_INFO_INDEX_LITTER_NUM_GPCS = 0x14;
inline constexpr uint32_t NV2080_CTRL_GR_INFO_INDEX_LITTER_NUM_TPC_PER_GPC = 0x17;
inline constexpr uint32_t NV2080_CTRL_GR_INFO_INDEX_LITTER_NUM_SM_PER_TPC = 0x20;
struct NV2080_CTRL_GR_INFO {
  uint32_t index;
  uint32_t data;  // OUT
};
RAWGPU_NV_SIZE(NV2080_CTRL_GR_INFO, 8);
RAWGPU_NV_OFF(NV2080_CTRL_GR_INFO, index, 0);
RAWGPU_NV_OFF(NV2080_CTRL_GR_INFO, data, 4);
struct NV0080_CTRL_GR_ROUTE_INFO {
  uint32_t flags;
  uint32_t pad0;
  uint64_t route;
};
RAWGPU_NV_SIZE(NV0080_CTRL_GR_ROUTE_INFO, 16);
RAWGPU_NV_OFF(NV0080_CTRL_GR_ROUTE_INFO, flags, 0);
RAWGPU_NV_OFF(NV0080_CTRL_GR_ROUTE_INFO, pad0, 4);
RAWGPU_NV_OFF(NV0080_CTRL_GR_ROUTE_INFO, route, 8);
struct NV2080_CTRL_GR_GET_INFO_PARAMS {
  uint32_t grInfoListSize;  // entries
  uint32_t pad0;
  uint64_t grInfoList;  // NvP64 -> NV2080_CTRL_GR_INFO[grInfoListSize]
  NV0080_CTRL_GR_ROUTE_INFO grRouteInfo;
};
RAWGPU_NV_SIZE(NV2080_CTRL_GR_GET_INFO_PARAMS, 32);
RAWGPU_NV_OFF(NV2080_CTRL_GR_GET_INFO_PARAMS, grInfoListSize, 0);
RAWGPU_NV_OFF(NV2080_CTRL_GR_GET_INFO_PARAMS, pad0, 4);
RAWGPU_NV_OFF(NV2080_CTRL_GR_GET_INFO_PARAMS, grInfoList, 8);
RAWGPU_NV_OFF(NV2080_CTRL_GR_GET_INFO_PARAMS, grRouteInfo, 16);

// Mirrors ctrl2080gr.h NV2080_CTRL_GR_GET_CTX_BUFFER_SIZE_PARAMS @ 580 (how big the
// UVM_REGISTER_CHANNEL region must be)
struct NV2080_CTRL_GR_GET_CTX_BUFFER_SIZE_PARAMS {
  uint32_t hChannel;  // channel or TSG
  uint32_t pad0;
  uint64_t totalBufferSize;  // OUT
};
RAWGPU_NV_SIZE(NV2080_CTRL_GR_GET_CTX_BUFFER_SIZE_PARAMS, 16);
RAWGPU_NV_OFF(NV2080_CTRL_GR_GET_CTX_BUFFER_SIZE_PARAMS, hChannel, 0);
RAWGPU_NV_OFF(NV2080_CTRL_GR_GET_CTX_BUFFER_SIZE_PARAMS, pad0, 4);
RAWGPU_NV_OFF(NV2080_CTRL_GR_GET_CTX_BUFFER_SIZE_PARAMS, totalBufferSize, 8);

// Mirrors src/common/sdk/nvidia/inc/ctrl/ctrl2080/ctrl2080fb.h
// NV2080_CTRL_FB_FLUSH_GPU_CACHE_PARAMS @ 580 (flags: WRITE_BACK bit 2, INVALIDATE bit 3,
// FLUSH_MODE_FULL_CACHE bit 4; fact sheet §3.2)
inline constexpr uint32_t NV2080_CTRL_FB_FLUSH_GPU_CACHE_MAX_ADDRESSES = 500;
struct NV2080_CTRL_FB_FLUSH_GPU_CACHE_PARAMS {
  uint64_t addressArray[NV2080_CTRL_FB_FLUSH_GPU_CACHE_MAX_ADDRESSES];
  uint32_t addressArraySize;
  uint32_t addressAlign;
  uint64_t memBlockSizeBytes;
  uint32_t flags;
  uint32_t pad0;
};
RAWGPU_NV_SIZE(NV2080_CTRL_FB_FLUSH_GPU_CACHE_PARAMS, 4024);
RAWGPU_NV_OFF(NV2080_CTRL_FB_FLUSH_GPU_CACHE_PARAMS, addressArray, 0);
RAWGPU_NV_OFF(NV2080_CTRL_FB_FLUSH_GPU_CACHE_PARAMS, addressArraySize, 4000);
RAWGPU_NV_OFF(NV2080_CTRL_FB_FLUSH_GPU_CACHE_PARAMS, addressAlign, 4004);
RAWGPU_NV_OFF(NV2080_CTRL_FB_FLUSH_GPU_CACHE_PARAMS, memBlockSizeBytes, 4008);
RAWGPU_NV_OFF(NV2080_CTRL_FB_FLUSH_GPU_CACHE_PARAMS, flags, 0xFB0);
RAWGPU_NV_OFF(NV2080_CTRL_FB_FLUSH_GPU_CACHE_PARAMS, pad0, 4020);

// Mirrors src/common/sdk/nvidia/inc/ctrl/ctrl2080/ctrl2080perf.h NV2080_CTRL_PERF_BOOST_PARAMS
// @ 580 (tinygrad: flags 0x52 = CUDA_YES | CUDA_PRIORITY_HIGH | BOOST_TO_MAX, infinite duration)
struct NV2080_CTRL_PERF_BOOST_PARAMS {
  uint32_t flags;
  uint32_t duration;  // seconds; 0xFFFFFFFF = infinite
};
RAWGPU_NV_SIZE(NV2080_CTRL_PERF_BOOST_PARAMS, 8);
RAWGPU_NV_OFF(NV2080_CTRL_PERF_BOOST_PARAMS, flags, 0);
RAWGPU_NV_OFF(NV2080_CTRL_PERF_BOOST_PARAMS, duration, 4);

// Mirrors src/common/sdk/nvidia/inc/ctrl/ctrla06c.h NVA06C_CTRL_GPFIFO_SCHEDULE_PARAMS @ 570
// (2 bytes before 575; paramsSize must match exactly)
struct NVA06C_CTRL_GPFIFO_SCHEDULE_PARAMS {
  uint8_t bEnable;
  uint8_t bSkipSubmit;
};
RAWGPU_NV_SIZE(NVA06C_CTRL_GPFIFO_SCHEDULE_PARAMS, 2);
RAWGPU_NV_OFF(NVA06C_CTRL_GPFIFO_SCHEDULE_PARAMS, bEnable, 0);
RAWGPU_NV_OFF(NVA06C_CTRL_GPFIFO_SCHEDULE_PARAMS, bSkipSubmit, 1);

// Mirrors ctrla06c.h NVA06C_CTRL_GPFIFO_SCHEDULE_PARAMS @ 575.51.02 (bSkipEnable appended;
// repo commit 415957988)
struct NVA06C_CTRL_GPFIFO_SCHEDULE_PARAMS_V575 {
  uint8_t bEnable;
  uint8_t bSkipSubmit;
  uint8_t bSkipEnable;
};
RAWGPU_NV_SIZE(NVA06C_CTRL_GPFIFO_SCHEDULE_PARAMS_V575, 3);
RAWGPU_NV_OFF(NVA06C_CTRL_GPFIFO_SCHEDULE_PARAMS_V575, bEnable, 0);
RAWGPU_NV_OFF(NVA06C_CTRL_GPFIFO_SCHEDULE_PARAMS_V575, bSkipSubmit, 1);
RAWGPU_NV_OFF(NVA06C_CTRL_GPFIFO_SCHEDULE_PARAMS_V575, bSkipEnable, 2);

// Mirrors src/common/sdk/nvidia/inc/ctrl/ctrla06f/ctrla06fgpfifo.h
// NVA06F_CTRL_GPFIFO_SCHEDULE_PARAMS @ 570 and @ 575.51.02 (same change as NVA06C)
struct NVA06F_CTRL_GPFIFO_SCHEDULE_PARAMS {
  uint8_t bEnable;
  uint8_t bSkipSubmit;
};
RAWGPU_NV_SIZE(NVA06F_CTRL_GPFIFO_SCHEDULE_PARAMS, 2);
RAWGPU_NV_OFF(NVA06F_CTRL_GPFIFO_SCHEDULE_PARAMS, bEnable, 0);
RAWGPU_NV_OFF(NVA06F_CTRL_GPFIFO_SCHEDULE_PARAMS, bSkipSubmit, 1);
struct NVA06F_CTRL_GPFIFO_SCHEDULE_PARAMS_V575 {
  uint8_t bEnable;
  uint8_t bSkipSubmit;
  uint8_t bSkipEnable;
};
RAWGPU_NV_SIZE(NVA06F_CTRL_GPFIFO_SCHEDULE_PARAMS_V575, 3);
RAWGPU_NV_OFF(NVA06F_CTRL_GPFIFO_SCHEDULE_PARAMS_V575, bEnable, 0);
RAWGPU_NV_OFF(NVA06F_CTRL_GPFIFO_SCHEDULE_PARAMS_V575, bSkipSubmit, 1);
RAWGPU_NV_OFF(NVA06F_CTRL_GPFIFO_SCHEDULE_PARAMS_V575, bSkipEnable, 2);

// Mirrors src/common/sdk/nvidia/inc/ctrl/ctrla06f/ctrla06fgpfifo.h NVA06F_CTRL_BIND_PARAMS @ 580
// (only for a channel whose parent is the device, not a TSG)
struct NVA06F_CTRL_BIND_PARAMS {
  uint32_t engineType;  // NV2080_ENGINE_TYPE_*
};
RAWGPU_NV_SIZE(NVA06F_CTRL_BIND_PARAMS, 4);
RAWGPU_NV_OFF(NVA06F_CTRL_BIND_PARAMS, engineType, 0);

// Mirrors src/common/sdk/nvidia/inc/ctrl/ctrlc36f.h
// NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN_PARAMS @ 580 (preset 0xFFFFFFFF; the doorbell
// token; exported by every channel class, nvidia-hopper.md §3)
struct NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN_PARAMS {
  uint32_t workSubmitToken;
};
RAWGPU_NV_SIZE(NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN_PARAMS, 4);
RAWGPU_NV_OFF(NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN_PARAMS, workSubmitToken, 0);

// =============================================================================================
// 5. Per-architecture class table (fact sheet §3.7, from src/nvidia/generated/
// g_gpu_class_list.c @ 595). Shared by the backend (which classes to allocate) and the
// simulator (which class list a profile reports). Each list is in preference order (newest
// first) and zero-terminated when shorter than its array.

enum class NvArch : uint8_t {
  kTuring,       // TU102/104/106/116/117
  kGA100,        // Ampere datacenter
  kGA10x,        // GA102/103/104/106/107
  kAda,          // AD102/103/104/106/107
  kHopper,       // GH100
  kBlackwellDc,  // GB100/102/10B/110/112 (datacenter, Thor)
  kBlackwell,    // GB202/203/205/206/207, GB20B/20C (consumer)
};

struct NvArchClasses {
  NvArch arch;
  std::string_view name;   // "Hopper"
  std::string_view chips;  // "GH100"
  uint32_t gpfifo[4];      // channel classes, preferred first
  uint32_t compute;
  uint32_t copy[2];
  uint32_t usermode[3];
};

inline constexpr NvArchClasses kNvArchClasses[] = {
    {NvArch::kTuring,
     "Turing",
     "TU102/TU104/TU106/TU116/TU117",
     {TURING_CHANNEL_GPFIFO_A, VOLTA_CHANNEL_GPFIFO_A},
     TURING_COMPUTE_A,
     {TURING_DMA_COPY_A},
     {TURING_USERMODE_A, VOLTA_USERMODE_A}},
    {NvArch::kGA100,
     "Ampere GA100",
     "GA100",
     {AMPERE_CHANNEL_GPFIFO_A, TURING_CHANNEL_GPFIFO_A, VOLTA_CHANNEL_GPFIFO_A},
     AMPERE_COMPUTE_A,
     {AMPERE_DMA_COPY_A},
     {AMPERE_USERMODE_A, TURING_USERMODE_A}},
    {NvArch::kGA10x,
     "Ampere GA10x",
     "GA102/GA103/GA104/GA106/GA107",
     {AMPERE_CHANNEL_GPFIFO_A},
     AMPERE_COMPUTE_B,
     {AMPERE_DMA_COPY_B},
     {AMPERE_USERMODE_A, TURING_USERMODE_A}},
    {NvArch::kAda,
     "Ada",
     "AD102/AD103/AD104/AD106/AD107",
     {AMPERE_CHANNEL_GPFIFO_A},
     ADA_COMPUTE_A,
     {AMPERE_DMA_COPY_B},
     {AMPERE_USERMODE_A, TURING_USERMODE_A}},
    {NvArch::kHopper,
     "Hopper",
     "GH100",
     {HOPPER_CHANNEL_GPFIFO_A, AMPERE_CHANNEL_GPFIFO_A},
     HOPPER_COMPUTE_A,
     {HOPPER_DMA_COPY_A},
     {HOPPER_USERMODE_A}},
    {NvArch::kBlackwellDc,
     "Blackwell GB10x",
     "GB100/GB102/GB10B/GB110/GB112",
     {BLACKWELL_CHANNEL_GPFIFO_A, HOPPER_CHANNEL_GPFIFO_A, AMPERE_CHANNEL_GPFIFO_A},
     BLACKWELL_COMPUTE_A,
     {BLACKWELL_DMA_COPY_A},
     {HOPPER_USERMODE_A}},
    {NvArch::kBlackwell,
     "Blackwell GB20x",
     "GB202/GB203/GB205/GB206/GB207/GB20B/GB20C",
     {BLACKWELL_CHANNEL_GPFIFO_B, BLACKWELL_CHANNEL_GPFIFO_A},
     BLACKWELL_COMPUTE_B,
     {BLACKWELL_DMA_COPY_B, BLACKWELL_DMA_COPY_A},  // COPY_A only on GB20B/20C
     {BLACKWELL_USERMODE_A, HOPPER_USERMODE_A}},
};

// The row of `arch` (the table has one row per NvArch, in enum order).
constexpr const NvArchClasses& arch_classes(NvArch arch) {
  return kNvArchClasses[static_cast<size_t>(arch)];
}

// The row whose compute class is in `class_list` (NV0080_CTRL_CMD_GPU_GET_CLASSLIST's answer),
// or nullptr: each architecture has exactly one compute class.
constexpr const NvArchClasses* find_arch_by_class_list(std::span<const uint32_t> class_list) {
  for (const NvArchClasses& a : kNvArchClasses)
    for (uint32_t c : class_list)
      if (c == a.compute) return &a;
  return nullptr;
}

// The first class of `preference` (zero-terminated or full) present in `class_list`; 0 if none.
constexpr uint32_t first_present(std::span<const uint32_t> preference,
                                 std::span<const uint32_t> class_list) {
  for (uint32_t want : preference) {
    if (want == 0) break;
    for (uint32_t c : class_list)
      if (c == want) return want;
  }
  return 0;
}

// QMD V5 and the Blackwell cbuf0 layout start at BLACKWELL_COMPUTE_A (fact sheet §3.7).
constexpr bool is_blackwell_compute(uint32_t compute_class) {
  return compute_class >= BLACKWELL_COMPUTE_A;
}

#undef RAWGPU_NV_SIZE
#undef RAWGPU_NV_OFF

}  // namespace rawgpu::nv
