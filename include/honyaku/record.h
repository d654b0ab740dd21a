/*  honyaku/record.h: the bilingual record, one JSON object per article.

    {
      "schema": "honyaku.record/1",
      "job": "17",                       job id (opaque string)
      "key": "...",                      the client's idempotency key
      "source_lang": "en", "target_lang": "es",
      "backend": "apertium",             profile name that translated it
      "metadata": {                      what prepare found, plus SUBMIT's metadata
        "title": "...", "date": "2019-04-21" (ISO 8601 where known),
        "issue": "2019 April 17 - 23", "section": "POLITICS",
        "source": "path/or/url", "related": [{"title", "date"}],
        "charset": "UTF-8", "format": "jpw"
      },
      "title": {"src": "...", "tgt": "..."} or null,
      "paragraphs": [ {"segments": [ {"src": "...", "tgt": "...", "tm": false} ]} ],
                                         in order; tgt is null for a failed segment;
                                         tm is true when it came from translation memory;
                                         "backend": "NAME" only when another profile
                                         than the job's translated it (a fallback);
                                         "warning" says what was lost (e.g. markup the
                                         backend broke) when the translation was kept
      "errors": [ {"paragraph": 0, "segment": 2, "code": 503, "class": "transient",
                   "reason": "..."} ],   paragraph -1 means the title; empty when none
      "stats": {"segments": 16, "chars": 2345, "chars_billed": 2345,
                "tm_hits": 0, "requests": 16, "time_ms": 812}
                                         requests: HTTP requests made for it (a request
                                         shared by several jobs counts for one of them)
    }

    A job that failed before it had segments (bad input) has a record with
    "paragraphs": [] and one error with "paragraph": null explaining why. */
#ifndef HNY_RECORD_H
#define HNY_RECORD_H

#define HNY_RECORD_SCHEMA   "honyaku.record/1"
#define HNY_PREPARED_SCHEMA "honyaku.prepared/1"

/* Segments of one article, title included (PROTOCOL.md section 8). The
   worker stops segmenting past it and answers 413; the broker checks it
   again while it reads a prepare result. 200000 covers the longest real
   documents (a 190k-sentence report) while bounding the broker's memory. */
#define HNY_SEGMENTS_MAX    200000

#endif
