// The trace format (tools/trace): round trips of every record type, plain and zstd; concurrent
// writers; truncation at every byte; corrupt headers and lengths; unknown record types.
#include "tools/trace/trace.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace rawgpu::trace {
namespace {

std::vector<uint8_t> read_all(int fd) {
  std::vector<uint8_t> out;
  uint8_t buf[4096];
  lseek(fd, 0, SEEK_SET);
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.insert(out.end(), buf, buf + n);
  return out;
}

// A trace written into an anonymous temp file and read back as bytes.
template <typename Fn>
std::vector<uint8_t> write_trace(const WriterOptions& opts, Fn&& fn, bool finish = true) {
  char path[] = "/tmp/rawgpu_trace_testXXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  unlink(path);
  {
    auto w = TraceWriter::adopt_fd(fd, false, opts);
    EXPECT_TRUE(w.ok()) << w.error().message();
    fn(**w);
    if (finish) {
      EXPECT_TRUE((*w)->finish().ok());
    } else {
      EXPECT_TRUE((*w)->flush().ok());
    }
    if (!finish) {
      std::vector<uint8_t> out = read_all(fd);
      // Destroying the writer would append END; read before it.
      close(fd);
      return out;
    }
  }
  std::vector<uint8_t> out = read_all(fd);
  close(fd);
  return out;
}

std::span<const uint8_t> bytes_of(const std::vector<uint8_t>& v) { return {v.data(), v.size()}; }

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 7);
  return v;
}

