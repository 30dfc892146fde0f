/* An LD_PRELOAD library that counts the calls to every allocation function
 * of the C library and writes the count to $ALLOC_COUNT_FILE at exit. The
 * steady-state test runs the same work in more or fewer pipeline calls and
 * compares the counts. */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static atomic_long calls;

void *malloc(size_t n) {
  atomic_fetch_add(&calls, 1);
  return __libc_malloc(n);
}
void *calloc(size_t k, size_t n) {
  atomic_fetch_add(&calls, 1);
  return __libc_calloc(k, n);
}
void *realloc(void *p, size_t n) {
  atomic_fetch_add(&calls, 1);
  return __libc_realloc(p, n);
}
void *aligned_alloc(size_t a, size_t n) {
  atomic_fetch_add(&calls, 1);
  return __libc_memalign(a, n);
}
void *memalign(size_t a, size_t n) {
  atomic_fetch_add(&calls, 1);
  return __libc_memalign(a, n);
}
int posix_memalign(void **p, size_t a, size_t n) {
  atomic_fetch_add(&calls, 1);
  *p = __libc_memalign(a, n);
  return *p ? 0 : 12; /* ENOMEM */
}

__attribute__((destructor)) static void report(void) {
  const char *path = getenv("ALLOC_COUNT_FILE");
  FILE *f = path ? fopen(path, "w") : NULL;
  if (!f)
    return;
  fprintf(f, "%ld\n", (long)atomic_load(&calls));
  fclose(f);
}
