/*  test_segment.c: hny_segment rule by rule (R1-R11 in workers/hny_segment.c)
    on news-style English and Japanese, plus the API contract: spans are
    trimmed byte ranges of the input, empty text gives 0 and NULL, buffers
    are reused across calls of different sizes. Given the shared samples
    folder, it also segments the sample article paragraph by paragraph.

    Usage: test_segment [SAMPLES_DIR] */

#include "hny_segment.h"
#include "honyaku/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int s_failures = 0;
static int s_checks = 0;

/* Segment text and compare with the NULL-terminated list of sentences. */
static void
s_check (hny_segmenter_t *seg, const char *rule, const char *text, ...)
{
    const char *want[64];
    size_t nwant = 0;
    va_list ap;
    va_start (ap, text);
    for (const char *w = va_arg (ap, const char *); w && nwant < 64; w = va_arg (ap, const char *))
        want[nwant++] = w;
    va_end (ap);

    s_checks++;
    hny_span_t *spans = NULL;
    size_t n = hny_segment (seg, text, strlen (text), &spans);
    int ok = n == nwant;
    for (size_t i = 0; ok && i < n; i++)
        ok = spans[i].length == strlen (want[i]) && memcmp (text + spans[i].offset, want[i], spans[i].length) == 0;
    if (!ok) {
        s_failures++;
        printf ("FAIL [%s] %s\n  expected %zu:\n", rule, text, nwant);
        for (size_t i = 0; i < nwant; i++)
            printf ("    | %s\n", want[i]);
        printf ("  got %zu:\n", n == (size_t) -1 ? 0 : n);
        for (size_t i = 0; n != (size_t) -1 && i < n; i++)
            printf ("    | %.*s\n", (int) spans[i].length, text + spans[i].offset);
    }
    free (spans);
}