bool same(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

struct Drained {
  std::vector<RecordView> views;
  std::vector<std::vector<uint8_t>> payloads;  // copies (views die on next())
  std::optional<Error> error;
};

Drained drain(TraceReader& r) {
  Drained d;
  for (;;) {
    auto n = r.next();
    if (!n.ok()) {
      d.error = n.error();
      return d;
    }
    if (!n->has_value()) return d;
    d.views.push_back(**n);
    d.payloads.emplace_back((*n)->payload.begin(), (*n)->payload.end());
  }
}

const std::vector<uint8_t> kArgIn = pattern(24, 1), kArgOut = pattern(24, 9);
const std::vector<uint8_t> kBufIn = pattern(100, 3), kBufOut = pattern(100, 4);
const std::vector<uint8_t> kCmds = pattern(256, 5), kPage = pattern(4096, 6);

void write_every_type(TraceWriter& w) {
  RecordMeta m{1000, 42};
  auto next = [&] {
    m.timestamp_ns += 10;
    return m;
  };
  ASSERT_TRUE(
      w.append(OpenRecord{3, 2, 0, static_cast<uint32_t>(DriverKind::kKfd), "/dev/kfd"}, next())
          .ok());
  IoctlRecord io;
  io.fd = 3;
  io.err = 0;
  io.request = 0xc0184b01;
  io.result = 0;
  io.arg_before = kArgIn;
  io.arg_after = kArgOut;
  io.buffers.push_back(IoctlBuffer{7, 0x7f0000001000, kBufIn, kBufOut});
  io.buffers.push_back(IoctlBuffer{8, 0x7f0000002000, kBufIn, {}});
  ASSERT_TRUE(w.append(io, next()).ok());
  ASSERT_TRUE(w.append(MmapRecord{0, 8192, 3, 1, 3, 0, 0x1000, 0x7f1234560000}, next()).ok());
  ASSERT_TRUE(w.append(DoorbellRecord{0x7f1234560008, 0x40, 8}, next()).ok());
  ASSERT_TRUE(w.append(SubmissionRecord{1, 5, 0x800000000000, kCmds}, next()).ok());
  ASSERT_TRUE(w.append(MemorySnapshotRecord{1, 0x800000001000, kPage}, next()).ok());
  ASSERT_TRUE(w.append(MunmapRecord{0x7f1234560000, 8192, 0}, next()).ok());
  ASSERT_TRUE(w.append(DupRecord{3, 4, -1, 0}, next()).ok());
  ASSERT_TRUE(w.append(CloseRecord{4, -9}, next()).ok());
}

void check_every_type(const std::vector<uint8_t>& t) {
  auto r = TraceReader::open(bytes_of(t));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->header().major, kVersionMajor);
  EXPECT_EQ(r->header().writer, "rawgpu");
  EXPECT_EQ(r->header().page_size, static_cast<uint32_t>(sysconf(_SC_PAGESIZE)));
  Drained d = drain(*r);
  ASSERT_FALSE(d.error) << d.error->message();
  EXPECT_TRUE(r->ended());
  EXPECT_FALSE(r->truncated());
  ASSERT_EQ(d.views.size(), 10u);
  std::vector<Record> recs;
  for (size_t i = 0; i < d.views.size(); ++i) {
    RecordView v = d.views[i];
    v.payload = d.payloads[i];
    if (i < 9) {
      EXPECT_EQ(v.timestamp_ns, 1010 + 10 * i);
      EXPECT_EQ(v.tid, 42u);
    }
    auto rec = decode(v);
    ASSERT_TRUE(rec.ok()) << rec.error().message();
    recs.push_back(*rec);
  }
  auto& o = std::get<OpenRecord>(recs[0]);
  EXPECT_EQ(o.result, 3);
  EXPECT_EQ(o.flags, 2u);
  EXPECT_EQ(o.driver, static_cast<uint32_t>(DriverKind::kKfd));
  EXPECT_EQ(o.path, "/dev/kfd");
  auto& io = std::get<IoctlRecord>(recs[1]);
  EXPECT_EQ(io.fd, 3);
  EXPECT_EQ(io.request, 0xc0184b01u);
  EXPECT_TRUE(same(io.arg_before, kArgIn));
  EXPECT_TRUE(same(io.arg_after, kArgOut));
  ASSERT_EQ(io.buffers.size(), 2u);
  EXPECT_EQ(io.buffers[0].tag, 7u);
  EXPECT_EQ(io.buffers[0].address, 0x7f0000001000u);
  EXPECT_TRUE(same(io.buffers[0].before, kBufIn));
  EXPECT_TRUE(same(io.buffers[0].after, kBufOut));
  EXPECT_TRUE(same(io.buffers[1].before, kBufIn));
  EXPECT_TRUE(io.buffers[1].after.empty());
  auto& mm = std::get<MmapRecord>(recs[2]);
  EXPECT_EQ(mm.len, 8192u);
  EXPECT_EQ(mm.offset, 0x1000);
  EXPECT_EQ(mm.result, 0x7f1234560000u);
  auto& db = std::get<DoorbellRecord>(recs[3]);
  EXPECT_EQ(db.value, 0x40u);
  EXPECT_EQ(db.width, 8u);
  auto& sub = std::get<SubmissionRecord>(recs[4]);
  EXPECT_EQ(sub.queue, 5u);
  EXPECT_TRUE(same(sub.data, kCmds));
  auto& snap = std::get<MemorySnapshotRecord>(recs[5]);
  EXPECT_EQ(snap.space, static_cast<uint32_t>(AddressSpace::kGpu));
  EXPECT_TRUE(same(snap.data, kPage));
  EXPECT_EQ(std::get<MunmapRecord>(recs[6]).len, 8192u);
  EXPECT_EQ(std::get<DupRecord>(recs[7]).new_fd, 4);
  EXPECT_EQ(std::get<CloseRecord>(recs[8]).result, -9);
  EXPECT_EQ(std::get<EndRecord>(recs[9]).record_count, 9u);
}

TEST(Trace, RoundTripEveryTypePlain) { check_every_type(write_trace({}, write_every_type)); }

TEST(Trace, RoundTripEveryTypeZstd) {
  WriterOptions o;
  o.zstd = true;
  std::vector<uint8_t> t = write_trace(o, write_every_type);
  auto r = TraceReader::open(bytes_of(t));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->header().zstd());
  check_every_type(t);
}

TEST(Trace, FieldListsNameEveryField) {
  std::vector<std::string> names;
  MmapRecord{}.fields([&](const char* n, const auto&) { names.push_back(n); });
  EXPECT_EQ(names, (std::vector<std::string>{"addr", "len", "prot", "flags", "fd", "errno",
                                             "offset", "result"}));
  EXPECT_STREQ(record_type_name(4), "IOCTL");
  EXPECT_EQ(record_type_name(999), nullptr);
  EXPECT_STREQ(driver_kind_name(5), "nvidia-uvm");
}

