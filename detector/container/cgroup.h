// Maps a process's cgroup path to the container and pod that own it, following the names
// kubelet and the container runtimes give their cgroups:
//
//   cgroupfs driver   /kubepods[/<qos>]/pod<uid>/<id>              containerd, docker
//                     /kubepods[/<qos>]/pod<uid>/crio-<id>         cri-o
//   systemd driver    /kubepods.slice[/kubepods-<qos>.slice]/kubepods[-<qos>]-pod<uid_>.slice/
//                         <runtime>-<id>.scope    runtime: cri-containerd, crio, docker, libpod
//   outside k8s       /docker/<id>, /system.slice/docker-<id>.scope, /machine.slice/libpod-<id>.scope
//
// Any prefix before the kubepods component is allowed (nested kubelets, kind, cgroup
// namespaces). Pod-level cgroups, runtime helpers (crio-conmon-<id>.scope), kubelet and
// runtime services and anything whose id is not 64 hex digits are not containers.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace riposte::detector {

struct CgroupContainer {
  std::string runtime;  // containerd, cri-o, docker, podman
  std::string id;       // 64 hex digits
  std::string pod_uid;  // RFC 4122 form with dashes; empty outside Kubernetes
  std::string qos;      // guaranteed, burstable, besteffort; empty outside Kubernetes
};

std::optional<CgroupContainer> parse_container_cgroup(std::string_view path);

}  // namespace riposte::detector
