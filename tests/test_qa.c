/*  test_qa.c: the checks on translated segments (honyaku/qa.h), case by
    case and both ways: numbers and amounts in each language's forms,
    dates, times, glossary terms, untranslated targets, markup, scripts,
    lengths; the caps of a flag, the JSON and its validation. */
#include "hny_check.h"

#include <honyaku/qa.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A case: what the checks must find, as "check" or "check:what" items
   separated by '|', in the order of the flags ("" for none). */
typedef struct {
    const char *from, *to, *src, *tgt, *expect;
} s_case_t;

static const s_case_t s_cases [] = {
    /* --- numbers and amounts, English to Japanese */
    { "en", "ja", "It costs 1,500 yen.", "1500円かかる。", "" },
    { "en", "ja", "It costs 1,500 yen.", "1,500円かかる。", "" },
    { "en", "ja", "About 1,500 people came.", "約千五百人が来た。", "" },
    { "en", "ja", "It costs 1,500 yen.", "1600円かかる。", "number:1,500" },
    { "en", "ja", "The fund holds 2.3 million yen.", "基金には230万円がある。", "" },
    { "en", "ja", "The fund holds 2.3 million yen.", "基金には23万円がある。", "number:2.3 million" },
    { "en", "ja", "About 15,000 people marched.", "約1万5000人が行進した。", "" },
    { "en", "ja", "About 15,000 people marched.", "約1万5千人が行進した。", "" },
    { "en", "ja", "About 15,000 people marched.", "約15万人が行進した。", "number:15,000" },
    { "en", "ja", "The budget is 7.9 trillion yen.", "予算は7兆9000億円だ。", "" },
    { "en", "ja", "Support fell to 30%.", "支持率は3割に下がった。", "" },
    { "en", "ja", "Support fell to 30%.", "支持率は30パーセントに下がった。", "" },
    { "en", "ja", "Support fell to 30%.", "支持率は3%に下がった。", "number:30%" },
    { "en", "ja", "It was enacted in 2024.", "2024年に成立した。", "" },
    { "en", "ja", "It was enacted in 2024.", "2023年に成立した。", "number:2024" },
    { "en", "ja", "The G7 leaders met on COVID-19 and F-35 jets.", "主要国首脳が新型コロナと戦闘機について会った。", "" },
    { "en", "ja", "It costs 1,500 yen.", "１５００円かかる。", "" },
    { "en", "ja", "The FY2024 budget passed.", "2024年度予算が成立した。", "" },
    { "en", "ja", "Seats rose from 1,500 to 1,500 and 2,000.", "議席は2000になった。", "number:1,500" },
    { "en", "ja", "The 26th Congress opened.", "第26回党大会が開いた。", "" },
    { "en", "ja", "It began in the 1990s.", "1990年代に始まった。", "" },
    { "en", "ja", "The No.1 plant leaks.", "第1原発は漏れている。", "" },
    { "en", "ja", "It costs 7.9 trillion yen.", "【ja】It costs 7.9 trillion yen.", "script|length" },
    { "en", "es", "It costs 7.9 trillion yen.", "Cuesta 7,9 trillion yenes.", "" },
    { "en", "ja", "By the mid-2030s, CV-22 jets will go.", "2030年代半ばまでにCV22は去る。", "" },
    { "en", "ja", "By the mid-2030s, CV-22 jets will go.", "2040年代半ばまでに去る。", "number:2030s" },
    /* ... Japanese to English */
    { "ja", "en", "防衛費は7兆9000億円に達した。", "Military spending reached 7.9 trillion yen.", "" },
    { "ja", "en", "予算は1兆2345億円だ。", "The budget is 1.23 trillion yen.", "" },
    { "ja", "en", "予算は1兆2345億円だ。", "The budget is 1.3 trillion yen.", "number:1兆2345億円" },
    { "ja", "en", "最低賃金を時給1500円に引き上げる。", "Raise the minimum wage to 1,500 yen an hour.", "" },
    { "ja", "en", "支持率は3割を切った。", "Support fell below 30 percent.", "" },
    { "ja", "en", "支持率は3割5分だった。", "Support was 35%.", "" },
    { "ja", "en", "支持率は3割を切った。", "Support fell below 20 percent.", "number:3割" },
    { "ja", "en", "議席の3分の1を占める。", "It holds one-third of the seats.", "" },
    { "ja", "en", "議席の3分の1を占める。", "It holds a third of the seats.", "" },
    { "ja", "en", "議席の3分の1を占める。", "It holds 33% of the seats.", "" },
    { "ja", "en", "議席の3分の1を占める。", "It holds a quarter of the seats.", "number:3分の1" },
    { "ja", "en", "令和6年度の予算", "the budget for FY2024", "" },
    { "ja", "en", "平成30年に成立した。", "It was enacted in 2018.", "" },
    { "ja", "en", "令和元年に始まった。", "It began in 2019.", "" },
    { "ja", "en", "令和6年度の予算", "the budget for FY2023", "number:令和6年度" },
    { "ja", "en", "24年度予算が成立した。", "The FY2024 budget passed.", "" },
    { "ja", "en", "１，５００円だ。", "It is 1,500 yen.", "" },
    { "ja", "en", "3人が死亡した。", "Three people died.", "" },
    { "ja", "en", "価格は1年で2倍になった。", "Prices doubled in a year.", "" },
    { "ja", "en", "第2次安倍政権", "the second Abe Cabinet", "" },
    { "ja", "en", "1人あたり1500万円を支払う。", "Each person gets 15 million yen.", "" },
    { "ja", "en", "3年間で5000人増えた。", "It grew by 5,000 in three years.", "" },
    { "ja", "en", "実質賃金は24カ月連続で減少した。", "Real wages fell for 14 straight months.", "number:24" },
    { "ja", "en", "教員は1日平均11時間働く。", "Teachers work 11 hours a day.", "" },
    { "ja", "en", "24時間で400ミリ降った。", "400 millimeters fell in 24 hours.", "" },
    /* ... and languages of one script */
    { "en", "es", "It cost 1,500 euros.", "Costó 1.500 euros.", "" },
    { "en", "es", "It cost 1,500 euros.", "Costó 1 500 euros.", "" },
    { "en", "es", "It cost 1,500 euros.", "Costó 1500 euros.", "" },
    { "en", "es", "It cost 1,500 euros.", "Costó 1,500 euros.", "" },
    { "en", "es", "It cost 1,500 euros.", "Costó 1.600 euros.", "number:1,500" },
    { "en", "es", "Prices rose 2.5%.", "Los precios subieron un 2,5 %.", "" },
    { "en", "es", "It reached 2.3 million.", "Alcanzó 2,3 millones.", "" },
    { "en", "es", "It cost 2.3 billion dollars.", "Costó 2,3 mil millones de dólares.", "" },
    { "es", "en", "Vinieron 1.500 personas.", "1,500 people came.", "" },
    { "es", "en", "Son 2,5 millones.", "That is 2.5 million.", "" },
    { "es", "en", "Vinieron 1.500 personas.", "1.5 people came.", "number:1.500" },
    { "en", "de", "It cost 1,500 euros.", "Es kostete 1.500 Euro.", "" },
    { "en", "fr", "It cost 1,500 euros.", "Cela a coûté 1 500 euros.", "" },
    /* --- dates */
    { "en", "ja", "The rally was held on May 12.", "集会は5月12日に開かれた。", "" },
    { "en", "ja", "The rally was held on May 12.", "集会は12日に開かれた。", "" },
    { "en", "ja", "The rally was held on May 12.", "集会は5月13日に開かれた。", "date:May 12" },
    { "en", "ja", "The rally was held on May 12.", "集会は6月12日に開かれた。", "date:May 12" },
    { "en", "ja", "The rally was held on May 12.", "集会が開かれた。", "date:May 12" },
    { "en", "ja", "It opens in May.", "5月に開く。", "" },
    { "en", "ja", "It opens in May.", "6月に開く。", "date:May" },
    { "en", "ja", "May I ask a question?", "質問してもいいですか。", "" },
    { "en", "ja", "It ended on May 12, 2024.", "2024年5月12日に終わった。", "" },
    { "en", "ja", "It ended on May 12, 2024.", "5月12日に終わった。", "number:2024" },
    { "en", "ja", "It ended on Dec. 12.", "12月12日に終わった。", "" },
    { "en", "ja", "It ended in December 2018.", "2018年12月に終わった。", "" },
    { "en", "ja", "From January 15 to 18.", "1月15日から18日まで。", "" },
    { "ja", "en", "集会は5月12日に開かれた。", "The rally was held on May 12.", "" },
    { "ja", "en", "集会は5月12日に開かれた。", "The rally was held on the 12th.", "" },
    { "ja", "en", "集会は5月12日に開かれた。", "The rally was held on May 21.", "date:5月12日" },
    { "ja", "en", "集会は12日に開かれた。", "The rally was held on May 12.", "" },
    { "ja", "en", "集会は五月十二日に開かれた。", "The rally was held on May 12.", "" },
    { "ja", "en", "集会は五月十二日に開かれた。", "The rally was held on May 13.", "date:五月十二日" },
    { "ja", "en", "集会は12日間続いた。", "The sit-in lasted 12 days.", "" },
    { "en", "es", "The rally was on May 12.", "La manifestación fue el 12 de mayo.", "" },
    { "en", "es", "The rally was on May 12.", "La manifestación fue el 12 de junio.", "date:May 12" },
    { "es", "en", "Fue el 12 de mayo de 2024.", "It was on May 12, 2024.", "" },
    { "en", "de", "It was on May 12.", "Es war am 12. Mai.", "" },
    /* --- times */
    { "en", "ja", "It starts at 6 p.m.", "午後6時に始まる。", "" },
    { "en", "ja", "It starts at 6 p.m.", "18時に始まる。", "" },
    { "en", "ja", "It starts at 6 p.m.", "6時に始まる。", "" },
    { "en", "ja", "It starts at 6 p.m.", "午前6時に始まる。", "time:6 p.m." },
    { "en", "ja", "It starts at 6:30 p.m.", "午後6時半に始まる。", "" },
    { "en", "ja", "It starts at 6:30 p.m.", "18時30分に始まる。", "" },
    { "en", "ja", "It starts at 6:30 p.m.", "午後7時半に始まる。", "time:6:30 p.m." },
    { "en", "ja", "Results came after midnight.", "結果は午前0時過ぎに出た。", "" },
    { "ja", "en", "午後6時に始まる。", "It starts at 6 p.m.", "" },
    { "ja", "en", "午後6時に始まる。", "It starts at 18:00.", "" },
    { "ja", "en", "午後6時に始まる。", "It starts at 6 a.m.", "time:午後6時" },
    { "ja", "en", "正午に始まる。", "It starts at noon.", "" },
    { "ja", "en", "6時間かかった。", "It took six hours.", "" },
    { "en", "es", "It starts at 18:00.", "Empieza a las 18:00.", "" },
    { "en", "es", "It starts at 18:00.", "Empieza a las 17:00.", "time:18:00" },
    { "en", "es", "It ended at midnight.", "Terminó a medianoche.", "" },
    { "en", "es", "It ended at midnight.", "Terminó al mediodía.", "time:midnight" },
    { "en", "fr", "It began at noon.", "Cela a commencé à midi.", "" },
    { "en", "es", "In the 14th century.", "En el siglo XIV.", "" },
    { "en", "es", "In the 14th century.", "En el siglo XV.", "number:14th" },
    { "en", "es", "It took 20 billion dollars.", "Costó 20 miles de millones de dólares.", "" },
    { "en", "es", "Its 400 737 jets.", "Sus 400 737 aviones.", "" },
    { "en", "es", "A 16-inch base.", "Una basede16 pulgadas.", "" },
    { "en", "es", "In April 2019.", "En April 2019.", "" },
    { "en", "es", "Since March.", "Desde entonces Marcha.", "date:March" },
    /* --- untranslated */
    { "en", "ja", "He said it.", "He said it.", "identical:He said it." },
    { "en", "ja", "He said it.", " He  said it. ", "identical" },
    { "ja", "en", "日本はいまだに条約に署名していない。", "日本はいまだに条約に署名していない。", "identical" },
    { "en", "es", "Shii Kazuo", "Shii Kazuo", "" },
    { "en", "es", "the budget passed", "the budget passed", "identical" },
    { "en", "en-GB", "the budget passed", "the budget passed", "" },
    { "en", "ja", "2024", "2024", "" },
    /* --- markup */
    { "en", "ja", "<b>Tamura</b> spoke.", "<b>田村</b>氏が話した。", "" },
    { "en", "ja", "<b>Tamura</b> spoke.", "田村氏が話した。", "tags:<b>" },
    { "en", "ja", "<b>Tamura</b> spoke.", "<b>田村</b>氏が<b>話した</b>。", "tags:<b>" },
    { "en", "ja", "<b>Tamura</b> spoke.", "<b>田村氏が話した。", "tags:<b>|tags:<b>" },
    { "en", "ja", "<b>Tamura</b> spoke.", "⟦1⟧田村⟦/1⟧氏が話した。", "tags:<b>|tags:⟦1⟧|tags:⟦/1⟧" },
    { "en", "ja", "See <a href=\"https://a.jp/\">this</a>.", "<a href=\"https://b.jp/\">これ</a>を参照。",
      "tags:<a href=\"https://a.jp/\">|tags:<a href=\"https://b.jp/\">" },
    { "en", "ja", "<b>A</b> and <i>B</i> met.", "<i>B</i>と<b>A</b>が会った。", "" },
    { "en", "ja", "<b></b>They met.", "彼らは会った。", "" },
    { "ja", "en", "<i>赤旗</i>が報じた。", "<b>Akahata</b> reported it.", "tags:<i>|tags:<b>" },
    /* --- scripts */
    { "en", "ja", "The JCP voted no.", "Kyosanto wa hantai shita.", "script:Latin|length" },
    { "en", "ja", "NATO leaders met.", "NATO首脳が会った。", "" },
    { "ja", "en", "日本は条約に署名していない。", "日本 has not signed 条約.", "script:Han" },
    { "en", "ru", "Hello there.", "Привет всем.", "" },
    { "en", "ru", "Hello there.", "Hello everyone there.", "script:Latin" },
    { "en", "xx", "Hello there.", "Completely else.", "" },
    /* --- lengths */
    { "en", "ja", "The two leaders agreed to upgrade the command and control frameworks of their forces.",
      "両首脳は合意した。", "length" },
    { "ja", "en", "日本共産党は原発にも石炭にも頼らないエネルギー政策を求めている。", "The JCP calls.", "length" },
    { "en", "ja", "Hello.", "", "length:" },
    { "en", "ja", "Hello.", "   ", "length" },
};

