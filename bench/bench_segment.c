/*  bench_segment.c: throughput of hny_normalize and hny_segment against
    ICU's sentence BreakIterator alone, on one ~4 KB English and one ~4 KB
    Japanese news-style article (written for this bench), each repeated
    until about 50 MB have gone through. Articles are processed paragraph by
    paragraph, as the prepare pipeline does. When the build has hnyprep,
    also the whole prepare path of a worker: hny_prepare (format "text")
    plus the JSON text of its result, on the whole article. Not run by
    CTest; bench/perf.py runs it on its own articles.

    Usage: bench_segment [MB]                (default 50)
           bench_segment MB EN_FILE [JA_FILE] (your own texts, UTF-8; English
                                             alone when JA_FILE is left out)
           bench_segment --print             (show the sentences found) */

#include "hny_normalize.h"
#include "hny_segment.h"
#include "honyaku/util.h"
#ifdef HNY_HAVE_PREPARE
#include "honyaku/prepare.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unicode/ubrk.h>
#include <unicode/ustring.h>

#define S_MAX_PARAS 256

static const char s_en[] =
    "TOKYO -- Prime Minister Shinzo Abe said on Friday that Japan and the U.S. would hold a "
    "new round of trade talks in Washington later this month, as both governments try to "
    "narrow their differences over farm products and automobiles before the Group of 20 "
    "summit in Osaka.\n\n"
    "Speaking to reporters at his office, Abe said he had agreed with U.S. President Donald "
    "Trump in a telephone call to speed up the negotiations. \"We will seek an outcome that "
    "benefits both sides,\" he said. \"There is no change in our position on agriculture.\" "
    "Economy Minister Toshimitsu Motegi, who leads the Japanese side, is expected to meet "
    "U.S. Trade Representative Robert Lighthizer on April 25 and 26.\n\n"
    "The talks follow a joint statement issued after the Japan-U.S. \"2-plus-2\" security "
    "meeting on April 19. The statement described the alliance as \"the cornerstone of peace, "
    "security and prosperity in the Indo-Pacific region.\" It also welcomed U.S. diplomatic "
    "efforts toward the denuclearization of the Korean Peninsula. Defense Minister Takeshi "
    "Iwaya and Foreign Minister Taro Kono attended for Japan; Acting Defense Secretary Patrick "
    "M. Shanahan and Secretary of State Mike Pompeo represented the U.S.\n\n"
    "Opposition parties criticized the government's approach. Kazuo Shii, chair of the Japanese "
    "Communist Party, said at a press conference in Tokyo that the government was \"giving in "
    "to pressure from Washington.\" He pointed out that imports of U.S. beef rose 3.5 percent "
    "in the January-March period, and that farmers in Hokkaido and Kyushu fear further cuts "
    "in tariffs. \"Who will protect Japan's food security?\" he asked.\n\n"
    "According to the Finance Ministry, Japan's trade surplus with the U.S. stood at 6.45 "
    "trillion yen ($57.6 billion) in fiscal 2018, down 9.3 percent from the previous year. "
    "Autos and auto parts accounted for about three-quarters of exports to the U.S. Toyota "
    "Motor Corp. President Akio Toyoda told shareholders last year that the company had "
    "invested more than $60 billion in U.S. plants over the past six decades.\n\n"
    "The U.N. Security Council, meanwhile, is set to discuss sanctions on North Korea next "
    "month. Gov. Denny Tamaki of Okinawa Prefecture, who visited New York in March, said the "
    "base issue should not be left out of the alliance talks. \"The people of Okinawa have "
    "expressed their will again and again,\" he said. The Okinawa prefectural assembly adopted "
    "a resolution on Feb. 24 calling for a halt to the landfill work at Henoko, Nago City.\n\n"
    "Economists are divided on the outlook. Some, e.g. analysts at the Japan Research "
    "Institute, expect a deal by the summer; others say the talks could drag on into 2020. "
    "\"It depends on Washington,\" said Prof. Hiroshi Tanaka of Keio University. \"Mr. Trump "
    "wants a quick result before the election. Japan wants time.\" The yen rose to 111.50 to "
    "the dollar in Tokyo trading at 5 p.m. on Friday, up from 111.90 a day earlier.\n\n"
    "Labor unions also voiced concern. Rengo, the largest national labor organization, said "
    "in a statement that a trade deal must not sacrifice jobs in the auto industry. The "
    "organization represents about 7 million workers. Its president, Rikio Kozu, said the "
    "government should explain the contents of the talks to the public in detail... and "
    "listen to the voices of workers and farmers across the country.\n\n"
    "The next round of talks will be held at the U.S. Trade Representative's office. Officials "
    "said the two sides would exchange views on agriculture, autos and digital trade. No. 1 on "
    "the agenda is the tariff on beef. A final agreement would need approval by the Diet.\n";

