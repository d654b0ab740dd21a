/*  hny_charset.c: decide which charset an article's bytes are in and convert
    them to UTF-8 with ICU (ucsdet to guess, ucnv to convert). The order of
    the evidence is in hny_charset.h. Conversion runs with ICU's STOP
    callback so that every undecodable sequence is seen here: strict mode
    reports its byte offset, lenient mode writes U+FFFD and counts it. */
#include "hny_charset.h"

#include "honyaku/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unicode/ucnv.h>
#include <unicode/ucnv_err.h>
#include <unicode/ucsdet.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

#define S_META_WINDOW   4096            /* bytes searched for a <meta> charset */
#define S_DETECT_SAMPLE (1024 * 1024)   /* bytes handed to ucsdet */
#define S_CONTROL_SAMPLE (64 * 1024)    /* bytes scanned for control bytes */

/* The charsets the detector may pick: what the archive has been written in. */
static const char *s_guessable[] = {
    "Shift_JIS", "EUC-JP", "ISO-2022-JP", "windows-1252", "ISO-8859-1", NULL
};

/* Canonical names reported for the charsets we expect; other declared
   charsets are reported by their IANA name. */
static const char *s_canonical_names[] = {
    "UTF-8", "UTF-16LE", "UTF-16BE", "Shift_JIS", "EUC-JP", "ISO-2022-JP",
    "windows-1252", "ISO-8859-1", "US-ASCII", "windows-31j", NULL
};

/* Result of one conversion attempt. */
typedef enum { S_OK, S_BAD_BYTES, S_NO_CONVERTER, S_ICU_FAILED } s_conv_result_t;

/* Set name into info->charset: the canonical spelling when we know it. */
static void
s_set_charset_name (hny_charset_info_t *info, const char *name)
{
    const char *use = name;
    int known = 0;
    for (int i = 0; s_canonical_names[i] && !known; i++)
        if (ucnv_compareNames (name, s_canonical_names[i]) == 0) {
            use = s_canonical_names[i];
            known = 1;
        }
    if (!known) {
        UErrorCode err = U_ZERO_ERROR;
        const char *iana = ucnv_getStandardName (name, "IANA", &err);
        if (U_SUCCESS (err) && iana)
            use = iana;
    }
    snprintf (info->charset, sizeof info->charset, "%s", use);
}

static int
s_has_c1_bytes (const uint8_t *data, size_t size)
{
    for (size_t i = 0; i < size; i++)
        if (data[i] >= 0x80 && data[i] <= 0x9F)
            return 1;
    return 0;
}

/* NUL bytes, or more than 2% of control bytes other than tab, line breaks,
   form feed and ESC (ISO-2022-JP needs it), mean this is not text. */
static int
s_looks_binary (const uint8_t *data, size_t size)
{
    if (memchr (data, 0, size))
        return 1;
    size_t n = size < S_CONTROL_SAMPLE ? size : S_CONTROL_SAMPLE;
    size_t controls = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = data[i];
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f'
             && c != 0x0B && c != 0x1B) || c == 0x7F)
            controls++;
    }
    return controls >= 4 && controls * 50 > n;
}

/* ISO-2022-JP switches into JIS X 0208 with ESC $ @ or ESC $ B. */
static int
s_has_iso2022jp_escapes (const uint8_t *data, size_t size)
{
    for (size_t i = 0; i + 2 < size; i++)
        if (data[i] == 0x1B && data[i + 1] == '$' && (data[i + 2] == 'B' || data[i + 2] == '@'))
            return 1;
    return 0;
}

/* What the bytes say about UTF-8. */
typedef struct {
    size_t good;        /* well-formed multi-byte sequences */
    size_t cut;         /* sequences cut short: a lead byte and fitting continuation bytes */
    size_t errors;      /* ill-formed subparts, one per U+FFFD a decoder would write */
} s_utf8_stats_t;

/* ICU's U8_NEXT reads a well-formed sequence (Unicode's table 3-7: no
   overlongs, no surrogates) or, when there is none, steps over the
   maximal ill-formed subpart: one byte that cannot start a sequence or is
   not followed by a fitting continuation byte, two or three for a
   sequence cut short. */
static void
s_utf8_stats (const uint8_t *p, size_t size, s_utf8_stats_t *st)
{
    memset (st, 0, sizeof *st);
    size_t i = 0;
    while (i < size) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t start = i;
        UChar32 c;
        U8_NEXT (p, i, size, c);
        if (c >= 0)
            st->good++;
        else {
            st->errors++;
            st->cut += i - start > 1;
        }
    }
}

