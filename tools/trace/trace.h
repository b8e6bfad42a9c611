// rawgpu — the trace format (docs/trace-format.md): TraceWriter appends records, TraceReader reads
// them back from untrusted bytes.
//
// Writer contract (it will run inside an LD_PRELOAD library):
//   - no exceptions, no logging, no static objects that allocate; raw write(2) on its own fd
//     (the sniffer must not record the writer's own writes);
//   - thread-safe: one mutex; each record is serialized whole and, in plain mode, handed to the
//     kernel in one write loop before the next record starts, so a process killed mid-trace
//     leaves every earlier record readable and at most one torn record at the tail;
//   - zstd mode buffers records into chunks (one zstd frame each, <= chunk_bytes of records,
//     one oversized record alone in its chunk); records still in the open chunk are lost if the
//     process dies before flush(). The sniffer flushes at exit and on fatal signals;
//   - write errors are returned as core::Error (kSys, errno) and are sticky: after one, every
//     append returns the same error and nothing more is written.
//
// Reader contract:
//   - open() validates the file header; next() yields one record at a time. Every length is
//     checked against the bytes present before anything is read; never a crash, never an
//     out-of-bounds read, allocations bounded by kMaxPayload / kMaxChunkUncompressed.
//   - A stream that stops inside a record (or zstd chunk) is a torn tail, not an error: next()
//     returns std::nullopt, every complete record before it has been delivered, and truncated()
//     is true. A stream that stops between records without an END record has truncated() false
//     and ended() false.
//   - Corruption is an Error::invalid whose op names the place ("trace: record at 0x58",
//     "trace: zstd chunk at 0x40") and whose hint says what is wrong; a newer major version is
//     Error::unsupported. After an error next() keeps returning that error.
//   - Unknown record types are delivered (decode() gives UnknownRecord) so callers can skip or
//     hex-dump them; known types with extra trailing payload bytes (fields appended by a newer
//     minor version) decode, the extra bytes ignored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.h"

struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s;

