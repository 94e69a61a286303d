/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The inventory: studies and series from the DICOM headers (with missing
 * instance numbers and slice-position gaps), duplicates by SOP Instance UID,
 * opaque patient keys (DICOM patients and the patients documents name,
 * findings/identity.c), and the lists of documents, excluded files and problems.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <strings.h>

#include "case.h"
#include "rules.h"
#include "findings/findings.h"


static bool usable_dicom(const struct ing_file *f)
{
	return f->dcm && kind_is_dicom(file_dicom_kind(f)) && f->kind != KIND_DICOM_DICOMDIR &&
	       (f->problem == PROB_NONE || f->problem == PROB_DUPLICATE) && !f->duplicate_of_other;
}

static int cmp_sop(const void *a, const void *b)
{
	const struct ing_file *x = *(struct ing_file *const *)a, *y = *(struct ing_file *const *)b;
	int c = strcmp(x->dcm->sop_instance_uid, y->dcm->sop_instance_uid);
	return c ? c : strcmp(x->path, y->path);
}

/* Same SOP Instance UID twice: identical bytes count once; other bytes conflict. */
static void find_duplicates(struct ing_scan *scan)
{
	struct ptrvec v = { 0 };
	for (size_t i = 0; i < scan->files.n; i++) {
		struct ing_file *f = scan->files.v[i];
		if (usable_dicom(f) && f->dcm->sop_instance_uid[0] && f->hashed)
			ptrvec_push(&v, f);
	}
	if (v.n > 1)
		qsort(v.v, v.n, sizeof(void *), cmp_sop);
	for (size_t i = 1; i < v.n; i++) {
		struct ing_file *prev = v.v[i - 1], *f = v.v[i];
		size_t j = i - 1;
		if (strcmp(prev->dcm->sop_instance_uid, f->dcm->sop_instance_uid) != 0)
			continue;
		/* compare with the first of the run that is still counted */
		while (j > 0 && strcmp(((struct ing_file *)v.v[j - 1])->dcm->sop_instance_uid, f->dcm->sop_instance_uid) == 0)
			j--;
		struct ing_file *first = v.v[j];
		bool same = false;
		for (size_t k = j; k < i; k++) {
			struct ing_file *o = v.v[k];
			if (!o->duplicate_of_other && memcmp(o->sha256, f->sha256, 32) == 0)
				same = true;
		}
		if (same)
			f->duplicate_of_other = true;
		else
			file_set_problem(f, PROB_DUPLICATE,
			                 "conflicting duplicate: same SOP Instance UID as \"%s\" but different bytes; "
			                 "both are kept; ask the hospital which copy is right", first->path);
	}
	ptrvec_free(&v, NULL);
}

