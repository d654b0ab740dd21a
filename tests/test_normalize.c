/*  test_normalize.c: hny_normalize rule by rule (N1-N8 in
    workers/hny_normalize.c), and the contract: a new NUL-terminated string,
    *out_len its length, reusable normalizer, pointer reset on destroy. */

#include "hny_normalize.h"
#include "honyaku/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int s_failures = 0;
static int s_checks = 0;

static void
s_check_n (hny_normalizer_t *nz, const char *rule, const char *in, size_t len, const char *want)
{
    s_checks++;
    size_t out_len = 12345;
    char *out = hny_normalize (nz, in, len, &out_len);
    if (!out || out_len != strlen (want) || strcmp (out, want) != 0 || strlen (out) != out_len) {
        s_failures++;
        printf ("FAIL [%s]\n  in:       \"%.*s\"\n  expected: \"%s\"\n  got:      \"%s\" (%zu)\n", rule,
                (int) len, in, want, out ? out : "(NULL)", out_len);
    }
    free (out);
}

static void
s_check (hny_normalizer_t *nz, const char *rule, const char *in, const char *want)
{
    s_check_n (nz, rule, in, strlen (in), want);
}

/* The short and the long way agree: random paragraphs made of pieces
   that exercise every rule, each normalized both ways. */
static void
s_check_ways (void)
{
    static const char *const pieces[] = {
        /* the short way's: ASCII, N2's removals, whitespace, inert characters */
        "a", "Z", "7", ".", " ", "\t", "\n", "\r\n", "\r", "\x01", "\x7f", "\xc2\xa0",
        "\xe2\x80\x8b", "\xef\xbb\xbf", "\xe2\x80\x99", "\xe2\x80\x94", "\xe6\x97\xa5",
        "\xe3\x80\x82", "\xe2\x80\x83", "\xf0\x9f\x98\x80", "\xe2\x91\xa0",
        /* the long way's */
        "\xc2\x85", "\xe2\x80\xa8", "\xc3\xa9", "e\xcc\x81", "\xcc\x81", "\xe3\x80\x80",
        "\xe3\x81\x8b", "\xe3\x82\x99", "\xef\xbd\xb6", "\xef\xbe\x9e", "\xef\xbc\xa1",
        "\xef\xbc\x8e", "\xef\xbc\x91", "\xff", "\xea\xb0\x80", "\xe1\x84\x80",
        "\xe1\x85\xa1", "\x0b",
    };
    size_t kinds = sizeof pieces / sizeof pieces[0];
    hny_normalizer_t *fast = hny_normalizer_new ();
    hny_normalizer_t *slow = hny_normalizer_new ();
    hny_normalizer_set_short_way (slow, 0);
    unsigned seed = 12345;
    int differ = 0;
    for (int round = 0; round < 20000 && differ < 5; round++) {
        char text[512];
        size_t len = 0;
        int count = 1 + (int) ((seed = seed * 1103515245u + 12345u) >> 16) % 24;
        /* most rounds draw from the first pieces only (the short way's) */
        size_t from = round % 3 == 0 ? kinds : 21;
        for (int k = 0; k < count; k++) {
            const char *p = pieces[((seed = seed * 1103515245u + 12345u) >> 16) % from];
            memcpy (text + len, p, strlen (p));
            len += strlen (p);
        }
        size_t a_len = 0, b_len = 0;
        char *a = hny_normalize (fast, text, len, &a_len);
        char *b = hny_normalize (slow, text, len, &b_len);
        s_checks++;
        if (!a || !b || a_len != b_len || memcmp (a, b, a_len) != 0) {
            s_failures++;
            differ++;
            printf ("FAIL the two ways differ on \"%.*s\":\n  short: \"%s\"\n  long:  \"%s\"\n",
                    (int) len, text, a ? a : "(NULL)", b ? b : "(NULL)");
        }
        free (a);
        free (b);
    }
    hny_normalizer_destroy (&fast);
    hny_normalizer_destroy (&slow);
}

