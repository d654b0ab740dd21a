/*  hny_notify.c: sd_notify wrapper (see hny_notify.h). */
#include "hny_notify.h"

#include <stdarg.h>
#include <stdio.h>

#ifdef HNY_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

void
hny_notify_ready (void)
{
#ifdef HNY_HAVE_SYSTEMD
    sd_notify (0, "READY=1");
#endif
}

void
hny_notify_status (const char *fmt, ...)
{
#ifdef HNY_HAVE_SYSTEMD
    char line [256];
    va_list args;
    va_start (args, fmt);
    vsnprintf (line, sizeof line, fmt, args);
    va_end (args);
    sd_notifyf (0, "STATUS=%s", line);
#else
    (void) fmt;
#endif
}

void
hny_notify_stopping (void)
{
#ifdef HNY_HAVE_SYSTEMD
    sd_notify (0, "STOPPING=1");
#endif
}

int64_t
hny_notify_watchdog_ms (void)
{
#ifdef HNY_HAVE_SYSTEMD
    uint64_t usec = 0;
    if (sd_watchdog_enabled (0, &usec) > 0 && usec > 0)
        return (int64_t) (usec / 2000);
#endif
    return 0;
}

void
hny_notify_watchdog (void)
{
#ifdef HNY_HAVE_SYSTEMD
    sd_notify (0, "WATCHDOG=1");
#endif
}