static void
s_english (hny_segmenter_t *en)
{
    /* plain cases and news sentences */
    s_check (en, "basic", "Hello World. My name is Jonas.", "Hello World.", "My name is Jonas.", NULL);
    s_check (en, "news", "Prime Minister Shinzo Abe said the two leaders would meet on April 19. The talks will focus on trade.",
             "Prime Minister Shinzo Abe said the two leaders would meet on April 19.", "The talks will focus on trade.", NULL);
    s_check (en, "R3 ellipsis", "Prime Minister Abe said ... the talks would resume on April 19.",
             "Prime Minister Abe said ... the talks would resume on April 19.", NULL);
    s_check (en, "R2 multi-period", "They reaffirmed the Japan-U.S. alliance. The statement was issued on Friday.",
             "They reaffirmed the Japan-U.S. alliance.", "The statement was issued on Friday.", NULL);
    s_check (en, "R2 number", "He was ranked No. 1 in the world. She was No. 2.", "He was ranked No. 1 in the world.", "She was No. 2.", NULL);
    s_check (en, "R2 multi-period", "The U.N. Security Council met on Monday. It adopted a resolution.",
             "The U.N. Security Council met on Monday.", "It adopted a resolution.", NULL);
    s_check (en, "R2 multi-period end", "He moved to the U.S. He was 12.", "He moved to the U.S.", "He was 12.", NULL);
    /* an initialism inside a name, also as the end of a compound, and at
       the end of a sentence before a word that opens one */
    s_check (en, "R2 initialism in a name",
             "It falls under Article 5 of the Japan-U.S. Security Treaty. The U.S. agreed.",
             "It falls under Article 5 of the Japan-U.S. Security Treaty.", "The U.S. agreed.",
             NULL);
    s_check (en, "R2 initialism in a name",
             "U.S. Forces Japan and the U.S. Embassy denied it to the U.N. Security Council.",
             "U.S. Forces Japan and the U.S. Embassy denied it to the U.N. Security Council.",
             NULL);
    s_check (en, "R2 initialism ends",
             "The plan was drawn up by the U.S. The ministry said it would study it.",
             "The plan was drawn up by the U.S.", "The ministry said it would study it.", NULL);
    s_check (en, "R2 initialism ends", "Arms are bought from the U.S. Despite this, prices rise.",
             "Arms are bought from the U.S.", "Despite this, prices rise.", NULL);
    s_check (en, "R2 compound ends", "They oppose the Japan-U.S. It is a military alliance.",
             "They oppose the Japan-U.S.", "It is a military alliance.", NULL);
    s_check (en, "R2 model name", "The U.S. A-10 took part.", "The U.S. A-10 took part.", NULL);
    s_check (en, "R2 courtesy title",
             "Abe flew to the U.S. Mr. Abe met Trump. At 5 a.m. Mr. Abe left.",
             "Abe flew to the U.S.", "Mr. Abe met Trump.", "At 5 a.m. Mr. Abe left.", NULL);
    s_check (en, "R2 title in a compound", "Ex-Gov. Onaga opposed it.", "Ex-Gov. Onaga opposed it.",
             NULL);
    s_check (en, "R2 hyphen is no initial", "They chose Plan-B. The vote was 5 to 4.",
             "They chose Plan-B.", "The vote was 5 to 4.", NULL);
    s_check (en, "R2 titles", "Gov. Yuriko Koike met Sen. Bob Smith and Prof. Ito at Mt. Fuji.",
             "Gov. Yuriko Koike met Sen. Bob Smith and Prof. Ito at Mt. Fuji.", NULL);
    s_check (en, "R2 titles+initials", "Lt. Col. John A. Smith arrived on Jan. 5 with Dr. Kim. He left.",
             "Lt. Col. John A. Smith arrived on Jan. 5 with Dr. Kim.", "He left.", NULL);
    s_check (en, "R2 initials lower", "See p. 55 for details.", "See p. 55 for details.", NULL);
    s_check (en, "R2 a.m./p.m.", "The meeting ended at 3 p.m. on Tuesday.", "The meeting ended at 3 p.m. on Tuesday.", NULL);
    s_check (en, "R2 a.m./p.m. end", "The meeting ended at 3 p.m. The leaders then left.",
             "The meeting ended at 3 p.m.", "The leaders then left.", NULL);
    s_check (en, "R2 company", "Sony Corp. President Kenichiro Yoshida spoke. Toyota Motor Corp. It said profits rose.",
             "Sony Corp. President Kenichiro Yoshida spoke.", "Toyota Motor Corp.", "It said profits rose.", NULL);
    s_check (en, "R2 e.g.", "Some fruits, e.g. Apples and pears, grow here.", "Some fruits, e.g. Apples and pears, grow here.", NULL);
    s_check (en, "R2 pronoun I", "You and I. Did you see Albert I. Jones?", "You and I.", "Did you see Albert I. Jones?", NULL);
    s_check (en, "R2 not an abbreviation", "Sales rose 3.5 percent. Exports fell in Aug. The yen rose.",
             "Sales rose 3.5 percent.", "Exports fell in Aug.", "The yen rose.", NULL);
    s_check (en, "R2 etc.", "They sell rice, tea, etc. Japan buys most.", "They sell rice, tea, etc.", "Japan buys most.", NULL);
    s_check (en, "R3 4-dot", "I never meant that.... She left.", "I never meant that....", "She left.", NULL);
    s_check (en, "R3 spaced", "He said . . . I doubt it. Then he left.", "He said . . . I doubt it.", "Then he left.", NULL);
    s_check (en, "R3 brackets", "\"Bohr [...] used the analogy [...]\" (Smith 55). Next.",
             "\"Bohr [...] used the analogy [...]\" (Smith 55).", "Next.", NULL);
    s_check (en, "R4 quote", "'What?' he asked. 'Nothing.'", "'What?' he asked.", "'Nothing.'", NULL);
    s_check (en, "R4 Yahoo!", "She works at Yahoo! in Tokyo. Really!", "She works at Yahoo! in Tokyo.", "Really!", NULL);
    s_check (en, "R5 glued", "Hello world.Today is Tuesday.", "Hello world.", "Today is Tuesday.", NULL);
    s_check (en, "R5 url", "Visit www.example.com/News.Today or mail a.b@example.com.Then call.",
             "Visit www.example.com/News.Today or mail a.b@example.com.Then call.", NULL);
    s_check (en, "R5 abbreviation", "Ask Mr.Smith now.", "Ask Mr.Smith now.", NULL);
    s_check (en, "R6 numbered", "1. First point 2. Second point", "1. First point", "2. Second point", NULL);
    s_check (en, "R6 parens", "1) First 2) Second 3) Third", "1) First", "2) Second", "3) Third", NULL);
    s_check (en, "R6 single number", "He came 2. He left.", "He came 2.", "He left.", NULL);
    s_check (en, "R6 bullets", "• one thing • another thing", "• one thing", "• another thing", NULL);
    s_check (en, "R7 headline", "Japan, U.S. agree on trade\nTOKYO -- Japan and the United States agreed on Friday.",
             "Japan, U.S. agree on trade", "TOKYO -- Japan and the United States agreed on Friday.", NULL);
    s_check (en, "R7 CRLF", "One line\r\nAnother line", "One line", "Another line", NULL);
    s_check (en, "no terminator", "  A headline without a period  ", "A headline without a period", NULL);
    s_check (en, "decimals", "She has $100.00. It is in her bag.", "She has $100.00.", "It is in her bag.", NULL);
}

