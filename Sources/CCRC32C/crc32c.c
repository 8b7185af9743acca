// CRC-32C with the SSE 4.2 `crc32` instruction: about 8 bytes per cycle against the 1-2 GB/s
// of Swift's table-driven loop, which bounded how fast serve could stream a shape log.
// Only the instruction lives here; the CRC's definition (initial value, final XOR) and the
// portable fallback are in ConduitCore/Storage/CRC32C.swift.
#include "ccrc32c.h"
#include <string.h>

#if defined(__x86_64__)

int conduit_crc32c_hardware_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2") ? 1 : 0;
}

// Three independent streams would hide the instruction's 3-cycle latency; one stream already
// runs far above disk and socket speeds, so it stays simple.
__attribute__((target("sse4.2")))
uint32_t conduit_crc32c_hardware(uint32_t state, const void *bytes, size_t count) {
    const unsigned char *pointer = (const unsigned char *)bytes;
    uint64_t crc = state;
    while (count >= 8) {
        uint64_t word;
        memcpy(&word, pointer, 8);
        crc = __builtin_ia32_crc32di(crc, word);
        pointer += 8;
        count -= 8;
    }
    uint32_t crc32 = (uint32_t)crc;
    while (count > 0) {
        crc32 = __builtin_ia32_crc32qi(crc32, *pointer);
        pointer += 1;
        count -= 1;
    }
    return crc32;
}

#else

int conduit_crc32c_hardware_available(void) { return 0; }

uint32_t conduit_crc32c_hardware(uint32_t state, const void *bytes, size_t count) {
    (void)bytes;
    (void)count;
    return state;
}

#endif
