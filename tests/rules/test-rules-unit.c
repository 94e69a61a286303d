/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The rules loader and its evaluation helpers, against the shipped rules/
 * (argv[1]) and small files written here. Each check names what it expects.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rules.h"
#include "model.h"
#include "check.h"

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(99);
	}
	fputs(text, f);
	fclose(f);
}

static void check_shipped(const char *dir)
{
	struct strbuf errors;
	struct ruleset *rs = NULL;
	int r;

	strbuf_init(&errors, RULES_MAX_ERRORS_BYTES);
	r = rules_load_dir(NULL, dir, &rs, &errors);
	CHECK(r == 0, "loading %s: %d\n%s", dir, r, errors.s ? errors.s : "");
	strbuf_free(&errors);
	if (r < 0)
		return;

	CHECK(ruleset_n_cancer_types(rs) >= 25, "%zu cancer types", ruleset_n_cancer_types(rs));
	CHECK(ruleset_find_type(rs, "generic") != NULL, "generic type missing");
	CHECK(ruleset_find_type(rs, "baseline") == NULL, "a fragment must not be a cancer type");
	CHECK(ruleset_find_biomarker(rs, "her2") != NULL, "biomarker lookup ignores case");
	CHECK(ruleset_find_lab(rs, "CEA") != NULL, "CEA lab missing");

	/* when.markers and after_last_treatment as loaded from breast.yaml */
	const struct rule *ish = ruleset_find_rule(rs, "breast.her2-ish");
	CHECK(ish && ish->n_cond_markers == 1 && ish->cond_markers[0].n_terms == 1 &&
	      strcmp(ish->cond_markers[0].terms[0]->name, "HER2") == 0, "breast.her2-ish marker test");
	if (ish && ish->n_cond_markers == 1) {
		const struct rule_marker_test *mt = &ish->cond_markers[0];
		CHECK(rule_marker_result(mt, "equivocal (IHC 2+)") == RULE_COND_HOLDS, "2+ holds");
		CHECK(rule_marker_result(mt, "IHC 2+") == RULE_COND_HOLDS, "bare 2+ holds");
		CHECK(rule_marker_result(mt, "positive (IHC 3+)") == RULE_COND_FAILS, "3+ fails");
		CHECK(rule_marker_result(mt, "negative (IHC 1+)") == RULE_COND_FAILS, "1+ fails");
		CHECK(rule_marker_result(mt, "negative") == RULE_COND_UNKNOWN, "negative does not say");
		CHECK(rule_marker_result(mt, "HER2-low") == RULE_COND_UNKNOWN, "HER2-low does not say");
		CHECK(rule_marker_result(mt, NULL) == RULE_COND_UNKNOWN, "no result");
	}
	const struct rule *tn = ruleset_find_rule(rs, "breast.pdl1-cps");
	CHECK(tn && tn->n_cond_markers == 3, "triple-negative: three marker tests");
	CHECK(tn && tn->n_cond_alts == 0, "triple-negative: all of them, no alternatives");
	/* when.any_of: "if HER2-positive or triple-negative", one test or three */
	const struct rule *mbm = ruleset_find_rule(rs, "breast.mr-brain-metastatic");
	CHECK(mbm && mbm->n_cond_alts == 2 && mbm->n_cond_markers == 4, "HER2-positive or triple-negative: two alternatives");
	if (mbm && mbm->n_cond_markers == 4) {
		CHECK(mbm->cond_markers[0].alt == 0 && mbm->cond_markers[1].alt == 1 && mbm->cond_markers[3].alt == 1,
		      "the tests of each alternative");
		CHECK(rule_marker_result(&mbm->cond_markers[0], "positive (IHC 3+)") == RULE_COND_HOLDS, "HER2 3+ holds");
		CHECK(rule_marker_result(&mbm->cond_markers[0], "IHC 1+") == RULE_COND_FAILS, "HER2 1+ fails");
		CHECK(rule_marker_result(&mbm->cond_markers[0], "IHC 2+") == RULE_COND_UNKNOWN, "HER2 2+ does not say");
	}
	const struct rule *crc_her2 = ruleset_find_rule(rs, "colorectal.her2");
	CHECK(crc_her2 && crc_her2->n_cond_markers == 3, "RAS and BRAF wild-type: three marker tests");
	if (crc_her2 && crc_her2->n_cond_markers == 3) {
		const struct rule_marker_test *mt = &crc_her2->cond_markers[0];
		CHECK(rule_marker_result(mt, "wild-type") == RULE_COND_HOLDS, "wild-type holds");
		CHECK(rule_marker_result(mt, "V600E not detected") == RULE_COND_HOLDS, "not detected beats detected");
		CHECK(rule_marker_result(mt, "G12C mutated") == RULE_COND_FAILS, "mutated fails");
		CHECK(rule_marker_result(mt, "exon 2 mutation detected") == RULE_COND_FAILS, "detected fails");
	}
	const struct rule *st = ruleset_find_rule(rs, "breast.staging");
	CHECK(st && st->after_last_treatment, "breast.staging after_last_treatment");
	const struct rule *mg = ruleset_find_rule(rs, "breast.mammography-us");
	CHECK(mg && !mg->after_last_treatment, "breast.mammography-us is not after_last_treatment");

	for (size_t i = 0; i < ruleset_n_cancer_types(rs); i++) {
		const struct rule_type *t = ruleset_cancer_type(rs, i);
		size_t baseline = 0, own = 0, msg_ok = 0;
		for (size_t j = 0; j < t->n_rules; j++) {
			baseline += strcmp(t->rules[j]->owner, "baseline") == 0;
			own += strcmp(t->rules[j]->owner, t->id) == 0;
			msg_ok += strlen(t->rules[j]->message) >= 20;
		}
		CHECK(baseline >= 8, "%s has %zu baseline rules", t->id, baseline);
		CHECK(own >= 3, "%s has only %zu rules of its own", t->id, own);
		CHECK(msg_ok == t->n_rules, "%s: a message is too short to act on", t->id);
		CHECK(t->max_age_imaging > 0, "%s has no imaging max age", t->id);
		if (i > 0)
			CHECK(strcmp(ruleset_cancer_type(rs, i - 1)->id, t->id) < 0, "types not sorted");
	}

	const struct rule *her2 = ruleset_find_rule(rs, "breast.her2");
	CHECK(her2 != NULL, "breast.her2 missing");
	if (her2) {
		CHECK(her2->severity == RULE_SEV_REQUIRED, "breast.her2 severity %d", her2->severity);
		CHECK(her2->req == RULE_REQ_BIOMARKER, "breast.her2 req %d", her2->req);
		CHECK(her2->n_terms >= 1 && strcmp(her2->terms[0]->name, "HER2") == 0, "breast.her2 term");
		CHECK(her2->kinds & (1u << KIND_PATHOLOGY), "breast.her2 in pathology reports");
		CHECK(her2->line > 1 && her2->col >= 1, "breast.her2 position %d:%d", her2->line, her2->col);
	}
	const struct rule_type *crc = ruleset_find_type(rs, "colorectal");
	CHECK(crc && rule_type_matches_icd10(crc, "C18.7"), "colorectal C18.7");
	CHECK(crc && rule_type_matches_icd10(crc, "C20"), "colorectal C20");
	CHECK(crc && !rule_type_matches_icd10(crc, "C21.1"), "anal C21 is not colorectal");
	const struct rule_type *hcc = ruleset_find_type(rs, "hcc");
	CHECK(hcc && rule_type_matches_icd10(hcc, "C22.0"), "hcc C22.0");
	CHECK(hcc && rule_type_matches_icd10(hcc, "c220"), "hcc c220");
	CHECK(hcc && !rule_type_matches_icd10(hcc, "C22.1"), "C22.1 is biliary, not hcc");
	const struct rule_type *bil = ruleset_find_type(rs, "biliary");
	CHECK(bil && rule_type_matches_icd10(bil, "C22.1"), "biliary C22.1");
	/* haematological types do not take the solid-tumour set */
	const struct rule_type *lym = ruleset_find_type(rs, "lymphoma");
	for (size_t j = 0; lym && j < lym->n_rules; j++)
		CHECK(strcmp(lym->rules[j]->owner, "solid") != 0, "lymphoma includes %s", lym->rules[j]->id);
	ruleset_free(rs);
}

