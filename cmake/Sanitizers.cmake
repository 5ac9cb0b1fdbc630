# -DKP_SANITIZE=ON builds everything with ASan and UBSan.
add_library(kp_sanitizers INTERFACE)
if(KP_SANITIZE)
  target_compile_options(kp_sanitizers INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer)
  target_link_options(kp_sanitizers INTERFACE -fsanitize=address,undefined)
endif()
