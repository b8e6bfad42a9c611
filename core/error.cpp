#include "core/error.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace rawgpu::core {

const char* error_kind_name(ErrorKind k) {
  switch (k) {
    case ErrorKind::kSys: return "system call failed";
    case ErrorKind::kDriver: return "driver error";
    case ErrorKind::kInvalidInput: return "invalid input";
    case ErrorKind::kNotFound: return "not found";
    case ErrorKind::kUnsupported: return "unsupported";
    case ErrorKind::kTimeout: return "timeout";
    case ErrorKind::kGpuFault: return "GPU fault";
    case ErrorKind::kInternal: return "internal error";
  }
  return "error";
}

const char* errno_name(int err) {
  switch (err) {
#define RAWGPU_ERRNO(e) \
  case e: return #e;
    RAWGPU_ERRNO(EPERM) RAWGPU_ERRNO(ENOENT) RAWGPU_ERRNO(ESRCH) RAWGPU_ERRNO(EINTR)
    RAWGPU_ERRNO(EIO) RAWGPU_ERRNO(ENXIO) RAWGPU_ERRNO(E2BIG) RAWGPU_ERRNO(ENOEXEC)
    RAWGPU_ERRNO(EBADF) RAWGPU_ERRNO(ECHILD) RAWGPU_ERRNO(EAGAIN) RAWGPU_ERRNO(ENOMEM)
    RAWGPU_ERRNO(EACCES) RAWGPU_ERRNO(EFAULT) RAWGPU_ERRNO(EBUSY) RAWGPU_ERRNO(EEXIST)
    RAWGPU_ERRNO(EXDEV) RAWGPU_ERRNO(ENODEV) RAWGPU_ERRNO(ENOTDIR) RAWGPU_ERRNO(EISDIR)
    RAWGPU_ERRNO(EINVAL) RAWGPU_ERRNO(ENFILE) RAWGPU_ERRNO(EMFILE) RAWGPU_ERRNO(ENOTTY)
    RAWGPU_ERRNO(EFBIG) RAWGPU_ERRNO(ENOSPC) RAWGPU_ERRNO(ESPIPE) RAWGPU_ERRNO(EROFS)
    RAWGPU_ERRNO(EPIPE) RAWGPU_ERRNO(ERANGE) RAWGPU_ERRNO(EDEADLK) RAWGPU_ERRNO(ENAMETOOLONG)
    RAWGPU_ERRNO(ENOSYS) RAWGPU_ERRNO(ENOTEMPTY) RAWGPU_ERRNO(ELOOP) RAWGPU_ERRNO(ENODATA)
    RAWGPU_ERRNO(ETIME) RAWGPU_ERRNO(EOVERFLOW) RAWGPU_ERRNO(EBADFD) RAWGPU_ERRNO(EOPNOTSUPP)
    RAWGPU_ERRNO(ETIMEDOUT) RAWGPU_ERRNO(ECANCELED) RAWGPU_ERRNO(EHWPOISON)
#undef RAWGPU_ERRNO
    case 524: return "ENOTSUPP";  // kernel-internal, returned by KFD for unknown queue types
    default: return "E???";
  }
}

Error Error::sys(std::string op, int err, std::string hint) {
  return Error(ErrorKind::kSys, std::move(op), err, 0, {}, std::move(hint));
}
Error Error::driver(std::string op, int64_t status, std::string status_name, std::string hint) {
  return Error(ErrorKind::kDriver, std::move(op), 0, status, std::move(status_name),
               std::move(hint));
}
Error Error::invalid(std::string op, std::string hint) {
  return Error(ErrorKind::kInvalidInput, std::move(op), 0, 0, {}, std::move(hint));
}
Error Error::not_found(std::string op, std::string hint) {
  return Error(ErrorKind::kNotFound, std::move(op), 0, 0, {}, std::move(hint));
}
Error Error::unsupported(std::string op, std::string hint) {
  return Error(ErrorKind::kUnsupported, std::move(op), 0, 0, {}, std::move(hint));
}
Error Error::timeout(std::string op, std::string hint) {
  return Error(ErrorKind::kTimeout, std::move(op), ETIMEDOUT, 0, {}, std::move(hint));
}
Error Error::gpu_fault(std::string op, std::string hint) {
  return Error(ErrorKind::kGpuFault, std::move(op), 0, 0, {}, std::move(hint));
}
Error Error::internal(std::string op, std::string hint) {
  return Error(ErrorKind::kInternal, std::move(op), 0, 0, {}, std::move(hint));
}

Error& Error::context(const std::string& outer) {
  op_ = outer + ": " + op_;
  return *this;
}

std::string Error::message() const {
  std::string m = op_.empty() ? std::string(error_kind_name(kind_)) : op_;
  m += ": ";
  if (err_ != 0) {
    m += errno_name(err_);
    m += " (";
    m += std::strerror(err_);
    m += ")";
  } else if (kind_ == ErrorKind::kDriver) {
    char buf[32];
    std::snprintf(buf, sizeof buf, " (0x%llx)", static_cast<unsigned long long>(status_));
    m += "driver status ";
    m += status_name_.empty() ? std::string("?") : status_name_;
    m += buf;
  } else {
    m += error_kind_name(kind_);
  }
  if (err_ != 0 && !status_name_.empty()) {
    m += ", driver status " + status_name_;
  }
  if (!hint_.empty()) {
    m += ": ";
    m += hint_;
  }
  return m;
}

}  // namespace rawgpu::core
