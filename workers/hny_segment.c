/*  hny_segment.c: sentence segmentation.

    ICU's sentence BreakIterator ("<lang>@ss=standard") proposes boundaries;
    a post-pass over a per-code-unit boundary map then merges, moves and adds
    boundaries where ICU is known to be wrong for news text:

    All languages
      R1  an opening bracket or quote that ICU left at the end of a sentence
          ("「こんにちは。」「" + ...) moves to the start of the next one
      R2  abbreviations: prepositive titles (Mr. Dr. St. Gen. Sen. Gov. Prof.
          Mt. ...) never end a sentence before a name or number; number
          abbreviations (No. N°. p. Vol. Fig. Jan. ... Dec.) never before a
          digit; other known abbreviations (Co. Inc. Jr. st. ...), single-letter
          initials and multi-period abbreviations (U.S. a.m. Ph.D. e.g.) end a
          sentence only when the next word is a closed-class sentence opener
          (determiner, pronoun, preposition, conjunction, auxiliary, sentence
          adverb: The, It, In, But, Despite, ...); a capitalised open-class
          word continues the name ("the U.S. Embassy", "U.N. Security
          Council"). An initialism that ends a hyphenated compound counts as
          one ("the Japan-U.S. Security Treaty"), and a courtesy title (Mr.
          Ms. Dr.) after a capital initialism opens a sentence. "I." after a
          lower-case word is the pronoun.
      R3  ellipses: ". . ." between words is an omission (no break); a word's
          period followed by ". . ." before a capital ends the sentence at
          that period (the ellipsis opens the next one); "[...]" never ends one
      R4  "!" or "?" followed by a lower-case Latin word does not end a
          sentence ("Yahoo! in", "'What?' he asked"), nor "!" glued between a
          Latin letter and a non-Latin letter ("Yahoo!ショッピング")
      R5  no space between sentences: "world.Today", "1,000.That" break,
          unless the token is a URL, an e-mail address or an abbreviation
      R6  numbered, lettered and bulleted lists: a marker ("2.)", "2)", "2.",
          "b.", "•") starts a sentence when a neighbouring marker has the
          previous or next value; no break right after a marker
      R7  line breaks: a line break always ends a sentence (the policy of
          bunkai's default mode, rhoknp and kuzukiri; in the honyaku
          pipeline the normalizer has already joined the line breaks inside
          a paragraph, so one left here is meant), except inside a matched
          bracket pair in Japanese text (R9)
    Japanese ("ja")
      R8  a terminator followed by a particle (と って は の も が を に へ)
          does not end a sentence ("…ある。」と言った", "モー娘。の",
          "ですか？と"), unless the particle starts a common sentence-initial
          word (もし, もちろん, ところが, ...)
      R9  no break inside a matched bracket pair （） 「」 『』 【】 〔〕 〈〉 《》
          (titles such as 『君の名は。』, quotations with several sentences),
          and none between consecutive quotations 」「
      R10 an ellipsis (… ‥ ... ・・・) followed by more text ends a sentence
      R11 casual text: a run of emoji or ★☆♪♡ ends a sentence and stays with
          it; so does a face mark in brackets such as (^o^) or (笑)

    The UTF-8 input is converted once to UTF-16 with a parallel table of
    byte offsets; the break iterator and all buffers live in the segmenter
    and are reused, so a call allocates only the result array. */

#include "hny_segment.h"
#include "honyaku/util.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#define S_MAX_TEXT  (16u << 20)    /* largest paragraph accepted, in bytes */
#define S_MAX_MARKS 512            /* list markers considered per paragraph */
#define S_WORD_MAX  32             /* longest ASCII token compared with the tables */

enum { S_BRK = 1, S_INSIDE = 2 };  /* bits of the boundary map */

struct _hny_segmenter_t {
    char locale[40];            /* "<lang>@ss=standard" */
    int ja;                     /* Japanese rules R8-R11 on */
    UBreakIterator *bi;         /* reused through ubrk_setText */
    UChar *u;                   /* the paragraph in UTF-16 */
    int32_t *off;               /* UTF-8 byte offset of each unit (n + 1) */
    uint8_t *map;               /* S_BRK: a sentence starts here (n + 1) */
    int32_t cap;                /* capacity of u, off, map in units */
    int32_t n;                  /* units in the current paragraph */
    int breaks;                 /* it holds a line break (s_newline): R7 has work */
};

/* ---------------------------------------------------------------- tables */

/* Prepositive titles: followed by a name, never sentence-final there. */
static const char *s_titles[] = {
    "Mr", "Mrs", "Ms", "Messrs", "Mme", "Dr", "St", "Gen", "Sen", "Rep", "Gov", "Prof",
    "Lt", "Col", "Capt", "Cmdr", "Adm", "Maj", "Sgt", "Cpl", "Pvt", "Mt", "Ft", "Rev",
    "Hon", "Pres", "Supt", "Det", "Insp", "Amb", "Atty", "Brig", "Gens", "Sens", "Reps",
    "Msgr", "Fr", "Sr", "Sra", "Srta", "e.g", "i.e", "cf", "vs", "viz", NULL
};
/* Abbreviations that take a number: never sentence-final before a digit. */
static const char *s_numabbr[] = {
    "No", "Nos", "Nr", "Num", "p", "pp", "Vol", "vol", "Fig", "fig", "Art", "art", "Sec",
    "sec", "Ch", "ch", "Op", "op", "Ed", "ed", "Para", "para", "Jan", "Feb", "Mar", "Apr",
    "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec", "approx", "ca", "Rt", "Rte",
    "Hwy", "Ex", "ex", "Tab", "tab", "Pt", "pt", "Fl", "fl", "Apt", "apt", "Bldg", "Ste",
    "Dist", "Div", "Reg", NULL
};
/* Other abbreviations: sentence-final only before a sentence starter. */
static const char *s_abbr[] = {
    "Co", "co", "Corp", "corp", "Inc", "inc", "Ltd", "ltd", "Jr", "Bros", "vs", "v", "Ave",
    "ave", "Blvd", "Rd", "rd", "st", "Dept", "dept", "Univ", "Assn", "Est", "est", "Mfg",
    "Intl", "Natl", "Govt", "al", "cf", "viz", "Gk", "Lat", "min", "max", "Mon", "Tue",
    "Tues", "Wed", "Thu", "Thur", "Thurs", "Fri", "Sat", "Sun", "Calif", "Mass", "Conn",
    "Ill", "Ariz", "Colo", "Fla", "Ga", "Md", "Mich", "Minn", "Miss", "Nev", "Okla", "Ore",
    "Pa", "Penn", "Tenn", "Tex", "Va", "Wash", "Wis", "Ky", "La", "Ala", "Ark", "Kan",
    "Neb", "Del", "Vt", NULL
};
/* Words that commonly open an English sentence: after an abbreviation,
   one of these means the abbreviation did end the sentence. */