TEST(Trace, GuessDriver) {
  EXPECT_EQ(guess_driver("/dev/kfd"), DriverKind::kKfd);
  EXPECT_EQ(guess_driver("/dev/dri/renderD128"), DriverKind::kDriRender);
  EXPECT_EQ(guess_driver("/dev/dri/card0"), DriverKind::kOther);
  EXPECT_EQ(guess_driver("/dev/nvidiactl"), DriverKind::kNvidiaCtl);
  EXPECT_EQ(guess_driver("/dev/nvidia0"), DriverKind::kNvidiaGpu);
  EXPECT_EQ(guess_driver("/dev/nvidia-uvm"), DriverKind::kNvidiaUvm);
  EXPECT_EQ(guess_driver("/dev/nvidia-modeset"), DriverKind::kOther);
  EXPECT_EQ(guess_driver("/dev/kgsl-3d0"), DriverKind::kKgsl);
  EXPECT_EQ(guess_driver("/etc/passwd"), DriverKind::kOther);
}

TEST(Trace, FourThreadsRecordsWhole) {
  for (bool z : {false, true}) {
    WriterOptions o;
    o.zstd = z;
    o.chunk_bytes = 8192;  // many chunks
    constexpr int kThreads = 4, kPer = 500;
    std::vector<uint8_t> t = write_trace(o, [&](TraceWriter& w) {
      std::vector<std::thread> th;
      for (int i = 0; i < kThreads; ++i)
        th.emplace_back([&w, i] {
          for (int j = 0; j < kPer; ++j) {
            std::vector<uint8_t> data(static_cast<size_t>(16 + j % 64),
                                      static_cast<uint8_t>(i * 16 + j % 16));
            ASSERT_TRUE(w.append(SubmissionRecord{static_cast<uint32_t>(i),
                                                  static_cast<uint64_t>(j), 0, data},
                                 RecordMeta{static_cast<uint64_t>(j), static_cast<uint32_t>(i)})
                            .ok());
          }
        });
      for (auto& x : th) x.join();
    });
    auto r = TraceReader::open(bytes_of(t));
    ASSERT_TRUE(r.ok());
    std::vector<int> next_j(kThreads, 0);
    int n = 0;
    for (;;) {
      auto v = r->next();
      ASSERT_TRUE(v.ok()) << v.error().message();
      if (!v->has_value()) break;
      auto rec = decode(**v);
      ASSERT_TRUE(rec.ok());
      if (std::holds_alternative<EndRecord>(*rec)) continue;
      auto& s = std::get<SubmissionRecord>(*rec);
      const int i = static_cast<int>(s.driver), j = static_cast<int>(s.queue);
      ASSERT_LT(i, kThreads);
      EXPECT_EQ((*v)->tid, static_cast<uint32_t>(i));
      EXPECT_EQ(j, next_j[i]++);  // per-thread order kept
      ASSERT_EQ(s.data.size(), static_cast<size_t>(16 + j % 64));
      for (uint8_t b : s.data) ASSERT_EQ(b, static_cast<uint8_t>(i * 16 + j % 16));
      ++n;
    }
    EXPECT_EQ(n, kThreads * kPer);
    EXPECT_TRUE(r->ended());
  }
}

// Cut a small trace at every byte: the reader never fails past the header, delivers exactly the
// records wholly before the cut and flags a torn tail.
void check_every_cut(const std::vector<uint8_t>& t, bool zstd) {
  // Record (plain) or chunk (zstd) boundaries of the full trace.
  auto full = TraceReader::open(bytes_of(t));
  ASSERT_TRUE(full.ok());
  Drained all = drain(*full);
  ASSERT_FALSE(all.error);
  for (size_t cut = 0; cut <= t.size(); ++cut) {
    std::vector<uint8_t> part(t.begin(), t.begin() + static_cast<ptrdiff_t>(cut));
    auto r = TraceReader::open(bytes_of(part));
    if (cut < kFileHeaderSize) {
      ASSERT_FALSE(r.ok()) << cut;
      EXPECT_EQ(r.error().kind(), core::ErrorKind::kInvalidInput);
      continue;
    }
    ASSERT_TRUE(r.ok()) << cut << ": " << r.error().message();
    Drained d = drain(*r);
    ASSERT_FALSE(d.error) << "cut " << cut << ": " << d.error->message();
    // Expected: every record whose bytes (plain) / chunk (zstd) end at or before the cut.
    size_t expect = 0;
    bool boundary = (cut == kFileHeaderSize);
    if (!zstd) {
      for (size_t i = 0; i < all.views.size(); ++i) {
        const uint64_t end = all.views[i].offset + kRecordHeaderSize + all.payloads[i].size();
        if (end <= cut) expect = i + 1;
        if (end == cut) boundary = true;
      }
    } else {
      // Chunk ends: walk the chunk headers of the full file.
      uint64_t pos = kFileHeaderSize;
      while (pos < t.size()) {
        uint32_t csize;
        std::memcpy(&csize, t.data() + pos, 4);
        pos += kChunkHeaderSize + csize;
        if (pos <= cut) {
          expect = 0;
          for (const RecordView& v : all.views)
            if (v.chunk_offset < pos) ++expect;
        }
        if (pos == cut) boundary = true;
      }
    }
    EXPECT_EQ(d.views.size(), expect) << "cut " << cut;
    EXPECT_EQ(r->truncated(), !boundary) << "cut " << cut;
    EXPECT_EQ(r->ended(), cut == t.size()) << "cut " << cut;
    for (size_t i = 0; i < d.views.size(); ++i) EXPECT_EQ(d.payloads[i], all.payloads[i]);
  }
}

