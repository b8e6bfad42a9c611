// Generic ioctl descriptions: encoding, lookup, formatting and the table self-check, on a tiny
// made-up driver ('T') with one row of every shape the real tables use.
#include "core/ioctl_desc.h"

#include <sys/ioctl.h>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

using namespace rawgpu::core;

namespace {

struct VersionArgs {  // 'T' 1, _IOR
  uint32_t major;
  uint32_t minor;
};
struct MakeArgsV1 {  // 'T' 2, _IOWR, old layout
  uint64_t addr;
  uint32_t flags;
  uint32_t kind;
};
struct MakeArgsV2 {  // 'T' 2, _IOWR, grown at the end
  uint64_t addr;
  uint32_t flags;
  uint32_t kind;
  int32_t fd;
  uint32_t pad;
};
struct RawArgs {  // a UVM-style bare request number
  uint64_t flags;
  uint32_t status;
  uint32_t pad;
};
struct ListArgs {  // 'T' 4, followed by 8-byte entries
  uint64_t ptr;
  uint32_t count;
  uint32_t pad;
};
struct LabelArgs {  // 'T' 5
  char name[8];
  uint8_t uuid[4];
  int16_t delta;
  uint16_t mode;
};

constexpr NamedValue kFlagNames[] = {
    {0x1, "T_FLAG_READ"}, {0x2, "T_FLAG_WRITE"}, {0x30, "T_FLAG_BOTH_HIGH"},  // a two-bit mask
};
constexpr NamedValue kKindNames[] = {{0, "T_KIND_NONE"}, {1, "T_KIND_BUFFER"}};
constexpr NamedValue kModeNames[] = {{0, "T_MODE_OFF"}, {7, "T_MODE_ON"}};

constexpr ArgField kVersionFields[] = {
    {"major", 0, 4, ArgKind::kUnsigned, ArgDir::kOut},
    {"minor", 4, 4, ArgKind::kUnsigned, ArgDir::kOut},
};
constexpr ArgField kMakeV1Fields[] = {
    {"addr", 0, 8, ArgKind::kHex, ArgDir::kInOut},
    {"flags", 8, 4, ArgKind::kFlags, ArgDir::kIn, kFlagNames, "T_FLAG_"},
    {"kind", 12, 4, ArgKind::kEnum, ArgDir::kIn, kKindNames, "T_KIND_"},
};
constexpr ArgField kMakeV2Fields[] = {
    {"addr", 0, 8, ArgKind::kHex, ArgDir::kInOut},
    {"flags", 8, 4, ArgKind::kFlags, ArgDir::kIn, kFlagNames, "T_FLAG_"},
    {"kind", 12, 4, ArgKind::kEnum, ArgDir::kIn, kKindNames, "T_KIND_"},
    {"fd", 16, 4, ArgKind::kFd, ArgDir::kOut},
    {"pad", 20, 4, ArgKind::kPad, ArgDir::kIn},
};
constexpr ArgField kRawFields[] = {
    {"flags", 0, 8, ArgKind::kHex, ArgDir::kIn},
    {"status", 8, 4, ArgKind::kHex, ArgDir::kOut},
    {"pad", 12, 4, ArgKind::kPad, ArgDir::kIn},
};
constexpr ArgField kListFields[] = {
    {"ptr", 0, 8, ArgKind::kPtr, ArgDir::kIn},
    {"count", 8, 4, ArgKind::kUnsigned, ArgDir::kInOut},
    {"pad", 12, 4, ArgKind::kPad, ArgDir::kIn},
};
constexpr ArgField kLabelFields[] = {
    {"name", 0, 8, ArgKind::kString, ArgDir::kIn},
    {"uuid", 8, 4, ArgKind::kBytes, ArgDir::kIn},
    {"delta", 12, 2, ArgKind::kSigned, ArgDir::kIn},
    {"mode", 14, 2, ArgKind::kEnum, ArgDir::kIn, kModeNames},
};

constexpr ErrnoHint kMakeHints[] = {{EINVAL, "kind must be T_KIND_BUFFER"}};
constexpr ErrnoHint kCommon[] = {{EINVAL, "generic invalid"}, {ENOTTY, "old driver"}};

void print_version(std::string& out, const IoctlDesc&, std::span<const uint8_t> bytes, Phase) {
  VersionArgs v{};
  if (bytes.size() < sizeof v) {
    out += "short";
    return;
  }
  std::memcpy(&v, bytes.data(), sizeof v);
  out += 'v';
  out += std::to_string(v.major);
  out += '.';
  out += std::to_string(v.minor);
}

constexpr IoctlDesc kRows[] = {
    {.name = "T_IOC_VERSION",
     .args_type = "VersionArgs",
     .magic = 'T',
     .nr = 1,
     .dir = IoctlDir::kRead,
     .size = sizeof(VersionArgs),
     .fields = kVersionFields},
    {.name = "T_IOC_MAKE",
     .args_type = "MakeArgsV1",
     .magic = 'T',
     .nr = 2,
     .dir = IoctlDir::kReadWrite,
     .size = sizeof(MakeArgsV1),
     .fields = kMakeV1Fields,
     .hints = kMakeHints},
    {.name = "T_IOC_MAKE",
     .args_type = "MakeArgsV2",
     .magic = 'T',
     .nr = 2,
     .dir = IoctlDir::kReadWrite,
     .size = sizeof(MakeArgsV2),
     .fields = kMakeV2Fields,
     .since = 2,
     .hints = kMakeHints},
    {.name = "T_RAW_INIT",
     .args_type = "RawArgs",
     .nr = 0x30000001,
     .size = sizeof(RawArgs),
     .fields = kRawFields,
     .encoding = IoctlEncoding::kRaw},
    {.name = "T_IOC_LIST",
     .args_type = "ListArgs",
     .magic = 'T',
     .nr = 4,
     .dir = IoctlDir::kReadWrite,
     .size = sizeof(ListArgs),
     .fields = kListFields,
     .elem_size = 8},
    {.name = "T_IOC_LABEL",
     .args_type = "LabelArgs",
     .magic = 'T',
     .nr = 5,
     .dir = IoctlDir::kWrite,
     .size = sizeof(LabelArgs),
     .fields = kLabelFields},
    {.name = "T_IOC_OLD",
     .args_type = "VersionArgs",
     .magic = 'T',
     .nr = 6,
     .dir = IoctlDir::kRead,
     .size = sizeof(VersionArgs),
     .fields = kVersionFields,
     .deprecated = true,
     .printer = print_version},
};
constexpr IoctlTable kTable{.driver = "test", .rows = kRows, .common_hints = kCommon};

}  // namespace

