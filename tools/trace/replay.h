// rawgpu — the trace replayer: re-issues the calls of a trace (docs/trace-format.md) on a target
// core::Sys (a fresh simulated machine or the host) and checks every return value against the
// recording. Used by `rawgpu replay` and the round-trip tests.
//
// What is remapped, record by record (the recording process and the replaying one differ):
//   OPEN     the same path is opened on the target; recorded fd -> new fd.
//   DUP      the new fd is an alias of the old one's target fd (Sys has no dup; the target fd is
//            closed when the last alias is closed).
//   CLOSE    closes the target fd of the last alias.
//   IOCTL    arg_before is copied and translated through the ioctl's description row (one table
//            per driver: kfd/, nv_ioctl/, qcom_kgsl/ describe.*): ArgKind::kFd fields through the
//            fd map; core::ArgRole fields through maps learned from earlier calls — kHandle and
//            kGpuAddr per `space` (an out value recorded -> the value the target returned),
//            kMmapOffset (offsets passed to a later mmap), kCpuAddr (the CPU address map below).
//            Each nested buffer (core::BufferRef of the row, captured in the record by tag) is
//            copied into the replayer's memory, its roles translated per element, and the
//            pointer field re-pointed at the copy. A pointer field with no captured buffer and
//            outside every mapping is pointed at an inaccessible page, so the driver fails with
//            EFAULT instead of writing into the replayer. Special cases the table cannot say:
//            AMDKFD_IOC_ALLOC_MEMORY_OF_GPU with USERPTR (mmap_offset is then a CPU address) and
//            other host-memory imports get anonymous memory of the recorded size, at the
//            recorded address when it is free. The result (and errno) must equal the
//            recording, else that is a divergence.
//   MMAP     device fds only (anonymous maps are not in traces): the remapped fd, the
//            translated offset, at the recorded address when it is free (MAP_FIXED_NOREPLACE),
//            else anywhere; recorded range -> new range joins the CPU address map. What stood
//            for the recorded range before (an earlier mapping, host memory of a freed USERPTR)
//            is unmapped and forgotten first when the recording used MAP_FIXED, and in any case
//            once the new mapping is in place: one recorded address has one mapping.
//   MUNMAP   the translated range, when the replayer mapped it.
//   DOORBELL the recorded value stored with the recorded width (volatile) at the translated
//            address.
//   MEMORY_SNAPSHOT restore: copied into the translated range (writable mappings only); check:
//            compared with the translated range, re-compared for up to `check_wait` while the
//            GPU may still be writing; a difference is a divergence naming the first byte, in a
//            page that GPU work could have written: one where GPU work (a SUBMISSION or DOORBELL
//            record, or a KGSL GPU_COMMAND ioctl) comes after the page's last restore snapshot
//            (never restored: after the mapping that holds it was made). A page no GPU work
//            came after holds what the program's CPU wrote, which the trace keeps only as the
//            restores before GPU work (a KGSL copy runs on the CPU, for one): it is logged and
//            counted in ReplayStats::check_pages_cpu_only, not a divergence.
//   SUBMISSION informational (the doorbells/ioctls around it do the work); END stops.
// GPU virtual addresses chosen by the process (KFD va_addr, NV/UVM VAs) are kept as recorded:
// command streams contain them and are not rewritten. A trace replays faithfully onto the same
// kind of device as the one recorded.
//
// Everything the replayer created (fds, mappings, anonymous memory) is released by finish() or
// the destructor, also after an error.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/sys.h"
#include "tools/trace/trace.h"

namespace rawgpu::trace {

struct ReplayOptions {
  bool keep_going = false;  // go on after a divergence (else replay stops at the first)
  std::chrono::milliseconds check_wait{5000};  // bound on re-comparing a check snapshot
  // Driver kinds to replay (empty: all). Records on fds of other drivers are skipped: a program
  // probes every driver node, the target machine has one vendor's (replay_file sets this from the
  // target device).
  std::vector<DriverKind> drivers;
  // Called with one line per notable event (divergences, skipped records); may be empty.
  std::function<void(const std::string&)> log;
};

// A record whose replay differs from its recording.
struct Divergence {
  uint64_t index = 0;   // 0-based record position in the trace
  uint64_t offset = 0;  // RecordView::offset
  std::string what;     // "result 0 (recorded) vs -1 EINVAL (replayed)", "byte 0x12 at ..."
  std::string recorded;  // the recorded call, decoded
  std::string replayed;  // the call as re-issued (translated arguments and its return), decoded
  std::string text() const;  // the three above as a few lines
};

struct ReplayStats {
  uint64_t records = 0;  // records read
  uint64_t replayed = 0;  // records acted on (opens, closes, dups, ioctls, maps, stores, snapshots)
  uint64_t opens = 0;
  uint64_t ioctls = 0;
  uint64_t mmaps = 0;
  uint64_t munmaps = 0;
  uint64_t doorbells = 0;
  uint64_t snapshots_restored = 0;
  uint64_t snapshots_checked = 0;
  uint64_t submissions = 0;  // seen (informational)
  // Pages of check snapshots that differed where no GPU work could have written them (not
  // divergences: see "check" in the header comment).
  uint64_t check_pages_cpu_only = 0;
  uint64_t skipped = 0;      // records not replayable here (see the log)
  std::vector<Divergence> divergences;
  bool truncated = false;  // the trace ends in a torn record
  bool ended = false;      // an END record was read
  bool stopped = false;    // replay stopped at the first divergence
  // "replayed N records (I ioctls, M mmaps, D doorbells, S snapshots restored, C checked)"
  std::string summary() const;
};

class Replayer {
 public:
  // Replays onto `target`, which must outlive the replayer.
  explicit Replayer(core::Sys& target, ReplayOptions options = {});
  ~Replayer();  // finish()
  Replayer(const Replayer&) = delete;
  Replayer& operator=(const Replayer&) = delete;

  // Reads `reader` to its end. A corrupt trace ends in the reader's error (what was replayed up
  // to it is released at finish()). Divergences are in the stats, not errors.
  core::Result<ReplayStats> run(TraceReader& reader);
  // Unmaps and closes everything the replay created. Idempotent.
  void finish();

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// The driver kind most IOCTL records of the trace at `path` go to (the first OPEN of a known
// driver when there are none; kOther when there is none either).
core::Result<DriverKind> main_driver(const std::string& path);
// The simulated device that replays a trace of `kind` by default: "sim-amd:0" (kfd, dri-render),
// "sim-nv:0" (nvidia*), "sim-qcom:0" (kgsl); "" for kOther.
std::string default_sim_device(DriverKind kind);

// Replays the trace at `path` onto `device` ("sim-amd:N", "sim-nv:N", "sim-qcom:N": a fresh
// simulated machine; a real device name: the host; "": default_sim_device(main_driver)). Only
// the records of that device's drivers are replayed.
core::Result<ReplayStats> replay_file(const std::string& path, std::string_view device,
                                      const ReplayOptions& options = {});

}  // namespace rawgpu::trace
