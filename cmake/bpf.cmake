# riposte_bpf_skeleton(<target> <file.bpf.c>)
# Compiles one CO-RE BPF object against vmlinux.h generated from the running kernel's BTF and
# wraps it in a libbpf skeleton header (<name>.skel.h, struct <name>_bpf), exposed through an
# INTERFACE target.
find_program(BPF_CLANG NAMES clang-14 clang REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)

set(RIPOSTE_VMLINUX_BTF /sys/kernel/btf/vmlinux CACHE FILEPATH "BTF used to generate vmlinux.h")
set(RIPOSTE_BPF_GEN ${CMAKE_BINARY_DIR}/bpf-gen)
file(MAKE_DIRECTORY ${RIPOSTE_BPF_GEN})

add_custom_command(
  OUTPUT ${RIPOSTE_BPF_GEN}/vmlinux.h
  COMMAND ${BPFTOOL} btf dump file ${RIPOSTE_VMLINUX_BTF} format c > ${RIPOSTE_BPF_GEN}/vmlinux.h.tmp
  COMMAND ${CMAKE_COMMAND} -E rename ${RIPOSTE_BPF_GEN}/vmlinux.h.tmp ${RIPOSTE_BPF_GEN}/vmlinux.h
  COMMENT "Generating vmlinux.h from ${RIPOSTE_VMLINUX_BTF}"
  VERBATIM)
# Custom-command outputs are only known in the directory of a target that uses them.
add_custom_target(riposte_vmlinux DEPENDS ${RIPOSTE_BPF_GEN}/vmlinux.h)

function(riposte_bpf_skeleton target source)
  get_filename_component(name ${source} NAME_WE)
  set(obj ${RIPOSTE_BPF_GEN}/${name}.bpf.o)
  set(skel ${RIPOSTE_BPF_GEN}/${name}.skel.h)
  file(GLOB bpf_headers ${CMAKE_CURRENT_SOURCE_DIR}/*.h)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${BPF_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror
            -I${RIPOSTE_BPF_GEN} -I${CMAKE_CURRENT_SOURCE_DIR} -c ${CMAKE_CURRENT_SOURCE_DIR}/${source} -o ${obj}
    DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${source} ${bpf_headers} ${RIPOSTE_BPF_GEN}/vmlinux.h
    COMMENT "BPF ${source}"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${name}_bpf > ${skel}.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${skel}.tmp ${skel}
    DEPENDS ${obj}
    COMMENT "BPF skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${target}_gen DEPENDS ${skel})
  add_dependencies(${target}_gen riposte_vmlinux)
  add_library(${target} INTERFACE)
  add_dependencies(${target} ${target}_gen)
  target_include_directories(${target} INTERFACE ${RIPOSTE_BPF_GEN} ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(${target} INTERFACE PkgConfig::LIBBPF)
endfunction()