static const char *s_starters[] = {
    /* determiners, quantifiers, pronouns */
    "A", "An", "The", "This", "That", "These", "Those", "Some", "Many", "Most", "All", "Each",
    "Every", "Both", "Such", "Another", "Several", "Any", "Few", "Much", "Either", "Neither",
    "My", "Our", "Your", "His", "Her", "Its", "Their", "I", "We", "You", "He", "She", "It",
    "They", "There", "Here", "Everyone", "Someone", "Anyone", "Nobody", "Nothing", "None",
    "Something", "What", "Which", "Who", "Whose", "Whatever", "Whoever",
    /* prepositions */
    "In", "On", "At", "For", "From", "With", "By", "Under", "During", "After", "Before", "As",
    "About", "Against", "Among", "Amid", "Around", "Between", "Beyond", "Despite", "Into",
    "Of", "Over", "Regarding", "Concerning", "Through", "Throughout", "Toward", "Towards",
    "Until", "Unlike", "Upon", "Within", "Without", "Following", "According", "Given",
    /* conjunctions */
    "And", "But", "Or", "Nor", "So", "Yet", "If", "Since", "Although", "Though", "While",
    "Because", "Unless", "Whether", "Once", "When", "Where", "Why", "How",
    /* auxiliaries and verbs that open requests */
    "Is", "Are", "Was", "Were", "Be", "Do", "Does", "Did", "Can", "Could", "Will", "Would",
    "Shall", "Should", "Has", "Have", "Had", "May", "Might", "Must", "Not", "Please", "Let",
    /* sentence adverbs */
    "However", "Then", "Also", "Meanwhile", "Moreover", "Furthermore", "Still", "Now",
    "Thus", "Therefore", "Instead", "Even", "Only", "Last", "Next", "Today", "Yesterday",
    "Tomorrow", "Nevertheless", "Nonetheless", "Consequently", "Hence", "Indeed",
    "Otherwise", "Likewise", "Similarly", "Currently", "Recently", "Earlier", "Later",
    "Previously", "Finally", "Again", "Already", "Perhaps", "Apparently", "Overall",
    "Besides", NULL
};
/* Hiragana words that open a Japanese sentence although they begin with a
   particle's letter (R8). */
static const char *s_ja_starters[] = {
    "もし", "もちろん", "もっと", "もう", "もと", "ところ", "とにかく", "とても", "ともかく",
    "とりあえず", "とくに", "とはいえ", "とうとう", "はい", "はじめ", "はたして", "のち",
    "にもかかわらず", "はやく", "はやり", NULL
};

static int
s_in_table (const char **table, const char *word)
{
    for (size_t i = 0; table[i]; i++)
        if (table[i][0] == word[0] && strcmp (table[i], word) == 0)
            return 1;
    return 0;
}

/* ------------------------------------------------------ character classes */

