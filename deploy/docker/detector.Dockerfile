# riposte-detector image. Build from the repository root:
#   docker build -f deploy/docker/detector.Dockerfile -t riposte/detector:0.1.0 .
# The eBPF objects are CO-RE: compiled once here against the builder's BTF-derived vmlinux.h,
# relocated at load time on each node's kernel (which must expose /sys/kernel/btf/vmlinux).
FROM debian:bookworm AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config clang llvm libbpf-dev bpftool libelf-dev \
      zlib1g-dev libnats-dev libyaml-cpp-dev nlohmann-json3-dev libcpp-httplib-dev libssl-dev \
      libre2-dev libjemalloc-dev libgmock-dev libgtest-dev libbenchmark-dev ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# vmlinux.h needs a BTF file at build time; a checked-in BTF can be passed with
# --build-arg VMLINUX_BTF=/src/path when the build host has none.
ARG VMLINUX_BTF=/sys/kernel/btf/vmlinux
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DRIPOSTE_VMLINUX_BTF=${VMLINUX_BTF} \
 && cmake --build /build --target riposte-detector riposte

FROM debian:bookworm-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libbpf1 libelf1 libnats3.4 libyaml-cpp0.7 libcpp-httplib0.11 libssl3 libre2-9 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/bin/riposte-detector /build/bin/riposte /usr/local/bin/
COPY detector/default_rules/ /etc/riposte/rules/
# Root inside the container, but the DaemonSet drops every capability except the ones eBPF
# and /proc inspection need (see deploy/helm/riposte/templates/detector-daemonset.yaml).
ENTRYPOINT ["/usr/local/bin/riposte-detector"]
CMD ["--rules", "/etc/riposte/rules/riposte_rules.yaml"]