TEST(Trace, TruncationAtEveryBytePlain) {
  check_every_cut(write_trace({}, write_every_type), false);
}

TEST(Trace, TruncationAtEveryByteZstd) {
  WriterOptions o;
  o.zstd = true;
  o.chunk_bytes = 4096;  // several chunks: the snapshot closes one
  check_every_cut(write_trace(o, write_every_type), true);
}

TEST(Trace, UnfinishedTraceReadsWithoutEnd) {
  std::vector<uint8_t> t = write_trace(
      {},
      [](TraceWriter& w) {
        ASSERT_TRUE(w.append(CloseRecord{5, 0}).ok());
      },
      false);
  auto r = TraceReader::open(bytes_of(t));
  ASSERT_TRUE(r.ok());
  Drained d = drain(*r);
  EXPECT_FALSE(d.error);
  EXPECT_EQ(d.views.size(), 1u);
  EXPECT_FALSE(r->ended());
  EXPECT_FALSE(r->truncated());
}

std::vector<uint8_t> small_plain() {
  return write_trace({}, [](TraceWriter& w) {
    ASSERT_TRUE(w.append(CloseRecord{5, 0}, RecordMeta{1, 2}).ok());
  });
}

std::string error_of(const std::vector<uint8_t>& t) {
  auto r = TraceReader::open(bytes_of(t));
  if (!r.ok()) return r.error().message();
  Drained d = drain(*r);
  return d.error ? d.error->message() : "";
}

TEST(Trace, CorruptHeader) {
  std::vector<uint8_t> t = small_plain();
  auto bad = t;
  bad[0] = 'X';
  EXPECT_NE(error_of(bad).find("bad magic"), std::string::npos) << error_of(bad);
  bad = t;
  bad[8] = 2;  // major 2
  auto r = TraceReader::open(bytes_of(bad));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), core::ErrorKind::kUnsupported);
  EXPECT_NE(r.error().message().find("version 2." + std::to_string(kVersionMinor) + " is newer"), std::string::npos);
  bad = t;
  bad[8] = 0;
  EXPECT_NE(error_of(bad).find("version 0." + std::to_string(kVersionMinor)), std::string::npos);
  bad = t;
  bad[10] = 7;  // a newer minor is fine
  EXPECT_EQ(error_of(bad), "");
  bad = t;
  bad[16] = 0x80;  // unknown flag
  EXPECT_NE(error_of(bad).find("unknown flags 0x80"), std::string::npos);
  bad = t;
  bad[12] = 8;  // header_size 8
  EXPECT_NE(error_of(bad).find("header_size 8"), std::string::npos);
}

TEST(Trace, BiggerHeaderFromNewerMinorIsSkipped) {
  std::vector<uint8_t> t = small_plain();
  t.insert(t.begin() + kFileHeaderSize, 16, 0xee);
  t[12] = kFileHeaderSize + 16;
  auto r = TraceReader::open(bytes_of(t));
  ASSERT_TRUE(r.ok());
  Drained d = drain(*r);
  EXPECT_FALSE(d.error);
  EXPECT_EQ(d.views.size(), 2u);
}