/* Run a case; returns the flags as "check:what" items joined by '|'. */
static void
s_run (hny_qa_t *qa, const s_case_t *c, char *got, size_t size)
{
    hny_qa_flag_t flags [HNY_QA_MAX_FLAGS];
    size_t n = hny_qa_run (qa, c->src, strlen (c->src), c->tgt, strlen (c->tgt), flags);
    got [0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen (got);
        snprintf (got + len, size - len, "%s%s:%s", i ? "|" : "", hny_qa_check_name (flags [i].check),
                  flags [i].what);
        CHECK (flags [i].detail [0] != '\0');
    }
}

/* got matches expect: the same items in the same order, an item of
   expect without ":what" matching a flag of its check whatever it says.
   Items are separated by '|' (a what may hold spaces). */
static int
s_matches (const char *got, const char *expect)
{
    const char *g = got, *e = expect;
    while (*e) {
        size_t en = strcspn (e, "|"), gn = strcspn (g, "|");
        if (!gn)
            return 0;
        const char *colon = memchr (e, ':', en);
        size_t cmp = colon ? en : en + 1;          /* "date" must meet "date:" */
        if (colon ? (gn != en || strncmp (g, e, en) != 0)
                  : (strncmp (g, e, en) != 0 || g [en] != ':'))
            return 0;
        (void) cmp;
        e += en + (e [en] == '|');
        g += gn + (g [gn] == '|');
    }
    return *g == '\0';
}

