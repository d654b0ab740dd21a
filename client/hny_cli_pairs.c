/*  hny_cli_pairs.c: `honyaku align-pairs SRC_DIR TGT_DIR --from L --to L`.

    Proposes which article of SRC_DIR translates which of TGT_DIR, for
    `honyaku batch --align`: every file is prepared here, in this process
    (no daemon: hny_prepare, as `honyaku prepare`), and reduced to its date
    (the page's metadata: the JPW layouts and HTML pages give one) and the
    set of its anchors (workers/hny_anchor.h: numbers as values, "1,500" =
    "1500", "2.3 million" = "230万"; dates, "May 12" = "5月12日"; Latin-
    script names), which a translation carries over without translating.

    A pair's score is 0.75 x its anchors' overlap (shared keys over the
    geometric mean of both sets' sizes) + 0.25 x how close its dates are
    (1 on the same day, falling to 0 at --days apart; 0.5 when a side has
    no full date). Pairs whose dates are more than --days apart are never
    proposed. Pairs at --min-score or above are taken best first, each file
    in one pair at most, and written as "SRC<TAB>TGT<TAB>SCORE" lines, the
    paths absolute (the file works from anywhere), in source order.

    Cost: each dated source is compared with the targets of its date
    window only (targets sorted by date), undated ones with all: linear
    in the files for a dated archive, quadratic for an undated one. */
#include "hny_cli.h"
#include "honyaku/util.h"

#ifdef HNY_HAVE_PREPARE
#include "hny_anchor.h"
#include <honyaku/prepare.h>
#endif

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_KEYS_MAX      8192        /* anchor keys kept per article */
#define S_DAYS_DEFAULT  14          /* JPW translates within a week or two */
#define S_DAYS_MAX      3660
#define S_UNDATED       INT_MIN

#ifdef HNY_HAVE_PREPARE

/* One article: its path, day number and sorted, distinct anchor keys. */
typedef struct {
    char *path;                 /* absolute */
    int day;                    /* days since 1970-01-01, or S_UNDATED */
    uint32_t *keys;
    size_t nkeys;
    int taken;
} s_doc_t;

typedef struct {
    size_t src, tgt;
    double score;
} s_pair_t;

/* Days since the epoch of "YYYY-MM-DD", or S_UNDATED (a year or a month
   alone is too coarse to pair by). */
