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
#include <stdbool.h>
#include <stdlib.h>
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
  uint64_t size;  /* block size with header; for a big block, its mapping's */
  uint32_t info;  /* class index; for a big block, payload offset / 16 */
  uint32_t magic; /* what the block is: anything else aborts */
};
#define MAGIC_LIVE 0x5ec7a11cu
#define MAGIC_FREE 0x5ec7f4eeu
#define MAGIC_BIG 0x5ec7b16bu

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

/* A block of its own mapping, the payload aligned to ALIGN (a power of
 * two, at least 16) with the header just below it. */
static void *
big_alloc (size_t n, size_t align)
{
  if (n > SIZE_MAX / 4 || align > SIZE_MAX / 4)
    return errno = ENOMEM, NULL;
  size_t total = (n + align + HDR + 4095) & ~(size_t) 4095;
  char *m = mmap (NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED)
    return errno = ENOMEM, NULL;
  uintptr_t p = ((uintptr_t) m + HDR + align - 1) & ~(uintptr_t) (align - 1);
  struct hdr *h = (struct hdr *) p - 1;
  h->size = total;
  h->info = (uint32_t) ((p - (uintptr_t) m) >> 4);
  h->magic = MAGIC_BIG;
  return (void *) p;
}

/* Bytes left in the chunk; negative reads as none (see chunk_new). */
static intptr_t
chunk_left (void)
{
  return (intptr_t) ((uintptr_t) bump_end - (uintptr_t) bump);
}

/* Under the lock. The rest of the old chunk is left unused. Every update
 * of the allocator's state is one store, ordered so that a task killed
 * between any two of them leaves it consistent (at worst a block or a
 * chunk is lost): the vfork'd init shares this heap (see
 * sr_alloc_unlock_after_death). */
static int
chunk_new (void)
{
  char *m = mmap (NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED)
    return -1;
  bump_end = NULL; /* empty from here until both are set */
  bump = m;
  bump_end = m + CHUNK;
  return 0;
}

void
sr_alloc_unlock_after_death (void)
{
  __atomic_store_n (&lock_word, 0, __ATOMIC_RELEASE);
}

void
sr_alloc_prefault (size_t n)
{
  lock ();
  if (chunk_left () >= (intptr_t) n || chunk_new () == 0)
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
      if (h->magic != MAGIC_FREE)
        abort (); /* written to after it was freed */
      free_list[c] = *(void **) (h + 1);
    }
  else
    {
      size_t sz = class_size[c];
      if (chunk_left () < (intptr_t) sz && chunk_new () < 0)
        {
          unlock ();
          return errno = ENOMEM, NULL;
        }
      h = (struct hdr *) bump;
      bump += sz;
    }
  unlock ();
  h->size = class_size[c];
  h->info = (uint32_t) c;
  h->magic = MAGIC_LIVE;
  return h + 1;
}

/* Not malloc itself: the compiler turns malloc + memset into a call to
 * calloc, which here would call itself. */
void *
malloc (size_t n)
{
  return block_alloc (n);
}

/* The header of a live block, or abort: a double free or a header
 * overwritten by an overflow must not become a corrupt free list or an
 * unmap of someone else's memory. */
static struct hdr *
hdr_of (void *p)
{
  struct hdr *h = (struct hdr *) p - 1;
  if (h->magic == MAGIC_LIVE && h->info < NCLASS && h->size == class_size[h->info])
    return h;
  if (h->magic == MAGIC_BIG && ((size_t) h->info << 4) >= HDR
      && ((size_t) h->info << 4) < h->size && (h->size & 4095) == 0)
    return h;
  abort ();
}

static bool
is_big (const struct hdr *h)
{
  return h->magic == MAGIC_BIG;
}

void
free (void *p)
{
  struct hdr *h;
  if (p == NULL)
    return;
  h = hdr_of (p);
  if (is_big (h))
    {
      munmap ((char *) p - ((size_t) h->info << 4), h->size);
      return;
    }
  h->magic = MAGIC_FREE;
  lock ();
  *(void **) p = free_list[h->info];
  free_list[h->info] = h;
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
  if (p && !is_big (hdr_of (p)))
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
  if (is_big (h))
    return h->size - ((size_t) h->info << 4);
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
  if (n <= have && (!is_big (hdr_of (p)) || n >= have / 2))
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