static int cmp_series_order(const void *a, const void *b)
{
	const struct ing_file *x = *(struct ing_file *const *)a, *y = *(struct ing_file *const *)b;
	int c = strcmp(x->dcm->study_uid, y->dcm->study_uid);
	if (c)
		return c;
	if ((c = strcmp(x->dcm->series_uid, y->dcm->series_uid)))
		return c;
	if (x->dcm->instance_number != y->dcm->instance_number)
		return x->dcm->instance_number < y->dcm->instance_number ? -1 : 1;
	return strcmp(x->path, y->path);
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

static void series_missing(struct inv_series *s)
{
	size_t n = 0;
	int32_t *nums = xmalloc((s->files.n + 1) * sizeof(int32_t));
	for (size_t i = 0; i < s->files.n; i++) {
		struct ing_file *f = s->files.v[i];
		if (f->dcm->has_instance_number)
			nums[n++] = f->dcm->instance_number;
	}
	if (n > 1)
		qsort(nums, n, sizeof(int32_t), cmp_i32);
	for (size_t i = 1; i < n; i++) {
		for (int64_t v = (int64_t)nums[i - 1] + 1; v < nums[i]; v++) {
			if (s->n_missing >= INVENTORY_MAX_MISSING_LISTED) {
				s->missing_truncated = true;
				break;
			}
			s->missing = xrealloc(s->missing, (s->n_missing + 1) * sizeof(int32_t));
			s->missing[s->n_missing++] = (int32_t)v;
		}
	}
	free(nums);
}

struct slice_pos {
	double d;
	int32_t inst;
};

static int cmp_pos(const void *a, const void *b)
{
	double x = ((const struct slice_pos *)a)->d, y = ((const struct slice_pos *)b)->d;
	return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* CT/MR: where slices are regularly spaced, a step of k spacings means k-1 slices missing. */
static void series_slice_gaps(struct inv_series *s)
{
	if (!s->modality || (strcmp(s->modality, "CT") != 0 && strcmp(s->modality, "MR") != 0) || s->files.n < 3)
		return;
	const struct dcm_info *d0 = ((struct ing_file *)s->files.v[0])->dcm;
	if (!d0->has_orientation)
		return;
	const double *o = d0->image_orientation;
	double nrm[3] = { o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3] };
	size_t n = s->files.n;
	struct slice_pos *p = xmalloc(n * sizeof(*p));
	double *diffs = xmalloc(n * sizeof(double));

	for (size_t i = 0; i < n; i++) {
		const struct dcm_info *d = ((struct ing_file *)s->files.v[i])->dcm;
		if (!d->has_position || !d->has_orientation || d->number_of_frames > 1)
			goto out;
		for (int k = 0; k < 6; k++)
			if (fabs(d->image_orientation[k] - o[k]) > 1e-3)
				goto out;   /* mixed orientations: not one stack */
		p[i].d = d->image_position[0] * nrm[0] + d->image_position[1] * nrm[1] + d->image_position[2] * nrm[2];
		p[i].inst = d->has_instance_number ? d->instance_number : -1;
	}
	qsort(p, n, sizeof(*p), cmp_pos);
	for (size_t i = 1; i < n; i++)
		diffs[i - 1] = p[i].d - p[i - 1].d;
	qsort(diffs, n - 1, sizeof(double), cmp_double);
	double med = diffs[(n - 1) / 2];
	if (!(med > 0.01))
		goto out;
	/* Regular spacing: most steps are within 10% of the median. */
	size_t regular = 0;
	for (size_t i = 0; i + 1 < n; i++)
		if (fabs(diffs[i] - med) <= 0.1 * med)
			regular++;
	if (regular * 10 < (n - 1) * 7)
		goto out;
	for (size_t i = 1; i < n && s->n_gaps < INVENTORY_MAX_GAPS_LISTED; i++) {
		double step = p[i].d - p[i - 1].d, ratio = step / med;
		long k = lround(ratio);
		if (ratio > 1.5 && fabs(ratio - (double)k) < 0.2 && k <= 100000) {
			s->gaps = xrealloc(s->gaps, (s->n_gaps + 1) * sizeof(*s->gaps));
			s->gaps[s->n_gaps++] = (struct slice_gap){
				/* named in instance order, whichever way the stack runs */
				.after_instance = MIN(p[i - 1].inst, p[i].inst),
				.before_instance = MAX(p[i - 1].inst, p[i].inst),
				.missing = (int)(k - 1), .spacing_mm = med, .gap_mm = step,
			};
		}
	}
out:
	free(p);
	free(diffs);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void study_finish(struct inv_study *st)
{
	struct ptrvec mods = { 0 };
	const char *d = st->date;
	if (d && strlen(d) >= 8 && isdigit((unsigned char)d[0]) && isdigit((unsigned char)d[7]))
		snprintf(st->date_iso, sizeof(st->date_iso), "%.4s-%.2s-%.2s", d, d + 4, d + 6);
	for (size_t i = 0; i < st->series.n; i++) {
		const char *m = ((struct inv_series *)st->series.v[i])->modality;
		bool seen = false;
		if (!m || !m[0])
			continue;
		for (size_t j = 0; j < mods.n; j++)
			seen |= strcmp(mods.v[j], m) == 0;
		if (!seen)
			ptrvec_push(&mods, (void *)m);
	}
	if (mods.n > 1)
		qsort(mods.v, mods.n, sizeof(void *), cmp_str);
	st->modalities[0] = 0;
	for (size_t j = 0; j < mods.n; j++) {
		size_t l = strlen(st->modalities);
		snprintf(st->modalities + l, sizeof(st->modalities) - l, "%s%s", j ? "," : "", (const char *)mods.v[j]);
	}
	ptrvec_free(&mods, NULL);
}

static void build_studies(struct ing_scan *scan)
{
	struct inventory *inv = &scan->inv;
	struct ptrvec v = { 0 };
	struct inv_study *st = NULL;
	struct inv_series *se = NULL;

	/* A conflicting duplicate stays in the package but is one instance, not two. */
	for (size_t i = 0; i < scan->files.n; i++) {
		struct ing_file *f = scan->files.v[i];
		if (usable_dicom(f) && f->problem == PROB_NONE)
			ptrvec_push(&v, f);
	}
	if (v.n > 1)
		qsort(v.v, v.n, sizeof(void *), cmp_series_order);
	for (size_t i = 0; i < v.n; i++) {
		struct ing_file *f = v.v[i];
		const struct dcm_info *d = f->dcm;
		if (!st || strcmp(st->study_uid, d->study_uid) != 0) {
			st = xcalloc(1, sizeof(*st));
			st->study_uid = d->study_uid;
			st->date = d->study_date;
			st->description = d->study_description;
			st->body_part = d->body_part;
			ptrvec_push(&inv->studies, st);
			se = NULL;
		}
		if (!st->body_part[0] && d->body_part[0])
			st->body_part = d->body_part;
		if (!st->description[0] && d->study_description[0])
			st->description = d->study_description;
		if (!se || strcmp(se->series_uid, d->series_uid) != 0) {
			se = xcalloc(1, sizeof(*se));
			se->series_uid = d->series_uid;
			se->modality = d->modality;
			se->description = d->series_description;
			se->transfer_syntax = d->transfer_syntax;
			ptrvec_push(&st->series, se);
		}
		se->lossy |= d->lossy;
		ptrvec_push(&se->files, f);
		inv->dicom_instances++;
	}
	for (size_t i = 0; i < inv->studies.n; i++) {
		st = inv->studies.v[i];
		for (size_t j = 0; j < st->series.n; j++) {
			series_missing(st->series.v[j]);
			series_slice_gaps(st->series.v[j]);
		}
		study_finish(st);
	}
	ptrvec_free(&v, NULL);
}

/* "Doe^Jane^^" and "DOE JANE" are one person: upper-case, components joined by one space. */
static void normalize_name(const char *in, struct strbuf *b)
{
	bool space = false;
	for (const char *p = in; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '^' || c == ' ' || c == ',' || c == '=') {
			space = b->len > 0;
			continue;
		}
		if (space)
			strbuf_append(b, " ", 1);
		space = false;
		char u = (char)toupper(c);
		strbuf_append(b, &u, 1);
	}
}

/* One identity seen: a DICOM patient (name, birth date, ID) or the patient
 * a document's header names. Compared by name tokens and birth date
 * (docs/design.md, "Patients"); never printed. */
struct inv_ident {
	struct name_tokens nt;        /* n < 2: no name to compare */
	char birth[11], birth_alt[11];
	char *number;                 /* DICOM Patient ID or the document's hospital number */
	char *name;                   /* as written */
	char key[17];
	bool dicom;
	struct inv_patient *patient;  /* the person it was joined to, NULL if none */
};

static char *xstrdup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void ident_free(void *p)
{
	struct inv_ident *id = p;
	name_tokens_free(&id->nt);
	free(id->number);
	free(id->name);
	free(id);
}

static void patient_free(void *p)
{
	struct inv_patient *pt = p;
	ptrvec_free(&pt->studies, NULL);
	ptrvec_free(&pt->documents, NULL);
	ptrvec_free(&pt->members, NULL);
	free(pt);
}

/* The opaque key: SHA-256 over the salt and the identity's text, 16 hex digits. */
static void patient_key(const struct ing_ctx *ctx, const char *m, size_t len, char hex[17])
{
	uint8_t h[32];
	char full[65];
	struct sha256_ctx *c = sha256_new();
	sha256_update(c, ctx->salt, ctx->salt_len);
	sha256_update(c, "\0ingestd-patient\0", 17);
	sha256_update(c, m, len);
	sha256_final(c, h);
	sha256_free(c);
	hex_encode(h, 8, full);
	memcpy(hex, full, 17);
}

/* DICOM's DA "19610302" as "1961-03-02", else "". */
static void dicom_date(const char *da, char iso[11])
{
	iso[0] = 0;
	if (strlen(da) != 8 || strspn(da, "0123456789") != 8)
		return;
	snprintf(iso, 11, "%.4s-%.2s-%.2s", da, da + 4, da + 6);
}

static bool births_agree(const struct inv_ident *a, const struct inv_ident *b)
{
	if (!a->birth[0] || !b->birth[0])
		return true;        /* a different birth date is another person only when both have one */
	const char *x[2] = { a->birth, a->birth_alt }, *y[2] = { b->birth, b->birth_alt };
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++)
			if (x[i][0] && y[j][0] && strcmp(x[i], y[j]) == 0)
				return true;
	return false;
}