static int
s_day (const char *iso)
{
    int y, m, d;
    char tail;
    if (!iso || sscanf (iso, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
        return S_UNDATED;
    /* civil date to day number (proleptic Gregorian) */
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int
s_key_cmp (const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
    return x < y ? -1 : x > y;
}

/* The anchors of one segment into doc (up to S_KEYS_MAX, sorted later). */
static void
s_anchors (s_doc_t *doc, const char *text, int japanese)
{
    uint32_t keys [HNY_ANCHOR_MAX];
    size_t n = text ? hny_anchor_find (text, japanese, keys, HNY_ANCHOR_MAX) : 0;
    for (size_t i = 0; i < n && doc->nkeys < S_KEYS_MAX; i++)
        doc->keys [doc->nkeys++] = keys [i];
}

/* Prepare one file into doc. Returns 0, or -1 with the reason said (the
   file is left out: a page that is not an article pairs with nothing). */
static int
s_read_doc (const hny_cli_t *cli, hny_preparer_t *prep, const char *path, const char *lang,
            s_doc_t *doc)
{
    char *data = NULL;
    size_t size = 0;
    const char *why = NULL;
    if (hny_cli_read_input (cli, path, &data, &size, &why)) {
        fprintf (stderr, "honyaku: align-pairs: %s: %s: left out\n", path, why);
        return -1;
    }
    hny_prepare_opts_t opts = { .lang = lang, .max_bytes = cli->max_bytes, .lenient = 1 };
    int status = 0;
    char *reason = NULL;
    json_t *art = hny_prepare (prep, (const uint8_t *) data, size, &opts, &status, &reason);
    free (data);
    if (!art) {
        fprintf (stderr, "honyaku: align-pairs: %s: %s (status %d): left out\n", path,
                 reason ? reason : "not an article", status);
        free (reason);
        return -1;
    }
    int japanese = strcmp (lang, "ja") == 0 || strncmp (lang, "ja-", 3) == 0;
    doc->path = realpath (path, NULL);
    if (!doc->path)
        doc->path = hny_strdup (path);
    doc->day = s_day (json_string_value (json_object_get (json_object_get (art, "metadata"), "date")));
    doc->keys = hny_malloc (S_KEYS_MAX * sizeof *doc->keys);
    s_anchors (doc, json_string_value (json_object_get (json_object_get (art, "title"), "src")), japanese);
    size_t p, i;
    json_t *para, *seg;
    json_array_foreach (json_object_get (art, "paragraphs"), p, para)
        json_array_foreach (json_object_get (para, "segments"), i, seg)
            s_anchors (doc, json_string_value (json_object_get (seg, "src")), japanese);
    json_decref (art);
    qsort (doc->keys, doc->nkeys, sizeof *doc->keys, s_key_cmp);
    size_t kept = 0;
    for (size_t k = 0; k < doc->nkeys; k++)
        if (!kept || doc->keys [kept - 1] != doc->keys [k])
            doc->keys [kept++] = doc->keys [k];
    doc->nkeys = kept;
    return 0;
}

/* Every file under dir, prepared in lang. */
static int
s_read_dir (const hny_cli_t *cli, hny_preparer_t *prep, const char *dir, const char *lang,
            s_doc_t **docs, size_t *count)
{
    char **rels = NULL;
    size_t n = 0;
    if (hny_cli_walk ("align-pairs", dir, &rels, &n)) {
        free (rels);
        return -1;
    }
    *docs = hny_calloc (n ? n : 1, sizeof **docs);
    *count = 0;
    for (size_t i = 0; i < n; i++) {
        char *path = hny_sprintf ("%s/%s", dir, rels [i]);
        if (s_read_doc (cli, prep, path, lang, &(*docs) [*count]) == 0)
            (*count)++;
        free (path);
        free (rels [i]);
    }
    free (rels);
    return 0;
}

/* The pair's score (0..1), or -1 when their dates are too far apart. */
static double
s_score (const s_doc_t *a, const s_doc_t *b, int days)
{
    double date = 0.5;
    if (a->day != S_UNDATED && b->day != S_UNDATED) {
        int gap = abs (a->day - b->day);
        if (gap > days)
            return -1;
        date = 1.0 - (double) gap / (days + 1);
    }
    size_t common = 0, i = 0, j = 0;
    while (i < a->nkeys && j < b->nkeys) {
        if (a->keys [i] == b->keys [j])
            common++, i++, j++;
        else if (a->keys [i] < b->keys [j])
            i++;
        else
            j++;
    }
    double overlap = a->nkeys && b->nkeys ? common / sqrt ((double) a->nkeys * (double) b->nkeys) : 0;
    return 0.75 * overlap + 0.25 * date;
}

static int
s_doc_day_cmp (const void *a, const void *b)
{
    int x = ((const s_doc_t *) a)->day, y = ((const s_doc_t *) b)->day;
    return x < y ? -1 : x > y;
}

static int
s_pair_cmp (const void *a, const void *b)
{
    const s_pair_t *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return x->src != y->src ? (x->src < y->src ? -1 : 1) : (x->tgt < y->tgt ? -1 : x->tgt > y->tgt);
}

static int
s_by_src (const void *a, const void *b)
{
    const s_pair_t *x = a, *y = b;
    return x->src < y->src ? -1 : x->src > y->src;
}

static void
s_add_pair (s_pair_t **pairs, size_t *n, size_t *cap, size_t src, size_t tgt, double score)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 256;
        *pairs = hny_realloc (*pairs, *cap * sizeof **pairs);
    }
    (*pairs) [(*n)++] = (s_pair_t) { src, tgt, score };
}

/* Candidate pairs at min_score or above: each source against the targets
   of its date window (targets sorted by day, undated ones first) and the
   undated targets; an undated source against all. */
static s_pair_t *
s_candidates (s_doc_t *src, size_t ns, s_doc_t *tgt, size_t nt, int days, double min_score, size_t *count)
{
    s_pair_t *pairs = NULL;
    size_t n = 0, cap = 0, undated = 0;
    while (undated < nt && tgt [undated].day == S_UNDATED)
        undated++;
    for (size_t i = 0; i < ns; i++) {
        size_t from = 0, to = nt;
        if (src [i].day != S_UNDATED) {
            /* the first dated target not before the window, by bisection */
            size_t lo = undated, hi = nt;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (tgt [mid].day < src [i].day - days)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            for (size_t j = 0; j < undated; j++) {
                double s = s_score (&src [i], &tgt [j], days);
                if (s >= min_score)
                    s_add_pair (&pairs, &n, &cap, i, j, s);
            }
            from = lo;
        }
        for (size_t j = from; j < to; j++) {
            if (src [i].day != S_UNDATED && tgt [j].day > src [i].day + days)
                break;
            double s = s_score (&src [i], &tgt [j], days);
            if (s >= min_score)
                s_add_pair (&pairs, &n, &cap, i, j, s);
        }
    }
    *count = n;
    return pairs;
}

static void
s_docs_free (s_doc_t *docs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free (docs [i].path);
        free (docs [i].keys);
    }
    free (docs);
}