static void
s_japanese (hny_segmenter_t *ja)
{
    s_check (ja, "basic", "政府は１０日、閣議決定した。首相は記者会見した。", "政府は１０日、閣議決定した。", "首相は記者会見した。", NULL);
    s_check (ja, "R8 quotation", "首相は「景気は回復している。」と述べた。野党は反発した。",
             "首相は「景気は回復している。」と述べた。", "野党は反発した。", NULL);
    s_check (ja, "R9 quote with sentences", "首相は「対話を続ける。圧力も維持する」と強調した。",
             "首相は「対話を続ける。圧力も維持する」と強調した。", NULL);
    s_check (ja, "R9 title", "映画『君の名は。』が公開された。観客は１００万人を超えた。",
             "映画『君の名は。』が公開された。", "観客は１００万人を超えた。", NULL);
    s_check (ja, "R9 dialogue", "「ありがとう。」「どういたしまして。」", "「ありがとう。」「どういたしまして。」", NULL);
    s_check (ja, "R1 opener", "雨だ。「傘を持って行こう。」", "雨だ。", "「傘を持って行こう。」", NULL);
    s_check (ja, "R8 particle", "モーニング娘。のメンバーが来日した。", "モーニング娘。のメンバーが来日した。", NULL);
    s_check (ja, "R8 starter", "雨が降った。もちろん中止だ。", "雨が降った。", "もちろん中止だ。", NULL);
    s_check (ja, "R8 question", "本当ですか？と聞かれた。", "本当ですか？と聞かれた。", NULL);
    s_check (ja, "dateline", "【ワシントン共同】米政府は１９日、声明を発表した。", "【ワシントン共同】米政府は１９日、声明を発表した。", NULL);
    s_check (ja, "decimal", "引き下げ幅は３．２９％以上になる。次の文。", "引き下げ幅は３．２９％以上になる。", "次の文。", NULL);
    s_check (ja, "R7 headline", "日銀、金利据え置き\n日本銀行は２８日、金融政策を決めた。",
             "日銀、金利据え置き", "日本銀行は２８日、金融政策を決めた。", NULL);
    s_check (ja, "R7 inside quote", "彼は「文の\n途中」と言った。", "彼は「文の\n途中」と言った。", NULL);
    s_check (ja, "R4 Yahoo!", "Yahoo!ニュースが報じた。", "Yahoo!ニュースが報じた。", NULL);
    s_check (ja, "R10 ellipsis", "なるほど…これは難しい。", "なるほど…", "これは難しい。", NULL);
    s_check (ja, "R11 emoji", "行きました😄楽しかった。", "行きました😄", "楽しかった。", NULL);
    s_check (ja, "R11 face", "残業(T_T)帰りたい", "残業(T_T)", "帰りたい", NULL);
    s_check (ja, "R11 no face", "非政府組織(NGO)を紹介します。", "非政府組織(NGO)を紹介します。", NULL);
    s_check (ja, "R11 time is no face", "午前10:30に開始した。", "午前10:30に開始した。", NULL);
    s_check (ja, "latin in ja", "米国務省によると、U.S. Steelは声明を出した。", "米国務省によると、U.S. Steelは声明を出した。", NULL);
}