/* Unicode White_Space, spelt out: this runs on every character. */
static int
s_space (UChar32 c)
{
    if (c < 0x80)
        return c == ' ' || (c >= 0x09 && c <= 0x0d);
    return c == 0x85 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028
        || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

static int
s_newline (UChar32 c)
{
    return c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || c == 0x85 || c == 0x2028 || c == 0x2029;
}

/* Closing punctuation that may follow a terminator inside the sentence. */
static int
s_closer (UChar32 c)
{
    if (c == '"' || c == '\'' || c == ')' || c == ']')
        return 1;
    if (c < 0x80)
        return 0;
    int8_t t = u_charType (c);
    return t == U_END_PUNCTUATION || t == U_FINAL_PUNCTUATION || c == 0x201d || c == 0x2019;
}

static int
s_opener (UChar32 c)
{
    if (c < 0x80)
        return c == '(' || c == '[';
    int8_t t = u_charType (c);
    return t == U_START_PUNCTUATION || t == U_INITIAL_PUNCTUATION;
}

static int
s_latin_lower (UChar32 c)
{
    return (c >= 'a' && c <= 'z') || (c > 0x7f && u_islower (c) && uscript_getScript (c, &(UErrorCode) {U_ZERO_ERROR}) == USCRIPT_LATIN);
}

static int
s_latin_upper (UChar32 c)
{
    return (c >= 'A' && c <= 'Z') || (c > 0x7f && (u_isupper (c) || u_istitle (c))
                                      && uscript_getScript (c, &(UErrorCode) {U_ZERO_ERROR}) == USCRIPT_LATIN);
}

static int
s_latin_letter (UChar32 c)
{
    return s_latin_lower (c) || s_latin_upper (c);
}

static int
s_digit (UChar32 c)
{
    return (c >= '0' && c <= '9') || (c >= 0xff10 && c <= 0xff19);
}

/* Han, kana and the prolonged sound mark: Japanese letters. */
static int
s_ja_letter (UChar32 c)
{
    if (c < 0x3000)
        return 0;
    if (c == 0x30fc || c == 0x3005)
        return 1;
    UErrorCode err = U_ZERO_ERROR;
    UScriptCode sc = uscript_getScript (c, &err);
    return sc == USCRIPT_HAN || sc == USCRIPT_HIRAGANA || sc == USCRIPT_KATAKANA;
}

static int
s_terminator (UChar32 c)
{
    return c == '.' || c == '!' || c == '?' || c == 0x3002 || c == 0xff0e || c == 0xff01
        || c == 0xff1f || c == 0xff61 || c == 0x203c || c == 0x2047 || c == 0x2048 || c == 0x2049;
}

/* Emoji and the star/music/heart symbols of casual Japanese (R11). */
static int
s_emoji (UChar32 c)
{
    if (c == 0x2605 || c == 0x2606 || c == 0x266a || c == 0x266b || c == 0x2661 || c == 0x2665)
        return 1;
    if (c < 0x2000 || (c >= 0x3040 && c < 0x3290) || (c >= 0x3300 && c < 0x1f000))
        return 0;                   /* no pictographs there: skip the lookup */
    return u_hasBinaryProperty (c, UCHAR_EXTENDED_PICTOGRAPHIC)
        && !u_hasBinaryProperty (c, UCHAR_EMOJI_COMPONENT) && c != 0x00a9 && c != 0x00ae;
}

/* Parts of an emoji sequence after its first code point. */
static int
s_emoji_tail (UChar32 c)
{
    return c == 0xfe0f || c == 0xfe0e || c == 0x200d || c == 0x20e3
        || (c >= 0x1f3fb && c <= 0x1f3ff) || (c >= 0xe0020 && c <= 0xe007f);
}

static int
s_bullet (UChar32 c)
{
    return c == 0x2022 || c == 0x2043 || c == 0x25e6 || c == 0x25aa || c == 0x25cf
        || c == 0x2023 || c == 0x25a0 || c == 0x25c6;
}

/* -------------------------------------------------------- text navigation */

static UChar32
s_at (const hny_segmenter_t *self, int32_t i)
{
    if (i < 0 || i >= self->n)
        return -1;
    UChar32 c;
    U16_GET (self->u, 0, i, self->n, c);
    return c;
}

/* The code point that ends just before i, and its start in *start. */
static UChar32
s_before (const hny_segmenter_t *self, int32_t i, int32_t *start)
{
    if (i <= 0 || i > self->n) {
        if (start)
            *start = -1;
        return -1;
    }
    UChar32 c;
    U16_PREV (self->u, 0, i, c);
    if (start)
        *start = i;
    return c;
}

static int32_t
s_next_index (const hny_segmenter_t *self, int32_t i)
{
    U16_FWD_1 (self->u, i, self->n);
    return i;
}

static int32_t
s_skip_space (const hny_segmenter_t *self, int32_t i)
{
    while (i < self->n && s_space (self->u[i]))
        i++;
    return i;
}

/* Copy the ASCII word of letters starting at i into buf; returns its length
   (0 when it is not all ASCII letters or too long). */
static size_t
s_word_at (const hny_segmenter_t *self, int32_t i, char *buf)
{
    size_t k = 0;
    while (i < self->n && ((self->u[i] >= 'a' && self->u[i] <= 'z') || (self->u[i] >= 'A' && self->u[i] <= 'Z'))) {
        if (k + 1 >= S_WORD_MAX)
            return 0;
        buf[k++] = (char) self->u[i++];
    }
    buf[k] = 0;
    if (i < self->n && self->u[i] > 0x7f && u_isalpha (s_at (self, i)))
        return 0;
    return k;
}

/* ------------------------------------------------------------- the rules */

/* What lies around one boundary. */
typedef struct {
    int32_t b;          /* the boundary */
    int32_t e;          /* end of the text before b, trailing whitespace excluded */
    int32_t t;          /* index of the terminator before the closers, -1: none */
    UChar32 term;       /* the terminator, -1: none */
    int32_t s;          /* first non-space at or after b */
    int spaced;         /* whitespace between e and s */
} s_ctx_t;

static void
s_context (const hny_segmenter_t *self, int32_t b, s_ctx_t *ctx)
{
    ctx->b = b;
    int32_t e = b;
    while (e > 0 && s_space (self->u[e - 1]))
        e--;
    ctx->e = e;
    ctx->s = s_skip_space (self, b);
    ctx->spaced = ctx->s > e;
    int32_t i = e, at;
    UChar32 c = s_before (self, i, &at);
    while (c >= 0 && s_closer (c)) {
        i = at;
        c = s_before (self, i, &at);
    }
    ctx->t = (c >= 0 && s_terminator (c)) ? at : -1;
    ctx->term = ctx->t >= 0 ? c : -1;
}

/* The first letter of the word at s after any opening punctuation. */
static UChar32
s_next_letter (const hny_segmenter_t *self, int32_t s, int32_t *at)
{
    while (s < self->n && (s_opener (self->u[s]) || self->u[s] == '"' || self->u[s] == '\''))
        s++;
    if (at)
        *at = s;
    return s_at (self, s);
}

/* True when the word at s is a capitalized common sentence starter. A
   letter joined by a hyphen is the start of a compound or a model name
   ("A-10", "In-house"), not the article or the preposition. */
static int
s_starter_at (const hny_segmenter_t *self, int32_t s)
{
    int32_t at;
    s_next_letter (self, s, &at);
    char w[S_WORD_MAX];
    size_t k = s_word_at (self, at, w);
    if (k == 0 || (at + (int32_t) k < self->n && self->u[at + (int32_t) k] == '-'))
        return 0;
    return s_in_table (s_starters, w);
}

/* The token of non-space characters ending just before end, without leading
   openers, as ASCII in buf ("N°" reads as "No"); returns its start, or -1
   when it is not ASCII or too long. */
static int32_t
s_token_before (const hny_segmenter_t *self, int32_t end, char *buf)
{
    int32_t ws = end;
    while (ws > 0 && !s_space (self->u[ws - 1])
           && (self->u[ws - 1] < 0x80 || self->u[ws - 1] == 0xb0 || self->u[ws - 1] == 0xba
               || self->u[ws - 1] == 0x2116 || s_latin_letter (self->u[ws - 1])))
        ws--;
    while (ws < end && (s_opener (self->u[ws]) || self->u[ws] == '"' || self->u[ws] == '\''))
        ws++;
    size_t k = 0;
    for (int32_t i = ws; i < end; i++) {
        UChar c = self->u[i];
        if ((c == 0xb0 || c == 0xba) && k == 1 && (buf[0] == 'N' || buf[0] == 'n'))
            c = 'o';                            /* the numero sign spelt N° */
        if (c > 0x7f || k + 1 >= S_WORD_MAX)
            return -1;
        buf[k++] = (char) c;
    }
    if (end - ws == 1 && self->u[ws] == 0x2116) {   /* № */
        strcpy (buf, "No");
        return ws;
    }
    buf[k] = 0;
    return ws;
}

/* The part of a hyphenated or slashed compound after its last joiner, where
   the abbreviation that owns the period sits: "Japan-U.S" gives "U.S",
   "ex-Gov" gives "Gov"; the token itself when it has no joiner. Only
   initialisms (and titles after a hyphen) are looked up this way: a single
   letter after a hyphen ("Plan-B.") is no initial. */
static const char *
s_tail (const char *tok)
{
    const char *tail = tok;
    for (const char *p = tok; *p; p++)
        if ((*p == '-' || *p == '/') && p[1])
            tail = p + 1;
    return tail;
}

/* Courtesy titles: they stand before a person's name, never inside the
   name of a body or a place. */
static const char *s_courtesy[] = {"Mr", "Mrs", "Ms", "Messrs", "Mme", "Dr", NULL};

/* True when the word at s is a courtesy title ("Mr." or British "Mr"). */
static int
s_courtesy_at (const hny_segmenter_t *self, int32_t s)
{
    int32_t at;
    s_next_letter (self, s, &at);
    char w[S_WORD_MAX];
    size_t k = s_word_at (self, at, w);
    if (k == 0 || !s_in_table (s_courtesy, w))
        return 0;
    int32_t after = at + (int32_t) k;
    return after < self->n && (self->u[after] == '.' || s_space (self->u[after]));
}

/* "U.S", "U.N", "P.M": an initialism of capitals only. */
static int
s_caps_initialism (const char *core)
{
    for (const char *p = core; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            return 0;
    return 1;
}

/* "U.S", "a.m", "Ph.D", "e.g": letter groups of one to three joined by periods. */
static int
s_multi_period (const char *core)
{
    int groups = 0, len = 0;
    for (const char *p = core;; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
            len++;
        else if (*p == '.' || *p == 0) {
            if (len < 1 || len > 3)
                return 0;
            groups++;
            len = 0;
            if (*p == 0)
                break;
        }
        else
            return 0;
    }
    return groups >= 2;
}

/* R3: an ellipsis ending at the terminator t. Returns 1 when it decided
   (and updated the map), 0 to let the other rules look. */
static int
s_ellipsis (hny_segmenter_t *self, const s_ctx_t *ctx)
{
    const UChar *u = self->u;
    int32_t i = ctx->t, first = ctx->t;
    int dots = 0, spaced = 0;
    while (i >= 0 && u[i] == '.') {
        dots++;
        first = i;
        if (i >= 2 && u[i - 1] == ' ' && u[i - 2] == '.') {
            spaced = 1;
            i -= 2;
        }
        else
            i--;
    }
    if (dots < 2)
        return 0;
    if (first > 0 && u[first - 1] == '[' && ctx->t + 1 < self->n && u[ctx->t + 1] == ']') {
        self->map[ctx->b] &= (uint8_t) ~S_BRK;      /* "[...]" marks an omission */
        return 1;
    }
    if (!spaced)
        return 0;
    int attached = first > 0 && !s_space (u[first - 1]);
    if (attached && dots >= 4) {
        /* "compounds. . . . The": the period ends the sentence, the
           ellipsis opens the next one */
        if (s_latin_upper (s_next_letter (self, ctx->s, NULL))) {
            self->map[ctx->b] &= (uint8_t) ~S_BRK;
            self->map[first + 1] |= S_BRK;
        }
        return 1;
    }
    if (!attached && dots == 3) {
        self->map[ctx->b] &= (uint8_t) ~S_BRK;      /* an omission inside the sentence */
        return 1;
    }
    return 1;
}

/* R2: decide about a boundary after a period; returns 1 to merge. */
static int
s_period_merge (const hny_segmenter_t *self, const s_ctx_t *ctx)
{
    if (!ctx->spaced)
        return 0;           /* "Dr.山田": R5 and ICU decide */
    char tok[S_WORD_MAX];
    int32_t ws = s_token_before (self, ctx->t, tok);
    if (ws < 0 || !tok[0])
        return 0;
    int32_t at;
    UChar32 next = s_next_letter (self, ctx->s, &at);
    int lower = s_latin_lower (next), upper = s_latin_upper (next), digit = s_digit (next);
    if (!lower && !upper && !digit)
        return 0;
    if (lower)
        return 1;           /* a sentence does not start in lower case */
    int starter = upper && s_starter_at (self, ctx->s);
    size_t len = strlen (tok);

    const char *tail = s_tail (tok);
    if (s_in_table (s_titles, tok)
        || (tail > tok && tail[-1] == '-' && s_in_table (s_titles, tail)))
        return 1;           /* "Gov. Tamaki", "ex-Gov. Nakaima"; not "En/Fr." */
    if (s_in_table (s_numabbr, tok) && digit)
        return 1;
    /* An initialism (U.S., U.N., E.U., a.m.; also the last part of a
       compound: Japan-U.S.) stands inside a name or a noun phrase far more
       often than at the end of a sentence: "the U.S. Embassy", "U.S. Forces
       Japan", "the Japan-U.S. Security Treaty". So a capitalised word after
       it continues the phrase, unless it is one of the closed-class words
       that open sentences (determiners, pronouns, prepositions,
       conjunctions, auxiliaries, sentence adverbs: "by the U.S. The
       ministry said"). Open-class words cannot tell the two apart ("to the
       U.S. Congress" / "to the U.S. Akahata reported"), and a name cut in
       two costs more than two sentences kept in one segment. */
    if (s_multi_period (tail)) {
        /* A courtesy title never continues a name: after a capital
           initialism, the name-forming kind ("to the U.S. Mr. Abe said"),
           it opens the next sentence. After a lower-case one ("At 5 a.m.
           Mr. Smith went") the time or "e.g." may be followed by the
           subject, so the default holds. */
        if (s_caps_initialism (tail) && s_courtesy_at (self, ctx->s))
            return 0;
        return !starter;
    }
    if (len == 1 && ((tok[0] >= 'a' && tok[0] <= 'z') || (tok[0] >= 'A' && tok[0] <= 'Z'))) {
        if (tok[0] == 'I') {
            /* "Albert I. Jones" but "you and I. Did" */
            int32_t p = ws;
            while (p > 0 && s_space (self->u[p - 1]))
                p--;
            int32_t pw = p;
            while (pw > 0 && !s_space (self->u[pw - 1]))
                pw--;
            return pw < p && s_latin_upper (s_at (self, pw)) && upper && !starter;
        }
        return !starter;
    }
    if (strcmp (tok, "etc") == 0)
        return digit;
    if (s_in_table (s_abbr, tok) || s_in_table (s_numabbr, tok))
        return !starter;
    return 0;
}

/* R8: a particle at s that continues the sentence. */
static int
s_ja_particle (const hny_segmenter_t *self, int32_t s)
{
    UChar c = s < self->n ? self->u[s] : 0;
    if (c != 0x3068 && c != 0x306f && c != 0x306e && c != 0x3082 && c != 0x304c
        && c != 0x3092 && c != 0x306b && c != 0x3078 && c != 0x3063)
        return 0;                                /* と は の も が を に へ っ */
    for (size_t k = 0; s_ja_starters[k]; k++) {
        /* the table is UTF-8; compare code point by code point */
        const char *p = s_ja_starters[k];
        int32_t i = s;
        int same = 1;
        while (*p) {
            UChar32 w;
            size_t len = strlen (p);
            int32_t j = 0;
            U8_NEXT ((const uint8_t *) p, j, (int32_t) len, w);
            p += j;
            if (i >= self->n || self->u[i] != w) {
                same = 0;
                break;
            }
            i++;
        }
        if (same)
            return 0;
    }
    return 1;
}

/* R9: a bracketed gloss at s followed by a particle belongs to what
   precedes it: "ずっと真夜中でいいのに。（ずっとまよなかでいいのに）は". */
static int
s_ja_gloss (const hny_segmenter_t *self, int32_t s)
{
    if (s >= self->n || (self->u[s] != 0xff08 && self->u[s] != '('))
        return 0;
    int depth = 0;
    for (int32_t i = s; i < self->n && i - s < 200; i++) {
        if (self->u[i] == 0xff08 || self->u[i] == '(')
            depth++;
        else if ((self->u[i] == 0xff09 || self->u[i] == ')') && --depth == 0)
            return s_ja_particle (self, i + 1);
    }
    return 0;
}

/* Rules R1-R5 and R8 on one boundary of ICU's. */
static void
s_check_boundary (hny_segmenter_t *self, int32_t b)
{
    s_ctx_t ctx;
    s_context (self, b, &ctx);
    uint8_t *map = self->map;

    /* R1: openers left at the end move to the next sentence */
    int32_t o = ctx.e, at;
    UChar32 c = s_before (self, o, &at);
    while (c >= 0 && s_opener (c) && at > 0) {
        o = at;
        c = s_before (self, o, &at);
    }
    if (o < ctx.e) {
        map[b] &= (uint8_t) ~S_BRK;
        UChar32 before = s_before (self, o, NULL);
        /* R9: consecutive quotations 「…。」「…。」 stay together */
        if (!(self->ja && (before == 0x300d || before == 0x300f)
              && (self->u[o] == 0x300c || self->u[o] == 0x300e))
            && !(self->ja && o == ctx.e - 1 && s_ja_gloss (self, o)))
            map[o] |= S_BRK;
        return;
    }
    if (ctx.s >= self->n)
        return;
    if (self->ja) {
        /* R8, R9: particles, consecutive quotations */
        UChar32 last = s_before (self, ctx.e, NULL);
        if (!ctx.spaced && (ctx.t >= 0 || s_closer (last)) && s_ja_particle (self, ctx.s)) {
            map[b] &= (uint8_t) ~S_BRK;
            return;
        }
        if (!ctx.spaced && (last == 0x300d || last == 0x300f)
            && (self->u[ctx.s] == 0x300c || self->u[ctx.s] == 0x300e)) {
            map[b] &= (uint8_t) ~S_BRK;
            return;
        }
        if (!ctx.spaced && s_ja_gloss (self, ctx.s)) {
            map[b] &= (uint8_t) ~S_BRK;
            return;
        }
    }
    if (ctx.t < 0)
        return;
    if (ctx.term == '!' || ctx.term == '?') {
        /* R4 */
        UChar32 next = s_next_letter (self, ctx.s, NULL);
        UChar32 prev = s_before (self, ctx.t, NULL);
        if (ctx.spaced && s_latin_lower (next))
            map[b] &= (uint8_t) ~S_BRK;
        else if (ctx.term == '!' && !ctx.spaced && ctx.e == ctx.t + 1 && s_latin_letter (prev)
                 && !s_latin_letter (next) && u_isalpha (next))
            map[b] &= (uint8_t) ~S_BRK;
        return;
    }
    if (ctx.term != '.')
        return;
    if (s_ellipsis (self, &ctx))
        return;
    if (s_period_merge (self, &ctx))
        map[b] &= (uint8_t) ~S_BRK;
}

/* R2, the other way round: ICU's ss=standard suppresses breaks after its
   own abbreviation list ("Aug.", "Jan."), also before a sentence starter.
   Restore those, except after titles and the pronoun-free initials rule. */
static void
s_suppressed_breaks (hny_segmenter_t *self)
{
    const UChar *u = self->u;
    for (int32_t i = 1; i + 2 < self->n; i++) {
        if (u[i] != '.' || !s_space (u[i + 1]) || !s_latin_letter (u[i - 1]))
            continue;
        int32_t s = s_skip_space (self, i + 1);
        int32_t k = i + 1;
        while (k < s && !(self->map[k] & S_BRK))
            k++;
        if (k <= s && k < self->n && (self->map[k] & S_BRK))
            continue;                           /* there is a boundary already */
        if (!s_latin_upper (s_at (self, s)) || !s_starter_at (self, s))
            continue;
        char tok[S_WORD_MAX];
        int32_t ws = s_token_before (self, i, tok);
        if (ws < 0 || !tok[0] || s_in_table (s_titles, tok) || strlen (tok) == 1)
            continue;
        if (!s_in_table (s_abbr, tok) && !s_in_table (s_numabbr, tok)
            && !s_multi_period (s_tail (tok)))
            continue;
        self->map[s] |= S_BRK;
    }
}

/* R5: "world.Today", "1,000.That" without a space. */
static void
s_glued_periods (hny_segmenter_t *self)
{
    const UChar *u = self->u;
    for (int32_t i = 1; i + 2 < self->n; i++) {
        if (u[i] != '.' || !((u[i - 1] >= 'a' && u[i - 1] <= 'z') || (u[i - 1] >= '0' && u[i - 1] <= '9'))
            || !(u[i + 1] >= 'A' && u[i + 1] <= 'Z') || !(u[i + 2] >= 'a' && u[i + 2] <= 'z'))
            continue;
        int32_t ws = i, we = i;
        int url = 0;
        while (ws > 0 && !s_space (u[ws - 1]))
            ws--;
        while (we < self->n && !s_space (u[we]))
            we++;
        for (int32_t k = ws; k < we && !url; k++)
            url = u[k] == '@' || u[k] == '/' || u[k] == ':';
        if (url)
            continue;
        char tok[S_WORD_MAX];
        if (s_token_before (self, i, tok) >= 0
            && (strlen (tok) == 1 || strchr (tok, '.') || s_in_table (s_titles, tok)
                || s_in_table (s_abbr, tok) || s_in_table (s_numabbr, tok)))
            continue;
        self->map[i + 1] |= S_BRK;
    }
}

/* A list marker at i: "12.)", "12)", "12.", "12）", "b.", "b)". Returns the
   index after it, or -1; sets *value and *kind (0 digits, 1 a-z, 2 A-Z). */
static int32_t
s_marker (const hny_segmenter_t *self, int32_t i, int *value, int *kind)
{
    const UChar *u = self->u;
    int32_t j = i;
    int v = 0;
    while (j < self->n && j - i < 3 && u[j] >= '0' && u[j] <= '9')
        v = v * 10 + (u[j++] - '0');
    if (j > i) {
        if (j < self->n && u[j] >= '0' && u[j] <= '9')
            return -1;
        *kind = 0;
    }
    else if (j < self->n && ((u[j] >= 'a' && u[j] <= 'z') || (u[j] >= 'A' && u[j] <= 'Z'))) {
        *kind = u[j] >= 'a' ? 1 : 2;
        v = u[j] - (u[j] >= 'a' ? 'a' : 'A') + 1;
        j++;
    }
    else
        return -1;
    *value = v;
    if (j >= self->n)
        return -1;
    if (u[j] == ')' || u[j] == 0xff09)
        return j + 1;
    if (u[j] != '.')
        return -1;
    j++;
    if (j < self->n && (u[j] == ')' || u[j] == 0xff09))
        return j + 1;
    return j < self->n && s_space (u[j]) ? j : -1;
}

/* R6: lists. */
static void
s_lists (hny_segmenter_t *self)
{
    struct { int32_t start, body; int value, kind; } marks[S_MAX_MARKS];
    int count = 0, bullets = 0;
    const UChar *u = self->u;
    for (int32_t i = 0; i < self->n && count < S_MAX_MARKS; i++) {
        /* markers start words: most units follow a printable ASCII one */
        if (i > 0 && ((u[i - 1] > ' ' && u[i - 1] < 0x80) || !s_space (u[i - 1])))
            continue;
        int32_t start = i, j = i;
        int bullet = 0;
        if (s_bullet (u[j])) {
            bullet = 1;
            j = s_skip_space (self, j + 1);
        }
        int value = 0, kind = 0;
        int32_t end = s_marker (self, j, &value, &kind);
        if (end < 0 && !(bullet && j > i + 1))
            continue;
        if (end < 0) {
            value = -1;          /* a bare bullet */
            kind = 3;
            end = i + 1;
            bullets++;
        }
        marks[count].start = start;
        marks[count].body = s_skip_space (self, end);
        marks[count].value = value;
        marks[count].kind = kind + (bullet && kind != 3 ? 4 : 0);
        count++;
        i = end - 1;
    }
    for (int k = 0; k < count; k++) {
        int list = marks[k].kind == 3 ? bullets >= 2 : 0;
        if (k > 0 && marks[k - 1].kind == marks[k].kind && marks[k - 1].value + 1 == marks[k].value)
            list = 1;
        if (k + 1 < count && marks[k + 1].kind == marks[k].kind && marks[k].value + 1 == marks[k + 1].value)
            list = 1;
        if (!list)
            continue;
        self->map[marks[k].start] |= S_BRK;
        for (int32_t p = marks[k].start + 1; p <= marks[k].body && p < self->n; p++)
            self->map[p] &= (uint8_t) ~S_BRK;
    }
}

/* The closing partner of a Japanese-text bracket, 0 when c opens none. */
static UChar
s_ja_partner (UChar c)
{
    switch (c) {
    case 0xff08: case '(': return 0xff09;        /* （ ( pair with ） ) */
    case 0x300c: return 0x300d;                  /* 「」 */
    case 0x300e: return 0x300f;                  /* 『』 */
    case 0x3010: return 0x3011;                  /* 【】 */
    case 0x3014: return 0x3015;                  /* 〔〕 */
    case 0x3008: return 0x3009;                  /* 〈〉 */
    case 0x300a: return 0x300b;                  /* 《》 */
    default: return 0;
    }
}

/* R9: mark the inside of matched bracket pairs and clear breaks there. */
static void
s_ja_brackets (hny_segmenter_t *self)
{
    int32_t stack[64];
    int depth = 0;
    for (int32_t i = 0; i < self->n; i++) {
        UChar c = self->u[i] == ')' ? 0xff09 : self->u[i];
        if (s_ja_partner (c)) {
            if (depth < 64)
                stack[depth++] = i;
            continue;
        }
        int k = depth - 1;
        while (k >= 0 && s_ja_partner (self->u[stack[k]]) != c)
            k--;
        if (k < 0)
            continue;                            /* not a closer, or unmatched */
        for (int32_t p = stack[k] + 1; p <= i; p++) {
            self->map[p] |= S_INSIDE;
            self->map[p] &= (uint8_t) ~S_BRK;
        }
        depth = k;
    }
}

/* R11: the end of a face mark in brackets starting at i: (^o^) (;_;) (笑)
   ＼(^o^)／ m(_ _)m; -1 when there is none. */
static int32_t
s_ja_bracket_face (const hny_segmenter_t *self, int32_t i)
{
    const UChar *u = self->u;
    int32_t j = i + 1;
    int sym = 0, ja = 0;
    while (j < self->n && j - i <= 12 && u[j] != ')' && u[j] != 0xff09) {
        if (u[j] == 0x7b11)
            sym = 1;                                /* 笑 */
        else if (s_ja_letter (u[j]))
            ja = 1;
        else if ((u[j] < 0x80 && strchr ("^_;*#'`", u[j])) || u[j] == 0xff3e || u[j] == 0xff3f)
            sym = 1;
        j++;
    }
    if (j >= self->n || (u[j] != ')' && u[j] != 0xff09) || !sym || (ja && u[i + 1] != 0x7b11))
        return -1;
    int32_t end = j + 1;
    UChar left = i > 0 ? u[i - 1] : 0;              /* a wrapper: ＼…／ m…m */
    if (end < self->n && left && !s_ja_letter (left)
        && (u[end] == left || (left == 0xff3c && u[end] == 0xff0f) || (left == '\\' && u[end] == '/')))
        end++;
    return end;
}

/* R11: the end of an ASCII face mark or laugh starting at i after a Japanese
   letter: ^^ ^^; :) :-) orz w www; -1 when there is none. */
static int32_t
s_ja_ascii_face (const hny_segmenter_t *self, int32_t i)
{
    const UChar *u = self->u;
    if (i == 0 || !s_ja_letter (u[i - 1]))
        return -1;
    int32_t j = i;
    int face = 0, letters = 0, other = 0;
    while (j < self->n && u[j] > 0x20 && u[j] < 0x7f) {
        if (strchr ("^:;", u[j]))
            face = 1;
        if ((u[j] >= 'a' && u[j] <= 'z') || (u[j] >= 'A' && u[j] <= 'Z'))
            letters++;
        else if (!strchr ("^:;-_)(*'`=~", u[j]))
            other = 1;
        j++;
    }
    while (j < self->n && u[j] == 0xff3e)           /* ＾＾ */
        j++, face = 1;
    if (j == i || other)
        return -1;
    int laugh = 1;
    for (int32_t k = i; k < j; k++)
        laugh &= u[k] == 'w';
    int orz = j - i == 3 && ((u[i] == 'o' && u[i + 1] == 'r' && u[i + 2] == 'z')
                             || (u[i] == 'O' && u[i + 1] == 'T' && u[i + 2] == 'L'));
    if (orz || laugh)
        return j;
    if (face && letters == 0 && j - i >= 2)
        return j;
    return -1;
}

/* R10, R11: ellipses, emoji runs and face marks end Japanese sentences and
   stay with the sentence they end. */
static void
s_ja_casual (hny_segmenter_t *self)
{
    const UChar *u = self->u;
    for (int32_t i = 0; i < self->n;) {
        UChar32 c = s_at (self, i);
        int32_t end = -1, from = i;
        if (c == 0x2026 || c == 0x2025) {
            end = i;
            while (end < self->n && (u[end] == 0x2026 || u[end] == 0x2025))
                end++;
        }
        else if ((c == '.' || c == 0x30fb) && i + 2 < self->n && u[i + 1] == c && u[i + 2] == c) {
            end = i;
            while (end < self->n && u[end] == c)
                end++;
        }
        else if (s_emoji (c) && i > 0 && !s_space (u[i - 1])) {
            end = i;
            while (end < self->n) {
                UChar32 d = s_at (self, end);
                if (!s_emoji (d) && !s_emoji_tail (d))
                    break;
                end = s_next_index (self, end);
            }
        }
        else if ((c == '(' || c == 0xff08) && i > 0 && !s_space (u[i - 1])) {
            end = s_ja_bracket_face (self, i);
            if (end > 0 && end > i && (u[end - 1] == u[i - 1] || u[end - 1] == 0xff0f || u[end - 1] == '/'))
                from = i - 1;                       /* the wrapper's left half */
        }
        else if (c < 0x7f || c == 0xff3e)
            end = s_ja_ascii_face (self, i);
        if (end < 0) {
            i = s_next_index (self, i);
            continue;
        }
        /* the mark belongs to the sentence before it (ICU may have put a
           boundary in front of it, or inside a wrapper such as ＼(^o^)／) */
        if (i > 0 && !(self->map[from] & S_INSIDE))
            for (int32_t p = from; p < end; p++)
                self->map[p] &= (uint8_t) ~S_BRK;
        while (end < self->n && s_closer (u[end]))
            end++;
        int32_t next = s_skip_space (self, end);
        if (next < self->n && !s_ja_particle (self, next) && !s_terminator (u[next])
            && !(self->map[end] & S_INSIDE))
            self->map[next] |= S_BRK;
        i = end > i ? end : s_next_index (self, i);
    }
}

/* R7: line breaks end sentences (not inside Japanese brackets). */
static void
s_line_breaks (hny_segmenter_t *self)
{
    for (int32_t i = 0; i < self->n; i++)
        if (s_newline (self->u[i]) && !(self->map[i] & S_INSIDE))
            self->map[i + 1] |= S_BRK;
}

/* ------------------------------------------------------------ the object */

hny_segmenter_t *
hny_segmenter_new (const char *lang)
{
    char tag[16];
    size_t k = 0;
    for (const char *p = lang ? lang : "en"; *p && k + 1 < sizeof tag; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
              || *p == '-' || *p == '_'))
            break;
        tag[k++] = *p == '-' ? '_' : *p;
    }
    tag[k] = 0;
    if (k == 0)
        strcpy (tag, "en");
    hny_segmenter_t *self = hny_calloc (1, sizeof *self);
    snprintf (self->locale, sizeof self->locale, "%s@ss=standard", tag);
    self->ja = (tag[0] == 'j' || tag[0] == 'J') && (tag[1] == 'a' || tag[1] == 'A') && (tag[2] == 0 || tag[2] == '_');
    UErrorCode err = U_ZERO_ERROR;
    self->bi = ubrk_open (UBRK_SENTENCE, self->locale, NULL, 0, &err);
    if (U_FAILURE (err) || !self->bi) {
        hny_error ("segment: cannot open a sentence break iterator for %s: %s", self->locale, u_errorName (err));
        if (self->bi)
            ubrk_close (self->bi);
        free (self);
        return NULL;
    }
    return self;
}

