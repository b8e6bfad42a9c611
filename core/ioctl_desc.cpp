#include "core/ioctl_desc.h"

#include <charconv>
#include <cstring>

namespace rawgpu::core {
namespace {

constexpr unsigned long kIocMask = 0xFFFFFFFFul;  // the kernel's cmd is an unsigned int

void append_unsigned(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_signed(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_hex(std::string& out, uint64_t v) {
  char buf[20];
  auto r = std::to_chars(buf, buf + sizeof buf, v, 16);
  out += "0x";
  out.append(buf, r.ptr);
}

bool is_scalar_size(uint32_t size) { return size == 1 || size == 2 || size == 4 || size == 8; }

// Little-endian load of a 1/2/4/8-byte field.
uint64_t load(const uint8_t* p, uint32_t size) {
  uint64_t v = 0;
  std::memcpy(&v, p, size);
  return v;
}

int64_t sign_extend(uint64_t v, uint32_t size) {
  if (size >= 8) return static_cast<int64_t>(v);
  const unsigned bits = size * 8;
  const uint64_t sign = uint64_t{1} << (bits - 1);
  return static_cast<int64_t>((v ^ sign) - sign);
}

bool field_in_phase(const ArgField& f, Phase phase) {
  switch (phase) {
    case Phase::kAll: return true;
    case Phase::kIn: return f.dir != ArgDir::kOut;
    case Phase::kOut: return f.kind != ArgKind::kPad && f.dir != ArgDir::kIn;
  }
  return true;
}

bool is_zero(const uint8_t* p, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i)
    if (p[i] != 0) return false;
  return true;
}

const char* dir_name(IoctlDir d) {
  switch (d) {
    case IoctlDir::kNone: return "_IO";
    case IoctlDir::kWrite: return "_IOW";
    case IoctlDir::kRead: return "_IOR";
    case IoctlDir::kReadWrite: return "_IOWR";
  }
  return "?";
}

bool size_fits(const IoctlDesc& d, uint32_t size) {
  if (size == d.size) return true;
  return d.elem_size != 0 && size > d.size && (size - d.size) % d.elem_size == 0;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

IoctlMatch find_by_request(const IoctlTable& table, unsigned long request) {
  IoctlMatch best;
  int best_score = -1;
  const unsigned long cmd = request & kIocMask;
  for (const IoctlDesc& d : table.rows) {
    if (d.encoding == IoctlEncoding::kRaw) {
      if (request != d.nr) continue;
      return IoctlMatch{&d, d.size, true, true};
    }
    if (ioc_magic(cmd) != d.magic || ioc_nr(cmd) != d.nr) continue;
    const uint32_t size = ioc_size(cmd);
    const bool size_ok = size_fits(d, size);
    const bool dir_ok = ioc_dir(cmd) == d.dir;
    const int score = (size_ok ? 2 : 0) + (dir_ok ? 1 : 0);
    if (score >= best_score) {  // ties go to the later (newer) row
      best = IoctlMatch{&d, size, size_ok, dir_ok};
      best_score = score;
    }
  }
  return best;
}

const IoctlDesc* find_by_name(const IoctlTable& table, std::string_view name) {
  const IoctlDesc* found = nullptr;
  for (const IoctlDesc& d : table.rows)
    if (d.name == name) found = &d;
  return found;
}

std::string describe_request(const IoctlTable& table, unsigned long request) {
  const IoctlMatch m = find_by_request(table, request);
  std::string out;
  if (!m) {
    out += table.driver;
    out += " ioctl ";
    append_hex(out, request);
    out += " (unknown: type ";
    append_hex(out, ioc_magic(request & kIocMask));
    out += " nr ";
    append_hex(out, ioc_nr(request & kIocMask));
    out += " size ";
    append_unsigned(out, ioc_size(request & kIocMask));
    out += ")";
    return out;
  }
  out += m.desc->name;
  if (m.exact()) return out;
  out += " (";
  if (!m.size_ok) {
    out += "size ";
    append_unsigned(out, m.size);
    out += ", expected ";
    append_unsigned(out, m.desc->size);
    if (m.desc->elem_size != 0) {
      out += " + n*";
      append_unsigned(out, m.desc->elem_size);
    }
  }
  if (!m.dir_ok) {
    if (!m.size_ok) out += "; ";
    out += "direction ";
    out += dir_name(ioc_dir(request & kIocMask));
    out += ", expected ";
    out += dir_name(m.desc->dir);
  }
  out += ")";
  return out;
}

std::string_view errno_hint(const IoctlTable& table, const IoctlDesc& desc, int err) {
  for (const ErrnoHint& h : desc.hints)
    if (h.err == err) return h.hint;
  for (const ErrnoHint& h : table.common_hints)
    if (h.err == err) return h.hint;
  return {};
}

// ---------------------------------------------------------------------------------------------

void append_flags(std::string& out, uint64_t value, std::span<const NamedValue> names,
                  std::string_view prefix) {
  if (value == 0) {
    for (const NamedValue& nv : names) {
      if (nv.value == 0) {
        out += nv.name;
        return;
      }
    }
    out += '0';
    return;
  }
  uint64_t left = value;
  bool first = true;
  for (const NamedValue& nv : names) {
    if (nv.value == 0 || (left & nv.value) != nv.value) continue;
    if (!first) out += '|';
    out += nv.name;
    left &= ~nv.value;
    first = false;
  }
  if (left != 0) {
    if (!first) out += '|';
    if (!prefix.empty()) {
      out += prefix;
      out += "???|";
    }
    append_hex(out, left);
  }
}

void append_enum(std::string& out, uint64_t value, std::span<const NamedValue> names,
                 std::string_view prefix) {
  for (const NamedValue& nv : names) {
    if (nv.value == value) {
      out += nv.name;
      return;
    }
  }
  append_hex(out, value);
  if (!prefix.empty()) {
    out += " /* ";
    out += prefix;
    out += "??? */";
  }
}

void append_field_value(std::string& out, const ArgField& f, const uint8_t* p) {
  ArgKind kind = f.kind;
  const bool scalar = is_scalar_size(f.size);
  if (!scalar && kind != ArgKind::kString) kind = ArgKind::kBytes;
  switch (kind) {
    case ArgKind::kUnsigned: append_unsigned(out, load(p, f.size)); return;
    case ArgKind::kSigned:
    case ArgKind::kFd: append_signed(out, sign_extend(load(p, f.size), f.size)); return;
    case ArgKind::kHex:
    case ArgKind::kPad: append_hex(out, load(p, f.size)); return;
    case ArgKind::kPtr: {
      const uint64_t v = load(p, f.size);
      if (v == 0) {
        out += "NULL";
      } else {
        append_hex(out, v);
      }
      return;
    }
    case ArgKind::kEnum: append_enum(out, load(p, f.size), f.names, f.prefix); return;
    case ArgKind::kFlags: append_flags(out, load(p, f.size), f.names, f.prefix); return;
    case ArgKind::kBytes: {
      static constexpr char kDigits[] = "0123456789abcdef";
      constexpr uint32_t kMaxShown = 64;
      out += '[';
      const uint32_t shown = f.size < kMaxShown ? f.size : kMaxShown;
      for (uint32_t i = 0; i < shown; ++i) {
        if (i != 0) out += ' ';
        out += kDigits[p[i] >> 4];
        out += kDigits[p[i] & 15];
      }
      if (shown < f.size) out += " ...";
      out += ']';
      return;
    }
    case ArgKind::kString: {
      static constexpr char kDigits[] = "0123456789abcdef";
      out += '"';
      for (uint32_t i = 0; i < f.size && p[i] != 0; ++i) {
        const unsigned char c = p[i];
        if (c == '"' || c == '\\') {
          out += '\\';
          out += static_cast<char>(c);
        } else if (c >= 0x20 && c < 0x7F) {
          out += static_cast<char>(c);
        } else {
          out += "\\x";
          out += kDigits[c >> 4];
          out += kDigits[c & 15];
        }
      }
      out += '"';
      return;
    }
  }
}

void append_fields(std::string& out, const IoctlDesc& desc, std::span<const uint8_t> bytes,
                   Phase phase, const uint8_t* before) {
  bool first = true;
  auto sep = [&] {
    if (!first) out += ", ";
    first = false;
  };
  for (const ArgField& f : desc.fields) {
    if (!field_in_phase(f, phase)) continue;
    const bool present = static_cast<size_t>(f.offset) + f.size <= bytes.size();
    if (f.kind == ArgKind::kPad && (!present || is_zero(bytes.data() + f.offset, f.size))) continue;
    sep();
    out += f.name;
    out += '=';
    if (!present) {
      out += '?';
      continue;
    }
    const uint8_t* p = bytes.data() + f.offset;
    if (before != nullptr && phase == Phase::kOut && f.dir == ArgDir::kInOut &&
        std::memcmp(before + f.offset, p, f.size) != 0) {
      append_field_value(out, f, before + f.offset);
      out += " => ";
    }
    append_field_value(out, f, p);
  }
  if (bytes.size() > desc.size) {
    sep();
    out += "...+";
    append_unsigned(out, bytes.size() - desc.size);
    out += " bytes";
  }
}

std::string format_args(const IoctlDesc& desc, const void* bytes, size_t n, Phase phase) {
  std::string out;
  out.reserve(desc.name.size() + 16 + desc.fields.size() * 24);
  out += desc.name;
  out += '{';
  const std::span<const uint8_t> b(static_cast<const uint8_t*>(bytes), bytes ? n : 0);
  if (desc.printer != nullptr) {
    desc.printer(out, desc, b, phase);
  } else {
    append_fields(out, desc, b, phase);
  }
  out += '}';
  return out;
}

std::string format_args(const IoctlDesc& desc, const void* before, const void* after, size_t n) {
  if (before == nullptr || desc.printer != nullptr) return format_args(desc, after, n, Phase::kOut);
  std::string out;
  out.reserve(desc.name.size() + 16 + desc.fields.size() * 24);
  out += desc.name;
  out += '{';
  const std::span<const uint8_t> b(static_cast<const uint8_t*>(after), after ? n : 0);
  append_fields(out, desc, b, Phase::kOut, static_cast<const uint8_t*>(before));
  out += '}';
  return out;
}

// ---------------------------------------------------------------------------------------------

std::string table_problems(const IoctlTable& table) {
  std::string out;
  auto problem = [&](const IoctlDesc& d, std::string_view what) {
    out += d.name;
    out += " (";
    out += d.args_type;
    out += "): ";
    out += what;
    out += '\n';
  };
  for (size_t i = 0; i < table.rows.size(); ++i) {
    const IoctlDesc& d = table.rows[i];
    if (d.name.empty()) problem(d, "row without a name");
    if (d.encoding == IoctlEncoding::kIoc && (d.size > kIocSizeMax || d.nr > 0xFF))
      problem(d, "size or nr does not fit the _IOC encoding");
    for (size_t j = 0; j < d.fields.size(); ++j) {
      const ArgField& f = d.fields[j];
      std::string what(f.name);
      if (f.size == 0) problem(d, what + ": zero-sized field");
      if (static_cast<uint64_t>(f.offset) + f.size > d.size)
        problem(d, what + ": lies outside the struct");
      const bool numeric = f.kind != ArgKind::kBytes && f.kind != ArgKind::kString;
      if (numeric && !is_scalar_size(f.size))
        problem(d, what + ": numeric field must be 1, 2, 4 or 8 bytes");
      for (size_t k = j + 1; k < d.fields.size(); ++k) {
        const ArgField& g = d.fields[k];
        if (g.name == f.name) problem(d, what + ": duplicate field name");
        if (f.offset < g.offset + g.size && g.offset < f.offset + f.size)
          problem(d, what + ": overlaps " + std::string(g.name));
      }
    }
    for (size_t k = i + 1; k < table.rows.size(); ++k) {
      const IoctlDesc& e = table.rows[k];
      if (e.encoding == d.encoding && e.request() == d.request())
        problem(d, "issues the same request as " + std::string(e.name) + " (" +
                       std::string(e.args_type) + ")");
    }
  }
  return out;
}

}  // namespace rawgpu::core

namespace rawgpu::core {

const ArgField* find_field(const IoctlDesc& desc, std::string_view name) {
  for (const ArgField& f : desc.fields)
    if (f.name == name) return &f;
  return nullptr;
}

std::optional<uint64_t> read_field(const ArgField& field, std::span<const uint8_t> arg) {
  if (field.size == 0 || field.size > 8 || field.offset > arg.size() ||
      arg.size() - field.offset < field.size)
    return std::nullopt;
  uint64_t v = 0;
  for (uint32_t i = 0; i < field.size; ++i)
    v |= static_cast<uint64_t>(arg[field.offset + i]) << (8 * i);
  return v;
}

bool write_field(const ArgField& field, std::span<uint8_t> arg, uint64_t value) {
  if (field.size == 0 || field.size > 8 || field.offset > arg.size() ||
      arg.size() - field.offset < field.size)
    return false;
  for (uint32_t i = 0; i < field.size; ++i)
    arg[field.offset + i] = static_cast<uint8_t>(value >> (8 * i));
  return true;
}

std::optional<BufferSpan> buffer_span(const IoctlDesc& desc, const BufferRef& ref,
                                      std::span<const uint8_t> arg, uint32_t version) {
  const ArgField* ptr = find_field(desc, ref.ptr_field);
  if (!ptr) return std::nullopt;
  const std::optional<uint64_t> address = read_field(*ptr, arg);
  if (!address) return std::nullopt;
  uint64_t bytes = 0;
  if (ref.size_of) {
    bytes = ref.size_of(arg, version);
  } else {
    uint64_t count = 1;
    if (!ref.count_field.empty()) {
      const ArgField* c = find_field(desc, ref.count_field);
      if (!c) return std::nullopt;
      const std::optional<uint64_t> v = read_field(*c, arg);
      if (!v) return std::nullopt;
      count = *v;
    }
    uint64_t elem = ref.elem_size;
    if (elem == 0) {
      const ArgField* e = find_field(desc, ref.elem_size_field);
      if (!e) return std::nullopt;
      const std::optional<uint64_t> v = read_field(*e, arg);
      if (!v) return std::nullopt;
      elem = *v;
    }
    if (count != 0 && elem > kMaxNestedBuffer / count) return std::nullopt;
    bytes = count * elem;
  }
  if (bytes > kMaxNestedBuffer) return std::nullopt;
  if (*address == 0) bytes = 0;
  return BufferSpan{*address, bytes};
}

}  // namespace rawgpu::core
