/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ingestd's configuration file (docs/config.md): one YAML file, every key
 * optional, every key with a default. Problems are reported as
 * "FILE:LINE:COL: what is wrong" and make the whole file invalid (the
 * daemon keeps its previous configuration on a reload that fails).
 */
#ifndef INGEST_CONFIG_H
#define INGEST_CONFIG_H

#include <stdio.h>

#include "libingest-internal.h"

#define INGESTD_DEFAULT_CONFIG "/etc/ingestd/ingestd.yaml"
#define INGESTD_DEFAULT_BASE   "/var/lib/ingestd"
#define INGESTD_USER           "ingestd"   /* User= of systemd/ingestd.service.in */

/* A reviewing centre's PACS, by name (destinations:, docs/config.md,
 * docs/delivery.md): DICOMweb (dicomweb set) or DIMSE (dimse set). */
struct ingestd_destination {
	char *name;
	char *dicomweb;                 /* base URL: https://host/dicom-web/; NULL: a DIMSE destination */
	bool allow_http;                /* false: https only */
	char *ca_file;                  /* NULL: the system's CAs (DIMSE: needed with tls) */
	char *token_file, *basic_file;  /* credentials, at most one; NULL: none */
	/* DIMSE: called_aet, host and port, as send_opts.url has them */
	char *dimse;                    /* dicom://CALLED_AET@host:port; NULL: a DICOMweb destination */
	char *calling_aet;              /* NULL: SEND_CALLING_AET */
	bool tls;                       /* DICOM over TLS (with ca_file) */
	bool allow_transcode;           /* DIMSE: objects in a syntax it refuses sent decoded (--allow-transcode) */
	unsigned commit_port;           /* DIMSE: storage commitment, its answer taken on this port; 0 none */
};

struct ingestd_config {
	char *file;                     /* where it was read from, or NULL for built-in defaults */
	char *base_dir;
	char *inbox, *work, *outbox, *quarantine, *archive, *state_db, *mail_outbox;
	char *rules_dir;                /* NULL: the installed rules */
	unsigned settle_seconds;        /* 10 */
	unsigned rescan_seconds;        /* 60: periodic full look at the inbox */
	unsigned workers;               /* 0 in the file: one per core, resolved at load */
	unsigned retention_days;        /* 30; 0: keep forever */
	bool http_downloads;            /* false: https only */
	char **languages;               /* working languages (ISO 639), default {"en"} */
	size_t n_languages;
	struct ing_limits limits;
	/* isolation of the drop workers (docs/faults.md) */
	unsigned parse_timeout_seconds; /* 120: a DICOM header or archive with no progress this long is a hang */
	uint64_t worker_mem_bytes;      /* 4 GiB: a worker's address space, beyond a mapped input (max_file_bytes) */
	/* mail */
	char *smtp_url;                 /* smtp://host:port | smtps://host:port; NULL: .eml only */
	bool starttls;                  /* require STARTTLS on smtp:// (default true) */
	char *smtp_user;
	char *smtp_password_file;
	char *mail_from;
	char **mail_to;
	size_t n_mail_to;
	unsigned mail_retry_seconds;    /* 60: first retry of queued mail; doubles up to an hour */
	/* delivery */
	struct ingestd_destination *destinations;
	size_t n_destinations;
	char *delivery_default;         /* delivery.default: a destination's name; NULL: none */
	unsigned delivery_max_seconds;  /* delivery.max_seconds: one attempt's wall time (SEND_MAX_SECONDS) */
	uint64_t delivery_max_bytes;    /* delivery.max_bytes: bytes one attempt sends (SEND_MAX_BYTES) */
	unsigned delivery_max_attempts; /* delivery.max_attempts: failed attempts before giving up (DELIVERY_MAX_FAILURES) */
	unsigned delivery_retry_first_seconds; /* delivery.retry_first_seconds: the first wait (DELIVERY_RETRY_FIRST_S) */
	unsigned delivery_retry_max_seconds;   /* delivery.retry_max_seconds: doubling up to (DELIVERY_RETRY_MAX_S) */
};

/* Fills C with the defaults of the keys (paths not resolved). */
ING_HIDDEN void config_defaults(struct ingestd_config *c);
/* The configuration of no file at all: every default, the paths under
 * INGESTD_DEFAULT_BASE, one worker per core; ->file is NULL. */
ING_HIDDEN struct ingestd_config *config_new_defaults(void);
/* Reads PATH into *OUT (defaults for what it leaves out; an empty file or
 * one of comments only is every default). Returns 0, or a negative errno
 * with every problem appended to ERRORS as "PATH:LINE:COL: message\n"
 * (-EINVAL: the file has errors). */
ING_HIDDEN int config_load(const char *path, struct ingestd_config **out, struct strbuf *errors);
/* config_load(), except that PATH not existing, when it was not GIVEN by
 * the user (the default /etc/ingestd/ingestd.yaml), is config_new_defaults(). */
ING_HIDDEN int config_load_or_defaults(const char *path, bool given, struct ingestd_config **out,
                                       struct strbuf *errors);
ING_HIDDEN struct ingestd_config *config_free(struct ingestd_config *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ingestd_config *, config_free)
/* Prints every key of C with its value in force, one "key: value" a line
 * (ingestd --check-config --verbose). */
ING_HIDDEN void config_print(FILE *f, const struct ingestd_config *c);
/* The destination called NAME, or NULL. */
ING_HIDDEN const struct ingestd_destination *config_destination(const struct ingestd_config *c, const char *name);
/* Reads the SMTP password (first line of the password file); NULL if none. */
ING_HIDDEN char *config_read_password(const struct ingestd_config *c);

#endif
