/*  test_date.c: the date parser (workers/hny_date.h): English, Japanese
    (full-width and kanji numerals, eras, 元年), numeric year-first dates,
    weekdays, dates inside lines, machine dates of metadata, and what must
    not be read as a date. */
#include "hny_date.h"

#include "hny_check.h"

#include <stdio.h>
#include <string.h>

/* text parsed whole must give want (NULL: not a date) */
static void
s_parse (const char *text, const char *want)
{
    char iso[HNY_DATE_ISO] = "";
    int got = hny_date_parse (text, iso);
    if (want ? !got || strcmp (iso, want) != 0 : got) {
        fprintf (stderr, "hny_date_parse (\"%s\"): got %s, want %s\n", text, got ? iso : "no date",
                 want ? want : "no date");
        s_failures++;
    }
}

static void
s_find (const char *text, const char *want)
{
    char iso[HNY_DATE_ISO] = "";
    int got = hny_date_find (text, strlen (text), iso);
    if (want ? !got || strcmp (iso, want) != 0 : got) {
        fprintf (stderr, "hny_date_find (\"%s\"): got %s, want %s\n", text, got ? iso : "no date",
                 want ? want : "no date");
        s_failures++;
    }
}

static void
s_machine (const char *text, const char *want)
{
    char iso[HNY_DATE_ISO] = "";
    int got = hny_date_machine (text, iso);
    if (want ? !got || strcmp (iso, want) != 0 : got) {
        fprintf (stderr, "hny_date_machine (\"%s\"): got %s, want %s\n", text, got ? iso : "no date",
                 want ? want : "no date");
        s_failures++;
    }
}

int
main (void)
{
    /* Japanese: Western years, ASCII and full-width digits, spaces, weekdays */
    s_parse ("2021年3月6日", "2021-03-06");
    s_parse ("２０２１年３月６日", "2021-03-06");
    s_parse ("2021年 3月 6日", "2021-03-06");
    s_parse ("2021年3月6日(土)", "2021-03-06");
    s_parse ("2021年3月6日（土）", "2021-03-06");
    s_parse ("2021年3月6日（土曜日）", "2021-03-06");
    s_parse ("２０２１年６月９日（水）", "2021-06-09");
    s_parse ("　2021年3月6日　", "2021-03-06");
    /* eras, 元年 = year 1, kanji numerals */
    s_parse ("令和3年3月6日", "2021-03-06");
    s_parse ("令和３年３月６日（土）", "2021-03-06");
    s_parse ("令和元年5月1日", "2019-05-01");
    s_parse ("平成31年4月30日", "2019-04-30");
    s_parse ("平成元年1月8日", "1989-01-08");
    s_parse ("昭和64年1月7日", "1989-01-07");
    s_parse ("昭和20年8月15日", "1945-08-15");
    s_parse ("大正12年9月1日", "1923-09-01");
    s_parse ("明治45年7月30日", "1912-07-30");
    s_parse ("令和三年三月六日", "2021-03-06");
    s_parse ("令和三年十二月三十一日", "2021-12-31");
    s_parse ("二〇二一年三月十六日", "2021-03-16");
    /* numeric, year first */
    s_parse ("2021/03/06", "2021-03-06");
    s_parse ("2021/3/6", "2021-03-06");
    s_parse ("2021-03-06", "2021-03-06");
    s_parse ("2021.3.6", "2021-03-06");
    s_parse ("２０２１／０３／０６", "2021-03-06");
    s_parse ("2021/03/06(土)", "2021-03-06");
    /* English */
    s_parse ("April 21, 2019", "2019-04-21");
    s_parse ("Sunday, April 21, 2019", "2019-04-21");
    s_parse ("Sept. 4, 2001", "2001-09-04");
    s_parse ("Apr 4 2001", "2001-04-04");
    s_parse ("19 November 2019", "2019-11-19");
    s_parse ("November 20th, 2019", "2019-11-20");
    s_parse ("Wed, 20 November 2019", "2019-11-20");
    /* not dates */
    s_parse ("April 21, 2019 was a Sunday", NULL);
    s_parse ("April 41, 2019", NULL);
    s_parse ("2021年2月30日", NULL);
    s_parse ("2021年13月1日", NULL);
    s_parse ("2019年2月29日", NULL);
    s_parse ("2020年2月29日", "2020-02-29");
    s_parse ("令和0年1月1日", NULL);
    s_parse ("03/06/2021", NULL);           /* ambiguous: not read */
    s_parse ("2021/03-06", NULL);           /* mixed separators */
    s_parse ("12021/03/06", NULL);
    s_parse ("2021年3月", NULL);
    s_parse ("", NULL);
    s_parse ("最低賃金の引き上げを求めて全国で行動", NULL);

    /* dates inside lines */
    s_find ("2021年3月6日(土) しんぶん赤旗", "2021-03-06");
    s_find ("しんぶん赤旗 2021年3月6日付", "2021-03-06");
    s_find ("Published November 18, 2019 11:03 PM", "2019-11-18");
    s_find ("Posted on 2019/11/18 by admin", "2019-11-18");
    s_find ("Updated: 20 Nov 2019", "2019-11-20");
    s_find ("version 12021/03/06", NULL);    /* glued to a digit */
    s_find ("id=x2021-03-06", NULL);         /* glued to a letter */
    s_find ("No date in this line at all.", NULL);
    s_find ("令和3年3月6日、国会で", "2021-03-06");

    /* metadata */
    s_machine ("2019-11-18T23:03:00+00:00", "2019-11-18");
    s_machine ("2019-11-18T23:03:00Z", "2019-11-18");
    s_machine (" 2019-11-18 ", "2019-11-18");
    s_machine ("20191118", "2019-11-18");
    s_machine ("20191118T230300Z", "2019-11-18");
    s_machine ("Mon, 18 Nov 2019 23:03:00 GMT", "2019-11-18");
    s_machine ("November 18, 2019", "2019-11-18");
    s_machine ("2021年3月6日", "2021-03-06");
    s_machine ("yesterday", NULL);
    s_machine ("2019-13-45T00:00:00Z", NULL);

    size_t used = 0;
    if (hny_date_era_year ("令和", 3, &used) != 2021 || used != 6 || hny_date_era_year ("西暦", 3, &used) != 0) {
        fprintf (stderr, "hny_date_era_year\n");
        s_failures++;
    }
    return s_check_done ("test_date");
}
