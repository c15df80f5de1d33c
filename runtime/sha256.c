/* SHA-256 as specified in FIPS 180-4, section 6.2. Plain and portable:
 * layer blobs are read from disk, so the hash is not the bottleneck. */
#include "sha256.h"

#include <string.h>

static const uint32_t K[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
  0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
  0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
  0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t
rotr (uint32_t x, unsigned n)
{
  return (x >> n) | (x << (32 - n));
}

/* One 512-bit block (FIPS 180-4 6.2.2). */
static void
compress (uint32_t h[8], const uint8_t *p)
{
  uint32_t w[64], a, b, c, d, e, f, g, hh;
  int t;

  for (t = 0; t < 16; t++)
    w[t] = (uint32_t) p[4 * t] << 24 | (uint32_t) p[4 * t + 1] << 16
           | (uint32_t) p[4 * t + 2] << 8 | (uint32_t) p[4 * t + 3];
  for (; t < 64; t++)
    {
      uint32_t s0 = rotr (w[t - 15], 7) ^ rotr (w[t - 15], 18) ^ (w[t - 15] >> 3);
      uint32_t s1 = rotr (w[t - 2], 17) ^ rotr (w[t - 2], 19) ^ (w[t - 2] >> 10);
      w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
  a = h[0]; b = h[1]; c = h[2]; d = h[3];
  e = h[4]; f = h[5]; g = h[6]; hh = h[7];
  for (t = 0; t < 64; t++)
    {
      uint32_t S1 = rotr (e, 6) ^ rotr (e, 11) ^ rotr (e, 25);
      uint32_t ch = (e & f) ^ (~e & g);
      uint32_t t1 = hh + S1 + ch + K[t] + w[t];
      uint32_t S0 = rotr (a, 2) ^ rotr (a, 13) ^ rotr (a, 22);
      uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
      uint32_t t2 = S0 + maj;
      hh = g; g = f; f = e; e = d + t1;
      d = c; c = b; b = a; a = t1 + t2;
    }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d;
  h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

void
sr_sha256_init (sr_sha256_t *s)
{
  static const uint32_t H0[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372,
                                  0xa54ff53a, 0x510e527f, 0x9b05688c,
                                  0x1f83d9ab, 0x5be0cd19 };
  memcpy (s->h, H0, sizeof H0);
  s->bytes = 0;
  s->n = 0;
}

void
sr_sha256_update (sr_sha256_t *s, const void *data, size_t len)
{
  const uint8_t *p = data;

  s->bytes += len;
  if (s->n > 0)
    {
      size_t take = 64 - s->n < len ? 64 - s->n : len;
      memcpy (s->buf + s->n, p, take);
      s->n += take;
      p += take;
      len -= take;
      if (s->n < 64)
        return;
      compress (s->h, s->buf);
      s->n = 0;
    }
  for (; len >= 64; p += 64, len -= 64)
    compress (s->h, p);
  memcpy (s->buf, p, len);
  s->n = len;
}

void
sr_sha256_final (sr_sha256_t *s, uint8_t out[SR_SHA256_LEN])
{
  uint64_t bits = s->bytes * 8;
  int i;

  /* Padding (5.1.1): a 1 bit, zeros, then the length as 64 bits. */
  s->buf[s->n++] = 0x80;
  if (s->n > 56)
    {
      memset (s->buf + s->n, 0, 64 - s->n);
      compress (s->h, s->buf);
      s->n = 0;
    }
  memset (s->buf + s->n, 0, 56 - s->n);
  for (i = 0; i < 8; i++)
    s->buf[56 + i] = (uint8_t) (bits >> (56 - 8 * i));
  compress (s->h, s->buf);
  for (i = 0; i < 8; i++)
    {
      out[4 * i] = (uint8_t) (s->h[i] >> 24);
      out[4 * i + 1] = (uint8_t) (s->h[i] >> 16);
      out[4 * i + 2] = (uint8_t) (s->h[i] >> 8);
      out[4 * i + 3] = (uint8_t) s->h[i];
    }
  memset (s, 0, sizeof *s);
}

void
sr_sha256_hex (const uint8_t d[SR_SHA256_LEN], char hex[SR_SHA256_HEX_LEN + 1])
{
  static const char digits[] = "0123456789abcdef";
  for (int i = 0; i < SR_SHA256_LEN; i++)
    {
      hex[2 * i] = digits[d[i] >> 4];
      hex[2 * i + 1] = digits[d[i] & 15];
    }
  hex[SR_SHA256_HEX_LEN] = '\0';
}

void
sr_sha256_buf_hex (const void *data, size_t len, char hex[SR_SHA256_HEX_LEN + 1])
{
  sr_sha256_t s;
  uint8_t d[SR_SHA256_LEN];

  sr_sha256_init (&s);
  sr_sha256_update (&s, data, len);
  sr_sha256_final (&s, d);
  sr_sha256_hex (d, hex);
}
