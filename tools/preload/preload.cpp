// librawgpu_sim.so — the simulated kernel drivers (sim/) served to any program through libc.
//
//   LD_PRELOAD=librawgpu_sim.so rawgpu demo --device amd:0
//
// The program sees a machine with AMD KFD, NVIDIA RM/UVM and Qualcomm KGSL devices: its opens,
// ioctls and mmaps of the device nodes reach a simulated machine (sim::amd/nv/qcom::Machine)
// in this process, and its reads of the drivers' sysfs/procfs files read the simulator's. How:
//   - Machines are created on first use of a path they serve (the roots in kRoots), once each,
//     from the same profile lists as the sim-* devices (RAWGPU_SIM_AMD/NV/QCOM). Which vendors are
//     served: RAWGPU_PRELOAD_SIM ("amd,nv,qcom", the default).
//   - A machine's virtual files, links and device nodes are written into a private temporary
//     directory; path lookups of those paths (open*, fopen*, opendir, readlink*, stat family,
//     access, statx) are redirected there, so read/readdir/fstat work natively. A directory the
//     host has too (/dev) is merged: the host's entries appear as links to the originals.
//   - Opening a device node opens it in the SimSys and gives the program a real placeholder fd
//     (/dev/null, with the program's O_CLOEXEC), so fd numbers never collide. A fixed table maps
//     placeholder -> (machine, sim fd); dup/dup2/dup3/fcntl(F_DUPFD*) share the sim file, which
//     is closed when its last placeholder is.
//   - ioctl on a placeholder goes to SimSys::ioctl; fds inside the argument (fields of kind
//     core::ArgKind::kFd in the driver's one ioctl table) are translated placeholder -> sim fd on
//     the way in and back on the way out. mmap on a placeholder goes to SimSys::mmap.
//   - Everything else goes to the next definition (libc, or a sanitizer's interceptor). A
//     thread-local guard sends the calls the simulator makes while serving one (its anonymous
//     mmaps, our own file writes) straight to libc.
// The ioctl path allocates nothing and adds no system call, except for the few rows that carry
// an fd (their argument is copied like copy_from_user does).
//
// x86-64 Linux with glibc is what this is built and tested for.
#undef _FORTIFY_SOURCE  // the fortified inline open() wrappers would clash with our definitions

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/ioctl_desc.h"
#include "core/sys.h"
#include "kfd/describe.h"
#include "nv_ioctl/describe.h"
#include "qcom_kgsl/describe.h"
#include "sim/amd/machine.h"
#include "sim/nv/machine.h"
#include "sim/qcom/machine.h"

#if !defined(__linux__) || !defined(__GLIBC__)
#error "librawgpu_sim.so hooks glibc's entry points; build it on Linux with glibc"
#endif

namespace rawgpu::devices {
// The profile lists of the sim-* devices (devices/registry.cpp), shared so that amd:N under the
// preload is the same GPU as sim-amd:N.
std::vector<std::string> sim_amd_profiles();
std::vector<std::string> sim_nv_profiles();
std::vector<std::string> sim_qcom_profiles();
}  // namespace rawgpu::devices

// Exported so that core::sim_preloaded() can tell that the simulator serves this process.
extern "C" __attribute__((visibility("default"), used)) const char rawgpu_sim_preload_marker[] =
    "librawgpu_sim";

