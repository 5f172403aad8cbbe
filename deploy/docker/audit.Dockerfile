# riposte-audit image (the API server's audit webhook). Build from the repository root:
#   docker build -f deploy/docker/audit.Dockerfile -t riposte/audit:0.1.0 .
# The rules (Falco's k8s_audit_rules.yaml) come from the chart's ConfigMap (audit.rules).
FROM debian:bookworm AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config clang llvm libbpf-dev bpftool libelf-dev \
      zlib1g-dev libnats-dev libyaml-cpp-dev nlohmann-json3-dev libcpp-httplib-dev libssl-dev \
      libre2-dev libjemalloc-dev libgmock-dev libgtest-dev libbenchmark-dev ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# riposte-audit loads no eBPF, but the tree configures the BPF skeletons; any BTF works.
ARG VMLINUX_BTF=/sys/kernel/btf/vmlinux
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DRIPOSTE_VMLINUX_BTF=${VMLINUX_BTF} \
 && cmake --build /build --target riposte-audit riposte

FROM debian:bookworm-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libnats3.4 libyaml-cpp0.7 libcpp-httplib0.11 libssl3 libre2-9 libjemalloc2 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/bin/riposte-audit /build/bin/riposte /usr/local/bin/
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/riposte-audit"]