void
hny_segmenter_destroy (hny_segmenter_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hny_segmenter_t *self = *self_p;
    ubrk_close (self->bi);
    free (self->u);
    free (self->off);
    free (self->map);
    free (self);
    *self_p = NULL;
}

/* Decode UTF-8 into self->u with byte offsets; invalid bytes become U+FFFD. */
static void
s_decode (hny_segmenter_t *self, const char *text, size_t len)
{
    if ((size_t) self->cap < len + 1) {
        int32_t cap = (int32_t) (len + 1 < 256 ? 256 : len + 1);
        free (self->u);
        free (self->off);
        free (self->map);
        self->u = hny_malloc ((size_t) cap * sizeof (UChar));
        self->off = hny_malloc ((size_t) (cap + 1) * sizeof (int32_t));
        self->map = hny_malloc ((size_t) cap + 1);
        self->cap = cap;
    }
    const uint8_t *s = (const uint8_t *) text;
    int32_t n = 0;
    size_t i = 0;
    int breaks = 0;
    while (i < len) {
        UChar32 c = s[i];
        size_t k = 1;
        if (c >= 0x80) {
            int32_t j = (int32_t) i;
            U8_NEXT (s, j, (int32_t) len, c);
            k = (size_t) j - i;
            if (c < 0)
                c = 0xfffd;
            breaks |= c == 0x85 || c == 0x2028 || c == 0x2029;
        }
        else
            breaks |= c >= 0x0a && c <= 0x0d;
        if (c > 0xffff) {
            self->u[n] = U16_LEAD (c);
            self->off[n++] = (int32_t) i;
            self->u[n] = U16_TRAIL (c);
            self->off[n++] = (int32_t) i;
        }
        else {
            self->u[n] = (UChar) c;
            self->off[n++] = (int32_t) i;
        }
        i += k;
    }
    self->off[n] = (int32_t) len;
    self->n = n;
    self->breaks = breaks;
}