/* May A and B be one person? Names in a common script: the same tokens
 * (identity_names_match()) and no differing birth date. Names in no common
 * script ("CHEN^WEI", "陈伟") cannot be told apart by name: only a differing
 * birth date parts them (*BLIND set). Without a name on one side: the same
 * number. */
static bool same_person(const struct inv_ident *a, const struct inv_ident *b, bool *blind)
{
	*blind = false;
	if (a->nt.n >= 2 && b->nt.n >= 2) {
		if (identity_names_comparable(&a->nt, &b->nt))
			return identity_names_match(&a->nt, &b->nt) && births_agree(a, b);
		*blind = true;
		return births_agree(a, b);
	}
	return a->number && b->number && strcmp(a->number, b->number) == 0 && births_agree(a, b);
}

enum join { JOIN_NO, JOIN_BLIND, JOIN_YES };

/* Does ID join patient P? A named identity must be one person with every
 * named member (no chain "Ravi Patel" ~ "Ravi K. Patel" ~ "Ravi S. Patel"
 * makes two different people one), and is JOIN_YES when a name or number
 * matched, JOIN_BLIND when only names in other scripts did not contradict
 * it; an identity with only a number joins a patient one of whose members
 * has that number. */
static enum join joins(const struct inv_patient *p, const struct inv_ident *id, bool *comparable)
{
	bool named = id->nt.n >= 2, yes = false, blind_any = false;
	for (size_t i = 0; i < p->members.n; i++) {
		const struct inv_ident *m = p->members.v[i];
		bool blind;
		if (named && m->nt.n >= 2) {
			bool same = same_person(m, id, &blind);
			*comparable |= !blind;
			if (!same)
				return JOIN_NO;
			yes |= !blind;
			blind_any |= blind;
		} else if (same_person(m, id, &blind)) {
			if (!named)
				return JOIN_YES;
			yes = true;
		}
	}
	return yes ? JOIN_YES : blind_any ? JOIN_BLIND : JOIN_NO;
}

static struct inv_patient *new_patient(struct inventory *inv, struct inv_ident *id);

