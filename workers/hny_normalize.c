/*  hny_normalize.c: normalization of one paragraph before segmentation.

    The rules, in the order they apply (each has its own test in
    tests/test_normalize.c):

    N1  Invalid UTF-8 becomes U+FFFD (the input should already be valid).
    N2  Control characters are removed: Cc other than \t and the line
        breaks, and the invisible U+200B-U+200F (zero-width space, ZWNJ,
        ZWJ, LRM, RLM) and U+FEFF (BOM). \r\n, \r, U+0085, U+2028 and U+2029
        count as line breaks (N8).
    N3  Half-width katakana U+FF61-U+FF9F become full-width (ｶ → カ, ｡ → 。,
        ｢ｰ｣ → 「ー」); a following half-width voiced or semi-voiced mark ﾞ ﾟ
        composes with its base (ｶﾞ → ガ, ﾊﾟ → パ, ｳﾞ → ヴ); a mark with no
        composable base becomes the spacing ゛ ゜.
    N4  Full-width ASCII U+FF01-U+FF5E becomes ASCII (ＡＢＣ１２３ → ABC123,
        ％ → %, ＠ → @), except the punctuation that carries Japanese
        sentence structure, kept full-width: ！ ？ （ ） ［ ］ ｛ ｝ ， ：
        ； ～ and ．. A full-width ．between two digits is a decimal point and
        becomes "." (３．２９ → 3.29).
    N5  U+3000 ideographic space becomes a space (then N7 folds it).
    N6  NFC (unorm2_getNFCInstance). NFKC is NOT applied: compatibility
        characters such as ① ㈱ ℃ Ⅳ ﬁ stay as written.
    N7  Whitespace runs (Unicode White_Space, tabs, no-break spaces) fold to
        one space; the result is trimmed at both ends.
    N8  A line break (with the spaces around it) inside the paragraph is
        joined: to nothing when the characters on both sides are Japanese
        (Han, kana, ー, CJK and full-width punctuation), else to one space.
    Quotes are kept as written: straight and curly quotes are not touched.

    Most paragraphs take a short way with the same result (s_direct): when
    every character is ASCII or NFC-inert (ICU's unorm2_isInert: its own
    NFC, and it never combines with a neighbour) and none is one that N1,
    N3-N5 or a line break other than \n and \r would change, N2 and N7-N8
    apply to the UTF-8 bytes in one pass, with no UTF-16 copy and no call
    to the normalizer. Any other character sends the whole paragraph the
    long way. test_normalize checks the two ways against each other.

    Buffers live in the normalizer and are reused across calls. */

#include "hny_normalize.h"
#include "honyaku/util.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#define S_MAX_TEXT (16u << 20)     /* largest paragraph accepted, in bytes */
#define S_NL       0x000a          /* the one line-break unit kept after N2 */

struct _hny_normalizer_t {
    const UNormalizer2 *nfc;    /* owned by ICU, not closed */
    UChar *a;                   /* working buffer 1 */
    UChar *b;                   /* working buffer 2 */
    int32_t cap;                /* capacity of a and b in units */
    int long_way;               /* never the short way (tests) */
};