static void check_severity(void)
{
	struct rule r = { .severity = RULE_SEV_REQUIRED };
	struct rule_type t = { .blocking = true, .max_age_imaging = 60, .max_age_lab = 30 };
	bool cond = true;

	CHECK(rule_effective_severity(&t, &r, RULE_SETTING_UNKNOWN, &cond) == RULE_SEV_REQUIRED, "plain required");
	CHECK(!cond, "no condition");

	r.settings = 1u << RULE_SETTING_METASTATIC | 1u << RULE_SETTING_RECURRENT;
	CHECK(rule_effective_severity(&t, &r, RULE_SETTING_METASTATIC, NULL) == RULE_SEV_REQUIRED, "req[M] in M");
	CHECK(rule_effective_severity(&t, &r, RULE_SETTING_EARLY, NULL) == RULE_SEV_NONE, "req[M] in E");
	CHECK(rule_effective_severity(&t, &r, RULE_SETTING_UNKNOWN, NULL) == RULE_SEV_RECOMMENDED,
	      "req[M] with the setting unknown counts as recommended");

	r.settings = 0;
	r.severity = RULE_SEV_RECOMMENDED;
	r.by_setting[RULE_SETTING_METASTATIC] = RULE_SEV_REQUIRED;
	CHECK(rule_effective_severity(&t, &r, RULE_SETTING_METASTATIC, NULL) == RULE_SEV_REQUIRED, "by_setting M");
	CHECK(rule_effective_severity(&t, &r, RULE_SETTING_EARLY, NULL) == RULE_SEV_RECOMMENDED, "by_setting E");
	CHECK(rule_effective_severity(&t, &r, RULE_SETTING_UNKNOWN, NULL) == RULE_SEV_RECOMMENDED, "by_setting unknown");

	struct rule c = { .severity = RULE_SEV_REQUIRED, .condition = (char *)"if operated" };
	CHECK(rule_effective_severity(&t, &c, RULE_SETTING_EARLY, &cond) == RULE_SEV_RECOMMENDED, "condition");
	CHECK(cond, "condition flagged");
	/* a condition the results settle */
	CHECK(rule_effective_severity_settled(&t, &c, RULE_SETTING_EARLY, RULE_COND_HOLDS, &cond) == RULE_SEV_REQUIRED,
	      "condition holds: its own severity");
	CHECK(!cond, "condition holds: not conditional");
	CHECK(rule_effective_severity_settled(&t, &c, RULE_SETTING_EARLY, RULE_COND_FAILS, &cond) == RULE_SEV_NONE,
	      "condition fails: does not apply");
	CHECK(rule_effective_severity_settled(&t, &c, RULE_SETTING_EARLY, RULE_COND_UNKNOWN, &cond) ==
	      RULE_SEV_RECOMMENDED && cond, "condition unknown: as before");
	struct rule cs = { .severity = RULE_SEV_REQUIRED, .condition = (char *)"if HER2-negative",
	                   .settings = 1u << RULE_SETTING_METASTATIC };
	CHECK(rule_effective_severity_settled(&t, &cs, RULE_SETTING_UNKNOWN, RULE_COND_HOLDS, &cond) ==
	      RULE_SEV_RECOMMENDED, "condition holds, setting unknown: still recommended");
	CHECK(rule_effective_severity_settled(&t, &cs, RULE_SETTING_EARLY, RULE_COND_HOLDS, &cond) == RULE_SEV_NONE,
	      "condition holds, other setting: does not apply");
	struct rule u = { .severity = RULE_SEV_REQUIRED, .uncertain = true };
	CHECK(rule_effective_severity(&t, &u, RULE_SETTING_EARLY, NULL) == RULE_SEV_RECOMMENDED, "uncertain");
	struct rule w = { .severity = RULE_SEV_WARNING, .settings = 1u << RULE_SETTING_EARLY };
	CHECK(rule_effective_severity(&t, &w, RULE_SETTING_UNKNOWN, NULL) == RULE_SEV_WARNING, "warning kept");
	struct rule p = { .severity = RULE_SEV_REQUIRED };
	t.blocking = false;
	CHECK(rule_effective_severity(&t, &p, RULE_SETTING_EARLY, NULL) == RULE_SEV_RECOMMENDED, "non-blocking type");
	t.blocking = true;

	struct rule img = { .req = RULE_REQ_IMAGING };
	t.max_age_by_setting[RULE_SETTING_METASTATIC] = 42;
	CHECK(rule_max_age_days(&t, &img, RULE_SETTING_METASTATIC) == 42, "imaging age in M");
	CHECK(rule_max_age_days(&t, &img, RULE_SETTING_EARLY) == 60, "imaging age default");
	CHECK(rule_max_age_days(&t, &img, RULE_SETTING_UNKNOWN) == 60, "imaging age unknown setting");
	img.max_age_days = 14;
	CHECK(rule_max_age_days(&t, &img, RULE_SETTING_METASTATIC) == 14, "rule's own age wins");
	struct rule lab = { .req = RULE_REQ_LAB };
	CHECK(rule_max_age_days(&t, &lab, RULE_SETTING_EARLY) == 30, "lab age default");
}

