/*  honyaku/util.h: allocation wrappers, error codes and logging shared by
    honyakud, honyaku-worker and the client library.

    Allocation never returns NULL: on out-of-memory the process aborts with
    file and line, which keeps every other call site free of OOM branches.
    Logging is levelled, goes to stderr (the journal under systemd) and is
    cheap when the level is filtered out. */
#ifndef HNY_UTIL_H
#define HNY_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Allocation: abort on failure, with the caller's file and line. */
#define hny_malloc(n)     hny_malloc_at ((n), __FILE__, __LINE__)
#define hny_calloc(n, s)  hny_calloc_at ((n), (s), __FILE__, __LINE__)
#define hny_realloc(p, n) hny_realloc_at ((p), (n), __FILE__, __LINE__)
#define hny_strdup(s)     hny_strdup_at ((s), __FILE__, __LINE__)
#define hny_strndup(s, n) hny_strndup_at ((s), (n), __FILE__, __LINE__)
void *hny_malloc_at (size_t size, const char *file, int line);
void *hny_calloc_at (size_t count, size_t size, const char *file, int line);
void *hny_realloc_at (void *ptr, size_t size, const char *file, int line);
char *hny_strdup_at (const char *s, const char *file, int line);
/* At most n bytes of s, stopping at its NUL, like strndup. */
char *hny_strndup_at (const char *s, size_t n, const char *file, int line);
/* printf into a new string; caller owns the result. */
char *hny_sprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* Free *p and set it to NULL; accepts NULL and a NULL *p. */
#define hny_free(p) do { free (*(p)); *(p) = NULL; } while (0)

/* Error codes a caller must act on. Never renumber: values travel in logs. */
typedef enum {
    HNY_OK = 0,
    HNY_E_INVALID = 1,      /* malformed input from outside */
    HNY_E_TOOBIG = 2,       /* a cap was exceeded */
    HNY_E_NOTFOUND = 3,
    HNY_E_IO = 4,           /* file, socket or database error */
    HNY_E_ENCODING = 5,     /* bytes that are not valid text */
    HNY_E_UNSUPPORTED = 6,  /* unknown command, version, format or backend */
    HNY_E_TRANSIENT = 7,    /* try again later */
    HNY_E_PERMANENT = 8,    /* will fail again the same way */
    HNY_E_TIMEOUT = 9,
    HNY_E_INTERNAL = 10
} hny_err_t;

/* A short English description of an error code; never NULL. */
const char *hny_strerror (hny_err_t err);

/* Monotonic clock in milliseconds, and wall clock in milliseconds since the epoch. */
int64_t hny_clock_mono_ms (void);
int64_t hny_clock_wall_ms (void);
/* Sleep ms milliseconds, the whole of them though signals come; nothing
   when ms <= 0. */
void hny_sleep_ms (int64_t ms);

/* Logging. Levels in increasing verbosity. */
typedef enum { HNY_LOG_ERROR = 0, HNY_LOG_WARN, HNY_LOG_INFO, HNY_LOG_DEBUG } hny_log_level_t;

/* Process-wide settings: the program name printed on each line (not copied;
   pass a string literal) and the highest level printed. Under systemd
   (JOURNAL_STREAM set) lines carry "<N>" priority prefixes instead of time stamps. */
void hny_log_init (const char *program, hny_log_level_t level);
void hny_log_set_level (hny_log_level_t level);
/* Parse "error", "warn", "info" or "debug"; returns -1 when unknown. */
int hny_log_level_parse (const char *name);
int hny_log_enabled (hny_log_level_t level);
void hny_log (hny_log_level_t level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
void hny_logv (hny_log_level_t level, const char *fmt, va_list args);

#define hny_error(...) hny_log (HNY_LOG_ERROR, __VA_ARGS__)
#define hny_warn(...)  hny_log (HNY_LOG_WARN, __VA_ARGS__)
#define hny_info(...)  do { if (hny_log_enabled (HNY_LOG_INFO)) hny_log (HNY_LOG_INFO, __VA_ARGS__); } while (0)
#define hny_debug(...) do { if (hny_log_enabled (HNY_LOG_DEBUG)) hny_log (HNY_LOG_DEBUG, __VA_ARGS__); } while (0)

/* A growing NUL-terminated string with a hard cap (curl's dynbuf "toobig").

   Every buffer states at its declaration how long it may grow, and why:
       hny_buf_t b = HNY_BUF_INIT (HNY_PAGE_META_MAX);
   max caps len (the NUL is extra). An add that would take len past max is
   refused: it returns -1, the content stays what it was, and toobig is
   set. The failure is sticky: every later add is refused too, so a string
   never comes out with a piece missing in its middle; check the last
   return or toobig once at the end. hny_buf_reset clears it.

   A buffer with max 0 (`{ 0 }`, a forgotten cap) is a programming error
   and trips an assert on the first add. data is NULL until the first add
   (an add of 0 bytes allocates, giving ""); the caller owns data: free it
   with hny_buf_free or take it with hny_buf_take. The fields are public so
   that buffers live on the stack and in structs; write only through these
   functions. */
typedef struct {
    char *data;             /* NUL-terminated once anything was added */
    size_t len;             /* bytes in data, the NUL not counted */
    size_t alloc;           /* bytes allocated */
    size_t max;             /* cap on len */
    int toobig;             /* an add was refused; sticky until reset */
} hny_buf_t;
#define HNY_BUF_INIT(max) { NULL, 0, 0, (max), 0 }

/* Append len bytes of s (any bytes, NULs too). Returns 0, or -1 past the
   cap or after an earlier refusal (the buffer is then left as it was). */
int hny_buf_add (hny_buf_t *buf, const char *s, size_t len);
/* Append a NUL-terminated string; as hny_buf_add. */
int hny_buf_adds (hny_buf_t *buf, const char *s);
/* Bytes that can still be added: 0 once an add was refused. */
size_t hny_buf_room (const hny_buf_t *buf);
/* The content, or "" before anything was added; borrowed. */
const char *hny_buf_str (const hny_buf_t *buf);
/* Cut the content to its first len bytes (len <= buf->len). toobig stays. */
void hny_buf_truncate (hny_buf_t *buf, size_t len);
/* Empty the buffer and clear toobig; the memory and the cap are kept. */
void hny_buf_reset (hny_buf_t *buf);
/* The content as a string the caller owns ("" when empty; *len set when
   len is not NULL); the buffer is left empty, with its cap. */
char *hny_buf_take (hny_buf_t *buf, size_t *len);
/* Free the content; the buffer is left empty, with its cap. */
void hny_buf_free (hny_buf_t *buf);

/* Read a whole file into a new NUL-terminated buffer of at most max bytes.
   Returns 0 and sets *data (caller owns) and *size, or -1 with errno set
   (EFBIG when the file is larger than max). */
int hny_file_read (const char *path, size_t max, char **data, size_t *size);

/* Code points in [s, s+len) of valid UTF-8 (counts the bytes that do not
   continue a sequence). */
size_t hny_utf8_length (const char *s, size_t len);

/* True when [s, s+len) is valid UTF-8 (no overlongs, no surrogates). */
int hny_utf8_valid (const char *s, size_t len);

/* Code point cp (at most U+10FFFF; the caller rules out what it does not
   take, such as surrogates or U+0000) as UTF-8 in out: returns the bytes
   written, 1-4. */
size_t hny_utf8_put (unsigned long cp, char out [4]);

#ifdef __cplusplus
}
#endif
#endif
