// rawgpu — generic ioctl descriptions: one row per ioctl, read by the typed wrappers, the decoder
// (`rawgpu decode`), the simulator's argument checks and the replayer (STYLE rules 1, 2, 12, 13).
//
// A driver's table (kfd/describe.*, later nv_ioctl/describe.*, qcom_kgsl/describe.*) is an array
// of IoctlDesc rows. Each row names the ioctl as the driver does, carries the request encoding
// (Linux _IOC: direction, magic, nr, argument size; or a bare number for NVIDIA UVM) and a field
// list of the argument struct: {name, offset, size, kind, direction, symbolic names}. From that:
//   find_by_request()  raw request number -> row (size/direction mismatches reported separately)
//   format_args()      strace-style text: "AMDKFD_IOC_ACQUIRE_VM{drm_fd=5, gpu_id=12345}"
//   table_problems()   a self-check for tests: fields inside the struct, no overlap, unique names
//
// Formatting rules (STYLE rule 13): inputs on entry (Phase::kIn), outputs on return
// (Phase::kOut; an in/out field whose value changed prints "old => new" when the entry bytes are
// given), flags symbolic with leftover bits as "PREFIX_???|0x…", enums by name (unknown values as
// "0x7 /* PREFIX_??? */"), addresses and pointers in hex, pad fields only when non-zero.
// Values are read little-endian (every target rawgpu supports is little-endian).
//
// Lookups and row access never allocate; only the format_* functions build strings.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace rawgpu::core {

// ---------------------------------------------------------------------------------------------
// Linux request encoding, include/uapi/asm-generic/ioctl.h (x86-64 and arm64 use the generic
// layout): nr bits 7:0, type (magic) bits 15:8, size bits 29:16 (14 bits), direction bits 31:30.

// _IOC direction from the caller's side: kWrite = user -> kernel (_IOW), kRead = kernel -> user.
enum class IoctlDir : uint8_t { kNone = 0, kWrite = 1, kRead = 2, kReadWrite = 3 };

inline constexpr unsigned kIocNrShift = 0;
inline constexpr unsigned kIocTypeShift = 8;
inline constexpr unsigned kIocSizeShift = 16;
inline constexpr unsigned kIocDirShift = 30;
inline constexpr uint32_t kIocSizeMax = (1u << 14) - 1;

// _IOC(dir, magic, nr, size). Sizes past kIocSizeMax cannot be encoded: tables static_assert
// them and table_problems() reports them.
constexpr unsigned long ioc(IoctlDir dir, uint8_t magic, uint8_t nr, uint32_t size) {
  return (static_cast<unsigned long>(dir) << kIocDirShift) |
         (static_cast<unsigned long>(size) << kIocSizeShift) |
         (static_cast<unsigned long>(magic) << kIocTypeShift) |
         (static_cast<unsigned long>(nr) << kIocNrShift);
}
constexpr IoctlDir ioc_dir(unsigned long request) {
  return static_cast<IoctlDir>((request >> kIocDirShift) & 3u);
}
constexpr uint8_t ioc_magic(unsigned long request) {
  return static_cast<uint8_t>((request >> kIocTypeShift) & 0xFFu);
}
constexpr uint8_t ioc_nr(unsigned long request) {
  return static_cast<uint8_t>((request >> kIocNrShift) & 0xFFu);
}
constexpr uint32_t ioc_size(unsigned long request) {
  return static_cast<uint32_t>((request >> kIocSizeShift) & kIocSizeMax);
}

// How a row's request number is formed.
enum class IoctlEncoding : uint8_t {
  kIoc,  // Linux _IOC(dir, magic, nr, size): KFD, NVIDIA escapes, KGSL
  kRaw,  // the request is the bare number `nr`; the size lives only in the row (NVIDIA UVM)
};

// ---------------------------------------------------------------------------------------------
// Field descriptions.

enum class ArgKind : uint8_t {
  kUnsigned,  // decimal (size 1, 2, 4 or 8)
  kSigned,    // decimal, sign-extended from `size`
  kHex,       // 0x… (GPU addresses, handles, offsets, masks without names)
  kPtr,       // user-space pointer: 0x…, NULL when zero
  kFd,        // file descriptor (signed 32-bit)
  kEnum,      // one of `names`; otherwise "0x… /* PREFIX_??? */"
  kFlags,     // OR of `names`; leftover bits as "PREFIX_???|0x…"
  kBytes,     // raw bytes, "[00 01 …]" (UUIDs, unions described elsewhere)
  kString,    // NUL-terminated char array, quoted and escaped
  kPad,       // padding/reserved: printed only when non-zero
};

// Direction of one field, from the driver's side as the kernel headers comment it.
enum class ArgDir : uint8_t {
  kIn,     // "to KFD": read by the driver
  kOut,    // "from KFD": written by the driver
  kInOut,  // read and written back
};

