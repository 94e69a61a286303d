/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The rules loader's private parts, shared by rules-load.c (files, the folder,
 * the passes), rules-schema.c (a file's keys, the dictionaries, types and
 * fragments) and rules-schema-rule.c (one rule's keys), with the lookups and
 * freeing they use. Callers have rules.h.
 */
#ifndef INGEST_RULES_LOADER_H
#define INGEST_RULES_LOADER_H

#include <libfyaml.h>

#include "rules.h"

struct loader {
	struct ruleset *rs;
	struct strbuf *errors;
	unsigned n_errors;
	const char *file;           /* the file being checked (owned by rs->files) */
	const struct vocab *vocab;  /* what terms and keywords are checked against; NULL: it did not load */
};

struct pos {
	int line, col;              /* 1-based */
};

/* A key/value pair while walking a mapping. */
struct kv {
	const char *key;
	struct fy_node *value;
	struct pos kpos;            /* position of the key */
};

/* One parsed file waiting for its pass. */
struct pending {
	char *path;                 /* owned by rs->files */
	char *buf;
	struct fy_document *doc;
	enum { P_BAD, P_DICT, P_FRAGMENT, P_TYPE } what;
	char expect_id[RULES_MAX_ID + 1];
};

/* Walks a mapping: calls FN for each pair; unknown keys are FN's to report. */
typedef int (*kv_fn)(struct loader *l, const struct kv *kv, void *userdata);

/* rules-schema.c: values read with their errors placed (FILE:LINE:COL). */
ING_HIDDEN struct pos node_pos(struct fy_node *n, struct pos fallback);
ING_HIDDEN void err_at(struct loader *l, struct pos p, const char *fmt, ...) ING_PRINTF(3, 4);
ING_HIDDEN void err_node(struct loader *l, struct fy_node *n, struct pos fallback, const char *fmt, ...) ING_PRINTF(4, 5);
ING_HIDDEN int get_str(struct loader *l, const struct kv *kv, char **out);
ING_HIDDEN struct kv item_kv(const struct kv *parent, struct fy_node *item);
ING_HIDDEN int get_strv(struct loader *l, const struct kv *kv, char ***out, size_t *n_out);
ING_HIDDEN int get_bool(struct loader *l, const struct kv *kv, bool *out);
ING_HIDDEN int get_int(struct loader *l, const struct kv *kv, int min, int max, int *out);
ING_HIDDEN int walk_map(struct loader *l, const struct kv *kv, const char *what, kv_fn fn, void *userdata);
ING_HIDDEN int unknown_key(struct loader *l, const struct kv *kv, const char *where, const char *expected);
ING_HIDDEN bool valid_id(const char *s, bool dots);
ING_HIDDEN bool in_strv(char **v, size_t n, const char *s);
/* Words of a rule checked against the vocabulary (docs/vocabulary.md):
 * VC_KEYWORD a whole phrase it knows, VC_RESULT words it knows (`holds`,
 * `fails`), VC_BIOMARKER a marker term, VC_LAB a lab term. Each unknown one
 * is an error at its item of KV (counted: the rules do not load), but the
 * words are kept, so one unknown synonym gives one error, not a cascade.
 * Nothing when there is no vocabulary. */
enum vocab_check { VC_KEYWORD, VC_RESULT, VC_BIOMARKER, VC_LAB };
ING_HIDDEN void check_vocab_words(struct loader *l, const struct kv *kv, char *const *v, size_t n, enum vocab_check how);
/* rules-schema.c: a parsed file, in the pass its kind belongs to. */
ING_HIDDEN void load_pending(struct loader *l, struct pending *p);

/* rules-schema-rule.c: the "rules" list of type T. */
ING_HIDDEN int parse_rules(struct loader *l, struct rule_type *t, const struct kv *kv);

/* rules-query.c */
ING_HIDDEN bool icd_parse(const char *s, char *letter, int *cat, const char **rest);
ING_HIDDEN struct rule_type *find_type_any(const struct ruleset *rs, const char *id);
ING_HIDDEN struct rule *find_rule(const struct ruleset *rs, const char *id);
ING_HIDDEN const struct rule_term *find_term(struct rule_term *const *v, size_t n, const char *name);

/* rules-load.c: freeing */
ING_HIDDEN void strv_free(char **v, size_t n);
ING_HIDDEN void term_free(struct rule_term *t);
ING_HIDDEN void study_free_contents(struct rule_study *s);
ING_HIDDEN void rule_free(struct rule *r);
ING_HIDDEN void type_free(struct rule_type *t);
ING_HIDDEN int rules_list_yaml(const char *dir, char ***out, size_t *n_out, struct loader *l);

#endif
