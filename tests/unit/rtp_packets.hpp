// Test helper: writes RTP fixed headers for the plugin's packet tests.
#pragma once
#include <cstdint>

// Writes a 12-byte RTP fixed header (version 2, no CSRC, no extension) into `b`.
inline void rtp_header(uint8_t* b, uint8_t pt, bool marker, uint16_t sq, uint32_t ts, uint32_t ss) {
    b[0] = 0x80;
    b[1] = static_cast<uint8_t>((marker ? 0x80 : 0) | (pt & 0x7f));
    b[2] = static_cast<uint8_t>(sq >> 8);
    b[3] = static_cast<uint8_t>(sq);
    b[4] = static_cast<uint8_t>(ts >> 24);
    b[5] = static_cast<uint8_t>(ts >> 16);
    b[6] = static_cast<uint8_t>(ts >> 8);
    b[7] = static_cast<uint8_t>(ts);
    b[8] = static_cast<uint8_t>(ss >> 24);
    b[9] = static_cast<uint8_t>(ss >> 16);
    b[10] = static_cast<uint8_t>(ss >> 8);
    b[11] = static_cast<uint8_t>(ss);
}