/* ID to the first patient it is one person with. Else, when no patient's
 * name is written in its script and only names in other scripts fit (no
 * birth date against it), to the one such patient (several: to none, it
 * cannot be told). Else, a patient of its own when MAY_START: a name that
 * could be compared with others and matched none is another person. */
static struct inv_patient *place(struct inventory *inv, struct inv_ident *id, bool may_start)
{
	struct inv_patient *blind = NULL;
	size_t n_blind = 0;
	bool comparable = false;
	for (size_t j = 0; j < inv->patients.n; j++) {
		struct inv_patient *p = inv->patients.v[j];
		enum join r = strcmp(p->key, id->key) == 0 ? JOIN_YES : joins(p, id, &comparable);
		if (r == JOIN_YES) {
			ptrvec_push(&p->members, id);
			return id->patient = p;
		}
		if (r == JOIN_BLIND && !n_blind++)
			blind = p;
	}
	if (n_blind == 1 && !comparable) {
		ptrvec_push(&blind->members, id);
		return id->patient = blind;
	}
	if ((n_blind > 1 && !comparable) || !may_start)
		return NULL;
	return new_patient(inv, id);
}

static struct inv_patient *new_patient(struct inventory *inv, struct inv_ident *id)
{
	struct inv_patient *p = xcalloc(1, sizeof(*p));
	memcpy(p->key, id->key, 17);
	ptrvec_push(&p->members, id);
	ptrvec_push(&inv->patients, p);
	return id->patient = p;
}

static const struct vocab *scan_vocab(const struct ing_scan *scan)
{
	return scan->rules ? scan->rules->vocab : NULL;
}

/* The identity key of a DICOM object's patient: its normalised name and
 * birth date, else its Patient ID; false when it has neither. */
static bool dicom_patient_key(const struct ing_scan *scan, const struct dcm_info *d, char hex[17])
{
	struct strbuf m;
	strbuf_init(&m, 1024);
	normalize_name(d->patient_name, &m);
	if (m.len)
		strbuf_printf(&m, "|%s", d->patient_birth_date);
	else if (d->patient_id[0])
		strbuf_printf(&m, "id:%s", d->patient_id);
	bool any = m.len > 0;
	if (any)
		patient_key(scan->ctx, m.s, m.len, hex);
	strbuf_free(&m);
	return any;
}

/* The people the records belong to: the DICOM patients (one key per name +
 * birth date, or ID), then the patients the documents name, each joined to
 * the first patient it is one person with, else a patient of its own (a
 * document with only a number that matches no one names no one). */
static void build_patients(struct ing_scan *scan, struct ptrvec *idents)
{
	struct inventory *inv = &scan->inv;
	const struct vocab *v = scan_vocab(scan);

	for (size_t i = 0; i < scan->files.n; i++) {
		struct ing_file *f = scan->files.v[i];
		if (!f->dcm || !kind_is_dicom(file_dicom_kind(f)) || f->kind == KIND_DICOM_DICOMDIR)
			continue;
		char hex[17];
		if (!dicom_patient_key(scan, f->dcm, hex))
			continue;   /* no identity at all: nothing to compare */
		struct inv_patient *p = NULL;
		for (size_t j = 0; j < idents->n && !p; j++)
			if (strcmp(((struct inv_ident *)idents->v[j])->key, hex) == 0)
				p = ((struct inv_ident *)idents->v[j])->patient;
		if (!p) {
			struct inv_ident *id = xcalloc(1, sizeof(*id));
			memcpy(id->key, hex, 17);
			id->dicom = true;
			(void)identity_name_tokens(v, f->dcm->patient_name, strlen(f->dcm->patient_name), &id->nt);
			dicom_date(f->dcm->patient_birth_date, id->birth);
			id->number = f->dcm->patient_id[0] ? xstrdup(f->dcm->patient_id) : NULL;
			id->name = f->dcm->patient_name[0] ? xstrdup(f->dcm->patient_name) : NULL;
			ptrvec_push(idents, id);
			p = place(inv, id, true);
			if (!p)     /* a DICOM patient that cannot be told from several others is one of its own */
				p = new_patient(inv, id);
		}
		p->sources++;
	}
	for (size_t i = 0; i < scan->files.n; i++) {
		struct ing_file *f = scan->files.v[i];
		const struct doc_identity *di = f->doc ? f->doc->identity : NULL;
		if (!di || kind_is_excluded(f->kind) || (!di->name && !di->number))
			continue;
		struct inv_ident *id = xcalloc(1, sizeof(*id));
		(void)identity_name_tokens(v, di->name, di->name ? strlen(di->name) : 0, &id->nt);
		memcpy(id->birth, di->birth, sizeof(id->birth));
		memcpy(id->birth_alt, di->birth_alt, sizeof(id->birth_alt));
		id->number = xstrdup_or_null(di->number);
		id->name = xstrdup_or_null(di->name);
		if (id->nt.n < 2 && !id->number) {
			ident_free(id);     /* one word is too little to tell anyone apart */
			continue;
		}
		/* the key as a DICOM header with this name and birth date would have it */
		struct strbuf m;
		strbuf_init(&m, 1024);
		if (id->nt.n >= 2) {
			normalize_name(di->name, &m);
			strbuf_printf(&m, "|%.4s%.2s%.2s", di->birth, di->birth[0] ? di->birth + 5 : "",
			              di->birth[0] ? di->birth + 8 : "");
		} else {
			strbuf_printf(&m, "id:%s", id->number);
		}
		patient_key(scan->ctx, m.s, m.len, id->key);
		strbuf_free(&m);
		/* the same name and birth date again (one person's many documents):
		 * its patient, without comparing again (the work stays linear in the
		 * documents, quadratic only in the distinct identities) */
		struct inv_ident *seen = NULL;
		for (size_t j = 0; j < idents->n && !seen; j++)
			if (strcmp(((struct inv_ident *)idents->v[j])->key, id->key) == 0)
				seen = idents->v[j];
		struct inv_patient *p;
		if (seen) {
			p = seen->patient;
			ident_free(id);
		} else {
			ptrvec_push(idents, id);
			p = place(inv, id, id->nt.n >= 2);
		}
		if (p) {
			p->sources++;
			ptrvec_push(&p->documents, f);
		}
	}
}

