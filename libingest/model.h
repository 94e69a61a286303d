/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The case inventory model: what each stage adds to each file record. */
#ifndef INGEST_MODEL_H
#define INGEST_MODEL_H

#include "internal.h"
#include "dcm.h"

/* SPEC §4 file kinds; each file gets exactly one, with evidence. */
enum ing_kind {
	KIND_UNKNOWN = 0,
	KIND_DICOM_IMAGE,
	KIND_DICOM_DICOMDIR,
	KIND_DICOM_SR,
	KIND_DICOM_ENC_PDF,
	KIND_DICOM_SC,
	KIND_PATHOLOGY,
	KIND_MOLECULAR,
	KIND_RADIOLOGY,
	KIND_LAB,
	KIND_DISCHARGE,
	KIND_OPERATIVE,
	KIND_TREATMENT,
	KIND_LETTER,
	KIND_SCANNED,
	KIND_PHOTO,
	KIND_VIEWER,
	KIND_OS_JUNK,
	KIND_ARCHIVE,
	KIND_LINK,
	KIND_CASE_YAML,
	_KIND_MAX,
};
ING_HIDDEN const char *kind_name(enum ing_kind k);
ING_HIDDEN bool kind_is_dicom(enum ing_kind k);
ING_HIDDEN bool kind_is_document(enum ing_kind k);
/* Left out of the package and listed in inventory.excluded. */
ING_HIDDEN bool kind_is_excluded(enum ing_kind k);
/* The DICOM kind of a file record (struct ing_file, below): its kind when
 * that is a DICOM kind; for a DICOM object read as a document (doc_info's
 * dicom_kind: its kind is the document's), the DICOM kind it was identified
 * as; else KIND_UNKNOWN. What the DICOM side (studies, series, patients,
 * DICOMDIR, the package's file-set) asks instead of kind_is_dicom(f->kind). */
struct ing_file;
ING_HIDDEN enum ing_kind file_dicom_kind(const struct ing_file *f);

/* SPEC §5 problem codes. */
enum ing_problem {
	PROB_NONE = 0,
	PROB_TRUNCATED,
	PROB_CORRUPT,
	PROB_ENCRYPTED,
	PROB_UNSUPPORTED,
	PROB_UNSAFE,
	PROB_LIMIT,
	PROB_DOWNLOAD,
	PROB_DUPLICATE,     /* conflicting duplicate: same SOP Instance UID, other bytes */
	PROB_UNREADABLE,    /* I/O error reading the input */
	_PROB_MAX,
};
ING_HIDDEN const char *problem_name(enum ing_problem p);

/* A biomarker as a document states it: one statement of the findings
 * engine (findings/findings.h), kept with the document. */
enum marker_state {
	MARKER_FOUND,           /* the patient's result, stated (statement_is_result()) */
	MARKER_PENDING,         /* "pending", "requested", "sent out": not found */
	MARKER_INSUFFICIENT,    /* "insufficient tissue", "QNS", "failed": not found, worth saying */
	MARKER_NOT_DONE,        /* "not done", "not performed": not found, ask for it */
	MARKER_CONTEXT,         /* not the patient's present result: superseded by an amendment, about
	                         * another person (family history), hypothetical or only possible */
};

struct doc_marker {
	char *name;             /* canonical name, e.g. "HER2" (rules/vocabulary/markers.yaml) */
	enum marker_state state;
	char *result;           /* short words for the report, e.g. "negative (1+)", "TPS 5%" */
	char *snippet;          /* the words in the document that show it: its row or sentence */
	/* The statement as read (names are static strings, NULL when not stated). */
	const char *assertion;  /* result, equivocal, pending, not-done, insufficient */
	const char *polarity;   /* positive, negative, none */
	char *value;            /* "3+", "90%", "TPS 5%", "4+3=7", NULL */
	char *variant;          /* "p.G12C", "exon 19 deletion", NULL */
	char *method;           /* "IHC", "FISH", a clone, NULL */
	const char *classification; /* pathogenic, likely-pathogenic, vus, likely-benign, benign, NULL */
	const char *origin;     /* germline, somatic, NULL */
	unsigned modifiers;     /* enum stmt_modifier bits (findings/findings.h) */
	unsigned line;          /* 1-based line of its row or sentence */
	bool amendment;         /* stated in an addendum or amended report */
	bool superseded;        /* revised by an amendment of the same document */
	bool ocr;               /* read from OCR text */
	bool row;               /* read from a table row (else a sentence) */
};

struct doc_lab {
	char *name;             /* canonical name, e.g. "CEA" (as in rules/_labs.yaml) */
	bool has_value;
	double value;
	char *value_text;       /* as written, e.g. "4,2" */
	char *unit;             /* e.g. "ng/mL", NULL if none */
	char *date;             /* YYYY-MM-DD when unambiguous, else NULL */
	char *snippet;
};

/* A dated treatment event the document states (findings_treatments()). */
struct doc_treatment {
	char *date;             /* YYYY-MM-DD: the earliest day it can be */
	char *latest;           /* YYYY-MM-DD: the latest day it can be (= date when the day is known) */
	char *precision;        /* "day", "month" ("March 2026") or "day-or-month" (12/03/2026, both past) */
	char *what;             /* the treatment words: "Letrozole started" */
	char *snippet;
};

