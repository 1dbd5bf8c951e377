# Firmware build (RPMSG_BAREMETAL=ON, usually through cmake/toolchains/cortex-*.cmake): a
# static library of the core, the bare-metal platform and only the transports and roles asked
# for, so an image links just what it uses. No OS, no malloc (a static arena), no stdio.
set(RPMSG_TRANSPORTS "virtio" CACHE STRING "Transports to build: any of virtio glink smd scp, or tiny alone")
set(RPMSG_ROLES "remote" CACHE STRING "Roles to build: remote, main or both")
set(RPMSG_ARENA_SIZE 8192 CACHE STRING "Bytes of the static arena that replaces malloc")
set(RPMSG_VRING_MAX 64 CACHE STRING "Largest vring (entries) the virtio transport accepts")

if(NOT CMAKE_BUILD_TYPE OR CMAKE_BUILD_TYPE STREQUAL "RelWithDebInfo")
  set(CMAKE_BUILD_TYPE MinSizeRel CACHE STRING "" FORCE)
endif()
add_compile_options(-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
                    -Wno-unused-parameter -ffreestanding)

set(src ${CMAKE_SOURCE_DIR}/src)

# rpmsg tiny (include/rpmsg/tiny.h): virtio's remote role with endpoints and the name
# service only, no core bus, no platform, no arena. Just src/tiny and the split ring.
if("tiny" IN_LIST RPMSG_TRANSPORTS)
  list(LENGTH RPMSG_TRANSPORTS ntransports)
  if(NOT ntransports EQUAL 1 OR NOT RPMSG_ROLES STREQUAL "remote")
    message(FATAL_ERROR "RPMSG_TRANSPORTS=tiny stands alone, with RPMSG_ROLES=remote")
  endif()
  add_library(rpmsg_static STATIC ${src}/tiny/tiny.c ${src}/virtio/vring.c)
  set_target_properties(rpmsg_static PROPERTIES OUTPUT_NAME rpmsg)
  target_include_directories(rpmsg_static PUBLIC ${CMAKE_SOURCE_DIR}/include PRIVATE ${src})
  # The application sizes struct rpmsg_tiny from these two: they are part of the interface.
  target_compile_definitions(rpmsg_static PUBLIC RPMSG_VRING_MAX=${RPMSG_VRING_MAX}
                             RPMSG_VQ_DEVICE_ONLY=1 PRIVATE RPMSG_BUILDING RPMSG_BAREMETAL=1)
  add_library(rpmsg::rpmsg ALIAS rpmsg_static)
  if(CMAKE_C_COMPILER MATCHES "arm-none-eabi")
    set(ex ${CMAKE_SOURCE_DIR}/examples/tiny)
    set(bmex ${CMAKE_SOURCE_DIR}/examples/baremetal)
    add_executable(rpmsg_fw ${ex}/main.c ${bmex}/startup.c)
    target_link_libraries(rpmsg_fw PRIVATE rpmsg_static)
    target_link_options(rpmsg_fw PRIVATE -nostartfiles --specs=nano.specs -T${bmex}/firmware.ld
                        -Wl,--gc-sections -Wl,-Map=${CMAKE_BINARY_DIR}/rpmsg_fw.map)
    set_target_properties(rpmsg_fw PROPERTIES SUFFIX ".elf" LINK_DEPENDS ${bmex}/firmware.ld)
  endif()
  return()
endif()

set(bm_sources ${src}/core/bus.c ${src}/core/channel.c ${src}/core/endpoint.c ${src}/core/ns.c
               ${src}/core/tap.c ${src}/platform/baremetal.c ${src}/platform/arena.c)
foreach(t ${RPMSG_TRANSPORTS})
  if(t STREQUAL "virtio")
    list(APPEND bm_sources ${src}/virtio/virtio_rpmsg.c ${src}/virtio/vring.c ${src}/virtio/rsc_table.c)
  elseif(t STREQUAL "glink")
    list(APPEND bm_sources ${src}/glink/glink.c ${src}/smem/smem.c)
  elseif(t STREQUAL "smd")
    list(APPEND bm_sources ${src}/smd/smd.c ${src}/smem/smem.c)
  elseif(t STREQUAL "scp")
    list(APPEND bm_sources ${src}/scp/scp.c)
  else()
    message(FATAL_ERROR "RPMSG_TRANSPORTS: unknown transport '${t}' (virtio glink smd scp)")
  endif()
endforeach()
list(REMOVE_DUPLICATES bm_sources)

if(RPMSG_ROLES STREQUAL "remote")
  set(roles RPMSG_ROLE_MAIN=0 RPMSG_ROLE_REMOTE=1)
elseif(RPMSG_ROLES STREQUAL "main")
  set(roles RPMSG_ROLE_MAIN=1 RPMSG_ROLE_REMOTE=0)
elseif(RPMSG_ROLES STREQUAL "both")
  set(roles RPMSG_ROLE_MAIN=1 RPMSG_ROLE_REMOTE=1)
else()
  message(FATAL_ERROR "RPMSG_ROLES: '${RPMSG_ROLES}' (remote, main or both)")
endif()

add_library(rpmsg_static STATIC ${bm_sources})
set_target_properties(rpmsg_static PROPERTIES OUTPUT_NAME rpmsg)
target_include_directories(rpmsg_static PUBLIC ${CMAKE_SOURCE_DIR}/include PRIVATE ${src})
target_compile_definitions(rpmsg_static PRIVATE RPMSG_BUILDING RPMSG_BAREMETAL=1
                           RPMSG_ARENA_SIZE=${RPMSG_ARENA_SIZE} RPMSG_VRING_MAX=${RPMSG_VRING_MAX} ${roles})
add_library(rpmsg::rpmsg ALIAS rpmsg_static)

# The example firmware: proves the library links into an image with nothing undefined and
# no malloc (scripts/footprint.sh checks the image and reports sizes).
if(CMAKE_C_COMPILER MATCHES "arm-none-eabi" AND "virtio" IN_LIST RPMSG_TRANSPORTS
   AND NOT RPMSG_ROLES STREQUAL "main")
  set(ex ${CMAKE_SOURCE_DIR}/examples/baremetal)
  add_executable(rpmsg_fw ${ex}/main.c ${ex}/startup.c)
  target_link_libraries(rpmsg_fw PRIVATE rpmsg_static)
  target_link_options(rpmsg_fw PRIVATE -nostartfiles --specs=nano.specs -T${ex}/firmware.ld
                      -Wl,--gc-sections -Wl,-Map=${CMAKE_BINARY_DIR}/rpmsg_fw.map)
  set_target_properties(rpmsg_fw PROPERTIES SUFFIX ".elf" LINK_DEPENDS ${ex}/firmware.ld)
endif()
