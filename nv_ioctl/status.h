// rawgpu — NV_STATUS: the in-band result of every RM escape (NVOSxx.status) and UVM ioctl
// (rmStatus), by name and with a sentence a user can act on, and the core::Error built from it.
//
// Values: src/common/sdk/nvidia/inc/nvstatuscodes.h @ 580 (the same values in tinygrad's
// nv_status_codes; fact sheet shared/abi/nvidia.md §8). The list below is the only place they are
// spelled; kNvStatusNames (for decoders' enum fields) and nv_status_name()/nv_status_hint() come
// from it.
//
// How to add a code: one X(NAME, value, "hint") line in RAWGPU_NV_STATUS_CODES, value from
// nvstatuscodes.h, hint saying what the caller should do (or "" when there is nothing to add to
// the name); tests/nv/ioctl_test.cpp NvStatus.* checks names against §8.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/ioctl_desc.h"

namespace rawgpu::nv {

// X(name, value, hint)
// clang-format off
#define RAWGPU_NV_STATUS_CODES(X)                                                                   \
  X(NV_OK, 0x00000000, "")                                                                          \
  X(NV_ERR_BUSY_RETRY, 0x00000003, "RM is busy; retry the call")                                    \
  X(NV_ERR_GPU_IS_LOST, 0x0000000F,                                                                 \
    "the GPU fell off the bus or was reset; check dmesg for an Xid and reset the GPU")              \
  X(NV_ERR_GPU_UUID_NOT_FOUND, 0x00000012,                                                          \
    "no GPU has that UUID; take it from NV2080_CTRL_CMD_GPU_GET_GID_INFO (FORMAT_BINARY) and "      \
    "register it with UVM_REGISTER_GPU first")                                                      \
  X(NV_ERR_ILLEGAL_ACTION, 0x00000016,                                                              \
    "not allowed in this state; on /dev/nvidia-uvm, UVM_INITIALIZE must be the first ioctl of "     \
    "every fd")                                                                                     \
  X(NV_ERR_IN_USE, 0x00000017,                                                                      \
    "the fd or object is already in use (registered or initialized twice?)")                        \
  X(NV_ERR_INSERT_DUPLICATE_NAME, 0x00000019,                                                       \
    "the handle is already taken in this client; choose another one, or pass 0 to let RM pick")     \
  X(NV_ERR_INSUFFICIENT_RESOURCES, 0x0000001A,                                                      \
    "the GPU ran out of channels, contexts or another resource; free objects you no longer need")   \
  X(NV_ERR_INSUFFICIENT_PERMISSIONS, 0x0000001B,                                                    \
    "this client may not do that; check the device-node permissions (some classes need root)")      \
  X(NV_ERR_INVALID_ACCESS_TYPE, 0x0000001D,                                                         \
    "the requested access does not fit this memory (read-only, or the wrong caching)")              \
  X(NV_ERR_INVALID_ADDRESS, 0x0000001E, "the address is invalid or misaligned for this call")      \
  X(NV_ERR_INVALID_ARGUMENT, 0x0000001F,                                                            \
    "an argument is wrong; most often paramsSize, or a params layout of another driver branch")     \
  X(NV_ERR_INVALID_CHANNEL, 0x00000021, "the channel handle is not a channel of this device")       \
  X(NV_ERR_INVALID_CLASS, 0x00000022,                                                               \
    "this GPU does not offer the class; pick one from NV0080_CTRL_CMD_GPU_GET_CLASSLIST")           \
  X(NV_ERR_INVALID_CLIENT, 0x00000023,                                                              \
    "unknown client handle (freed, or allocated through another fd or process)")                    \
  X(NV_ERR_INVALID_COMMAND, 0x00000024, "the object does not know this control command")          \
  X(NV_ERR_INVALID_DATA, 0x00000025, "the params contain a value RM rejects")                      \
  X(NV_ERR_INVALID_DEVICE, 0x00000026,                                                              \
    "unknown device; use deviceInstance from NV0000_CTRL_CMD_GPU_GET_ID_INFO_V2")                   \
  X(NV_ERR_INVALID_FLAGS, 0x00000029,                                                               \
    "flag combination refused (OS-descriptor memory needs LOCATION=PCI and MAPPING=NO_MAP)")        \
  X(NV_ERR_INVALID_INDEX, 0x0000002C, "an index is out of range")                                   \
  X(NV_ERR_INVALID_LIMIT, 0x0000002E,                                                               \
    "size or limit out of range (limit is size - 1 and must fit the object)")                       \
  X(NV_ERR_INVALID_LOCK_STATE, 0x0000002F, "RM lock state error; retry, report it if it persists")  \
  X(NV_ERR_INVALID_OBJECT, 0x00000031, "the object is not of the kind this call needs")             \
  X(NV_ERR_INVALID_OBJECT_HANDLE, 0x00000033,                                                       \
    "unknown object handle (already freed, or a handle of another client)")                         \
  X(NV_ERR_INVALID_OBJECT_NEW, 0x00000034,                                                          \
    "the new handle is invalid or already used; pass 0 to let RM generate one")                     \
  X(NV_ERR_INVALID_OBJECT_PARENT, 0x00000036,                                                       \
    "wrong parent for this class (a channel needs a channel group or device, a context share a "    \
    "channel group, a usermode object the subdevice)")                                              \
  X(NV_ERR_INVALID_OFFSET, 0x00000037, "the offset is out of range or misaligned")                  \
  X(NV_ERR_INVALID_OPERATION, 0x00000038, "the operation is not valid for this object")            \
  X(NV_ERR_INVALID_PARAM_STRUCT, 0x0000003A,                                                        \
    "paramsSize does not match the driver's params struct: the layout belongs to another driver "   \
    "branch")                                                                                       \
  X(NV_ERR_INVALID_POINTER, 0x0000003D,                                                             \
    "a params pointer is invalid (NULL with a nonzero size, or the reverse)")                       \
  X(NV_ERR_INVALID_REQUEST, 0x0000003F, "the request is invalid in this context")                  \
  X(NV_ERR_INVALID_STATE, 0x00000040,                                                               \
    "the object is not in a state that allows this (already set up, or not set up yet)")            \
  X(NV_ERR_MISSING_TABLE_ENTRY, 0x0000004A, "RM has no entry for this (class, command or engine)")  \
  X(NV_ERR_NO_MEMORY, 0x00000051, "out of memory; free buffers or allocate less")                   \
  X(NV_ERR_NOT_COMPATIBLE, 0x00000054, "not compatible with this GPU or configuration")             \
  X(NV_ERR_NOT_READY, 0x00000055, "not ready yet; retry later")                                    \
  X(NV_ERR_NOT_SUPPORTED, 0x00000056,                                                               \
    "this object does not support the control or feature on this GPU or driver")                    \
  X(NV_ERR_OBJECT_NOT_FOUND, 0x00000057, "no such object or mapping (already freed or unmapped?)")  \
  X(NV_ERR_OPERATING_SYSTEM, 0x00000059, "an OS call inside the driver failed; see dmesg")          \
  X(NV_ERR_PAGE_TABLE_NOT_AVAIL, 0x0000005D, "the GPU page tables for this VA are not available")   \
  X(NV_ERR_RC_ERROR, 0x00000060,                                                                    \
    "the channel hit a robust-channel error (a GPU fault); see dmesg for the Xid")                  \
  X(NV_ERR_STATE_IN_USE, 0x00000063,                                                                \
    "this fd already holds a mapping context: open a fresh /dev/nvidia* fd for every "              \
    "NV_ESC_RM_MAP_MEMORY")                                                                         \
  X(NV_ERR_TIMEOUT, 0x00000065, "the GPU did not answer in time; it may be hung (see dmesg)")      \
  X(NV_ERR_UVM_ADDRESS_IN_USE, 0x00000068,                                                          \
    "the VA range overlaps an existing UVM range; free it (UVM_FREE) or choose another address")    \
  X(NV_ERR_GENERIC, 0x0000FFFF,                                                                     \
    "unspecified RM failure (NV_ESC_CHECK_VERSION_STR also reports a version mismatch so)")         \
  X(NV_WARN_NOTHING_TO_DO, 0x00010006,                                                              \
    "nothing to do (UVM_MM_INITIALIZE on a platform that does not need it: harmless)")
// clang-format on

#define RAWGPU_NV_STATUS_CONST(NAME, VALUE, HINT) inline constexpr uint32_t NAME = VALUE;
RAWGPU_NV_STATUS_CODES(RAWGPU_NV_STATUS_CONST)
#undef RAWGPU_NV_STATUS_CONST

// The codes by name, in list order, for core::ArgField enum fields (status, rmStatus).
inline constexpr core::NamedValue kNvStatusNames[] = {
#define RAWGPU_NV_STATUS_NAMED(NAME, VALUE, HINT) core::NamedValue{VALUE, #NAME},
    RAWGPU_NV_STATUS_CODES(RAWGPU_NV_STATUS_NAMED)
#undef RAWGPU_NV_STATUS_NAMED
};
inline constexpr std::string_view kNvStatusPrefix = "NV_ERR_";

// "NV_ERR_INVALID_ARGUMENT"; "" for a value the list does not know. Never allocates.
std::string_view nv_status_name(uint32_t status);
// The hint sentence of a known value; "" otherwise. Never allocates.
std::string_view nv_status_hint(uint32_t status);
// "NV_ERR_INVALID_ARGUMENT (0x1f)", or "NV_STATUS 0x12345 (unknown)".
std::string nv_status_string(uint32_t status);

// The error for `op` ("NV_ESC_RM_CONTROL NV2080_CTRL_CMD_GR_GET_INFO", "UVM_REGISTER_GPU") that
// RM answered with `status` in-band: Error::driver(op, status, name, hint), where the hint is the
// status's own sentence followed by `detail` when given. An unknown value is named
// "NV_STATUS 0x…" so the number is never lost.
core::Error nv_status_error(std::string op, uint32_t status, std::string_view detail = {});

}  // namespace rawgpu::nv