static void check_matching(void)
{
	const char *t1 = "HER2/neu: negative (IHC 1+). Estrogen receptor (ER) positive 90%.";
	CHECK(rule_text_matches(t1, strlen(t1), "HER2"), "HER2 in HER2/neu");
	CHECK(rule_text_matches(t1, strlen(t1), "ER"), "ER in (ER)");
	CHECK(rule_text_matches(t1, strlen(t1), "estrogen receptor"), "phrase");
	CHECK(!rule_text_matches(t1, strlen(t1), "PR"), "no PR");
	const char *t2 = "PER2 and ESR1 wild-type";
	CHECK(!rule_text_matches(t2, strlen(t2), "ER"), "ER not inside PER2/ESR1");
	const char *t3 = "EML4-ALK fusion detected; Ki67 30%";
	CHECK(rule_text_matches(t3, strlen(t3), "EML4::ALK"), "EML4-ALK = EML4::ALK");
	CHECK(rule_text_matches(t3, strlen(t3), "Ki-67"), "Ki67 = Ki-67");
	CHECK(!rule_text_matches(t3, strlen(t3), "ALK2"), "ALK2 is not ALK");

	CHECK(rule_region_need_mask("CHESTABDPELVIS") != 0, "CAP known");
	CHECK((rule_region_study_mask("CHEST_ABD_PELVIS") & rule_region_need_mask("CHEST")) ==
	      rule_region_need_mask("CHEST"), "a CAP study covers chest");
	CHECK((rule_region_study_mask("ABDOMEN") & rule_region_need_mask("LIVER")) == rule_region_need_mask("LIVER"),
	      "an abdomen study covers the liver");
	CHECK((rule_region_study_mask("CHEST") & rule_region_need_mask("CHESTABDPELVIS")) !=
	      rule_region_need_mask("CHESTABDPELVIS"), "a chest study does not cover CAP");
	CHECK(rule_region_need_mask("ELBOW") == 0, "unknown region");
	CHECK(rule_modality_bit("pt") == RULE_MOD_PT && rule_modality_bit("XX") == 0, "modalities");
	CHECK(rule_severity_from_string("required") == RULE_SEV_REQUIRED, "severity name");
	CHECK(rule_severity_from_string("mandatory") == -EINVAL, "unknown severity");
	CHECK(rule_setting_from_string("locally-advanced") == RULE_SETTING_LOCALLY_ADVANCED, "setting name");
}

