#include "tools/trace/trace.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace rawgpu::trace {

static_assert(std::endian::native == std::endian::little,
              "the trace format is little-endian; a big-endian host needs byte swaps here");

namespace {

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%" PRIx64, v);
  return b;
}

uint64_t clock_ns(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

template <typename T>
void put(std::vector<uint8_t>& out, T v) {
  const size_t at = out.size();
  out.resize(at + sizeof(T));
  std::memcpy(out.data() + at, &v, sizeof(T));
}
void put_bytes(std::vector<uint8_t>& out, std::span<const uint8_t> b) {
  out.insert(out.end(), b.begin(), b.end());
}
template <typename T>
T get(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// Bounds-checked cursor over one record's payload.
class Cursor {
 public:
  Cursor(std::span<const uint8_t> b, const RecordView& v) : b_(b), view_(v) {}
  template <typename T>
  bool read(T& out, const char* what) {
    if (b_.size() - pos_ < sizeof(T)) return short_read(what, sizeof(T));
    out = get<T>(b_.data() + pos_);
    pos_ += sizeof(T);
    return true;
  }
  bool bytes(uint32_t n, std::span<const uint8_t>& out, const char* what) {
    if (b_.size() - pos_ < n) return short_read(what, n);
    out = b_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  Error error() const { return err_; }
  size_t left() const { return b_.size() - pos_; }

 private:
  bool short_read(const char* what, uint64_t n) {
    const char* name = record_type_name(view_.type);
    err_ = Error::invalid(
        std::string("trace: ") + (name ? name : "?") + " record at " + hex(view_.offset),
        std::string(what) + " (" + std::to_string(n) + " bytes at payload +" +
            std::to_string(pos_) + ") runs past the payload end (" + std::to_string(b_.size()) +
            " bytes)");
    return false;
  }
  std::span<const uint8_t> b_;
  const RecordView& view_;
  size_t pos_ = 0;
  Error err_;
};

size_t ioctl_payload_size(const IoctlRecord& r) {
  size_t n = 40 + r.arg_before.size() + r.arg_after.size();
  for (const IoctlBuffer& b : r.buffers) n += 24 + b.before.size() + b.after.size();
  return n;
}

}  // namespace

const char* snapshot_reason_name(uint32_t reason) {
  switch (reason) {
    case static_cast<uint32_t>(SnapshotReason::kRestore): return "restore";
    case static_cast<uint32_t>(SnapshotReason::kCheck): return "check";
  }
  return nullptr;
}

const char* record_type_name(uint32_t type) {
  switch (static_cast<RecordType>(type)) {
    case RecordType::kOpen: return "OPEN";
    case RecordType::kClose: return "CLOSE";
    case RecordType::kDup: return "DUP";
    case RecordType::kIoctl: return "IOCTL";
    case RecordType::kMmap: return "MMAP";
    case RecordType::kMunmap: return "MUNMAP";
    case RecordType::kDoorbell: return "DOORBELL";
    case RecordType::kSubmission: return "SUBMISSION";
    case RecordType::kMemorySnapshot: return "MEMORY_SNAPSHOT";
    case RecordType::kEnd: return "END";
  }
  return nullptr;
}

const char* driver_kind_name(uint32_t kind) {
  switch (static_cast<DriverKind>(kind)) {
    case DriverKind::kOther: return "other";
    case DriverKind::kKfd: return "kfd";
    case DriverKind::kDriRender: return "dri-render";
    case DriverKind::kNvidiaCtl: return "nvidiactl";
    case DriverKind::kNvidiaGpu: return "nvidia-gpu";
    case DriverKind::kNvidiaUvm: return "nvidia-uvm";
    case DriverKind::kKgsl: return "kgsl";
  }
  return nullptr;
}

DriverKind guess_driver(std::string_view path) {
  auto digits_after = [&](std::string_view prefix) {
    if (!path.starts_with(prefix) || path.size() == prefix.size()) return false;
    for (char c : path.substr(prefix.size()))
      if (c < '0' || c > '9') return false;
    return true;
  };
  if (path == "/dev/kfd") return DriverKind::kKfd;
  if (digits_after("/dev/dri/renderD")) return DriverKind::kDriRender;
  if (path == "/dev/nvidiactl") return DriverKind::kNvidiaCtl;
  if (path == "/dev/nvidia-uvm") return DriverKind::kNvidiaUvm;
  if (digits_after("/dev/nvidia")) return DriverKind::kNvidiaGpu;
  if (path.starts_with("/dev/kgsl-") && path.size() > 10) return DriverKind::kKgsl;
  return DriverKind::kOther;
}

RecordMeta RecordMeta::now() {
  return RecordMeta{clock_ns(CLOCK_MONOTONIC), static_cast<uint32_t>(::syscall(SYS_gettid))};
}

// ---- Writer

TraceWriter::TraceWriter(int fd, bool owns_fd, const WriterOptions& opts)
    : fd_(fd), owns_fd_(owns_fd), opts_(opts) {}

TraceWriter::~TraceWriter() {
  (void)finish();
  if (cctx_) ZSTD_freeCCtx(cctx_);
}

Result<std::unique_ptr<TraceWriter>> TraceWriter::create(const std::string& path,
                                                         const WriterOptions& opts) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);  // RDWR: mapped mode
  if (fd < 0) return Error::sys("trace: create " + path, errno, "check the output directory");
  return adopt_fd(fd, true, opts);
}

