# tofhil firmware: CMake toolchain file for arm-none-eabi-gcc (bare-metal Cortex-M).
# Part of the tofhil validation firmware - do not edit in a generated project.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
# no operating system to link a test program against
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
find_program(CMAKE_OBJCOPY arm-none-eabi-objcopy REQUIRED)
find_program(TOFHIL_SIZE arm-none-eabi-size REQUIRED)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