TEST(IoctlDesc, IocMatchesTheKernelMacros) {
  static_assert(ioc(IoctlDir::kRead, 'T', 1, 8) == _IOR('T', 1, VersionArgs));
  static_assert(ioc(IoctlDir::kReadWrite, 'T', 2, 24) == _IOWR('T', 2, MakeArgsV2));
  static_assert(ioc(IoctlDir::kWrite, 'T', 5, 16) == _IOW('T', 5, LabelArgs));
  static_assert(ioc(IoctlDir::kNone, 'T', 9, 0) == _IO('T', 9));
  constexpr unsigned long r = _IOWR('K', 0x16, char[40]);
  static_assert(ioc_dir(r) == IoctlDir::kReadWrite && ioc_magic(r) == 'K' && ioc_nr(r) == 0x16 &&
                ioc_size(r) == 40);
  EXPECT_EQ(kRows[1].request(), 0xC0105402ul);
  EXPECT_EQ(kRows[3].request(), 0x30000001ul);  // raw: the number itself
}

TEST(IoctlDesc, FindByRequestExact) {
  IoctlMatch m = find_by_request(kTable, _IOR('T', 1, VersionArgs));
  ASSERT_TRUE(m);
  EXPECT_TRUE(m.exact());
  EXPECT_EQ(m.desc, &kRows[0]);
  // Both layouts of T_IOC_MAKE resolve to their own row.
  EXPECT_EQ(find_by_request(kTable, _IOWR('T', 2, MakeArgsV1)).desc, &kRows[1]);
  EXPECT_EQ(find_by_request(kTable, _IOWR('T', 2, MakeArgsV2)).desc, &kRows[2]);
  // High bits above the 32-bit cmd are ignored, like the kernel's unsigned int cmd.
  EXPECT_EQ(find_by_request(kTable, 0xFFFFFFFF00000000ul | _IOR('T', 1, VersionArgs)).desc,
            &kRows[0]);
}