// Which half of a call to print: arguments on entry, results on return, or everything.
enum class Phase : uint8_t { kIn, kOut, kAll };

// What a field's value means beyond its number, for the sniffer and the replayer: values that a
// second run gets differently and must be remapped (file descriptors are ArgKind::kFd already).
enum class ArgRole : uint8_t {
  kNone,
  kHandle,      // an id the driver hands out (an out field) and the caller passes back later (in
                // fields): KFD buffer handles, queue and event ids, KGSL ids, RM handles the
                // driver picks. `space` names the namespace ("kfd.mem", "kfd.queue", "kgsl.ctx").
  kGpuAddr,     // a GPU virtual address the driver chose (KGSL gpuaddr); `space` as above
  kCpuAddr,     // an address in the caller's process (userptr memory, ring and event pages)
  kMmapOffset,  // the offset a later mmap() of a device fd passes (KFD mmap_offset)
};

struct NamedValue {
  uint64_t value = 0;
  std::string_view name;
};

struct ArgField {
  std::string_view name;  // exactly the driver struct's member name
  uint32_t offset = 0;
  uint32_t size = 0;
  ArgKind kind = ArgKind::kUnsigned;
  ArgDir dir = ArgDir::kIn;
  std::span<const NamedValue> names = {};  // enum values, or flag bits/masks in print order
  std::string_view prefix = {};            // "KFD_IOC_ALLOC_MEM_FLAGS_" for "…_???"
  ArgRole role = ArgRole::kNone;           // what the value means to the replayer
  std::string_view space = {};             // kHandle/kGpuAddr: its namespace ("kfd.queue")
};

// One actionable sentence for an errno of a row (or of every row of a table).
struct ErrnoHint {
  int err = 0;
  std::string_view hint;
};

struct IoctlDesc;

// A user buffer that an ioctl argument points to (a nested buffer): KFD event and device-id
// arrays, KGSL command lists, NV RM parameters. The sniffer captures it (trace IoctlBuffer, with
// `tag`), the decoder prints it with `elem_fields`, the replayer copies it and re-points the
// pointer field at its copy, remapping the roles of `elem_fields` inside.
// Size in bytes: count * element size, where count is `count_field`'s value (1 when empty) and
// the element size is `elem_size` or, when 0, `elem_size_field`'s value; `size_of` overrides
// both when the size is not a field of the argument (RM alloc params sized by class).
struct BufferRef {
  uint32_t tag = 0;                    // IoctlBuffer.tag in a trace; unique within its row
  std::string_view name;               // "events", "params", "cmdlist"
  std::string_view ptr_field;          // the field holding the user pointer
  std::string_view count_field = {};   // the field holding the element count; "" = one element
  uint32_t elem_size = 0;              // bytes per element; 0: read elem_size_field
  std::string_view elem_size_field = {};
  ArgDir dir = ArgDir::kIn;            // kOut/kInOut: the contents on return matter too
  std::string_view elem_type = {};     // the element struct's name, for the decoder
  std::span<const ArgField> elem_fields = {};  // offsets within one element
  // Size from the whole argument (0 = no buffer); overrides count/elem size when set.
  // `version` is the driver version the caller knows (NV: the branch, whose row of a class gives
  // the params size RM copies; 0 = unknown, the newest row).
  uint64_t (*size_of)(std::span<const uint8_t> arg, uint32_t version) = nullptr;
};

// Largest nested buffer the sniffer and replayer follow; a bigger size is treated as garbage.
inline constexpr uint64_t kMaxNestedBuffer = 16u << 20;

struct BufferSpan {
  uint64_t address = 0;
  uint64_t bytes = 0;  // 0: nothing to capture (null pointer or zero count)
};

// Optional custom printer: writes the body between the braces instead of the field loop (it may
// call append_fields() for the plain part). `bytes` holds what was captured, possibly short.
using ArgPrinter = void (*)(std::string& out, const IoctlDesc& desc, std::span<const uint8_t> bytes,
                            Phase phase);

struct IoctlDesc {
  std::string_view name;       // "AMDKFD_IOC_CREATE_QUEUE"
  std::string_view args_type;  // "kfd_ioctl_create_queue_args_v117"
  uint8_t magic = 0;           // _IOC_TYPE ('K' for KFD); unused for kRaw
  uint32_t nr = 0;             // _IOC_NR; for kRaw the whole request number
  IoctlDir dir = IoctlDir::kNone;
  uint32_t size = 0;  // sizeof(args); for kRaw the size the driver copies
  std::span<const ArgField> fields = {};
  bool deprecated = false;  // kept for decoding old traces; never issued by rawgpu
  uint32_t since = 0;       // driver version that added this row, in the driver's own scheme
                            // (KFD: the GET_VERSION minor); 0 = always there
  uint32_t elem_size = 0;   // > 0: `size` bytes are followed by entries of elem_size bytes
  IoctlEncoding encoding = IoctlEncoding::kIoc;
  std::span<const ErrnoHint> hints = {};
  ArgPrinter printer = nullptr;
  std::string_view note = {};  // one line for docs and the decoder ("≤1.16 layout, 88 bytes")
  std::span<const BufferRef> buffers = {};  // user buffers the argument points to

