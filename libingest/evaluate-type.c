/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Which cancer type's rules apply: the --cancer-type option, else case.yaml's
 * cancer_type, else the one the records point to (ICD-10 codes, detect
 * keywords and the vocabulary's cancer-type words in every language, weighted
 * by the kind of document; a negated mention or one about a relative does not
 * count), else generic; and case.yaml's
 * mistakes as a problem on its file record.
 */
#include <ctype.h>
#include <stdio.h>
#include <strings.h>

#include "evaluate-gaps.h"
#include "findings/findings.h"

/* ---- cancer type ---- */

struct type_score {
	const struct rule_type *t;
	long score;                  /* weighted; doubled so that halves stay integers */
	struct strbuf evid;
	size_t n_evid;
};

static long kind_weight(enum ing_kind k)
{
	return k == KIND_PATHOLOGY ? 6 : k == KIND_MOLECULAR ? 4 : 2;
}

/* ICD-10 codes in TEXT that fall under T (C50, C50.9, C509). */
static bool text_has_icd(const struct rule_type *t, const char *text, size_t len, char *code_out, size_t code_max)
{
	for (size_t i = 0; i + 3 <= len; i++) {
		if (!isupper((unsigned char)text[i]) || !isdigit((unsigned char)text[i + 1]) ||
		    !isdigit((unsigned char)text[i + 2]))
			continue;
		if (i > 0 && isalnum((unsigned char)text[i - 1]))
			continue;
		char code[8];
		size_t n = 0;
		while (i + n < len && n < sizeof(code) - 1 &&
		       (isalnum((unsigned char)text[i + n]) || (n == 3 && text[i + n] == '.')))
			n++;
		if (n > 6 || (i + n < len && isalnum((unsigned char)text[i + n])))
			continue;
		memcpy(code, text + i, n);
		code[n] = 0;
		if (rule_type_matches_icd10(t, code)) {
			snprintf(code_out, code_max, "%s", code);
			return true;
		}
	}
	return false;
}

static bool kw_sep(unsigned char c)
{
	return c == ' ' || c == '-' || c == '_' || c == '\n' || c == '\t';
}

/*
 * A detect keyword in TEXT, stricter than rule_text_matches(): a short
 * keyword in capitals ("ALL", "CUP", "NST") must appear in capitals (not the
 * word "all"), a hit right after "non-" does not count ("small cell" in
 * "non-small cell"), nor one negated or about a relative ("no evidence of
 * lymphoma", "mother: breast cancer"; V's words, when there is a vocabulary).
 */
static bool kw_hit(const struct vocab *v, const char *text, size_t len, const char *kw)
{
	size_t kl = strlen(kw);
	bool caps = kl > 0 && kl <= 5;

	for (size_t j = 0; j < kl; j++)
		if (islower((unsigned char)kw[j]))
			caps = false;
	if (!kl || !rule_text_matches(text, len, kw))
		return false;
	for (size_t i = 0; i + kl <= len; i++) {
		size_t j;
		if (i > 0 && isalnum((unsigned char)text[i - 1]))
			continue;
		for (j = 0; j < kl; j++) {
			unsigned char a = (unsigned char)text[i + j], c = (unsigned char)kw[j];
			if (kw_sep(a) && kw_sep(c))
				continue;
			if (caps ? a != c : tolower(a) != tolower(c))
				break;
		}
		if (j < kl || (i + kl < len && isalnum((unsigned char)text[i + kl])))
			continue;
		if (i >= 4 && kw_sep((unsigned char)text[i - 1]) && strncasecmp(text + i - 4, "non", 3) == 0)
			continue;
		if (v && !findings_mention_affirmed(v, text, len, i, kl))
			continue;
		return true;
	}
	return false;
}

/* VWORD: the first of the vocabulary's words for the type that TEXT names as
 * the patient's ("Darmkrebs", "肺腺癌"), NULL when none: it counts once, when
 * no detect keyword did. */
static void score_text(const struct vocab *v, struct type_score *sc, const char *text, size_t len, long weight,
                       const char *where, bool icd_anywhere, const char *vword)
{
	const struct rule_type *t = sc->t;
	struct strbuf words;
	size_t nw = 0;
	long s = 0;
	char code[16] = "";
	bool icd = text_has_icd(t, text, len, code, sizeof(code));

	strbuf_init(&words, 2048);
	if (icd) {
		s += 2 * weight;
		list_add(&words, &nw, "%s", code);
	}
	for (size_t k = 0; k < t->n_keywords; k++) {
		if (!kw_hit(v, text, len, t->keywords[k]))
			continue;
		/* A code-dependent type (C34: nsclc or sclc): words alone count half. */
		s += t->icd10_needs_keyword && !icd_anywhere ? weight / 2 : weight;
		list_add(&words, &nw, "\"%s\"", t->keywords[k]);
	}
	if (vword && nw == (icd ? 1u : 0u)) {
		s += t->icd10_needs_keyword && !icd_anywhere ? weight / 2 : weight;
		list_add(&words, &nw, "\"%s\"", vword);
	}
	if (t->icd10_needs_keyword && icd && nw == 1)
		s -= 2 * weight;     /* the code alone does not decide */
	if (s > 0) {
		sc->score += s;
		if (sc->n_evid++ < 4)
			(void)strbuf_printf(&sc->evid, "%s%s in %s", sc->n_evid > 1 ? "; " : "", sb(&words), where);
	}
	strbuf_free(&words);
}