TEST(IoctlDesc, FindByRequestReportsMismatchesSeparately) {
  IoctlMatch m = find_by_request(kTable, ioc(IoctlDir::kReadWrite, 'T', 2, 20));
  ASSERT_TRUE(m);
  EXPECT_FALSE(m.size_ok);
  EXPECT_TRUE(m.dir_ok);
  EXPECT_EQ(m.size, 20u);
  EXPECT_EQ(m.desc, &kRows[2]) << "the newest row of that nr is the reference";

  m = find_by_request(kTable, ioc(IoctlDir::kReadWrite, 'T', 1, 8));
  ASSERT_TRUE(m);
  EXPECT_TRUE(m.size_ok);
  EXPECT_FALSE(m.dir_ok);
  EXPECT_FALSE(m.exact());

  EXPECT_FALSE(find_by_request(kTable, _IOR('T', 0x7F, VersionArgs)));
  EXPECT_FALSE(find_by_request(kTable, _IOR('X', 1, VersionArgs))) << "magic must match";
  EXPECT_FALSE(find_by_request(kTable, 0x30000002ul));
}

TEST(IoctlDesc, FindByRequestVariableAndRaw) {
  EXPECT_TRUE(find_by_request(kTable, ioc(IoctlDir::kReadWrite, 'T', 4, 16)).exact());
  EXPECT_TRUE(find_by_request(kTable, ioc(IoctlDir::kReadWrite, 'T', 4, 16 + 3 * 8)).exact());
  EXPECT_FALSE(find_by_request(kTable, ioc(IoctlDir::kReadWrite, 'T', 4, 16 + 4)).size_ok);
  EXPECT_FALSE(find_by_request(kTable, ioc(IoctlDir::kReadWrite, 'T', 4, 8)).size_ok);
  IoctlMatch raw = find_by_request(kTable, 0x30000001ul);
  ASSERT_TRUE(raw.exact());
  EXPECT_EQ(raw.size, sizeof(RawArgs));
}

TEST(IoctlDesc, DescribeRequest) {
  EXPECT_EQ(describe_request(kTable, _IOWR('T', 2, MakeArgsV1)), "T_IOC_MAKE");
  EXPECT_EQ(describe_request(kTable, ioc(IoctlDir::kReadWrite, 'T', 2, 20)),
            "T_IOC_MAKE (size 20, expected 24)");
  EXPECT_EQ(describe_request(kTable, ioc(IoctlDir::kReadWrite, 'T', 1, 8)),
            "T_IOC_VERSION (direction _IOWR, expected _IOR)");
  EXPECT_EQ(describe_request(kTable, ioc(IoctlDir::kWrite, 'T', 1, 4)),
            "T_IOC_VERSION (size 4, expected 8; direction _IOW, expected _IOR)");
  EXPECT_EQ(describe_request(kTable, ioc(IoctlDir::kReadWrite, 'T', 4, 20)),
            "T_IOC_LIST (size 20, expected 16 + n*8)");
  EXPECT_EQ(describe_request(kTable, _IOR('T', 0x7F, VersionArgs)),
            "test ioctl 0x8008547f (unknown: type 0x54 nr 0x7f size 8)");
}

TEST(IoctlDesc, FindByNameReturnsNewest) {
  EXPECT_EQ(find_by_name(kTable, "T_IOC_MAKE"), &kRows[2]);
  EXPECT_EQ(find_by_name(kTable, "T_IOC_VERSION"), &kRows[0]);
  EXPECT_EQ(find_by_name(kTable, "T_IOC_NOPE"), nullptr);
}

TEST(IoctlDesc, ErrnoHints) {
  EXPECT_EQ(errno_hint(kTable, kRows[1], EINVAL), "kind must be T_KIND_BUFFER");
  EXPECT_EQ(errno_hint(kTable, kRows[0], EINVAL), "generic invalid");
  EXPECT_EQ(errno_hint(kTable, kRows[1], ENOTTY), "old driver");
  EXPECT_EQ(errno_hint(kTable, kRows[1], ENOMEM), "");
}

