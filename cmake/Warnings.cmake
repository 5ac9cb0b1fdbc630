# Warnings as an INTERFACE target that every project target links. -Woverloaded-virtual is left
# out: gRPC's generated callback services hide their sync overloads by design.
add_library(kp_warnings INTERFACE)
target_compile_options(kp_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Wnull-dereference -Wimplicit-fallthrough)
if(KP_WARNINGS_AS_ERRORS)
  target_compile_options(kp_warnings INTERFACE -Werror)
endif()
