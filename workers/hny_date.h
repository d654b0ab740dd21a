/*  hny_date.h: dates as pages write them -> ISO 8601 "YYYY-MM-DD".

    Extraction needs the date of an article from three kinds of places: a
    date line of the text ("April 21, 2019", "19 November 2019",
    "2021年3月6日（土）", "令和3年3月6日", "2021/03/06"), a date inside a longer
    line ("Published November 18, 2019 11:03 PM", "2021年3月6日(土) 赤旗"),
    and machine-readable metadata ("2019-11-18T23:03:00+00:00", RFC 822
    "Mon, 18 Nov 2019 23:03:00 GMT"). All three are here, on UTF-8 text.

    Forms understood:
    - English: [Weekday,] Month D[,] YYYY; D Month YYYY; month names in full
      or abbreviated ("Apr", "Apr.", "Sept.").
    - Japanese: Y年M月D日 with ASCII, full-width (２０２１) or kanji (三, 十六)
      numerals, spaces allowed between the parts; an era instead of the
      Western year: 明治 (1868) 大正 (1912) 昭和 (1926) 平成 (1989) 令和 (2019),
      "元年" being year 1 of the era.
    - Numeric, year first: YYYY/MM/DD, YYYY-MM-DD, YYYY.MM.DD, also with
      full-width digits and "／". (Day-first and month-first numeric forms
      are ambiguous and are not read.)
    A weekday in brackets may follow: "(土)", "（土）", "(Sat)", "（土曜日）".
    Dates are checked: a real day of a real month, years 1868..2100. */
#ifndef HNY_DATE_H
#define HNY_DATE_H

#include <stddef.h>

/* Size of the ISO date buffers: "YYYY-MM-DD" and its NUL. */
#define HNY_DATE_ISO 11

/* The whole of text (NUL-terminated, trimmed) is one date, optionally with a
   weekday before (English) or in brackets after it: returns 1 and writes
   "YYYY-MM-DD" into iso, else 0 and iso is untouched. */
int hny_date_parse (const char *text, char iso[HNY_DATE_ISO]);

/* The first date that starts in [text, text+len) (a date must not be
   glued to letters or digits around it: "x2021/03/06" is not one). text
   must be NUL-terminated: a date that starts before len is read to its
   end, up to a few dozen bytes past len but never past the NUL (callers
   pass len = strlen (text)). Returns 1 and writes iso, else 0. Linear in
   len. */
int hny_date_find (const char *text, size_t len, char iso[HNY_DATE_ISO]);

/* A date from metadata: ISO 8601 with or without a time
   ("2019-11-18", "2019-11-18T23:03:00Z", "20191118"), RFC 822
   ("Mon, 18 Nov 2019 23:03:00 GMT"), or any form hny_date_find reads. The
   date is taken as written: a time zone does not move it to another day.
   Returns 1 and writes iso, else 0. */
int hny_date_machine (const char *text, char iso[HNY_DATE_ISO]);

/* Gregorian year of year n of a Japanese era named at text ("令和", ...):
   returns the year and sets *used to the bytes of the era name, or 0 when
   text does not start with an era name. n must be >= 1. */
int hny_date_era_year (const char *text, int n, size_t *used);

#endif