TEST(IoctlDesc, FormatInOutAll) {
  MakeArgsV2 a{0xDEAD000, 0x1 | 0x2, 1, -1, 0};
  EXPECT_EQ(format_args(kRows[2], &a, sizeof a, Phase::kIn),
            "T_IOC_MAKE{addr=0xdead000, flags=T_FLAG_READ|T_FLAG_WRITE, kind=T_KIND_BUFFER}");
  EXPECT_EQ(format_args(kRows[2], &a, sizeof a, Phase::kOut), "T_IOC_MAKE{addr=0xdead000, fd=-1}");
  EXPECT_EQ(format_args(kRows[2], &a, sizeof a, Phase::kAll),
            "T_IOC_MAKE{addr=0xdead000, flags=T_FLAG_READ|T_FLAG_WRITE, kind=T_KIND_BUFFER, "
            "fd=-1}");
  VersionArgs v{1, 17};
  EXPECT_EQ(format_args(kRows[0], &v, sizeof v, Phase::kIn), "T_IOC_VERSION{}");
  EXPECT_EQ(format_args(kRows[0], &v, sizeof v, Phase::kOut), "T_IOC_VERSION{major=1, minor=17}");
}

TEST(IoctlDesc, FormatFlagsAndEnums) {
  MakeArgsV1 a{0, 0x1 | 0x30 | 0x4 | 0x100, 9};
  EXPECT_EQ(format_args(kRows[1], &a, sizeof a, Phase::kIn),
            "T_IOC_MAKE{addr=0x0, flags=T_FLAG_READ|T_FLAG_BOTH_HIGH|T_FLAG_???|0x104, "
            "kind=0x9 /* T_KIND_??? */}");
  a.flags = 0x10;  // half of a two-bit mask is not the mask
  a.kind = 0;
  EXPECT_EQ(format_args(kRows[1], &a, sizeof a, Phase::kIn),
            "T_IOC_MAKE{addr=0x0, flags=T_FLAG_???|0x10, kind=T_KIND_NONE}");
  a.flags = 0;
  EXPECT_EQ(format_args(kRows[1], &a, sizeof a, Phase::kIn),
            "T_IOC_MAKE{addr=0x0, flags=0, kind=T_KIND_NONE}");

  std::string s;
  append_flags(s, 0x8, kFlagNames, "");
  EXPECT_EQ(s, "0x8") << "no prefix: leftover bits in hex only";
  s.clear();
  append_enum(s, 3, kKindNames, "");
  EXPECT_EQ(s, "0x3");
}

TEST(IoctlDesc, FormatPadPointerStringBytesSigned) {
  MakeArgsV2 a{0x1000, 0, 0, 3, 0xABCD};
  EXPECT_EQ(format_args(kRows[2], &a, sizeof a, Phase::kIn),
            "T_IOC_MAKE{addr=0x1000, flags=0, kind=T_KIND_NONE, pad=0xabcd}")
      << "non-zero pad is shown";

  ListArgs l{0, 2, 0};
  EXPECT_EQ(format_args(kRows[4], &l, sizeof l, Phase::kIn), "T_IOC_LIST{ptr=NULL, count=2}");
  l.ptr = 0x7fff0000;
  EXPECT_EQ(format_args(kRows[4], &l, sizeof l, Phase::kIn), "T_IOC_LIST{ptr=0x7fff0000, count=2}");

  LabelArgs lab{};
  std::memcpy(lab.name, "a\"b\\\x01", 5);
  lab.uuid[0] = 0xDE;
  lab.uuid[1] = 0xAD;
  lab.uuid[3] = 0x01;
  lab.delta = -300;
  lab.mode = 7;
  EXPECT_EQ(format_args(kRows[5], &lab, sizeof lab, Phase::kIn),
            R"(T_IOC_LABEL{name="a\"b\\\x01", uuid=[de ad 00 01], delta=-300, mode=T_MODE_ON})");
  std::memcpy(lab.name, "12345678", 8);  // no terminator inside the field
  EXPECT_EQ(format_args(kRows[5], &lab, sizeof lab, Phase::kIn),
            R"(T_IOC_LABEL{name="12345678", uuid=[de ad 00 01], delta=-300, mode=T_MODE_ON})");
}