/* Whether text that is not valid UTF-8 is UTF-8 with damage rather than a
   legacy charset. Western single-byte text almost never forms a
   well-formed multi-byte sequence (its letters 0xC0-0xFF are followed by
   ASCII, its curly quotes 0x91-0x94 are continuation bytes with no lead),
   and Japanese double-byte text forms some by accident but breaks UTF-8
   far more often. So the evidence is the well-formed sequences, and the
   damage must stay within twice that (errors counted per ill-formed
   subpart, so a cut "’" is one error, not two). A page that declares
   UTF-8 lets cut-short sequences count as evidence too: with the
   declaration, "\xE2\x80" before ASCII is a damaged "’", not "â€". With
   neither a declaration nor a well-formed sequence (every high byte on its
   own), nothing says UTF-8: the page is legacy text, as before. */
static int
s_damaged_utf8 (const uint8_t *data, size_t size, int declared_utf8)
{
    s_utf8_stats_t st;
    s_utf8_stats (data, size, &st);
    size_t evidence = st.good + (declared_utf8 ? st.cut : 0);
    hny_debug ("utf-8 evidence: %zu well-formed, %zu cut short, %zu errors%s", st.good, st.cut,
               st.errors, declared_utf8 ? " (declared)" : "");
    return evidence > 0 && st.errors <= 2 * evidence;
}

/* Convert with the named converter. On S_OK sets *out (caller owns, UTF-8,
   NUL-terminated), *out_len and adds to *replaced; on S_BAD_BYTES (strict
   mode) sets *bad_offset to the offset of the first undecodable byte. */
static s_conv_result_t
s_convert (const char *name, const uint8_t *data, size_t size, int lenient,
           char **out, size_t *out_len, size_t *replaced, size_t *bad_offset)
{
    UErrorCode err = U_ZERO_ERROR;
    UConverter *conv = ucnv_open (name, &err);
    if (U_FAILURE (err))
        return S_NO_CONVERTER;
    ucnv_setToUCallBack (conv, UCNV_TO_U_CALLBACK_STOP, NULL, NULL, NULL, &err);
    if (U_FAILURE (err)) {
        ucnv_close (conv);
        return S_ICU_FAILED;
    }
    size_t cap = size + 16, n = 0, subs = 0;
    UChar *buf = hny_malloc (cap * sizeof (UChar));
    const char *src = (const char *) data;
    const char *end = src + size;
    s_conv_result_t result = S_OK;
    for (;;) {
        UChar *target = buf + n;
        err = U_ZERO_ERROR;
        ucnv_toUnicode (conv, &target, buf + cap, &src, end, NULL, 1, &err);
        n = (size_t) (target - buf);
        if (err == U_BUFFER_OVERFLOW_ERROR || (U_FAILURE (err) && n + 2 > cap)) {
            cap *= 2;
            buf = hny_realloc (buf, cap * sizeof (UChar));
            if (err == U_BUFFER_OVERFLOW_ERROR)
                continue;
        }
        if (U_SUCCESS (err))
            break;
        if (err == U_ILLEGAL_CHAR_FOUND || err == U_INVALID_CHAR_FOUND
            || err == U_TRUNCATED_CHAR_FOUND) {
            char invalid[32];
            int8_t invalid_len = (int8_t) sizeof invalid;
            UErrorCode err2 = U_ZERO_ERROR;
            ucnv_getInvalidChars (conv, invalid, &invalid_len, &err2);
            size_t consumed = (size_t) (src - (const char *) data);
            size_t offset = U_SUCCESS (err2) && (size_t) invalid_len <= consumed
                          ? consumed - (size_t) invalid_len : consumed;
            if (!lenient) {
                *bad_offset = offset;
                result = S_BAD_BYTES;
                break;
            }
            buf[n++] = 0xFFFD;
            subs++;
            if (err == U_TRUNCATED_CHAR_FOUND && src >= end)
                break;  /* the partial sequence was the end of the input */
            continue;
        }
        result = S_ICU_FAILED;
        break;
    }
    ucnv_close (conv);
    /* ICU's windows-1252 maps the five bytes Windows leaves undefined
       (0x81, 0x8D, 0x8F, 0x90, 0x9D) to the C1 controls of the same value,
       which normalization would then drop without a trace. They are not
       text: treat them as undecodable. The code page is single-byte, so
       the index in buf is the byte offset. */
    if (result == S_OK && ucnv_compareNames (name, "windows-1252") == 0) {
        for (size_t i = 0; i < n; i++) {
            UChar c = buf[i];
            if (c != 0x81 && c != 0x8D && c != 0x8F && c != 0x90 && c != 0x9D)
                continue;
            if (!lenient) {
                *bad_offset = i;
                result = S_BAD_BYTES;
                break;
            }
            buf[i] = 0xFFFD;
            subs++;
        }
    }
    if (result != S_OK) {
        free (buf);
        return result;
    }
    /* UTF-16 -> UTF-8: preflight, then convert; lone surrogates become U+FFFD. */
    int32_t need = 0, more_subs = 0;
    err = U_ZERO_ERROR;
    if (n > INT32_MAX / 4) {
        free (buf);
        return S_ICU_FAILED;
    }
    u_strToUTF8WithSub (NULL, 0, &need, buf, (int32_t) n, 0xFFFD, &more_subs, &err);
    if (err != U_BUFFER_OVERFLOW_ERROR && U_FAILURE (err)) {
        free (buf);
        return S_ICU_FAILED;
    }
    char *utf8 = hny_malloc ((size_t) need + 1);
    err = U_ZERO_ERROR;
    u_strToUTF8WithSub (utf8, need + 1, &need, buf, (int32_t) n, 0xFFFD, &more_subs, &err);
    free (buf);
    if (U_FAILURE (err)) {
        free (utf8);
        return S_ICU_FAILED;
    }
    utf8[need] = '\0';
    if (more_subs && !lenient) {
        free (utf8);
        *bad_offset = 0;
        return S_BAD_BYTES;
    }
    *out = utf8;
    *out_len = (size_t) need;
    *replaced += subs + (size_t) more_subs;
    return S_OK;
}

