/*  test_charset.c: hny_charset_decode on every charset the archive uses.
    The encoded inputs are made here from UTF-8 strings with ICU's own
    converters, so the expected text is always the UTF-8 we started from. */
#include "hny_charset.h"

#include "honyaku/util.h"

#include "hny_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ucnv.h>

/* UTF-8 -> charset with ICU; caller owns the result. */
static uint8_t *
s_encode (const char *charset, const char *utf8, size_t *size)
{
    UErrorCode err = U_ZERO_ERROR;
    size_t cap = strlen (utf8) * 4 + 16;
    char *out = hny_malloc (cap);
    int32_t n = ucnv_convert (charset, "UTF-8", out, (int32_t) cap, utf8, -1, &err);
    if (U_FAILURE (err)) {
        fprintf (stderr, "cannot encode into %s: %s\n", charset, u_errorName (err));
        exit (2);
    }
    *size = (size_t) n;
    return (uint8_t *) out;
}

/* Decode and compare with the expected UTF-8 text and charset name. */
static void
s_expect (const char *what, const uint8_t *data, size_t size, const char *charset, const char *text)
{
    hny_charset_info_t info;
    size_t len = 0;
    int status = 0;
    char *reason = NULL;
    char *out = hny_charset_decode (data, size, 0, &len, &info, &status, &reason);
    if (!out) {
        fprintf (stderr, "%s: decode failed: %d %s\n", what, status, reason);
        s_failures++;
        free (reason);
        return;
    }
    if (strcmp (info.charset, charset) != 0) {
        fprintf (stderr, "%s: charset %s, expected %s\n", what, info.charset, charset);
        s_failures++;
    }
    if (text && (len != strlen (text) || strcmp (out, text) != 0)) {
        fprintf (stderr, "%s: text differs:\n got  [%s]\n want [%s]\n", what, out, text);
        s_failures++;
    }
    CHECK (info.replaced == 0);
    CHECK (strlen (out) == len);
    free (out);
}

/* Decode with the given code and return the reason (caller owns). */
static char *
s_expect_error (const char *what, const uint8_t *data, size_t size, int lenient)
{
    hny_charset_info_t info;
    size_t len = 0;
    int status = 0;
    char *reason = NULL;
    char *out = hny_charset_decode (data, size, lenient, &len, &info, &status, &reason);
    if (out) {
        fprintf (stderr, "%s: expected an error, got %s [%s]\n", what, info.charset, out);
        s_failures++;
        free (out);
        return hny_strdup ("");
    }
    CHECK (status == 415);
    CHECK (reason != NULL);
    return reason ? reason : hny_strdup ("");
}

static const char *s_english =
    "“Threats” recognized in Japan–US talks — it’s a change, said the ministers.\n";

static const char *s_japanese =
    "日米の外務・防衛担当閣僚による会合で、脅威の認識に変化が見られました。\n"
    "前回の共同声明では、北朝鮮を地域と世界の平和と安定に対する脅威と認めていました。\n"
    "今回の声明は北朝鮮を脅威とは呼ばず、米国の外交努力を歓迎しました。\n";

/* Decode leniently: the text, the charset and the count of U+FFFD. */
static void
s_expect_lenient (const char *what, const char *data, const char *charset, const char *text,
                  size_t replaced)
{
    hny_charset_info_t info;
    size_t len = 0;
    int status = 0;
    char *reason = NULL;
    char *out =
        hny_charset_decode ((const uint8_t *) data, strlen (data), 1, &len, &info, &status, &reason);
    if (!out) {
        fprintf (stderr, "%s: lenient decode failed: %d %s\n", what, status, reason);
        s_failures++;
        free (reason);
        return;
    }
    if (strcmp (info.charset, charset) != 0 || info.replaced != replaced
        || strcmp (out, text) != 0) {
        fprintf (stderr, "%s: got %s, %zu replaced [%s]\n   want %s, %zu replaced [%s]\n", what,
                 info.charset, info.replaced, out, charset, replaced, text);
        s_failures++;
    }
    free (out);
}

/* Strict decoding fails with 415 naming the charset and this byte offset. */
static void
s_expect_offset (const char *what, const char *data, const char *charset, size_t offset)
{
    char *reason = s_expect_error (what, (const uint8_t *) data, strlen (data), 0);
    char *want = hny_sprintf ("undecodable %s at byte offset %zu ", charset, offset);
    if (!strstr (reason, want)) {
        fprintf (stderr, "%s: reason [%s], expected it to contain [%s]\n", what, reason, want);
        s_failures++;
    }
    free (want);
    free (reason);
}