namespace rawgpu::trace {

using core::Error;
using core::Result;
using core::Status;

inline constexpr char kMagic[8] = {'R', 'G', 'T', 'R', 'A', 'C', 'E', '\0'};
inline constexpr uint16_t kVersionMajor = 1;
inline constexpr uint16_t kVersionMinor = 1;
inline constexpr uint32_t kFileHeaderSize = 64;       // size written by this version
inline constexpr uint32_t kMaxFileHeaderSize = 4096;  // readers refuse larger header_size
inline constexpr uint32_t kRecordHeaderSize = 24;
inline constexpr uint32_t kChunkHeaderSize = 8;
inline constexpr uint32_t kMaxPayload = 64u << 20;  // one record's payload, both sides
inline constexpr uint32_t kMaxChunkUncompressed = kMaxPayload + kRecordHeaderSize;
inline constexpr uint32_t kDefaultChunkBytes = 1u << 20;

// File header flags.
inline constexpr uint32_t kFlagZstd = 1u << 0;    // body is a sequence of zstd chunks
inline constexpr uint32_t kFlagMapped = 1u << 1;  // plain body written through a shared mapping
                                                  // of a preallocated file (format 1.1): a record
                                                  // header with type 0 ends what was written
inline constexpr uint32_t kKnownFlags = kFlagZstd | kFlagMapped;

// Record type IDs. Never change or reuse one; add new ones at the end.
enum class RecordType : uint32_t {
  kOpen = 1,
  kClose = 2,
  kDup = 3,
  kIoctl = 4,
  kMmap = 5,
  kMunmap = 6,
  kDoorbell = 7,
  kSubmission = 8,
  kMemorySnapshot = 9,
  kEnd = 10,
};
// "OPEN", "IOCTL", …; nullptr for a type this reader does not know.
const char* record_type_name(uint32_t type);

// The driver behind an fd, guessed from the opened path.
enum class DriverKind : uint32_t {
  kOther = 0,
  kKfd = 1,        // /dev/kfd
  kDriRender = 2,  // /dev/dri/renderD<n>
  kNvidiaCtl = 3,  // /dev/nvidiactl
  kNvidiaGpu = 4,  // /dev/nvidia<n>
  kNvidiaUvm = 5,  // /dev/nvidia-uvm
  kKgsl = 6,       // /dev/kgsl-3d0 (any /dev/kgsl-*)
};
// "kfd", "dri-render", "nvidiactl", "nvidia-gpu", "nvidia-uvm", "kgsl", "other"; nullptr when
// the value is none of these (possible in an untrusted trace).
const char* driver_kind_name(uint32_t kind);
DriverKind guess_driver(std::string_view path);

// Address space of a MEMORY_SNAPSHOT.
enum class AddressSpace : uint32_t { kCpu = 0, kGpu = 1 };

// ---- Record bodies. The same structs serve writer (spans point at the caller's bytes) and
// reader (spans point into the reader's buffer, valid until the next next()). Each lists its
// fields, in file order, through fields(f): f(name, value) with value an integer, a
// std::string_view or a std::span<const uint8_t>; variable-length parts come last.

// OPEN (open/openat/open64): result is the new fd or -errno.
struct OpenRecord {
  int32_t result = -1;
  uint32_t flags = 0;
  uint32_t mode = 0;
  uint32_t driver = 0;  // DriverKind value
  std::string_view path;
  template <typename F>
  void fields(F&& f) const {
    f("result", result);
    f("flags", flags);
    f("mode", mode);
    f("driver", driver);
    f("path", path);
  }
};

// CLOSE: result 0 or -errno.
struct CloseRecord {
  int32_t fd = -1;
  int32_t result = 0;
  template <typename F>
  void fields(F&& f) const {
    f("fd", fd);
    f("result", result);
  }
};

// DUP (dup/dup2/dup3/fcntl F_DUPFD*): new_fd is the result or -errno; requested_fd is the target
// of dup2/dup3 (the minimum for F_DUPFD), -1 for dup.
struct DupRecord {
  int32_t old_fd = -1;
  int32_t new_fd = -1;
  int32_t requested_fd = -1;
  uint32_t flags = 0;
  template <typename F>
  void fields(F&& f) const {
    f("old_fd", old_fd);
    f("new_fd", new_fd);
    f("requested_fd", requested_fd);
    f("flags", flags);
  }
};

// A user buffer an ioctl argument points to (RM params, UVM arrays, KFD arrays, KGSL lists).
// tag names which pointer it is; its meaning belongs to the ioctl's description row.
struct IoctlBuffer {
  uint32_t tag = 0;
  uint64_t address = 0;
  std::span<const uint8_t> before;  // contents when the call was made
  std::span<const uint8_t> after;   // contents on return (empty when not captured)
  template <typename F>
  void fields(F&& f) const {
    f("tag", tag);
    f("address", address);
    f("before", before);
    f("after", after);
  }
};

// IOCTL: result is the raw return value; err the errno when result < 0 (else 0).
struct IoctlRecord {
  int32_t fd = -1;
  int32_t err = 0;
  uint64_t request = 0;
  int64_t result = 0;
  std::span<const uint8_t> arg_before;
  std::span<const uint8_t> arg_after;
  std::vector<IoctlBuffer> buffers;
  template <typename F>
  void fields(F&& f) const {
    f("fd", fd);
    f("errno", err);
    f("request", request);
    f("result", result);
    f("arg_before", arg_before);
    f("arg_after", arg_after);
  }
};

// MMAP: result is the mapped address, or ~0 (MAP_FAILED) with err set.
struct MmapRecord {
  uint64_t addr = 0;
  uint64_t len = 0;
  int32_t prot = 0;
  int32_t flags = 0;
  int32_t fd = -1;
  int32_t err = 0;
  int64_t offset = 0;
  uint64_t result = 0;
  template <typename F>
  void fields(F&& f) const {
    f("addr", addr);
    f("len", len);
    f("prot", prot);
    f("flags", flags);
    f("fd", fd);
    f("errno", err);
    f("offset", offset);
    f("result", result);
  }
};

// MUNMAP: result 0 or -errno.
struct MunmapRecord {
  uint64_t addr = 0;
  uint64_t len = 0;
  int32_t result = 0;
  template <typename F>
  void fields(F&& f) const {
    f("addr", addr);
    f("len", len);
    f("result", result);
  }
};

// DOORBELL: a store to a doorbell (width 4 or 8 bytes; readers accept any value).
struct DoorbellRecord {
  uint64_t address = 0;
  uint64_t value = 0;
  uint32_t width = 0;
  template <typename F>
  void fields(F&& f) const {
    f("address", address);
    f("value", value);
    f("width", width);
  }
};

// SUBMISSION: command-stream bytes handed to a queue (ring entries, IB, pushbuffer, cmdlist).
struct SubmissionRecord {
  uint32_t driver = 0;   // DriverKind value
  uint64_t queue = 0;    // KFD queue id, NV channel handle, KGSL context id
  uint64_t address = 0;  // GPU address of the stream, 0 when not known
  std::span<const uint8_t> data;
  template <typename F>
  void fields(F&& f) const {
    f("driver", driver);
    f("queue", queue);
    f("address", address);
    f("data", data);
  }
};

// Why a MEMORY_SNAPSHOT was taken (format 1.1).
enum class SnapshotReason : uint32_t {
  kRestore = 0,  // before a submission: the replayer writes it back before re-submitting
  kCheck = 1,    // contents when a mapping went away or the process ended: the replayer compares
};
const char* snapshot_reason_name(uint32_t reason);  // "restore", "check"; nullptr if unknown

// MEMORY_SNAPSHOT: contents of memory at address (typically whole pages).
struct MemorySnapshotRecord {
  uint32_t space = 0;  // AddressSpace value
  uint64_t address = 0;
  std::span<const uint8_t> data;
  uint32_t reason = 0;  // SnapshotReason value (1.1; after data in the file)
  template <typename F>
  void fields(F&& f) const {
    f("space", space);
    f("address", address);
    f("reason", reason);
    f("data", data);
  }
};

// END: the writer finished cleanly; record_count counts the records before it.
struct EndRecord {
  uint64_t record_count = 0;
  template <typename F>
  void fields(F&& f) const {
    f("record_count", record_count);
  }
};

// A record type this reader does not know: the raw payload.
struct UnknownRecord {
  uint32_t type = 0;
  std::span<const uint8_t> payload;
  template <typename F>
  void fields(F&& f) const {
    f("type", type);
    f("payload", payload);
  }
};

using Record =
    std::variant<OpenRecord, CloseRecord, DupRecord, IoctlRecord, MmapRecord, MunmapRecord,
                 DoorbellRecord, SubmissionRecord, MemorySnapshotRecord, EndRecord, UnknownRecord>;

// ---- Writer

struct WriterOptions {
  bool zstd = false;
  // Plain traces only: append by copying into a shared mapping of the file (grown with
  // posix_fallocate, cut to size by finish()) instead of one write(2) per record. No system call
  // per record, and a process killed (even by SIGKILL) still leaves every complete record: the
  // pages belong to the file. Each record's type word is stored last, so a record cut short
  // reads as type 0, which ends the trace. Falls back to write(2) if the file cannot be mapped
  // (a pipe; an fd opened without O_RDWR).
  bool mapped = false;
  int zstd_level = 3;
  uint32_t chunk_bytes = kDefaultChunkBytes;  // zstd: records per chunk, 4 KiB .. kMaxPayload
  std::string_view writer_name = "rawgpu";    // up to 15 bytes are kept
};

// Timestamp (CLOCK_MONOTONIC ns) and thread id stamped on a record.
struct RecordMeta {
  uint64_t timestamp_ns = 0;
  uint32_t tid = 0;
  static RecordMeta now();  // clock_gettime(CLOCK_MONOTONIC) + gettid()
};

class TraceWriter {
 public:
  // Creates (truncates) path, mode 0644, O_CLOEXEC, and writes the file header.
  static Result<std::unique_ptr<TraceWriter>> create(const std::string& path,
                                                     const WriterOptions& opts = {});
  // Writes to an already open fd (positioned where the trace starts); closes it on finish()
  // when owns_fd.
  static Result<std::unique_ptr<TraceWriter>> adopt_fd(int fd, bool owns_fd,
                                                       const WriterOptions& opts = {});
  ~TraceWriter();  // finish(), errors ignored
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  // Appends one record stamped with RecordMeta::now() or the given meta. Payloads over
  // kMaxPayload are refused (Error::invalid) without writing anything.
  Status append(const OpenRecord& r) { return append(r, RecordMeta::now()); }
  Status append(const CloseRecord& r) { return append(r, RecordMeta::now()); }
  Status append(const DupRecord& r) { return append(r, RecordMeta::now()); }
  Status append(const IoctlRecord& r) { return append(r, RecordMeta::now()); }
  Status append(const MmapRecord& r) { return append(r, RecordMeta::now()); }
  Status append(const MunmapRecord& r) { return append(r, RecordMeta::now()); }
  Status append(const DoorbellRecord& r) { return append(r, RecordMeta::now()); }
  Status append(const SubmissionRecord& r) { return append(r, RecordMeta::now()); }
  Status append(const MemorySnapshotRecord& r) { return append(r, RecordMeta::now()); }
  Status append(const OpenRecord& r, RecordMeta m);
  Status append(const CloseRecord& r, RecordMeta m);
  Status append(const DupRecord& r, RecordMeta m);
  Status append(const IoctlRecord& r, RecordMeta m);
  Status append(const MmapRecord& r, RecordMeta m);
  Status append(const MunmapRecord& r, RecordMeta m);
  Status append(const DoorbellRecord& r, RecordMeta m);
  Status append(const SubmissionRecord& r, RecordMeta m);
  Status append(const MemorySnapshotRecord& r, RecordMeta m);
  // Any type, payload as given (tests; record types added later). Type 0 is refused.
  Status append_raw(uint32_t type, std::span<const uint8_t> payload, RecordMeta m);