int
hny_charset_declared (const uint8_t *data, size_t size, char *buf, size_t cap)
{
    size_t n = size < S_META_WINDOW ? size : S_META_WINDOW;
    const char *p = (const char *) data;
    for (size_t i = 0; i + 5 < n; i++) {
        if (p[i] != '<' || strncasecmp (p + i + 1, "meta", 4) != 0)
            continue;
        /* the tag runs to the next '>' (or the end of the window) */
        size_t end = i + 5;
        while (end < n && p[end] != '>')
            end++;
        for (size_t j = i + 5; j + 7 <= end; j++) {
            if (strncasecmp (p + j, "charset", 7) != 0)
                continue;
            size_t k = j + 7;
            while (k < end && isspace ((unsigned char) p[k]))
                k++;
            if (k >= end || p[k] != '=')
                continue;
            k++;
            while (k < end && (isspace ((unsigned char) p[k]) || p[k] == '"' || p[k] == '\''))
                k++;
            size_t len = 0;
            while (k + len < end && (isalnum ((unsigned char) p[k + len])
                                     || strchr ("-_.:", p[k + len])))
                len++;
            if (len == 0 || len >= cap)
                continue;
            memcpy (buf, p + k, len);
            buf[len] = '\0';
            return 0;
        }
    }
    return -1;
}

static char *
s_fail (int *status, char **reason, char *message)
{
    *status = 415;
    *reason = message;
    return NULL;
}