static const char s_ja[] =
    "【ワシントン＝本紙特派員】日米両政府は１９日、外務・防衛担当閣僚による安全保障協議委員会"
    "（２プラス２）をワシントンで開き、共同文書を発表した。共同文書は日米同盟を「インド太平洋地域"
    "における平和、安全及び繁栄の礎」と位置付けた。前回の協議で北朝鮮を「脅威」と明記したのとは"
    "対照的に、今回は北朝鮮の名指しを避けた。\n\n"
    "岩屋毅防衛相は記者会見で「北朝鮮の非核化に向けた米国の外交努力を支持する。」と述べた。"
    "河野太郎外相も「日米の連携をさらに強化していく」と強調した。一方、中国とロシアについては、"
    "東シナ海や南シナ海での活動に「懸念」を表明し、宇宙やサイバー空間での協力を進めることで一致"
    "した。\n\n"
    "日本共産党の志位和夫委員長は２０日、国会内で記者会見し、「日米同盟の強化は地域の緊張を高める"
    "だけだ。」と批判した。志位氏は、米国産牛肉の輸入が１～３月期に前年同期比３．５％増えたことを"
    "挙げ、「農業への影響は避けられない」と指摘した。さらに、沖縄県名護市辺野古での米軍新基地建設"
    "について「県民の意思は何度も示されている。工事を直ちに中止すべきだ」と語った。\n\n"
    "財務省によると、２０１８年度の対米貿易黒字は６兆４５００億円で、前年度から９．３％減った。"
    "輸出の約４分の３を自動車と自動車部品が占める。トヨタ自動車の豊田章男社長は昨年、株主総会で"
    "「米国には過去６０年間で６００億ドル以上を投資してきた。」と説明した。経済界には、米国が"
    "自動車への追加関税に踏み切るのではないかとの警戒が根強い。\n\n"
    "茂木敏充経済再生担当相は２５、２６両日にワシントンでライトハイザー米通商代表と会談する予定だ。"
    "茂木氏は「農産品の関税については、過去の経済連携協定の水準が最大限だ」との立場を繰り返して"
    "いる。政府関係者は「６月の２０カ国・地域首脳会議（Ｇ２０サミット）までに一定の成果を出したい」"
    "と話す。\n\n"
    "専門家の見方は分かれている。慶応大学の田中宏教授は「交渉の行方は米国次第だ。トランプ大統領は"
    "選挙前に成果を急いでいる。」と分析する。別のエコノミストは、合意は来年にずれ込む可能性も"
    "あるとみる。東京外国為替市場では１９日午後５時時点で、円相場が１ドル＝１１１円５０銭前後と、"
    "前日より４０銭の円高・ドル安で推移した。\n\n"
    "労働組合からも懸念の声が上がっている。連合は声明で「自動車産業の雇用を犠牲にする合意は"
    "認められない」と表明した。連合の神津里季生会長は、政府に対し交渉内容を国民に詳しく説明する"
    "よう求めた。映画『君の名は。』の舞台となった岐阜県飛騨市でも、農家から不安の声が聞かれた。"
    "ある農家の男性は「このままでは続けられない。」と肩を落とした。\n\n"
    "沖縄県の玉城デニー知事は３月に米ニューヨークを訪れ、国連関係者らに基地問題を訴えた。"
    "県議会は２月２４日、辺野古の埋め立て工事の中止を求める決議を可決している。玉城氏は"
    "「日米両政府は県民投票の結果を重く受け止めるべきだ」と話した。次回の日米協議の日程は未定だ。\n";

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

typedef struct {
    const char *p[S_MAX_PARAS];
    size_t len[S_MAX_PARAS];
    size_t count, bytes;
} s_paras_t;

/* Split an article at blank lines (the extractor's paragraphs). */
static void
s_split (const char *text, s_paras_t *out)
{
    out->count = out->bytes = 0;
    const char *p = text;
    while (*p && out->count < S_MAX_PARAS) {
        const char *e = strstr (p, "\n\n");
        size_t len = e ? (size_t) (e - p) : strlen (p);
        out->p[out->count] = p;
        out->len[out->count++] = len;
        out->bytes += len;
        p += len;
        while (*p == '\n')
            p++;
    }
}

