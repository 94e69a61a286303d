/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fixed caps: every bound that is not a tunable limit, in one place.
 *
 * struct ing_limits (ingest.h, set from the configuration) bounds what a
 * patient's drop may make us spend. The caps below are fixed: they bound
 * what the code keeps or lists (so a report or a buffer cannot grow without
 * end), what operator data may hold (rules, configuration), and the
 * daemon's own bookkeeping. Raising one is a code change, with a reason.
 *
 * Included by internal.h (the library's modules) and libingest-internal.h
 * (the daemon and the tools). Constants that only size a buffer for speed
 * (read chunks, slab sizes) or come from a file format stay with their code.
 */
#ifndef INGEST_CAPS_H
#define INGEST_CAPS_H

/* ---- the walk and its inputs ---- */

/* What any drop may expand to whatever its size (limits.max_drop_ratio
 * bounds the rest): a small drop's legitimate archive is never refused for
 * its ratio, and a bomb is stopped within this many bytes (docs/design.md). */
#define DROP_EXPAND_FLOOR_BYTES (UINT64_C(64) << 20)
#define DROP_MAX_DIR_DEPTH 64          /* folder nesting inside one drop (paths are also bounded) */
#define WALK_DOCS_MAX 2u               /* documents extracted at once (their children run on both cores) */
#define WALK_THREADS_MAX 16u           /* the sink's, and one per zip open (nested: limits.max_depth) */
#define SINK_MAX_JOBS 1024u            /* ring of jobs; a full ring makes the caller help like a full pool */
#define SINK_MAX_FD_JOBS 64u           /* jobs waiting with descriptors (staging file, rest): RLIMIT_NOFILE is 1024 */
/* A central directory read from a file is held in memory; one larger than
 * this is not indexed (libarchive reads every entry). */
#define ZIPIDX_CD_MAX (64u << 20)

/* Link files and downloads (fetch.c). */
#define FETCH_LINKFILE_MAX_BYTES (256 * 1024) /* a link file is read whole; bigger is refused */
#define FETCH_MAX_URLS 256                    /* URLs taken from one link file */
#define FETCH_MAX_URL_BYTES 4096              /* one URL, after normalisation */
#define FETCH_MAX_NAME_BYTES 200              /* a file name from Content-Disposition or the URL (UTF-8) */
#define FETCH_MAX_HEADER_BYTES 2048           /* header values we keep; longer ones are ignored */
#define FETCH_HTML_HEAD_BYTES (256 * 1024)    /* a download's head read to tell a web page, its title, a form */
#define FETCH_HTML_TITLE_BYTES 120            /* a web page's title as the report quotes it */
#define FETCH_API_MAX_BYTES (256 * 1024)      /* a service's JSON answer naming the download (<= FETCH_HTML_HEAD_BYTES) */
#define SHARE_MAX_STEPS 4                     /* requests one share link may take: short link, API, page, file */
#define SHARE_DATA_MAX_BYTES (256 * 1024)     /* rules/links/services.yaml */
#define SHARE_MAX_CAPTURES 8                  /* {names} in one link shape */

/* ---- what is read from documents (per document) ---- */

#define FINDINGS_MAX_BIOMARKERS 64
#define FINDINGS_MAX_STATEMENTS 128     /* statements about markers per document (findings/findings.h) */
#define FINDINGS_MAX_CELLS 32           /* cells of one table row; more are joined into the last */
#define FINDINGS_MAX_ITEMS 256          /* phrases and values read in one row or sentence */
#define FINDINGS_MAX_UNIT_BYTES 4096    /* a longer sentence is read in pieces of this size */
#define FINDINGS_MAX_LABS 128
#define FINDINGS_MAX_TREATMENTS 64
#define FINDINGS_SNIPPET_MAX 160        /* bytes, cut at a UTF-8 boundary */
#define FINDINGS_MAX_TEXT (64u << 20)   /* longer texts are looked at only up to this many bytes */
/* the patient a document names (findings/identity.c): its header only, values capped */
#define IDENTITY_HEAD_LINES 40          /* lines of the document's start read for it */
#define IDENTITY_HEAD_BYTES 8192        /* at most these bytes of them */
#define IDENTITY_VALUE_MAX 128          /* bytes of one label's value */
#define IDENTITY_NUMBER_MAX 32          /* bytes of a hospital number */
#define IDENTITY_NAME_PARTS 3           /* "Surname:", "First name:"... joined */
#define IDENTITY_NAME_TOKENS 8          /* words of a name compared */
#define DX_LINES_MAX 8                  /* diagnosis, specimen and stage lines kept (findings/diagnosis.h) */
#define CLASSIFY_MAX_TERMS 512          /* kind terms indexed (classify.c) */

/* An image is OCR'd only up to this many pixels (a 48-megapixel phone
 * photo is read; a 30000 x 30000 scan, or a PNG bomb, is a limit problem):
 * decoding alone takes 4 bytes a pixel, and tesseract's time grows with them. */
#define OCR_MAX_IMAGE_PIXELS (100.0 * 1000 * 1000)

/* A DICOM SR's content tree read as text (dcm-text.cc): items read, and
 * how deep (reports nest a few levels; the header walk refuses sequences
 * nested deeper than 32); the text itself is bounded by limits.max_text_bytes. */
#define DCM_SR_MAX_ITEMS 20000
#define DCM_SR_MAX_DEPTH 16

/* ---- operator data: rules and case.yaml ---- */

/* The rules are operator data, bounded so a broken rules folder cannot
 * exhaust memory. */
#define RULES_MAX_FILE_BYTES   (1u << 20)  /* one rules file */
#define RULES_MAX_FILES        256         /* *.yaml files in the folder */
#define RULES_MAX_RULES        4096        /* rules in all files together */
#define RULES_MAX_TERMS        4096        /* biomarker + lab dictionary entries */
#define RULES_MAX_LIST         256         /* items in any one list */
#define RULES_MAX_STRING       1024        /* bytes in any one string */
#define RULES_MAX_ID           64          /* bytes in a type id */
#define RULES_MAX_AGE_DAYS     3650
#define RULES_MAX_ERRORS_BYTES (256u << 10) /* suggested ceiling for the errors buffer */

/* The vocabulary (rules/vocabulary/, docs/vocabulary.md): operator data too. */
#define VOCAB_MAX_FILE_BYTES        (4u << 20) /* one vocabulary file */
#define VOCAB_MAX_LANGS             64         /* language files (ids fit a uint8_t, 0xff is "any") */
#define VOCAB_MAX_ENTRIES           4096       /* markers, labs or concepts (ids fit a uint16_t) */
#define VOCAB_MAX_PHRASES_PER_FILE  32768      /* phrases of one file, all classes */
#define VOCAB_MAX_PHRASES_PER_CLASS 4096       /* phrases of one class in one file */
#define VOCAB_MAX_PHRASE_BYTES      200        /* one phrase, as written (bounds the matcher's depth) */
/* The compiled cache of the vocabulary (findings/vocab-cache.c): a file
 * larger than this, or counts past these, is not read (the YAML is). */
#define VOCAB_CACHE_MAX_BYTES       (64u << 20)
#define VOCAB_CACHE_MAX_NODES       (1u << 24) /* trie nodes, payloads, places */
#define VOCAB_CACHE_MAX_STRING      4096       /* bytes of a name, clone, unit or key */
#define VOCAB_CACHE_MAX_LIST        RULES_MAX_LIST /* clones or units of one entry */
#define VOCAB_CACHE_MAX_FILES       16         /* caches kept in the folder (a program build and vocabulary each) */

/* case.yaml is a handful of lines; anything larger is refused unread. */
#define CASE_YAML_MAX_BYTES    (64u << 10)
#define CASE_YAML_MAX_NOTIFY   32          /* addresses in notify: */
#define CASE_YAML_MAX_QUESTION 4096        /* bytes in question: */
#define CASE_YAML_MAX_ADDRESS  254         /* RFC 5321 path limit */
#define CASE_YAML_MAX_PASSWORDS 16         /* passwords: tried on each encrypted archive */
#define CASE_YAML_MAX_PASSWORD 256         /* bytes in one password */
#define CASE_YAML_MAX_DESTINATION 64       /* deliver_to: a destination's name, as in the configuration */

/* ---- what the report lists ---- */

#define INVENTORY_MAX_MISSING_LISTED 1000  /* missing instance numbers listed per series */
#define INVENTORY_MAX_GAPS_LISTED 200      /* slice gaps listed per series */
#define EVAL_LIST_MAX 8                    /* names listed in one message before "and N more" */
#define EVAL_GAPS_PER_CHECK_MAX 20         /* per-series / per-study generic gaps before one summary */
#define EVAL_UNREAD_LISTED 20              /* unread documents carried by one gap (the rest counted: unread_total) */
#define EVAL_TEXT_MAX (16u << 10)          /* bytes of one message or evidence */
/* Entries of one list of the gap report (JSON, text, HTML; ingest scan, the
 * package and the mail): documents, files, excluded, problems, patients,
 * studies, the series of all studies together, DICOMDIRs and their file
 * lists, the package's left-out files. Past it the list is cut and the report
 * says how many more there are ("truncated" in the JSON, with the total);
 * provenance.tsv in the package still lists every packaged file. A drop of
 * 100,000 files gets a report of a few hundred KB, not 60 MB (SPEC §11). */
#define REPORT_MAX_LISTED 1000u
#define REPORT_TEXT_PATIENTS 20u        /* patients (and documents of one) listed in gap-report.txt */
/* Rows of each table of the case summary (report-summary.c): it is a first
 * page; the rest is said as "N more" and is in the inventory. */
#define SUMMARY_MAX_ROWS 40u

/* Pictures of the series in the HTML report (thumbs.c, dcm-thumb.cc): one
 * middle slice per series, decoded in a confined child. A 4096 x 4096
 * mammogram is 16.8 million samples; a compressed multi-frame object counts
 * every frame (its decoder expands them all). */
#define THUMB_MAX_SERIES 200u              /* series with a picture; the rest say so */
#define THUMB_MAX_SIDE 128u                /* pixels of a picture's longer side */
#define THUMB_MAX_PIXELS (UINT64_C(64) * 1000 * 1000) /* samples decoded for one picture */
#define THUMB_MAX_FILE_BYTES (UINT64_C(512) << 20)    /* a larger image file gets no picture */
#define THUMB_MEM_BYTES (UINT64_C(2) << 30)            /* address space of the child (not under ASan) */
#define THUMB_CPU_SECONDS 10               /* CPU of one child (it goes on with the next picture) */
#define THUMB_WALL_SECONDS 10              /* wall clock for one picture */
#define THUMB_TOTAL_SECONDS 60             /* wall clock for all pictures of a report */

/* ---- the package ---- */

#define PACKAGE_MAX_DOC_NAME 120           /* bytes of a sanitised document name */
#define BAG_MAX_DIR_DEPTH 64               /* folders below a bag's root (built, and checked by ingest verify) */

/* ---- delivery to the reviewing centre (send.c, docs/delivery.md) ---- */

#define SEND_BATCH_BYTES (16u << 20)       /* DICOM bytes per STOW-RS request, by default (bench/send.py) */
#define SEND_BATCH_MAX_BYTES (1u << 30)    /* ... and at most (--batch-bytes) */
#define SEND_BATCH_MAX_OBJECTS 1000u       /* objects per STOW-RS request */
#define SEND_STOW_CONNECTIONS 2            /* STOW-RS requests in flight at once, each on its own connection */
#define SEND_UPLOAD_BUFFER_BYTES (512u << 10) /* libcurl's upload buffer per connection (its default: 64 KiB) */
#define SEND_MAX_OBJECTS 1000000u          /* DICOM objects of one package */
#define SEND_MAX_BYTES (UINT64_C(64) << 30) /* bytes one delivery sends, retries included, by default */
#define SEND_MAX_SECONDS (6u * 3600)       /* wall time of one delivery, by default */
#define SEND_MAX_RETRIES 4                 /* per request: 1, 2, 4, 8 s */
#define SEND_RESPONSE_MAX_BYTES (16u << 20) /* one QIDO-RS or STOW-RS answer */
#define SEND_QIDO_PAGE 1000u               /* instances asked per QIDO-RS request (limit/offset) */
#define SEND_QIDO_UIDS 48u                 /* SOP Instance UIDs asked for in one confirming query (a URL of ~3.2 KB) */
#define SEND_QIDO_ITEM_MAX_BYTES (256u << 10) /* one instance of a QIDO-RS answer (Orthanc's: about 2 KB) */
#define SEND_QIDO_MAX_PAGES 1000u          /* pages asked per study: a server that ignores offset ends here */
#define SEND_SECRET_MAX_BYTES 4096         /* a token or user:password file */
#define SEND_HEADER_PREFIX (64u << 10)     /* first read of an object's header (more up to max_dicom_header_bytes) */
#define SEND_CALLING_AET "INGESTD"         /* DIMSE: our AE title unless configured */
#define SEND_DIMSE_TIMEOUT 60u             /* DIMSE: seconds for connecting and for each answer */
#define SEND_DIMSE_BATCH_OBJECTS 1000u     /* DIMSE: objects per association (as STOW-RS batches) */
#define SEND_COMMIT_WAIT_S 300u           /* DIMSE: seconds for the storage commitment answer (N-EVENT-REPORT) */
#define SEND_COMMIT_REPORT_MAX_BYTES (64u << 20) /* ... and its size */
#define SEND_DECODE_MAX_BYTES (512u << 20) /* DIMSE, --allow-transcode: pixel bytes of one object decoded in memory */

/* ---- the daemon ---- */

#define INGESTD_MAX_WATCHES 65536          /* inotify watches on the inbox tree */
#define INGESTD_MAX_DIRTY 100000           /* inbox entries with writes not yet settled */
#define INGESTD_LOG_NAME_BYTES 80          /* of an inbox entry's name in a log line */
/* Drop attempts that fail (error or crash of the worker) before the drop is quarantined. */
#define INGESTD_MAX_ATTEMPTS 3
/* Inputs of one case left out because a worker died parsing them (docs/faults.md):
 * past this many, a death counts as a failed attempt again. */
#define INGESTD_MAX_SKIPS 64
/* Delivery to the reviewing centre by the daemon (daemon/deliver.c): at most
 * this many at a time, beside the drop workers; a transient failure is
 * retried after 15 s, doubling to an hour, and given up after 30 failed
 * attempts (about a day). */
#define DELIVERY_WORKERS 2
#define DELIVERY_RETRY_FIRST_S 15
#define DELIVERY_RETRY_MAX_S 3600
#define DELIVERY_MAX_FAILURES 30u
#define DELIVERY_GRACE_S 300               /* past SEND_MAX_SECONDS, a delivery worker is killed */
#define CHANGES_MAX 500                    /* "what changed" entries of one report */
#define CHANGE_TEXT_MAX 240                /* a gap's message in "what changed": its first sentence, cut here */
#define CONFIG_MAX_BYTES (256u << 10)      /* the configuration file */
#define CONFIG_MAX_LIST 64                 /* recipients, languages */
#define MAIL_MAX_RCPT 64
/* A gap report file read back by the daemon (for the journal and the mail);
 * its lists are cut at REPORT_MAX_LISTED, so a real one is far smaller. */
#define REPORT_MAX_BYTES (64u << 20)
/* One report mail, as composed and queued and as read back for sending: one
 * limit, so a message that can be built can be sent. Under Postfix's default
 * message_size_limit (10,240,000 bytes). A report whose mail would be larger
 * is mailed without its HTML part, then with its text cut (daemon/pipeline.c). */
#define MAIL_MAX_BYTES (8u << 20)

#endif
