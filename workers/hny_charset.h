/*  hny_charset.h: raw article bytes -> UTF-8, with ICU.

    The charset is chosen in this order: a byte order mark (UTF-8, UTF-16LE,
    UTF-16BE); an HTML <meta charset=...> or http-equiv Content-Type
    declaration in the first 4 KiB, when the bytes decode cleanly with it;
    ISO-2022-JP escape sequences; valid UTF-8; UTF-8 with damage; else ICU's
    detector's best guess among Shift_JIS, EUC-JP, ISO-2022-JP, windows-1252
    and ISO-8859-1 (windows-1252 whenever bytes 0x80-0x9F appear, as browsers
    do). Input with NUL bytes or many control bytes is refused as not text.

    "UTF-8 with damage" (strict: 415 naming the first bad byte's offset;
    lenient: U+FFFD, counted) needs evidence in the bytes: well-formed
    multi-byte sequences, with the ill-formed parts at most twice as many.
    A <meta> UTF-8 declaration lets sequences cut short count as evidence
    too. Text whose high bytes all stand alone, declared UTF-8 or not, is
    legacy text (windows-1252, ISO-8859-1, ...) decoded as before. */
#ifndef HNY_CHARSET_H
#define HNY_CHARSET_H

#include <stddef.h>
#include <stdint.h>

/* What hny_charset_decode found. */
typedef struct {
    char charset[32];   /* canonical name: "UTF-8", "Shift_JIS", "EUC-JP", ... */
    size_t replaced;    /* undecodable sequences replaced by U+FFFD (lenient) */
} hny_charset_info_t;

/* Decode [data, data+size) into UTF-8 without BOM. In strict mode (lenient
   0) the first undecodable byte sequence is an error that names its byte
   offset; in lenient mode each one becomes U+FFFD and is counted in
   info->replaced. Returns a new NUL-terminated UTF-8 string (caller owns)
   and sets *out_len and *info; or NULL with *status 415 and *reason set to a
   one-line message (caller owns). Empty input decodes to an empty string. */
char *hny_charset_decode (const uint8_t *data, size_t size, int lenient,
                          size_t *out_len, hny_charset_info_t *info,
                          int *status, char **reason);

/* Find the charset an HTML document declares in a <meta> tag within its
   first 4 KiB. Copies the name into buf (NUL-terminated, at most cap - 1
   bytes) and returns 0, or returns -1 when there is none. */
int hny_charset_declared (const uint8_t *data, size_t size, char *buf, size_t cap);

#endif