Result<std::unique_ptr<TraceWriter>> TraceWriter::adopt_fd(int fd, bool owns_fd,
                                                           const WriterOptions& opts) {
  std::unique_ptr<TraceWriter> w(new TraceWriter(fd, owns_fd, opts));
  if (opts.zstd) {
    if (opts.chunk_bytes < 4096 || opts.chunk_bytes > kMaxPayload) {
      w->owns_fd_ = false;  // the caller keeps its fd on a refused open
      w->finished_ = true;
      return Error::invalid(
          "trace: writer options",
          "chunk_bytes " + std::to_string(opts.chunk_bytes) + " outside [4096, 64 MiB]");
    }
    w->cctx_ = ZSTD_createCCtx();
    // Content size (readers check it against the chunk header) and a checksum per frame (a
    // flipped bit in the literals would otherwise decode silently).
    if (!w->cctx_ ||
        ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx_, ZSTD_c_compressionLevel, opts.zstd_level)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx_, ZSTD_c_checksumFlag, 1)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx_, ZSTD_c_contentSizeFlag, 1))) {
      w->owns_fd_ = false;
      w->finished_ = true;
      return Error::internal("trace: zstd compressor setup", "out of memory or bad zstd_level");
    }
  }
  if (opts.zstd) w->opts_.mapped = false;
  if (w->opts_.mapped) {
    // The header goes in with write(2); records after it through the mapping.
    const off_t at = ::lseek(fd, 0, SEEK_CUR);
    if (at != 0) w->opts_.mapped = false;  // a mapped trace must start the file
  }
  if (Status s = w->write_header(); !s.ok()) {
    w->finished_ = true;
    if (w->owns_fd_) ::close(fd);
    w->owns_fd_ = false;
    return std::move(s).error();
  }
  if (w->opts_.mapped) {
    w->map_pos_ = kFileHeaderSize;
    if (!w->map_grow(0).ok()) {
      // Not mappable (a pipe, a full disk): plain write(2) appends, and the header flag said
      // "mapped", which readers accept for any plain trace (no record has type 0).
      w->failed_.reset();
      w->opts_.mapped = false;
      (void)::ftruncate(fd, kFileHeaderSize);  // drop what posix_fallocate may have added
    }
  }
  return w;
}