int
main (void)
{
    hny_log_init ("test_normalize", HNY_LOG_ERROR);
    hny_normalizer_t *nz = hny_normalizer_new ();
    if (!nz) {
        printf ("FAIL cannot create a normalizer\n");
        return 1;
    }
    /* N1 invalid UTF-8 */
    s_check (nz, "N1 invalid byte", "a\xff" "b", "a\xef\xbf\xbd" "b");
    s_check (nz, "N1 truncated sequence", "a\xe3\x81", "a\xef\xbf\xbd");
    /* N2 control characters */
    s_check (nz, "N2 C0 controls", "a\x01" "b\x1b" "c\x7f" "d", "abcd");
    s_check (nz, "N2 C1 control", "a\xc2\x9b" "b", "ab");
    s_check (nz, "N2 zero-width space", "東京\xe2\x80\x8b大阪", "東京大阪");
    s_check (nz, "N2 ZWNJ ZWJ LRM RLM", "a\xe2\x80\x8c" "b\xe2\x80\x8d" "c\xe2\x80\x8e" "d\xe2\x80\x8f" "e", "abcde");
    s_check (nz, "N2 BOM", "\xef\xbb\xbfHello", "Hello");
    s_check (nz, "N2 tab is whitespace", "a\tb", "a b");
    s_check_n (nz, "N2 NUL removed", "a\0b", 3, "ab");
    /* N3 half-width katakana */
    s_check (nz, "N3 plain", "ﾃｽﾄ", "テスト");
    s_check (nz, "N3 voiced", "ｶﾞｷﾞｸﾞｹﾞｺﾞ", "ガギグゲゴ");
    s_check (nz, "N3 semi-voiced", "ﾊﾟﾝﾀﾞ", "パンダ");
    s_check (nz, "N3 vu", "ｳﾞｧｲｵﾘﾝ", "ヴァイオリン");
    s_check (nz, "N3 mark without base", "ｱﾞ", "ア゛");
    s_check (nz, "N3 mark at start", "ﾟ", "゜");
    s_check (nz, "N3 punctuation", "｢ｰ｣｡､･ｯｬ", "「ー」。、・ッャ");
    /* N4 full-width ASCII */
    s_check (nz, "N4 letters and digits", "ＡＢＣａｂｃ０１２９", "ABCabc0129");
    s_check (nz, "N4 symbols", "＃＄％＆＊＋－／＜＝＞＠＼＾＿｀｜＂＇", "#$%&*+-/<=>@\\^_`|\"'");
    s_check (nz, "N4 decimal point", "引き下げ幅は３．２９％", "引き下げ幅は3.29%");
    s_check (nz, "N4 decimal point mixed", "3．5mの板", "3.5mの板");
    s_check (nz, "N4 full stop kept", "散歩した．次に", "散歩した．次に");
    s_check (nz, "N4 sentence punctuation kept", "本当！？（注）［１］｛２｝，：；～",
             "本当！？（注）［1］｛2｝，：；～");
    /* N5 ideographic space */
    s_check (nz, "N5 ideographic space", "東京\xe3\x80\x80大阪", "東京 大阪");
    /* N6 NFC, not NFKC */
    s_check (nz, "N6 combining acute", "Cafe\xcc\x81", "Café");
    s_check (nz, "N6 combining voiced mark", "か\xe3\x82\x99", "が");
    s_check (nz, "N6 NFKC characters kept", "①㈱℃Ⅳﬁ㍻", "①㈱℃Ⅳﬁ㍻");
    /* N7 whitespace */
    s_check (nz, "N7 fold and trim", "  a \t  b  ", "a b");
    s_check (nz, "N7 no-break spaces", "a\xc2\xa0\xc2\xa0" "b\xe2\x80\x83" "c", "a b c");
    s_check (nz, "N7 only whitespace", " \t\xe3\x80\x80 ", "");
    /* N8 line breaks */
    s_check (nz, "N8 English", "It was a cold \nnight in the city.", "It was a cold night in the city.");
    s_check (nz, "N8 Japanese", "これは父の\n家です。", "これは父の家です。");
    s_check (nz, "N8 Japanese punctuation", "と述べた。\n「次に", "と述べた。「次に");
    s_check (nz, "N8 mixed", "日本語\nEnglish", "日本語 English");
    s_check (nz, "N8 CRLF and CR", "one\r\ntwo\rthree", "one two three");
    s_check (nz, "N8 U+2028", "one\xe2\x80\xa8two", "one two");
    s_check (nz, "N8 blank lines and spaces", "東京 \n\n  大阪", "東京大阪");
    s_check (nz, "N8 edges trimmed", "\n\nabc\n", "abc");
    /* quotes untouched */
    s_check (nz, "quotes kept", "“Hi,” he said, 'ok' \"x\" ‘y’", "“Hi,” he said, 'ok' \"x\" ‘y’");
    s_check (nz, "plain text unchanged", "The U.S. Government.", "The U.S. Government.");
    /* contract */
    s_check_n (nz, "empty", "", 0, "");
    s_check_n (nz, "NULL text", NULL, 0, "");
    s_check_n (nz, "length respected", "abcdef", 3, "abc");
    /* a big input after small ones: buffers grow */
    size_t big = 100000;
    char *text = hny_malloc (big + 1);
    for (size_t i = 0; i < big; i++)
        text[i] = i % 10 == 9 ? ' ' : 'x';
    text[big] = 0;
    size_t out_len = 0;
    char *out = hny_normalize (nz, text, big, &out_len);
    s_checks++;
    if (!out || out_len != big - 1) {
        s_failures++;
        printf ("FAIL big input: %zu bytes\n", out_len);
    }
    free (out);
    free (text);
    hny_normalizer_destroy (&nz);
    s_checks++;
    if (nz) {
        s_failures++;
        printf ("FAIL destroy must reset the pointer\n");
    }
    hny_normalizer_destroy (&nz);
    s_check_ways ();
    printf ("%d of %d checks passed\n", s_checks - s_failures, s_checks);
    return s_failures ? 1 : 0;
}