/* Full-width forms of the half-width katakana block U+FF61-U+FF9F (N3). */
static const UChar s_kana[] = {
    0x3002, 0x300c, 0x300d, 0x3001, 0x30fb, 0x30f2, 0x30a1, 0x30a3,     /* FF61 ｡｢｣､･ｦｧｨ */
    0x30a5, 0x30a7, 0x30a9, 0x30e3, 0x30e5, 0x30e7, 0x30c3, 0x30fc,     /* FF69 ｩｪｫｬｭｮｯｰ */
    0x30a2, 0x30a4, 0x30a6, 0x30a8, 0x30aa, 0x30ab, 0x30ad, 0x30af,     /* FF71 ｱｲｳｴｵｶｷｸ */
    0x30b1, 0x30b3, 0x30b5, 0x30b7, 0x30b9, 0x30bb, 0x30bd, 0x30bf,     /* FF79 ｹｺｻｼｽｾｿﾀ */
    0x30c1, 0x30c4, 0x30c6, 0x30c8, 0x30ca, 0x30cb, 0x30cc, 0x30cd,     /* FF81 ﾁﾂﾃﾄﾅﾆﾇﾈ */
    0x30ce, 0x30cf, 0x30d2, 0x30d5, 0x30d8, 0x30db, 0x30de, 0x30df,     /* FF89 ﾉﾊﾋﾌﾍﾎﾏﾐ */
    0x30e0, 0x30e1, 0x30e2, 0x30e4, 0x30e6, 0x30e8, 0x30e9, 0x30ea,     /* FF91 ﾑﾒﾓﾔﾕﾖﾗﾘ */
    0x30eb, 0x30ec, 0x30ed, 0x30ef, 0x30f3, 0x309b, 0x309c              /* FF99 ﾙﾚﾛﾜﾝﾞﾟ */
};

/* Full-width punctuation kept as is (N4). */
static int
s_keep_fullwidth (UChar32 c)
{
    switch (c) {
    case 0xff01: case 0xff1f:           /* ！ ？ */
    case 0xff08: case 0xff09:           /* （ ） */
    case 0xff3b: case 0xff3d:           /* ［ ］ */
    case 0xff5b: case 0xff5d:           /* ｛ ｝ */
    case 0xff0c: case 0xff0e:           /* ， ． */
    case 0xff1a: case 0xff1b:           /* ： ； */
    case 0xff5e:                        /* ～ */
        return 1;
    default:
        return 0;
    }
}

static int
s_digit (UChar32 c)
{
    return (c >= '0' && c <= '9') || (c >= 0xff10 && c <= 0xff19);
}

/* N2: characters removed outright. */
static int
s_removed (UChar32 c)
{
    if (c == '\t' || c == '\n' || c == '\r' || c == 0x85)
        return 0;
    return c < 0x20 || (c >= 0x7f && c < 0xa0) || (c >= 0x200b && c <= 0x200f) || c == 0xfeff;
}

/* N8: a character after which or before which a line break joins to nothing. */
static int
s_japanese (UChar32 c)
{
    if (c < 0x2e80)
        return 0;
    if ((c >= 0x3000 && c <= 0x303f) || (c >= 0xff00 && c <= 0xffef) || c == 0x30fc)
        return 1;
    UErrorCode err = U_ZERO_ERROR;
    UScriptCode sc = uscript_getScript (c, &err);
    return sc == USCRIPT_HAN || sc == USCRIPT_HIRAGANA || sc == USCRIPT_KATAKANA;
}

/* Unicode White_Space other than the line breaks, spelt out: this runs on
   every character. */
static int
s_white (UChar32 c)
{
    if (c < 0x80)
        return c == ' ' || c == '\t' || c == 0x0b || c == 0x0c;
    return c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x202f || c == 0x205f
        || c == 0x3000;
}

hny_normalizer_t *
hny_normalizer_new (void)
{
    UErrorCode err = U_ZERO_ERROR;
    const UNormalizer2 *nfc = unorm2_getNFCInstance (&err);
    if (U_FAILURE (err) || !nfc) {
        hny_error ("normalize: cannot load ICU's NFC data: %s", u_errorName (err));
        return NULL;
    }
    hny_normalizer_t *self = hny_calloc (1, sizeof *self);
    self->nfc = nfc;
    return self;
}

void
hny_normalizer_destroy (hny_normalizer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hny_normalizer_t *self = *self_p;
    free (self->a);
    free (self->b);
    free (self);
    *self_p = NULL;
}

void
hny_normalizer_set_short_way (hny_normalizer_t *self, int on)
{
    assert (self);
    self->long_way = !on;
}

/* Grow both buffers to at least cap units. */
static void
s_reserve (hny_normalizer_t *self, int32_t cap)
{
    if (cap <= self->cap)
        return;
    self->a = hny_realloc (self->a, (size_t) cap * sizeof (UChar));
    self->b = hny_realloc (self->b, (size_t) cap * sizeof (UChar));
    self->cap = cap;
}

