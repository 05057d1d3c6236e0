/*
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, as zlib's crc32 and
 * gzip define it): the checksum of every record of the receipt queue
 * (gateway/receipt_queue.c), summed when a receipt is appended and again when
 * the sink reads it back.
 */
#ifndef VT_GW_CRC32_H
#define VT_GW_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* The CRC of p[0..n) continuing from crc (0 to start; the result of a previous call to
 * continue), so a message summed in pieces gives the same value as summed at once. */
uint32_t vt__gw_crc32(uint32_t crc, const void *p, size_t n);
/* The same with the portable table code only (the reference the carry-less multiply path is
 * tested against). */
uint32_t vt__gw_crc32_portable(uint32_t crc, const void *p, size_t n);

#endif