static void
test_cases (void)
{
    for (size_t i = 0; i < sizeof s_cases / sizeof s_cases [0]; i++) {
        const s_case_t *c = &s_cases [i];
        hny_qa_t *qa = hny_qa_new (c->from, c->to);
        char got [2048];
        s_run (qa, c, got, sizeof got);
        s_checks++;
        if (!s_matches (got, c->expect)) {
            fprintf (stderr, "case %zu (%s-%s) [%s] -> [%s]: got [%s], want [%s]\n", i, c->from, c->to,
                     c->src, c->tgt, got, c->expect);
            s_failures++;
        }
        hny_qa_destroy (&qa);
    }
}

/* What a flag says, word for word, where it matters to a reader. */
static void
test_details (void)
{
    hny_qa_t *qa = hny_qa_new ("en", "ja");
    hny_qa_flag_t f [HNY_QA_MAX_FLAGS];
    const char *src = "It costs 1,500 yen at 6 p.m. on May 12.";
    const char *tgt = "費用は1600円だ。";
    size_t n = hny_qa_run (qa, src, strlen (src), tgt, strlen (tgt), f);
    CHECK (n == 3);
    CHECK (f [0].check == HNY_QA_NUMBER);
    CHECK_STR (f [0].what, "1,500");
    CHECK_STR (f [0].detail, "not in the target (as 1500, 1,500 or 千五百)");
    CHECK_STR (f [1].what, "May 12");
    CHECK_STR (f [1].detail, "not in the target (as 5月12日 or 12日)");
    CHECK (f [1].check == HNY_QA_DATE && f [2].check == HNY_QA_TIME);
    CHECK_STR (f [2].detail, "not in the target (as 午後6時 or 18時)");
    hny_qa_destroy (&qa);

    qa = hny_qa_new ("ja", "en");
    src = "予算は230万円、1兆2000億円。";
    tgt = "The budget.";
    n = hny_qa_run (qa, src, strlen (src), tgt, strlen (tgt), f);
    CHECK (n == 2);
    CHECK_STR (f [0].detail, "not in the target (as 2,300,000 or 2.3 million)");
    CHECK_STR (f [1].detail, "not in the target (as 1,200,000,000,000 or 1.2 trillion)");
    hny_qa_destroy (&qa);

    qa = hny_qa_new ("en", "es");
    src = "It cost 1,500 euros on May 12.";
    tgt = "Costó euros.";
    n = hny_qa_run (qa, src, strlen (src), tgt, strlen (tgt), f);
    CHECK (n == 2);
    CHECK_STR (f [0].detail, "not in the target (as 1.500, 1 500 or 1500)");
    CHECK_STR (f [1].detail, "not in the target (as 12 de mayo)");
    hny_qa_destroy (&qa);
}

