// rawgpu — the trace decoder: every record of a trace (docs/trace-format.md) named and printed
// from the one description of each ABI (kfd/describe.*, nv_ioctl/describe.*, qcom_kgsl/describe.*)
// and packet format (kfd/packets.*, nv_ioctl/packets.*, qcom_kgsl/packets.*). Used by
// `rawgpu decode`, by `rawgpu replay` (a divergence prints both calls decoded) and by the fuzzer.
//
// The decoder keeps the state a trace implies — which driver is behind each fd (OPEN/DUP/CLOSE),
// the type of each KFD queue (CREATE_QUEUE), NV channel classes — so it must see the records in
// order. Untrusted input: unknown requests, records and packets print as hex and mark the record
// `unknown`; nothing in a trace can crash it.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "tools/trace/trace.h"

namespace rawgpu::trace {

struct DecodedRecord {
  uint64_t index = 0;         // 0-based position in the trace
  uint64_t offset = 0;        // RecordView::offset
  uint64_t timestamp_ns = 0;  // since the trace started (header start_monotonic_ns)
  uint32_t tid = 0;
  uint32_t type = 0;          // RecordType value
  std::string summary;        // one line: "IOCTL fd=3 AMDKFD_IOC_CREATE_QUEUE{...} = 0"
  std::vector<std::string> details;  // nested buffers, one line per decoded packet, hex dumps
  bool unknown = false;       // some part printed as hex because it is not described
  // Added for the statistics and --json:
  std::string name;            // "AMDKFD_IOC_CREATE_QUEUE", "NV_ESC_RM_CONTROL NV2080_…", "OPEN"
  bool request_known = false;  // IOCTL: the request matched a description row exactly
  uint32_t packets = 0;        // SUBMISSION: packets (method headers, ring entries) decoded
  uint32_t packets_unknown = 0;  // of them: malformed or undescribed, printed as hex
  std::string fields_json;     // the record's raw fields as one JSON object ("{...}")
};

struct DecodeOptions {
  bool packets = true;           // decode SUBMISSION streams packet by packet
  uint32_t max_detail_lines = 4096;  // per record; the rest is summarized as "... N more"
  // The trace does not say which GPU generation produced it:
  uint32_t amd_gfx = 11;   // KFD PM4/SDMA layouts: 9, 10, 11 or 12 (SDMA family follows)
  uint32_t adreno = 6;     // Adreno PM4 opcode table: 6 (a6xx) or 7 (a7xx)
  uint32_t nv_branch = 0;  // NVIDIA driver branch (570, 580, …) for versioned layouts; 0: the
                           // trace's NV_ESC_CHECK_VERSION_STR, else the newest layout
};

class Decoder {
 public:
  explicit Decoder(const FileHeader& header, DecodeOptions options = {});
  ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // Decodes one record and updates the state. A record whose payload is malformed returns the
  // reader's error (decode() failed).
  core::Result<DecodedRecord> decode(const RecordView& view);
  // The same record as one JSON object (no trailing newline).
  std::string json(const DecodedRecord& r) const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

struct DecodeStats {
  uint64_t records = 0;
  uint64_t ioctls = 0;
  uint64_t ioctls_known = 0;    // request found in a description table with matching size
  uint64_t ioctls_unknown = 0;  // printed as hex
  uint64_t submissions = 0;
  uint64_t packets = 0;
  uint64_t packets_unknown = 0;
  bool truncated = false;  // the trace ends in a torn record
  bool ended = false;      // an END record was read
};

struct DecodeFileOptions {
  bool json = false;     // JSON lines instead of text
  std::string grep;      // print only records whose text (summary + details) contains this
  DecodeOptions decode;
};

// Decodes the trace at `path` onto `out`. Corruption ends in the reader's error after every
// record before it was printed; the statistics cover what was decoded (also written to
// `*partial` when given, so a caller can report them after an error).
//
// Text output: one line per record, "#<index> <seconds since start> tid=<tid> <summary>", then
// its details indented by four spaces. JSON output: Decoder::json() per record, one per line.
// `grep` keeps the records whose summary or any detail line contains it (plain substring,
// case-sensitive); statistics still count every record.
core::Result<DecodeStats> decode_file(const std::string& path, const DecodeFileOptions& options,
                                      std::ostream& out, DecodeStats* partial = nullptr);

// "N records: K ioctls (D decoded, U unknown), S submissions (P packets, Q unknown)"
std::string summary_line(const DecodeStats& stats);

}  // namespace rawgpu::trace