/* Each study to the patient its first image names. */
static void patients_studies(struct ing_scan *scan, const struct ptrvec *idents)
{
	struct inventory *inv = &scan->inv;
	for (size_t i = 0; i < inv->studies.n; i++) {
		struct inv_study *st = inv->studies.v[i];
		const struct inv_series *se = st->series.n ? st->series.v[0] : NULL;
		const struct ing_file *f = se && se->files.n ? se->files.v[0] : NULL;
		if (!f || !f->dcm)
			continue;
		char hex[17];
		if (dicom_patient_key(scan, f->dcm, hex)) {
			for (size_t j = 0; j < idents->n; j++) {
				const struct inv_ident *id = idents->v[j];
				if (id->dicom && id->patient && strcmp(id->key, hex) == 0) {
					ptrvec_push(&id->patient->studies, st);
					break;
				}
			}
		}
	}
}

/* ---- the file-set as a PACS files it (struct inv_pacs) ---- */

struct pobj {
	const struct ing_file *f;
	const char *id;                     /* Patient ID, trimmed ("" when none) */
	bool pad;                           /* as its bytes read, with a pad byte */
	const struct inv_patient *person;   /* of the inventory; NULL: names no one */
};

/* The PACS's own order: patient (ID as its bytes read), study, series, instance. */
static int cmp_pacs(const void *a, const void *b)
{
	const struct pobj *x = a, *y = b;
	int c = strcmp(x->id, y->id);
	if (c || (c = (int)x->pad - (int)y->pad))
		return c;
	if ((c = strcmp(x->f->dcm->study_uid, y->f->dcm->study_uid)))
		return c;
	if ((c = strcmp(x->f->dcm->series_uid, y->f->dcm->series_uid)))
		return c;
	if ((c = strcmp(x->f->dcm->sop_instance_uid, y->f->dcm->sop_instance_uid)))
		return c;
	return strcmp(x->f->path, y->f->path);
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;
	return (x > y) - (x < y);
}

/* By person (those naming no one last), then ID, then path. */
static int cmp_person_id(const void *a, const void *b)
{
	const struct pobj *x = a, *y = b;
	if (x->person != y->person) {
		if (!x->person || !y->person)
			return x->person ? -1 : 1;
		return (uintptr_t)x->person < (uintptr_t)y->person ? -1 : 1;
	}
	int c = strcmp(x->id, y->id);
	return c ? c : strcmp(x->f->path, y->f->path);
}

/* The PATIENT record of a DICOMDIR: name, ID and birth date as written. */
static int cmp_record(const struct pobj *x, const struct pobj *y)
{
	const struct dcm_info *a = x->f->dcm, *b = y->f->dcm;
	int c = strcmp(a->patient_name, b->patient_name);
	if (c || (c = strcmp(a->patient_id, b->patient_id)))
		return c;
	return strcmp(a->patient_birth_date, b->patient_birth_date);
}

static int cmp_fileset(const void *a, const void *b)
{
	const struct pobj *x = a, *y = b;
	int c = cmp_record(x, y);
	if (c || (c = strcmp(x->f->dcm->study_uid, y->f->dcm->study_uid)))
		return c;
	if ((c = strcmp(x->f->dcm->series_uid, y->f->dcm->series_uid)))
		return c;
	return strcmp(x->f->path, y->f->path);
}

static bool same_person_obj(const struct pobj *x, const struct pobj *y)
{
	return x->person == y->person;
}

static bool same_study_obj(const struct pobj *x, const struct pobj *y)
{
	return strcmp(x->f->dcm->study_uid, y->f->dcm->study_uid) == 0;
}

/* The runs of V (sorted by SAME's group, then cmp_record()) whose group is
 * written as more than one DICOMDIR record: counted in *GROUPS and *RECORDS,
 * one object of each record in OUT. */
static void split_runs(const struct pobj *v, size_t n, bool (*same)(const struct pobj *, const struct pobj *),
                       unsigned *groups, unsigned *records, struct ptrvec *out)
{
	for (size_t i = 0, j; i < n; i = j) {
		size_t recs = 1;
		for (j = i + 1; j < n && same(&v[j], &v[i]); j++)
			recs += cmp_record(&v[j], &v[j - 1]) != 0;
		if (recs < 2)
			continue;
		(*groups)++;
		*records += (unsigned)recs;
		for (size_t x = i; x < j; x++)
			if (x == i || cmp_record(&v[x], &v[x - 1]) != 0)
				ptrvec_push(out, (void *)v[x].f);
	}
}