static const struct rule_type *infer_type(struct ev *e, char **evidence)
{
	const struct ruleset *rs = e->rs;
	const struct ing_scan *scan = e->scan;
	size_t nt = ruleset_n_cancer_types(rs);
	struct type_score *sc = xcalloc(nt ? nt : 1, sizeof(*sc));
	const struct rule_type *best = NULL;
	long top = 0, second = 0;
	size_t ibest = 0;
	const struct vocab *v = rs->vocab;
	size_t nd = scan->inv.documents.n;
	/* per document and type: the vocabulary's word for it, as written */
	char **vword = xcalloc(nd * (nt ? nt : 1) + 1, sizeof(*vword));

	for (size_t d = 0; d < nd && v; d++) {
		const struct ing_file *f = scan->inv.documents.v[d];
		if (!doc_readable(f))
			continue;
		struct doc_text dt = { .text = f->doc->text, .len = f->doc->text_len };
		struct type_mention tm[32];
		size_t n = findings_cancer_types(v, &dt, tm, ARRAY_SIZE(tm));
		for (size_t q = 0; q < n; q++) {
			const struct rule_type *t = ruleset_find_type(rs, vocab_cancer_type(v, (size_t)tm[q].type));
			for (size_t i = 0; t && i < nt; i++)
				if (ruleset_cancer_type(rs, i) == t && !vword[d * nt + i])
					vword[d * nt + i] = xstrndup(f->doc->text + tm[q].offset,
					                             MIN(tm[q].len, (size_t)80));
		}
	}

	for (size_t i = 0; i < nt; i++) {
		sc[i].t = ruleset_cancer_type(rs, i);
		strbuf_init(&sc[i].evid, 4096);
		bool named = false;
		for (size_t d = 0; d < nd && !named; d++)
			named = vword[d * nt + i] != NULL;
		if (!sc[i].t->n_keywords && !sc[i].t->n_icd10 && !named)
			continue;
		bool icd_anywhere = false;
		char code[16];
		for (size_t d = 0; d < scan->inv.documents.n && !icd_anywhere; d++) {
			const struct ing_file *f = scan->inv.documents.v[d];
			icd_anywhere = doc_readable(f) && text_has_icd(sc[i].t, f->doc->text, f->doc->text_len, code, sizeof(code));
		}
		for (size_t d = 0; d < scan->inv.documents.n; d++) {
			const struct ing_file *f = scan->inv.documents.v[d];
			if (doc_readable(f)) {
				_cleanup_free_ char *where = xasprintf("%s (%s)", f->path, kind_name(f->kind));
				score_text(v, &sc[i], f->doc->text, f->doc->text_len, kind_weight(f->kind), where,
				           icd_anywhere, vword[d * nt + i]);
			}
		}
		for (size_t s = 0; s < scan->inv.studies.n; s++) {
			const struct inv_study *st = scan->inv.studies.v[s];
			if (st->description[0]) {
				_cleanup_free_ char *where = xasprintf("the description of the %s study of %s",
				                                       st->modalities[0] ? st->modalities : "imaging",
				                                       st->date_iso[0] ? st->date_iso : "unknown date");
				score_text(v, &sc[i], st->description, strlen(st->description), 1, where, icd_anywhere,
				           NULL);
			}
		}
	}
	for (size_t i = 0; i < nt; i++) {
		if (sc[i].score > top) {
			second = top;
			top = sc[i].score;
			ibest = i;
		} else if (sc[i].score > second) {
			second = sc[i].score;
		}
	}
	/* A clear winner: at least half again as much evidence as the runner-up. */
	if (top > 0 && top * 2 >= second * 3 && top != second) {
		best = sc[ibest].t;
		*evidence = xasprintf("%s", sb(&sc[ibest].evid));
	} else if (top > 0) {
		struct strbuf b;
		size_t n = 0;
		strbuf_init(&b, 4096);
		(void)strbuf_puts(&b, "the records point to more than one type (");
		for (size_t i = 0; i < nt; i++)
			if (sc[i].score > 0 && sc[i].score * 3 >= top * 2)
				list_add(&b, &n, "%s: %s", sc[i].t->id, sb(&sc[i].evid));
		list_end(&b, n);
		(void)strbuf_puts(&b, "); set cancer_type in case.yaml");
		*evidence = strbuf_steal(&b);
	} else {
		*evidence = xstrdup("no cancer type could be read from the records; set cancer_type in case.yaml");
	}
	for (size_t i = 0; i < nt; i++)
		strbuf_free(&sc[i].evid);
	for (size_t i = 0; i < nd * nt; i++)
		free(vword[i]);
	free(vword);
	free(sc);
	return best;
}

