/*  hny_util.c: allocation, error strings, clocks, logging and small file
    helpers shared by all three programs. */
#include "honyaku/util.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void
s_oom (size_t size, const char *file, int line)
{
    fprintf (stderr, "honyaku: out of memory (%zu bytes) at %s:%d\n", size, file, line);
    abort ();
}

void *
hny_malloc_at (size_t size, const char *file, int line)
{
    void *p = malloc (size ? size : 1);
    if (!p)
        s_oom (size, file, line);
    return p;
}

void *
hny_calloc_at (size_t count, size_t size, const char *file, int line)
{
    void *p = calloc (count ? count : 1, size ? size : 1);
    if (!p)
        s_oom (count * size, file, line);
    return p;
}

void *
hny_realloc_at (void *ptr, size_t size, const char *file, int line)
{
    void *p = realloc (ptr, size ? size : 1);
    if (!p)
        s_oom (size, file, line);
    return p;
}

char *
hny_strdup_at (const char *s, const char *file, int line)
{
    size_t n = strlen (s);
    char *p = hny_malloc_at (n + 1, file, line);
    memcpy (p, s, n + 1);
    return p;
}

char *
hny_strndup_at (const char *s, size_t n, const char *file, int line)
{
    n = strnlen (s, n);             /* like strndup: stop at the string's end */
    char *p = hny_malloc_at (n + 1, file, line);
    memcpy (p, s, n);
    p [n] = '\0';
    return p;
}

char *
hny_sprintf (const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    char *out = NULL;
    int rc = vasprintf (&out, fmt, args);
    va_end (args);
    if (rc < 0)
        s_oom (0, __FILE__, __LINE__);
    return out;
}

const char *
hny_strerror (hny_err_t err)
{
    switch (err) {
        case HNY_OK: return "success";
        case HNY_E_INVALID: return "invalid input";
        case HNY_E_TOOBIG: return "too big";
        case HNY_E_NOTFOUND: return "not found";
        case HNY_E_IO: return "input/output error";
        case HNY_E_ENCODING: return "invalid text encoding";
        case HNY_E_UNSUPPORTED: return "unsupported";
        case HNY_E_TRANSIENT: return "temporary failure";
        case HNY_E_PERMANENT: return "permanent failure";
        case HNY_E_TIMEOUT: return "timed out";
        case HNY_E_INTERNAL: return "internal error";
    }
    return "unknown error";
}

