// A simulated Qualcomm machine (machine.h): one SimQcomGpu per profile, its /dev/kgsl-3d<i> and
// the sysfs attributes KGSL installs (KA adreno_sysfs.c, kgsl_pwrctrl.c; sheet §1.10).
#include "sim/qcom/machine.h"

#include <cstdio>

namespace rawgpu::sim::qcom {

core::Result<std::unique_ptr<Machine>> Machine::create(const MachineOptions& options) {
  const std::string op = "sim-qcom machine";
  if (options.profiles.empty()) return core::Error::invalid(op, "needs at least one GPU profile");
  std::unique_ptr<Machine> m(new Machine());
  m->options_ = options;
  Machine* raw = m.get();
  for (size_t i = 0; i < options.profiles.size(); ++i) {
    const Profile* p = find_profile(options.profiles[i]);
    if (p == nullptr)
      return core::Error::unsupported(
          op, "no Adreno profile '" + options.profiles[i] + "' (have " + profile_names() + ")");
    auto g = std::make_unique<SimQcomGpu>();
    g->profile = p;
    g->index = static_cast<uint32_t>(i);
    g->node = "kgsl-3d" + std::to_string(i);
    RAWGPU_ASSIGN(std::shared_ptr<Bo> ms, Bo::create(kMemstoreSize, g->node + " memstore"));
    g->memstore = ms;
    g->cp = std::make_unique<CommandProcessor>(*p, g->node,
                                               [raw](std::string l) { raw->log(std::move(l)); });
    m->gpus_.push_back(std::move(g));
  }
  SimSys& sys = m->sys_;
  for (const auto& g : m->gpus_) {
    sys.add_node("/dev/" + g->node, make_kgsl_node(raw, g.get()));
    const std::string d = "/sys/class/kgsl/" + g->node + "/";
    sys.add_file(d + "gpu_model", std::string(g->profile->gpu_model) + "\n");
    sys.add_file(d + "reset_count", "0\n");
    sys.add_file(d + "idle_timer", "80\n");
    sys.add_file(d + "max_pwrlevel", "0\n");
    sys.add_file(d + "min_pwrlevel", "5\n");
    sys.add_file(d + "force_clk_on", "0\n");
    sys.add_file(d + "ft_long_ib_detect", "1\n");
    char chip[32];
    std::snprintf(chip, sizeof chip, "0x%08x\n", g->profile->chip.chip_id);
    sys.add_file(d + "chipid", chip);
    sys.add_file(d + "dispatch/drawobj_timeout", "2000\n");
    sys.add_file(d + "dispatch/context_drawqueue_size", "50\n");
    sys.add_file(d + "dispatch/context_queue_wait", "10000\n");
  }
  return m;
}

Machine::~Machine() = default;

std::vector<std::string> Machine::kernel_log() const {
  std::lock_guard lk(log_mu_);
  return log_;
}

void Machine::log(std::string line) {
  std::lock_guard lk(log_mu_);
  log_.push_back(std::move(line));
}

}  // namespace rawgpu::sim::qcom