/* N1-N5: from UTF-8 into self->a; returns the length in units. */
static int32_t
s_map (hny_normalizer_t *self, const char *text, size_t len)
{
    const uint8_t *s = (const uint8_t *) text;
    int32_t n = 0, i = 0, end = (int32_t) len;
    UChar32 prev = -1;              /* the last code point written */
    while (i < end) {
        UChar32 c;
        U8_NEXT (s, i, end, c);
        if (c < 0)
            c = 0xfffd;                             /* N1 */
        if (c == '\r') {                            /* N2: \r\n and \r */
            if (i < end && s[i] == '\n')
                i++;
            c = S_NL;
        }
        else if (c == 0x85 || c == 0x2028 || c == 0x2029)
            c = S_NL;
        else if (s_removed (c))
            continue;
        else if (c >= 0xff61 && c <= 0xff9f) {      /* N3 */
            UChar32 k = s_kana[c - 0xff61];
            if ((c == 0xff9e || c == 0xff9f) && prev > 0) {
                UChar32 mark = c == 0xff9e ? 0x3099 : 0x309a;
                UChar32 comp = unorm2_composePair (self->nfc, prev, mark);
                if (comp > 0 && comp <= 0xffff) {
                    assert (n > 0);
                    self->a[n - 1] = (UChar) comp;
                    prev = comp;
                    continue;
                }
            }
            c = k;
        }
        else if (c >= 0xff01 && c <= 0xff5e) {      /* N4 */
            if (c == 0xff0e) {
                UChar32 next = -1;
                if (i < end) {
                    int32_t j = i;
                    U8_NEXT (s, j, end, next);
                }
                if (s_digit (prev) && s_digit (next))
                    c = '.';
            }
            else if (!s_keep_fullwidth (c))
                c = c - 0xfee0;
        }
        else if (c == 0x3000)                       /* N5 */
            c = ' ';
        U16_APPEND_UNSAFE (self->a, n, c);
        prev = c;
    }
    return n;
}

/* N7, N8: from src into dst; returns the length in units. */
static int32_t
s_fold (const UChar *src, int32_t n, UChar *dst)
{
    int32_t out = 0, i = 0;
    while (i < n) {
        UChar32 c;
        U16_NEXT (src, i, n, c);
        if (!s_white (c) && c != S_NL) {
            U16_APPEND_UNSAFE (dst, out, c);
            continue;
        }
        /* a run of whitespace and line breaks */
        int newline = c == S_NL;
        while (i < n) {
            int32_t j = i;
            UChar32 d;
            U16_NEXT (src, j, n, d);
            if (!s_white (d) && d != S_NL)
                break;
            newline |= d == S_NL;
            i = j;
        }
        if (out == 0 || i >= n)
            continue;                               /* trimmed */
        if (newline) {
            UChar32 before, after;
            int32_t k = out;
            U16_PREV (dst, 0, k, before);
            U16_GET (src, 0, i, n, after);
            if (s_japanese (before) && s_japanese (after))
                continue;
        }
        dst[out++] = ' ';
    }
    return out;
}

/* The short way (see the top): the paragraph in one pass over its bytes,
   into a new string of at most len bytes; NULL when a character needs the
   long way. A removed character (N2) is skipped without ending a run of
   whitespace; a run becomes one space, or nothing between two Japanese
   characters when it holds a line break (N8), or nothing at either end. */