Status TraceWriter::map_grow(uint64_t need) {
  constexpr uint64_t kStep = 16u << 20;
  if (map_ && map_pos_ + need <= map_cap_) return {};
  // Grow by an eighth (at least 16 MiB): doubling would reserve real blocks for twice the trace.
  uint64_t cap = std::max<uint64_t>(map_cap_ + std::max<uint64_t>(map_cap_ / 8, kStep), kStep);
  while (cap < map_pos_ + need) cap += kStep;
  cap = (cap + kStep - 1) / kStep * kStep;
  // Real blocks, not a sparse hole: a store into a hole on a full disk would be SIGBUS.
  if (const int e = ::posix_fallocate(fd_, 0, static_cast<off_t>(cap)); e != 0) {
    failed_ = Error::sys("trace: posix_fallocate", e, "the trace is cut here; readers stop at it");
    return *failed_;
  }
  void* p = ::mmap(nullptr, cap, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (p == MAP_FAILED) {
    failed_ = Error::sys("trace: mmap", errno, "the trace is cut here; readers stop at it");
    return *failed_;
  }
  if (map_) ::munmap(map_, map_cap_);
  map_ = static_cast<uint8_t*>(p);
  map_cap_ = cap;
  return {};
}

Status TraceWriter::put_mapped() {
  RAWGPU_TRY(map_grow(rec_.size()));
  uint8_t* dst = map_ + map_pos_;
  std::memcpy(dst + 4, rec_.data() + 4, rec_.size() - 4);
  // The type word last: until it lands the record reads as type 0 (the end of the trace).
  std::atomic_signal_fence(std::memory_order_release);
  std::memcpy(dst, rec_.data(), 4);
  map_pos_ += rec_.size();
  return {};
}

Status TraceWriter::write_header() {
  uint8_t h[kFileHeaderSize] = {};
  std::memcpy(h, kMagic, 8);
  const uint32_t flags = opts_.zstd ? kFlagZstd : (opts_.mapped ? kFlagMapped : 0);
  const uint32_t page = static_cast<uint32_t>(::sysconf(_SC_PAGESIZE));
  const uint64_t real = clock_ns(CLOCK_REALTIME), mono = clock_ns(CLOCK_MONOTONIC);
  const uint32_t pid = static_cast<uint32_t>(::getpid());
  std::memcpy(h + 8, &kVersionMajor, 2);
  std::memcpy(h + 10, &kVersionMinor, 2);
  std::memcpy(h + 12, &kFileHeaderSize, 4);
  std::memcpy(h + 16, &flags, 4);
  std::memcpy(h + 20, &page, 4);
  std::memcpy(h + 24, &real, 8);
  std::memcpy(h + 32, &mono, 8);
  std::memcpy(h + 40, &pid, 4);
  std::memcpy(h + 48, opts_.writer_name.data(), std::min<size_t>(15, opts_.writer_name.size()));
  return write_all(h, sizeof h);
}

Status TraceWriter::write_all(const uint8_t* p, size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd_, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      failed_ = Error::sys("trace: write", errno, "the trace is cut here; readers stop at it");
      return *failed_;
    }
    if (w == 0) {
      failed_ = Error::sys("trace: write", EIO, "write returned 0");
      return *failed_;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return {};
}

Status TraceWriter::begin_record(uint32_t type, size_t payload_len, RecordMeta m) {
  if (failed_) return *failed_;
  if (finished_) return Error::invalid("trace: append", "the writer is finished");
  if (type == 0) return Error::invalid("trace: append", "record type 0 is reserved");
  if (payload_len > kMaxPayload)
    return Error::invalid(
        "trace: append " + std::string(record_type_name(type) ? record_type_name(type) : "record"),
        "payload of " + std::to_string(payload_len) +
            " bytes is over the 64 MiB record limit; split it");
  if (!opts_.zstd) rec_.clear();
  put<uint32_t>(rec_, type);
  put<uint32_t>(rec_, static_cast<uint32_t>(payload_len));
  put<uint64_t>(rec_, m.timestamp_ns);
  put<uint32_t>(rec_, m.tid);
  put<uint32_t>(rec_, 0);
  return {};
}

Status TraceWriter::end_record() {
  ++records_;
  if (map_) return put_mapped();
  if (!opts_.zstd) return write_all(rec_.data(), rec_.size());
  if (rec_.size() >= opts_.chunk_bytes) return flush_locked();
  return {};
}

Status TraceWriter::flush_locked() {
  if (failed_) return *failed_;
  if (!opts_.zstd || rec_.empty()) return {};
  // A chunk can exceed chunk_bytes by one record; one record alone is at most
  // kMaxChunkUncompressed, and chunks never split a record.
  const size_t bound = ZSTD_compressBound(rec_.size());
  zbuf_.resize(kChunkHeaderSize + bound);
  const size_t n =
      ZSTD_compress2(cctx_, zbuf_.data() + kChunkHeaderSize, bound, rec_.data(), rec_.size());
  if (ZSTD_isError(n)) {
    failed_ = Error::internal("trace: ZSTD_compress2", ZSTD_getErrorName(n));
    return *failed_;
  }
  const uint32_t csize = static_cast<uint32_t>(n), usize = static_cast<uint32_t>(rec_.size());
  std::memcpy(zbuf_.data(), &csize, 4);
  std::memcpy(zbuf_.data() + 4, &usize, 4);
  rec_.clear();
  return write_all(zbuf_.data(), kChunkHeaderSize + n);
}

Status TraceWriter::append(const OpenRecord& r, RecordMeta m) {
  std::lock_guard lock(mu_);
  RAWGPU_TRY(begin_record(static_cast<uint32_t>(RecordType::kOpen), 20 + r.path.size(), m));
  put<int32_t>(rec_, r.result);
  put<uint32_t>(rec_, r.flags);
  put<uint32_t>(rec_, r.mode);
  put<uint32_t>(rec_, r.driver);
  put<uint32_t>(rec_, static_cast<uint32_t>(r.path.size()));
  rec_.insert(rec_.end(), r.path.begin(), r.path.end());
  return end_record();
}

Status TraceWriter::append(const CloseRecord& r, RecordMeta m) {
  std::lock_guard lock(mu_);
  RAWGPU_TRY(begin_record(static_cast<uint32_t>(RecordType::kClose), 8, m));
  put<int32_t>(rec_, r.fd);
  put<int32_t>(rec_, r.result);
  return end_record();
}

Status TraceWriter::append(const DupRecord& r, RecordMeta m) {
  std::lock_guard lock(mu_);
  RAWGPU_TRY(begin_record(static_cast<uint32_t>(RecordType::kDup), 16, m));
  put<int32_t>(rec_, r.old_fd);
  put<int32_t>(rec_, r.new_fd);
  put<int32_t>(rec_, r.requested_fd);
  put<uint32_t>(rec_, r.flags);
  return end_record();
}

Status TraceWriter::append(const IoctlRecord& r, RecordMeta m) {
  std::lock_guard lock(mu_);
  RAWGPU_TRY(begin_record(static_cast<uint32_t>(RecordType::kIoctl), ioctl_payload_size(r), m));
  put<int32_t>(rec_, r.fd);
  put<int32_t>(rec_, r.err);
  put<uint64_t>(rec_, r.request);
  put<int64_t>(rec_, r.result);
  put<uint32_t>(rec_, static_cast<uint32_t>(r.arg_before.size()));
  put<uint32_t>(rec_, static_cast<uint32_t>(r.arg_after.size()));
  put<uint32_t>(rec_, static_cast<uint32_t>(r.buffers.size()));
  put<uint32_t>(rec_, 0);
  put_bytes(rec_, r.arg_before);
  put_bytes(rec_, r.arg_after);
  for (const IoctlBuffer& b : r.buffers) {
    put<uint32_t>(rec_, b.tag);
    put<uint32_t>(rec_, 0);
    put<uint64_t>(rec_, b.address);
    put<uint32_t>(rec_, static_cast<uint32_t>(b.before.size()));
    put<uint32_t>(rec_, static_cast<uint32_t>(b.after.size()));
    put_bytes(rec_, b.before);
    put_bytes(rec_, b.after);
  }
  return end_record();
}

Status TraceWriter::append(const MmapRecord& r, RecordMeta m) {
  std::lock_guard lock(mu_);
  RAWGPU_TRY(begin_record(static_cast<uint32_t>(RecordType::kMmap), 48, m));
  put<uint64_t>(rec_, r.addr);
  put<uint64_t>(rec_, r.len);
  put<int32_t>(rec_, r.prot);
  put<int32_t>(rec_, r.flags);
  put<int32_t>(rec_, r.fd);
  put<int32_t>(rec_, r.err);
  put<int64_t>(rec_, r.offset);
  put<uint64_t>(rec_, r.result);
  return end_record();
}

Status TraceWriter::append(const MunmapRecord& r, RecordMeta m) {
  std::lock_guard lock(mu_);
  RAWGPU_TRY(begin_record(static_cast<uint32_t>(RecordType::kMunmap), 24, m));
  put<uint64_t>(rec_, r.addr);
  put<uint64_t>(rec_, r.len);
  put<int32_t>(rec_, r.result);
  put<uint32_t>(rec_, 0);
  return end_record();
}

Status TraceWriter::append(const DoorbellRecord& r, RecordMeta m) {
  std::lock_guard lock(mu_);
  RAWGPU_TRY(begin_record(static_cast<uint32_t>(RecordType::kDoorbell), 24, m));
  put<uint64_t>(rec_, r.address);
  put<uint64_t>(rec_, r.value);
  put<uint32_t>(rec_, r.width);
  put<uint32_t>(rec_, 0);
  return end_record();
}

Status TraceWriter::append(const SubmissionRecord& r, RecordMeta m) {
  std::lock_guard lock(mu_);
  RAWGPU_TRY(begin_record(static_cast<uint32_t>(RecordType::kSubmission), 24 + r.data.size(), m));
  put<uint32_t>(rec_, r.driver);
  put<uint32_t>(rec_, static_cast<uint32_t>(r.data.size()));
  put<uint64_t>(rec_, r.queue);
  put<uint64_t>(rec_, r.address);
  put_bytes(rec_, r.data);
  return end_record();
}

Status TraceWriter::append(const MemorySnapshotRecord& r, RecordMeta m) {
  std::lock_guard lock(mu_);
  RAWGPU_TRY(
      begin_record(static_cast<uint32_t>(RecordType::kMemorySnapshot), 20 + r.data.size(), m));
  put<uint32_t>(rec_, r.space);
  put<uint32_t>(rec_, static_cast<uint32_t>(r.data.size()));
  put<uint64_t>(rec_, r.address);
  put_bytes(rec_, r.data);
  put<uint32_t>(rec_, r.reason);
  return end_record();
}

Status TraceWriter::append_raw(uint32_t type, std::span<const uint8_t> payload, RecordMeta m) {
  std::lock_guard lock(mu_);
  RAWGPU_TRY(begin_record(type, payload.size(), m));
  put_bytes(rec_, payload);
  return end_record();
}

Status TraceWriter::flush() {
  std::lock_guard lock(mu_);
  return flush_locked();
}

Status TraceWriter::finish() {
  std::lock_guard lock(mu_);
  if (finished_) return failed_ ? Status(*failed_) : Status();
  Status s;
  if (!failed_ &&
      begin_record(static_cast<uint32_t>(RecordType::kEnd), 8, RecordMeta::now()).ok()) {
    put<uint64_t>(rec_, records_);
    s = end_record();
    if (s.ok()) s = flush_locked();
  } else if (failed_) {
    s = *failed_;
  }
  finished_ = true;
  if (map_) {
    ::munmap(map_, map_cap_);
    map_ = nullptr;
    // Cut the preallocated tail: a finished mapped trace is exactly its records.
    if (::ftruncate(fd_, static_cast<off_t>(map_pos_)) != 0 && s.ok())
      s = Error::sys("trace: ftruncate", errno);
  }
  if (owns_fd_ && ::close(fd_) != 0 && s.ok()) s = Error::sys("trace: close", errno);
  owns_fd_ = false;
  return s;
}

uint64_t TraceWriter::records_written() const {
  std::lock_guard lock(mu_);
  return records_;
}

// ---- Decoding one record

Result<Record> decode(const RecordView& v) {
  Cursor c(v.payload, v);
  switch (static_cast<RecordType>(v.type)) {
    case RecordType::kOpen: {
      OpenRecord r;
      uint32_t len = 0;
      std::span<const uint8_t> path;
      if (!c.read(r.result, "result") || !c.read(r.flags, "flags") || !c.read(r.mode, "mode") ||
          !c.read(r.driver, "driver") || !c.read(len, "path_len") || !c.bytes(len, path, "path"))
        return c.error();
      r.path = std::string_view(reinterpret_cast<const char*>(path.data()), path.size());
      return Record(r);
    }
    case RecordType::kClose: {
      CloseRecord r;
      if (!c.read(r.fd, "fd") || !c.read(r.result, "result")) return c.error();
      return Record(r);
    }
    case RecordType::kDup: {
      DupRecord r;
      if (!c.read(r.old_fd, "old_fd") || !c.read(r.new_fd, "new_fd") ||
          !c.read(r.requested_fd, "requested_fd") || !c.read(r.flags, "flags"))
        return c.error();
      return Record(r);
    }
    case RecordType::kIoctl: {
      IoctlRecord r;
      uint32_t nb = 0, na = 0, nbuf = 0, reserved = 0;
      if (!c.read(r.fd, "fd") || !c.read(r.err, "errno") || !c.read(r.request, "request") ||
          !c.read(r.result, "result") || !c.read(nb, "arg_before_len") ||
          !c.read(na, "arg_after_len") || !c.read(nbuf, "buffer_count") ||
          !c.read(reserved, "reserved") || !c.bytes(nb, r.arg_before, "arg_before") ||
          !c.bytes(na, r.arg_after, "arg_after"))
        return c.error();
      // Each buffer needs at least 24 bytes, so nbuf is bounded by the payload before reserving.
      if (nbuf > v.payload.size() / 24)
        return Error::invalid("trace: IOCTL record at " + hex(v.offset),
                              "buffer_count " + std::to_string(nbuf) + " cannot fit in " +
                                  std::to_string(v.payload.size()) + " payload bytes");
      r.buffers.reserve(nbuf);
      for (uint32_t i = 0; i < nbuf; ++i) {
        IoctlBuffer b;
        uint32_t res = 0, bl = 0, al = 0;
        if (!c.read(b.tag, "buffer tag") || !c.read(res, "buffer reserved") ||
            !c.read(b.address, "buffer address") || !c.read(bl, "buffer before_len") ||
            !c.read(al, "buffer after_len") || !c.bytes(bl, b.before, "buffer before") ||
            !c.bytes(al, b.after, "buffer after"))
          return c.error();
        r.buffers.push_back(b);
      }
      return Record(std::move(r));
    }
    case RecordType::kMmap: {
      MmapRecord r;
      if (!c.read(r.addr, "addr") || !c.read(r.len, "len") || !c.read(r.prot, "prot") ||
          !c.read(r.flags, "flags") || !c.read(r.fd, "fd") || !c.read(r.err, "errno") ||
          !c.read(r.offset, "offset") || !c.read(r.result, "result"))
        return c.error();
      return Record(r);
    }
    case RecordType::kMunmap: {
      MunmapRecord r;
      if (!c.read(r.addr, "addr") || !c.read(r.len, "len") || !c.read(r.result, "result"))
        return c.error();
      return Record(r);
    }
    case RecordType::kDoorbell: {
      DoorbellRecord r;
      if (!c.read(r.address, "address") || !c.read(r.value, "value") || !c.read(r.width, "width"))
        return c.error();
      return Record(r);
    }
    case RecordType::kSubmission: {
      SubmissionRecord r;
      uint32_t len = 0;
      if (!c.read(r.driver, "driver") || !c.read(len, "data_len") || !c.read(r.queue, "queue") ||
          !c.read(r.address, "address") || !c.bytes(len, r.data, "data"))
        return c.error();
      return Record(r);
    }
    case RecordType::kMemorySnapshot: {
      MemorySnapshotRecord r;
      uint32_t len = 0;
      if (!c.read(r.space, "space") || !c.read(len, "data_len") || !c.read(r.address, "address") ||
          !c.bytes(len, r.data, "data"))
        return c.error();
      // reason: added in 1.1 after the data; a 1.0 record has none (kRestore).
      if (c.left() >= 4 && !c.read(r.reason, "reason")) return c.error();
      return Record(r);
    }
    case RecordType::kEnd: {
      EndRecord r;
      if (!c.read(r.record_count, "record_count")) return c.error();
      return Record(r);
    }
  }
  return Record(UnknownRecord{v.type, v.payload});
}

// ---- Reader

TraceReader::TraceReader(TraceReader&& o) noexcept { *this = std::move(o); }

TraceReader& TraceReader::operator=(TraceReader&& o) noexcept {
  if (this == &o) return *this;
  if (dctx_) ZSTD_freeDCtx(dctx_);
  // owned_'s heap buffer moves with it, so data_ stays valid.
  owned_ = std::move(o.owned_);
  data_ = o.data_;
  header_ = std::move(o.header_);
  pos_ = o.pos_;
  stream_pos_ = o.stream_pos_;
  chunk_ = std::move(o.chunk_);
  chunk_cap_ = o.chunk_cap_;
  chunk_len_ = o.chunk_len_;
  chunk_pos_ = o.chunk_pos_;
  chunk_file_offset_ = o.chunk_file_offset_;
  dctx_ = o.dctx_;
  o.dctx_ = nullptr;
  truncated_ = o.truncated_;
  ended_ = o.ended_;
  done_ = o.done_;
  failed_ = std::move(o.failed_);
  records_ = o.records_;
  return *this;
}

TraceReader::~TraceReader() {
  if (dctx_) ZSTD_freeDCtx(dctx_);
}

Result<TraceReader> TraceReader::open_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error::sys("trace: open " + path, errno);
  std::vector<uint8_t> bytes;
  uint8_t buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      ::close(fd);
      return Error::sys("trace: read " + path, e);
    }
    if (n == 0) break;
    bytes.insert(bytes.end(), buf, buf + n);
  }
  ::close(fd);
  std::span<const uint8_t> view(bytes.data(), bytes.size());
  RAWGPU_ASSIGN(TraceReader r, open(view));
  r.owned_ = std::move(bytes);  // the heap buffer does not move: r.data_ stays valid
  return r;
}