  // zstd: compresses and writes the open chunk. Plain: nothing buffered, returns the sticky
  // error if any.
  Status flush();
  // Writes END, flushes, closes an owned fd. Further appends fail; a second finish() is a no-op.
  Status finish();

  uint64_t records_written() const;

 private:
  TraceWriter(int fd, bool owns_fd, const WriterOptions& opts);
  Status write_header();
  Status begin_record(uint32_t type, size_t payload_len, RecordMeta m);  // under mu_
  Status end_record();                                                   // under mu_
  Status flush_locked();
  Status write_all(const uint8_t* p, size_t n);
  Status map_grow(uint64_t need);  // mapped: room for `need` more bytes
  Status put_mapped();             // mapped: copies rec_ in, type word last

  mutable std::mutex mu_;
  int fd_;
  bool owns_fd_;
  bool finished_ = false;
  WriterOptions opts_;
  std::optional<Error> failed_;
  uint64_t records_ = 0;
  std::vector<uint8_t> rec_;   // plain: the record being built; zstd: the open chunk
  std::vector<uint8_t> zbuf_;  // zstd: compressed chunk
  ZSTD_CCtx_s* cctx_ = nullptr;
  uint8_t* map_ = nullptr;  // mapped mode: the file mapping
  uint64_t map_cap_ = 0;    // bytes mapped (= file size while writing)
  uint64_t map_pos_ = 0;    // file offset of the next record
};

// ---- Reader

struct FileHeader {
  uint16_t major = 0;
  uint16_t minor = 0;
  uint32_t header_size = 0;
  uint32_t flags = 0;
  uint32_t page_size = 0;
  uint64_t start_realtime_ns = 0;   // CLOCK_REALTIME when the trace started
  uint64_t start_monotonic_ns = 0;  // CLOCK_MONOTONIC at the same moment (record time base)
  uint32_t pid = 0;
  std::string writer;  // NUL-trimmed
  bool zstd() const { return (flags & kFlagZstd) != 0; }
  bool mapped() const { return (flags & kFlagMapped) != 0; }
};

struct RecordView {
  uint32_t type = 0;
  uint64_t timestamp_ns = 0;
  uint32_t tid = 0;
  std::span<const uint8_t> payload;
  uint64_t offset = 0;        // offset of the record header in the uncompressed stream (the
                              // file offset for plain traces; header bytes included)
  uint64_t chunk_offset = 0;  // zstd: file offset of the chunk holding it; plain: 0
};

// Decodes a record's payload into its typed body (spans point into view.payload).
Result<Record> decode(const RecordView& view);

class TraceReader {
 public:
  // Over bytes the caller keeps alive for the reader's lifetime.
  static Result<TraceReader> open(std::span<const uint8_t> bytes);
  // Reads the whole file into memory first.
  static Result<TraceReader> open_file(const std::string& path);

