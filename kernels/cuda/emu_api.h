// emu_api.h: the C entry points of the cudaemu emulator, called from Go
// (driver_emu.go). Device pointers are host addresses, passed as uintptr_t.
// Every function that can fail returns 0 on success and 1 with a message
// in err (at most errlen bytes, NUL-terminated) on failure.
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Runs kernel name over grid blocks of block threads with shared bytes of
// dynamic shared memory; args holds nargs 8-byte argument slots.
int semgan_emu_launch(const char *name, const unsigned grid[3], const unsigned block[3], unsigned shared,
                      const uint64_t *args, int nargs, char *err, int errlen);
// Allocates bytes of device memory between canary guards; 0 if out of memory.
uintptr_t semgan_emu_alloc(size_t bytes);
int semgan_emu_free(uintptr_t p, char *err, int errlen);
int semgan_emu_htod(uintptr_t dst, const void *src, size_t bytes, char *err, int errlen);
int semgan_emu_dtoh(void *dst, uintptr_t src, size_t bytes, char *err, int errlen);
int semgan_emu_dtod(uintptr_t dst, uintptr_t src, size_t bytes, char *err, int errlen);
// Sets n 32-bit words at dst to v.
int semgan_emu_memset32(uintptr_t dst, uint32_t v, size_t n, char *err, int errlen);
// Sets how long one block may run before the watchdog aborts the launch.
void semgan_emu_set_watchdog_ms(int ms);
// Threads of launches abandoned by the watchdog that have not ended yet.
int semgan_emu_runaways(void);
// Allocations not freed.
int semgan_emu_live_allocs(void);
// The kernels compiled into the emulator, by index.
int semgan_emu_kernel_total(void);
const char *semgan_emu_kernel_name(int i);

#ifdef __cplusplus
}
#endif
