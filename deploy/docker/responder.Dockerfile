# riposte-responder image. Build from the repository root:
#   docker build -f deploy/docker/responder.Dockerfile -t riposte/responder:0.1.0 .
FROM debian:bookworm AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config clang llvm libbpf-dev bpftool libelf-dev \
      zlib1g-dev libnats-dev libyaml-cpp-dev nlohmann-json3-dev libcpp-httplib-dev libssl-dev \
      libre2-dev libjemalloc-dev libgmock-dev libgtest-dev libbenchmark-dev ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The responder does not load eBPF, but the tree configures the BPF skeletons; any BTF works.
ARG VMLINUX_BTF=/sys/kernel/btf/vmlinux
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DRIPOSTE_VMLINUX_BTF=${VMLINUX_BTF} \
 && cmake --build /build --target riposte-responder riposte

FROM debian:bookworm-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libnats3.4 libyaml-cpp0.7 libcpp-httplib0.11 libssl3 libre2-9 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/bin/riposte-responder /build/bin/riposte /usr/local/bin/
COPY playbooks/ /etc/riposte/playbooks/
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/riposte-responder"]
CMD ["--playbooks", "/etc/riposte/playbooks"]