int64_t
hny_clock_mono_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
hny_clock_wall_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
hny_sleep_ms (int64_t ms)
{
    struct timespec ts = { (time_t) (ms / 1000), (long) (ms % 1000) * 1000000L };
    while (ms > 0 && nanosleep (&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Logging state is process-wide: one program, one level. */
static const char *s_program = "honyaku";
static hny_log_level_t s_level = HNY_LOG_INFO;
static int s_journal = -1;          /* -1 unknown, 0 plain stderr, 1 journal */

void
hny_log_init (const char *program, hny_log_level_t level)
{
    s_program = program;
    s_level = level;
    s_journal = getenv ("JOURNAL_STREAM") != NULL;
}

void
hny_log_set_level (hny_log_level_t level)
{
    s_level = level;
}

int
hny_log_level_parse (const char *name)
{
    static const char *names [] = { "error", "warn", "info", "debug" };
    for (int i = 0; i < 4; i++)
        if (strcmp (name, names [i]) == 0)
            return i;
    return -1;
}

int
hny_log_enabled (hny_log_level_t level)
{
    return level <= s_level;
}

void
hny_logv (hny_log_level_t level, const char *fmt, va_list args)
{
    if (level > s_level)
        return;
    static const char *tags [] = { "E", "W", "I", "D" };
    static const int priorities [] = { 3, 4, 6, 7 };     /* syslog levels */
    char line [2048];
    int n;
    if (s_journal == 1)
        n = snprintf (line, sizeof line, "<%d>%s: ", priorities [level], s_program);
    else {
        struct timespec ts;
        clock_gettime (CLOCK_REALTIME, &ts);
        struct tm tm;
        gmtime_r (&ts.tv_sec, &tm);
        n = snprintf (line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%d] %s: ",
                      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                      tm.tm_sec, ts.tv_nsec / 1000000, s_program, (int) getpid (), tags [level]);
    }
    if (n < 0 || (size_t) n >= sizeof line)
        n = 0;
    int m = vsnprintf (line + n, sizeof line - (size_t) n - 1, fmt, args);
    size_t len = (size_t) n + (m < 0 ? 0 : (size_t) m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;          /* truncated: a log line has a cap too */
    line [len++] = '\n';
    /* One write per line so that lines of several processes do not interleave. */
    ssize_t rc = write (STDERR_FILENO, line, len);
    (void) rc;
}

void
hny_log (hny_log_level_t level, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    hny_logv (level, fmt, args);
    va_end (args);
}

int
hny_buf_add (hny_buf_t *buf, const char *s, size_t len)
{
    assert (buf->max > 0 && buf->max < SIZE_MAX);   /* HNY_BUF_INIT (max) forgotten */
    if (buf->toobig || len > buf->max - buf->len) {
        buf->toobig = 1;
        return -1;
    }
    size_t need = buf->len + len + 1;
    if (need > buf->alloc) {
        /* doubling, but no further than the cap can use */
        size_t want = buf->alloc > 32 ? buf->alloc : 32;
        while (want < need && want <= SIZE_MAX / 2)
            want *= 2;
        if (want < need || want - 1 > buf->max)
            want = buf->max + 1;
        buf->data = hny_realloc (buf->data, want);
        buf->alloc = want;
    }
    if (len)
        memcpy (buf->data + buf->len, s, len);
    buf->len += len;
    buf->data [buf->len] = '\0';
    return 0;
}

int
hny_buf_adds (hny_buf_t *buf, const char *s)
{
    return hny_buf_add (buf, s, strlen (s));
}

size_t
hny_buf_room (const hny_buf_t *buf)
{
    return buf->toobig ? 0 : buf->max - buf->len;
}

const char *
hny_buf_str (const hny_buf_t *buf)
{
    return buf->data ? buf->data : "";
}

void
hny_buf_truncate (hny_buf_t *buf, size_t len)
{
    assert (len <= buf->len);
    buf->len = len;
    if (buf->data)
        buf->data [len] = '\0';
}

void
hny_buf_reset (hny_buf_t *buf)
{
    buf->toobig = 0;
    hny_buf_truncate (buf, 0);
}

char *
hny_buf_take (hny_buf_t *buf, size_t *len)
{
    char *data = buf->data ? buf->data : hny_strdup ("");
    if (len)
        *len = buf->len;
    *buf = (hny_buf_t) HNY_BUF_INIT (buf->max);
    return data;
}

void
hny_buf_free (hny_buf_t *buf)
{
    free (buf->data);
    *buf = (hny_buf_t) HNY_BUF_INIT (buf->max);
}

int
hny_file_read (const char *path, size_t max, char **data, size_t *size)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        return -1;
    struct stat st;
    if (fstat (fileno (f), &st) == 0 && S_ISDIR (st.st_mode)) {
        fclose (f);
        errno = EISDIR;
        return -1;
    }
    size_t cap = 4096, len = 0;
    char *buf = hny_malloc (cap + 1);
    for (;;) {
        if (len == cap) {
            if (cap > max) {
                break;
            }
            cap *= 2;
            buf = hny_realloc (buf, cap + 1);
        }
        size_t want = cap - len;
        size_t got = fread (buf + len, 1, want, f);
        len += got;
        if (got < want) {
            if (ferror (f)) {
                int e = errno;
                free (buf);
                fclose (f);
                errno = e ? e : EIO;
                return -1;
            }
            break;
        }
        if (len > max)
            break;
    }
    fclose (f);
    if (len > max) {
        free (buf);
        errno = EFBIG;
        return -1;
    }
    buf [len] = '\0';
    *data = buf;
    *size = len;
    return 0;
}

size_t
hny_utf8_length (const char *s, size_t len)
{
    /* Every byte but a continuation byte (10xxxxxx) starts a character:
       eight at a time, a continuation byte's top bit set in cont (its bit
       7 set, bit 6 clear), their count summed into the top byte by the
       multiplication (at most 8 a word: no carry between bytes). */
    size_t n = len, i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t v;
        memcpy (&v, s + i, 8);
        uint64_t cont = (v & ~(v << 1)) & 0x8080808080808080ull;
        n -= (size_t) (((cont >> 7) * 0x0101010101010101ull) >> 56);
    }
    for (; i < len; i++)
        if (((unsigned char) s [i] & 0xC0) == 0x80)
            n--;
    return n;
}

size_t
hny_utf8_put (unsigned long cp, char out [4])
{
    if (cp < 0x80) {
        out [0] = (char) cp;
        return 1;
    }
    if (cp < 0x800) {
        out [0] = (char) (0xC0 | (cp >> 6));
        out [1] = (char) (0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out [0] = (char) (0xE0 | (cp >> 12));
        out [1] = (char) (0x80 | ((cp >> 6) & 0x3F));
        out [2] = (char) (0x80 | (cp & 0x3F));
        return 3;
    }
    out [0] = (char) (0xF0 | (cp >> 18));
    out [1] = (char) (0x80 | ((cp >> 12) & 0x3F));
    out [2] = (char) (0x80 | ((cp >> 6) & 0x3F));
    out [3] = (char) (0x80 | (cp & 0x3F));
    return 4;
}

int
hny_utf8_valid (const char *str, size_t len)
{
    /* RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF.
       The common cases go first: runs of ASCII 8 bytes at a time, and the
       three-byte forms whose lead byte alone rules out both overlongs and
       surrogates (E1-EC, EE-EF: kana, kanji, full-width forms), checked
       by their continuation bytes only. The rest as the RFC's table. */
    const unsigned char *s = (const unsigned char *) str, *end = s + len;
    while (s < end) {
        unsigned char c = *s;
        if (c < 0x80) {
            while (end - s >= 8) {
                uint64_t v;
                memcpy (&v, s, 8);
                if (v & 0x8080808080808080ull)
                    break;
                s += 8;
            }
            while (s < end && *s < 0x80)
                s++;
            continue;
        }
        if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
            if (end - s < 3 || (s [1] & 0xC0) != 0x80 || (s [2] & 0xC0) != 0x80)
                return 0;
            s += 3;
            continue;
        }
        size_t n;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07; }
        else return 0;
        if ((size_t) (end - s) <= n)    /* truncated sequence */
            return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((s [k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s [k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF))
            || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        s += n + 1;
    }
    return 1;
}
