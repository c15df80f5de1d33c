/* SHA-256 (FIPS 180-4), for verifying image blobs against their digests.
 * libarchive does not hash, and pulling in a crypto library for one hash
 * would add a dependency to a security-critical binary. */
#ifndef SECRUN_SHA256_H
#define SECRUN_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SR_SHA256_LEN 32
#define SR_SHA256_HEX_LEN 64

typedef struct {
  uint32_t h[8];
  uint64_t bytes;   /* total length so far */
  uint8_t buf[64];  /* a partial block */
  size_t n;         /* bytes in buf */
} sr_sha256_t;

void sr_sha256_init (sr_sha256_t *s);
void sr_sha256_update (sr_sha256_t *s, const void *data, size_t len);
/* Writes the digest; s must be initialised again before reuse. */
void sr_sha256_final (sr_sha256_t *s, uint8_t out[SR_SHA256_LEN]);

/* Lower-case hex, NUL-terminated (hex holds 65 bytes). */
void sr_sha256_hex (const uint8_t d[SR_SHA256_LEN], char hex[SR_SHA256_HEX_LEN + 1]);
/* One-shot: the hex digest of a buffer. */
void sr_sha256_buf_hex (const void *data, size_t len, char hex[SR_SHA256_HEX_LEN + 1]);

#endif
