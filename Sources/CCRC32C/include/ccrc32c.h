#ifndef CCRC32C_H
#define CCRC32C_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has the SSE 4.2 `crc32` instruction (x86-64), else 0.
int conduit_crc32c_hardware_available(void);

/// Continues the raw (not inverted) CRC-32C `state` over `count` bytes with the `crc32`
/// instruction. Call only when `conduit_crc32c_hardware_available()` returned 1.
uint32_t conduit_crc32c_hardware(uint32_t state, const void *bytes, size_t count);

#endif
