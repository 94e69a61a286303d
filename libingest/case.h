/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The case model: what the scan produces and every later stage reads — the
 * files of a drop, the inventory built from them (patients, studies with
 * their series, documents, what was left out, problems) and the rules'
 * verdict. How the bytes were visited is the walk's business (walk.h).
 */
#ifndef INGEST_CASE_H
#define INGEST_CASE_H

#include <stdio.h>
#include <sys/types.h>

#include "model.h"

struct inv_series {
	const char *series_uid, *modality, *description, *transfer_syntax;
	bool lossy;
	struct ptrvec files;          /* struct ing_file*, one per unique SOP instance */
	int32_t *missing;             /* missing instance numbers (bounded) */
	size_t n_missing;
	bool missing_truncated;       /* more missing numbers than we list */
	struct slice_gap {
		int32_t after_instance, before_instance;
		int missing;
		double spacing_mm, gap_mm;
	} *gaps;
	size_t n_gaps;
};

struct inv_study {
	const char *study_uid, *date, *description, *body_part;
	char date_iso[11];
	char modalities[128];         /* "CT,PT" */
	struct ptrvec series;         /* struct inv_series* */
};

struct inv_patient {
	char key[17];                 /* opaque: salted hash, hex */
	unsigned sources;             /* DICOM files and documents naming this person */
	struct ptrvec studies;        /* struct inv_study*: the studies of this person's images */
	struct ptrvec documents;      /* struct ing_file*: the documents whose header names this person */
	struct ptrvec members;        /* private to inventory.c: the identities joined (struct inv_ident*) */
};

/* The cross-check of one DICOMDIR against the files beside it. */
struct inv_dicomdir {
	struct ing_file *file;
	size_t refs;                  /* records that reference a file */
	struct ptrvec missing;        /* char*: referenced, not on the disc (as referenced) */
	struct ptrvec unreferenced;   /* struct ing_file*: DICOM files beside it it does not list */
	size_t case_resolved;         /* references that matched only ignoring case/separators/";1" */
	char *case_example;           /* one such pair, "REF -> actual path" */
	size_t uid_mismatch;          /* referenced file holds another SOP Instance UID */
	bool at_root;                 /* at the root of the disc or drop (IHE PDI) */
	bool readme;                  /* a README beside it (IHE PDI) */
	bool viewer;                  /* viewer software on the disc (IHE PDI) */
	bool ihe_pdi_folder;          /* an IHE_PDI folder beside it */
};

/* The DICOM file-set as a PACS files it (inventory.c, pacs_view(); SPEC §5,
 * docs/package.md "What a PACS stores"): by Patient ID as its bytes read
 * (PS3.4 C.6.1: the patient level is the Patient ID), then Study, Series and
 * SOP Instance UID under it. Its counts, and each cause that makes them
 * differ from the inventory's, with the files concerned (payload objects:
 * usable DICOM files, conflicting duplicates included, one copy of each
 * identical duplicate). Counts only: no ID is kept here. */
struct inv_pacs {
	unsigned patients, studies, series, instances;
	/* objects without a Patient ID: a PACS files them all under one patient */
	struct ptrvec no_id;          /* struct ing_file* */
	unsigned no_id_people;        /* people of the inventory among them */
	unsigned no_id_unnamed;       /* objects among them that name no one (no name, no ID) */
	/* objects whose Patient ID keeps a pad byte (space or NUL) as its bytes
	 * read, beside objects with the same ID without it: apart in a PACS that
	 * compares IDs byte for byte (Orthanc) */
	struct ptrvec padded;         /* struct ing_file* */
	unsigned padded_ids;          /* such IDs */
	unsigned padded_beside;       /* objects with those IDs written without the pad */
	/* one Patient ID on the objects of several people of the inventory */
	unsigned shared_ids, shared_people;
	struct ptrvec shared;         /* struct ing_file*: one object of each person of such an ID */
	/* one person of the inventory under several Patient IDs */
	unsigned split_people, split_ids;
	struct ptrvec split;          /* struct ing_file*: one object of each ID of such a person */
	/* one Study Instance UID under several Patient IDs (empty included) */
	unsigned split_studies, split_study_ids;
	struct ptrvec split_study;    /* struct ing_file*: one object of each ID of such a study */
};

/* The DICOMDIR a package of these objects has (dcm-dicomdir.cc groups them
 * so): a PATIENT record per Patient's Name, ID and Birth Date as written, a
 * STUDY record per study under it, a SERIES per series, a record per object
 * (conflicting duplicates each). Its counts, and why they differ from the
 * inventory's (inventory.c, pacs_view()). */
struct inv_fileset {
	unsigned patients, studies, series, instances;
	unsigned unnamed_records;     /* PATIENT records of objects that name no one */
	unsigned split_people;        /* people written in several ways (name, ID, birth date)... */
	unsigned split_records;       /* ...and their PATIENT records */
	struct ptrvec split;          /* struct ing_file*: one object of each way of such a person */
	unsigned split_studies;       /* studies under several PATIENT records... */
	unsigned split_study_records; /* ...and their STUDY records */
	struct ptrvec split_study;    /* struct ing_file*: one object of each record of such a study */
};

