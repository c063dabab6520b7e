/* Forced into every MinGW-w64 compile by toolchain-win32-x64.cmake.
 *
 * MinGW-w64 before version 11 (Debian 12 and Ubuntu 22.04 ship 10) declares
 * SetThreadInformation and ThreadPowerThrottling but not the structure that goes with them,
 * which ggml's CPU backend uses to keep Windows from parking its threads. Same layout as the
 * Windows SDK (processthreadsapi.h). */
#ifndef CMDAI_MINGW_COMPAT_H
#define CMDAI_MINGW_COMPAT_H

#include <_mingw.h>

#if defined(__MINGW64_VERSION_MAJOR) && __MINGW64_VERSION_MAJOR < 11 && !defined(THREAD_POWER_THROTTLING_CURRENT_VERSION)
typedef struct _THREAD_POWER_THROTTLING_STATE {
    unsigned long Version;
    unsigned long ControlMask;
    unsigned long StateMask;
} THREAD_POWER_THROTTLING_STATE;
#    define THREAD_POWER_THROTTLING_CURRENT_VERSION 1
#    define THREAD_POWER_THROTTLING_EXECUTION_SPEED 0x1
#endif

#endif