namespace rawgpu::preload {
namespace {

// ---------------------------------------------------------------------------------------------
// The next definition of each hooked function (libc's, or an interceptor's after us).

template <typename Fn>
Fn next_fn(const char* name) {
  return reinterpret_cast<Fn>(::dlsym(RTLD_NEXT, name));
}
#define RAWGPU_REAL(name, type)                              \
  static const auto real = next_fn<type>(#name);             \
  if (real == nullptr) {                                     \
    errno = ENOSYS;                                          \
  }

// Depth of calls made while serving one: those go straight to libc.
thread_local int t_depth __attribute__((tls_model("initial-exec"))) = 0;
struct Guard {
  Guard() { ++t_depth; }
  ~Guard() { --t_depth; }
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;
};

std::atomic<bool> g_shutdown{false};

// ---------------------------------------------------------------------------------------------
// Configuration and the machines.

enum Vendor : int { kAmd = 0, kNv = 1, kQcom = 2, kVendors = 3 };

struct VendorState {
  const char* name;   // in RAWGPU_PRELOAD_SIM
  const char* title;  // in messages
  std::once_flag once{};
  std::atomic<bool> ready{false};
  core::Sys* sys = nullptr;
  std::shared_ptr<void> machine;
  uint32_t nv_branch = 0;  // NVIDIA driver branch of the machine (UVM row selection)
};
VendorState g_vendors[kVendors] = {{"amd", "AMD"}, {"nv", "NVIDIA"}, {"qcom", "Qualcomm"}};

// RAWGPU_PRELOAD_SIM, parsed once: which vendors this process is served.
struct Config {
  bool enabled[kVendors] = {true, true, true};
  bool any = true;
};
const Config& config() {
  static const Config c = [] {
    Config out;
    const char* env = std::getenv("RAWGPU_PRELOAD_SIM");
    if (env == nullptr || *env == '\0') return out;
    for (bool& e : out.enabled) e = false;
    std::string_view rest(env);
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      if (item.empty()) continue;
      bool known = false;
      for (int v = 0; v < kVendors; ++v)
        if (item == g_vendors[v].name) out.enabled[v] = known = true;
      if (!known)
        std::fprintf(stderr, "librawgpu_sim: RAWGPU_PRELOAD_SIM: unknown driver '%.*s' ignored "
                             "(known: amd, nv, qcom)\n", static_cast<int>(item.size()), item.data());
    }
    out.any = out.enabled[kAmd] || out.enabled[kNv] || out.enabled[kQcom];
    return out;
  }();
  return c;
}

// Paths each machine serves: a lookup of one of them, of an ancestor directory, or of anything
// below it creates that machine. (sim/amd/kfd.cpp, sim/nv/machine.cpp, sim/qcom/machine.cpp and
// sim/qcom/kgsl.cpp register their nodes and files under these.)
struct Root {
  Vendor vendor;
  std::string_view path;  // a plain prefix: "/dev/nvidia" covers nvidia0, nvidiactl, nvidia-uvm
};
constexpr Root kRoots[] = {
    {kAmd, "/dev/kfd"},
    {kAmd, "/dev/dri/renderD"},
    {kAmd, "/sys/devices/virtual/kfd"},
    {kNv, "/dev/nvidia"},
    {kNv, "/proc/driver/nvidia"},
    {kNv, "/sys/module/nvidia"},
    {kNv, "/sys/bus/pci/devices/"},
    {kQcom, "/dev/kgsl"},
    {kQcom, "/sys/class/kgsl"},
    {kQcom, "/dev/.rawgpu-sim"},
};

bool touches(std::string_view path, std::string_view root) {
  if (path.starts_with(root)) return true;  // the root or below it
  // An ancestor directory of the root: "/dev" lists /dev/kfd.
  return path.size() > 1 && root.starts_with(path) && root[path.size()] == '/';
}

// ---------------------------------------------------------------------------------------------
// The materialized tree: what each redirected path is.

enum class Kind : uint8_t {
  kFile,   // a virtual file: redirected
  kLink,   // a virtual link: redirected
  kNode,   // a device node: opened in the SimSys; other lookups see an empty file
  kDir,    // a directory the host has too, with simulated entries: redirected to the merge
  kOwned,  // a directory only the simulator has: it and everything below it are redirected
};
struct Entry {
  Kind kind;
  Vendor vendor;
};

// Made on first use and never destroyed: hooks may run before this library's static
// constructors (another library's initializer) and after exit handlers.
struct Tree {
  std::shared_mutex mu;
  std::map<std::string, Entry, std::less<>> entries;  // sim path -> what it is
  std::string root;                                   // the temporary directory
  std::set<std::string> made_dirs;                    // sim directories created under root
  std::set<std::string> merged_dirs;                  // host directories linked into their copy
};
Tree& tree() {
  static Tree* t = new Tree;
  return *t;
}
pid_t g_root_pid = 0;
std::atomic<bool> g_any_tree{false};
// Longest temporary-directory name: normalized paths are built after this much room.
constexpr size_t kRootMax = 512;

bool host_lexists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}
bool host_is_dir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Links every entry of the host directory `dir` into its copy, so that a listing shows the host's
// entries next to the simulated ones.
void merge_host_dir(const std::string& dir) {
  if (!tree().merged_dirs.insert(dir).second) return;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  while (dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    const std::string copy = tree().root + dir + "/" + e->d_name;
    if (!host_lexists(copy)) (void)::symlink((dir + "/" + e->d_name).c_str(), copy.c_str());
  }
  ::closedir(d);
}

// Creates the directories above `path` under tree().root and records what each one is.
void make_parents(const std::string& path, Vendor v) {
  for (size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    const std::string dir = path.substr(0, slash);
    if (!tree().made_dirs.insert(dir).second) continue;
    const std::string copy = tree().root + dir;
    struct stat st;
    if (::lstat(copy.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) ::unlink(copy.c_str());  // merged
    (void)::mkdir(copy.c_str(), 0755);
    if (!host_is_dir(dir)) tree().entries.emplace(dir, Entry{Kind::kOwned, v});
  }
  // Every host directory that gains an entry it lacks is merged and redirected.
  for (size_t slash = path.rfind('/'); slash != 0 && slash != std::string::npos;
       slash = path.rfind('/', slash - 1)) {
    const std::string dir = path.substr(0, slash);
    const std::string child = path.substr(0, path.find('/', slash + 1));
    if (host_is_dir(dir) && !host_lexists(child)) {
      merge_host_dir(dir);
      tree().entries.insert_or_assign(dir, Entry{Kind::kDir, v});
    }
  }
}

// Removes a merge link standing where a simulated entry goes.
void clear_spot(const std::string& copy) {
  struct stat st;
  if (::lstat(copy.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) ::unlink(copy.c_str());
}

bool write_file(const std::string& copy, const std::string& contents, mode_t mode) {
  clear_spot(copy);
  int fd = ::open(copy.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::fchmod(fd, mode);
  ::close(fd);
  return done == contents.size();
}

// Writes the machine's tree under tree().root. Caller holds the guard.
bool materialize(Vendor v, sim::SimSys& sys, std::string& err) {
  std::unique_lock lk(tree().mu);
  if (tree().root.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/rawgpu-sim-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      err = "mkdtemp " + tmpl + ": " + std::strerror(errno);
      return false;
    }
    if (tmpl.size() >= kRootMax) {
      err = "TMPDIR is too long: " + tmpl;
      ::rmdir(tmpl.c_str());
      return false;
    }
    tree().root = tmpl;
    g_root_pid = ::getpid();
  }
  for (const std::string& p : sys.node_paths()) {
    make_parents(p, v);
    if (!write_file(tree().root + p, {}, 0666)) {
      err = "write " + tree().root + p + ": " + std::strerror(errno);
      return false;
    }
    tree().entries.insert_or_assign(p, Entry{Kind::kNode, v});
  }
  for (const auto& [p, contents] : sys.file_entries()) {
    make_parents(p, v);
    // sysfs attributes the simulator models are read-only (SimSys::open: EACCES for writes)
    if (!write_file(tree().root + p, contents, 0444)) {
      err = "write " + tree().root + p + ": " + std::strerror(errno);
      return false;
    }
    tree().entries.insert_or_assign(p, Entry{Kind::kFile, v});
  }
  for (const auto& [p, target] : sys.link_entries()) {
    make_parents(p, v);
    const std::string copy = tree().root + p;
    clear_spot(copy);
    if (::symlink(target.c_str(), copy.c_str()) != 0 && errno != EEXIST) {
      err = "symlink " + copy + ": " + std::strerror(errno);
      return false;
    }
    tree().entries.insert_or_assign(p, Entry{Kind::kLink, v});
  }
  g_any_tree.store(true, std::memory_order_release);
  return true;
}

void cleanup();

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}

// Creates vendor v's machine (once). Failures are reported on stderr and leave the host's paths.
void create(Vendor v) {
  Guard g;
  VendorState& st = g_vendors[v];
  std::vector<std::string> profiles;
  core::Result<sim::SimSys*> made = core::Error::invalid("create", "unreachable");
  switch (v) {
    case kAmd: {
      profiles = devices::sim_amd_profiles();
      auto m = sim::amd::Machine::create({.profiles = profiles});
      if (!m) {
        made = std::move(m).error();
        break;
      }
      std::shared_ptr<sim::amd::Machine> sp(std::move(m).value());
      made = &sp->sys();
      st.machine = sp;
      break;
    }
    case kNv: {
      profiles = devices::sim_nv_profiles();
      auto m = sim::nv::Machine::create({.profiles = profiles});
      if (!m) {
        made = std::move(m).error();
        break;
      }
      std::shared_ptr<sim::nv::Machine> sp(std::move(m).value());
      st.nv_branch = static_cast<uint32_t>(std::strtoul(sp->driver_version().c_str(), nullptr, 10));
      made = &sp->sys();
      st.machine = sp;
      break;
    }
    default: {
      profiles = devices::sim_qcom_profiles();
      auto m = sim::qcom::Machine::create({.profiles = profiles});
      if (!m) {
        made = std::move(m).error();
        break;
      }
      std::shared_ptr<sim::qcom::Machine> sp(std::move(m).value());
      made = &sp->sys();
      st.machine = sp;
      break;
    }
  }
  if (!made) {
    std::fprintf(stderr, "librawgpu_sim: cannot create the simulated %s machine (profiles %s): %s\n",
                 st.title, join(profiles).c_str(), made.error().message().c_str());
    return;
  }
  std::string err;
  if (!materialize(v, **made, err)) {
    std::fprintf(stderr, "librawgpu_sim: cannot set up the files of the simulated %s machine: %s\n",
                 st.title, err.c_str());
    st.machine.reset();
    return;
  }
  st.sys = *made;
  st.ready.store(true, std::memory_order_release);
  static std::once_flag exit_hook;
  std::call_once(exit_hook, [] {
    std::atexit(cleanup);
    // A forked child has the placeholders but not the machines' threads: there every call is
    // the host's (like KFD, which refuses a child the parent's process), and closing a
    // placeholder leaves the parent's simulated file alone.
    ::pthread_atfork(nullptr, nullptr, [] { g_shutdown.store(true, std::memory_order_release); });
  });
}

// Creates the machines that serve `path` (normalized, absolute).
void ensure_for(std::string_view path) {
  const Config& c = config();
  for (const Root& r : kRoots) {
    VendorState& st = g_vendors[r.vendor];
    if (!c.enabled[r.vendor] || st.ready.load(std::memory_order_acquire)) continue;
    if (touches(path, r.path)) std::call_once(st.once, create, r.vendor);
  }
}

// ---------------------------------------------------------------------------------------------
// Path routing.

// Lexical normalization of an absolute path ("//", "." and ".." resolved textually) into `out`.
bool normalize(const char* in, char* out, size_t cap, size_t& n) {
  n = 0;
  if (in == nullptr || in[0] != '/') return false;
  const char* p = in;
  while (*p != '\0') {
    while (*p == '/') ++p;
    if (*p == '\0') break;
    const char* e = p;
    while (*e != '\0' && *e != '/') ++e;
    size_t len = static_cast<size_t>(e - p);
    if (len == 1 && p[0] == '.') {
    } else if (len == 2 && p[0] == '.' && p[1] == '.') {
      while (n > 0 && out[n - 1] != '/') --n;
      if (n > 0) --n;  // the slash
    } else {
      if (n + 1 + len + 1 > cap) return false;
      out[n++] = '/';
      std::memcpy(out + n, p, len);
      n += len;
    }
    p = e;
  }
  if (n == 0) out[n++] = '/';
  out[n] = '\0';
  return true;
}

enum class Route : uint8_t { kHost, kRedirect, kServe };

// A path argument after routing: `path` is what to hand to libc (the caller's, or the copy under
// the temporary directory); for a node being opened, `sim_path` and `vendor` say what to open.
struct PathArg {
  Route route = Route::kHost;
  const char* path = nullptr;
  const char* sim_path = nullptr;
  Vendor vendor = kAmd;
  char buf[kRootMax + PATH_MAX];  // [.. root][normalized path]
};

// open=true: device nodes are served; otherwise they are looked up as their empty file.
void route_path(const char* in, PathArg& a, bool open) {
  a.path = in;
  a.route = Route::kHost;
  if (t_depth > 0 || in == nullptr || in[0] != '/' || g_shutdown.load(std::memory_order_relaxed))
    return;
  if (!config().any) return;
  char* norm = a.buf + kRootMax;
  size_t n = 0;
  if (!normalize(in, norm, PATH_MAX, n)) return;
  const std::string_view p(norm, n);
  ensure_for(p);
  if (!g_any_tree.load(std::memory_order_acquire)) return;
  std::shared_lock lk(tree().mu);
  const Entry* hit = nullptr;
  bool exact = false;
  if (auto it = tree().entries.find(p); it != tree().entries.end()) {
    hit = &it->second;
    exact = true;
  } else {
    for (size_t slash = p.find('/', 1); slash != std::string_view::npos;
         slash = p.find('/', slash + 1)) {
      auto up = tree().entries.find(p.substr(0, slash));
      if (up != tree().entries.end() && up->second.kind != Kind::kDir) {
        hit = &up->second;
        break;
      }
    }
  }
  if (hit == nullptr) return;
  char* start = norm - tree().root.size();
  std::memcpy(start, tree().root.data(), tree().root.size());
  a.path = start;
  a.sim_path = norm;
  a.vendor = hit->vendor;
  // The node itself is served; a path below it is looked up in the copy (ENOTDIR there).
  a.route = open && exact && hit->kind == Kind::kNode ? Route::kServe : Route::kRedirect;
  if (a.route == Route::kServe && !g_vendors[a.vendor].ready.load(std::memory_order_acquire))
    a.route = Route::kRedirect;
}

// ---------------------------------------------------------------------------------------------
// Placeholder fds.

constexpr int kMaxFds = 1 << 16;  // placeholders above this are refused (EMFILE)
constexpr int kMaxSlots = 4096;   // simulated files open at once

struct Slot {
  std::atomic<int> refs{0};
  bool used = false;
  Vendor vendor = kAmd;
  int sim_fd = -1;
};

std::atomic<uint32_t> g_fd[kMaxFds];  // placeholder fd -> slot index + 1 (0: not ours)
Slot g_slots[kMaxSlots];
std::mutex g_slot_mu;

Slot* slot_of(int fd) {
  if (fd < 0 || fd >= kMaxFds) return nullptr;
  const uint32_t s = g_fd[fd].load(std::memory_order_acquire);
  return s == 0 ? nullptr : &g_slots[s - 1];
}

// Unbinds fd; returns its slot (the caller drops the reference).
Slot* take(int fd) {
  if (fd < 0 || fd >= kMaxFds) return nullptr;
  const uint32_t s = g_fd[fd].exchange(0, std::memory_order_acq_rel);
  return s == 0 ? nullptr : &g_slots[s - 1];
}

void release(Slot* s) {
  if (s == nullptr || s->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  if (!g_shutdown.load(std::memory_order_acquire)) {
    Guard g;
    if (core::Sys* sys = g_vendors[s->vendor].sys) sys->close(s->sim_fd);
  }
  std::lock_guard lk(g_slot_mu);
  s->used = false;
}

// Binds a second fd to s (dup).
void share(int fd, Slot* s) {
  if (fd < 0 || fd >= kMaxFds) return;
  s->refs.fetch_add(1, std::memory_order_acq_rel);
  Slot* prev = take(fd);
  g_fd[fd].store(static_cast<uint32_t>(s - g_slots) + 1, std::memory_order_release);
  release(prev);
}

int real_close(int fd) {
  RAWGPU_REAL(close, int (*)(int));
  return real ? real(fd) : -1;
}

// A placeholder fd bound to (vendor, sim_fd); -errno on failure (the caller closes sim_fd).
int make_placeholder(Vendor v, int sim_fd, bool cloexec) {
  RAWGPU_REAL(open, int (*)(const char*, int, ...));
  if (real == nullptr) return -ENOSYS;
  const int fd = real("/dev/null", O_RDWR | (cloexec ? O_CLOEXEC : 0));
  if (fd < 0) return -errno;
  if (fd >= kMaxFds) {
    real_close(fd);
    return -EMFILE;
  }
  Slot* s = nullptr;
  {
    std::lock_guard lk(g_slot_mu);
    for (Slot& c : g_slots)
      if (!c.used) {
        s = &c;
        break;
      }
    if (s != nullptr) {
      s->used = true;
      s->vendor = v;
      s->sim_fd = sim_fd;
      s->refs.store(1, std::memory_order_release);
    }
  }
  if (s == nullptr) {
    real_close(fd);
    return -ENFILE;
  }
  g_fd[fd].store(static_cast<uint32_t>(s - g_slots) + 1, std::memory_order_release);
  return fd;
}

// Opens a node in its machine; the placeholder fd or -1/errno.
int serve_open(Vendor v, const char* sim_path, int flags, unsigned mode) {
  Guard g;
  core::Sys* sys = g_vendors[v].sys;
  const int sfd = sys->open(sim_path, flags, mode);
  if (sfd < 0) {
    errno = -sfd;
    return -1;
  }
  const int fd = make_placeholder(v, sfd, (flags & O_CLOEXEC) != 0);
  if (fd < 0) {
    sys->close(sfd);
    errno = -fd;
    return -1;
  }
  return fd;
}

// ---------------------------------------------------------------------------------------------
// ioctl.

// The one description of request `req` of vendor v's driver, when the request matches it exactly.
const core::IoctlDesc* row_for(Vendor v, unsigned long req) {
  core::IoctlMatch m;
  switch (v) {
    case kAmd: m = core::find_by_request(kfd::kfd_ioctls(), req); break;
    case kNv: m = nv::find_nv_request(req, g_vendors[kNv].nv_branch); break;
    default: m = qcom::find_kgsl_ioctl(req); break;
  }
  return m.exact() ? m.desc : nullptr;
}

bool has_fd_field(const core::IoctlDesc& d) {
  for (const core::ArgField& f : d.fields)
    if (f.kind == core::ArgKind::kFd) return true;
  return false;
}

int user_copy(void* dst, const void* src, size_t n, bool to_user) {
  iovec local{const_cast<void*>(to_user ? src : dst), n};
  iovec remote{const_cast<void*>(to_user ? dst : src), n};
  const ssize_t r = to_user ? ::process_vm_writev(::getpid(), &local, 1, &remote, 1, 0)
                            : ::process_vm_readv(::getpid(), &local, 1, &remote, 1, 0);
  return r == static_cast<ssize_t>(n) ? 0 : -EFAULT;
}

int32_t as_fd(uint64_t raw) { return static_cast<int32_t>(static_cast<uint32_t>(raw)); }

// Reads or writes one fd field of the caller's argument, as the kernel would (EFAULT-safe).
bool field_io(const core::ArgField& f, uint8_t* arg, uint64_t& value, bool write) {
  uint8_t bytes[8] = {};
  if (f.size > sizeof bytes) return false;
  const std::span<uint8_t> one(bytes, f.size);
  const core::ArgField at{.name = f.name, .offset = 0, .size = f.size, .kind = f.kind};
  if (write) {
    core::write_field(at, one, value);
    return user_copy(arg + f.offset, bytes, f.size, true) == 0;
  }
  if (user_copy(bytes, arg + f.offset, f.size, false) != 0) return false;
  value = core::read_field(at, one).value_or(0);
  return true;
}

// For arguments too large to copy (UVM_MAP_EXTERNAL_ALLOCATION_PARAMS, ~8 KiB): the fd fields are
// swapped in the caller's memory for the call and put back after it.
int ioctl_patching_in_place(Slot& s, const core::IoctlDesc& d, unsigned long req, uint8_t* arg) {
  core::Sys* sys = g_vendors[s.vendor].sys;
  constexpr size_t kMaxFdFields = 8;
  uint64_t given[kMaxFdFields] = {}, passed[kMaxFdFields] = {};
  size_t i = 0;
  for (const core::ArgField& f : d.fields) {
    if (f.kind != core::ArgKind::kFd || i == kMaxFdFields) continue;
    if (!field_io(f, arg, given[i], false)) return -EFAULT;
    passed[i] = given[i];
    Slot* o = f.dir != core::ArgDir::kOut ? slot_of(as_fd(given[i])) : nullptr;
    if (o != nullptr && o->vendor == s.vendor) {
      passed[i] = static_cast<uint32_t>(o->sim_fd);
      if (!field_io(f, arg, passed[i], true)) return -EFAULT;
    }
    ++i;
  }
  int r;
  {
    Guard g;
    r = sys->ioctl(s.sim_fd, req, arg);
  }
  i = 0;
  for (const core::ArgField& f : d.fields) {
    if (f.kind != core::ArgKind::kFd || i == kMaxFdFields) continue;
    uint64_t now = 0;
    if (field_io(f, arg, now, false) && given[i] != passed[i] &&
        (f.dir == core::ArgDir::kIn || now == passed[i]))
      (void)field_io(f, arg, given[i], true);
    ++i;
  }
  return r;
}

// An ioctl on a placeholder: SimSys::ioctl, with the argument's fd fields translated.
int serve_ioctl(Slot& s, unsigned long req, void* arg) {
  core::Sys* sys = g_vendors[s.vendor].sys;
  const core::IoctlDesc* d = row_for(s.vendor, req);
  constexpr size_t kMaxArg = 4096;
  const size_t size = d == nullptr ? 0
                      : d->encoding == core::IoctlEncoding::kRaw ? d->size
                                                                 : core::ioc_size(req);
  int r;
  if (d == nullptr || arg == nullptr || size == 0 || !has_fd_field(*d)) {
    Guard g;
    r = sys->ioctl(s.sim_fd, req, arg);
  } else if (size > kMaxArg) {
    r = ioctl_patching_in_place(s, *d, req, static_cast<uint8_t*>(arg));
  } else {
    // Like the kernel: copy the argument in, use it, copy it back; the caller's memory keeps its
    // own fd numbers for the fields it passed in.
    alignas(16) uint8_t kbuf[kMaxArg];
    if (int e = user_copy(kbuf, arg, size, false)) {
      errno = -e;
      return -1;
    }
    const std::span<uint8_t> k(kbuf, size);
    constexpr size_t kMaxFdFields = 8;
    uint64_t given[kMaxFdFields] = {}, passed[kMaxFdFields] = {};
    size_t i = 0;
    for (const core::ArgField& f : d->fields) {
      if (f.kind != core::ArgKind::kFd || i == kMaxFdFields) continue;
      const uint64_t raw = core::read_field(f, k).value_or(0);
      given[i] = passed[i] = raw;
      if (f.dir != core::ArgDir::kOut) {
        Slot* o = slot_of(as_fd(raw));
        // A placeholder of another simulated driver stays as it is: the sim rejects it (EBADF).
        if (o != nullptr && o->vendor == s.vendor) {
          passed[i] = static_cast<uint32_t>(o->sim_fd);
          core::write_field(f, k, passed[i]);
        }
      }
      ++i;
    }
    {
      Guard g;
      r = sys->ioctl(s.sim_fd, req, kbuf);
    }
    const bool copy_out = d->encoding == core::IoctlEncoding::kRaw ||
                          (static_cast<unsigned>(d->dir) & static_cast<unsigned>(core::IoctlDir::kRead));
    if (copy_out) {
      i = 0;
      for (const core::ArgField& f : d->fields) {
        if (f.kind != core::ArgKind::kFd || i == kMaxFdFields) continue;
        const uint64_t now = core::read_field(f, k).value_or(0);
        if (f.dir == core::ArgDir::kIn || now == passed[i]) {
          core::write_field(f, k, given[i]);  // the caller's own number
        } else if (r >= 0 && as_fd(now) >= sim::SimSys::kFirstFd) {
          // An fd the driver made (an exported dma-buf, an event file): give it a placeholder.
          const int fd = make_placeholder(s.vendor, as_fd(now), true);
          core::write_field(f, k, fd >= 0 ? static_cast<uint64_t>(fd) : static_cast<uint64_t>(-1));
          if (fd < 0) {
            Guard g;
            sys->close(as_fd(now));
          }
        }
        ++i;
      }
      if (int e = user_copy(arg, kbuf, size, true)) {
        errno = -e;
        return -1;
      }
    }
  }
  if (r < 0) {
    errno = -r;
    return -1;
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Device mappings (munmap of them goes to the SimSys that made them).

struct MapRange {
  uintptr_t begin = 0, end = 0;
  Vendor vendor = kAmd;
};
constexpr int kMaxRanges = 4096;
MapRange g_ranges[kMaxRanges];
int g_range_count = 0;
std::atomic<int> g_ranges_live{0};
std::mutex g_range_mu;

void add_range(uintptr_t b, size_t len, Vendor v) {
  std::lock_guard lk(g_range_mu);
  if (g_range_count == kMaxRanges) return;  // untracked: munmap goes to libc, the same thing
  g_ranges[g_range_count++] = {b, b + len, v};
  g_ranges_live.store(g_range_count, std::memory_order_release);
}

// Removes [b, e) from the tracked ranges; returns the vendor of the first overlap, or -1.
int cut_ranges(uintptr_t b, uintptr_t e) {
  std::lock_guard lk(g_range_mu);
  int vendor = -1;
  for (int i = 0; i < g_range_count;) {
    MapRange& m = g_ranges[i];
    if (m.end <= b || m.begin >= e) {
      ++i;
      continue;
    }
    if (vendor < 0) vendor = m.vendor;
    if (m.begin < b && m.end > e && g_range_count < kMaxRanges) {  // a hole in the middle
      g_ranges[g_range_count++] = {e, m.end, m.vendor};
      m.end = b;
      ++i;
    } else if (m.begin < b) {
      m.end = b;
      ++i;
    } else if (m.end > e) {
      m.begin = e;
      ++i;
    } else {
      m = g_ranges[--g_range_count];
    }
  }
  g_ranges_live.store(g_range_count, std::memory_order_release);
  return vendor;
}

// ---------------------------------------------------------------------------------------------
// Exit: the machines go before the libraries they use, the temporary files with them.

void cleanup() {
  if (g_root_pid != ::getpid()) return;  // a forked child: the files are the parent's
  ++t_depth;                             // from here on everything is the host's
  g_shutdown.store(true, std::memory_order_release);
  for (VendorState& st : g_vendors) {
    st.ready.store(false, std::memory_order_release);
    st.machine.reset();
  }
  std::error_code ec;
  std::filesystem::remove_all(tree().root, ec);
}

// fopen() mode -> open() flags.
int mode_flags(const char* mode) {
  int flags = 0;
  const bool plus = std::strchr(mode, '+') != nullptr;
  switch (mode[0]) {
    case 'r': flags = plus ? O_RDWR : O_RDONLY; break;
    case 'w': flags = (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_TRUNC; break;
    case 'a': flags = (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_APPEND; break;
    default: flags = O_RDONLY; break;
  }
  if (std::strchr(mode, 'e') != nullptr) flags |= O_CLOEXEC;
  return flags;
}

bool wants_mode(int flags) { return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE; }

}  // namespace
}  // namespace rawgpu::preload

// ---------------------------------------------------------------------------------------------
// The hooks. Each is declared under its own C++ name with the libc symbol as its assembler name,
// so that glibc's declarations (with their own exception specifications) do not clash.

using namespace rawgpu::preload;  // NOLINT

#define RAWGPU_HOOK(sym) __asm__(#sym) __attribute__((visibility("default")))

extern "C" {
int hook_open(const char* path, int flags, ...) RAWGPU_HOOK(open);
int hook_open64(const char* path, int flags, ...) RAWGPU_HOOK(open64);
int hook_openat(int dirfd, const char* path, int flags, ...) RAWGPU_HOOK(openat);
int hook_openat64(int dirfd, const char* path, int flags, ...) RAWGPU_HOOK(openat64);
int hook_open_2(const char* path, int flags) RAWGPU_HOOK(__open_2);
int hook_open64_2(const char* path, int flags) RAWGPU_HOOK(__open64_2);
int hook_openat_2(int dirfd, const char* path, int flags) RAWGPU_HOOK(__openat_2);
int hook_openat64_2(int dirfd, const char* path, int flags) RAWGPU_HOOK(__openat64_2);
FILE* hook_fopen(const char* path, const char* mode) RAWGPU_HOOK(fopen);
FILE* hook_fopen64(const char* path, const char* mode) RAWGPU_HOOK(fopen64);
int hook_fclose(FILE* f) RAWGPU_HOOK(fclose);
DIR* hook_opendir(const char* path) RAWGPU_HOOK(opendir);
ssize_t hook_readlink(const char* path, char* buf, size_t n) RAWGPU_HOOK(readlink);
ssize_t hook_readlinkat(int dirfd, const char* path, char* buf, size_t n) RAWGPU_HOOK(readlinkat);
int hook_stat(const char* path, struct stat* st) RAWGPU_HOOK(stat);
int hook_stat64(const char* path, struct stat64* st) RAWGPU_HOOK(stat64);
int hook_lstat(const char* path, struct stat* st) RAWGPU_HOOK(lstat);
int hook_lstat64(const char* path, struct stat64* st) RAWGPU_HOOK(lstat64);
int hook_fstatat(int dirfd, const char* path, struct stat* st, int flags) RAWGPU_HOOK(fstatat);
int hook_fstatat64(int dirfd, const char* path, struct stat64* st, int flags)
    RAWGPU_HOOK(fstatat64);
int hook_statx(int dirfd, const char* path, int flags, unsigned mask, struct statx* st)
    RAWGPU_HOOK(statx);
int hook_access(const char* path, int mode) RAWGPU_HOOK(access);
int hook_faccessat(int dirfd, const char* path, int mode, int flags) RAWGPU_HOOK(faccessat);
int hook_close(int fd) RAWGPU_HOOK(close);
int hook_dup(int fd) RAWGPU_HOOK(dup);
int hook_dup2(int fd, int fd2) RAWGPU_HOOK(dup2);
int hook_dup3(int fd, int fd2, int flags) RAWGPU_HOOK(dup3);
int hook_fcntl(int fd, int cmd, ...) RAWGPU_HOOK(fcntl);
int hook_fcntl64(int fd, int cmd, ...) RAWGPU_HOOK(fcntl64);
int hook_ioctl(int fd, unsigned long request, ...) RAWGPU_HOOK(ioctl);
void* hook_mmap(void* addr, size_t len, int prot, int flags, int fd, off_t off) RAWGPU_HOOK(mmap);
void* hook_mmap64(void* addr, size_t len, int prot, int flags, int fd, off_t off)
    RAWGPU_HOOK(mmap64);
int hook_munmap(void* addr, size_t len) RAWGPU_HOOK(munmap);
}

namespace {

using OpenFn = int (*)(const char*, int, ...);
using OpenatFn = int (*)(int, const char*, int, ...);

int do_open(OpenFn real, const char* path, int flags, unsigned mode) {
  PathArg a;
  route_path(path, a, true);
  if (a.route == Route::kServe) return serve_open(a.vendor, a.sim_path, flags, mode);
  if (real == nullptr) return -1;
  return real(a.path, flags, mode);
}

int do_openat(OpenatFn real, int dirfd, const char* path, int flags, unsigned mode) {
  PathArg a;
  route_path(path, a, true);
  if (a.route == Route::kServe) return serve_open(a.vendor, a.sim_path, flags, mode);
  if (real == nullptr) return -1;
  return real(dirfd, a.path, flags, mode);
}

unsigned va_mode(int flags, va_list ap) {
  return wants_mode(flags) ? va_arg(ap, unsigned) : 0u;
}

FILE* do_fopen(FILE* (*real)(const char*, const char*), const char* path, const char* mode) {
  PathArg a;
  route_path(path, a, true);
  if (a.route == Route::kServe) {
    const int fd = serve_open(a.vendor, a.sim_path, mode_flags(mode), 0666);
    if (fd < 0) return nullptr;
    FILE* f = ::fdopen(fd, mode);
    if (f == nullptr) {
      const int e = errno;
      hook_close(fd);
      errno = e;
    }
    return f;
  }
  return real ? real(a.path, mode) : nullptr;
}

int do_fcntl(int (*real)(int, int, ...), int fd, int cmd, void* arg) {
  if (real == nullptr) return -1;
  const int r = real(fd, cmd, arg);
  if (r >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
    if (Slot* s = slot_of(fd)) share(r, s);
  return r;
}

void* do_mmap(void* addr, size_t len, int prot, int flags, int fd, off_t off) {
  if (fd >= 0 && (flags & MAP_ANONYMOUS) == 0 && t_depth == 0) {
    if (Slot* s = slot_of(fd); s != nullptr && !g_shutdown.load(std::memory_order_acquire)) {
      rawgpu::core::MapResult m;
      {
        Guard g;
        m = g_vendors[s->vendor].sys->mmap(addr, len, prot, flags, s->sim_fd, off);
      }
      if (m.addr == nullptr) {
        errno = m.err;
        return MAP_FAILED;
      }
      add_range(reinterpret_cast<uintptr_t>(m.addr), len, s->vendor);
      return m.addr;
    }
  }
  RAWGPU_REAL(mmap, void* (*)(void*, size_t, int, int, int, off_t));
  return real ? real(addr, len, prot, flags, fd, off) : MAP_FAILED;
}

}  // namespace

extern "C" {

int hook_open(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const unsigned mode = va_mode(flags, ap);
  va_end(ap);
  RAWGPU_REAL(open, OpenFn);
  return do_open(real, path, flags, mode);
}
int hook_open64(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const unsigned mode = va_mode(flags, ap);
  va_end(ap);
  RAWGPU_REAL(open64, OpenFn);
  return do_open(real, path, flags, mode);
}
int hook_openat(int dirfd, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const unsigned mode = va_mode(flags, ap);
  va_end(ap);
  RAWGPU_REAL(openat, OpenatFn);
  return do_openat(real, dirfd, path, flags, mode);
}
int hook_openat64(int dirfd, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const unsigned mode = va_mode(flags, ap);
  va_end(ap);
  RAWGPU_REAL(openat64, OpenatFn);
  return do_openat(real, dirfd, path, flags, mode);
}
int hook_open_2(const char* path, int flags) {
  RAWGPU_REAL(open, OpenFn);
  return do_open(real, path, flags, 0);
}
int hook_open64_2(const char* path, int flags) {
  RAWGPU_REAL(open64, OpenFn);
  return do_open(real, path, flags, 0);
}
int hook_openat_2(int dirfd, const char* path, int flags) {
  RAWGPU_REAL(openat, OpenatFn);
  return do_openat(real, dirfd, path, flags, 0);
}
int hook_openat64_2(int dirfd, const char* path, int flags) {
  RAWGPU_REAL(openat64, OpenatFn);
  return do_openat(real, dirfd, path, flags, 0);
}

FILE* hook_fopen(const char* path, const char* mode) {
  RAWGPU_REAL(fopen, FILE* (*)(const char*, const char*));
  return do_fopen(real, path, mode);
}
FILE* hook_fopen64(const char* path, const char* mode) {
  RAWGPU_REAL(fopen64, FILE* (*)(const char*, const char*));
  return do_fopen(real, path, mode);
}
int hook_fclose(FILE* f) {
  RAWGPU_REAL(fclose, int (*)(FILE*));
  if (real == nullptr) return EOF;
  // fclose closes the fd inside libc, past our close(): unbind a placeholder first.
  Slot* s = f != nullptr ? take(::fileno(f)) : nullptr;
  const int r = real(f);
  release(s);
  return r;
}

DIR* hook_opendir(const char* path) {
  PathArg a;
  route_path(path, a, false);
  RAWGPU_REAL(opendir, DIR* (*)(const char*));
  return real ? real(a.path) : nullptr;
}

ssize_t hook_readlink(const char* path, char* buf, size_t n) {
  PathArg a;
  route_path(path, a, false);
  RAWGPU_REAL(readlink, ssize_t (*)(const char*, char*, size_t));
  return real ? real(a.path, buf, n) : -1;
}
ssize_t hook_readlinkat(int dirfd, const char* path, char* buf, size_t n) {
  PathArg a;
  route_path(path, a, false);
  RAWGPU_REAL(readlinkat, ssize_t (*)(int, const char*, char*, size_t));
  return real ? real(dirfd, a.path, buf, n) : -1;
}

int hook_stat(const char* path, struct stat* st) {
  PathArg a;
  route_path(path, a, false);
  RAWGPU_REAL(stat, int (*)(const char*, struct stat*));
  return real ? real(a.path, st) : -1;
}
int hook_stat64(const char* path, struct stat64* st) {
  PathArg a;
  route_path(path, a, false);
  RAWGPU_REAL(stat64, int (*)(const char*, struct stat64*));
  return real ? real(a.path, st) : -1;
}
int hook_lstat(const char* path, struct stat* st) {
  PathArg a;
  route_path(path, a, false);
  RAWGPU_REAL(lstat, int (*)(const char*, struct stat*));
  return real ? real(a.path, st) : -1;
}
int hook_lstat64(const char* path, struct stat64* st) {
  PathArg a;
  route_path(path, a, false);
  RAWGPU_REAL(lstat64, int (*)(const char*, struct stat64*));
  return real ? real(a.path, st) : -1;
}
int hook_fstatat(int dirfd, const char* path, struct stat* st, int flags) {
  PathArg a;
  route_path(path, a, false);
  RAWGPU_REAL(fstatat, int (*)(int, const char*, struct stat*, int));
  return real ? real(dirfd, a.path, st, flags) : -1;
}
int hook_fstatat64(int dirfd, const char* path, struct stat64* st, int flags) {
  PathArg a;
  route_path(path, a, false);
  RAWGPU_REAL(fstatat64, int (*)(int, const char*, struct stat64*, int));
  return real ? real(dirfd, a.path, st, flags) : -1;
}
int hook_statx(int dirfd, const char* path, int flags, unsigned mask, struct statx* st) {
  PathArg a;
  route_path(path, a, false);
  RAWGPU_REAL(statx, int (*)(int, const char*, int, unsigned, struct statx*));
  return real ? real(dirfd, a.path, flags, mask, st) : -1;
}
int hook_access(const char* path, int mode) {
  PathArg a;
  route_path(path, a, false);
  RAWGPU_REAL(access, int (*)(const char*, int));
  return real ? real(a.path, mode) : -1;
}
int hook_faccessat(int dirfd, const char* path, int mode, int flags) {
  PathArg a;
  route_path(path, a, false);
  RAWGPU_REAL(faccessat, int (*)(int, const char*, int, int));
  return real ? real(dirfd, a.path, mode, flags) : -1;
}

int hook_close(int fd) {
  // Unbind before the number is free again, so that nobody else's new fd looks like ours.
  Slot* s = take(fd);
  const int r = real_close(fd);
  release(s);
  return r;
}

int hook_dup(int fd) {
  RAWGPU_REAL(dup, int (*)(int));
  if (real == nullptr) return -1;
  const int r = real(fd);
  if (r >= 0)
    if (Slot* s = slot_of(fd)) share(r, s);
  return r;
}
int hook_dup2(int fd, int fd2) {
  RAWGPU_REAL(dup2, int (*)(int, int));
  if (real == nullptr) return -1;
  const int r = real(fd, fd2);
  if (r >= 0 && fd != fd2) {
    if (Slot* s = slot_of(fd))
      share(r, s);
    else
      release(take(r));  // fd2 was closed by dup2
  }
  return r;
}
int hook_dup3(int fd, int fd2, int flags) {
  RAWGPU_REAL(dup3, int (*)(int, int, int));
  if (real == nullptr) return -1;
  const int r = real(fd, fd2, flags);
  if (r >= 0) {
    if (Slot* s = slot_of(fd))
      share(r, s);
    else
      release(take(r));
  }
  return r;
}
int hook_fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void* arg = va_arg(ap, void*);  // int or pointer: one register either way (x86-64 SysV)
  va_end(ap);
  RAWGPU_REAL(fcntl, int (*)(int, int, ...));
  return do_fcntl(real, fd, cmd, arg);
}
int hook_fcntl64(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  RAWGPU_REAL(fcntl64, int (*)(int, int, ...));
  return do_fcntl(real, fd, cmd, arg);
}

int hook_ioctl(int fd, unsigned long request, ...) {
  va_list ap;
  va_start(ap, request);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  if (Slot* s = slot_of(fd); s != nullptr && !g_shutdown.load(std::memory_order_acquire))
    return serve_ioctl(*s, request, arg);
  RAWGPU_REAL(ioctl, int (*)(int, unsigned long, ...));
  return real ? real(fd, request, arg) : -1;
}

void* hook_mmap(void* addr, size_t len, int prot, int flags, int fd, off_t off) {
  return do_mmap(addr, len, prot, flags, fd, off);
}
void* hook_mmap64(void* addr, size_t len, int prot, int flags, int fd, off_t off) {
  return do_mmap(addr, len, prot, flags, fd, off);
}

int hook_munmap(void* addr, size_t len) {
  if (g_ranges_live.load(std::memory_order_acquire) > 0 && t_depth == 0 && len > 0) {
    const auto b = reinterpret_cast<uintptr_t>(addr);
    const int v = cut_ranges(b, b + len);
    if (v >= 0 && !g_shutdown.load(std::memory_order_acquire)) {
      Guard g;
      const int r = g_vendors[v].sys->munmap(addr, len);
      if (r < 0) {
        errno = -r;
        return -1;
      }
      return 0;
    }
  }
  RAWGPU_REAL(munmap, int (*)(void*, size_t));
  return real ? real(addr, len) : -1;
}

}  // extern "C"
