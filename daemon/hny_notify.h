/*  hny_notify.h: the systemd notification protocol (sd_notify) in one small
    wrapper: READY=1, STATUS=..., WATCHDOG=1, STOPPING=1. Every call does
    nothing when honyakud was built without libsystemd or runs outside
    systemd (no $NOTIFY_SOCKET). */
#ifndef HNY_NOTIFY_H
#define HNY_NOTIFY_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

void hny_notify_ready (void);
void hny_notify_status (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
void hny_notify_stopping (void);
/* Interval at which to send WATCHDOG=1 (half of WatchdogSec), or 0 when no
   watchdog is configured. */
int64_t hny_notify_watchdog_ms (void);
void hny_notify_watchdog (void);

#ifdef __cplusplus
}
#endif
#endif