struct inventory {
	struct ptrvec patients;       /* struct inv_patient* */
	struct ptrvec studies;        /* struct inv_study* */
	struct ptrvec documents;      /* struct ing_file* */
	struct ptrvec excluded;       /* struct ing_file* */
	struct ptrvec problems;       /* struct ing_file* */
	struct ptrvec dicomdirs;      /* struct inv_dicomdir* */
	unsigned dicom_instances;
	struct inv_pacs pacs;
	struct inv_fileset fileset;
};

struct ing_scan {
	struct ing_ctx *ctx;
	char *case_id;
	char *root;
	char generated_at[40];
	struct ptrvec files;          /* struct ing_file*, in walk order */
	uint64_t total_bytes;
	struct inventory inv;
	int staging_fd;               /* package mode: kept files' bytes are written here; -1 otherwise */
	bool fetch_links;             /* link files are downloaded (package mode, daemon) */
	struct ing_drop_record *drops;/* history (ing_scan_set_history), strings owned */
	size_t n_drops;
	char *changes_json;           /* JSON array of {what, detail}, or NULL */
	void (*progress)(void *, uint64_t, uint64_t);
	void *progress_ud;
	uint64_t bytes_done;
	unsigned staged_seq;

	/* The rules and their vocabulary (evaluate_load_rules(), before the walk:
	 * the documents are read with the vocabulary); NULL with rules_error set
	 * when they do not load (the case is held). */
	const struct ruleset *rules;
	struct ruleset *rules_owned;  /* rules when the scan loaded them (not ing_scan_opts.rules): freed with it */
	char *rules_error;

	/* The rules' verdict (evaluate.c): filled after inventory_build(). */
	struct case_yaml *case_yaml;       /* the drop root's case.yaml, NULL if none */
	char *case_yaml_errors;            /* "case.yaml:LINE:COL: what" lines, NULL if none */
	char *cancer_type;                 /* rules id checked against; NULL before evaluation */
	const char *cancer_type_source;    /* "option" | "case.yaml" | "inferred" | "generic" */
	char *cancer_type_evidence;
	int setting;                       /* enum rule_setting; 0: unknown */
	struct ptrvec gaps;                /* struct ing_gap* (evaluate.h) */
	struct ptrvec notes;               /* struct ing_gap*: info rules not met, urgent words; never gaps */
	const char *status;                /* "complete" | "incomplete" | "blocked"; NULL: not evaluated */
	unsigned required_gaps;
};

/* A new file record of SCAN, at RELPATH (as the patient gave it) of SIZE
 * bytes, appended in walk order. */
ING_HIDDEN struct ing_file *case_add_file(struct ing_scan *scan, const char *relpath, uint64_t size);
/* PATH as the coordinator dropped it, for the text and HTML reports: in a
 * case the daemon built (its drops' history set), a path's first component is
 * the drop's folder NNNNNN-NAME; NAME is what was dropped, so the folder's
 * "NNNNNN-" is left out ("000002-CASE-7/scans/a.pdf" -> "CASE-7/scans/a.pdf",
 * "000003-cd.zip!/a.pdf" -> "cd.zip!/a.pdf").
 * Any other path is returned as it is. The JSON keeps the paths as they are. */
ING_HIDDEN const char *report_path(const struct ing_scan *scan, const char *path);
/* The same for the paths inside a message or evidence S (the daemon's case
 * folders written as they were dropped): a new string, or NULL when S has
 * none (print S then). */
ING_HIDDEN char *report_dropped_words(const struct ing_scan *scan, const char *s);
/* S written for HTML text or an attribute: & < > " ' escaped, control
 * characters but newline and tab as '?' (report-html.c; the summary's too). */
ING_HIDDEN void report_html_esc(FILE *f, const char *s);
/* A study's modality codes ("CT,SR"), each with its words from
 * rules/words/report.yaml: HTML "CT <small>(computed tomography)</small>, SR
 * <small>(...)</small>" as the series rows, text "CT (computed tomography),
 * SR (...)"; a code without words as it is (report-html.c). */
struct ruleset;
ING_HIDDEN void report_modalities(FILE *f, const struct ruleset *rs, const char *codes, bool html);

/* The inventory from the files (inventory.c), and its release. */
ING_HIDDEN void inventory_build(struct ing_scan *scan);
ING_HIDDEN void inventory_free(struct inventory *inv);

/* The gap report as JSON text (report-json.c); extra(root, ud), if given,
 * adds members at the end of the top-level object before it is written. */
struct json_object;
ING_HIDDEN int report_json_text(const struct ing_scan *scan, void (*extra)(struct json_object *root, void *ud),
                                void *ud, char **out);
/* Lists of the report are cut at REPORT_MAX_LISTED entries (caps.h). A cut
 * list is recorded in ROOT's "truncated" object under KEY (its place, e.g.
 * "inventory.documents" or "inventory.studies.0.series") as {"total": TOTAL,
 * "listed": LISTED}; returns that entry to add to (report-json.c). */
ING_HIDDEN struct json_object *report_truncated(struct json_object *root, const char *key, size_t total,
                                                size_t listed);
/* N with thousands separators ("98,412"), in BUF (report-text.c). */
ING_HIDDEN const char *report_count(char buf[static 32], size_t n);

#endif