/* A diagnosis, specimen or stage line the document states under its label
 * (findings_diagnosis(), findings/diagnosis.h), quoted as written. */
struct doc_diagnosis {
	const char *field;      /* "diagnosis", "specimen", "stage" (static) */
	char *text;             /* the words after the label */
	const char *side;       /* "left", "right", "bilateral" when the words name exactly one; NULL */
};

/* The patient a document names in its header (findings_identity()). Never
 * logged nor written to gap-report.json: only its salted key leaves. */
struct doc_identity {
	char *name;             /* the name as written (its label's value, parts joined), NULL if none */
	char *number;           /* a hospital / record number, NULL if none */
	char birth[11];         /* YYYY-MM-DD, "" if none */
	char birth_alt[11];     /* the other reading of an ambiguous date ("03/04/1961"), else "" */
};
ING_HIDDEN void doc_identity_free(struct doc_identity *id);

/* Text pulled out of a document by the confined extractor (docext.h). */
struct doc_info {
	bool text_layer;        /* the document carries machine-readable text */
	int pages;              /* -1 when unknown */
	char *text;             /* UTF-8 in reading order; may be NULL */
	size_t text_len;
	/* The same words as printed: one line per printed line (glyphs or OCR
	 * words grouped by their height on the page, ordered by x), ' ' between
	 * words, '\t' at a column gap, a blank line between pages. Owned, never
	 * an alias of text; NULL when the document has no layout (plain text:
	 * its own lines and tabs are the layout) or none fitted the budget.
	 * text_len + layout_len <= limits.max_text_bytes: text is kept first. */
	char *layout;
	size_t layout_len;
	bool ocr;
	double ocr_confidence;  /* 0..100 */
	char *language;         /* ISO 639-1, NULL if unknown */
	char *script;           /* ISO 15924 name, NULL if unknown */
	bool needs_translation;
	char *extract_error;    /* why the text could not be read, NULL if it could */
	enum ing_problem extract_problem; /* the problem code for extract_error (set with it) */
	struct doc_marker *markers;
	size_t n_markers;
	struct doc_lab *labs;
	size_t n_labs;
	char *doc_date;         /* the document's own date (YYYY-MM-DD) when it states one */
	struct doc_treatment *treatments;
	size_t n_treatments;
	bool treatments_read;   /* findings_treatments() ran on the text (the scan's read_findings()) */
	struct doc_diagnosis *diagnoses;
	size_t n_diagnoses;
	/* A document read out of a DICOM object (an Encapsulated PDF's PDF, a
	 * text SR's content tree): the DICOM kind the object was identified as,
	 * KIND_DICOM_ENC_PDF or KIND_DICOM_SR; the file's kind is then the
	 * document's (radiology-report...), its dcm the object's header, and it
	 * stays an instance of its series (file_dicom_kind()). KIND_UNKNOWN (0)
	 * for any other document. */
	enum ing_kind dicom_kind;
	struct doc_identity *identity; /* the patient its header names, NULL if none was read */
};

/* One record of a DICOMDIR: the file it points to ('/'-separated, relative to
 * the DICOMDIR's folder) and the SOP Instance UID it claims is there. */
struct dicomdir_ref {
	char *file_id;
	char *sop_uid;
};

/* A DICOM data set received without file meta information (no preamble,
 * no "DICM"): the package stores these bytes (dcm_file_meta()) before the
 * received ones (SPEC §6), and the digest of the file so stored. */
struct file_prefix {
	uint8_t sha256[32];     /* of the stored file: bytes[], then the received bytes */
	bool hashed;
	uint32_t len;
	uint8_t bytes[];
};

struct ing_file {
	/* Held per file for the whole run: pointers first, the small fields
	 * together at the end (no padding between them). */
	char *path;             /* as the patient gave it, relative to the drop (UTF-8 for display) */
	char *raw_path;         /* the entry name's original bytes inside its archive when they are not UTF-8, else NULL */
	uint64_t size;
	char *mime;             /* libmagic MIME type */
	char *magic;            /* libmagic description */
	char *evidence;         /* what decided the kind */
	struct dcm_info *dcm;   /* DICOM header, NULL unless DICOM */
	struct doc_info *doc;   /* document text, NULL unless a document */
	char *problem_msg;      /* plain words: what is wrong and what to do */
	char *staged;           /* package mode: name of the copy in the staging folder */
	struct file_prefix *prefix;     /* staged with file meta prepended, else NULL */
	struct dicomdir_ref *dd_refs;   /* KIND_DICOM_DICOMDIR: what it references */
	size_t n_dd_refs;
	uint8_t sha256[32];
	enum ing_kind kind;
	enum ing_problem problem;
	bool hashed;
	bool duplicate_of_other;/* identical bytes already counted (same SOP instance) */
	bool dd_refs_truncated;         /* more records than max_entries: the rest not listed */
};

/* The kind of F, with EVIDENCE (malloc'd, taken) replacing what decided it before. */
ING_HIDDEN void file_set_kind(struct ing_file *f, enum ing_kind k, char *evidence);
ING_HIDDEN void file_set_problem(struct ing_file *f, enum ing_problem p, const char *fmt, ...) ING_PRINTF(3, 4);
ING_HIDDEN void file_free(struct ing_file *f);
ING_HIDDEN void doc_info_free(struct doc_info *d);

#endif
