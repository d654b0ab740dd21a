/*  hny_progress.h: what `honyaku batch` shows while it runs.

    Three ways to show it:
    - tty: one live line, redrawn in place ("\r", then the text, then
      erase-to-end-of-line) at most HNY_PROGRESS_REDRAW_MS apart, cut to
      the terminal's width (TIOCGWINSZ at every redraw, so a resized
      window is followed): articles finished of all, percent, failures,
      segments a second, ETA, characters billed, jobs in flight. Failures
      and notices are printed as lines above it.
    - lines: one line per finished article (for logs and pipes):
      "[K/N] STATE REL  job J, S segments, C chars billed" or, for a
      failure, "[K/N] STATE REL  job J: REASON".
    - none: no per-article output; notices only.
    Every mode prints notices (hny_progress_say), so errors are never
    hidden. The object also keeps the batch's counters (articles done,
    failed, skipped; segments and characters billed from the records) and
    the rates the summary line reports. */
#ifndef HNY_PROGRESS_H
#define HNY_PROGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HNY_PROGRESS_REDRAW_MS 150  /* about 7 redraws a second at most */

typedef enum {
    HNY_PROGRESS_AUTO,          /* tty when the output is a terminal (TERM not "dumb"), else lines */
    HNY_PROGRESS_TTY,
    HNY_PROGRESS_LINES,
    HNY_PROGRESS_NONE
} hny_progress_mode_t;

typedef struct _hny_progress_t hny_progress_t;

/* What one finished article was. Strings are borrowed for the call. */
typedef struct {
    const char *rel;            /* the file, relative to the batch's folder */
    const char *state;          /* "done", "failed", "rejected", "unreadable", ... */
    const char *job;            /* its job, or NULL when it never had one */
    const char *reason;         /* why it failed; NULL when it did not */
    int ok;                     /* 1: its record was written */
    int existing;               /* its job existed before this run */
    uint64_t segments;          /* the record's stats.segments (0 when unknown) */
    uint64_t chars_billed;      /* the record's stats.chars_billed */
} hny_progress_article_t;

/* The counters. Rates count the articles finished in this run only
   (skipped ones took no time). */
typedef struct {
    size_t total;               /* articles in the batch */
    size_t done, failed;        /* finished in this run */
    size_t skipped;             /* records written by an earlier run */
    uint64_t segments;          /* segments of the records of this run */
    uint64_t chars_billed;      /* characters billed for them (records' stats) */
    int64_t elapsed_ms;         /* since hny_progress_new */
} hny_progress_counts_t;

/* Parse "auto", "tty", "lines" or "none"; returns 0, or -1 when unknown. */
int hny_progress_mode_parse (const char *text, hny_progress_mode_t *mode);

/* A display on `out` (borrowed; stderr in the CLI) for a batch of `total`
   articles. AUTO is resolved here, against `out`. Caller owns the result. */
hny_progress_t *hny_progress_new (hny_progress_mode_t mode, FILE *out, size_t total);
/* Erase the live line, if shown, and free. Accepts NULL and a NULL *self_p. */
void hny_progress_destroy (hny_progress_t **self_p);

/* The mode in use (never AUTO). */
hny_progress_mode_t hny_progress_mode (const hny_progress_t *self);

/* `count` more articles need nothing: their records exist already. */
void hny_progress_skipped (hny_progress_t *self, size_t count);
/* An article finished: counted, and shown as the mode says. */
void hny_progress_article (hny_progress_t *self, const hny_progress_article_t *article);
/* A notice, one line, in every mode (on a terminal above the live line). */
void hny_progress_say (hny_progress_t *self, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
/* Redraw the live line when it is due (tty only; otherwise nothing).
   in_flight: jobs submitted and not finished; status: a word on the state
   of the connection ("reconnecting"), or NULL. */
void hny_progress_update (hny_progress_t *self, size_t in_flight, const char *status);
/* Erase the live line (before the summary); the next update draws it again. */
void hny_progress_clear (hny_progress_t *self);

/* The counters now (borrowed; elapsed_ms brought up to date). */
const hny_progress_counts_t *hny_progress_counts (hny_progress_t *self);
/* A duration as "850 ms", "12.3 s", "4m05s" or "2h07m" into buf; returns buf. */
char *hny_progress_duration (int64_t ms, char *buf, size_t size);

#endif
