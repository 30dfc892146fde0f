/* npy.h: just enough of NumPy's .npy format for the embedding examples: a
 * C-order array of little-endian float32 ('<f4') or int32 ('<i4'), read
 * whole and written back. Not part of Lamina; the model's own header is
 * <model>.h. */
#ifndef EMBED_NPY_H
#define EMBED_NPY_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An array read by npy_read: its rows (the first dimension), the elements
 * of each row, and the data (free it with free()). */
typedef struct {
  int64_t rows, row_size;
  void *data;
} npy_array;

/* Reads `path`, whose dtype must be `descr` ("<f4" or "<i4"). Returns 0, or
 * -1 after printing why to stderr. */
static int npy_read(const char *path, const char *descr, npy_array *a) {
  FILE *f = fopen(path, "rb");
  unsigned char head[10];
  if (!f || fread(head, 1, 10, f) != 10 || memcmp(head, "\x93NUMPY", 6) != 0 ||
      head[6] != 1) {
    fprintf(stderr, "%s: not an .npy file of format version 1\n", path);
    if (f)
      fclose(f);
    return -1;
  }
  size_t len = (size_t)head[8] | (size_t)head[9] << 8;
  char *dict = (char *)calloc(len + 1, 1);
  if (fread(dict, 1, len, f) != len || !strstr(dict, descr) ||
      strstr(dict, "'fortran_order': True")) {
    fprintf(stderr, "%s: expected a C-order array of %s\n", path, descr);
    free(dict);
    fclose(f);
    return -1;
  }
  /* 'shape': (rows, d1, d2, ...) */
  const char *s = strchr(strstr(dict, "'shape'"), '(') + 1;
  a->rows = strtoll(s, (char **)&s, 10);
  a->row_size = 1;
  while (*s == ',' && s[1] != ')') {
    a->row_size *= strtoll(s + 1, (char **)&s, 10);
  }
  free(dict);
  size_t bytes = (size_t)(a->rows * a->row_size) * 4;
  a->data = malloc(bytes ? bytes : 1);
  if (fread(a->data, 1, bytes, f) != bytes) {
    fprintf(stderr, "%s: truncated\n", path);
    free(a->data);
    fclose(f);
    return -1;
  }
  fclose(f);
  return 0;
}

/* Writes `rows` x `cols` float32 values to `path`. Returns 0 or -1. */
static int npy_write_f32(const char *path, const float *data, int64_t rows,
                         int64_t cols) {
  char dict[128];
  int n = snprintf(dict, sizeof dict,
                   "{'descr': '<f4', 'fortran_order': False, 'shape': "
                   "(%lld, %lld), }",
                   (long long)rows, (long long)cols);
  int total = 10 + n + 1;
  int pad = (64 - total % 64) % 64;
  FILE *f = fopen(path, "wb");
  if (!f)
    return -1;
  unsigned short len = (unsigned short)(n + pad + 1);
  fwrite("\x93NUMPY\x01\x00", 1, 8, f);
  fputc(len & 0xff, f);
  fputc(len >> 8, f);
  fwrite(dict, 1, (size_t)n, f);
  for (int i = 0; i < pad; ++i)
    fputc(' ', f);
  fputc('\n', f);
  size_t count = (size_t)(rows * cols);
  int ok = fwrite(data, 4, count, f) == count;
  return fclose(f) == 0 && ok ? 0 : -1;
}

#endif /* EMBED_NPY_H */
