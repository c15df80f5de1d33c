/* SHA-256 against the FIPS 180-4 / NIST example vectors, the padding
 * boundaries (55, 56, 63, 64 ... bytes: one or two final blocks), and
 * chunked updates of every split giving the one-shot result. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"

static void
check_hex (const void *data, size_t len, const char *want)
{
  char hex[SR_SHA256_HEX_LEN + 1];
  sr_sha256_buf_hex (data, len, hex);
  ck_assert_str_eq (hex, want);
}

START_TEST (test_nist_vectors)
{
  check_hex ("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  check_hex ("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  check_hex (m448, strlen (m448),
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                     "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
  check_hex (m896, strlen (m896),
             "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}
END_TEST

START_TEST (test_million_a)
{
  size_t n = 1000000;
  char *a = malloc (n);
  ck_assert_ptr_nonnull (a);
  memset (a, 'a', n);
  check_hex (a, n, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  free (a);
}
END_TEST

/* Lengths around the 56-byte padding limit and the block size. */
START_TEST (test_padding_boundaries)
{
  static const struct { size_t n; const char *hex; } v[] = {
    { 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
    { 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
    { 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34" },
    { 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
    { 65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0" },
    { 119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb" },
    { 120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c" },
  };
  char a[128];
  memset (a, 'a', sizeof a);
  for (size_t i = 0; i < sizeof v / sizeof *v; i++)
    check_hex (a, v[i].n, v[i].hex);
}
END_TEST

/* Every way of cutting the input into two or three updates matches. */
START_TEST (test_chunked_updates)
{
  const char *want = "b57b64b198d5d59ce5a22a9b9f25e72a7d081476d432051aa923f3dbebb90934";
  size_t n = 256 * 1000;
  unsigned char *buf = malloc (n);
  char hex[SR_SHA256_HEX_LEN + 1];
  uint8_t d[SR_SHA256_LEN];
  sr_sha256_t s;

  ck_assert_ptr_nonnull (buf);
  for (size_t i = 0; i < n; i++)
    buf[i] = (unsigned char) i;
  check_hex (buf, n, want);
  for (size_t cut = 0; cut <= 200; cut++)
    {
      sr_sha256_init (&s);
      sr_sha256_update (&s, buf, cut);
      sr_sha256_update (&s, buf + cut, 1);
      sr_sha256_update (&s, buf + cut + 1, n - cut - 1);
      sr_sha256_final (&s, d);
      sr_sha256_hex (d, hex);
      ck_assert_str_eq (hex, want);
    }
  /* odd-sized pieces, as a decompressor hands them over */
  sr_sha256_init (&s);
  for (size_t off = 0, step = 1; off < n; off += step, step = step * 7 % 997 + 1)
    sr_sha256_update (&s, buf + off, off + step > n ? n - off : step);
  sr_sha256_final (&s, d);
  sr_sha256_hex (d, hex);
  ck_assert_str_eq (hex, want);
  free (buf);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("sha256");
  TCase *t = tcase_create ("core");
  tcase_add_test (t, test_nist_vectors);
  tcase_add_test (t, test_million_a);
  tcase_add_test (t, test_padding_boundaries);
  tcase_add_test (t, test_chunked_updates);
  suite_add_tcase (s, t);
  SRunner *r = srunner_create (s);
  srunner_run_all (r, CK_NORMAL);
  int failed = srunner_ntests_failed (r);
  srunner_free (r);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