static int cmp_person_record(const void *a, const void *b)
{
	const struct pobj *x = a, *y = b;
	if (x->person != y->person) {
		if (!x->person || !y->person)
			return x->person ? -1 : 1;
		return (uintptr_t)x->person < (uintptr_t)y->person ? -1 : 1;
	}
	int c = cmp_record(x, y);
	return c ? c : strcmp(x->f->path, y->f->path);
}

static int cmp_study_record(const void *a, const void *b)
{
	const struct pobj *x = a, *y = b;
	int c = strcmp(x->f->dcm->study_uid, y->f->dcm->study_uid);
	if (c || (c = cmp_record(x, y)))
		return c;
	return strcmp(x->f->path, y->f->path);
}

/* The DICOMDIR's view of V (struct inv_fileset): V is sorted again. */
static void fileset_view(struct inv_fileset *fs, struct pobj *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_fileset);
	for (size_t i = 0; i < n; i++) {
		const struct dcm_info *d = v[i].f->dcm, *p = i ? v[i - 1].f->dcm : NULL;
		bool np = !p || cmp_record(&v[i], &v[i - 1]) != 0;
		bool ns = np || strcmp(d->study_uid, p->study_uid) != 0;
		fs->patients += np;
		fs->studies += ns;
		fs->series += ns || strcmp(d->series_uid, p->series_uid) != 0;
		fs->instances++;
		fs->unnamed_records += np && !v[i].person;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_person_record);
	size_t named = 0;              /* objects of a person: sorted first */
	while (named < n && v[named].person)
		named++;
	split_runs(v, named, same_person_obj, &fs->split_people, &fs->split_records, &fs->split);
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_study_record);
	split_runs(v, n, same_study_obj, &fs->split_studies, &fs->split_study_records, &fs->split_study);
}

static int cmp_study_id(const void *a, const void *b)
{
	const struct pobj *x = a, *y = b;
	int c = strcmp(x->f->dcm->study_uid, y->f->dcm->study_uid);
	if (c || (c = strcmp(x->id, y->id)))
		return c;
	return strcmp(x->f->path, y->f->path);
}

/* The distinct people among the N of V (NULL: no one): V sorted in place. */
static size_t distinct_people(const struct inv_patient **v, size_t n)
{
	size_t k = 0;
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_ptr);
	for (size_t i = 0; i < n; i++)
		k += v[i] && (i == 0 || v[i] != v[i - 1]);
	return k;
}

/* How a PACS files the payload's DICOM objects: by Patient ID as its bytes
 * read (PS3.4 C.6.1.1.2: the patient level's unique key), then study, series
 * and instance under it (Orthanc: each level a hash of the levels above).
 * Counts that, and each reason it parts from the inventory: objects without
 * an ID (one patient in a PACS, whoever they are), an ID kept with its pad
 * byte beside the same ID without, an ID several people carry, a person
 * under several IDs, a study under several IDs. */
