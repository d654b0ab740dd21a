/*  honyaku/record.h: the names of the two JSON documents of an article's
    life, and the cap they share. proto/PROTOCOL.md defines them member by
    member (section 11: the prepared article, section 12: the record), and
    proto/schema/{prepared,record}.schema.json state the same for JSON
    Schema validators. In short:

    prepared article (prepare RESULT body, the worker's):
      {"schema": "honyaku.prepared/1", "format": "plain|text|jpw|html",
       "charset": "UTF-8", "replaced": 0,        bytes that became U+FFFD
       "metadata": {...},                         11.2, found members only
       "title": {"src": "..."} or null,
       "paragraphs": [{"segments": [{"src": "..."}, ...]}, ...],   >= 1 each
       "stats": {"paragraphs", "segments" (title not counted), "chars",
                 "bytes" (title counted)}}

    record (RECORD body, the broker's):
      {"schema": "honyaku.record/1", "job": "17", "key": "...",
       "source_lang": "en", "target_lang": "es", "backend": "apertium",
       "finished": 1714566896789,    ms since the epoch, when the job
                                     became final (absent in older records)
       "metadata": {                 prepare's (title, date "2019-04-21" or
                                     "2019", issue, section, kicker, source,
                                     related [{"title", "date"?}]), then
                                     SUBMIT's metadata members over them,
                                     then SUBMIT's source, then prepare's
                                     charset, format, replaced}
       "title": pair or null,        paragraph -1, segment 0 in errors
       "paragraphs": [{"segments": [pair, ...]}, ...],   [] if failed early
       "errors": [{"paragraph": 0, "segment": 2, "code": 503,
                   "class": "transient|permanent", "reason": "..."}],
                                     one per pair whose tgt is null; a failure
                                     of the job itself has paragraph and
                                     segment null (paragraphs is then [])
       "stats": {"segments", "chars", "tm_hits" (title counted), "chars_billed",
                 "requests", "time_ms"}}

    pair: {"src": "...", "tgt": "..." or null (failed), "tm": false,
           "backend": "NAME" (only a fallback's), "warning": "..." (only when
           the translation was kept without its markup)}

    An align job's record (backend "aligned", PROTOCOL.md 12.6) has the
    same members; each pair is one link of the alignment, "src" or "tgt"
    null for a sentence without counterpart (not a failure), with its
    "score" (0..1), and the record has one more member:
       "alignment": {"score", "warning"?, "stats": {...the aligner's},
                     "target_metadata": {...the target article's}} */
#ifndef HNY_RECORD_H
#define HNY_RECORD_H

#define HNY_RECORD_SCHEMA   "honyaku.record/1"
#define HNY_PREPARED_SCHEMA "honyaku.prepared/1"

/* Segments of one article, title included (PROTOCOL.md section 8). The
   worker stops segmenting past it and answers 413; the broker checks it
   again while it reads a prepare result. 200000 covers the longest real
   documents (a 190k-sentence report) while bounding the broker's memory. */
#define HNY_SEGMENTS_MAX    200000

/* The backend of the records of align jobs: the archive's own human
   translations, aligned sentence to sentence. No profile may take the name
   (the configuration refuses it). */
#define HNY_BACKEND_ALIGNED "aligned"

/* Sentences of one side of an alignment (its paragraphs' segments; the
   title is aligned apart). The aligner (workers/hny_align.h) and the
   broker both refuse more with 413: 20,000 bounds one alignment at a few
   seconds and tens of MB, whatever comes in. */
#define HNY_ALIGN_SENTENCES_MAX 20000

#endif