Result<TraceReader> TraceReader::open(std::span<const uint8_t> bytes) {
  const std::string op = "trace: header";
  if (bytes.size() < 8 || std::memcmp(bytes.data(), kMagic, 8) != 0) {
    if (bytes.size() < 8 && (bytes.empty() || std::memcmp(bytes.data(), kMagic, bytes.size()) == 0))
      return Error::invalid(
          op, "file is " + std::to_string(bytes.size()) + " bytes, cut inside the magic");
    return Error::invalid(op,
                          "bad magic at offset 0x0: not a rawgpu trace (expected \"RGTRACE\\0\")");
  }
  if (bytes.size() < kFileHeaderSize)
    return Error::invalid(op, "file is " + std::to_string(bytes.size()) +
                                  " bytes, the header needs " + std::to_string(kFileHeaderSize) +
                                  " (truncated)");
  const uint8_t* p = bytes.data();
  FileHeader h;
  h.major = get<uint16_t>(p + 8);
  h.minor = get<uint16_t>(p + 10);
  h.header_size = get<uint32_t>(p + 12);
  h.flags = get<uint32_t>(p + 16);
  h.page_size = get<uint32_t>(p + 20);
  h.start_realtime_ns = get<uint64_t>(p + 24);
  h.start_monotonic_ns = get<uint64_t>(p + 32);
  h.pid = get<uint32_t>(p + 40);
  const char* w = reinterpret_cast<const char*>(p + 48);
  h.writer.assign(w, strnlen(w, 16));
  const std::string ver = std::to_string(h.major) + "." + std::to_string(h.minor);
  if (h.major == 0)
    return Error::invalid(op, "format version " + ver + " at offset 0x8 is invalid");
  if (h.major > kVersionMajor)
    return Error::unsupported(op, "format version " + ver + " is newer than this reader (" +
                                      std::to_string(kVersionMajor) +
                                      ".x); use a newer rawgpu to read it");
  if (h.header_size < kFileHeaderSize || h.header_size > kMaxFileHeaderSize)
    return Error::invalid(
        op, "header_size " + std::to_string(h.header_size) + " at offset 0xc outside [64, 4096]");
  if (h.header_size > bytes.size())
    return Error::invalid(op, "header_size " + std::to_string(h.header_size) +
                                  " past end of file (" + std::to_string(bytes.size()) +
                                  " bytes; truncated)");
  if ((h.flags & ~kKnownFlags) != 0)
    return Error::unsupported(op, "unknown flags " + hex(h.flags & ~kKnownFlags) +
                                      " at offset 0x10; use a newer rawgpu to read it");
  TraceReader r;
  r.data_ = bytes;
  r.header_ = std::move(h);
  r.pos_ = r.header_.header_size;
  r.stream_pos_ = r.header_.header_size;
  if (r.header_.zstd()) {
    r.dctx_ = ZSTD_createDCtx();
    if (!r.dctx_) return Error::internal("trace: ZSTD_createDCtx", "out of memory");
  }
  return r;
}