static void
test_glossary (void)
{
    hny_qa_t *qa = hny_qa_new ("en", "ja");
    CHECK (hny_qa_term (qa, "JCP", "日本共産党") == 0);
    CHECK (hny_qa_term (qa, "Diet", "国会") == 0);
    CHECK (hny_qa_term (qa, "Komei", "公明") == 0);
    CHECK (hny_qa_term (qa, "Komei Party", "公明党") == 0);
    CHECK (hny_qa_term (qa, "", "x") == -1);
    CHECK (hny_qa_term (qa, "x", "") == -1);
    CHECK (hny_qa_term (qa, "a\tb", "x") == -1);
    CHECK (hny_qa_term (qa, "\xff", "x") == -1);
    char big [300];
    memset (big, 'a', sizeof big - 1);
    big [sizeof big - 1] = '\0';
    CHECK (hny_qa_term (qa, big, "x") == -1);
    CHECK (hny_qa_terms (qa) == 4);
    static const s_case_t cases [] = {
        { "en", "ja", "The JCP won.", "日本共産党が勝った。", "" },
        { "en", "ja", "The JCP won.", "共産党が勝った。", "glossary:JCP" },
        { "en", "ja", "The JCP won, the JCP said.", "共産党が勝ったと党は言った。", "glossary:JCP" },
        { "en", "ja", "Dietary habits changed.", "食習慣が変わった。", "" },
        { "en", "ja", "The Diet met.", "議会が開いた。", "glossary:Diet" },
        { "en", "ja", "The Komei Party agreed.", "公明党は同意した。", "" },
        { "en", "ja", "The Komei Party agreed.", "公明は同意した。", "glossary:Komei Party" },
        { "en", "ja", "The JCP won.", "The JCP won.", "identical" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        char got [2048];
        s_run (qa, &cases [i], got, sizeof got);
        s_checks++;
        if (!s_matches (got, cases [i].expect)) {
            fprintf (stderr, "glossary case %zu: got [%s], want [%s]\n", i, got, cases [i].expect);
            s_failures++;
        }
    }
    hny_qa_destroy (&qa);

    /* a target term compared without ASCII case, both sides NFKC */
    qa = hny_qa_new ("ja", "en");
    CHECK (hny_qa_term (qa, "赤旗", "Akahata") == 0);
    hny_qa_flag_t f [HNY_QA_MAX_FLAGS];
    const char *src = "赤旗によると", *tgt = "according to AKAHATA";
    CHECK (hny_qa_run (qa, src, strlen (src), tgt, strlen (tgt), f) == 0);
    tgt = "according to ＡＫＡＨＡＴＡ";
    CHECK (hny_qa_run (qa, src, strlen (src), tgt, strlen (tgt), f) == 0);
    tgt = "according to the paper";
    CHECK (hny_qa_run (qa, src, strlen (src), tgt, strlen (tgt), f) == 1 && f [0].check == HNY_QA_GLOSSARY);
    CHECK_STR (f [0].what, "赤旗");
    CHECK_STR (f [0].detail, "the target lacks the glossary's \"Akahata\"");
    hny_qa_destroy (&qa);
}

static void
test_caps (void)
{
    /* twelve numbers missing: eight flags, the first eight */
    hny_qa_t *qa = hny_qa_new ("en", "ja");
    const char *src = "11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21 and 22 votes.";
    const char *tgt = "票だ。";
    hny_qa_flag_t f [HNY_QA_MAX_FLAGS];
    size_t n = hny_qa_run (qa, src, strlen (src), tgt, strlen (tgt), f);
    CHECK (n == HNY_QA_MAX_FLAGS);
    CHECK_STR (f [0].what, "11");
    CHECK_STR (f [7].what, "18");
    hny_qa_destroy (&qa);

    /* a long untranslated Japanese sentence: what is cut at a character */
    qa = hny_qa_new ("ja", "en");
    char ja [4096] = "";
    for (int i = 0; i < 60; i++)
        strcat (ja, "日本共産党");
    n = hny_qa_run (qa, ja, strlen (ja), ja, strlen (ja), f);
    CHECK (n == 1 && f [0].check == HNY_QA_IDENTICAL);
    CHECK (strlen (f [0].what) <= HNY_QA_WHAT_MAX && strlen (f [0].what) % 3 == 0);
    hny_qa_destroy (&qa);

    /* invalid UTF-8, NULs, a text past the cap of what is read */
    qa = hny_qa_new ("en", "ja");
    const char bad [] = "\xff\xfe 1,500 \xc3 yen\x00 and 7";
    n = hny_qa_run (qa, bad, sizeof bad - 1, "7円", strlen ("7円"), f);
    CHECK (n >= 1 && f [0].check == HNY_QA_NUMBER);
    size_t huge = 200000;
    char *long_src = malloc (huge + 1);
    for (size_t i = 0; i < huge; i++)
        long_src [i] = "1,500 yen. "[i % 11];
    long_src [huge] = '\0';
    n = hny_qa_run (qa, long_src, huge, "円", strlen ("円"), f);
    CHECK (n >= 1 && n <= HNY_QA_MAX_FLAGS);
    free (long_src);
    n = hny_qa_run (qa, NULL, 0, NULL, 0, f);
    CHECK (n == 0);
    n = hny_qa_run (qa, "Hello.", 6, NULL, 0, f);
    CHECK (n == 1 && f [0].check == HNY_QA_LENGTH);
    hny_qa_destroy (&qa);
}

static void
test_select (void)
{
    hny_qa_t *qa = hny_qa_new ("en", "ja");
    const char *src = "<b>It</b> costs 1,500 yen.";
    const char *tgt = "It costs 1600 yen.";
    hny_qa_flag_t f [HNY_QA_MAX_FLAGS];
    size_t n = hny_qa_run (qa, src, strlen (src), tgt, strlen (tgt), f);
    CHECK (n == 3 && f [0].check == HNY_QA_TAGS && f [1].check == HNY_QA_SCRIPT && f [2].check == HNY_QA_NUMBER);
    hny_qa_select (qa, 1u << HNY_QA_NUMBER);
    n = hny_qa_run (qa, src, strlen (src), tgt, strlen (tgt), f);
    CHECK (n == 1 && f [0].check == HNY_QA_NUMBER);
    hny_qa_select (qa, 0);
    CHECK (hny_qa_run (qa, src, strlen (src), tgt, strlen (tgt), f) == 0);
    hny_qa_destroy (&qa);
    for (int c = 0; c < HNY_QA_CHECKS; c++)
        CHECK (hny_qa_check_parse (hny_qa_check_name ((hny_qa_check_t) c)) == c);
    CHECK (hny_qa_check_parse ("bogus") == -1 && hny_qa_check_parse (NULL) == -1);
}

static void
test_json (void)
{
    hny_qa_t *qa = hny_qa_new ("en", "ja");
    hny_qa_flag_t f [HNY_QA_MAX_FLAGS];
    const char *src = "It costs 1,500 yen \"now\".", *tgt = "1600円だ。";
    size_t n = hny_qa_run (qa, src, strlen (src), tgt, strlen (tgt), f);
    json_t *a = hny_qa_json (f, n);
    CHECK (json_array_size (a) == n && hny_qa_json_valid (a));
    CHECK_STR (json_string_value (json_object_get (json_array_get (a, 0), "check")), "number");
    json_decref (a);
    hny_qa_destroy (&qa);

    static const char *const bad [] = {
        "[]", "{}", "\"x\"",
        "[{\"check\":\"number\",\"what\":\"1\"}]",
        "[{\"check\":\"number\",\"what\":\"1\",\"detail\":\"d\",\"more\":1}]",
        "[{\"check\":\"Number\",\"what\":\"1\",\"detail\":\"d\"}]",
        "[{\"check\":\"\",\"what\":\"1\",\"detail\":\"d\"}]",
        "[{\"check\":\"a_very_long_check_name\",\"what\":\"1\",\"detail\":\"d\"}]",
        "[{\"check\":\"number\",\"what\":\"1\",\"detail\":\"\"}]",
        "[{\"check\":\"number\",\"what\":\"a\\nb\",\"detail\":\"d\"}]",
        "[{\"check\":\"number\",\"what\":\"a\\u0000b\",\"detail\":\"d\"}]",
        "[{\"check\":\"number\",\"what\":1,\"detail\":\"d\"}]",
        "[1]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        json_t *v = json_loads (bad [i], JSON_ALLOW_NUL | JSON_DECODE_ANY, NULL);
        CHECK (v != NULL);
        s_checks++;
        if (hny_qa_json_valid (v)) {
            fprintf (stderr, "valid, but should not be: %s\n", bad [i]);
            s_failures++;
        }
        json_decref (v);
    }
    /* nine flags, a what of 65 bytes: too much */
    json_t *nine = json_array ();
    for (int i = 0; i < 9; i++)
        json_array_append_new (nine, json_pack ("{s:s, s:s, s:s}", "check", "number", "what", "1", "detail", "d"));
    CHECK (!hny_qa_json_valid (nine));
    json_array_remove (nine, 8);
    CHECK (hny_qa_json_valid (nine));
    char what [HNY_QA_WHAT_MAX + 2];
    memset (what, 'w', sizeof what - 1);
    what [sizeof what - 1] = '\0';
    json_object_set_new (json_array_get (nine, 0), "what", json_string (what));
    CHECK (!hny_qa_json_valid (nine));
    what [HNY_QA_WHAT_MAX] = '\0';
    json_object_set_new (json_array_get (nine, 0), "what", json_string (what));
    CHECK (hny_qa_json_valid (nine));
    json_object_set_new (json_array_get (nine, 0), "check", json_string ("newer_check"));
    CHECK (hny_qa_json_valid (nine));       /* a newer worker's check */
    json_decref (nine);
}

int
main (void)
{
    test_cases ();
    test_details ();
    test_glossary ();
    test_caps ();
    test_select ();
    test_json ();
    return s_check_done ("test_qa");
}
