/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The package stage: one BagIt bag per case, built beside the outbox and
 * published atomically (docs/package.md). */
#ifndef INGEST_PACKAGE_H
#define INGEST_PACKAGE_H

#include "case.h"

/* One file of the payload. */
struct payload_item {
	const struct ing_file *f;    /* the input it came from; NULL for the DICOMDIR we write */
	char *path;                  /* "data/..." */
	uint8_t sha256[32];
	uint64_t size;
	bool dicom;
};

/* An input not in the payload that is neither excluded nor a problem (archive, link, ...). */
struct left_out {
	const struct ing_file *f;
	char *reason;
};

struct ing_package {
	struct ing_ctx *ctx;
	char *out_dir;
	char *case_id;
	int outfd, buildingfd, lockfd, workfd;
	char *lock_name;             /* "CASE.lock" under OUT/.building, while we hold it */
	char *work_name;             /* "CASE.XXXXXX" under OUT/.building */
	char *work_path;
	char *staging;
	char *bag_path;              /* OUT/.building/CASE.XXXXXX/CASE: where the bag is built */
	char *final_path;
	enum ing_package_state state;
	bool built, published;
	struct ptrvec items;         /* struct payload_item*, sorted by path once built */
	char *made_dir;              /* the folder of the payload last made (files of a series follow each other) */
	struct ptrvec left_out;      /* struct left_out* */
	struct ptrvec refused;       /* struct left_out*: DICOM files DCMTK would not describe in the DICOMDIR */
	struct ptrvec dd_notes;      /* struct left_out*: Type 1 DICOMDIR keys a file lacks (reason: the note) */
	uint64_t bytes;
	char manifest_sha256[65];
	unsigned dicom_files, documents;
};

/* Shared by package.c (begin, publish) and package-build.c (build). */
/* A case id (also the Cancer-Type token): [A-Za-z0-9._-]{1,64}, not "." or "..". */
ING_HIDDEN bool package_case_id_valid(const char *s);
/* mkdirat(dfd, name, 0750); an existing folder is fine. 0 or -errno. */
ING_HIDDEN int package_mkdir_at(int dfd, const char *name);
/* "ready" or "pending": the outbox folder of a package in state S. */
ING_HIDDEN const char *package_state_name(enum ing_package_state s);

#endif