char *
hny_charset_decode (const uint8_t *data, size_t size, int lenient,
                    size_t *out_len, hny_charset_info_t *info,
                    int *status, char **reason)
{
    memset (info, 0, sizeof *info);
    char *out = NULL;
    size_t bad = 0;
    s_conv_result_t rc;

    /* 1. Byte order marks win. UTF-16 has NUL bytes, so this comes before
       the binary check. */
    const char *bom = NULL;
    size_t skip = 0;
    if (size >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF)
        bom = "UTF-8", skip = 3;
    else if (size >= 2 && data[0] == 0xFF && data[1] == 0xFE)
        bom = "UTF-16LE", skip = 2;
    else if (size >= 2 && data[0] == 0xFE && data[1] == 0xFF)
        bom = "UTF-16BE", skip = 2;
    if (bom) {
        if (skip == 3 && memchr (data + skip, 0, size - skip))
            return s_fail (status, reason, hny_strdup ("not text: NUL bytes in UTF-8 input"));
        rc = s_convert (bom, data + skip, size - skip, lenient, &out, out_len, &info->replaced, &bad);
        if (rc == S_BAD_BYTES)
            return s_fail (status, reason, hny_sprintf ("undecodable %s at byte offset %zu", bom, bad + skip));
        if (rc != S_OK)
            return s_fail (status, reason, hny_sprintf ("cannot convert from %s", bom));
        s_set_charset_name (info, bom);
        return out;
    }
    if (s_looks_binary (data, size))
        return s_fail (status, reason, hny_strdup ("not text: binary data (NUL or control bytes)"));

    /* 2. A declared charset, if the bytes decode cleanly with it. Pages that
       declare ISO-8859-1 or ASCII but use bytes 0x80-0x9F are windows-1252,
       as browsers read them. */
    char declared[64];
    int declared_utf8 = 0;
    if (hny_charset_declared (data, size, declared, sizeof declared) == 0) {
        declared_utf8 = ucnv_compareNames (declared, "UTF-8") == 0;
        const char *use = declared;
        if ((ucnv_compareNames (declared, "ISO-8859-1") == 0 || ucnv_compareNames (declared, "latin1") == 0
             || ucnv_compareNames (declared, "US-ASCII") == 0)
            && s_has_c1_bytes (data, size))
            use = "windows-1252";
        size_t replaced = 0;
        rc = s_convert (use, data, size, 0, &out, out_len, &replaced, &bad);
        if (rc == S_OK) {
            s_set_charset_name (info, use);
            return out;
        }
        hny_debug ("declared charset %s does not fit (%d), detecting", declared, (int) rc);
    }

    /* 3. ISO-2022-JP is 7-bit and would pass for ASCII/UTF-8. */
    const char *choice = NULL;
    if (s_has_iso2022jp_escapes (data, size))
        choice = "ISO-2022-JP";
    /* 4. UTF-8 (and ASCII, reported as UTF-8), also when damaged a little. */
    else if (hny_utf8_valid ((const char *) data, size)) {
        out = hny_strndup ((const char *) data, size);
        *out_len = size;
        s_set_charset_name (info, "UTF-8");
        return out;
    }
    else if (s_damaged_utf8 (data, size, declared_utf8))
        choice = "UTF-8";

    /* 5. The detector's guesses, in order of confidence: the first that
       decodes cleanly wins, among those at least half as confident as the
       best (Shift_JIS and EUC-JP often tie); if none does, the best one is
       used (and fails in strict mode, substitutes in lenient mode). */
    if (!choice) {
        UErrorCode err = U_ZERO_ERROR;
        UCharsetDetector *csd = ucsdet_open (&err);
        const char *first = NULL;
        int32_t best = -1;
        if (U_SUCCESS (err)) {
            size_t sample = size < S_DETECT_SAMPLE ? size : S_DETECT_SAMPLE;
            ucsdet_enableInputFilter (csd, 1);
            ucsdet_setText (csd, (const char *) data, (int32_t) sample, &err);
            int32_t count = 0;
            const UCharsetMatch **matches = ucsdet_detectAll (csd, &count, &err);
            for (int32_t i = 0; U_SUCCESS (err) && i < count && !choice; i++) {
                UErrorCode err2 = U_ZERO_ERROR;
                const char *name = ucsdet_getName (matches[i], &err2);
                int32_t confidence = ucsdet_getConfidence (matches[i], &err2);
                if (U_FAILURE (err2) || !name)
                    continue;
                hny_debug ("ucsdet: %s %d", name, (int) confidence);
                for (int g = 0; s_guessable[g]; g++) {
                    if (strcmp (name, s_guessable[g]) != 0)
                        continue;
                    if (best < 0)
                        best = confidence;
                    if (confidence * 2 < best)
                        break;  /* far less likely than the best guess */
                    const char *cand = s_guessable[g];
                    if (strcmp (cand, "ISO-8859-1") == 0 && s_has_c1_bytes (data, size))
                        cand = "windows-1252";
                    if (!first)
                        first = cand;
                    size_t replaced = 0;
                    char *trial = NULL;
                    size_t trial_len = 0;
                    if (s_convert (cand, data, size, 0, &trial, &trial_len, &replaced, &bad) == S_OK) {
                        choice = cand;
                        out = trial;
                        *out_len = trial_len;
                    }
                    break;
                }
            }
            ucsdet_close (csd);
        }
        if (out) {
            s_set_charset_name (info, choice);
            return out;
        }
        choice = first ? first : s_has_c1_bytes (data, size) ? "windows-1252" : "ISO-8859-1";
    }
    rc = s_convert (choice, data, size, lenient, &out, out_len, &info->replaced, &bad);
    if (rc == S_BAD_BYTES) {
        char name[32];
        snprintf (name, sizeof name, "%s", choice);
        return s_fail (status, reason,
                       hny_sprintf ("undecodable %s at byte offset %zu (byte 0x%02X)", name, bad,
                                    bad < size ? data[bad] : 0));
    }
    if (rc != S_OK)
        return s_fail (status, reason, hny_sprintf ("cannot convert from %s", choice));
    s_set_charset_name (info, choice);
    return out;
}