TEST(Trace, CorruptLengths) {
  std::vector<uint8_t> t = small_plain();
  auto bad = t;
  uint32_t huge = kMaxPayload + 1;
  std::memcpy(bad.data() + kFileHeaderSize + 4, &huge, 4);
  EXPECT_NE(error_of(bad).find("record at 0x40"), std::string::npos) << error_of(bad);
  EXPECT_NE(error_of(bad).find("over the 64 MiB"), std::string::npos);
  bad = t;
  std::memset(bad.data() + kFileHeaderSize, 0, 4);  // type 0
  EXPECT_NE(error_of(bad).find("type 0"), std::string::npos);
  bad = t;
  bad.push_back(1);  // garbage after END
  EXPECT_NE(error_of(bad).find("after the END record"), std::string::npos);

  // A payload too short for its type: caught by decode(), naming the field.
  RecordView v;
  v.type = static_cast<uint32_t>(RecordType::kMmap);
  v.offset = 0x123;
  std::vector<uint8_t> p(18);
  v.payload = p;
  auto rec = decode(v);
  ASSERT_FALSE(rec.ok());
  EXPECT_NE(rec.error().message().find("MMAP record at 0x123"), std::string::npos);
  EXPECT_NE(rec.error().message().find("prot"), std::string::npos) << rec.error().message();
  // An IOCTL claiming more buffers than fit.
  v.type = static_cast<uint32_t>(RecordType::kIoctl);
  std::vector<uint8_t> q(40);
  q[32] = 0xff;
  q[33] = 0xff;
  v.payload = q;
  rec = decode(v);
  ASSERT_FALSE(rec.ok());
  EXPECT_NE(rec.error().message().find("buffer_count"), std::string::npos);
}

TEST(Trace, CorruptZstdChunk) {
  WriterOptions o;
  o.zstd = true;
  std::vector<uint8_t> t = write_trace(o, write_every_type);
  auto bad = t;
  bad[kFileHeaderSize + kChunkHeaderSize + 20] ^= 0xff;  // inside the frame
  std::string e = error_of(bad);
  EXPECT_NE(e.find("zstd chunk at 0x40"), std::string::npos) << e;
  bad = t;
  bad[kFileHeaderSize + 4] ^= 0x01;  // uncompressed size disagrees with the frame
  e = error_of(bad);
  EXPECT_NE(e.find("zstd chunk at 0x40"), std::string::npos) << e;
  bad = t;
  std::memset(bad.data() + kFileHeaderSize + 4, 0xff, 4);  // absurd size: error, not truncation
  e = error_of(bad);
  EXPECT_NE(e.find("over the limit"), std::string::npos) << e;
}

TEST(Trace, UnknownTypesAreDeliveredAndSkippable) {
  for (bool z : {false, true}) {
    WriterOptions o;
    o.zstd = z;
    const std::vector<uint8_t> blob = pattern(33, 2);
    std::vector<uint8_t> t = write_trace(o, [&](TraceWriter& w) {
      ASSERT_TRUE(w.append_raw(0x1234, blob, RecordMeta{}).ok());
      ASSERT_TRUE(w.append(CloseRecord{1, 0}).ok());
      EXPECT_FALSE(w.append_raw(0, blob, RecordMeta{}).ok());
    });
    auto r = TraceReader::open(bytes_of(t));
    ASSERT_TRUE(r.ok());
    Drained d = drain(*r);
    ASSERT_FALSE(d.error);
    ASSERT_EQ(d.views.size(), 3u);
    RecordView v = d.views[0];
    v.payload = d.payloads[0];
    auto rec = decode(v);
    ASSERT_TRUE(rec.ok());
    auto& u = std::get<UnknownRecord>(*rec);
    EXPECT_EQ(u.type, 0x1234u);
    EXPECT_TRUE(same(u.payload, blob));
    EXPECT_EQ(d.views[1].type, static_cast<uint32_t>(RecordType::kClose));
  }
}

TEST(Trace, KnownTypeWithTrailingBytesDecodes) {
  std::vector<uint8_t> p(8 + 12, 0);
  p[0] = 9;
  RecordView v;
  v.type = static_cast<uint32_t>(RecordType::kClose);
  v.payload = p;
  auto rec = decode(v);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(std::get<CloseRecord>(*rec).fd, 9);
}