Result<std::optional<RecordView>> TraceReader::fail(Error e) {
  failed_ = e;
  done_ = true;
  return e;
}

Result<std::optional<RecordView>> TraceReader::next() {
  if (failed_) return *failed_;
  if (done_) return std::optional<RecordView>();
  return header_.zstd() ? next_zstd() : next_plain();
}

Result<std::optional<RecordView>> TraceReader::next_plain() {
  const uint64_t left = data_.size() - pos_;
  if (ended_) {
    done_ = true;
    if (left == 0) return std::optional<RecordView>();
    return fail(Error::invalid("trace: offset " + hex(pos_),
                               std::to_string(left) + " bytes after the END record"));
  }
  if (left == 0) {
    done_ = true;
    return std::optional<RecordView>();
  }
  if (left < kRecordHeaderSize) {
    truncated_ = done_ = true;
    return std::optional<RecordView>();
  }
  const uint8_t* p = data_.data() + pos_;
  RecordView v;
  v.type = get<uint32_t>(p);
  const uint32_t len = get<uint32_t>(p + 4);
  v.timestamp_ns = get<uint64_t>(p + 8);
  v.tid = get<uint32_t>(p + 16);
  v.offset = pos_;
  const std::string op = "trace: record at " + hex(pos_);
  if (v.type == 0) {
    if (header_.mapped()) {
      // The end of what a mapped writer committed: the rest is preallocated zeros or a record
      // whose type word never landed (the process died while writing it).
      bool zeros = true;
      for (uint64_t i = pos_; i < data_.size() && zeros; ++i) zeros = data_[i] == 0;
      truncated_ = !zeros;
      done_ = true;
      return std::optional<RecordView>();
    }
    return fail(Error::invalid(op, "record type 0 is reserved (corrupt trace)"));
  }
  if (len > kMaxPayload)
    return fail(Error::invalid(
        op, "payload length " + std::to_string(len) + " is over the 64 MiB limit (corrupt trace)"));
  if (left - kRecordHeaderSize < len) {
    truncated_ = done_ = true;  // torn last record
    return std::optional<RecordView>();
  }
  v.payload = data_.subspan(pos_ + kRecordHeaderSize, len);
  pos_ += kRecordHeaderSize + len;
  stream_pos_ = pos_;
  ++records_;
  if (v.type == static_cast<uint32_t>(RecordType::kEnd)) ended_ = true;
  return std::optional<RecordView>(v);
}