static char *
s_direct (const hny_normalizer_t *self, const char *text, size_t len, size_t *out_len)
{
    const uint8_t *s = (const uint8_t *) text;
    char *out = hny_malloc (len + 1);
    size_t n = 0, i = 0;
    int space = 0, newline = 0;     /* a run of whitespace is pending */
    UChar32 last = -1;              /* the last character written */
    while (i < len) {
        UChar32 c = s[i];
        size_t at = i;
        if (c >= 0x21 && c <= 0x7e) {
            i++;
            if (space && n > 0)
                out[n++] = ' ';
            space = newline = 0;
            out[n++] = (char) c;
            last = c;
            continue;
        }
        if (c < 0x80) {
            i++;
            if (c == ' ' || c == '\t')
                space = 1;
            else if (c == '\n' || c == '\r')
                space = newline = 1;
            continue;                                   /* else removed (N2) */
        }
        int32_t j = (int32_t) i;
        U8_NEXT (s, j, (int32_t) len, c);
        i = (size_t) j;
        if (c < 0 || c < 0xa0 || c == 0x2028 || c == 0x2029 || c == 0x3000
            || (c >= 0xff01 && c <= 0xff9f)) {
            free (out);                                 /* N1, N3-N5, other breaks */
            return NULL;
        }
        if (s_white (c)) {
            space = 1;
            continue;
        }
        if ((c >= 0x200b && c <= 0x200f) || c == 0xfeff)
            continue;                                   /* removed (N2) */
        if (!unorm2_isInert (self->nfc, c)) {
            free (out);
            return NULL;
        }
        if (space && n > 0 && !(newline && s_japanese (last) && s_japanese (c)))
            out[n++] = ' ';
        space = newline = 0;
        memcpy (out + n, s + at, i - at);
        n += i - at;
        last = c;
    }
    out[n] = '\0';
    *out_len = n;
    return out;
}

char *
hny_normalize (hny_normalizer_t *self, const char *text, size_t len, size_t *out_len)
{
    assert (self);
    if (out_len)
        *out_len = 0;
    if (!text)
        len = 0;
    if (len > S_MAX_TEXT) {
        hny_warn ("normalize: paragraph of %zu bytes exceeds the cap of %u", len, S_MAX_TEXT);
        return NULL;
    }
    size_t direct_len = 0;
    char *direct = self->long_way ? NULL : s_direct (self, text ? text : "", len, &direct_len);
    if (direct) {
        if (out_len)
            *out_len = direct_len;
        return direct;
    }
    /* each byte gives at most one UTF-16 unit; when NFC needs more room,
       the overflow below grows the buffers */
    s_reserve (self, (int32_t) (len + 16));
    int32_t n = s_map (self, text ? text : "", len);

    UErrorCode err = U_ZERO_ERROR;
    int32_t m = n;
    if (unorm2_quickCheck (self->nfc, self->a, n, &err) != UNORM_YES || U_FAILURE (err)) {
        err = U_ZERO_ERROR;
        m = unorm2_normalize (self->nfc, self->a, n, self->b, self->cap, &err);
        if (err == U_BUFFER_OVERFLOW_ERROR) {
            s_reserve (self, m + 16);
            err = U_ZERO_ERROR;
            m = unorm2_normalize (self->nfc, self->a, n, self->b, self->cap, &err);
        }
        if (U_FAILURE (err)) {
            hny_error ("normalize: NFC failed: %s", u_errorName (err));
            return NULL;
        }
        UChar *t = self->a;             /* the normalized text goes back into a */
        self->a = self->b;
        self->b = t;
    }
    m = s_fold (self->a, m, self->b);

    int32_t need = 0;
    err = U_ZERO_ERROR;
    u_strToUTF8 (NULL, 0, &need, self->b, m, &err);
    if (err != U_BUFFER_OVERFLOW_ERROR && U_FAILURE (err)) {
        hny_error ("normalize: UTF-8 conversion failed: %s", u_errorName (err));
        return NULL;
    }
    char *out = hny_malloc ((size_t) need + 1);
    err = U_ZERO_ERROR;
    u_strToUTF8 (out, need + 1, NULL, self->b, m, &err);
    if (U_FAILURE (err)) {
        free (out);
        hny_error ("normalize: UTF-8 conversion failed: %s", u_errorName (err));
        return NULL;
    }
    out[need] = 0;
    if (out_len)
        *out_len = (size_t) need;
    return out;
}