TEST(Trace, BigPayloads) {
  const std::vector<uint8_t> big = pattern(5u << 20, 11);  // over one zstd chunk
  for (bool z : {false, true}) {
    WriterOptions o;
    o.zstd = z;
    std::vector<uint8_t> t = write_trace(o, [&](TraceWriter& w) {
      ASSERT_TRUE(w.append(MemorySnapshotRecord{0, 0x1000, big}).ok());
      ASSERT_TRUE(w.append(CloseRecord{1, 0}).ok());
      ASSERT_TRUE(w.append(MemorySnapshotRecord{0, 0x2000, big}).ok());
      std::vector<uint8_t> too_big(kMaxPayload + 1);
      Status s = w.append(MemorySnapshotRecord{0, 0, too_big});
      ASSERT_FALSE(s.ok());
      EXPECT_NE(s.error().message().find("64 MiB"), std::string::npos);
    });
    if (z) {
      EXPECT_LT(t.size(), big.size());  // the pattern compresses
    }
    auto r = TraceReader::open(bytes_of(t));
    ASSERT_TRUE(r.ok());
    Drained d = drain(*r);
    ASSERT_FALSE(d.error) << d.error->message();
    ASSERT_EQ(d.views.size(), 4u);
    RecordView v = d.views[2];
    v.payload = d.payloads[2];
    auto rec = decode(v);
    ASSERT_TRUE(rec.ok());
    EXPECT_TRUE(same(std::get<MemorySnapshotRecord>(*rec).data, big));
  }
}

TEST(Trace, FileWriterAndReader) {
  char dir[] = "/tmp/rawgpu_trace_dirXXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/t.rgtrace";
  {
    auto w = TraceWriter::create(path, {.zstd = true});
    ASSERT_TRUE(w.ok()) << w.error().message();
    ASSERT_TRUE((*w)->append(OpenRecord{3, 0, 0, 0, "/dev/nvidiactl"}).ok());
    EXPECT_EQ((*w)->records_written(), 1u);
  }  // destructor finishes
  auto r = TraceReader::open_file(path);
  ASSERT_TRUE(r.ok()) << r.error().message();
  TraceReader moved = std::move(*r);
  Drained d = drain(moved);
  EXPECT_FALSE(d.error);
  EXPECT_EQ(d.views.size(), 2u);
  EXPECT_TRUE(moved.ended());
  EXPECT_FALSE(TraceReader::open_file(path + ".missing").ok());
  EXPECT_FALSE(TraceWriter::create(std::string(dir) + "/no/such/dir/t").ok());
  unlink(path.c_str());
  rmdir(dir);
}

TEST(Trace, WriteErrorsAreStickyErrors) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  close(p[0]);  // writes now fail with EPIPE (SIGPIPE ignored for the test)
  signal(SIGPIPE, SIG_IGN);
  auto w = TraceWriter::adopt_fd(p[1], true);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().err(), EPIPE);
}

}  // namespace
}  // namespace rawgpu::trace

// ---- Mapped plain traces (WriterOptions::mapped): no write(2) per record, SIGKILL-safe.