Status TraceReader::load_chunk() {
  const std::string op = "trace: zstd chunk at " + hex(pos_);
  const uint8_t* p = data_.data() + pos_;
  const uint32_t csize = get<uint32_t>(p);
  const uint32_t usize = get<uint32_t>(p + 4);
  if (usize == 0) return Error::invalid(op, "uncompressed size 0 (corrupt trace)");
  if (usize > kMaxChunkUncompressed)
    return Error::invalid(op, "uncompressed size " + std::to_string(usize) + " is over the limit " +
                                  std::to_string(kMaxChunkUncompressed));
  if (csize == 0 || csize > ZSTD_compressBound(usize))
    return Error::invalid(op, "compressed size " + std::to_string(csize) + " impossible for " +
                                  std::to_string(usize) + " bytes");
  if (csize > data_.size() - pos_ - kChunkHeaderSize)
    return Error::invalid(op, "compressed size " + std::to_string(csize) + " past end of file");
  const uint8_t* src = p + kChunkHeaderSize;
  const unsigned long long fcs = ZSTD_getFrameContentSize(src, csize);
  if (fcs == ZSTD_CONTENTSIZE_ERROR || fcs == ZSTD_CONTENTSIZE_UNKNOWN)
    return Error::invalid(op, "not a zstd frame with a content size");
  if (fcs != usize)
    return Error::invalid(op, "zstd frame says " + std::to_string(fcs) +
                                  " bytes, the chunk header " + std::to_string(usize));
  const size_t fsize = ZSTD_findFrameCompressedSize(src, csize);
  if (ZSTD_isError(fsize) || fsize != csize)
    return Error::invalid(
        op, "chunk does not hold exactly one zstd frame of " + std::to_string(csize) + " bytes");
  if (chunk_cap_ < usize) {
    chunk_.reset(new uint8_t[usize]);
    chunk_cap_ = usize;
  }
  const size_t n = ZSTD_decompressDCtx(dctx_, chunk_.get(), usize, src, csize);
  if (ZSTD_isError(n)) return Error::invalid(op, std::string("zstd: ") + ZSTD_getErrorName(n));
  if (n != usize)
    return Error::invalid(
        op, "decompressed " + std::to_string(n) + " bytes, expected " + std::to_string(usize));
  chunk_len_ = usize;
  chunk_pos_ = 0;
  chunk_file_offset_ = pos_;
  pos_ += kChunkHeaderSize + csize;
  return {};
}

