#include "nv_ioctl/ioctl.h"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>
#include <utility>

#include "core/log.h"

namespace rawgpu::nv {
namespace {

std::string_view sub_name(detail::SubKind kind, uint32_t id) {
  switch (kind) {
    case detail::SubKind::kNone: return {};
    case detail::SubKind::kControl: return rm_control_name(id);
    case detail::SubKind::kAlloc:
    case detail::SubKind::kClassName: return rm_class_name(id);
  }
  return {};
}

std::string op_name(NvIoctl id, detail::SubKind kind, uint32_t sub_id) {
  const std::string_view row = nv_ioctl(id).name;
  if (kind == detail::SubKind::kNone) return std::string(row);
  return rm_op_name(row, sub_name(kind, sub_id), sub_id);
}

// "NV2080_CTRL_GR_GET_INFO_PARAMS (32 bytes)" for every layout of `id`, newest last.
std::string layouts_of(const core::IoctlTable& table, uint32_t id) {
  std::string out;
  for (const core::IoctlDesc& d : table.rows) {
    if (d.nr != id) continue;
    if (!out.empty()) out += " or ";
    out += d.args_type.empty() ? std::string("no params") : std::string(d.args_type);
    out += " (" + std::to_string(d.size) + " bytes";
    if (d.since != 0) out += ", driver " + std::to_string(d.since) + "+";
    out += ')';
  }
  return out;
}

// True when params fit a known command/class: NULL with size 0, or a size one of its layouts has
// (ids rawgpu does not describe pass; RM decides). Allocation-free.
bool params_size_ok(const core::IoctlTable& table, uint32_t id, RmParams params,
                    bool exact_size_required) {
  if (params.ptr == nullptr) return params.size == 0;
  if (params.size == 0) return !exact_size_required;
  return find_versioned(table, id) == nullptr || find_sized(table, id, params.size) != nullptr;
}

// The error for params that params_size_ok() refused.
core::Error params_size_error(const core::IoctlTable& table, uint32_t id, RmParams params,
                              const std::string& op) {
  if (params.ptr == nullptr)
    return core::Error::invalid(op, "NULL params with paramsSize " + std::to_string(params.size));
  if (params.size == 0) return core::Error::invalid(op, "params given with paramsSize 0");
  return core::Error::invalid(op, "params are " + std::to_string(params.size) + " bytes; " +
                                      std::string(find_versioned(table, id)->name) + " takes " +
                                      layouts_of(table, id));
}

std::string format_call(const detail::Call& c, const uint8_t* before, core::Phase phase) {
  const core::IoctlDesc& row = nv_ioctl(c.id);
  switch (c.sub_kind) {
    case detail::SubKind::kControl:
      return format_rm_control(*static_cast<const NVOS54_PARAMETERS*>(c.arg), c.params,
                               c.params_size, phase);
    case detail::SubKind::kAlloc:
      return format_rm_alloc(*static_cast<const NVOS21_PARAMETERS*>(c.arg), c.params, c.params_size,
                             phase);
    case detail::SubKind::kNone:
    case detail::SubKind::kClassName: break;
  }
  if (phase == core::Phase::kOut) return core::format_args(row, before, c.arg, c.size);
  return core::format_args(row, c.arg, c.size, phase);
}

core::Status check_result(const detail::Call& c, int r) {
  const uint32_t status = c.status != nullptr ? *c.status : NV_OK;
  if (r < 0) {
    core::Error e = ioctl_error(c.id, -r, sub_name(c.sub_kind, c.sub_id), c.sub_id);
    if (status == NV_OK) return e;
    // Both the errno and the driver's status, as separate fields (STYLE rule 10).
    std::string name(nv_status_name(status));
    if (name.empty()) name = nv_status_string(status);
    return core::Error(core::ErrorKind::kSys, e.op(), e.err(), status, std::move(name), e.hint());
  }
  if (status == NV_OK) return {};
  std::string detail;
  if ((status == NV_ERR_INVALID_ARGUMENT || status == NV_ERR_INVALID_PARAM_STRUCT) &&
      (c.sub_kind == detail::SubKind::kControl || c.sub_kind == detail::SubKind::kAlloc)) {
    const core::IoctlTable& t =
        c.sub_kind == detail::SubKind::kControl ? rm_controls() : rm_classes();
    const core::IoctlDesc* sent = find_sized(t, c.sub_id, c.params_size);
    detail = "sent " +
             (sent != nullptr && !sent->args_type.empty() ? std::string(sent->args_type)
                                                          : std::string("params")) +
             " (" + std::to_string(c.params_size) + " bytes)";
    if (find_versioned(t, c.sub_id) != nullptr) detail += "; layouts: " + layouts_of(t, c.sub_id);
  }
  return nv_status_error(op_name(c.id, c.sub_kind, c.sub_id), status, detail);
}

void append_hex(std::string& out, uint64_t v) {
  char buf[20];
  auto r = std::to_chars(buf, buf + sizeof buf, v, 16);
  out += "0x";
  out.append(buf, r.ptr);
}

std::string hex(uint64_t v) {
  std::string s;
  append_hex(s, v);
  return s;
}

// Parses "MAJOR.MINOR[.PATCH]" (digits and dots only, no empty component).
bool parse_version_token(std::string_view tok, DriverVersion& out) {
  uint32_t parts[3] = {0, 0, 0};
  size_t n = 0;
  const char* p = tok.data();
  const char* end = tok.data() + tok.size();
  while (p < end && n < 3) {
    const auto r = std::from_chars(p, end, parts[n]);
    if (r.ec != std::errc() || r.ptr == p) return false;
    ++n;
    p = r.ptr;
    if (p == end) break;
    if (*p != '.') return false;
    ++p;
    if (p == end) return false;
  }
  if (p != end || n < 2) return false;
  out.major = parts[0];
  out.minor = parts[1];
  out.patch = parts[2];
  out.text = std::string(tok);
  return true;
}

std::string first_line(std::string_view text) {
  std::string_view line = text.substr(0, text.find('\n'));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  return std::string(line);
}

std::string_view open_hint(int err) {
  switch (err) {
    case ENOENT: return "no such device node: is the nvidia kernel module loaded (nvidia-smi)?";
    case EACCES:
    case EPERM: return "no permission on the device node (is the user in the video group?)";
    case ENXIO:
    case ENODEV: return "the GPU behind this node is not present or failed to initialize";
    default: return {};
  }
}

std::string_view mmap_hint(int err) {
  switch (err) {
    case ENXIO: return "on a GPU node the mmap length must equal the NV_ESC_RM_MAP_MEMORY length";
    case EINVAL:
      return "the mmap offset must be 0 and the address and length page-aligned, after an "
             "NV_ESC_RM_MAP_MEMORY on this very fd";
    case ENOMEM: return "out of address space or memory for the mapping";
    default: return {};
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------

std::string gpu_node_path(uint32_t minor) { return "/dev/nvidia" + std::to_string(minor); }

core::Result<DriverVersion> parse_driver_version(std::string_view text, std::string_view what) {
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' ||
                               text[i] == '\r' || text[i] == '\0'))
      ++i;
    size_t j = i;
    while (j < text.size() && text[j] != ' ' && text[j] != '\t' && text[j] != '\n' &&
           text[j] != '\r' && text[j] != '\0')
      ++j;
    DriverVersion v;
    if (j > i && parse_version_token(text.substr(i, j - i), v)) return v;
    i = j;
  }
  return core::Error::invalid(
      std::string(what), "no driver version (MAJOR.MINOR[.PATCH]) in '" + first_line(text) + "'");
}

core::Result<NvAbi> select_abi(const DriverVersion& v) {
  const std::string op = "NVIDIA driver " + (v.text.empty() ? std::to_string(v.major) : v.text);
  const bool known = std::find(std::begin(kKnownBranches), std::end(kKnownBranches), v.major) !=
                     std::end(kKnownBranches);
  if (!known) {
    std::string list;
    for (uint32_t b : kKnownBranches) {
      if (!list.empty()) list += ", ";
      list += std::to_string(b);
    }
    return core::Error::unsupported(
        op, "driver branch " + std::to_string(v.major) + " is not one rawgpu has layouts for (" +
                list +
                "); its RM and UVM structs may differ, so it is refused rather than guessed");
  }
  // NV_CHANNEL_ALLOC_PARAMS gained tpcConfigID in 570.86.15 (gvisor
  // NV_CHANNEL_ALLOC_PARAMS_V570); earlier 570 releases used a 360-byte layout.
  if (v.major == 570 && (v.minor < 86 || (v.minor == 86 && v.patch < 15)))
    return core::Error::unsupported(
        op,
        "570 releases before 570.86.15 use a 360-byte NV_CHANNEL_ALLOC_PARAMS (no "
        "tpcConfigID) that rawgpu does not describe; update the driver");
  NvAbi abi;
  abi.version = v;
  abi.branch = v.major;
  abi.gpfifo_schedule_v575 = v.major >= 575;
  abi.classlist_v2_v580 = v.major >= 580;
  abi.map_memory_dma_v580 = v.major >= 580;
  abi.vaspace_v580 = v.major >= 580;
  abi.uvm_free_v590 = v.major >= 590;
  abi.uvm_unregister_channel_v590 = v.major >= 590;
  abi.channel_alloc_v610 = v.major >= 610;
  abi.escape_sizes_checked = v.major >= 595;
  return abi;
}

core::Error ioctl_error(NvIoctl id, int err, std::string_view sub, uint32_t sub_id) {
  const core::IoctlDesc& row = nv_ioctl(id);
  std::string op(row.name);
  if (!sub.empty() || sub_id != 0) op = rm_op_name(row.name, sub, sub_id);
  return core::Error::sys(std::move(op), err, std::string(core::errno_hint(nv_ioctls(), row, err)));
}

namespace detail {

core::Status issue(core::Sys& sys, int fd, const Call& c) {
  if (!core::log_ioctls()) [[likely]] {
    return check_result(c, sys.ioctl(fd, c.request, c.arg));
  }
  std::vector<uint8_t> before;
  if (c.arg != nullptr && c.size != 0) {
    const auto* p = static_cast<const uint8_t*>(c.arg);
    before.assign(p, p + c.size);
  }
  core::log_trace("ioctl(" + std::to_string(fd) + ", " + format_call(c, nullptr, core::Phase::kIn) +
                  ")");
  const int r = sys.ioctl(fd, c.request, c.arg);
  std::string out = r < 0 ? std::string("-") + core::errno_name(-r) : std::to_string(r);
  out += ' ';
  out += format_call(c, before.empty() ? nullptr : before.data(), core::Phase::kOut);
  core::log_trace("  = " + out);
  return check_result(c, r);
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Escapes.

core::Result<std::vector<nv_ioctl_card_info_t>> card_info(core::Sys& sys, int ctl_fd,
                                                          uint32_t max_entries) {
  constexpr uint32_t kEntry = sizeof(nv_ioctl_card_info_t);
  if (max_entries == 0 || max_entries > core::kIocSizeMax / kEntry)
    return core::Error::invalid(
        "NV_ESC_CARD_INFO", "max_entries must be 1.." + std::to_string(core::kIocSizeMax / kEntry));
  std::vector<nv_ioctl_card_info_t> cards(max_entries);
  detail::Call c;
  c.id = NvIoctl::CARD_INFO;
  c.size = max_entries * kEntry;
  c.request = core::ioc(core::IoctlDir::kReadWrite, NV_IOCTL_MAGIC, NV_ESC_CARD_INFO, c.size);
  c.arg = cards.data();
  RAWGPU_TRY(detail::issue(sys, ctl_fd, c));
  std::erase_if(cards, [](const nv_ioctl_card_info_t& ci) { return ci.valid == 0; });
  return cards;
}

core::Status register_fd(core::Sys& sys, int gpu_fd, int ctl_fd) {
  nv_ioctl_register_fd_t a{};
  a.ctl_fd = ctl_fd;
  return call_into<NvIoctl::REGISTER_FD>(sys, gpu_fd, a);
}

core::Result<nv_ioctl_rm_api_version_t> check_version_str(core::Sys& sys, int ctl_fd, uint32_t cmd,
                                                          std::string_view version) {
  nv_ioctl_rm_api_version_t a{};
  a.cmd = cmd;
  const size_t n = std::min(version.size(), sizeof a.versionString - 1);
  if (n != 0) std::memcpy(a.versionString, version.data(), n);
  core::Status s = call_into<NvIoctl::CHECK_VERSION_STR>(sys, ctl_fd, a);
  if (s.ok()) return a;
  core::Error e = std::move(s).error();
  const size_t len = strnlen(a.versionString, sizeof a.versionString);
  if (e.err() == EINVAL && len != 0 && std::string_view(a.versionString, len) != version)
    return core::Error::sys(e.op(), e.err(),
                            e.hint() + " (asked for '" + std::string(version) +
                                "', the kernel module is '" + std::string(a.versionString, len) +
                                "')");
  return e;
}

core::Result<DriverVersion> query_driver_version(core::Sys& sys, int ctl_fd) {
  RAWGPU_ASSIGN(nv_ioctl_rm_api_version_t a,
                check_version_str(sys, ctl_fd, NV_RM_API_VERSION_CMD_QUERY));
  if (a.reply != NV_RM_API_VERSION_REPLY_RECOGNIZED)
    return core::Error::unsupported(
        "NV_ESC_CHECK_VERSION_STR",
        "the kernel module did not recognize NV_RM_API_VERSION_CMD_QUERY (reply " +
            std::to_string(a.reply) + ")");
  return parse_driver_version(
      std::string_view(a.versionString, strnlen(a.versionString, sizeof a.versionString)),
      "NV_ESC_CHECK_VERSION_STR");
}

core::Result<DriverVersion> read_driver_version(core::Sys& sys) {
  RAWGPU_ASSIGN(std::string text, sys.read_file(kProcDriverVersionPath, 1u << 16));
  return parse_driver_version(first_line(text), kProcDriverVersionPath);
}

core::Result<NvAbi> detect_abi(core::Sys& sys, int ctl_fd) {
  core::Result<DriverVersion> v = query_driver_version(sys, ctl_fd);
  if (!v.ok()) {
    core::Result<DriverVersion> proc = read_driver_version(sys);
    if (!proc.ok()) {
      core::Error e = v.error();
      return core::Error(e.kind(), "detect the NVIDIA driver version: " + e.op(), e.err(),
                         e.status(), e.status_name(),
                         e.hint() + (e.hint().empty() ? "" : "; ") +
                             "fallback failed too: " + proc.error().message());
    }
    core::log_debug("NV_ESC_CHECK_VERSION_STR failed (" + v.error().message() + "); using " +
                    kProcDriverVersionPath);
    v = std::move(proc);
  }
  return select_abi(*v);
}

core::Status attach_gpus_to_fd(core::Sys& sys, int ctl_fd, std::span<const uint32_t> gpu_ids) {
  constexpr uint32_t kEntry = sizeof(nv_ioctl_gpu_id_t);
  if (gpu_ids.empty() || gpu_ids.size() > core::kIocSizeMax / kEntry)
    return core::Error::invalid(
        "NV_ESC_ATTACH_GPUS_TO_FD",
        "pass 1.." + std::to_string(core::kIocSizeMax / kEntry) + " gpu ids");
  std::vector<uint32_t> ids(gpu_ids.begin(), gpu_ids.end());
  detail::Call c;
  c.id = NvIoctl::ATTACH_GPUS_TO_FD;
  c.size = static_cast<uint32_t>(ids.size()) * kEntry;
  c.request =
      core::ioc(core::IoctlDir::kReadWrite, NV_IOCTL_MAGIC, NV_ESC_ATTACH_GPUS_TO_FD, c.size);
  c.arg = ids.data();
  return detail::issue(sys, ctl_fd, c);
}

core::Status alloc_os_event(core::Sys& sys, int ctl_fd, uint32_t hClient, uint32_t hDevice,
                            int event_fd) {
  nv_ioctl_alloc_os_event_t a{};
  a.hClient = hClient;
  a.hDevice = hDevice;
  a.fd = static_cast<uint32_t>(event_fd);
  return call_into<NvIoctl::ALLOC_OS_EVENT>(sys, ctl_fd, a);
}

core::Status free_os_event(core::Sys& sys, int ctl_fd, uint32_t hClient, uint32_t hDevice,
                           int event_fd) {
  nv_ioctl_free_os_event_t a{};
  a.hClient = hClient;
  a.hDevice = hDevice;
  a.fd = static_cast<uint32_t>(event_fd);
  return call_into<NvIoctl::FREE_OS_EVENT>(sys, ctl_fd, a);
}

// ---------------------------------------------------------------------------------------------
// RM objects.

core::Result<uint32_t> rm_alloc(core::Sys& sys, int ctl_fd, uint32_t hRoot, uint32_t hParent,
                                uint32_t hObject, uint32_t hClass, RmParams params) {
  if (!params_size_ok(rm_classes(), hClass, params, false))
    return params_size_error(rm_classes(), hClass, params,
                             rm_op_name("NV_ESC_RM_ALLOC", rm_class_name(hClass), hClass));
  NVOS21_PARAMETERS p{};
  p.hRoot = hRoot;
  p.hObjectParent = hParent;
  p.hObjectNew = hObject;
  p.hClass = hClass;
  p.pAllocParms = reinterpret_cast<uintptr_t>(params.ptr);
  p.paramsSize = params.size;  // ignored by RM (it copies the class's size); kept for decoders
  detail::Call c;
  c.id = NvIoctl::RM_ALLOC;
  c.request = NvIoctlRow<NvIoctl::RM_ALLOC>::request;
  c.arg = &p;
  c.size = sizeof p;
  c.status = &p.status;
  c.sub_kind = detail::SubKind::kAlloc;
  c.sub_id = hClass;
  c.params = params.ptr;
  c.params_size = params.size;
  RAWGPU_TRY(detail::issue(sys, ctl_fd, c));
  return p.hObjectNew;
}

core::Status rm_control(core::Sys& sys, int ctl_fd, uint32_t hClient, uint32_t hObject,
                        uint32_t cmd, RmParams params) {
  if (!params_size_ok(rm_controls(), cmd, params, true))
    return params_size_error(rm_controls(), cmd, params,
                             rm_op_name("NV_ESC_RM_CONTROL", rm_control_name(cmd), cmd));
  NVOS54_PARAMETERS p{};
  p.hClient = hClient;
  p.hObject = hObject;
  p.cmd = cmd;
  p.params = reinterpret_cast<uintptr_t>(params.ptr);
  p.paramsSize = params.size;
  detail::Call c;
  c.id = NvIoctl::RM_CONTROL;
  c.request = NvIoctlRow<NvIoctl::RM_CONTROL>::request;
  c.arg = &p;
  c.size = sizeof p;
  c.status = &p.status;
  c.sub_kind = detail::SubKind::kControl;
  c.sub_id = cmd;
  c.params = params.ptr;
  c.params_size = params.size;
  return detail::issue(sys, ctl_fd, c);
}

core::Status rm_free(core::Sys& sys, int ctl_fd, uint32_t hRoot, uint32_t hParent,
                     uint32_t hObject) {
  NVOS00_PARAMETERS p{};
  p.hRoot = hRoot;
  p.hObjectParent = hParent;
  p.hObjectOld = hObject;
  return call_into<NvIoctl::RM_FREE>(sys, ctl_fd, p);
}

core::Result<uint32_t> rm_alloc_memory(core::Sys& sys, int gpu_fd, const AllocMemoryArgs& a) {
  nv_ioctl_nvos02_parameters_with_fd p{};
  p.params.hRoot = a.hRoot;
  p.params.hObjectParent = a.hParent;
  p.params.hObjectNew = a.hObject;
  p.params.hClass = a.hClass;
  p.params.flags = a.flags;
  p.params.pMemory = a.pMemory;
  p.params.limit = a.limit;
  p.fd = a.fd;
  detail::Call c;
  c.id = NvIoctl::RM_ALLOC_MEMORY;
  c.request = NvIoctlRow<NvIoctl::RM_ALLOC_MEMORY>::request;
  c.arg = &p;
  c.size = sizeof p;
  c.status = &p.params.status;
  c.sub_kind = detail::SubKind::kClassName;
  c.sub_id = a.hClass;
  RAWGPU_TRY(detail::issue(sys, gpu_fd, c));
  return p.params.hObjectNew;
}

core::Result<uint64_t> rm_map_memory(core::Sys& sys, int ctl_fd, const MapMemoryArgs& m,
                                     int map_fd) {
  nv_ioctl_nvos33_parameters_with_fd p{};
  p.params.hClient = m.hClient;
  p.params.hDevice = m.hDevice;
  p.params.hMemory = m.hMemory;
  p.params.offset = m.offset;
  p.params.length = m.length;
  p.params.flags = m.flags;
  p.fd = map_fd;
  RAWGPU_TRY(call_into<NvIoctl::RM_MAP_MEMORY>(sys, ctl_fd, p));
  return p.params.pLinearAddress;
}

core::Status rm_unmap_memory(core::Sys& sys, int ctl_fd, uint32_t hClient, uint32_t hDevice,
                             uint32_t hMemory, uint64_t linear_address, uint32_t flags) {
  NVOS34_PARAMETERS p{};
  p.hClient = hClient;
  p.hDevice = hDevice;
  p.hMemory = hMemory;
  p.pLinearAddress = linear_address;
  p.flags = flags;
  return call_into<NvIoctl::RM_UNMAP_MEMORY>(sys, ctl_fd, p);
}

core::Result<CpuMapping> rm_map_to_cpu(core::Sys& sys, int ctl_fd, const CpuMapRequest& r) {
  // Built only on failure: the success path allocates nothing.
  auto what = [&r] { return "map memory " + hex(r.map.hMemory) + " to the CPU through " + r.node; };
  if (r.map.length == 0) return core::Error::invalid(what(), "length is 0");
  // 1. A fresh fd: it will hold this mapping's context and nothing else.
  const int fd = sys.open(r.node.c_str(), O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) return core::Error::sys(what() + ": open", -fd, std::string(open_hint(-fd)));
  auto fail = [&](core::Error e) {
    const int rc = sys.close(fd);
    if (rc < 0) core::log_debug(what() + ": close after failure: " + core::errno_name(-rc));
    return e.context(what());
  };
  // 2. Registration: ioctls on a GPU node act with the control fd's clients.
  if (r.register_node_fd) {
    core::Status s = register_fd(sys, fd, ctl_fd);
    if (!s.ok()) return fail(std::move(s).error());
  }
  // 3. The mmap context, created on `fd` by an escape on the control fd.
  core::Result<uint64_t> linear = rm_map_memory(sys, ctl_fd, r.map, fd);
  if (!linear.ok()) return fail(std::move(linear).error());
  // 4. mmap of that fd at offset 0 (nv-mmap.c rejects any other offset).
  const int flags = MAP_SHARED | (r.fixed ? MAP_FIXED : 0);
  const core::MapResult m = sys.mmap(r.addr, r.map.length, r.prot, flags, fd, 0);
  if (m.addr == nullptr) {
    core::Status undo =
        rm_unmap_memory(sys, ctl_fd, r.map.hClient, r.map.hDevice, r.map.hMemory, *linear);
    if (!undo.ok()) core::log_debug(what() + ": undo: " + undo.error().message());
    return fail(core::Error::sys("mmap", m.err, std::string(mmap_hint(m.err))));
  }
  // 5. The mapping keeps the context alive; the fd is no longer needed.
  const int rc = sys.close(fd);
  if (rc < 0) core::log_debug(what() + ": close: " + core::errno_name(-rc));
  return CpuMapping{m.addr, r.map.length, *linear};
}

core::Result<uint64_t> rm_map_memory_dma(core::Sys& sys, int ctl_fd, const NvAbi& abi,
                                         const MapMemoryDmaArgs& m) {
  if (abi.map_memory_dma_v580) {
    NVOS46_PARAMETERS_V580 p{};
    p.hClient = m.hClient;
    p.hDevice = m.hDevice;
    p.hDma = m.hDma;
    p.hMemory = m.hMemory;
    p.offset = m.offset;
    p.length = m.length;
    p.flags = m.flags;
    p.flags2 = m.flags2;
    p.kindOverride = m.kindOverride;
    p.dmaOffset = m.dmaOffset;
    RAWGPU_TRY(call_into<NvIoctl::RM_MAP_MEMORY_DMA_V580>(sys, ctl_fd, p));
    return p.dmaOffset;
  }
  if (m.flags2 != 0 || m.kindOverride != 0)
    return core::Error::unsupported(
        "NV_ESC_RM_MAP_MEMORY_DMA",
        "flags2 and kindOverride exist from driver 580 on; this driver is " + abi.version.text);
  NVOS46_PARAMETERS p{};
  p.hClient = m.hClient;
  p.hDevice = m.hDevice;
  p.hDma = m.hDma;
  p.hMemory = m.hMemory;
  p.offset = m.offset;
  p.length = m.length;
  p.flags = m.flags;
  p.dmaOffset = m.dmaOffset;
  RAWGPU_TRY(call_into<NvIoctl::RM_MAP_MEMORY_DMA>(sys, ctl_fd, p));
  return p.dmaOffset;
}

core::Status rm_unmap_memory_dma(core::Sys& sys, int ctl_fd, uint32_t hClient, uint32_t hDevice,
                                 uint32_t hDma, uint32_t hMemory, uint64_t dmaOffset, uint64_t size,
                                 uint32_t flags) {
  NVOS47_PARAMETERS p{};
  p.hClient = hClient;
  p.hDevice = hDevice;
  p.hDma = hDma;
  p.hMemory = hMemory;
  p.flags = flags;
  p.dmaOffset = dmaOffset;
  p.size = size;
  return call_into<NvIoctl::RM_UNMAP_MEMORY_DMA>(sys, ctl_fd, p);
}

core::Result<DriverVersion> get_build_version(core::Sys& sys, int ctl_fd, uint32_t hClient) {
  NV0000_CTRL_SYSTEM_GET_BUILD_VERSION_V2_PARAMS p{};
  RAWGPU_TRY(rm_control(sys, ctl_fd, hClient, hClient, NV0000_CTRL_CMD_SYSTEM_GET_BUILD_VERSION_V2,
                        rm_params(p)));
  const size_t len = strnlen(p.driverVersionBuffer, sizeof p.driverVersionBuffer);
  return parse_driver_version(std::string_view(p.driverVersionBuffer, len),
                              "NV0000_CTRL_CMD_SYSTEM_GET_BUILD_VERSION_V2");
}

// ---------------------------------------------------------------------------------------------
// UVM.

core::Status uvm_initialize(core::Sys& sys, int uvm_fd, uint64_t flags) {
  UVM_INITIALIZE_PARAMS p{};
  p.flags = flags;
  return call_into<NvIoctl::UVM_INITIALIZE>(sys, uvm_fd, p);
}

core::Status uvm_deinitialize(core::Sys& sys, int uvm_fd) {
  nv_no_args none;
  return call_into<NvIoctl::UVM_DEINITIALIZE>(sys, uvm_fd, none);
}

core::Status uvm_mm_initialize(core::Sys& sys, int uvm_fd2, int uvm_fd) {
  UVM_MM_INITIALIZE_PARAMS p{};
  p.uvmFd = uvm_fd;
  core::Status s = call_into<NvIoctl::UVM_MM_INITIALIZE>(sys, uvm_fd2, p);
  if (!s.ok() && s.error().kind() == core::ErrorKind::kDriver &&
      s.error().status() == NV_WARN_NOTHING_TO_DO)
    return {};
  return s;
}

core::Result<UVM_REGISTER_GPU_PARAMS> uvm_register_gpu(core::Sys& sys, int uvm_fd,
                                                       const NvProcessorUuid& uuid, int rm_ctrl_fd,
                                                       uint32_t hClient, uint32_t hSmcPartRef) {
  UVM_REGISTER_GPU_PARAMS p{};
  p.gpu_uuid = uuid;
  p.rmCtrlFd = rm_ctrl_fd;
  p.hClient = hClient;
  p.hSmcPartRef = hSmcPartRef;
  return call<NvIoctl::UVM_REGISTER_GPU>(sys, uvm_fd, p);
}

core::Status uvm_unregister_gpu(core::Sys& sys, int uvm_fd, const NvProcessorUuid& uuid) {
  UVM_UNREGISTER_GPU_PARAMS p{};
  p.gpu_uuid = uuid;
  return call_into<NvIoctl::UVM_UNREGISTER_GPU>(sys, uvm_fd, p);
}

core::Status uvm_register_gpu_vaspace(core::Sys& sys, int uvm_fd, const NvProcessorUuid& uuid,
                                      int rm_ctrl_fd, uint32_t hClient, uint32_t hVaSpace) {
  UVM_REGISTER_GPU_VASPACE_PARAMS p{};
  p.gpuUuid = uuid;
  p.rmCtrlFd = rm_ctrl_fd;
  p.hClient = hClient;
  p.hVaSpace = hVaSpace;
  return call_into<NvIoctl::UVM_REGISTER_GPU_VASPACE>(sys, uvm_fd, p);
}

core::Status uvm_unregister_gpu_vaspace(core::Sys& sys, int uvm_fd, const NvProcessorUuid& uuid) {
  UVM_UNREGISTER_GPU_VASPACE_PARAMS p{};
  p.gpuUuid = uuid;
  return call_into<NvIoctl::UVM_UNREGISTER_GPU_VASPACE>(sys, uvm_fd, p);
}

core::Status uvm_register_channel(core::Sys& sys, int uvm_fd, const NvProcessorUuid& uuid,
                                  int rm_ctrl_fd, uint32_t hClient, uint32_t hChannel,
                                  uint64_t base, uint64_t length) {
  UVM_REGISTER_CHANNEL_PARAMS p{};
  p.gpuUuid = uuid;
  p.rmCtrlFd = rm_ctrl_fd;
  p.hClient = hClient;
  p.hChannel = hChannel;
  p.base = base;
  p.length = length;
  return call_into<NvIoctl::UVM_REGISTER_CHANNEL>(sys, uvm_fd, p);
}

core::Status uvm_unregister_channel(core::Sys& sys, int uvm_fd, const NvAbi& abi,
                                    const NvProcessorUuid& uuid, uint32_t hClient,
                                    uint32_t hChannel) {
  if (abi.uvm_unregister_channel_v590) {
    UVM_UNREGISTER_CHANNEL_PARAMS_V590 p{};
    p.hClient = hClient;
    p.hChannel = hChannel;
    return call_into<NvIoctl::UVM_UNREGISTER_CHANNEL_V590>(sys, uvm_fd, p);
  }
  UVM_UNREGISTER_CHANNEL_PARAMS p{};
  p.gpuUuid = uuid;
  p.hClient = hClient;
  p.hChannel = hChannel;
  return call_into<NvIoctl::UVM_UNREGISTER_CHANNEL>(sys, uvm_fd, p);
}

core::Status uvm_enable_peer_access(core::Sys& sys, int uvm_fd, const NvProcessorUuid& a,
                                    const NvProcessorUuid& b) {
  UVM_ENABLE_PEER_ACCESS_PARAMS p{};
  p.gpuUuidA = a;
  p.gpuUuidB = b;
  return call_into<NvIoctl::UVM_ENABLE_PEER_ACCESS>(sys, uvm_fd, p);
}

core::Status uvm_disable_peer_access(core::Sys& sys, int uvm_fd, const NvProcessorUuid& a,
                                     const NvProcessorUuid& b) {
  UVM_DISABLE_PEER_ACCESS_PARAMS p{};
  p.gpuUuidA = a;
  p.gpuUuidB = b;
  return call_into<NvIoctl::UVM_DISABLE_PEER_ACCESS>(sys, uvm_fd, p);
}

core::Status uvm_create_external_range(core::Sys& sys, int uvm_fd, uint64_t base, uint64_t length) {
  UVM_CREATE_EXTERNAL_RANGE_PARAMS p{};
  p.base = base;
  p.length = length;
  return call_into<NvIoctl::UVM_CREATE_EXTERNAL_RANGE>(sys, uvm_fd, p);
}

core::Status uvm_map_external_allocation(core::Sys& sys, int uvm_fd, const MapExternalArgs& m) {
  if (m.gpus.empty() || m.gpus.size() > UVM_MAX_GPUS_V2)
    return core::Error::invalid("UVM_MAP_EXTERNAL_ALLOCATION",
                                "name 1.." + std::to_string(UVM_MAX_GPUS_V2) + " GPUs, not " +
                                    std::to_string(m.gpus.size()));
  UVM_MAP_EXTERNAL_ALLOCATION_PARAMS p{};  // 9264 bytes
  p.base = m.base;
  p.length = m.length;
  p.offset = m.offset;
  std::copy(m.gpus.begin(), m.gpus.end(), p.perGpuAttributes);
  p.gpuAttributesCount = m.gpus.size();
  p.rmCtrlFd = m.rm_ctrl_fd;
  p.hClient = m.hClient;
  p.hMemory = m.hMemory;
  return call_into<NvIoctl::UVM_MAP_EXTERNAL_ALLOCATION>(sys, uvm_fd, p);
}

core::Status uvm_unmap_external(core::Sys& sys, int uvm_fd, uint64_t base, uint64_t length,
                                const NvProcessorUuid& uuid) {
  UVM_UNMAP_EXTERNAL_PARAMS p{};
  p.base = base;
  p.length = length;
  p.gpuUuid = uuid;
  return call_into<NvIoctl::UVM_UNMAP_EXTERNAL>(sys, uvm_fd, p);
}

core::Status uvm_free(core::Sys& sys, int uvm_fd, const NvAbi& abi, uint64_t base,
                      uint64_t length) {
  if (abi.uvm_free_v590) {
    UVM_FREE_PARAMS_V590 p{};
    p.base = base;
    return call_into<NvIoctl::UVM_FREE_V590>(sys, uvm_fd, p);
  }
  UVM_FREE_PARAMS p{};
  p.base = base;
  p.length = length;
  return call_into<NvIoctl::UVM_FREE>(sys, uvm_fd, p);
}

}  // namespace rawgpu::nv
