// The NVIDIA tables: field lists, symbolic names, errno hints and printers of the rows in
// describe.h. Field names and directions follow the driver headers the structs mirror (abi.h);
// "IN"/"OUT" there become kIn/kOut. Errno meanings: kernel-open/nvidia/nv.c,
// src/nvidia/arch/nvalloc/unix/src/escape.c, kernel-open/nvidia-uvm/uvm.c and the fact sheet
// shared/abi/nvidia.md §1.2-§1.6, §2.
#include "nv_ioctl/describe.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <iterator>
#include <string>
#include <type_traits>
#include <utility>

#include "nv_ioctl/status.h"

namespace rawgpu::nv {
namespace {

using core::ArgField;
using core::ErrnoHint;
using core::NamedValue;

// One field of struct T: name, offset and size come from the struct itself.
// clang-format off
#define F(T, MEMBER, KIND, DIR, ...)                                                            \
  ArgField{#MEMBER, static_cast<uint32_t>(offsetof(T, MEMBER)),                                 \
           static_cast<uint32_t>(sizeof(std::declval<T&>().MEMBER)), core::ArgKind::KIND,       \
           core::ArgDir::DIR, __VA_ARGS__}
// A member of a nested struct: "OUTER.MEMBER".
#define FN(T, OUTER, MEMBER, KIND, DIR, ...)                                                    \
  ArgField{#OUTER "." #MEMBER,                                                                  \
           static_cast<uint32_t>(offsetof(T, OUTER) +                                           \
                                 offsetof(std::remove_reference_t<decltype(std::declval<T&>().OUTER)>, \
                                          MEMBER)),                                             \
           static_cast<uint32_t>(sizeof(std::declval<T&>().OUTER.MEMBER)), core::ArgKind::KIND, \
           core::ArgDir::DIR, __VA_ARGS__}
// One element of an array member: "ARRAY[I]".
#define FA(T, ARRAY, I, KIND, DIR, ...)                                                         \
  ArgField{#ARRAY "[" #I "]",                                                                   \
           static_cast<uint32_t>(offsetof(T, ARRAY) + (I) * sizeof(std::declval<T&>().ARRAY[0])), \
           static_cast<uint32_t>(sizeof(std::declval<T&>().ARRAY[0])), core::ArgKind::KIND,     \
           core::ArgDir::DIR, __VA_ARGS__}
// An NV_MEMORY_DESC_PARAMS member, field by field.
#define FMEMDESC(T, M)                                                                          \
  FN(T, M, base, kHex, kIn), FN(T, M, size, kHex, kIn), FN(T, M, addressSpace, kUnsigned, kIn), \
      FN(T, M, cacheAttrib, kUnsigned, kIn)
// The 8-entry per-subdevice arrays of NV_CHANNEL_ALLOC_PARAMS.
#define F8(T, ARRAY, KIND)                                                                      \
  FA(T, ARRAY, 0, KIND, kIn), FA(T, ARRAY, 1, KIND, kIn), FA(T, ARRAY, 2, KIND, kIn),           \
      FA(T, ARRAY, 3, KIND, kIn), FA(T, ARRAY, 4, KIND, kIn), FA(T, ARRAY, 5, KIND, kIn),       \
      FA(T, ARRAY, 6, KIND, kIn), FA(T, ARRAY, 7, KIND, kIn)
// A named constant: its value and its spelling.
#define N(X) NamedValue{static_cast<uint64_t>(X), #X}
// clang-format on

// ---------------------------------------------------------------------------------------------
// Symbolic names.

constexpr std::span<const NamedValue> kStatusNames = kNvStatusNames;
constexpr std::string_view kStatusPrefix = kNvStatusPrefix;

constexpr NamedValue kRmControlNames[] = {
#define RAWGPU_NV_CONTROL_NAME(CMD, PARAMS, ...) N(CMD),
    RAWGPU_NV_RM_CONTROLS(RAWGPU_NV_CONTROL_NAME)
#undef RAWGPU_NV_CONTROL_NAME
};
constexpr NamedValue kRmClassNames[] = {
#define RAWGPU_NV_CLASS_NAME(CLASS, PARAMS, ...) N(CLASS),
    RAWGPU_NV_RM_CLASSES(RAWGPU_NV_CLASS_NAME)
#undef RAWGPU_NV_CLASS_NAME
};

constexpr NamedValue kEngineTypeNames[] = {
    N(NV2080_ENGINE_TYPE_GRAPHICS),
    N(NV2080_ENGINE_TYPE_COPY0),
    N(NV2080_ENGINE_TYPE_NVDEC0),
};
constexpr std::string_view kEngineTypePrefix = "NV2080_ENGINE_TYPE_";

constexpr NamedValue kVersionCmdNames[] = {
    N(NV_RM_API_VERSION_CMD_STRICT),
    N(NV_RM_API_VERSION_CMD_RELAXED),
    N(NV_RM_API_VERSION_CMD_QUERY),
};
constexpr std::string_view kVersionCmdPrefix = "NV_RM_API_VERSION_CMD_";
constexpr NamedValue kVersionReplyNames[] = {
    N(NV_RM_API_VERSION_REPLY_UNRECOGNIZED),
    N(NV_RM_API_VERSION_REPLY_RECOGNIZED),
};
constexpr std::string_view kVersionReplyPrefix = "NV_RM_API_VERSION_REPLY_";

constexpr NamedValue kNvos02FlagNames[] = {
    N(NVOS02_FLAGS_PHYSICALITY_NONCONTIGUOUS),
    N(NVOS02_FLAGS_COHERENCY_CACHED),
    N(NVOS02_FLAGS_GPU_CACHEABLE_YES),
    N(NVOS02_FLAGS_ALLOC_USER_READ_ONLY_YES),
    N(NVOS02_FLAGS_MAPPING_NO_MAP),
};
constexpr std::string_view kNvos02FlagPrefix = "NVOS02_FLAGS_";

constexpr NamedValue kNvos33FlagNames[] = {
    N(NVOS33_FLAGS_ACCESS_READ_ONLY),
    N(NVOS33_FLAGS_ACCESS_WRITE_ONLY),
    N(NVOS33_FLAGS_MAP_FIXED),
    N(NVOS33_FLAGS_RESERVE_ON_UNMAP),
};
constexpr std::string_view kNvos33FlagPrefix = "NVOS33_FLAGS_";

constexpr NamedValue kNvos46FlagNames[] = {
    N(NVOS46_FLAGS_CACHE_SNOOP_ENABLE),
    N(NVOS46_FLAGS_PAGE_SIZE_4KB),
    N(NVOS46_FLAGS_DMA_OFFSET_FIXED_TRUE),
};
constexpr std::string_view kNvos46FlagPrefix = "NVOS46_FLAGS_";

constexpr NamedValue kNvos32FunctionNames[] = {N(NVOS32_FUNCTION_ALLOC_SIZE)};
constexpr std::string_view kNvos32FunctionPrefix = "NVOS32_FUNCTION_";

constexpr NamedValue kUvmInitFlagNames[] = {
    N(UVM_INIT_FLAGS_DISABLE_HMM),
    N(UVM_INIT_FLAGS_MULTI_PROCESS_SHARING_MODE),
};
constexpr std::string_view kUvmInitFlagPrefix = "UVM_INIT_FLAGS_";

constexpr NamedValue kUvmMappingTypeNames[] = {
    N(UvmGpuMappingTypeDefault),
    N(UvmGpuMappingTypeReadWriteAtomic),
    N(UvmGpuMappingTypeReadWrite),
    N(UvmGpuMappingTypeReadOnly),
};
constexpr std::string_view kUvmMappingTypePrefix = "UvmGpuMappingType";

constexpr NamedValue kVaModeNames[] = {
    N(NV_DEVICE_ALLOCATION_VAMODE_OPTIONAL_MULTIPLE_VASPACES),
    N(NV_DEVICE_ALLOCATION_VAMODE_SINGLE_VASPACE),
    N(NV_DEVICE_ALLOCATION_VAMODE_MULTIPLE_VASPACES),
};
constexpr std::string_view kVaModePrefix = "NV_DEVICE_ALLOCATION_VAMODE_";

constexpr NamedValue kNvos32TypeNames[] = {N(NVOS32_TYPE_IMAGE), N(NVOS32_TYPE_NOTIFIER)};
constexpr std::string_view kNvos32TypePrefix = "NVOS32_TYPE_";

constexpr NamedValue kNvos32AllocFlagNames[] = {
    N(NVOS32_ALLOC_FLAGS_IGNORE_BANK_PLACEMENT),  N(NVOS32_ALLOC_FLAGS_ALIGNMENT_FORCE),
    N(NVOS32_ALLOC_FLAGS_MEMORY_HANDLE_PROVIDED), N(NVOS32_ALLOC_FLAGS_MAP_NOT_REQUIRED),
    N(NVOS32_ALLOC_FLAGS_PERSISTENT_VIDMEM),
};
constexpr std::string_view kNvos32AllocFlagPrefix = "NVOS32_ALLOC_FLAGS_";

constexpr NamedValue kVaspaceFlagNames[] = {
    N(NV_VASPACE_ALLOCATION_FLAGS_IS_EXTERNALLY_OWNED),
    N(NV_VASPACE_ALLOCATION_FLAGS_ENABLE_PAGE_FAULTING),
};
constexpr std::string_view kVaspaceFlagPrefix = "NV_VASPACE_ALLOCATION_FLAGS_";

constexpr NamedValue kGidFlagNames[] = {N(NV2080_GPU_CMD_GPU_GET_GID_FLAGS_FORMAT_BINARY)};
constexpr std::string_view kGidFlagPrefix = "NV2080_GPU_CMD_GPU_GET_GID_FLAGS_";

// ---------------------------------------------------------------------------------------------
// Escape field lists, member by member.
// Roles (core::ArgRole, for the replayer): RM object handles are kHandle "nv.obj" (the client
// picks most of them; RM picks hObjectNew of NV01_ROOT when it is passed as 0); NVOS02's
// pMemory is the caller's host memory (kCpuAddr). GPU VAs the process picks stay as recorded.

#define STATUS_OUT(T, M) F(T, M, kEnum, kOut, kStatusNames, kStatusPrefix)
#define HCLASS(T, M) F(T, M, kEnum, kIn, kRmClassNames)

constexpr ArgField kNvos02WithFdFields[] = {
    FN(nv_ioctl_nvos02_parameters_with_fd, params, hRoot, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    FN(nv_ioctl_nvos02_parameters_with_fd, params, hObjectParent, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    FN(nv_ioctl_nvos02_parameters_with_fd, params, hObjectNew, kHex, kInOut, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    FN(nv_ioctl_nvos02_parameters_with_fd, params, hClass, kEnum, kIn, kRmClassNames),
    FN(nv_ioctl_nvos02_parameters_with_fd, params, flags, kFlags, kIn, kNvos02FlagNames,
       kNvos02FlagPrefix),
    FN(nv_ioctl_nvos02_parameters_with_fd, params, pad0, kPad, kIn),
    FN(nv_ioctl_nvos02_parameters_with_fd, params, pMemory, kPtr, kIn, {}, {},
       core::ArgRole::kCpuAddr),
    FN(nv_ioctl_nvos02_parameters_with_fd, params, limit, kHex, kIn),
    FN(nv_ioctl_nvos02_parameters_with_fd, params, status, kEnum, kOut, kStatusNames,
       kStatusPrefix),
    FN(nv_ioctl_nvos02_parameters_with_fd, params, pad1, kPad, kIn),
    F(nv_ioctl_nvos02_parameters_with_fd, fd, kFd, kIn),
    F(nv_ioctl_nvos02_parameters_with_fd, pad0, kPad, kIn),
};

constexpr ArgField kNvos00Fields[] = {
    F(NVOS00_PARAMETERS, hRoot, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NVOS00_PARAMETERS, hObjectParent, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NVOS00_PARAMETERS, hObjectOld, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    STATUS_OUT(NVOS00_PARAMETERS, status),
};

constexpr ArgField kNvos54Fields[] = {
    F(NVOS54_PARAMETERS, hClient, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NVOS54_PARAMETERS, hObject, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NVOS54_PARAMETERS, cmd, kEnum, kIn, kRmControlNames),
    F(NVOS54_PARAMETERS, flags, kHex, kIn),
    F(NVOS54_PARAMETERS, params, kPtr, kIn),
    F(NVOS54_PARAMETERS, paramsSize, kUnsigned, kIn),
    STATUS_OUT(NVOS54_PARAMETERS, status),
};

constexpr ArgField kNvos21Fields[] = {
    F(NVOS21_PARAMETERS, hRoot, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NVOS21_PARAMETERS, hObjectParent, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NVOS21_PARAMETERS, hObjectNew, kHex, kInOut, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    HCLASS(NVOS21_PARAMETERS, hClass),
    F(NVOS21_PARAMETERS, pAllocParms, kPtr, kIn),
    F(NVOS21_PARAMETERS, paramsSize, kUnsigned, kIn),
    STATUS_OUT(NVOS21_PARAMETERS, status),
};

constexpr ArgField kNvos64Fields[] = {
    F(NVOS64_PARAMETERS, hRoot, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NVOS64_PARAMETERS, hObjectParent, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NVOS64_PARAMETERS, hObjectNew, kHex, kInOut, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    HCLASS(NVOS64_PARAMETERS, hClass),
    F(NVOS64_PARAMETERS, pAllocParms, kPtr, kIn),
    F(NVOS64_PARAMETERS, pRightsRequested, kPtr, kIn),
    F(NVOS64_PARAMETERS, paramsSize, kUnsigned, kIn),
    F(NVOS64_PARAMETERS, flags, kHex, kIn),
    STATUS_OUT(NVOS64_PARAMETERS, status),
    F(NVOS64_PARAMETERS, pad0, kPad, kIn),
};

constexpr ArgField kNvos55Fields[] = {
    F(NVOS55_PARAMETERS, hClient, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),    F(NVOS55_PARAMETERS, hParent, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NVOS55_PARAMETERS, hObject, kHex, kInOut, {}, {}, core::ArgRole::kHandle, "nv.obj"), F(NVOS55_PARAMETERS, hClientSrc, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NVOS55_PARAMETERS, hObjectSrc, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"), F(NVOS55_PARAMETERS, flags, kHex, kIn),
    STATUS_OUT(NVOS55_PARAMETERS, status),
};

constexpr ArgField kNvos57Fields[] = {
    F(NVOS57_PARAMETERS, hClient, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NVOS57_PARAMETERS, hObject, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    FN(NVOS57_PARAMETERS, sharePolicy, target, kHex, kIn),
    FN(NVOS57_PARAMETERS, sharePolicy, accessMask, kHex, kIn),
    FN(NVOS57_PARAMETERS, sharePolicy, type, kUnsigned, kIn),
    FN(NVOS57_PARAMETERS, sharePolicy, action, kUnsigned, kIn),
    FN(NVOS57_PARAMETERS, sharePolicy, pad0, kPad, kIn),
    STATUS_OUT(NVOS57_PARAMETERS, status),
};

constexpr ArgField kNvos32Fields[] = {
    F(NVOS32_PARAMETERS, hRoot, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NVOS32_PARAMETERS, hObjectParent, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NVOS32_PARAMETERS, function, kEnum, kIn, kNvos32FunctionNames, kNvos32FunctionPrefix),
    F(NVOS32_PARAMETERS, hVASpace, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NVOS32_PARAMETERS, ivcHeapNumber, kSigned, kIn),
    F(NVOS32_PARAMETERS, pad0, kPad, kIn),
    STATUS_OUT(NVOS32_PARAMETERS, status),
    F(NVOS32_PARAMETERS, total, kHex, kOut),
    F(NVOS32_PARAMETERS, free, kHex, kOut),
    F(NVOS32_PARAMETERS, data, kBytes, kInOut),
};

constexpr ArgField kNvos33WithFdFields[] = {
    FN(nv_ioctl_nvos33_parameters_with_fd, params, hClient, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    FN(nv_ioctl_nvos33_parameters_with_fd, params, hDevice, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    FN(nv_ioctl_nvos33_parameters_with_fd, params, hMemory, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    FN(nv_ioctl_nvos33_parameters_with_fd, params, pad0, kPad, kIn),
    FN(nv_ioctl_nvos33_parameters_with_fd, params, offset, kHex, kIn),
    FN(nv_ioctl_nvos33_parameters_with_fd, params, length, kHex, kIn),
    FN(nv_ioctl_nvos33_parameters_with_fd, params, pLinearAddress, kHex, kOut),
    FN(nv_ioctl_nvos33_parameters_with_fd, params, status, kEnum, kOut, kStatusNames,
       kStatusPrefix),
    FN(nv_ioctl_nvos33_parameters_with_fd, params, flags, kFlags, kIn, kNvos33FlagNames,
       kNvos33FlagPrefix),
    F(nv_ioctl_nvos33_parameters_with_fd, fd, kFd, kIn),
    F(nv_ioctl_nvos33_parameters_with_fd, pad0, kPad, kIn),
};

constexpr ArgField kNvos34Fields[] = {
    F(NVOS34_PARAMETERS, hClient, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),        F(NVOS34_PARAMETERS, hDevice, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NVOS34_PARAMETERS, hMemory, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),        F(NVOS34_PARAMETERS, pad0, kPad, kIn),
    F(NVOS34_PARAMETERS, pLinearAddress, kHex, kIn), STATUS_OUT(NVOS34_PARAMETERS, status),
    F(NVOS34_PARAMETERS, flags, kHex, kIn),
};

constexpr ArgField kNvos46Fields[] = {
    F(NVOS46_PARAMETERS, hClient, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NVOS46_PARAMETERS, hDevice, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NVOS46_PARAMETERS, hDma, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NVOS46_PARAMETERS, hMemory, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NVOS46_PARAMETERS, offset, kHex, kIn),
    F(NVOS46_PARAMETERS, length, kHex, kIn),
    F(NVOS46_PARAMETERS, flags, kFlags, kIn, kNvos46FlagNames, kNvos46FlagPrefix),
    F(NVOS46_PARAMETERS, pad0, kPad, kIn),
    F(NVOS46_PARAMETERS, dmaOffset, kHex, kInOut),
    STATUS_OUT(NVOS46_PARAMETERS, status),
    F(NVOS46_PARAMETERS, pad1, kPad, kIn),
};
constexpr ArgField kNvos46V580Fields[] = {
    F(NVOS46_PARAMETERS_V580, hClient, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NVOS46_PARAMETERS_V580, hDevice, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NVOS46_PARAMETERS_V580, hDma, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NVOS46_PARAMETERS_V580, hMemory, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NVOS46_PARAMETERS_V580, offset, kHex, kIn),
    F(NVOS46_PARAMETERS_V580, length, kHex, kIn),
    F(NVOS46_PARAMETERS_V580, flags, kFlags, kIn, kNvos46FlagNames, kNvos46FlagPrefix),
    F(NVOS46_PARAMETERS_V580, flags2, kHex, kIn),
    F(NVOS46_PARAMETERS_V580, kindOverride, kHex, kIn),
    F(NVOS46_PARAMETERS_V580, pad0, kPad, kIn),
    F(NVOS46_PARAMETERS_V580, dmaOffset, kHex, kInOut),
    STATUS_OUT(NVOS46_PARAMETERS_V580, status),
    F(NVOS46_PARAMETERS_V580, pad1, kPad, kIn),
};

constexpr ArgField kNvos47Fields[] = {
    F(NVOS47_PARAMETERS, hClient, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),   F(NVOS47_PARAMETERS, hDevice, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NVOS47_PARAMETERS, hDma, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),      F(NVOS47_PARAMETERS, hMemory, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NVOS47_PARAMETERS, flags, kHex, kIn),     F(NVOS47_PARAMETERS, pad0, kPad, kIn),
    F(NVOS47_PARAMETERS, dmaOffset, kHex, kIn), F(NVOS47_PARAMETERS, size, kHex, kIn),
    STATUS_OUT(NVOS47_PARAMETERS, status),      F(NVOS47_PARAMETERS, pad1, kPad, kIn),
};

constexpr ArgField kNvos56Fields[] = {
    F(NVOS56_PARAMETERS, hClient, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NVOS56_PARAMETERS, hDevice, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NVOS56_PARAMETERS, hMemory, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NVOS56_PARAMETERS, pad0, kPad, kIn),
    F(NVOS56_PARAMETERS, pOldCpuAddress, kPtr, kIn),
    F(NVOS56_PARAMETERS, pNewCpuAddress, kPtr, kIn),
    STATUS_OUT(NVOS56_PARAMETERS, status),
    F(NVOS56_PARAMETERS, pad1, kPad, kIn),
};

constexpr ArgField kCardInfoFields[] = {
    F(nv_ioctl_card_info_t, valid, kUnsigned, kOut),
    F(nv_ioctl_card_info_t, pad0, kPad, kIn),
    F(nv_ioctl_card_info_t, pad1, kPad, kIn),
    FN(nv_ioctl_card_info_t, pci_info, domain, kHex, kOut),
    FN(nv_ioctl_card_info_t, pci_info, bus, kHex, kOut),
    FN(nv_ioctl_card_info_t, pci_info, slot, kHex, kOut),
    FN(nv_ioctl_card_info_t, pci_info, function, kUnsigned, kOut),
    FN(nv_ioctl_card_info_t, pci_info, pad0, kPad, kIn),
    FN(nv_ioctl_card_info_t, pci_info, vendor_id, kHex, kOut),
    FN(nv_ioctl_card_info_t, pci_info, device_id, kHex, kOut),
    F(nv_ioctl_card_info_t, gpu_id, kHex, kOut),
    F(nv_ioctl_card_info_t, interrupt_line, kUnsigned, kOut),
    F(nv_ioctl_card_info_t, pad2, kPad, kIn),
    F(nv_ioctl_card_info_t, reg_address, kHex, kOut),
    F(nv_ioctl_card_info_t, reg_size, kHex, kOut),
    F(nv_ioctl_card_info_t, fb_address, kHex, kOut),
    F(nv_ioctl_card_info_t, fb_size, kHex, kOut),
    F(nv_ioctl_card_info_t, minor_number, kUnsigned, kOut),
    F(nv_ioctl_card_info_t, dev_name, kString, kOut),
    F(nv_ioctl_card_info_t, pad3, kPad, kIn),
};

constexpr ArgField kRegisterFdFields[] = {F(nv_ioctl_register_fd_t, ctl_fd, kFd, kIn)};

constexpr ArgField kAllocOsEventFields[] = {
    F(nv_ioctl_alloc_os_event_t, hClient, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(nv_ioctl_alloc_os_event_t, hDevice, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(nv_ioctl_alloc_os_event_t, fd, kFd, kIn),
    STATUS_OUT(nv_ioctl_alloc_os_event_t, Status),
};
constexpr ArgField kFreeOsEventFields[] = {
    F(nv_ioctl_free_os_event_t, hClient, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(nv_ioctl_free_os_event_t, hDevice, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(nv_ioctl_free_os_event_t, fd, kFd, kIn),
    STATUS_OUT(nv_ioctl_free_os_event_t, Status),
};

constexpr ArgField kStatusCodeFields[] = {
    F(nv_ioctl_status_code_t, domain, kHex, kIn), F(nv_ioctl_status_code_t, bus, kHex, kIn),
    F(nv_ioctl_status_code_t, slot, kHex, kIn),   F(nv_ioctl_status_code_t, pad0, kPad, kIn),
    STATUS_OUT(nv_ioctl_status_code_t, status),
};

constexpr ArgField kRmApiVersionFields[] = {
    F(nv_ioctl_rm_api_version_t, cmd, kEnum, kIn, kVersionCmdNames, kVersionCmdPrefix),
    F(nv_ioctl_rm_api_version_t, reply, kEnum, kOut, kVersionReplyNames, kVersionReplyPrefix),
    F(nv_ioctl_rm_api_version_t, versionString, kString, kInOut),
};

constexpr ArgField kXferFields[] = {
    F(nv_ioctl_xfer_t, cmd, kHex, kIn),
    F(nv_ioctl_xfer_t, size, kUnsigned, kIn),
    F(nv_ioctl_xfer_t, ptr, kPtr, kIn),
};

constexpr ArgField kGpuIdFields[] = {F(nv_ioctl_gpu_id_t, gpu_id, kHex, kIn)};

constexpr ArgField kQueryDeviceIntrFields[] = {
    F(nv_ioctl_query_device_intr_t, intrStatus, kHex, kOut),
    F(nv_ioctl_query_device_intr_t, status, kHex, kOut),
};

constexpr ArgField kSysParamsFields[] = {F(nv_ioctl_sys_params_t, memblock_size, kHex, kIn)};

constexpr ArgField kNumaInfoFields[] = {
    F(nv_ioctl_numa_info_t, nid, kSigned, kOut),
    F(nv_ioctl_numa_info_t, status, kSigned, kOut),
    F(nv_ioctl_numa_info_t, memblock_size, kHex, kOut),
    F(nv_ioctl_numa_info_t, numa_mem_addr, kHex, kOut),
    F(nv_ioctl_numa_info_t, numa_mem_size, kHex, kOut),
    F(nv_ioctl_numa_info_t, use_auto_online, kUnsigned, kOut),
    F(nv_ioctl_numa_info_t, pad0, kPad, kIn),
    F(nv_ioctl_numa_info_t, pad1, kPad, kIn),
    F(nv_ioctl_numa_info_t, pad2, kPad, kIn),
    FN(nv_ioctl_numa_info_t, offline_addresses, addresses, kBytes, kOut),
    FN(nv_ioctl_numa_info_t, offline_addresses, numEntries, kUnsigned, kOut),
    FN(nv_ioctl_numa_info_t, offline_addresses, pad0, kPad, kIn),
};

constexpr ArgField kSetNumaStatusFields[] = {
    F(nv_ioctl_set_numa_status_t, status, kSigned, kIn),
};

constexpr ArgField kExportToDmabufFields[] = {
    F(nv_ioctl_export_to_dma_buf_fd_t, fd, kFd, kInOut),
    F(nv_ioctl_export_to_dma_buf_fd_t, hClient, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(nv_ioctl_export_to_dma_buf_fd_t, totalObjects, kUnsigned, kIn),
    F(nv_ioctl_export_to_dma_buf_fd_t, numObjects, kUnsigned, kIn),
    F(nv_ioctl_export_to_dma_buf_fd_t, index, kUnsigned, kIn),
    F(nv_ioctl_export_to_dma_buf_fd_t, pad0, kPad, kIn),
    F(nv_ioctl_export_to_dma_buf_fd_t, totalSize, kHex, kIn),
    F(nv_ioctl_export_to_dma_buf_fd_t, mappingType, kUnsigned, kIn),
    F(nv_ioctl_export_to_dma_buf_fd_t, bAllowMmap, kUnsigned, kIn),
    F(nv_ioctl_export_to_dma_buf_fd_t, pad1, kPad, kIn),
    F(nv_ioctl_export_to_dma_buf_fd_t, handles, kBytes, kIn),
    F(nv_ioctl_export_to_dma_buf_fd_t, pad2, kPad, kIn),
    F(nv_ioctl_export_to_dma_buf_fd_t, offsets, kBytes, kIn),
    F(nv_ioctl_export_to_dma_buf_fd_t, sizes, kBytes, kIn),
    STATUS_OUT(nv_ioctl_export_to_dma_buf_fd_t, status),
    F(nv_ioctl_export_to_dma_buf_fd_t, pad3, kPad, kIn),
};

constexpr ArgField kWaitOpenCompleteFields[] = {
    F(nv_ioctl_wait_open_complete_t, rc, kSigned, kOut),
    F(nv_ioctl_wait_open_complete_t, adapterStatus, kEnum, kOut, kStatusNames, kStatusPrefix),
};

// ---------------------------------------------------------------------------------------------
// UVM field lists.

#define RM_STATUS(T) F(T, rmStatus, kEnum, kOut, kStatusNames, kStatusPrefix)

constexpr ArgField kUvmInitializeFields[] = {
    F(UVM_INITIALIZE_PARAMS, flags, kFlags, kIn, kUvmInitFlagNames, kUvmInitFlagPrefix),
    RM_STATUS(UVM_INITIALIZE_PARAMS),
    F(UVM_INITIALIZE_PARAMS, pad0, kPad, kIn),
};

constexpr ArgField kUvmMmInitializeFields[] = {
    F(UVM_MM_INITIALIZE_PARAMS, uvmFd, kFd, kIn),
    RM_STATUS(UVM_MM_INITIALIZE_PARAMS),
};

constexpr ArgField kUvmRegisterGpuFields[] = {
    F(UVM_REGISTER_GPU_PARAMS, gpu_uuid, kBytes, kInOut),
    F(UVM_REGISTER_GPU_PARAMS, numaEnabled, kUnsigned, kOut),
    F(UVM_REGISTER_GPU_PARAMS, pad0, kPad, kIn),
    F(UVM_REGISTER_GPU_PARAMS, pad1, kPad, kIn),
    F(UVM_REGISTER_GPU_PARAMS, numaNodeId, kSigned, kOut),
    F(UVM_REGISTER_GPU_PARAMS, rmCtrlFd, kFd, kIn),
    F(UVM_REGISTER_GPU_PARAMS, hClient, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(UVM_REGISTER_GPU_PARAMS, hSmcPartRef, kHex, kIn),
    RM_STATUS(UVM_REGISTER_GPU_PARAMS),
};

constexpr ArgField kUvmUnregisterGpuFields[] = {
    F(UVM_UNREGISTER_GPU_PARAMS, gpu_uuid, kBytes, kIn),
    RM_STATUS(UVM_UNREGISTER_GPU_PARAMS),
};

constexpr ArgField kUvmRegisterGpuVaspaceFields[] = {
    F(UVM_REGISTER_GPU_VASPACE_PARAMS, gpuUuid, kBytes, kIn),
    F(UVM_REGISTER_GPU_VASPACE_PARAMS, rmCtrlFd, kFd, kIn),
    F(UVM_REGISTER_GPU_VASPACE_PARAMS, hClient, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(UVM_REGISTER_GPU_VASPACE_PARAMS, hVaSpace, kHex, kIn),
    RM_STATUS(UVM_REGISTER_GPU_VASPACE_PARAMS),
};

constexpr ArgField kUvmUnregisterGpuVaspaceFields[] = {
    F(UVM_UNREGISTER_GPU_VASPACE_PARAMS, gpuUuid, kBytes, kIn),
    RM_STATUS(UVM_UNREGISTER_GPU_VASPACE_PARAMS),
};

constexpr ArgField kUvmRegisterChannelFields[] = {
    F(UVM_REGISTER_CHANNEL_PARAMS, gpuUuid, kBytes, kIn),
    F(UVM_REGISTER_CHANNEL_PARAMS, rmCtrlFd, kFd, kIn),
    F(UVM_REGISTER_CHANNEL_PARAMS, hClient, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(UVM_REGISTER_CHANNEL_PARAMS, hChannel, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(UVM_REGISTER_CHANNEL_PARAMS, pad0, kPad, kIn),
    F(UVM_REGISTER_CHANNEL_PARAMS, base, kHex, kIn),
    F(UVM_REGISTER_CHANNEL_PARAMS, length, kHex, kIn),
    RM_STATUS(UVM_REGISTER_CHANNEL_PARAMS),
    F(UVM_REGISTER_CHANNEL_PARAMS, pad1, kPad, kIn),
};

constexpr ArgField kUvmUnregisterChannelFields[] = {
    F(UVM_UNREGISTER_CHANNEL_PARAMS, gpuUuid, kBytes, kIn),
    F(UVM_UNREGISTER_CHANNEL_PARAMS, hClient, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(UVM_UNREGISTER_CHANNEL_PARAMS, hChannel, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    RM_STATUS(UVM_UNREGISTER_CHANNEL_PARAMS),
};
constexpr ArgField kUvmUnregisterChannelV590Fields[] = {
    F(UVM_UNREGISTER_CHANNEL_PARAMS_V590, hClient, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(UVM_UNREGISTER_CHANNEL_PARAMS_V590, hChannel, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    RM_STATUS(UVM_UNREGISTER_CHANNEL_PARAMS_V590),
};

constexpr ArgField kUvmEnablePeerAccessFields[] = {
    F(UVM_ENABLE_PEER_ACCESS_PARAMS, gpuUuidA, kBytes, kIn),
    F(UVM_ENABLE_PEER_ACCESS_PARAMS, gpuUuidB, kBytes, kIn),
    RM_STATUS(UVM_ENABLE_PEER_ACCESS_PARAMS),
};
constexpr ArgField kUvmDisablePeerAccessFields[] = {
    F(UVM_DISABLE_PEER_ACCESS_PARAMS, gpuUuidA, kBytes, kIn),
    F(UVM_DISABLE_PEER_ACCESS_PARAMS, gpuUuidB, kBytes, kIn),
    RM_STATUS(UVM_DISABLE_PEER_ACCESS_PARAMS),
};

constexpr ArgField kUvmMapExternalAllocationFields[] = {
    F(UVM_MAP_EXTERNAL_ALLOCATION_PARAMS, base, kHex, kIn),
    F(UVM_MAP_EXTERNAL_ALLOCATION_PARAMS, length, kHex, kIn),
    F(UVM_MAP_EXTERNAL_ALLOCATION_PARAMS, offset, kHex, kIn),
    F(UVM_MAP_EXTERNAL_ALLOCATION_PARAMS, perGpuAttributes, kBytes, kIn),
    F(UVM_MAP_EXTERNAL_ALLOCATION_PARAMS, gpuAttributesCount, kUnsigned, kIn),
    F(UVM_MAP_EXTERNAL_ALLOCATION_PARAMS, rmCtrlFd, kFd, kIn),
    F(UVM_MAP_EXTERNAL_ALLOCATION_PARAMS, hClient, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(UVM_MAP_EXTERNAL_ALLOCATION_PARAMS, hMemory, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    RM_STATUS(UVM_MAP_EXTERNAL_ALLOCATION_PARAMS),
};
// One perGpuAttributes entry, for print_uvm_map_external_allocation.
constexpr ArgField kUvmGpuMappingAttributesFields[] = {
    F(UvmGpuMappingAttributes, gpuUuid, kBytes, kIn),
    F(UvmGpuMappingAttributes, gpuMappingType, kEnum, kIn, kUvmMappingTypeNames,
      kUvmMappingTypePrefix),
    F(UvmGpuMappingAttributes, gpuCachingType, kUnsigned, kIn),
    F(UvmGpuMappingAttributes, gpuFormatType, kUnsigned, kIn),
    F(UvmGpuMappingAttributes, gpuElementBits, kUnsigned, kIn),
    F(UvmGpuMappingAttributes, gpuCompressionType, kUnsigned, kIn),
};

constexpr ArgField kUvmFreeFields[] = {
    F(UVM_FREE_PARAMS, base, kHex, kIn),
    F(UVM_FREE_PARAMS, length, kHex, kIn),
    RM_STATUS(UVM_FREE_PARAMS),
    F(UVM_FREE_PARAMS, pad0, kPad, kIn),
};
constexpr ArgField kUvmFreeV590Fields[] = {
    F(UVM_FREE_PARAMS_V590, base, kHex, kIn),
    RM_STATUS(UVM_FREE_PARAMS_V590),
    F(UVM_FREE_PARAMS_V590, pad0, kPad, kIn),
};

constexpr ArgField kUvmUnmapExternalFields[] = {
    F(UVM_UNMAP_EXTERNAL_PARAMS, base, kHex, kIn),
    F(UVM_UNMAP_EXTERNAL_PARAMS, length, kHex, kIn),
    F(UVM_UNMAP_EXTERNAL_PARAMS, gpuUuid, kBytes, kIn),
    RM_STATUS(UVM_UNMAP_EXTERNAL_PARAMS),
    F(UVM_UNMAP_EXTERNAL_PARAMS, pad0, kPad, kIn),
};

constexpr ArgField kUvmCreateExternalRangeFields[] = {
    F(UVM_CREATE_EXTERNAL_RANGE_PARAMS, base, kHex, kIn),
    F(UVM_CREATE_EXTERNAL_RANGE_PARAMS, length, kHex, kIn),
    RM_STATUS(UVM_CREATE_EXTERNAL_RANGE_PARAMS),
    F(UVM_CREATE_EXTERNAL_RANGE_PARAMS, pad0, kPad, kIn),
};

// ---------------------------------------------------------------------------------------------
// RM control params.

constexpr ArgField kBuildVersionV2Fields[] = {
    F(NV0000_CTRL_SYSTEM_GET_BUILD_VERSION_V2_PARAMS, driverVersionBuffer, kString, kOut),
    F(NV0000_CTRL_SYSTEM_GET_BUILD_VERSION_V2_PARAMS, versionBuffer, kString, kOut),
    F(NV0000_CTRL_SYSTEM_GET_BUILD_VERSION_V2_PARAMS, driverBranch, kString, kOut),
    F(NV0000_CTRL_SYSTEM_GET_BUILD_VERSION_V2_PARAMS, titleBuffer, kString, kOut),
    F(NV0000_CTRL_SYSTEM_GET_BUILD_VERSION_V2_PARAMS, changelistNumber, kUnsigned, kOut),
    F(NV0000_CTRL_SYSTEM_GET_BUILD_VERSION_V2_PARAMS, officialChangelistNumber, kUnsigned, kOut),
};

constexpr ArgField kGetAttachedIdsFields[] = {
    F(NV0000_CTRL_GPU_GET_ATTACHED_IDS_PARAMS, gpuIds, kBytes, kOut),
};

constexpr ArgField kGetIdInfoV2Fields[] = {
    F(NV0000_CTRL_GPU_GET_ID_INFO_V2_PARAMS, gpuId, kHex, kIn),
    F(NV0000_CTRL_GPU_GET_ID_INFO_V2_PARAMS, gpuFlags, kHex, kOut),
    F(NV0000_CTRL_GPU_GET_ID_INFO_V2_PARAMS, deviceInstance, kUnsigned, kOut),
    F(NV0000_CTRL_GPU_GET_ID_INFO_V2_PARAMS, subDeviceInstance, kUnsigned, kOut),
    F(NV0000_CTRL_GPU_GET_ID_INFO_V2_PARAMS, sliStatus, kHex, kOut),
    F(NV0000_CTRL_GPU_GET_ID_INFO_V2_PARAMS, boardId, kHex, kOut),
    F(NV0000_CTRL_GPU_GET_ID_INFO_V2_PARAMS, gpuInstance, kUnsigned, kOut),
    F(NV0000_CTRL_GPU_GET_ID_INFO_V2_PARAMS, numaId, kSigned, kOut),
};

constexpr ArgField kGetClasslistFields[] = {
    F(NV0080_CTRL_GPU_GET_CLASSLIST_PARAMS, numClasses, kUnsigned, kInOut),
    F(NV0080_CTRL_GPU_GET_CLASSLIST_PARAMS, pad0, kPad, kIn),
    F(NV0080_CTRL_GPU_GET_CLASSLIST_PARAMS, classList, kPtr, kIn),
};
constexpr ArgField kGetClasslistV2Fields[] = {
    F(NV0080_CTRL_GPU_GET_CLASSLIST_V2_PARAMS, numClasses, kUnsigned, kOut),
    F(NV0080_CTRL_GPU_GET_CLASSLIST_V2_PARAMS, classList, kBytes, kOut),
};
constexpr ArgField kGetClasslistV2V580Fields[] = {
    F(NV0080_CTRL_GPU_GET_CLASSLIST_V2_PARAMS_V580, numClasses, kUnsigned, kOut),
    F(NV0080_CTRL_GPU_GET_CLASSLIST_V2_PARAMS_V580, classList, kBytes, kOut),
};

constexpr ArgField kGetGidInfoFields[] = {
    F(NV2080_CTRL_GPU_GET_GID_INFO_PARAMS, index, kUnsigned, kIn),
    F(NV2080_CTRL_GPU_GET_GID_INFO_PARAMS, flags, kFlags, kIn, kGidFlagNames, kGidFlagPrefix),
    F(NV2080_CTRL_GPU_GET_GID_INFO_PARAMS, length, kUnsigned, kInOut),
    F(NV2080_CTRL_GPU_GET_GID_INFO_PARAMS, data, kBytes, kOut),
};

constexpr ArgField kGrGetInfoFields[] = {
    F(NV2080_CTRL_GR_GET_INFO_PARAMS, grInfoListSize, kUnsigned, kIn),
    F(NV2080_CTRL_GR_GET_INFO_PARAMS, pad0, kPad, kIn),
    F(NV2080_CTRL_GR_GET_INFO_PARAMS, grInfoList, kPtr, kIn),
    FN(NV2080_CTRL_GR_GET_INFO_PARAMS, grRouteInfo, flags, kHex, kIn),
    FN(NV2080_CTRL_GR_GET_INFO_PARAMS, grRouteInfo, pad0, kPad, kIn),
    FN(NV2080_CTRL_GR_GET_INFO_PARAMS, grRouteInfo, route, kHex, kIn),
};

constexpr ArgField kGrGetCtxBufferSizeFields[] = {
    F(NV2080_CTRL_GR_GET_CTX_BUFFER_SIZE_PARAMS, hChannel, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NV2080_CTRL_GR_GET_CTX_BUFFER_SIZE_PARAMS, pad0, kPad, kIn),
    F(NV2080_CTRL_GR_GET_CTX_BUFFER_SIZE_PARAMS, totalBufferSize, kHex, kOut),
};

constexpr ArgField kFbFlushGpuCacheFields[] = {
    F(NV2080_CTRL_FB_FLUSH_GPU_CACHE_PARAMS, addressArray, kBytes, kIn),
    F(NV2080_CTRL_FB_FLUSH_GPU_CACHE_PARAMS, addressArraySize, kUnsigned, kIn),
    F(NV2080_CTRL_FB_FLUSH_GPU_CACHE_PARAMS, addressAlign, kUnsigned, kIn),
    F(NV2080_CTRL_FB_FLUSH_GPU_CACHE_PARAMS, memBlockSizeBytes, kHex, kIn),
    F(NV2080_CTRL_FB_FLUSH_GPU_CACHE_PARAMS, flags, kHex, kIn),
    F(NV2080_CTRL_FB_FLUSH_GPU_CACHE_PARAMS, pad0, kPad, kIn),
};

constexpr ArgField kPerfBoostFields[] = {
    F(NV2080_CTRL_PERF_BOOST_PARAMS, flags, kHex, kIn),
    F(NV2080_CTRL_PERF_BOOST_PARAMS, duration, kHex, kIn),
};

constexpr ArgField kA06cScheduleFields[] = {
    F(NVA06C_CTRL_GPFIFO_SCHEDULE_PARAMS, bEnable, kUnsigned, kIn),
    F(NVA06C_CTRL_GPFIFO_SCHEDULE_PARAMS, bSkipSubmit, kUnsigned, kIn),
};
constexpr ArgField kA06cScheduleV575Fields[] = {
    F(NVA06C_CTRL_GPFIFO_SCHEDULE_PARAMS_V575, bEnable, kUnsigned, kIn),
    F(NVA06C_CTRL_GPFIFO_SCHEDULE_PARAMS_V575, bSkipSubmit, kUnsigned, kIn),
    F(NVA06C_CTRL_GPFIFO_SCHEDULE_PARAMS_V575, bSkipEnable, kUnsigned, kIn),
};
constexpr ArgField kA06fScheduleFields[] = {
    F(NVA06F_CTRL_GPFIFO_SCHEDULE_PARAMS, bEnable, kUnsigned, kIn),
    F(NVA06F_CTRL_GPFIFO_SCHEDULE_PARAMS, bSkipSubmit, kUnsigned, kIn),
};
constexpr ArgField kA06fScheduleV575Fields[] = {
    F(NVA06F_CTRL_GPFIFO_SCHEDULE_PARAMS_V575, bEnable, kUnsigned, kIn),
    F(NVA06F_CTRL_GPFIFO_SCHEDULE_PARAMS_V575, bSkipSubmit, kUnsigned, kIn),
    F(NVA06F_CTRL_GPFIFO_SCHEDULE_PARAMS_V575, bSkipEnable, kUnsigned, kIn),
};
constexpr ArgField kA06fBindFields[] = {
    F(NVA06F_CTRL_BIND_PARAMS, engineType, kEnum, kIn, kEngineTypeNames, kEngineTypePrefix),
};
constexpr ArgField kWorkSubmitTokenFields[] = {
    F(NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN_PARAMS, workSubmitToken, kHex, kInOut),
};

// ---------------------------------------------------------------------------------------------
// RM allocation params.

constexpr ArgField kNv0005AllocFields[] = {
    F(NV0005_ALLOC_PARAMETERS, hParentClient, kHex, kIn),
    F(NV0005_ALLOC_PARAMETERS, hSrcResource, kHex, kIn),
    HCLASS(NV0005_ALLOC_PARAMETERS, hClass),
    F(NV0005_ALLOC_PARAMETERS, notifyIndex, kHex, kIn),
    F(NV0005_ALLOC_PARAMETERS, data, kHex, kIn),
};

constexpr ArgField kNv0080AllocFields[] = {
    F(NV0080_ALLOC_PARAMETERS, deviceId, kUnsigned, kIn),
    F(NV0080_ALLOC_PARAMETERS, hClientShare, kHex, kIn),
    F(NV0080_ALLOC_PARAMETERS, hTargetClient, kHex, kIn),
    F(NV0080_ALLOC_PARAMETERS, hTargetDevice, kHex, kIn),
    F(NV0080_ALLOC_PARAMETERS, flags, kHex, kIn),
    F(NV0080_ALLOC_PARAMETERS, pad0, kPad, kIn),
    F(NV0080_ALLOC_PARAMETERS, vaSpaceSize, kHex, kIn),
    F(NV0080_ALLOC_PARAMETERS, vaStartInternal, kHex, kIn),
    F(NV0080_ALLOC_PARAMETERS, vaLimitInternal, kHex, kIn),
    F(NV0080_ALLOC_PARAMETERS, vaMode, kEnum, kIn, kVaModeNames, kVaModePrefix),
    F(NV0080_ALLOC_PARAMETERS, pad1, kPad, kIn),
};

constexpr ArgField kNv2080AllocFields[] = {
    F(NV2080_ALLOC_PARAMETERS, subDeviceId, kUnsigned, kIn),
};

constexpr ArgField kMemoryVirtualAllocationFields[] = {
    F(NV_MEMORY_VIRTUAL_ALLOCATION_PARAMS, offset, kHex, kIn),
    F(NV_MEMORY_VIRTUAL_ALLOCATION_PARAMS, limit, kHex, kIn),
    F(NV_MEMORY_VIRTUAL_ALLOCATION_PARAMS, hVASpace, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NV_MEMORY_VIRTUAL_ALLOCATION_PARAMS, pad0, kPad, kIn),
};

constexpr ArgField kMemoryAllocationFields[] = {
    F(NV_MEMORY_ALLOCATION_PARAMS, owner, kHex, kIn),
    F(NV_MEMORY_ALLOCATION_PARAMS, type, kEnum, kIn, kNvos32TypeNames, kNvos32TypePrefix),
    F(NV_MEMORY_ALLOCATION_PARAMS, flags, kFlags, kIn, kNvos32AllocFlagNames,
      kNvos32AllocFlagPrefix),
    F(NV_MEMORY_ALLOCATION_PARAMS, width, kUnsigned, kIn),
    F(NV_MEMORY_ALLOCATION_PARAMS, height, kUnsigned, kIn),
    F(NV_MEMORY_ALLOCATION_PARAMS, pitch, kSigned, kIn),
    F(NV_MEMORY_ALLOCATION_PARAMS, attr, kHex, kIn),
    F(NV_MEMORY_ALLOCATION_PARAMS, attr2, kHex, kIn),
    F(NV_MEMORY_ALLOCATION_PARAMS, format, kUnsigned, kIn),
    F(NV_MEMORY_ALLOCATION_PARAMS, comprCovg, kUnsigned, kIn),
    F(NV_MEMORY_ALLOCATION_PARAMS, zcullCovg, kUnsigned, kIn),
    F(NV_MEMORY_ALLOCATION_PARAMS, pad0, kPad, kIn),
    F(NV_MEMORY_ALLOCATION_PARAMS, rangeLo, kHex, kIn),
    F(NV_MEMORY_ALLOCATION_PARAMS, rangeHi, kHex, kIn),
    F(NV_MEMORY_ALLOCATION_PARAMS, size, kHex, kIn),
    F(NV_MEMORY_ALLOCATION_PARAMS, alignment, kHex, kIn),
    F(NV_MEMORY_ALLOCATION_PARAMS, offset, kHex, kIn),
    F(NV_MEMORY_ALLOCATION_PARAMS, limit, kHex, kIn),
    F(NV_MEMORY_ALLOCATION_PARAMS, address, kHex, kOut),
    F(NV_MEMORY_ALLOCATION_PARAMS, ctagOffset, kUnsigned, kIn),
    F(NV_MEMORY_ALLOCATION_PARAMS, hVASpace, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NV_MEMORY_ALLOCATION_PARAMS, internalflags, kHex, kIn),
    F(NV_MEMORY_ALLOCATION_PARAMS, tag, kHex, kIn),
    F(NV_MEMORY_ALLOCATION_PARAMS, numaNode, kSigned, kIn),
    F(NV_MEMORY_ALLOCATION_PARAMS, pad1, kPad, kIn),
};

#define RAWGPU_NV_VASPACE_FIELDS(T)                                                                \
  F(T, index, kUnsigned, kIn), F(T, flags, kFlags, kIn, kVaspaceFlagNames, kVaspaceFlagPrefix),    \
      F(T, vaSize, kHex, kIn), F(T, vaStartInternal, kHex, kIn), F(T, vaLimitInternal, kHex, kIn), \
      F(T, bigPageSize, kHex, kIn), F(T, pad0, kPad, kIn), F(T, vaBase, kHex, kIn)
constexpr ArgField kVaspaceAllocFields[] = {
    RAWGPU_NV_VASPACE_FIELDS(NV_VASPACE_ALLOCATION_PARAMETERS),
};
constexpr ArgField kVaspaceAllocV580Fields[] = {
    RAWGPU_NV_VASPACE_FIELDS(NV_VASPACE_ALLOCATION_PARAMETERS_V580),
    F(NV_VASPACE_ALLOCATION_PARAMETERS_V580, pasid, kUnsigned, kIn),
    F(NV_VASPACE_ALLOCATION_PARAMETERS_V580, pad1, kPad, kIn),
};
#undef RAWGPU_NV_VASPACE_FIELDS

constexpr ArgField kChannelGroupAllocFields[] = {
    F(NV_CHANNEL_GROUP_ALLOCATION_PARAMETERS, hObjectError, kHex, kIn),
    F(NV_CHANNEL_GROUP_ALLOCATION_PARAMETERS, hObjectEccError, kHex, kIn),
    F(NV_CHANNEL_GROUP_ALLOCATION_PARAMETERS, hVASpace, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NV_CHANNEL_GROUP_ALLOCATION_PARAMETERS, engineType, kEnum, kIn, kEngineTypeNames,
      kEngineTypePrefix),
    F(NV_CHANNEL_GROUP_ALLOCATION_PARAMETERS, bIsCallingContextVgpuPlugin, kUnsigned, kIn),
    F(NV_CHANNEL_GROUP_ALLOCATION_PARAMETERS, pad0, kPad, kIn),
    F(NV_CHANNEL_GROUP_ALLOCATION_PARAMETERS, pad1, kPad, kIn),
};

constexpr ArgField kCtxshareAllocFields[] = {
    F(NV_CTXSHARE_ALLOCATION_PARAMETERS, hVASpace, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NV_CTXSHARE_ALLOCATION_PARAMETERS, flags, kHex, kIn),
    F(NV_CTXSHARE_ALLOCATION_PARAMETERS, subctxId, kUnsigned, kIn),
};

#define RAWGPU_NV_CHANNEL_HEAD(T)                                                                  \
  F(T, hObjectError, kHex, kIn), F(T, hObjectBuffer, kHex, kIn), F(T, gpFifoOffset, kHex, kIn),    \
      F(T, gpFifoEntries, kUnsigned, kIn), F(T, flags, kHex, kIn), F(T, hContextShare, kHex, kIn), \
      F(T, hVASpace, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj")
#define RAWGPU_NV_CHANNEL_TAIL(T)                                                                  \
  F(T, engineType, kEnum, kIn, kEngineTypeNames, kEngineTypePrefix), F(T, cid, kUnsigned, kIn),    \
      F(T, subDeviceId, kUnsigned, kIn), F(T, hObjectEccError, kHex, kIn),                         \
      FMEMDESC(T, instanceMem), FMEMDESC(T, userdMem), FMEMDESC(T, ramfcMem),                      \
      FMEMDESC(T, mthdbufMem), F(T, hPhysChannelGroup, kHex, kIn), F(T, internalFlags, kHex, kIn), \
      FMEMDESC(T, errorNotifierMem), FMEMDESC(T, eccErrorNotifierMem),                             \
      F(T, ProcessID, kUnsigned, kIn), F(T, SubProcessID, kUnsigned, kIn),                         \
      F(T, encryptIv, kBytes, kIn), F(T, decryptIv, kBytes, kIn), F(T, hmacNonce, kBytes, kIn),    \
      F(T, tpcConfigID, kUnsigned, kIn)
constexpr ArgField kChannelAllocFields[] = {
    RAWGPU_NV_CHANNEL_HEAD(NV_CHANNEL_ALLOC_PARAMS),
    F8(NV_CHANNEL_ALLOC_PARAMS, hUserdMemory, kHex),
    F8(NV_CHANNEL_ALLOC_PARAMS, userdOffset, kHex),
    RAWGPU_NV_CHANNEL_TAIL(NV_CHANNEL_ALLOC_PARAMS),
    F(NV_CHANNEL_ALLOC_PARAMS, pad0, kPad, kIn),
};
constexpr ArgField kChannelAllocV610Fields[] = {
    RAWGPU_NV_CHANNEL_HEAD(NV_CHANNEL_ALLOC_PARAMS_V610),
    F(NV_CHANNEL_ALLOC_PARAMS_V610, hHandleVASpace, kHex, kIn),
    F8(NV_CHANNEL_ALLOC_PARAMS_V610, hUserdMemory, kHex),
    F(NV_CHANNEL_ALLOC_PARAMS_V610, pad0, kPad, kIn),
    F8(NV_CHANNEL_ALLOC_PARAMS_V610, userdOffset, kHex),
    RAWGPU_NV_CHANNEL_TAIL(NV_CHANNEL_ALLOC_PARAMS_V610),
    F(NV_CHANNEL_ALLOC_PARAMS_V610, pad1, kPad, kIn),
};
#undef RAWGPU_NV_CHANNEL_HEAD
#undef RAWGPU_NV_CHANNEL_TAIL

constexpr ArgField kNv83deAllocFields[] = {
    F(NV83DE_ALLOC_PARAMETERS, hDebuggerClient_Obsolete, kHex, kIn),
    F(NV83DE_ALLOC_PARAMETERS, hAppClient, kHex, kIn),
    F(NV83DE_ALLOC_PARAMETERS, hClass3dObject, kHex, kIn),
};

constexpr ArgField kHopperUsermodeFields[] = {
    F(NV_HOPPER_USERMODE_A_PARAMS, bBar1Mapping, kUnsigned, kIn),
    F(NV_HOPPER_USERMODE_A_PARAMS, bPriv, kUnsigned, kIn),
};

// The parts of NVOS54/NVOS21 that format_rm_control/format_rm_alloc print beside the params
// (cmd/hClass go into the name, params/paramsSize are replaced by the decoded params).
constexpr ArgField kRmControlHeadFields[] = {
    F(NVOS54_PARAMETERS, hClient, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NVOS54_PARAMETERS, hObject, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NVOS54_PARAMETERS, flags, kHex, kIn),
    STATUS_OUT(NVOS54_PARAMETERS, status),
};
constexpr ArgField kRmAllocHeadFields[] = {
    F(NVOS21_PARAMETERS, hRoot, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NVOS21_PARAMETERS, hObjectParent, kHex, kIn, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    F(NVOS21_PARAMETERS, hObjectNew, kHex, kInOut, {}, {}, core::ArgRole::kHandle, "nv.obj"),
    STATUS_OUT(NVOS21_PARAMETERS, status),
};
constexpr core::IoctlDesc kRmControlHead{.name = "NV_ESC_RM_CONTROL",
                                         .args_type = "NVOS54_PARAMETERS",
                                         .size = sizeof(NVOS54_PARAMETERS),
                                         .fields = kRmControlHeadFields};
constexpr core::IoctlDesc kRmAllocHead{.name = "NV_ESC_RM_ALLOC",
                                       .args_type = "NVOS21_PARAMETERS",
                                       .size = sizeof(NVOS21_PARAMETERS),
                                       .fields = kRmAllocHeadFields};

// ---------------------------------------------------------------------------------------------
// Nested user buffers (core::BufferRef): what the sniffer captures, the decoder prints and the
// replayer copies. Tags are unique per row. RM copies a control's params by paramsSize
// (Nv04ControlWithSecInfo) and an allocation's params by the class's own size (RmAllocWithSecInfo
// looks the size up per class; paramsSize is ignored), so the alloc rows size theirs from
// rm_classes(); a class that table does not know falls back to paramsSize.

uint32_t read_u32(std::span<const uint8_t> arg, size_t at) {
  if (arg.size() < at + 4) return 0;
  return static_cast<uint32_t>(arg[at]) | static_cast<uint32_t>(arg[at + 1]) << 8 |
         static_cast<uint32_t>(arg[at + 2]) << 16 | static_cast<uint32_t>(arg[at + 3]) << 24;
}
// RM copies the class's own params size for its branch (HOPPER_CHANNEL_GPFIFO_A: 368 bytes on
// 580, 376 on 610), whatever paramsSize says; an unknown class falls back to paramsSize.
uint64_t alloc_params_bytes(std::span<const uint8_t> arg, size_t class_at, size_t size_at,
                            uint32_t branch) {
  const uint32_t h_class = read_u32(arg, class_at);
  if (const core::IoctlDesc* row = find_versioned(rm_classes(), h_class, branch)) return row->size;
  return read_u32(arg, size_at);
}
uint64_t nvos21_params_bytes(std::span<const uint8_t> arg, uint32_t branch) {
  return alloc_params_bytes(arg, offsetof(NVOS21_PARAMETERS, hClass),
                            offsetof(NVOS21_PARAMETERS, paramsSize), branch);
}
uint64_t nvos64_params_bytes(std::span<const uint8_t> arg, uint32_t branch) {
  return alloc_params_bytes(arg, offsetof(NVOS64_PARAMETERS, hClass),
                            offsetof(NVOS64_PARAMETERS, paramsSize), branch);
}

constexpr core::BufferRef kRmControlBuffers[] = {
    {.tag = 1, .name = "params", .ptr_field = "params", .count_field = "paramsSize",
     .elem_size = 1, .dir = core::ArgDir::kInOut, .elem_type = "rm_controls()[cmd]"},
};
constexpr core::BufferRef kRmAllocBuffers[] = {
    {.tag = 1, .name = "pAllocParms", .ptr_field = "pAllocParms", .dir = core::ArgDir::kInOut,
     .elem_type = "rm_classes()[hClass]", .size_of = nvos21_params_bytes},
};
constexpr core::BufferRef kRmAllocNvos64Buffers[] = {
    {.tag = 1, .name = "pAllocParms", .ptr_field = "pAllocParms", .dir = core::ArgDir::kInOut,
     .elem_type = "rm_classes()[hClass]", .size_of = nvos64_params_bytes},
};
constexpr core::BufferRef kXferBuffers[] = {
    {.tag = 1, .name = "inner", .ptr_field = "ptr", .count_field = "size", .elem_size = 1,
     .dir = core::ArgDir::kInOut, .elem_type = "the escape's args (cmd)"},
};

// Pointers inside RM control params (the sniffer follows them one level down from the params
// buffer; tags there are 0x100 + tag).
constexpr ArgField kClassIdElemFields[] = {
    ArgField{"hClass", 0, 4, core::ArgKind::kEnum, core::ArgDir::kOut, kRmClassNames},
};
constexpr ArgField kGrInfoElemFields[] = {
    F(NV2080_CTRL_GR_INFO, index, kHex, kIn),
    F(NV2080_CTRL_GR_INFO, data, kUnsigned, kOut),
};
constexpr core::BufferRef kGetClasslistBuffers[] = {
    {.tag = 1, .name = "classList", .ptr_field = "classList", .count_field = "numClasses",
     .elem_size = 4, .dir = core::ArgDir::kOut, .elem_type = "NvU32",
     .elem_fields = kClassIdElemFields},
};
constexpr core::BufferRef kGrGetInfoBuffers[] = {
    {.tag = 1, .name = "grInfoList", .ptr_field = "grInfoList", .count_field = "grInfoListSize",
     .elem_size = sizeof(NV2080_CTRL_GR_INFO), .dir = core::ArgDir::kInOut,
     .elem_type = "NV2080_CTRL_GR_INFO", .elem_fields = kGrInfoElemFields},
};

#undef STATUS_OUT
#undef HCLASS
#undef RM_STATUS
#undef F
#undef FN
#undef FA
#undef FMEMDESC
#undef F8
#undef N

// ---------------------------------------------------------------------------------------------
// Errno hints: one sentence a user can act on. Row hints first, then the table's.

constexpr ErrnoHint kRmAllocMemoryHints[] = {
    {EINVAL,
     "NV_ESC_RM_ALLOC_MEMORY goes to a /dev/nvidia<minor> fd registered with NV_ESC_REGISTER_FD "
     "(not to /dev/nvidiactl), with the 56-byte nv_ioctl_nvos02_parameters_with_fd"},
};
constexpr ErrnoHint kMapMemoryDmaHints[] = {
    {EINVAL,
     "NVOS46_PARAMETERS is 56 bytes before driver 580 and 64 bytes from 580 on; use the layout "
     "of the running driver (nv::select_abi)"},
};
constexpr ErrnoHint kCardInfoHints[] = {
    {EINVAL, "the argument size must be a nonzero multiple of 72 (nv_ioctl_card_info_t)"},
};
constexpr ErrnoHint kRegisterFdHints[] = {
    {EINVAL,
     "ctl_fd must be an open /dev/nvidiactl fd of this process, this /dev/nvidia<minor> fd must "
     "not be registered already, and an fd cannot name itself"},
};
constexpr ErrnoHint kCheckVersionHints[] = {
    {EINVAL,
     "the kernel module's version differs from the version asked for; its own version string "
     "is in versionString (reinstall matching user space, or use NV_RM_API_VERSION_CMD_QUERY)"},
};
constexpr ErrnoHint kAttachGpusHints[] = {
    {EINVAL,
     "the size must be a nonzero multiple of 4, the ids must come from NV_ESC_CARD_INFO, and the "
     "call is allowed once per fd"},
};
constexpr ErrnoHint kSysParamsHints[] = {
    {EBUSY, "memblock_size was already set to another value; it can be set only once"},
};
constexpr ErrnoHint kUvmHints[] = {
    {ENOTTY, "not a /dev/nvidia-uvm fd, or an ioctl this nvidia-uvm module does not know"},
    {EINVAL, "nvidia-uvm rejected the argument (is nvidia-uvm.ko loaded and matching nvidia.ko?)"},
    {EFAULT, "the argument pointer is not valid user memory"},
    {EBADF, "the /dev/nvidia-uvm fd is closed or belongs to another process (after fork?)"},
    {EINTR, "interrupted by a signal; retry the call"},
};

constexpr ErrnoHint kCommonHints[] = {
    {EINVAL,
     "the driver refused the argument size or the call: a struct layout of another driver "
     "branch, an escape sent to the wrong node (RM escapes go to /dev/nvidiactl, "
     "NV_ESC_RM_ALLOC_MEMORY to /dev/nvidia<minor>), or an RM failure (see dmesg)"},
    {EFAULT, "an argument pointer is not valid user memory"},
    {ENOMEM, "the kernel could not allocate memory for the call"},
    {EBADF, "the fd is closed or not an NVIDIA device node"},
    {ENOTTY, "the fd is not an NVIDIA device node"},
    {EPERM, "no permission to use this device node (check /dev/nvidia* permissions)"},
    {EACCES, "no permission to use this device node (check /dev/nvidia* permissions)"},
    {EINTR, "interrupted by a signal; retry the call"},
    {EIO, "the GPU or driver failed the call; see dmesg (Xid)"},
};

// ---------------------------------------------------------------------------------------------
// The tables.

constexpr core::IoctlDesc with_encoding(core::IoctlDesc d, core::IoctlEncoding e) {
  d.encoding = e;
  return d;
}

#define RAWGPU_NV_ENCODING_ESC core::IoctlEncoding::kIoc
#define RAWGPU_NV_ENCODING_UVM core::IoctlEncoding::kRaw
#define RAWGPU_NV_MAGIC_ESC NV_IOCTL_MAGIC
#define RAWGPU_NV_MAGIC_UVM 0

#define RAWGPU_NV_ROW_DESC(ID, KIND, NR, ARGS, STATUS, ...)                                 \
  with_encoding(core::IoctlDesc{.name = #NR,                                                \
                                .args_type = std::is_same_v<ARGS, nv_no_args> ? "" : #ARGS, \
                                .magic = RAWGPU_NV_MAGIC_##KIND,                            \
                                .nr = NR,                                                   \
                                .dir = core::IoctlDir::kReadWrite,                          \
                                .size = args_size<ARGS>,                                    \
                                __VA_ARGS__},                                               \
                RAWGPU_NV_ENCODING_##KIND),
constexpr core::IoctlDesc kRows[] = {RAWGPU_NV_IOCTLS(RAWGPU_NV_ROW_DESC)};
#undef RAWGPU_NV_ROW_DESC
static_assert(std::size(kRows) == kNvIoctlCount);

// The enum, the traits and the array come from the same list; check the correspondence.
#define RAWGPU_NV_ROW_CHECK(ID, KIND, NR, ARGS, STATUS, ...)         \
  static_assert(kRows[static_cast<size_t>(NvIoctl::ID)].request() == \
                    NvIoctlRow<NvIoctl::ID>::request &&              \
                kRows[static_cast<size_t>(NvIoctl::ID)].size == args_size<ARGS>);
RAWGPU_NV_IOCTLS(RAWGPU_NV_ROW_CHECK)
#undef RAWGPU_NV_ROW_CHECK

constexpr core::IoctlTable kTable{.driver = "nvidia", .rows = kRows, .common_hints = kCommonHints};

#define RAWGPU_NV_SUB_DESC(ID, PARAMS, ...)                                                     \
  with_encoding(core::IoctlDesc{.name = #ID,                                                    \
                                .args_type = std::is_same_v<PARAMS, nv_no_args> ? "" : #PARAMS, \
                                .nr = ID,                                                       \
                                .dir = core::IoctlDir::kReadWrite,                              \
                                .size = args_size<PARAMS>,                                      \
                                __VA_ARGS__},                                                   \
                core::IoctlEncoding::kRaw),
constexpr core::IoctlDesc kControlRows[] = {RAWGPU_NV_RM_CONTROLS(RAWGPU_NV_SUB_DESC)};
constexpr core::IoctlDesc kClassRows[] = {RAWGPU_NV_RM_CLASSES(RAWGPU_NV_SUB_DESC)};
#undef RAWGPU_NV_SUB_DESC

constexpr core::IoctlTable kControlTable{.driver = "nvidia-rm-control", .rows = kControlRows};
constexpr core::IoctlTable kClassTable{.driver = "nvidia-rm-class", .rows = kClassRows};

// ---------------------------------------------------------------------------------------------
// Helpers.

bool all_zero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (p[i] != 0) return false;
  return true;
}

bool in_phase(const ArgField& f, core::Phase phase) {
  switch (phase) {
    case core::Phase::kAll: return true;
    case core::Phase::kIn: return f.dir != core::ArgDir::kOut;
    case core::Phase::kOut: return f.kind != core::ArgKind::kPad && f.dir != core::ArgDir::kIn;
  }
  return true;
}

uint64_t load_le(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  std::memcpy(&v, p, n < sizeof v ? n : sizeof v);
  return v;
}

// The row of `id` for `branch` among rows [first, last) of a table.
const core::IoctlDesc* pick(std::span<const core::IoctlDesc> rows, uint32_t id, uint32_t branch) {
  const core::IoctlDesc* found = nullptr;
  for (const core::IoctlDesc& d : rows) {
    if (d.nr != id) continue;
    if (branch != 0 && d.since > branch) continue;
    found = &d;  // later rows are newer
  }
  return found;
}

// "{fields of head}, params={fields of sub}" for format_rm_control/format_rm_alloc.
std::string format_sub_call(std::string_view escape, const core::IoctlDesc& head,
                            const void* head_bytes, const core::IoctlDesc* sub, uint32_t id,
                            const void* params, size_t n, uint32_t params_size, uint64_t ptr,
                            core::Phase phase) {
  std::string out = rm_op_name(escape, sub != nullptr ? sub->name : std::string_view{}, id);
  out += '{';
  core::append_fields(out, head, {static_cast<const uint8_t*>(head_bytes), head.size}, phase);
  if (sub == nullptr || (params_size != 0 && params_size != sub->size)) {
    // No description of these params (unknown id, or a size no layout has): show them raw.
    if (phase != core::Phase::kOut) {
      out += ", params=";
      if (ptr == 0) {
        out += "NULL";
      } else {
        char buf[24];
        auto r = std::to_chars(buf, buf + sizeof buf, ptr, 16);
        out += "0x";
        out.append(buf, r.ptr);
      }
      out += ", paramsSize=" + std::to_string(params_size);
      if (sub != nullptr) out += " /* expected " + std::to_string(sub->size) + " */";
    }
    out += '}';
    return out;
  }
  if (sub->size != 0) {
    std::string inner;
    const std::span<const uint8_t> b(static_cast<const uint8_t*>(params), params ? n : 0);
    if (params == nullptr && phase != core::Phase::kOut) {
      inner = "NULL";
    } else if (params != nullptr) {
      if (sub->printer != nullptr) {
        sub->printer(inner, *sub, b, phase);
      } else {
        core::append_fields(inner, *sub, b, phase);
      }
      inner = "{" + inner + "}";
    }
    if (!inner.empty() && inner != "{}") {
      out += ", params=";
      out += inner;
    }
  }
  out += '}';
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

const core::IoctlTable& nv_ioctls() { return kTable; }
const core::IoctlDesc& nv_ioctl(NvIoctl id) { return kRows[static_cast<size_t>(id)]; }
const core::IoctlTable& rm_controls() { return kControlTable; }
const core::IoctlTable& rm_classes() { return kClassTable; }

core::IoctlMatch find_nv_request(unsigned long request, uint32_t branch) {
  const core::IoctlDesc* uvm = nullptr;
  for (const core::IoctlDesc& d : kRows) {
    if (d.encoding != core::IoctlEncoding::kRaw || d.nr != request) continue;
    if (branch != 0 && d.since > branch) continue;
    uvm = &d;
  }
  if (uvm != nullptr) return core::IoctlMatch{uvm, uvm->size, true, true};
  return core::find_by_request(kTable, request);
}

const core::IoctlDesc* find_versioned(const core::IoctlTable& table, uint32_t id, uint32_t branch) {
  return pick(table.rows, id, branch);
}

const core::IoctlDesc* find_sized(const core::IoctlTable& table, uint32_t id, uint32_t size) {
  for (const core::IoctlDesc& d : table.rows)
    if (d.nr == id && d.size == size) return &d;
  return nullptr;
}

std::string_view rm_control_name(uint32_t cmd) {
  const core::IoctlDesc* d = pick(kControlRows, cmd, 0);
  return d != nullptr ? d->name : std::string_view{};
}

std::string_view rm_class_name(uint32_t hClass) {
  const core::IoctlDesc* d = pick(kClassRows, hClass, 0);
  return d != nullptr ? d->name : std::string_view{};
}

std::string rm_op_name(std::string_view escape, std::string_view sub_name, uint32_t id) {
  std::string out(escape);
  out += ' ';
  if (!sub_name.empty()) {
    out += sub_name;
  } else {
    char buf[12];
    auto r = std::to_chars(buf, buf + sizeof buf, id, 16);
    out += "0x";
    out.append(buf, r.ptr);
  }
  return out;
}

std::string format_rm_control(const NVOS54_PARAMETERS& p, const void* params, size_t n,
                              core::Phase phase) {
  const core::IoctlDesc* sub = find_sized(kControlTable, p.cmd, p.paramsSize);
  if (sub == nullptr) sub = pick(kControlRows, p.cmd, 0);
  return format_sub_call("NV_ESC_RM_CONTROL", kRmControlHead, &p, sub, p.cmd, params, n,
                         p.paramsSize, p.params, phase);
}

std::string format_rm_alloc(const NVOS21_PARAMETERS& p, const void* params, size_t n,
                            core::Phase phase, uint32_t branch) {
  const core::IoctlDesc* sub = pick(kClassRows, p.hClass, branch);
  // RM ignores paramsSize for allocations; only a size that names another layout is shown raw.
  uint32_t size = p.paramsSize;
  if (sub != nullptr && size != 0 && size != sub->size && find_sized(kClassTable, p.hClass, size))
    sub = find_sized(kClassTable, p.hClass, size);
  if (sub != nullptr && size != sub->size) size = 0;
  return format_sub_call("NV_ESC_RM_ALLOC", kRmAllocHead, &p, sub, p.hClass, params, n, size,
                         p.pAllocParms, phase);
}

std::string nv_table_problems(const core::IoctlTable& table) {
  std::string out;
  for (size_t i = 0; i < table.rows.size(); ++i) {
    const core::IoctlDesc& d = table.rows[i];
    // core's checks of one row at a time: fields, sizes, _IOC limits.
    const core::IoctlTable one{.driver = table.driver, .rows = table.rows.subspan(i, 1)};
    out += core::table_problems(one);
    for (size_t k = i + 1; k < table.rows.size(); ++k) {
      const core::IoctlDesc& e = table.rows[k];
      if (e.encoding == d.encoding && e.request() == d.request()) {
        const bool supersedes = e.name == d.name && e.since > d.since;
        if (!supersedes)
          out += std::string(d.name) + " (" + std::string(d.args_type) +
                 "): issues the same request as " + std::string(e.name) + " (" +
                 std::string(e.args_type) + ") without superseding it at a later branch\n";
      }
      if (e.nr == d.nr && e.encoding == core::IoctlEncoding::kRaw &&
          d.encoding == core::IoctlEncoding::kRaw && e.name != d.name)
        out += std::string(d.name) + ": shares id with " + std::string(e.name) + "\n";
      if (e.name == d.name && e.nr != d.nr)
        out += std::string(d.name) + ": the same name with another number\n";
    }
  }
  return out;
}

std::span<const core::NamedValue> rm_control_names() { return kRmControlNames; }
std::span<const core::NamedValue> rm_class_names() { return kRmClassNames; }
std::span<const core::NamedValue> engine_type_names() { return kEngineTypeNames; }

// ---------------------------------------------------------------------------------------------
// Printers.

void print_nonzero_fields(std::string& out, const core::IoctlDesc& desc,
                          std::span<const uint8_t> bytes, core::Phase phase) {
  bool first = true;
  for (const ArgField& f : desc.fields) {
    if (!in_phase(f, phase) || f.kind == core::ArgKind::kPad) continue;
    if (static_cast<size_t>(f.offset) + f.size > bytes.size()) continue;
    const uint8_t* p = bytes.data() + f.offset;
    if (all_zero(p, f.size)) continue;
    if (!first) out += ", ";
    first = false;
    out += f.name;
    out += '=';
    core::append_field_value(out, f, p);
  }
}

void print_card_info(std::string& out, const core::IoctlDesc& desc, std::span<const uint8_t> bytes,
                     core::Phase phase) {
  // One {…} per captured entry; on entry the array is all output, so only its length is shown.
  const size_t entries = bytes.size() / sizeof(nv_ioctl_card_info_t);
  if (phase == core::Phase::kIn) {
    out += "entries=" + std::to_string(entries);
    return;
  }
  const core::IoctlDesc one{.name = desc.name, .size = desc.size, .fields = desc.fields};
  bool first = true;
  for (size_t i = 0; i < entries; ++i) {
    const std::span<const uint8_t> e =
        bytes.subspan(i * sizeof(nv_ioctl_card_info_t), sizeof(nv_ioctl_card_info_t));
    if (e[offsetof(nv_ioctl_card_info_t, valid)] == 0) continue;  // unused slots
    if (!first) out += ", ";
    first = false;
    out += '[' + std::to_string(i) + "]={";
    core::append_fields(out, one, e, phase);
    out += '}';
  }
}

void print_uvm_map_external_allocation(std::string& out, const core::IoctlDesc& desc,
                                       std::span<const uint8_t> bytes, core::Phase phase) {
  using P = UVM_MAP_EXTERNAL_ALLOCATION_PARAMS;
  constexpr size_t kAttrs = offsetof(P, perGpuAttributes);
  constexpr size_t kCount = offsetof(P, gpuAttributesCount);
  constexpr uint64_t kMaxShown = 8;
  // The fields before and after the attribute array, printed by core's loop.
  const core::IoctlDesc head{.name = desc.name, .size = desc.size, .fields = desc.fields.first(3)};
  const core::IoctlDesc tail{.name = desc.name, .size = desc.size, .fields = desc.fields.last(5)};
  const core::IoctlDesc attr{.name = "UvmGpuMappingAttributes",
                             .size = sizeof(UvmGpuMappingAttributes),
                             .fields = kUvmGpuMappingAttributesFields};
  if (phase == core::Phase::kOut) {
    core::append_fields(out, tail, bytes, phase);
    return;
  }
  core::append_fields(out, head, bytes, phase);
  uint64_t count = bytes.size() >= kCount + 8 ? load_le(bytes.data() + kCount, 8) : 0;
  if (count > UVM_MAX_GPUS_V2) count = UVM_MAX_GPUS_V2;
  out += ", perGpuAttributes=[";
  for (uint64_t i = 0; i < count && i < kMaxShown; ++i) {
    const size_t off = kAttrs + i * sizeof(UvmGpuMappingAttributes);
    if (off + sizeof(UvmGpuMappingAttributes) > bytes.size()) break;
    if (i != 0) out += ", ";
    out += '{';
    core::append_fields(out, attr, bytes.subspan(off, sizeof(UvmGpuMappingAttributes)), phase);
    out += '}';
  }
  if (count > kMaxShown) out += ", ...";
  out += "], ";
  core::append_fields(out, tail, bytes, phase);
}

}  // namespace rawgpu::nv
