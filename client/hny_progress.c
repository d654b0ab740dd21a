/*  hny_progress.c: the live line, the per-article lines and the counters
    of `honyaku batch` (hny_progress.h). No curses: a terminal needs only
    "\r" and "ESC [ K" (erase to the end of the line), which every
    terminal emulator in use understands, and its width from TIOCGWINSZ. */
#include "hny_progress.h"
#include "honyaku/util.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define S_LINE_MAX     512          /* the live line, before it is cut to the width */
#define S_COLUMNS_DEFAULT 80        /* when the terminal does not say */
#define S_PIECES       10

struct _hny_progress_t {
    hny_progress_mode_t mode;
    FILE *out;                      /* borrowed */
    hny_progress_counts_t counts;
    int64_t started;                /* monotonic ms */
    int64_t drawn_at;               /* when the live line was last drawn */
    int shown;                      /* the live line is on the screen */
    char last [S_LINE_MAX];         /* what it shows */
};

int
hny_progress_mode_parse (const char *text, hny_progress_mode_t *mode)
{
    static const char *names [] = { "auto", "tty", "lines", "none" };
    for (int i = 0; i < 4; i++)
        if (strcmp (text, names [i]) == 0) {
            *mode = (hny_progress_mode_t) i;
            return 0;
        }
    return -1;
}

hny_progress_t *
hny_progress_new (hny_progress_mode_t mode, FILE *out, size_t total)
{
    hny_progress_t *self = hny_calloc (1, sizeof *self);
    if (mode == HNY_PROGRESS_AUTO) {
        /* A terminal that cannot erase a line ("dumb": Emacs shells,
           some CI logs) gets lines instead. */
        const char *term = getenv ("TERM");
        mode = isatty (fileno (out)) && term && *term && strcmp (term, "dumb")
             ? HNY_PROGRESS_TTY : HNY_PROGRESS_LINES;
    }
    self->mode = mode;
    self->out = out;
    self->counts.total = total;
    self->started = hny_clock_mono_ms ();
    return self;
}

void
hny_progress_destroy (hny_progress_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hny_progress_clear (*self_p);
    free (*self_p);
    *self_p = NULL;
}

hny_progress_mode_t
hny_progress_mode (const hny_progress_t *self)
{
    return self->mode;
}

const hny_progress_counts_t *
hny_progress_counts (hny_progress_t *self)
{
    self->counts.elapsed_ms = hny_clock_mono_ms () - self->started;
    return &self->counts;
}

char *
hny_progress_duration (int64_t ms, char *buf, size_t size)
{
    if (ms < 0)
        ms = 0;
    int64_t s = ms / 1000;
    if (ms < 1000)
        snprintf (buf, size, "%d ms", (int) ms);
    else if (s < 60)
        snprintf (buf, size, "%.1f s", ms / 1000.0);
    else if (s < 3600)
        snprintf (buf, size, "%dm%02ds", (int) (s / 60), (int) (s % 60));
    else
        snprintf (buf, size, "%dh%02dm", (int) (s / 3600), (int) (s / 60 % 60));
    return buf;
}

void
hny_progress_clear (hny_progress_t *self)
{
    if (self->shown) {
        fputs ("\r\033[K", self->out);
        fflush (self->out);
        self->shown = 0;
        self->last [0] = '\0';
    }
}

void
hny_progress_say (hny_progress_t *self, const char *fmt, ...)
{
    hny_progress_clear (self);
    va_list args;
    va_start (args, fmt);
    vfprintf (self->out, fmt, args);
    va_end (args);
    fputc ('\n', self->out);
    fflush (self->out);
}

void
hny_progress_skipped (hny_progress_t *self, size_t count)
{
    self->counts.skipped += count;
}

void
hny_progress_article (hny_progress_t *self, const hny_progress_article_t *a)
{
    hny_progress_counts_t *c = &self->counts;
    if (a->ok)
        c->done++;
    else
        c->failed++;
    c->segments += a->segments;
    c->chars_billed += a->chars_billed;
    /* On a terminal only failures get a line of their own: the live line
       says the rest. */
    if (self->mode == HNY_PROGRESS_NONE || (self->mode == HNY_PROGRESS_TTY && a->ok))
        return;
    size_t finished = c->done + c->failed + c->skipped;
    char job [96] = "";
    if (a->job)
        snprintf (job, sizeof job, "job %s", a->job);
    if (a->ok)
        hny_progress_say (self, "[%zu/%zu] %-8s %s  %s%s%" PRIu64 " segments, %" PRIu64
                          " chars billed%s", finished, c->total, a->state, a->rel, job,
                          *job ? ", " : "", a->segments, a->chars_billed,
                          a->existing ? ", existing" : "");
    else
        hny_progress_say (self, "[%zu/%zu] %-8s %s  %s%s%s", finished, c->total, a->state,
                          a->rel, job, *job ? ": " : "", a->reason ? a->reason : "failed");
}