size_t
hny_segment (hny_segmenter_t *self, const char *text, size_t len, hny_span_t **spans_p)
{
    assert (self);
    assert (spans_p);
    *spans_p = NULL;
    if (!text || len == 0)
        return 0;
    if (len > S_MAX_TEXT) {
        hny_warn ("segment: paragraph of %zu bytes exceeds the cap of %u", len, S_MAX_TEXT);
        return (size_t) -1;
    }
    s_decode (self, text, len);
    int32_t n = self->n;
    memset (self->map, 0, (size_t) n + 1);

    UErrorCode err = U_ZERO_ERROR;
    ubrk_setText (self->bi, self->u, n, &err);
    if (U_FAILURE (err)) {
        hny_error ("segment: ubrk_setText: %s", u_errorName (err));
        return (size_t) -1;
    }
    for (int32_t b = ubrk_first (self->bi); b != UBRK_DONE; b = ubrk_next (self->bi))
        if (b > 0 && b < n)
            self->map[b] |= S_BRK;
    static const UChar s_empty[1] = {0};
    ubrk_setText (self->bi, s_empty, 0, &err);  /* drop the pointer to our buffer */

    for (int32_t b = 1; b < n; b++)
        if (self->map[b] & S_BRK)
            s_check_boundary (self, b);
    s_suppressed_breaks (self);
    s_glued_periods (self);
    s_lists (self);
    if (self->ja) {
        s_ja_brackets (self);
        s_ja_casual (self);
    }
    if (self->breaks)
        s_line_breaks (self);

    /* emit trimmed, non-empty spans; count first so one array suffices */
    size_t count = 0;
    for (int32_t b = 1; b < n; b++)
        count += self->map[b] & S_BRK;
    hny_span_t *spans = hny_malloc ((count + 1) * sizeof *spans);
    size_t out = 0;
    int32_t start = 0;
    for (int32_t b = 1; b <= n; b++) {
        if (b < n && !(self->map[b] & S_BRK))
            continue;
        int32_t s = start, e = b;
        while (s < e && s_space (s_at (self, s)))
            s = s_next_index (self, s);
        while (e > s) {
            int32_t at;
            UChar32 c = s_before (self, e, &at);
            if (!s_space (c))
                break;
            e = at;
        }
        if (e > s) {
            assert (out < count + 1);
            spans[out].offset = (size_t) self->off[s];
            spans[out].length = (size_t) (self->off[e] - self->off[s]);
            out++;
        }
        start = b;
    }
    if (out == 0) {
        free (spans);
        return 0;
    }
    *spans_p = spans;
    return out;
}