namespace rawgpu::trace {
namespace {

struct ReadBack {
  uint64_t records = 0;
  bool ended = false, truncated = false;
  std::string error;
};
ReadBack read_back(const std::vector<uint8_t>& bytes) {
  ReadBack out;
  auto r = TraceReader::open(bytes_of(bytes));
  if (!r.ok()) {
    out.error = r.error().message();
    return out;
  }
  for (;;) {
    auto n = r->next();
    if (!n.ok()) {
      out.error = n.error().message();
      break;
    }
    if (!*n) break;
    ++out.records;
  }
  out.ended = r->ended();
  out.truncated = r->truncated();
  return out;
}

TEST(TraceMapped, RoundTripAcrossGrowth) {
  const std::vector<uint8_t> page = pattern(1u << 20, 3);
  auto t = write_trace(WriterOptions{.mapped = true}, [&](TraceWriter& w) {
    for (int i = 0; i < 40; ++i)  // 40 MiB: grows the 16 MiB mapping twice
      ASSERT_TRUE(w.append(MemorySnapshotRecord{.address = 0x1000u * i, .data = page}).ok());
    ASSERT_TRUE(w.append(CloseRecord{.fd = 3}).ok());
  });
  auto r = TraceReader::open(bytes_of(t));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->header().mapped());
  uint64_t n = 0, last_end = 0;
  for (;;) {
    auto v = r->next();
    ASSERT_TRUE(v.ok()) << v.error().message();
    if (!*v) break;
    ++n;
    last_end = (*v)->offset + kRecordHeaderSize + (*v)->payload.size();
    if (n <= 40) {
      auto rec = decode(**v);
      ASSERT_TRUE(rec.ok());
      const auto& s = std::get<MemorySnapshotRecord>(*rec);
      ASSERT_EQ(s.data.size(), page.size());
      ASSERT_EQ(0, std::memcmp(s.data.data(), page.data(), page.size()));
    }
  }
  EXPECT_EQ(n, 42u);  // 40 snapshots, CLOSE, END
  EXPECT_TRUE(r->ended());
  EXPECT_EQ(last_end, t.size());  // finish() cut the preallocated tail
}

TEST(TraceMapped, UnfinishedTraceKeepsEveryRecord) {
  auto t = write_trace(
      WriterOptions{.mapped = true},
      [](TraceWriter& w) {
        for (int i = 0; i < 100; ++i) ASSERT_TRUE(w.append(CloseRecord{.fd = i}).ok());
      },
      /*finish=*/false);
  EXPECT_GT(t.size(), 1u << 20);  // the preallocated tail is still there
  const ReadBack b = read_back(t);
  EXPECT_EQ(b.error, "");
  EXPECT_EQ(b.records, 100u);
  EXPECT_FALSE(b.ended);
  EXPECT_FALSE(b.truncated);
}

TEST(TraceMapped, RecordWithoutItsTypeWordIsATornTail) {
  auto t = write_trace(
      WriterOptions{.mapped = true},
      [](TraceWriter& w) {
        for (int i = 0; i < 3; ++i) ASSERT_TRUE(w.append(CloseRecord{.fd = i}).ok());
      },
      /*finish=*/false);
  // The 4th record's body landed but not its type word.
  const size_t at = kFileHeaderSize + 3 * (kRecordHeaderSize + 8);
  ASSERT_LT(at + 12, t.size());
  t[at + 4] = 8;
  t[at + 24] = 7;
  const ReadBack b = read_back(t);
  EXPECT_EQ(b.error, "");
  EXPECT_EQ(b.records, 3u);
  EXPECT_TRUE(b.truncated);
  // Without the mapped flag the same bytes are corruption.
  t[16] = 0;
  EXPECT_NE(read_back(t).error.find("record type 0"), std::string::npos);
}

TEST(TraceMapped, SigkillLosesNoCompleteRecord) {
  char path[] = "/tmp/rawgpu_trace_killXXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto w = TraceWriter::adopt_fd(fd, false, WriterOptions{.mapped = true});
    if (!w.ok()) _exit(2);
    for (int i = 0; i < 1000; ++i)
      if (!(*w)->append(CloseRecord{.fd = i}).ok()) _exit(3);
    raise(SIGKILL);
    _exit(4);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  const std::vector<uint8_t> t = read_all(fd);
  close(fd);
  unlink(path);
  const ReadBack b = read_back(t);
  EXPECT_EQ(b.error, "");
  EXPECT_EQ(b.records, 1000u);
  EXPECT_FALSE(b.ended);
}

TEST(TraceMapped, FallsBackToWriteOnAPipe) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  std::vector<uint8_t> got;
  std::thread reader([&] {
    uint8_t buf[4096];
    for (ssize_t n; (n = ::read(p[0], buf, sizeof buf)) > 0;) got.insert(got.end(), buf, buf + n);
  });
  {
    auto w = TraceWriter::adopt_fd(p[1], true, WriterOptions{.mapped = true});
    ASSERT_TRUE(w.ok()) << w.error().message();
    for (int i = 0; i < 10; ++i) ASSERT_TRUE((*w)->append(CloseRecord{.fd = i}).ok());
    ASSERT_TRUE((*w)->finish().ok());
  }
  reader.join();
  close(p[0]);
  const ReadBack b = read_back(got);
  EXPECT_EQ(b.error, "");
  EXPECT_EQ(b.records, 11u);
  EXPECT_TRUE(b.ended);
}

}  // namespace
}  // namespace rawgpu::trace