  TraceReader(TraceReader&&) noexcept;
  TraceReader& operator=(TraceReader&&) noexcept;
  ~TraceReader();

  const FileHeader& header() const { return header_; }
  // The next record, std::nullopt at the end (clean, after END, or a torn tail), or an error.
  // The view's payload is valid until the next call.
  Result<std::optional<RecordView>> next();
  bool truncated() const { return truncated_; }  // the stream stopped inside a record/chunk
  bool ended() const { return ended_; }          // an END record was read
  uint64_t records_read() const { return records_; }

 private:
  TraceReader() = default;
  Result<std::optional<RecordView>> next_plain();
  Result<std::optional<RecordView>> next_zstd();
  Status load_chunk();
  Result<std::optional<RecordView>> fail(Error e);

  std::vector<uint8_t> owned_;
  std::span<const uint8_t> data_;
  FileHeader header_;
  uint64_t pos_ = 0;         // file offset of the next record (plain) or chunk (zstd)
  uint64_t stream_pos_ = 0;  // uncompressed stream offset of the next record
  std::unique_ptr<uint8_t[]> chunk_;
  uint32_t chunk_cap_ = 0;
  uint32_t chunk_len_ = 0;
  uint32_t chunk_pos_ = 0;
  uint64_t chunk_file_offset_ = 0;
  ZSTD_DCtx_s* dctx_ = nullptr;
  bool truncated_ = false;
  bool ended_ = false;
  bool done_ = false;
  std::optional<Error> failed_;
  uint64_t records_ = 0;
};

}  // namespace rawgpu::trace
