/* The allocator of the musl build of secrun (configure --with-musl):
 * size classes with free lists, carved from 256 KiB chunks that are never
 * returned; blocks of 64 KiB and more are mmap'd and unmapped on free.
 *
 * Why: secrun lives for milliseconds and peaks at a few hundred KiB, and
 * musl's own allocator gives memory back eagerly: 17 munmap and madvise
 * calls in one `run`, each a TLB shootdown to the CPU the container's init
 * runs on (it shares our memory: the vfork start). Measured with it, the
 * musl build was no faster than the glibc one; with this, 1 ms faster.
 * One lock, for the start helper thread (start_helper.h). */
#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "compat.h"

#define HDR 16u
#define NCLASS 24
#define BIG_MIN (64u << 10)
#define CHUNK (256u << 10)

/* Block sizes (payload + header), 16-byte multiples. */
static const uint32_t class_size[NCLASS] = {
  32, 48, 64, 80, 96, 128, 160, 192, 256, 320, 384, 512, 768, 1024, 1536,
  2048, 3072, 4096, 6144, 8192, 12288, 16384, 32768, 65536 + HDR };

struct hdr {
  uint64_t size;  /* block size with header; for big blocks, the mapping */
  uint32_t cls;   /* class index, or NCLASS for a big block */
  uint32_t magic;
};
#define MAGIC 0x5ec7a11cu

static void *free_list[NCLASS];
static char *bump, *bump_end;
static int lock_word;

static void
lock (void)
{
  while (__atomic_exchange_n (&lock_word, 1, __ATOMIC_ACQUIRE))
    sched_yield ();
}

static void
unlock (void)
{
  __atomic_store_n (&lock_word, 0, __ATOMIC_RELEASE);
}

static int
class_of (size_t need)
{
  for (int i = 0; i < NCLASS; i++)
    if (need <= class_size[i])
      return i;
  return NCLASS;
}

static void *
big_alloc (size_t n, size_t align)
{
  size_t off = align > HDR ? align : HDR; /* payload offset, aligned */
  if (n > SIZE_MAX / 2)
    return errno = ENOMEM, NULL;
  size_t total = (n + off + 4095) & ~(size_t) 4095;
  char *m = mmap (NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED)
    return errno = ENOMEM, NULL;
  struct hdr *h = (struct hdr *) (m + off - HDR);
  h->size = total;
  h->cls = NCLASS;
  h->magic = MAGIC ^ (uint32_t) (off >> 4);
  return m + off;
}

/* Under the lock. The rest of the old chunk is left unused. */
static int
chunk_new (void)
{
  char *m = mmap (NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED)
    return -1;
  bump = m;
  bump_end = m + CHUNK;
  return 0;
}

void
sr_alloc_prefault (size_t n)
{
  lock ();
  if ((size_t) (bump_end - bump) >= n || chunk_new () == 0)
    {
      uintptr_t lo = (uintptr_t) bump & ~(uintptr_t) 4095;
      madvise ((void *) lo, (uintptr_t) bump + n - lo, MADV_POPULATE_WRITE);
    }
  unlock ();
}

static void *
block_alloc (size_t n)
{
  size_t need = n + HDR;
  int c;
  struct hdr *h;

  if (n >= BIG_MIN)
    return big_alloc (n, HDR);
  c = class_of (need);
  lock ();
  if (free_list[c])
    {
      h = free_list[c];
      free_list[c] = *(void **) (h + 1);
    }
  else
    {
      size_t sz = class_size[c];
      if ((size_t) (bump_end - bump) < sz && chunk_new () < 0)
        {
          unlock ();
          return errno = ENOMEM, NULL;
        }
      h = (struct hdr *) bump;
      bump += sz;
    }
  unlock ();
  h->size = class_size[c];
  h->cls = (uint32_t) c;
  h->magic = MAGIC;
  return h + 1;
}

/* Not malloc itself: the compiler turns malloc + memset into a call to
 * calloc, which here would call itself. */
void *
malloc (size_t n)
{
  return block_alloc (n);
}

static struct hdr *
hdr_of (void *p)
{
  return (struct hdr *) p - 1;
}

void
free (void *p)
{
  struct hdr *h;
  if (p == NULL)
    return;
  h = hdr_of (p);
  if (h->cls == NCLASS)
    {
      size_t off = (size_t) (h->magic ^ MAGIC) << 4;
      munmap ((char *) p - off, h->size);
      return;
    }
  lock ();
  *(void **) p = free_list[h->cls];
  free_list[h->cls] = h;
  unlock ();
}

void *
calloc (size_t n, size_t m)
{
  size_t t;
  void *p;
  if (__builtin_mul_overflow (n, m, &t))
    return errno = ENOMEM, NULL;
  p = block_alloc (t);
  if (p && hdr_of (p)->cls != NCLASS)
    memset (p, 0, t);
  return p; /* big blocks come zeroed from mmap */
}

size_t
malloc_usable_size (void *p)
{
  struct hdr *h;
  if (p == NULL)
    return 0;
  h = hdr_of (p);
  if (h->cls == NCLASS)
    return h->size - ((size_t) (h->magic ^ MAGIC) << 4);
  return h->size - HDR;
}

void *
realloc (void *p, size_t n)
{
  void *q;
  size_t have;
  if (p == NULL)
    return malloc (n);
  if (n == 0)
    {
      free (p);
      return NULL;
    }
  have = malloc_usable_size (p);
  if (n <= have && (hdr_of (p)->cls != NCLASS || n >= have / 2))
    return p;
  q = malloc (n);
  if (q == NULL)
    return NULL;
  memcpy (q, p, have < n ? have : n);
  free (p);
  return q;
}

void *
aligned_alloc (size_t align, size_t n)
{
  if (align == 0 || (align & (align - 1)))
    return errno = EINVAL, NULL;
  if (align <= HDR)
    return malloc (n);
  if (align > 4096)
    return errno = EINVAL, NULL;
  return big_alloc (n, align);
}

int
posix_memalign (void **out, size_t align, size_t n)
{
  void *p;
  if (align < sizeof (void *) || (align & (align - 1)))
    return EINVAL;
  p = aligned_alloc (align, n);
  if (p == NULL)
    return errno;
  *out = p;
  return 0;
}

void *
memalign (size_t align, size_t n)
{
  return aligned_alloc (align, n);
}