/* The terminal's width in columns. */
static int
s_columns (const hny_progress_t *self)
{
    struct winsize ws;
    if (ioctl (fileno (self->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return S_COLUMNS_DEFAULT;
}

/* The live line from the counters, cut to `width` characters (ASCII
   only, so bytes are columns): pieces in order of importance, each kept
   only when it fits whole after those before it. */
static void
s_compose (hny_progress_t *self, size_t in_flight, const char *status, int width, char *line)
{
    const hny_progress_counts_t *c = hny_progress_counts (self);
    size_t finished = c->done + c->failed + c->skipped;
    size_t ran = c->done + c->failed;
    size_t left = c->total > finished ? c->total - finished : 0;
    char pieces [S_PIECES][64];
    int n = 0;
    snprintf (pieces [n++], 64, "[%zu/%zu]", finished, c->total);
    if (status)
        snprintf (pieces [n++], 64, "%.40s", status);
    snprintf (pieces [n++], 64, "%d%%", c->total ? (int) (100.0 * finished / c->total) : 100);
    snprintf (pieces [n++], 64, "%zu failed", c->failed);
    double secs = c->elapsed_ms / 1000.0;
    if (secs > 0 && c->segments)
        snprintf (pieces [n++], 64, "%.1f seg/s", c->segments / secs);
    else
        snprintf (pieces [n++], 64, "- seg/s");
    if (ran) {
        /* The rate so far, over what is left (skipped files took no
           time), in whole seconds: a guess needs no tenths. */
        int64_t eta = (int64_t) ((double) c->elapsed_ms * left / ran + 999) / 1000;
        if (eta < 60)
            snprintf (pieces [n++], 64, "ETA %ds", (int) eta);
        else if (eta < 3600)
            snprintf (pieces [n++], 64, "ETA %dm%02ds", (int) (eta / 60), (int) (eta % 60));
        else
            snprintf (pieces [n++], 64, "ETA %dh%02dm", (int) (eta / 3600), (int) (eta / 60 % 60));
    }
    else
        snprintf (pieces [n++], 64, "ETA -");
    snprintf (pieces [n++], 64, "%" PRIu64 " chars billed", c->chars_billed);
    snprintf (pieces [n++], 64, "%zu in flight", in_flight);
    char took [32];
    snprintf (pieces [n++], 64, "%s", hny_progress_duration (c->elapsed_ms, took, sizeof took));
    size_t len = 0;
    line [0] = '\0';
    for (int i = 0; i < n; i++) {
        size_t add = strlen (pieces [i]) + (len ? 2 : 0);
        if ((int) (len + add) > width)
            break;
        len += (size_t) snprintf (line + len, S_LINE_MAX - len, "%s%s", len ? "  " : "", pieces [i]);
    }
    if (!len && width > 0)      /* not even the count fits: as much of it as does */
        snprintf (line, (size_t) width + 1 < S_LINE_MAX ? (size_t) width + 1 : S_LINE_MAX, "%s",
                  pieces [0]);
}

void
hny_progress_update (hny_progress_t *self, size_t in_flight, const char *status)
{
    if (self->mode != HNY_PROGRESS_TTY)
        return;
    int64_t now = hny_clock_mono_ms ();
    if (self->shown && now - self->drawn_at < HNY_PROGRESS_REDRAW_MS)
        return;
    /* One column short of the width: a line that fills the last column
       makes some terminals wrap, and "\r" would then go to the wrong line. */
    int width = s_columns (self) - 1;
    char line [S_LINE_MAX];
    s_compose (self, in_flight, status, width, line);
    self->drawn_at = now;
    if (self->shown && strcmp (line, self->last) == 0)
        return;
    fprintf (self->out, "\r%s\033[K", line);
    fflush (self->out);
    memcpy (self->last, line, sizeof line);
    self->shown = 1;
}
