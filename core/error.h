// rawgpu — the one error type and the Result<T> that carries it.
//
// Every failure is built where it is seen and carries, as separate fields:
//   op      the operation, named as the driver names it ("AMDKFD_IOC_CREATE_QUEUE",
//           "NV_ESC_RM_CONTROL NV2080_CTRL_CMD_GR_GET_INFO", "open /dev/kfd", "elf: section 3")
//   err     the errno (0 when the failure is not a system-call failure)
//   status  the driver's in-band status when there is one (NV_ERR_*, KGSL/KFD codes), with its
//           name in status_name; 0 / "" otherwise
//   hint    one sentence a user can act on
// Error values are cheap to move and are never thrown by the library.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace rawgpu::core {

enum class ErrorKind : uint8_t {
  kSys,          // a system call failed (err holds errno)
  kDriver,       // the driver answered with an in-band failure status
  kInvalidInput, // malformed input: a code object, trace, name, file
  kNotFound,     // a device, file, symbol or node that does not exist
  kUnsupported,  // a part, driver version or feature we refuse rather than guess
  kTimeout,      // a wait ran out of time
  kGpuFault,     // the GPU reported a fault (page fault, illegal instruction, hung queue)
  kInternal,     // a broken invariant inside rawgpu
};

const char* error_kind_name(ErrorKind k);

class [[nodiscard]] Error {
 public:
  Error() = default;
  Error(ErrorKind kind, std::string op, int err, int64_t status, std::string status_name,
        std::string hint)
      : kind_(kind), op_(std::move(op)), err_(err), status_(status),
        status_name_(std::move(status_name)), hint_(std::move(hint)) {}

  // A system call failed with errno `err`.
  static Error sys(std::string op, int err, std::string hint = {});
  // The driver returned in-band status `status` (named `status_name`) for `op`.
  static Error driver(std::string op, int64_t status, std::string status_name, std::string hint);
  static Error invalid(std::string op, std::string hint);
  static Error not_found(std::string op, std::string hint);
  static Error unsupported(std::string op, std::string hint);
  static Error timeout(std::string op, std::string hint);
  static Error gpu_fault(std::string op, std::string hint);
  static Error internal(std::string op, std::string hint);

  ErrorKind kind() const { return kind_; }
  const std::string& op() const { return op_; }
  int err() const { return err_; }
  int64_t status() const { return status_; }
  const std::string& status_name() const { return status_name_; }
  const std::string& hint() const { return hint_; }

  // Prepends context to the operation: "open sim-amd:0: " + op.
  Error& context(const std::string& outer);

  // "AMDKFD_IOC_CREATE_QUEUE: EINVAL (Invalid argument): ring size must be a power of two"
  // "NV_ESC_RM_ALLOC NV01_MEMORY_LOCAL_USER: driver status NV_ERR_NO_MEMORY (0x51): free buffers"
  std::string message() const;

 private:
  ErrorKind kind_ = ErrorKind::kInternal;
  std::string op_;
  int err_ = 0;
  int64_t status_ = 0;
  std::string status_name_;
  std::string hint_;
};

// Symbolic errno name ("EINVAL"); "E???" for unknown values. Never allocates.
const char* errno_name(int err);

// Result<T>: either a T or an Error. Result<void> carries only success or an Error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T v) : v_(std::in_place_index<0>, std::move(v)) {}  // NOLINT(implicit)
  Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}      // NOLINT(implicit)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }

  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error e) : err_(std::move(e)), ok_(false) {}  // NOLINT(implicit)

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& { return err_; }
  Error&& error() && { return std::move(err_); }

 private:
  Error err_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace rawgpu::core

// Early-return helpers: RAWGPU_TRY(expr) returns the error of a failed Result/Status;
// RAWGPU_ASSIGN(var, expr) declares `var` from a successful Result<T>.
#define RAWGPU_CONCAT_INNER(a, b) a##b
#define RAWGPU_CONCAT(a, b) RAWGPU_CONCAT_INNER(a, b)
#define RAWGPU_TRY(expr)                                   \
  do {                                                     \
    auto&& rawgpu_try_r_ = (expr);                         \
    if (!rawgpu_try_r_.ok()) return std::move(rawgpu_try_r_).error(); \
  } while (0)
#define RAWGPU_ASSIGN_IMPL(tmp, var, expr)                 \
  auto tmp = (expr);                                       \
  if (!tmp.ok()) return std::move(tmp).error();            \
  var = std::move(tmp).value()
#define RAWGPU_ASSIGN(var, expr) \
  RAWGPU_ASSIGN_IMPL(RAWGPU_CONCAT(rawgpu_assign_r_, __LINE__), var, expr)