static struct ing_file *case_yaml_file(struct ing_scan *scan)
{
	for (size_t i = 0; i < scan->files.n; i++) {
		struct ing_file *f = scan->files.v[i];
		if (f->kind == KIND_CASE_YAML && strcmp(f->path, "case.yaml") == 0)
			return f;
	}
	return NULL;
}

static void case_yaml_problem(struct ing_scan *scan, const char *line)
{
	struct strbuf b;
	strbuf_init(&b, EVAL_TEXT_MAX);
	if (scan->case_yaml_errors)
		(void)strbuf_puts(&b, scan->case_yaml_errors);
	(void)strbuf_printf(&b, "%s\n", line);
	free(scan->case_yaml_errors);
	scan->case_yaml_errors = strbuf_steal(&b);
}

/* case.yaml's errors become one `corrupt` problem on its file record. */
void case_yaml_report(struct ing_scan *scan)
{
	if (!scan->case_yaml_errors)
		return;
	struct ing_file *f = case_yaml_file(scan);
	if (!f) {
		f = xcalloc(1, sizeof(*f));
		f->path = xstrdup("case.yaml");
		f->kind = KIND_CASE_YAML;
		f->evidence = xstrdup("case description (case.yaml at the drop root)");
		ptrvec_push(&scan->files, f);
	}
	if (f->problem != PROB_NONE)
		return;
	_cleanup_free_ char *m = xstrdup(scan->case_yaml_errors);
	size_t n = strlen(m);
	while (n && m[n - 1] == '\n')
		m[--n] = 0;
	for (char *p = m; *p; p++)
		if (*p == '\n')
			*p = ';';
	file_set_problem(f, PROB_CORRUPT, "%s", m);
	ptrvec_push(&scan->inv.problems, f);
}

void choose_type(struct ev *e, const struct eval_opts *o)
{
	struct ing_scan *scan = e->scan;
	const struct case_yaml *cy = scan->case_yaml;
	const struct rule_type *t = NULL;
	char *evid = NULL;

	if (o && o->cancer_type) {
		t = e->rs ? ruleset_find_type(e->rs, o->cancer_type) : NULL;
		if (t) {
			scan->cancer_type_source = "option";
			evid = xasprintf("given on the command line (--cancer-type %s)", o->cancer_type);
		} else {
			log_warn(scan->ctx, "case %s: cancer type \"%s\" is not a known rules id; using the generic rules",
			         scan->case_id, o->cancer_type);
			evid = xasprintf("\"%s\" (given on the command line) is not a known rules id", o->cancer_type);
		}
	} else if (cy && cy->cancer_type && !e->rs) {
		/* not case.yaml's fault: the rules did not load (the case is held) */
		evid = xasprintf("cancer_type: %s (not checked: the rules could not be loaded)", cy->cancer_type);
	} else if (cy && cy->cancer_type) {
		t = ruleset_find_type(e->rs, cy->cancer_type);
		if (t) {
			scan->cancer_type_source = "case.yaml";
			evid = xasprintf("cancer_type: %s", cy->cancer_type);
		} else {
			struct strbuf b;
			size_t n = 0;
			strbuf_init(&b, 4096);
			(void)strbuf_printf(&b, "case.yaml:%d:%d: unknown cancer_type \"%s\" (known: ", cy->cancer_type_line,
			                    cy->cancer_type_col, cy->cancer_type);
			for (size_t i = 0; e->rs && i < ruleset_n_cancer_types(e->rs); i++)
				list_add(&b, &n, "%s", ruleset_cancer_type(e->rs, i)->id);
			list_end(&b, n);
			(void)strbuf_puts(&b, "); the generic rules were used");
			case_yaml_problem(scan, sb(&b));
			strbuf_free(&b);
			evid = xasprintf("case.yaml names \"%s\", which is not a known rules id", cy->cancer_type);
		}
	} else if (e->rs) {
		t = infer_type(e, &evid);
		if (t)
			scan->cancer_type_source = "inferred";
	}
	if (!t && e->rs)
		t = ruleset_find_type(e->rs, "generic");
	if (!scan->cancer_type_source)
		scan->cancer_type_source = "generic";
	e->type = t;
	scan->cancer_type = xstrdup(t ? t->id : "generic");
	scan->cancer_type_evidence = evid ? evid : xstrdup(e->rs ? "no cancer type given" : "the rules could not be loaded");
}