static void pacs_view(struct ing_scan *scan, const struct ptrvec *idents)
{
	struct inv_pacs *pc = &scan->inv.pacs;
	size_t n = 0;
	struct pobj *v = xmalloc((scan->files.n + 1) * sizeof(*v));
	const struct inv_patient **people = xmalloc((scan->files.n + 1) * sizeof(*people));

	for (size_t i = 0; i < scan->files.n; i++) {
		const struct ing_file *f = scan->files.v[i];
		if (!usable_dicom(f))
			continue;
		const struct inv_patient *person = NULL;
		char hex[17];
		if (dicom_patient_key(scan, f->dcm, hex))
			for (size_t j = 0; j < idents->n && !person; j++)
				if (strcmp(((const struct inv_ident *)idents->v[j])->key, hex) == 0)
					person = ((const struct inv_ident *)idents->v[j])->patient;
		v[n++] = (struct pobj){ f, f->dcm->patient_id, f->dcm->patient_id_padded, person };
	}
	/* the counts, and the objects without an ID or with a padded one */
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_pacs);
	for (size_t i = 0; i < n; i++) {
		const struct dcm_info *d = v[i].f->dcm, *p = i ? v[i - 1].f->dcm : NULL;
		bool np = !p || strcmp(v[i].id, v[i - 1].id) != 0 || v[i].pad != v[i - 1].pad;
		bool ns = np || strcmp(d->study_uid, p->study_uid) != 0;
		bool nse = ns || strcmp(d->series_uid, p->series_uid) != 0;
		bool ni = nse || strcmp(d->sop_instance_uid, p->sop_instance_uid) != 0;
		pc->patients += np;
		pc->studies += ns;
		pc->series += nse;
		pc->instances += ni;
	}
	for (size_t i = 0, j; i < n; i = j) {
		size_t pads = 0, k = 0;
		for (j = i; j < n && strcmp(v[j].id, v[i].id) == 0; j++) {
			pads += v[j].pad;
			people[k++] = v[j].person;
		}
		if (!v[i].id[0]) {
			for (size_t x = i; x < j; x++) {
				ptrvec_push(&pc->no_id, (void *)v[x].f);
				pc->no_id_unnamed += !v[x].person;
			}
			pc->no_id_people = (unsigned)distinct_people(people, k);
			continue;
		}
		if (pads && pads < j - i) {
			pc->padded_ids++;
			pc->padded_beside += (unsigned)(j - i - pads);
			for (size_t x = i; x < j; x++)
				if (v[x].pad)
					ptrvec_push(&pc->padded, (void *)v[x].f);
		}
		size_t np = distinct_people(people, k);
		if (np > 1) {
			pc->shared_ids++;
			pc->shared_people += (unsigned)np;
			const struct inv_patient *last = NULL;
			for (size_t x = 0; x < k; x++)
				if (people[x] && people[x] != last) {
					last = people[x];
					for (size_t y = i; y < j; y++)
						if (v[y].person == last) {
							ptrvec_push(&pc->shared, (void *)v[y].f);
							break;
						}
				}
		}
	}
	/* a person under several IDs */
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_person_id);
	for (size_t i = 0, j; i < n && v[i].person; i = j) {
		size_t ids = 0;
		for (j = i; j < n && v[j].person == v[i].person; j++)
			ids += v[j].id[0] && (j == i || strcmp(v[j].id, v[j - 1].id) != 0);
		if (ids < 2)
			continue;
		pc->split_people++;
		pc->split_ids += (unsigned)ids;
		for (size_t x = i; x < j; x++)
			if (v[x].id[0] && (x == i || strcmp(v[x].id, v[x - 1].id) != 0))
				ptrvec_push(&pc->split, (void *)v[x].f);
	}
	/* a study under several IDs */
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_study_id);
	for (size_t i = 0, j; i < n; i = j) {
		size_t ids = 1;
		for (j = i + 1; j < n && strcmp(v[j].f->dcm->study_uid, v[i].f->dcm->study_uid) == 0; j++)
			ids += strcmp(v[j].id, v[j - 1].id) != 0;
		if (ids < 2)
			continue;
		pc->split_studies++;
		pc->split_study_ids += (unsigned)ids;
		for (size_t x = i; x < j; x++)
			if (x == i || strcmp(v[x].id, v[x - 1].id) != 0)
				ptrvec_push(&pc->split_study, (void *)v[x].f);
	}
	fileset_view(&scan->inv.fileset, v, n);
	free(people);
	free(v);
}

/* Comparable form of a path for references written on real discs: upper
 * case, '\\' as '/', no ISO 9660 version suffix (";1") or trailing dot. */
static char *ref_norm(const char *p)
{
	char *s = xstrdup(p), *o = s;
	for (const char *i = p; *i; i++) {
		if (*i == ';') {     /* ";1" ends a component */
			while (i[1] && i[1] != '/' && i[1] != '\\')
				i++;
			continue;
		}
		*o++ = *i == '\\' ? '/' : (char)toupper((unsigned char)*i);
	}
	*o = 0;
	/* "IM000001." -> "IM000001" (per component) */
	char *r = s, *w = s;
	for (; *r; r++) {
		if (*r == '.' && (r[1] == '/' || r[1] == 0))
			continue;
		*w++ = *r;
	}
	*w = 0;
	return s;
}

struct pathent {
	const char *key;
	struct ing_file *f;
};

static int cmp_pathent(const void *a, const void *b)
{
	return strcmp(((const struct pathent *)a)->key, ((const struct pathent *)b)->key);
}

static struct ing_file *path_lookup(struct pathent *v, size_t n, const char *key)
{
	struct pathent k = { key, NULL }, *hit = n ? bsearch(&k, v, n, sizeof(*v), cmp_pathent) : NULL;
	return hit ? hit->f : NULL;
}

static bool under_dir(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return n == 0 || (strncmp(path, dir, n) == 0 && path[n] == '/');
}