static void
s_bench (const char *name, const char *lang, const char *text, double mb)
{
    s_paras_t paras;
    s_split (text, &paras);
    size_t reps = (size_t) (mb * 1e6 / (double) paras.bytes) + 1;
    double total = (double) paras.bytes * (double) reps / 1e6;
    hny_segmenter_t *seg = hny_segmenter_new (lang);
    hny_normalizer_t *nz = hny_normalizer_new ();
    volatile size_t sink = 0;

    /* hny_segment */
    double t0 = s_now ();
    for (size_t r = 0; r < reps; r++)
        for (size_t i = 0; i < paras.count; i++) {
            hny_span_t *spans = NULL;
            sink += hny_segment (seg, paras.p[i], paras.len[i], &spans);
            free (spans);
        }
    double t_seg = s_now () - t0;
    size_t sentences = sink / reps;

    /* ICU alone: UTF-8 -> UTF-16, then walk the boundaries, reusing the
       iterator and the buffer */
    char locale[32];
    snprintf (locale, sizeof locale, "%s@ss=standard", lang);
    UErrorCode err = U_ZERO_ERROR;
    UBreakIterator *bi = ubrk_open (UBRK_SENTENCE, locale, NULL, 0, &err);
    UChar *u = hny_malloc ((paras.bytes + 1) * sizeof (UChar));
    sink = 0;
    t0 = s_now ();
    for (size_t r = 0; r < reps; r++)
        for (size_t i = 0; i < paras.count; i++) {
            int32_t ulen = 0;
            err = U_ZERO_ERROR;
            u_strFromUTF8 (u, (int32_t) paras.bytes + 1, &ulen, paras.p[i], (int32_t) paras.len[i], &err);
            ubrk_setText (bi, u, ulen, &err);
            for (int32_t b = ubrk_first (bi); b != UBRK_DONE; b = ubrk_next (bi))
                sink++;
        }
    double t_icu = s_now () - t0;
    ubrk_close (bi);
    free (u);

    /* hny_normalize */
    t0 = s_now ();
    for (size_t r = 0; r < reps; r++)
        for (size_t i = 0; i < paras.count; i++) {
            size_t len = 0;
            char *out = hny_normalize (nz, paras.p[i], paras.len[i], &len);
            sink += len;
            free (out);
        }
    double t_norm = s_now () - t0;

    /* the whole normalize + segment of one article */
    double per_article_us = (t_seg + t_norm) / (double) reps * 1e6;
    printf ("%-8s %6zu bytes %3zu paragraphs %3zu sentences | hny_segment %7.1f MB/s | ICU alone %7.1f MB/s"
            " | hny_normalize %7.1f MB/s | normalize+segment %6.1f us/article",
            name, paras.bytes, paras.count, sentences, total / t_seg, total / t_icu, total / t_norm,
            per_article_us);
#ifdef HNY_HAVE_PREPARE
    /* The worker's whole prepare path: the article as submitted (format
       "text"), then the JSON text of the result that goes to the broker. */
    hny_preparer_t *prep = hny_preparer_new ();
    hny_prepare_opts_t opts = { .format = "text", .lang = lang };
    size_t size = strlen (text), reps_prep = (size_t) (mb * 1e6 / (double) size) + 1;
    t0 = s_now ();
    for (size_t r = 0; r < reps_prep; r++) {
        int status = 0;
        char *reason = NULL;
        json_t *art = hny_prepare (prep, (const uint8_t *) text, size, &opts, &status, &reason);
        char *json = art ? json_dumps (art, JSON_COMPACT) : NULL;
        sink += json ? strlen (json) : 0;
        free (json);
        free (reason);
        json_decref (art);
    }
    double t_prep = s_now () - t0;
    printf (" | hny_prepare %7.1f MB/s | prepare %6.1f us/article",
            (double) size * (double) reps_prep / 1e6 / t_prep, t_prep / (double) reps_prep * 1e6);
    hny_preparer_destroy (&prep);
#endif
    printf ("\n");
    hny_segmenter_destroy (&seg);
    hny_normalizer_destroy (&nz);
}

/* Print the normalized sentences of an article, one a line. */
static void
s_print (const char *lang, const char *text)
{
    s_paras_t paras;
    s_split (text, &paras);
    hny_segmenter_t *seg = hny_segmenter_new (lang);
    hny_normalizer_t *nz = hny_normalizer_new ();
    for (size_t i = 0; i < paras.count; i++) {
        size_t len = 0;
        char *norm = hny_normalize (nz, paras.p[i], paras.len[i], &len);
        hny_span_t *spans = NULL;
        size_t n = hny_segment (seg, norm, len, &spans);
        for (size_t k = 0; k < n && n != (size_t) -1; k++)
            printf ("%s %zu.%zu | %.*s\n", lang, i + 1, k + 1, (int) spans[k].length, norm + spans[k].offset);
        free (spans);
        free (norm);
    }
    hny_segmenter_destroy (&seg);
    hny_normalizer_destroy (&nz);
}

int
main (int argc, char **argv)
{
    if (argc > 1 && strcmp (argv[1], "--print") == 0) {
        s_print ("en", s_en);
        s_print ("ja", s_ja);
        return 0;
    }
    double mb = argc > 1 ? atof (argv[1]) : 50.0;
    if (mb <= 0)
        mb = 50.0;
    const char *en = s_en, *ja = s_ja;
    char *en_file = NULL, *ja_file = NULL;
    if (argc > 2) {
        size_t size;
        if (hny_file_read (argv[2], 1 << 20, &en_file, &size) != 0
            || (argc > 3 && hny_file_read (argv[3], 1 << 20, &ja_file, &size) != 0)) {
            fprintf (stderr, "cannot read %s or %s\n", argv[2], argc > 3 ? argv[3] : "");
            return 1;
        }
        en = en_file;
        ja = ja_file;           /* NULL: English alone */
    }
    printf ("about %.0f MB per measurement\n", mb);
    s_bench ("English", "en", en, mb);
    if (ja)
        s_bench ("Japanese", "ja", ja, mb);
    free (en_file);
    free (ja_file);
    return 0;
}