#endif

int
hny_cli_align_pairs (hny_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts [] = {
        { "from", required_argument, NULL, 'f' },
        { "to", required_argument, NULL, 't' },
        { "out", required_argument, NULL, 'o' },
        { "days", required_argument, NULL, 'd' },
        { "min-score", required_argument, NULL, 'm' },
        HNY_CLI_COMMON_OPTIONS,
        { NULL, 0, NULL, 0 }
    };
    hny_submit_t langs = { 0 };
    const char *out = NULL;
    int days = S_DAYS_DEFAULT, opt;
    double min_score = 0.2;
    while ((opt = hny_cli_getopt (cli, "align-pairs", argc, argv, "", longopts)) != -1) {
        if (HNY_CLI_STOP (opt))
            return HNY_CLI_STOP_CODE (opt);
        char *end = NULL;
        switch (opt) {
            case 'f': langs.from = optarg; break;
            case 't': langs.to = optarg; break;
            case 'o': out = optarg; break;
            case 'd':
                if (hny_cli_parse_int (optarg, S_DAYS_MAX, &days))
                    return hny_cli_usage ("align-pairs", "--days: '%s' is not a number from 0 to %d",
                                          optarg, S_DAYS_MAX);
                break;
            case 'm':
                min_score = strtod (optarg, &end);
                if (!end || *end || !(min_score >= 0 && min_score <= 1))
                    return hny_cli_usage ("align-pairs", "--min-score: '%s' is not a number from 0 to 1",
                                          optarg);
                break;
            default: return hny_cli_usage ("align-pairs", "unexpected option");
        }
    }
    if (argc - optind != 2)
        return hny_cli_usage ("align-pairs", "exactly two folders: SRC_DIR TGT_DIR");
    if (!langs.from || !langs.to)
        return hny_cli_usage ("align-pairs", "--from and --to are required");
    char from [HNY_LANG_MAX + 1], to [HNY_LANG_MAX + 1];
    int rc = hny_cli_langs (&langs, from, to);
    if (rc)
        return rc;
#ifdef HNY_HAVE_PREPARE
    hny_preparer_t *prep = hny_preparer_new ();
    s_doc_t *src = NULL, *tgt = NULL;
    size_t ns = 0, nt = 0, n = 0;
    s_pair_t *pairs = NULL;
    FILE *f = NULL;
    char *tmp = NULL;
    rc = HNY_EXIT_FAIL;
    if (!prep || s_read_dir (cli, prep, argv [optind], from, &src, &ns)
    ||  s_read_dir (cli, prep, argv [optind + 1], to, &tgt, &nt))
        goto done;
    qsort (tgt, nt, sizeof *tgt, s_doc_day_cmp);
    pairs = s_candidates (src, ns, tgt, nt, days, min_score, &n);
    /* Best first, each file once (qsort wants no NULL, even for none). */
    if (n)
        qsort (pairs, n, sizeof *pairs, s_pair_cmp);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (!src [pairs [i].src].taken && !tgt [pairs [i].tgt].taken) {
            src [pairs [i].src].taken = tgt [pairs [i].tgt].taken = 1;
            pairs [kept++] = pairs [i];
        }
    if (kept)
        qsort (pairs, kept, sizeof *pairs, s_by_src);
    tmp = out ? hny_sprintf ("%s.tmp", out) : NULL;
    f = out ? fopen (tmp, "w") : stdout;
    if (!f) {
        hny_cli_fail ("align-pairs", "%s: %s", tmp, strerror (errno));
        goto done;
    }
    for (size_t i = 0; i < kept; i++)
        fprintf (f, "%s\t%s\t%.3f\n", src [pairs [i].src].path, tgt [pairs [i].tgt].path, pairs [i].score);
    if (fflush (f) || ferror (f) || (out && (fclose (f) || rename (tmp, out)))) {
        hny_cli_fail ("align-pairs", "%s: %s", out ? out : "stdout", strerror (errno));
        f = NULL;
        goto done;
    }
    f = NULL;
    fprintf (stderr, "honyaku: align-pairs: %zu pairs of %zu source and %zu target articles "
             "(%zu and %zu without a partner)\n", kept, ns, nt, ns - kept, nt - kept);
    rc = HNY_EXIT_OK;
done:
    if (f && out)
        fclose (f);
    free (tmp);
    free (pairs);
    s_docs_free (src, ns);
    s_docs_free (tgt, nt);
    hny_preparer_destroy (&prep);
    return rc;
#else
    (void) out;
    (void) days;
    (void) min_score;
    return hny_cli_fail ("align-pairs", "this honyaku was built without text preparation");
#endif
}