/* All errors are collected, not only the first; no ruleset on error. */
static void check_collects_errors(const char *shipped)
{
	char tmpl[] = "/tmp/test-rules-XXXXXX";
	char *dir = mkdtemp(tmpl);
	struct strbuf errors;
	struct ruleset *rs = NULL;
	size_t lines = 0;
	int r;

	CHECK(dir != NULL, "mkdtemp");
	if (!dir)
		return;
	write_file(dir, "_baseline.yaml",
	           "id: baseline\nfragment: true\nrules:\n"
	           "  - id: baseline.x\n    severity: required\n    document: {kind: pathology-report}\n"
	           "    message: \"No pathology report found; ask for it.\"\n");
	write_file(dir, "generic.yaml",
	           "id: generic\nname: Generic\ninclude: [baseline]\nmax_age_days: {imaging: 60}\nrules:\n"
	           "  - id: generic.a\n    severity: sometimes\n    document: {kind: lab-report}\n    message: \"m m m m\"\n"
	           "  - id: generic.b\n    severity: required\n    document: {kind: lab-report}\n"
	           "  - id: generic.c\n    severity: required\n    colour: blue\n    document: {kind: lab-report}\n"
	           "    message: \"m m m m\"\n");
	strbuf_init(&errors, RULES_MAX_ERRORS_BYTES);
	r = rules_load_dir(NULL, dir, &rs, &errors);
	CHECK(r == -EINVAL, "bad rules give -EINVAL, got %d", r);
	CHECK(rs == NULL, "no ruleset on error");
	for (const char *p = errors.s; p && *p; p++)
		lines += *p == '\n';
	/* the two rules errors, the unknown key, and the missing vocabulary (fail closed) */
	CHECK(lines == 4, "4 errors expected, got %zu:\n%s", lines, errors.s ? errors.s : "");
	CHECK(errors.s && strstr(errors.s, "/vocabulary:1:1: no vocabulary folder"), "%s", errors.s);
	CHECK(errors.s && strstr(errors.s, "generic.yaml:7:15: unknown severity \"sometimes\""), "%s", errors.s);
	CHECK(errors.s && strstr(errors.s, "generic.yaml:10:5: rule \"generic.b\" has no message"), "%s", errors.s);
	CHECK(errors.s && strstr(errors.s, "generic.yaml:15:5: unknown key \"colour\" in a rule"), "%s", errors.s);
	strbuf_free(&errors);

	/* a folder that does not exist is an I/O error, not a validation error */
	strbuf_init(&errors, 4096);
	r = rules_load_dir(NULL, "/nonexistent/rules", &rs, &errors);
	CHECK(r == -ENOENT, "missing folder: %d", r);
	strbuf_free(&errors);

	char path[4096];
	snprintf(path, sizeof(path), "%s/_baseline.yaml", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/generic.yaml", dir);
	unlink(path);
	rmdir(dir);
	(void)shipped;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			buf = xrealloc(buf, cap + 1);
		}
		size_t k = fread(buf + n, 1, cap - n, f);
		if (k == 0)
			break;
		n += k;
	}
	fclose(f);
	buf[n] = 0;
	*len = n;
	return buf;
}