TEST(IoctlDesc, FormatShortAndTrailingBytes) {
  MakeArgsV2 a{0x10, 1, 1, 5, 0};
  EXPECT_EQ(format_args(kRows[2], &a, 12, Phase::kIn),
            "T_IOC_MAKE{addr=0x10, flags=T_FLAG_READ, kind=?}");
  EXPECT_EQ(format_args(kRows[2], nullptr, 0, Phase::kOut), "T_IOC_MAKE{addr=?, fd=?}");
  uint8_t buf[16 + 16] = {};
  buf[8] = 2;
  EXPECT_EQ(format_args(kRows[4], buf, sizeof buf, Phase::kIn),
            "T_IOC_LIST{ptr=NULL, count=2, ...+16 bytes}");
}

TEST(IoctlDesc, FormatMarksChangedInOutFields) {
  ListArgs before{0x1000, 0, 0};
  ListArgs after{0x1000, 4, 0};
  EXPECT_EQ(format_args(kRows[4], &before, &after, sizeof after), "T_IOC_LIST{count=0 => 4}");
  EXPECT_EQ(format_args(kRows[4], &after, &after, sizeof after), "T_IOC_LIST{count=4}");
  EXPECT_EQ(format_args(kRows[4], nullptr, &after, sizeof after), "T_IOC_LIST{count=4}");
  MakeArgsV2 b{0x1, 0, 0, 0, 0}, c{0x2, 0, 0, 9, 0};
  EXPECT_EQ(format_args(kRows[2], &b, &c, sizeof c), "T_IOC_MAKE{addr=0x1 => 0x2, fd=9}")
      << "out-only fields never show an old value";
}

TEST(IoctlDesc, RawRowAndCustomPrinter) {
  RawArgs r{0, 0x51, 0};
  EXPECT_EQ(format_args(kRows[3], &r, sizeof r, Phase::kAll), "T_RAW_INIT{flags=0x0, status=0x51}");
  VersionArgs v{2, 5};
  EXPECT_EQ(format_args(kRows[6], &v, sizeof v, Phase::kOut), "T_IOC_OLD{v2.5}");
  EXPECT_EQ(format_args(kRows[6], &v, 4, Phase::kOut), "T_IOC_OLD{short}");
  EXPECT_EQ(format_args(kRows[6], &v, &v, sizeof v), "T_IOC_OLD{v2.5}");
}

TEST(IoctlDesc, TableSelfCheckPassesOnSoundTable) { EXPECT_EQ(table_problems(kTable), ""); }

TEST(IoctlDesc, TableSelfCheckFindsProblems) {
  constexpr ArgField bad_fields[] = {
      {"a", 0, 4, ArgKind::kUnsigned, ArgDir::kIn},
      {"b", 2, 4, ArgKind::kUnsigned, ArgDir::kIn},   // overlaps a
      {"a", 8, 4, ArgKind::kUnsigned, ArgDir::kIn},   // duplicate name
      {"c", 12, 3, ArgKind::kUnsigned, ArgDir::kIn},  // odd scalar size
      {"d", 14, 4, ArgKind::kHex, ArgDir::kIn},       // outside the 16-byte struct
      {"e", 6, 0, ArgKind::kBytes, ArgDir::kIn},      // zero size
  };
  const IoctlDesc rows[] = {
      {.name = "T_BAD",
       .args_type = "Bad",
       .magic = 'T',
       .nr = 1,
       .dir = IoctlDir::kRead,
       .size = 16,
       .fields = bad_fields},
      {.name = "T_DUP",
       .args_type = "Dup",
       .magic = 'T',
       .nr = 1,
       .dir = IoctlDir::kRead,
       .size = 16},
      {.name = "T_HUGE",
       .args_type = "Huge",
       .magic = 'T',
       .nr = 2,
       .dir = IoctlDir::kRead,
       .size = 20000},
  };
  const std::string p = table_problems(IoctlTable{.driver = "bad", .rows = rows});
  EXPECT_NE(p.find("T_BAD (Bad): a: overlaps b"), std::string::npos) << p;
  EXPECT_NE(p.find("a: duplicate field name"), std::string::npos) << p;
  EXPECT_NE(p.find("c: numeric field must be 1, 2, 4 or 8 bytes"), std::string::npos) << p;
  EXPECT_NE(p.find("d: lies outside the struct"), std::string::npos) << p;
  EXPECT_NE(p.find("e: zero-sized field"), std::string::npos) << p;
  EXPECT_NE(p.find("issues the same request as T_DUP (Dup)"), std::string::npos) << p;
  EXPECT_NE(p.find("T_HUGE (Huge): size or nr does not fit"), std::string::npos) << p;
}