static void check_dicomdirs(struct ing_scan *scan)
{
	struct inventory *inv = &scan->inv;
	size_t nf = scan->files.n;
	struct pathent *exact = NULL, *folded = NULL;
	bool viewer = false;

	for (size_t i = 0; i < nf; i++) {
		const struct ing_file *f = scan->files.v[i];
		viewer |= f->kind == KIND_VIEWER;
	}
	for (size_t d = 0; d < nf; d++) {
		struct ing_file *ddf = scan->files.v[d];
		if (ddf->kind != KIND_DICOM_DICOMDIR || ddf->problem != PROB_NONE)
			continue;
		if (!exact) {
			exact = xmalloc(nf * sizeof(*exact));
			folded = xmalloc(nf * sizeof(*folded));
			for (size_t i = 0; i < nf; i++) {
				struct ing_file *f = scan->files.v[i];
				exact[i] = (struct pathent){ f->path, f };
				folded[i] = (struct pathent){ ref_norm(f->path), f };
			}
			qsort(exact, nf, sizeof(*exact), cmp_pathent);
			qsort(folded, nf, sizeof(*folded), cmp_pathent);
		}
		struct inv_dicomdir *dd = xcalloc(1, sizeof(*dd));
		const char *slash = strrchr(ddf->path, '/');
		_cleanup_free_ char *dir = slash ? xstrndup(ddf->path, (size_t)(slash - ddf->path)) : xstrdup("");
		/* the root of the drop, or of an archive or disc image inside it */
		dd->at_root = !slash || (slash > ddf->path && slash[-1] == '!');
		dd->file = ddf;
		dd->viewer = viewer;
		ptrvec_push(&inv->dicomdirs, dd);

		bool *referenced = xcalloc(nf ? nf : 1, sizeof(bool));
		for (size_t r = 0; r < ddf->n_dd_refs; r++) {
			const struct dicomdir_ref *ref = &ddf->dd_refs[r];
			_cleanup_free_ char *full = dir[0] ? xasprintf("%s/%s", dir, ref->file_id) : xstrdup(ref->file_id);
			struct ing_file *hit = path_lookup(exact, nf, full);
			dd->refs++;
			if (!hit) {
				_cleanup_free_ char *norm = ref_norm(full);
				hit = path_lookup(folded, nf, norm);
				if (hit) {
					if (!dd->case_resolved)
						dd->case_example = xasprintf("%s -> %s", ref->file_id, hit->path);
					dd->case_resolved++;
				}
			}
			if (!hit) {
				ptrvec_push(&dd->missing, xstrdup(ref->file_id));
				continue;
			}
			for (size_t i = 0; i < nf; i++)
				if (scan->files.v[i] == hit)
					referenced[i] = true;
			if (hit->dcm && ref->sop_uid && ref->sop_uid[0] && hit->dcm->sop_instance_uid[0] &&
			    strcmp(hit->dcm->sop_instance_uid, ref->sop_uid) != 0)
				dd->uid_mismatch++;
		}
		for (size_t i = 0; i < nf; i++) {
			struct ing_file *f = scan->files.v[i];
			const char *base = path_basename(f->path);
			if (f == ddf || !under_dir(f->path, dir))
				continue;
			if (kind_is_dicom(file_dicom_kind(f)) && f->kind != KIND_DICOM_DICOMDIR && !referenced[i])
				ptrvec_push(&dd->unreferenced, f);
			bool beside = (size_t)(base - f->path) == (dir[0] ? strlen(dir) + 1 : 0);
			if (beside && strncasecmp(base, "README", 6) == 0)
				dd->readme = true;
			if (strncasecmp(f->path + (dir[0] ? strlen(dir) + 1 : 0), "IHE_PDI/", 8) == 0)
				dd->ihe_pdi_folder = true;
		}
		free(referenced);
	}
	if (folded)
		for (size_t i = 0; i < nf; i++)
			free((char *)folded[i].key);
	free(exact);
	free(folded);
}

void inventory_build(struct ing_scan *scan)
{
	struct inventory *inv = &scan->inv;
	find_duplicates(scan);
	build_studies(scan);
	check_dicomdirs(scan);
	{
		struct ptrvec idents = { 0 };
		build_patients(scan, &idents);
		patients_studies(scan, &idents);
		pacs_view(scan, &idents);
		for (size_t i = 0; i < inv->patients.n; i++)
			ptrvec_free(&((struct inv_patient *)inv->patients.v[i])->members, NULL);
		ptrvec_free(&idents, ident_free);
	}
	for (size_t i = 0; i < scan->files.n; i++) {
		struct ing_file *f = scan->files.v[i];
		if (f->problem != PROB_NONE)
			ptrvec_push(&inv->problems, f);
		if (kind_is_excluded(f->kind))
			ptrvec_push(&inv->excluded, f);
		else if (kind_is_document(f->kind) || (f->kind == KIND_UNKNOWN && f->problem == PROB_NONE))
			ptrvec_push(&inv->documents, f);
	}
}

static void series_free(void *p)
{
	struct inv_series *s = p;
	ptrvec_free(&s->files, NULL);
	free(s->missing);
	free(s->gaps);
	free(s);
}

static void study_free(void *p)
{
	struct inv_study *st = p;
	ptrvec_free(&st->series, series_free);
	free(st);
}

static void dicomdir_free(void *p)
{
	struct inv_dicomdir *dd = p;
	ptrvec_free(&dd->missing, free);
	ptrvec_free(&dd->unreferenced, NULL);
	free(dd->case_example);
	free(dd);
}

void inventory_free(struct inventory *inv)
{
	ptrvec_free(&inv->dicomdirs, dicomdir_free);
	ptrvec_free(&inv->patients, patient_free);
	ptrvec_free(&inv->studies, study_free);
	ptrvec_free(&inv->documents, NULL);
	ptrvec_free(&inv->excluded, NULL);
	ptrvec_free(&inv->problems, NULL);
	ptrvec_free(&inv->pacs.no_id, NULL);
	ptrvec_free(&inv->pacs.padded, NULL);
	ptrvec_free(&inv->pacs.shared, NULL);
	ptrvec_free(&inv->pacs.split, NULL);
	ptrvec_free(&inv->pacs.split_study, NULL);
	ptrvec_free(&inv->fileset.split, NULL);
	ptrvec_free(&inv->fileset.split_study, NULL);
}