/* Copies SRC_DIR/NAME, or writes TEXT when SRC_DIR is NULL, to DIR/NAME. */
static void put_file(const char *dir, const char *name, const char *src_dir, const char *text, size_t len)
{
	char path[4096];
	FILE *f;
	_cleanup_free_ char *buf = NULL;

	if (src_dir) {
		snprintf(path, sizeof(path), "%s/%s", src_dir, name);
		buf = read_all(path, &len);
		if (!buf) {
			perror(path);
			exit(99);
		}
		text = buf;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(text, 1, len, f) != len) {
		perror(path);
		exit(99);
	}
	fclose(f);
}

/*
 * rules_check_file()/rules_check_text() against a base of the shared files
 * (what fuzz-rules does) report exactly what rules_load_dir() reports for the
 * folder with the file in it, for every input of every DIRS (*.yaml files,
 * and the fuzz inputs): the same return value and the same error lines.
 */
static void check_one_file(const char *rules_dir, char **dirs, int n_dirs)
{
	static const char *const shared[] = { "_biomarkers.yaml", "_labs.yaml", "_baseline.yaml", "_solid.yaml" };
	char tmpl[] = "/tmp/rules-one.XXXXXX", path[4096];
	char *dir = mkdtemp(tmpl);
	struct ruleset *base = NULL;
	struct strbuf errors;
	unsigned n_inputs = 0, n_valid = 0;
	int r;

	CHECK(dir != NULL, "mkdtemp");
	if (!dir)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(shared); i++)
		put_file(dir, shared[i], rules_dir, NULL, 0);
	/* the vocabulary (the rules do not load without it) */
	snprintf(path, sizeof(path), "cp -r '%s/vocabulary' '%s/'", rules_dir, dir);
	CHECK(system(path) == 0, "%s", path);
	strbuf_init(&errors, RULES_MAX_ERRORS_BYTES);
	r = rules_load_base(NULL, dir, "fuzz.yaml", &base, &errors);
	CHECK(r == 0 && base && base->n_files == ARRAY_SIZE(shared), "base: %d\n%s", r, errors.s ? errors.s : "");
	strbuf_free(&errors);
	if (r < 0)
		return;
	snprintf(path, sizeof(path), "%s/fuzz.yaml", dir);
	for (int d = 0; d < n_dirs; d++) {
		DIR *dh = opendir(dirs[d]);
		struct dirent *de;
		CHECK(dh != NULL, "opendir %s", dirs[d]);
		while (dh && (de = readdir(dh))) {
			char src[4096];
			size_t len = 0;
			if (de->d_name[0] == '.')
				continue;
			snprintf(src, sizeof(src), "%s/%s", dirs[d], de->d_name);
			_cleanup_free_ char *text = read_all(src, &len);
			if (!text || strstr(de->d_name, ".expect"))
				continue;
			put_file(dir, "fuzz.yaml", NULL, text, len);

			struct strbuf e_dir, e_file, e_text;
			struct ruleset *rs = NULL;
			strbuf_init(&e_dir, RULES_MAX_ERRORS_BYTES);
			strbuf_init(&e_file, RULES_MAX_ERRORS_BYTES);
			strbuf_init(&e_text, RULES_MAX_ERRORS_BYTES);
			int r_dir = rules_load_dir(NULL, dir, &rs, &e_dir);
			int r_file = rules_check_file(base, path, &e_file);
			int r_text = rules_check_text(base, path, text, len, &e_text);
			const char *s_dir = e_dir.s ? e_dir.s : "", *s_file = e_file.s ? e_file.s : "";
			const char *s_text = e_text.s ? e_text.s : "";
			CHECK(r_dir == r_file && strcmp(s_dir, s_file) == 0,
			      "%s: folder %d, file %d\n--- folder:\n%s--- file:\n%s", src, r_dir, r_file, s_dir, s_file);
			CHECK(r_text == r_file && strcmp(s_text, s_file) == 0,
			      "%s: text %d, file %d\n--- text:\n%s--- file:\n%s", src, r_text, r_file, s_text, s_file);
			n_valid += r_file == 0;
			n_inputs++;
			ruleset_free(rs);
			strbuf_free(&e_dir);
			strbuf_free(&e_file);
			strbuf_free(&e_text);
		}
		if (dh)
			closedir(dh);
	}
	CHECK(n_inputs >= 10, "only %u inputs", n_inputs);
	printf("one file against the shared files: %u inputs, %u valid, as the folder load\n", n_inputs, n_valid);
	/* the base is unchanged: it still loads nothing but the shared files */
	size_t n_types = base->n_types;
	CHECK(!ruleset_find_type(base, "fuzz"), "base changed: %zu types", n_types);
	ruleset_free(base);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	CHECK(system(path) == 0, "%s", path);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s RULES_DIR [DIR...]\n", argv[0]);
		return 2;
	}
	check_shipped(argv[1]);
	check_severity();
	check_matching();
	check_collects_errors(argv[1]);
	if (argc > 2)
		check_one_file(argv[1], argv + 2, argc - 2);
	CHECK_DONE();
}