Result<std::optional<RecordView>> TraceReader::next_zstd() {
  if (chunk_pos_ == chunk_len_) {
    const uint64_t left = data_.size() - pos_;
    if (left == 0) {
      done_ = true;
      return std::optional<RecordView>();
    }
    if (ended_)
      return fail(Error::invalid("trace: offset " + hex(pos_),
                                 std::to_string(left) + " bytes after the END record"));
    if (left < kChunkHeaderSize) {
      truncated_ = done_ = true;
      return std::optional<RecordView>();
    }
    const uint32_t csize = get<uint32_t>(data_.data() + pos_);
    if (left - kChunkHeaderSize < csize) {
      // Torn tail, unless the header itself is absurd (then it is corruption).
      const uint32_t usize = get<uint32_t>(data_.data() + pos_ + 4);
      if (usize != 0 && usize <= kMaxChunkUncompressed && csize <= ZSTD_compressBound(usize)) {
        truncated_ = done_ = true;
        return std::optional<RecordView>();
      }
    }
    if (Status s = load_chunk(); !s.ok()) return fail(std::move(s).error());
  } else if (ended_) {
    return fail(
        Error::invalid("trace: zstd chunk at " + hex(chunk_file_offset_),
                       std::to_string(chunk_len_ - chunk_pos_) + " bytes after the END record"));
  }
  const std::string op = "trace: zstd chunk at " + hex(chunk_file_offset_) + ", record at " +
                         hex(stream_pos_) + " (+" + hex(chunk_pos_) + " in chunk)";
  const uint32_t left = chunk_len_ - chunk_pos_;
  if (left < kRecordHeaderSize)
    return fail(Error::invalid(
        op, "record header cut by the chunk end (" + std::to_string(left) + " bytes left)"));
  const uint8_t* p = chunk_.get() + chunk_pos_;
  RecordView v;
  v.type = get<uint32_t>(p);
  const uint32_t len = get<uint32_t>(p + 4);
  v.timestamp_ns = get<uint64_t>(p + 8);
  v.tid = get<uint32_t>(p + 16);
  v.offset = stream_pos_;
  v.chunk_offset = chunk_file_offset_;
  if (v.type == 0) return fail(Error::invalid(op, "record type 0 is reserved (corrupt trace)"));
  if (len > left - kRecordHeaderSize)
    return fail(Error::invalid(op, "payload length " + std::to_string(len) +
                                       " runs past the chunk end (" +
                                       std::to_string(left - kRecordHeaderSize) + " bytes left)"));
  v.payload = std::span<const uint8_t>(p + kRecordHeaderSize, len);
  chunk_pos_ += kRecordHeaderSize + len;
  stream_pos_ += kRecordHeaderSize + len;
  ++records_;
  if (v.type == static_cast<uint32_t>(RecordType::kEnd)) ended_ = true;
  return std::optional<RecordView>(v);
}

}  // namespace rawgpu::trace
