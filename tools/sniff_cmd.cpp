// rawgpu sniff -o TRACE [--zstd] [--no-snapshots] -- CMD ARGS: runs CMD with librawgpu_sniff.so
// preloaded (first in LD_PRELOAD, so it sits in front of librawgpu_sim.so when that is preloaded
// already) and RAWGPU_SNIFF_OUT=TRACE, forwards CMD's exit status (or its signal), and prints one
// summary line on stderr. The library is found at $RAWGPU_SNIFF_LIB, else where the build put it,
// else in ../lib (the install layout) next to this executable.
#include <CLI/CLI.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "tools/trace/trace.h"
#include "tools/trace_commands.h"

namespace rawgpu::tools {
namespace {

struct SniffOptions {
  std::string out;
  bool zstd = false;
  bool no_snapshots = false;
  std::vector<std::string> command;
};

bool is_file(const std::string& p) {
  struct stat st {};
  return !p.empty() && ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string exe_dir() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return {};
  std::string p(buf, static_cast<size_t>(n));
  const size_t slash = p.rfind('/');
  return slash == std::string::npos ? std::string() : p.substr(0, slash);
}

// The library to preload, or "" with `why` set.
std::string find_library(std::string& why) {
  if (const char* env = std::getenv("RAWGPU_SNIFF_LIB"); env && *env) {
    if (is_file(env)) return env;
    why = std::string("RAWGPU_SNIFF_LIB names ") + env + ", which is not a file";
    return {};
  }
  std::vector<std::string> tried;
#ifdef RAWGPU_SNIFF_BUILD_LIB
  tried.push_back(RAWGPU_SNIFF_BUILD_LIB);
#endif
  const std::string dir = exe_dir();
  if (!dir.empty()) {
#ifdef RAWGPU_SNIFF_INSTALL_LIBDIR
    tried.push_back(dir + "/../" RAWGPU_SNIFF_INSTALL_LIBDIR "/librawgpu_sniff.so");
#endif
    tried.push_back(dir + "/../lib/librawgpu_sniff.so");
    tried.push_back(dir + "/sniff/librawgpu_sniff.so");
  }
  for (const std::string& p : tried)
    if (is_file(p)) return p;
  why = "librawgpu_sniff.so not found (tried";
  for (const std::string& p : tried) why += " " + p;
  why += "); set RAWGPU_SNIFF_LIB";
  return {};
}

int run_sniff(const SniffOptions& o) {
  std::string why;
  const std::string lib = find_library(why);
  if (lib.empty()) {
    std::fprintf(stderr, "rawgpu sniff: %s\n", why.c_str());
    return 2;
  }
  std::string preload = lib;
  if (const char* cur = std::getenv("LD_PRELOAD"); cur && *cur) preload += std::string(" ") + cur;

  const pid_t pid = ::fork();
  if (pid < 0) {
    std::fprintf(stderr, "rawgpu sniff: fork: %s\n", std::strerror(errno));
    return 2;
  }
  if (pid == 0) {
    ::setenv("LD_PRELOAD", preload.c_str(), 1);
    ::setenv("RAWGPU_SNIFF_OUT", o.out.c_str(), 1);
    ::unsetenv("RAWGPU_SNIFF_PID");
    if (o.zstd) ::setenv("RAWGPU_SNIFF_ZSTD", "1", 1);
    if (o.no_snapshots) ::setenv("RAWGPU_SNIFF_SNAPSHOTS", "0", 1);
    std::vector<char*> argv;
    for (const std::string& a : o.command) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    std::fprintf(stderr, "rawgpu sniff: cannot run %s: %s\n", argv[0], std::strerror(errno));
    ::_exit(127);
  }
  // The child gets the terminal's signals itself; we wait for it.
  std::signal(SIGINT, SIG_IGN);
  std::signal(SIGQUIT, SIG_IGN);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      std::fprintf(stderr, "rawgpu sniff: waitpid: %s\n", std::strerror(errno));
      return 2;
    }
  }
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGQUIT, SIG_DFL);

  uint64_t records = 0;
  uint64_t bytes = 0;
  std::string note;
  struct stat st {};
  if (::stat(o.out.c_str(), &st) == 0) bytes = static_cast<uint64_t>(st.st_size);
  auto reader = trace::TraceReader::open_file(o.out);
  if (reader.ok()) {
    while (true) {
      auto r = reader->next();
      if (!r.ok()) {
        note = ", " + r.error().message();
        break;
      }
      if (!r->has_value()) break;
    }
    records = reader->records_read();
    if (reader->truncated()) note += ", torn tail";
    else if (!reader->ended()) note += ", no END record";
  } else {
    note = ", " + reader.error().message();
  }
  std::fprintf(stderr, "rawgpu sniff: %llu records, %llu bytes -> %s%s\n",
               static_cast<unsigned long long>(records), static_cast<unsigned long long>(bytes),
               o.out.c_str(), note.c_str());

  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    std::fflush(nullptr);
    std::signal(sig, SIG_DFL);
    ::raise(sig);
    return 128 + sig;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace

void add_sniff_command(CLI::App& app) {
  auto o = std::make_shared<SniffOptions>();
  CLI::App* cmd = app.add_subcommand(
      "sniff",
      "Run a command with librawgpu_sniff.so preloaded and record its GPU driver calls (ioctls, "
      "mmaps, doorbells, submissions, memory snapshots) into a trace");
  cmd->add_option("-o,--output", o->out, "the trace file to write")->required();
  cmd->add_flag("--zstd", o->zstd, "compress the trace body with zstd");
  cmd->add_flag("--no-snapshots", o->no_snapshots, "record no MEMORY_SNAPSHOT records");
  cmd->add_option("command", o->command, "the command and its arguments (after --)")
      ->required();
  cmd->callback([o]() {
    const int rc = run_sniff(*o);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace rawgpu::tools