/* Invalid UTF-8 inside mostly-ASCII text is UTF-8 with damage, not
   windows-1252, when the bytes or the page say UTF-8: a few well-formed
   multi-byte sequences, or a <meta> UTF-8 declaration with a sequence cut
   short. Legacy pages, whose high bytes stand alone, decode as before. */
static void
s_damaged_utf8 (void)
{
    size_t size;
    const char *ascii =
        "The ministers met on Friday and issued a joint statement on the alliance. ";
    /* one well-formed "’", a stray 0x92 and a "’" cut to two bytes */
    char *text = hny_sprintf ("%sIt\xE2\x80\x99s new. A stray \x92 and a cut \xE2\x80 quote.%s",
                              ascii, ascii);
    size_t stray = strlen (ascii) + strlen ("It\xE2\x80\x99s new. A stray ");
    s_expect_offset ("utf-8, 1 good 2 bad", text, "UTF-8", stray);
    char *want =
        hny_sprintf ("%sIt\xE2\x80\x99s new. A stray \xEF\xBF\xBD and a cut \xEF\xBF\xBD quote.%s",
                     ascii, ascii);
    s_expect_lenient ("utf-8, 1 good 2 bad", text, "UTF-8", want, 2);
    free (want);
    free (text);

    /* a page declaring UTF-8 whose only non-ASCII character was cut short */
    const char *head = "<html><head><meta charset=\"utf-8\"><title>T</title></head><body><p>";
    text = hny_sprintf ("%s%sCut \xE2\x80 here.</p></body></html>", head, ascii);
    s_expect_offset ("declared utf-8, cut", text, "UTF-8", strlen (head) + strlen (ascii) + 4);
    want = hny_sprintf ("%s%sCut \xEF\xBF\xBD here.</p></body></html>", head, ascii);
    s_expect_lenient ("declared utf-8, cut", text, "UTF-8", want, 1);
    free (want);
    free (text);
    /* ... and with well-formed sequences and stray bytes */
    text =
        hny_sprintf ("%s\xE2\x80\x9CThreat\xE2\x80\x9D, \x93not this\x94.</p></body></html>", head);
    s_expect_offset ("declared utf-8, stray", text, "UTF-8", strlen (head) + 14);
    free (text);

    /* The other side. windows-1252 English: only lone high bytes, one of
       them (“CAFÉ”: 0xC9 0x94) forming a well-formed pair by accident,
       outweighed by the errors */
    const char *en =
        "\x93Threats\x94 recognized in Japan\x96US talks \x97 it\x92s a change, at the \x93"
        "CAF\xC9\x94 sign.\n";
    s_expect ("cp1252 with an accidental pair", (const uint8_t *) en, strlen (en), "windows-1252",
              "“Threats” recognized in Japan–US talks — it’s a change, at the “CAFÉ” sign.\n");
    /* ISO-8859-1 French, whose "é»" looks like a cut sequence: with no
       declaration that is no evidence */
    const char *fr = "Il a dit \xAB"
                     "c'est l'\xE9t\xE9\xBB, au caf\xE9 \xE0 c\xF4t\xE9 du ch\xE2"
                     "teau.\n";
    s_expect ("latin-1 with a cut-like pair", (const uint8_t *) fr, strlen (fr), "ISO-8859-1",
              "Il a dit «c'est l'été», au café à côté du château.\n");
    /* ... nor with a wrong UTF-8 declaration, when the errors outweigh it */
    text = hny_sprintf ("%s%s</p></body></html>", head, fr);
    char *page = hny_sprintf (
        "%sIl a dit «c'est l'été», au café à côté du château.\n</p></body></html>", head);
    s_expect ("declared utf-8, latin-1 text", (const uint8_t *) text, strlen (text), "ISO-8859-1",
              page);
    free (page);
    free (text);
    /* ... nor Japanese legacy text under a wrong UTF-8 declaration: its
       accidental well-formed pairs are far outnumbered by the errors */
    page = hny_sprintf ("%s%s</p></body></html>", head, s_japanese);
    uint8_t *sjis = s_encode ("Shift_JIS", page, &size);
    s_expect ("declared utf-8, Shift_JIS text", sjis, size, "Shift_JIS", page);
    free (sjis);
    sjis = s_encode ("EUC-JP", page, &size);
    s_expect ("declared utf-8, EUC-JP text", sjis, size, "EUC-JP", page);
    free (sjis);
    free (page);
    /* with no declaration and no well-formed sequence, a cut sequence alone
       cannot tell damaged UTF-8 from windows-1252: legacy, as before */
    text = hny_sprintf ("%sCut \xE2\x80 here.", ascii);
    char *cp = hny_sprintf ("%sCut \xC3\xA2\xE2\x82\xAC here.", ascii);
    s_expect ("undeclared, cut only", (const uint8_t *) text, strlen (text), "windows-1252", cp);
    free (cp);
    free (text);
}

