#include "detector/container/container_resolver.h"

namespace riposte::detector {
namespace {

void split_image(const std::string& image, std::string* repo, std::string* tag) {
  // "registry:5000/ns/app:1.2@sha256:..." -> repository before the last ':' that comes after
  // the last '/', digest dropped.
  std::string ref = image.substr(0, image.find('@'));
  auto slash = ref.rfind('/');
  auto colon = ref.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    *repo = ref.substr(0, colon);
    *tag = ref.substr(colon + 1);
  } else {
    *repo = ref;
    *tag = ref.empty() ? "" : "latest";
  }
}

}  // namespace

ContainerResolver::ContainerResolver(PodSource* pods, size_t max_entries,
                                     Clock::duration retry_after)
    : pods_(pods), max_entries_(max_entries), retry_after_(retry_after) {}

std::shared_ptr<const ContainerInfo> ContainerResolver::resolve(const std::string& cgroup_v2,
                                                                const std::string& cgroup_v1,
                                                                uint64_t start_ns) {
  const std::string& key = parse_container_cgroup(cgroup_v2) || cgroup_v1.empty() ? cgroup_v2
                                                                                   : cgroup_v1;
  auto now = Clock::now();
  if (auto it = cache_.find(key); it != cache_.end()) {
    if (it->second.info == nullptr || it->second.info->pod || now < it->second.retry_at) {
      return it->second.info;
    }
    if (start_ns == 0) start_ns = it->second.info->start_ns;
  }
  auto parsed = parse_container_cgroup(key);
  std::shared_ptr<const ContainerInfo> info;
  bool complete = true;
  if (parsed) info = build(*parsed, start_ns, &complete);
  // The cache only needs to hold live containers; when it overflows, start over rather than
  // track recency on every lookup.
  if (cache_.size() >= max_entries_) cache_.clear();
  cache_[key] = Cached{info, complete ? Clock::time_point::max() : now + retry_after_};
  return info;
}

std::shared_ptr<const ContainerInfo> ContainerResolver::build(const CgroupContainer& c,
                                                              uint64_t start_ns, bool* complete) {
  auto info = std::make_shared<ContainerInfo>();
  info->start_ns = start_ns;
  info->full_id = c.id;
  info->id = c.id.substr(0, 12);
  info->runtime = c.runtime;
  if (c.pod_uid.empty() || pods_ == nullptr) return info;
  auto rec = pods_->lookup(c.pod_uid);
  if (!rec) rec = pods_->lookup_container(c.id);
  if (!rec) {
    *complete = false;
    return info;
  }
  info->pod = rec->pod;
  const PodContainer* match = nullptr;
  for (const auto& pc : rec->containers) {
    if (pc.id == c.id) match = &pc;
  }
  // Without runtime ids in the pod status (not yet reported), a single-container pod is
  // still unambiguous.
  if (!match && rec->containers.size() == 1) match = &rec->containers[0];
  if (match) {
    info->name = match->name;
    info->image = match->image;
    info->privileged = match->privileged;
    split_image(match->image, &info->image_repository, &info->image_tag);
  }
  return info;
}

}  // namespace riposte::detector