static void
s_contract (void)
{
    hny_segmenter_t *seg = hny_segmenter_new ("en");
    hny_span_t *spans = (hny_span_t *) &spans;
    s_checks++;
    if (hny_segment (seg, "", 0, &spans) != 0 || spans != NULL) {
        s_failures++;
        printf ("FAIL empty text must give 0 and NULL\n");
    }
    s_checks++;
    if (hny_segment (seg, " \n\t \xe3\x80\x80 ", 8, &spans) != 0 || spans != NULL) {
        s_failures++;
        printf ("FAIL whitespace-only text must give 0 and NULL\n");
    }
    /* a large paragraph, then a small one: buffers shrink back correctly */
    size_t big = 0;
    char *text = hny_malloc (200 * 40 + 1);
    for (int i = 0; i < 200; i++)
        big += (size_t) sprintf (text + big, "Sentence number %03d is here. ", i);
    size_t n = hny_segment (seg, text, big, &spans);
    s_checks++;
    if (n != 200 || spans[199].offset + spans[199].length != big - 1) {
        s_failures++;
        printf ("FAIL 200 sentences expected, got %zu\n", n);
    }
    free (spans);
    free (text);
    s_check (seg, "reuse", "Small. Text.", "Small.", "Text.", NULL);
    /* invalid UTF-8 must not crash and spans stay inside the input */
    const char bad[] = "Bad \xff\xfe bytes. Next \xe3\x81 one.";
    n = hny_segment (seg, bad, sizeof bad - 1, &spans);
    s_checks++;
    for (size_t i = 0; i < n && n != (size_t) -1; i++)
        if (spans[i].offset + spans[i].length > sizeof bad - 1) {
            s_failures++;
            printf ("FAIL span out of bounds on invalid UTF-8\n");
        }
    free (spans);
    hny_segmenter_destroy (&seg);
    s_checks++;
    if (seg != NULL) {
        s_failures++;
        printf ("FAIL destroy must reset the pointer\n");
    }
    hny_segmenter_destroy (&seg);           /* accepts NULL */

    /* other and odd language tags still give a working segmenter */
    const char *langs[] = {"fr", "de-DE", "x;y", "", NULL};
    for (int i = 0; langs[i]; i++) {
        hny_segmenter_t *s = hny_segmenter_new (langs[i]);
        s_checks++;
        if (!s) {
            s_failures++;
            printf ("FAIL no segmenter for \"%s\"\n", langs[i]);
            continue;
        }
        s_check (s, langs[i], "Un. Deux trois.", "Un.", "Deux trois.", NULL);
        hny_segmenter_destroy (&s);
    }
    hny_segmenter_t *s = hny_segmenter_new (NULL);
    s_check (s, "NULL lang", "One two. Three four.", "One two.", "Three four.", NULL);
    hny_segmenter_destroy (&s);
}

/* The shared sample article, paragraph by paragraph (paragraphs are
   separated by blank lines, as the extractor delivers them): the
   paragraph with the Security Treaty comes out as its two sentences. */
static void
s_sample (hny_segmenter_t *en, const char *dir)
{
    char path[4096], *data = NULL;
    size_t size = 0;
    snprintf (path, sizeof path, "%s/jpw-2019-04-21-threat-2plus2.txt", dir);
    s_checks++;
    if (hny_file_read (path, 1 << 20, &data, &size) != 0) {
        s_failures++;
        printf ("FAIL cannot read %s\n", path);
        return;
    }
    const char *want = "On cyber issues, in particular,";
    char *para = strstr (data, want);
    s_checks++;
    if (!para) {
        s_failures++;
        printf ("FAIL the sample has no paragraph starting \"%s\"\n", want);
        free (data);
        return;
    }
    char *end = strstr (para, "\n\n");
    if (end)
        *end = 0;
    s_check (en, "sample", para,
             "On cyber issues, in particular, the statement noted that \"malicious cyber activity "
             "presents an increasing threat\" to the security of both Japan and the United States.",
             "The statement stipulated for the first time that a cyberattack on Japan would "
             "constitute an \"armed attack\" under Article 5 of the Japan-U.S. Security Treaty.",
             NULL);
    free (data);
}

int
main (int argc, char **argv)
{
    hny_log_init ("test_segment", HNY_LOG_ERROR);
    hny_segmenter_t *en = hny_segmenter_new ("en");
    hny_segmenter_t *ja = hny_segmenter_new ("ja");
    if (!en || !ja) {
        printf ("FAIL cannot create segmenters\n");
        return 1;
    }
    s_english (en);
    s_japanese (ja);
    if (argc > 1)
        s_sample (en, argv[1]);
    s_contract ();
    hny_segmenter_destroy (&en);
    hny_segmenter_destroy (&ja);
    printf ("%d of %d checks passed\n", s_checks - s_failures, s_checks);
    return s_failures ? 1 : 0;
}