int
main (void)
{
    hny_log_init ("test_charset", getenv ("HNY_DEBUG") ? HNY_LOG_DEBUG : HNY_LOG_WARN);
    size_t size;
    uint8_t *data;

    /* UTF-8, with and without BOM; ASCII is reported as UTF-8 */
    s_expect ("utf-8", (const uint8_t *) s_english, strlen (s_english), "UTF-8", s_english);
    s_expect ("ascii", (const uint8_t *) "plain ASCII\n", 12, "UTF-8", "plain ASCII\n");
    s_expect ("empty", (const uint8_t *) "", 0, "UTF-8", "");
    char *bom = hny_sprintf ("\xEF\xBB\xBF%s", s_japanese);
    s_expect ("utf-8 bom", (const uint8_t *) bom, strlen (bom), "UTF-8", s_japanese);
    free (bom);

    /* UTF-16 with BOMs (the NUL bytes in them are not "binary") */
    data = s_encode ("UTF-16LE", s_japanese, &size);
    uint8_t *with_bom = hny_malloc (size + 2);
    with_bom[0] = 0xFF, with_bom[1] = 0xFE;
    memcpy (with_bom + 2, data, size);
    s_expect ("utf-16le", with_bom, size + 2, "UTF-16LE", s_japanese);
    free (with_bom);
    free (data);
    data = s_encode ("UTF-16BE", s_english, &size);
    with_bom = hny_malloc (size + 2);
    with_bom[0] = 0xFE, with_bom[1] = 0xFF;
    memcpy (with_bom + 2, data, size);
    s_expect ("utf-16be", with_bom, size + 2, "UTF-16BE", s_english);
    free (with_bom);
    free (data);

    /* Japanese legacy charsets, detected */
    data = s_encode ("Shift_JIS", s_japanese, &size);
    s_expect ("shift_jis", data, size, "Shift_JIS", s_japanese);
    free (data);
    data = s_encode ("EUC-JP", s_japanese, &size);
    s_expect ("euc-jp", data, size, "EUC-JP", s_japanese);
    free (data);
    data = s_encode ("ISO-2022-JP", s_japanese, &size);
    s_expect ("iso-2022-jp", data, size, "ISO-2022-JP", s_japanese);
    free (data);

    /* Western single-byte: curly quotes (0x80-0x9F) mean windows-1252 */
    data = s_encode ("windows-1252", s_english, &size);
    s_expect ("windows-1252", data, size, "windows-1252", s_english);
    free (data);
    const char *latin1 = "Le café au lait de la façade, à côté du château, était très bon.\n"
                         "Où est la gare ? Ça va très bien, merci. L'été était long.\n";
    data = s_encode ("ISO-8859-1", latin1, &size);
    s_expect ("iso-8859-1", data, size, "ISO-8859-1", latin1);
    free (data);

    /* A <meta> declaration wins when it decodes cleanly: these bytes are
       valid UTF-8 but the page says windows-1252. */
    const char *meta = "<html><head><meta charset=\"windows-1252\"></head><body><p>caf\xC3\xA9</p></body></html>";
    s_expect ("meta charset", (const uint8_t *) meta, strlen (meta), "windows-1252",
              "<html><head><meta charset=\"windows-1252\"></head><body><p>cafÃ©</p></body></html>");
    char *page = hny_sprintf ("<html><head><meta http-equiv=\"Content-Type\" "
                              "content=\"text/html; charset=Shift_JIS\"></head><body><p>%s</p></body></html>",
                              "日本語");
    data = s_encode ("Shift_JIS", page, &size);
    s_expect ("meta http-equiv", data, size, "Shift_JIS", page);
    free (data);
    free (page);
    /* ... and is ignored when it does not: declared UTF-8, bytes windows-1252 */
    page = hny_sprintf ("<html><head><meta charset=utf-8></head><body><p>%s</p></body></html>", s_english);
    data = s_encode ("windows-1252", page, &size);
    s_expect ("meta wrong", data, size, "windows-1252", page);
    free (data);
    free (page);
    char name[32];
    CHECK (hny_charset_declared ((const uint8_t *) "<META CONTENT='text/html; CHARSET=euc-jp'>", 43,
                                 name, sizeof name) == 0);
    CHECK (strcmp (name, "euc-jp") == 0);
    CHECK (hny_charset_declared ((const uint8_t *) "<p>charset=x</p>", 16, name, sizeof name) == -1);

    /* A truncated multi-byte sequence in UTF-8: strict names the offset */
    const char *broken = "abc\xE6\x97" "def 日本語のテキスト";
    char *reason = s_expect_error ("truncated utf-8", (const uint8_t *) broken, strlen (broken), 0);
    CHECK (strstr (reason, "offset 3") != NULL);
    CHECK (strstr (reason, "UTF-8") != NULL);
    free (reason);
    /* ... at the very end too */
    char *tail = hny_sprintf ("%s\xE6\x97", s_japanese);
    reason = s_expect_error ("truncated at end", (const uint8_t *) tail, strlen (tail), 0);
    char *want = hny_sprintf ("offset %zu", strlen (s_japanese));
    CHECK (strstr (reason, want) != NULL);
    free (want);
    free (reason);
    /* lenient: one U+FFFD, counted */
    hny_charset_info_t info;
    size_t len;
    int status = 0;
    char *out = hny_charset_decode ((const uint8_t *) broken, strlen (broken), 1, &len, &info, &status, &reason);
    CHECK (out != NULL);
    if (out) {
        CHECK (info.replaced == 1);
        CHECK (strcmp (out, "abc\xEF\xBF\xBD" "def 日本語のテキスト") == 0);
        CHECK (strcmp (info.charset, "UTF-8") == 0);
        free (out);
    }
    out = hny_charset_decode ((const uint8_t *) tail, strlen (tail), 1, &len, &info, &status, &reason);
    CHECK (out != NULL && info.replaced == 1);
    free (out);
    free (tail);
    /* windows-1252 text with a byte Windows leaves undefined (0x81): an
       error naming it, or U+FFFD in lenient mode; never a dropped C1 control */
    const char *cp = "\x93Quoted\x94 text with a stray \x81 byte, and more words here.\n";
    reason = s_expect_error ("undefined windows-1252", (const uint8_t *) cp, strlen (cp), 0);
    CHECK (strstr (reason, "offset 27") != NULL);
    CHECK (strstr (reason, "windows-1252") != NULL);
    free (reason);
    out = hny_charset_decode ((const uint8_t *) cp, strlen (cp), 1, &len, &info, &status, &reason);
    CHECK (out != NULL);
    if (out) {
        CHECK (info.replaced == 1);
        CHECK (strstr (out, "stray \xEF\xBF\xBD byte") != NULL);
        CHECK (strncmp (out, "\xE2\x80\x9CQuoted\xE2\x80\x9D", 12) == 0);
        free (out);
    }
    /* truncated Shift_JIS: a lead byte with no trail byte at the end */
    data = s_encode ("Shift_JIS", s_japanese, &size);
    data[size - 1] = 0x93;  /* the final "\n" becomes a lone lead byte */
    reason = s_expect_error ("truncated shift_jis", data, size, 0);
    want = hny_sprintf ("offset %zu", size - 1);
    CHECK (strstr (reason, want) != NULL);
    free (want);
    free (reason);
    out = hny_charset_decode (data, size, 1, &len, &info, &status, &reason);
    CHECK (out != NULL && info.replaced == 1 && strcmp (info.charset, "Shift_JIS") == 0);
    free (out);
    free (data);

    s_damaged_utf8 ();

    /* Binary: NUL bytes, or many control bytes */
    const uint8_t png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R' };
    reason = s_expect_error ("png", png, sizeof png, 1);
    CHECK (strstr (reason, "not text") != NULL);
    free (reason);
    uint8_t controls[200];
    for (size_t i = 0; i < sizeof controls; i++)
        controls[i] = (uint8_t) (i % 3 == 0 ? 0x01 + i % 7 : 'a');
    reason = s_expect_error ("controls", controls, sizeof controls, 0);
    CHECK (strstr (reason, "not text") != NULL);
    free (reason);

    return s_check_done ("test_charset");
}