  // The request number this row issues.
  constexpr unsigned long request() const {
    return encoding == IoctlEncoding::kRaw ? nr : ioc(dir, magic, static_cast<uint8_t>(nr), size);
  }
};

struct IoctlTable {
  std::string_view driver;                       // "kfd"
  std::span<const IoctlDesc> rows;               // rows with one nr: older layouts first
  std::span<const ErrnoHint> common_hints = {};  // consulted after a row's own hints
};

// ---------------------------------------------------------------------------------------------
// Lookup.

struct IoctlMatch {
  const IoctlDesc* desc = nullptr;  // null: no row has this nr (+ magic)
  uint32_t size = 0;                // size the request encodes (kRaw: the row's size)
  bool size_ok = false;             // size equals the row's (or fits its trailing array)
  bool dir_ok = false;              // direction bits equal the row's

  explicit operator bool() const { return desc != nullptr; }
  bool exact() const { return desc != nullptr && size_ok && dir_ok; }
};

// The row for a raw request: kIoc rows match on magic + nr; among rows sharing them, the one
// whose size (and direction) matches wins, else the last-listed (newest) row is returned with
// size_ok/dir_ok false so a decoder can say what was expected. kRaw rows match request == nr.
// Allocation-free.
IoctlMatch find_by_request(const IoctlTable& table, unsigned long request);

// The newest (last-listed) row called `name`, or nullptr.
const IoctlDesc* find_by_name(const IoctlTable& table, std::string_view name);

// "AMDKFD_IOC_CREATE_QUEUE", "AMDKFD_IOC_CREATE_QUEUE (size 80, expected 96)",
// "AMDKFD_IOC_GET_VERSION (direction _IOWR, expected _IOR)", "kfd ioctl 0xc0084b7f (unknown)".
std::string describe_request(const IoctlTable& table, unsigned long request);

// The hint for `err` on `desc`: the row's own first, then the table's; "" when none.
std::string_view errno_hint(const IoctlTable& table, const IoctlDesc& desc, int err);

// ---------------------------------------------------------------------------------------------
// Formatting.

// "NAME{field=value, …}" for the fields of `phase`. `n` is how many argument bytes were captured;
// fields past it print as "field=?" and trailing array bytes as "...+N bytes".
std::string format_args(const IoctlDesc& desc, const void* bytes, size_t n, Phase phase);
// Outputs on return with in/out fields that changed shown as "n_success=0 => 1".
std::string format_args(const IoctlDesc& desc, const void* before, const void* after, size_t n);

// The comma-separated field list only (for custom printers). `before` may be null.
void append_fields(std::string& out, const IoctlDesc& desc, std::span<const uint8_t> bytes,
                   Phase phase, const uint8_t* before = nullptr);
// One value as format_args prints it ("KFD_IOC_QUEUE_TYPE_SDMA", "0x1000", "-1").
void append_field_value(std::string& out, const ArgField& field, const uint8_t* field_bytes);
// Flags/enum helpers used by the above; exposed for packet decoders.
void append_flags(std::string& out, uint64_t value, std::span<const NamedValue> names,
                  std::string_view prefix);
void append_enum(std::string& out, uint64_t value, std::span<const NamedValue> names,
                 std::string_view prefix);

// ---------------------------------------------------------------------------------------------
// Nested buffers.

// The field of `desc` called `name`, or nullptr. Allocation-free.
const ArgField* find_field(const IoctlDesc& desc, std::string_view name);
// Reads a field's value (zero-extended, little-endian); nullopt when `arg` is too short.
std::optional<uint64_t> read_field(const ArgField& field, std::span<const uint8_t> arg);
// Writes a field's value (truncated to its size); false when `arg` is too short.
bool write_field(const ArgField& field, std::span<uint8_t> arg, uint64_t value);
// Where `ref` points and how many bytes it covers, from the captured argument bytes. nullopt
// when a named field is missing or past `arg`, or the size exceeds kMaxNestedBuffer.
// Allocation-free (the sniffer calls it on every ioctl).
// `version` is handed to BufferRef::size_of (the NVIDIA branch; 0 = unknown).
std::optional<BufferSpan> buffer_span(const IoctlDesc& desc, const BufferRef& ref,
                                      std::span<const uint8_t> arg, uint32_t version = 0);

// ---------------------------------------------------------------------------------------------
// Self-check for tests and table authors: every field lies inside its struct, fields do not
// overlap, field names are unique per row, no two rows issue the same request, kIoc sizes fit
// 14 bits. Returns "" when the table is sound, else one line per problem.
std::string table_problems(const IoctlTable& table);

}  // namespace rawgpu::core
