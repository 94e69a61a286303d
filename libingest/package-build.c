/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Building a case's bag (docs/package.md): the payload laid out from the
 * staged files (DICOM by patient, study and series; documents by kind), the
 * DICOMDIR, the tag files (manifests, provenance, reports, bag-info), and
 * everything fsync'ed before ing_package_publish() may show it.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>

#include "bagit.h"
#include "build-config.h"
#include "package.h"
#include "testhooks.h"
#include "thumbs.h"

#define RM_MAX_DEPTH 64
#define COPY_CHUNK (1u << 20)

static bool token_valid(const char *s)
{
	return package_case_id_valid(s);
}

/* mkdir -p for a relative path's parent folders; nothing when they are the
 * ones made last (*made: 4 mkdirat() per DICOM file were 10,400 calls for
 * the bench DVD). */
static int mkdir_parents(int dfd, const char *path, char **made)
{
	const char *slash = strrchr(path, '/');
	size_t dl = slash ? (size_t)(slash - path) : 0;
	if (*made && strlen(*made) == dl && strncmp(*made, path, dl) == 0)
		return 0;
	_cleanup_free_ char *p = xstrdup(path);
	for (char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		int r = package_mkdir_at(dfd, p);
		*s = '/';
		if (r < 0)
			return r;
	}
	free(*made);
	*made = xstrndup(path, dl);
	return 0;
}

/* Across filesystems only: clone, else copy in the kernel. */
static int copy_file_at(int sfd, const char *sname, int dfd, const char *dname)
{
	int in = openat(sfd, sname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return -errno;
	int out = openat(dfd, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (out < 0) {
		int e = -errno;
		close(in);
		return e;
	}
	int r = 0;
#ifdef FICLONE
	if (ioctl(out, FICLONE, in) == 0)
		goto done;
#endif
	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, COPY_CHUNK, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
	}
#ifdef FICLONE
done:
#endif
	close(in);
	if (close(out) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		(void)unlinkat(dfd, dname, 0);
	return r;
}

static int move_file(int sfd, const char *sname, int dfd, const char *dname)
{
	if (renameat(sfd, sname, dfd, dname) == 0)
		return 0;
	if (errno != EXDEV)
		return -errno;
	return copy_file_at(sfd, sname, dfd, dname);
}

/* ---- payload layout ---- */

struct node {                  /* a patient, study or series folder */
	char *key;
	unsigned number;           /* its Pnnnnnnn / Snnnnnnn / Rnnnnnnn number */
	unsigned children;         /* numbers handed out below it */
	struct ptrvec sub;         /* struct node* */
};

static void node_free(void *p)
{
	struct node *n = p;
	ptrvec_free(&n->sub, node_free);
	free(n->key);
	free(n);
}

static struct node *node_child(struct node *parent, const char *key)
{
	for (size_t i = 0; i < parent->sub.n; i++) {
		struct node *c = parent->sub.v[i];
		if (strcmp(c->key, key) == 0)
			return c;
	}
	struct node *c = xcalloc(1, sizeof(*c));
	c->key = xstrdup(key);
	c->number = ++parent->children;
	ptrvec_push(&parent->sub, c);
	return c;
}

static struct payload_item *item_add(struct ing_package *pkg, const struct ing_file *f, char *path)
{
	struct payload_item *it = xcalloc(1, sizeof(*it));
	it->f = f;
	it->path = path;
	if (f && f->prefix) {        /* stored with file meta before the received bytes */
		memcpy(it->sha256, f->prefix->sha256, 32);
		it->size = f->prefix->len + f->size;
	} else if (f) {
		memcpy(it->sha256, f->sha256, 32);
		it->size = f->size;
	}
	ptrvec_push(&pkg->items, it);
	return it;
}

static int place_dicom(struct ing_package *pkg, int stagefd, int datafd, struct node *root, const struct ing_file *f)
{
	const struct dcm_info *d = f->dcm;
	_cleanup_free_ char *pkey = xasprintf("%s|%s|%s", d->patient_name, d->patient_id, d->patient_birth_date);
	struct node *p = node_child(root, pkey);
	struct node *st = node_child(p, d->study_uid);
	struct node *se = node_child(st, d->series_uid);
	unsigned inst = ++se->children;
	if (p->number > 9999999 || st->number > 9999999 || se->number > 9999999 || inst > 9999999)
		return -E2BIG;
	_cleanup_free_ char *rel = xasprintf("DICOM/P%07u/S%07u/R%07u/I%07u", p->number, st->number, se->number, inst);
	int r = mkdir_parents(datafd, rel, &pkg->made_dir);
	if (r < 0)
		return r;
	if ((r = move_file(stagefd, f->staged, datafd, rel)) < 0)
		return r;
	struct payload_item *it = item_add(pkg, f, xasprintf("data/%s", rel));
	it->dicom = true;
	pkg->dicom_files++;
	return 0;
}

struct file_at {
	const struct ing_file *f;
	size_t i;                  /* its index in scan->files */
};

static int cmp_file_at(const void *a, const void *b)
{
	const struct file_at *x = a, *y = b;
	int c = strcmp(x->f->path, y->f->path);
	return c ? c : (x->i > y->i) - (x->i < y->i);
}

static bool packable_dicom(const struct ing_file *f)
{
	return f->dcm && kind_is_dicom(file_dicom_kind(f)) && f->kind != KIND_DICOM_DICOMDIR && f->staged && f->hashed &&
	       (!f->prefix || f->prefix->hashed) &&
	       (f->problem == PROB_NONE || f->problem == PROB_DUPLICATE) && !f->duplicate_of_other;
}

static bool packable_document(const struct ing_file *f)
{
	return !f->dcm && f->staged && f->hashed && f->problem == PROB_NONE &&
	       (kind_is_document(f->kind) || f->kind == KIND_UNKNOWN);
}

/* A document's name in the package: its own base name, with no '/', '\',
 * control character or '%', no leading dot, at most PACKAGE_MAX_DOC_NAME bytes with
 * the extension kept, cut on a UTF-8 boundary. */
static char *sanitize_name(const char *path)
{
	const char *base = path;
	for (const char *s = path; *s; s++)
		if (*s == '/')
			base = s + 1;
	struct strbuf b;
	strbuf_init(&b, 4 * PACKAGE_MAX_DOC_NAME);
	for (const char *s = base; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f || c == '\\' || c == '%' || c == ':' || c == '*' || c == '?' || c == '"' ||
		    c == '<' || c == '>' || c == '|')
			c = '_';
		if (b.len == 0 && (c == '.' || c == ' '))
			continue;
		strbuf_append(&b, &c, 1);
	}
	char *name = strbuf_steal(&b);
	/* trailing dots and spaces are trouble on Windows receivers */
	size_t n = strlen(name);
	while (n > 0 && (name[n - 1] == '.' || name[n - 1] == ' '))
		name[--n] = 0;
	if (n == 0) {
		free(name);
		return xstrdup("document");
	}
	if (n > PACKAGE_MAX_DOC_NAME) {
		const char *dot = strrchr(name, '.');
		size_t ext = dot && (size_t)(name + n - dot) <= 16 ? (size_t)(name + n - dot) : 0;
		size_t keep = PACKAGE_MAX_DOC_NAME - ext;
		while (keep > 0 && ((unsigned char)name[keep] & 0xC0) == 0x80)
			keep--;      /* do not split a UTF-8 sequence */
		memmove(name + keep, name + n - ext, ext + 1);
	}
	return name;
}

/* The documents' payload paths given so far, compared as receivers may
 * compare them (ASCII case folded), in a hash set: a drop of 100,000 files
 * must not cost 100,000 comparisons each. With each name, the next "-k" to
 * try when it comes again (so 100,000 files of one name do not try k = 2, 3,
 * ... each). */
struct name_set {
	struct name_ent {
		char *name;
		unsigned next_k;
	} *v;
	size_t n, cap;              /* cap: a power of two, or 0 */
};

static uint64_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;     /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)tolower((unsigned char)*s)) * 0x100000001b3ull;
	return h;
}

/* The entry of NAME, added (with next_k 2) if ADD and it is not there. */
static struct name_ent *name_set_get(struct name_set *ns, const char *name, bool add, bool *added)
{
	*added = false;
	if (add && (ns->n + 1) * 2 > ns->cap) {
		struct name_set bigger = { .cap = ns->cap ? ns->cap * 2 : 1024 };
		bigger.v = xcalloc(bigger.cap, sizeof(*bigger.v));
		for (size_t i = 0; i < ns->cap; i++) {
			if (!ns->v[i].name)
				continue;
			size_t j = name_hash(ns->v[i].name) & (bigger.cap - 1);
			while (bigger.v[j].name)
				j = (j + 1) & (bigger.cap - 1);
			bigger.v[j] = ns->v[i];
		}
		free(ns->v);
		ns->v = bigger.v;
		ns->cap = bigger.cap;
	}
	if (!ns->cap)
		return NULL;
	size_t j = name_hash(name) & (ns->cap - 1);
	for (; ns->v[j].name; j = (j + 1) & (ns->cap - 1))
		if (strcasecmp(ns->v[j].name, name) == 0)   /* receivers may fold case */
			return &ns->v[j];
	if (!add)
		return NULL;
	ns->v[j].name = xstrdup(name);
	ns->v[j].next_k = 2;
	ns->n++;
	*added = true;
	return &ns->v[j];
}

static void name_set_free(struct name_set *ns)
{
	for (size_t i = 0; i < ns->cap; i++)
		free(ns->v[i].name);
	free(ns->v);
}

/* Takes DIR/NAME if it is free: false, else true. */
static bool name_taken(struct name_set *used, const char *dir, const char *name)
{
	_cleanup_free_ char *full = xasprintf("%s/%s", dir, name);
	bool added;
	name_set_get(used, full, true, &added);
	return !added;
}

static int place_document(struct ing_package *pkg, int stagefd, int datafd, struct name_set *used,
                          const struct ing_file *f)
{
	_cleanup_free_ char *dir = xasprintf("documents/%s", kind_name(f->kind));
	_cleanup_free_ char *name = sanitize_name(f->path);
	char *dot = strrchr(name, '.');
	_cleanup_free_ char *stem = dot && dot != name ? xstrndup(name, (size_t)(dot - name)) : xstrdup(name);
	const char *ext = dot && dot != name ? dot : "";
	_cleanup_free_ char *cand = xstrdup(name);
	if (name_taken(used, dir, cand)) {
		_cleanup_free_ char *full = xasprintf("%s/%s", dir, name);
		bool added;
		struct name_ent *e = name_set_get(used, full, false, &added);
		unsigned k = e->next_k;
		do {
			free(cand);
			cand = xasprintf("%s-%u%s", stem, k++, ext);
		} while (name_taken(used, dir, cand));
		e = name_set_get(used, full, false, &added);   /* the set may have grown */
		e->next_k = k;
	}
	_cleanup_free_ char *rel = xasprintf("%s/%s", dir, cand);
	int r = mkdir_parents(datafd, rel, &pkg->made_dir);
	if (r < 0)
		return r;
	if ((r = move_file(stagefd, f->staged, datafd, rel)) < 0)
		return r;
	item_add(pkg, f, xasprintf("data/%s", rel));
	pkg->documents++;
	return 0;
}

static void left_out_add(struct ptrvec *v, const struct ing_file *f, char *reason)
{
	struct left_out *l = xcalloc(1, sizeof(*l));
	l->f = f;
	l->reason = reason;
	ptrvec_push(v, l);
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;
	return (x > y) - (x < y);
}

/* A sorted copy of a list of pointers, for membership tests. */
static void ptrset_from(struct ptrvec *set, void *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ptrvec_push(set, v[i]);
	if (set->n > 1)
		qsort(set->v, set->n, sizeof(void *), cmp_ptr);
}

static bool ptrset_has(const struct ptrvec *set, const void *p)
{
	return set->n && bsearch(&p, set->v, set->n, sizeof(void *), cmp_ptr) != NULL;
}

static const struct payload_item *item_by_digest(const struct ing_package *pkg, const uint8_t *sha)
{
	for (size_t i = 0; i < pkg->items.n; i++) {
		const struct payload_item *it = pkg->items.v[i];
		if (it->f && memcmp(it->f->sha256, sha, 32) == 0)   /* as received */
			return it;
	}
	return NULL;
}

/* Inputs that are neither in the payload nor excluded nor a problem: say why. */
static void list_left_out(struct ing_package *pkg, const struct ing_scan *scan, const bool *placed)
{
	struct ptrvec listed = { 0 };
	ptrset_from(&listed, scan->inv.excluded.v, scan->inv.excluded.n);
	for (size_t i = 0; i < scan->inv.problems.n; i++)
		ptrvec_push(&listed, scan->inv.problems.v[i]);
	if (listed.n > 1)
		qsort(listed.v, listed.n, sizeof(void *), cmp_ptr);
	for (size_t i = 0; i < scan->files.n; i++) {
		const struct ing_file *f = scan->files.v[i];
		if (placed[i] || ptrset_has(&listed, f))
			continue;
		char *why;
		const struct payload_item *same;
		if (f->kind == KIND_ARCHIVE)
			why = xstrdup("archive or disc image: its contents were unpacked and packaged one by one");
		else if (f->kind == KIND_LINK)
			why = xstrdup("link file: what it points to is downloaded and packaged, not the link");
		else if (f->kind == KIND_CASE_YAML)
			why = xstrdup("case details (case.yaml): read into the report, not packaged");
		else if (f->kind == KIND_DICOM_DICOMDIR)
			why = xstrdup("the disc's own DICOMDIR: replaced by data/DICOMDIR, which covers the whole package");
		else if (f->duplicate_of_other && (same = item_by_digest(pkg, f->sha256)))
			why = xasprintf("identical copy of %s: stored once", same->path);
		else if (f->duplicate_of_other)
			why = xstrdup("identical copy of another file: stored once");
		else
			why = xstrdup("not packaged");
		left_out_add(&pkg->left_out, f, why);
	}
	ptrvec_free(&listed, NULL);
}

struct refused_ctx {
	struct ing_package *pkg;
	const struct payload_item **dicom;
	struct sha256_ctx *sha;         /* of data/DICOMDIR, as it is written */
	uint64_t size;
};

static void dicomdir_written(void *ud, const void *bytes, size_t len)
{
	struct refused_ctx *rc = ud;
	sha256_update(rc->sha, bytes, len);
	rc->size += len;
}

static void dicomdir_noted(void *ud, size_t idx, const char *note)
{
	struct refused_ctx *rc = ud;
	const struct payload_item *it = rc->dicom[idx];
	left_out_add(&rc->pkg->dd_notes, it->f, xasprintf("%s: %s", it->path, note));
}

static void dicomdir_refused(void *ud, size_t idx, const char *why)
{
	struct refused_ctx *rc = ud;
	const struct payload_item *it = rc->dicom[idx];
	left_out_add(&rc->pkg->refused, it->f, xasprintf("%s: not described in data/DICOMDIR: %s", it->path, why));
	log_warn(rc->pkg->ctx, "case %s: %s left out of the DICOMDIR: %s", rc->pkg->case_id, it->path, why);
}

static void fileset_id(const char *case_id, char out[17])
{
	size_t o = 0;
	for (const char *s = case_id; *s && o < 16; s++) {
		unsigned char c = (unsigned char)toupper((unsigned char)*s);
		out[o++] = (char)(isalnum(c) ? c : '_');
	}
	out[o] = 0;
}

/* The File-set's UID (the DICOMDIR's Media Storage SOP Instance UID),
 * derived from the content (PS3.5 B.2, a 2.25 UID from 128 bits of a
 * SHA-256 of each DICOM file's payload path and digest): the same files
 * give the same DICOMDIR bytes, run after run, folder or archive. */
static void fileset_uid(const struct ing_package *pkg, char out[64])
{
	struct sha256_ctx *c = sha256_new();
	uint8_t d[32];
	for (size_t i = 0; i < pkg->items.n; i++) {
		const struct payload_item *it = pkg->items.v[i];
		if (!it->dicom)
			continue;
		sha256_update(c, it->path, strlen(it->path) + 1);
		sha256_update(c, it->sha256, 32);
	}
	sha256_final(c, d);
	sha256_free(c);
	dcm_uid_from_bytes(d, out);
}

/* data/DICOMDIR from the headers read during the scan (no payload file is
 * read again); its digest is taken from the bytes as they are written. */
static int write_dicomdir(struct ing_package *pkg)
{
	const struct payload_item **dicom = xcalloc(pkg->items.n + 1, sizeof(*dicom));
	struct dcm_dir_rec *recs = xcalloc(pkg->items.n + 1, sizeof(*recs));
	size_t n = 0, added = 0;
	for (size_t i = 0; i < pkg->items.n; i++) {
		const struct payload_item *it = pkg->items.v[i];
		if (it->dicom) {
			dicom[n] = it;
			recs[n].file_id = it->path + strlen("data/");
			recs[n].info = it->f->dcm;
			n++;
		}
	}
	int r = 0;
	struct refused_ctx rc = { .pkg = pkg, .dicom = dicom, .sha = sha256_new() };
	if (n) {
		char fsid[17], fsuid[64];
		_cleanup_free_ char *path = xasprintf("%s/%s/data/DICOMDIR", pkg->work_path, pkg->case_id);
		fileset_id(pkg->case_id, fsid);
		fileset_uid(pkg, fsuid);
		struct dcm_dir_opts o = { .fileset_id = fsid, .fileset_uid = fsuid, .refused = dicomdir_refused,
		                          .noted = dicomdir_noted, .written = dicomdir_written, .ud = &rc };
		r = dcm_dicomdir_write_records(path, recs, n, &o, &added);
	}
	free(recs);
	free(dicom);
	if (r == 0 && added > 0) {
		struct payload_item *it = item_add(pkg, NULL, xstrdup("data/DICOMDIR"));
		sha256_final(rc.sha, it->sha256);
		it->size = rc.size;
	}
	sha256_free(rc.sha);
	return r;
}

static int cmp_item(const void *a, const void *b)
{
	return strcmp((*(struct payload_item *const *)a)->path, (*(struct payload_item *const *)b)->path);
}

/* ---- tag files ---- */

struct tag {
	char name[32];
	uint8_t sha256[32];
};

static int write_tag(int bagfd, const char *name, const void *buf, size_t len, struct tag *tags, size_t *ntags)
{
	int fd = openat(bagfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	int r = write_all(fd, buf, len);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		return r;
	struct tag *t = &tags[(*ntags)++];
	snprintf(t->name, sizeof(t->name), "%s", name);
	struct sha256_ctx *c = sha256_new();
	sha256_update(c, buf, len);
	sha256_final(c, t->sha256);
	sha256_free(c);
	return 0;
}

/* A tag file written as it is made, hashed while written: the manifest and
 * provenance.tsv have a row per payload file, tens of megabytes for a
 * 100,000-file drop, never held whole (nor doubled by a growing buffer). */
#define TAG_SPILL (64u * 1024)

struct tag_out {
	int fd;
	int err;
	struct sha256_ctx *c;
	struct strbuf b;             /* rows not yet written, spilled at TAG_SPILL */
};

static int tag_open(int bagfd, const char *name, struct tag_out *t)
{
	*t = (struct tag_out){ .fd = openat(bagfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640) };
	if (t->fd < 0)
		return -errno;
	t->c = sha256_new();
	strbuf_init(&t->b, 0);
	return 0;
}

static void tag_write(struct tag_out *t)
{
	if (t->b.len && t->err == 0) {
		sha256_update(t->c, t->b.s, t->b.len);
		t->err = write_all(t->fd, t->b.s, t->b.len);
	}
	t->b.len = 0;
}

/* After a row: write out what has gathered once it is big enough. */
static void tag_spill(struct tag_out *t)
{
	if (t->b.len >= TAG_SPILL)
		tag_write(t);
}

/* Write the rest, close, record its digest under NAME; frees T's buffers either way. */
static int tag_close(struct tag_out *t, const char *name, struct tag *tags, size_t *ntags)
{
	tag_write(t);
	int r = t->err;
	if (close(t->fd) < 0 && r == 0)
		r = -errno;
	if (r == 0) {
		struct tag *tg = &tags[(*ntags)++];
		snprintf(tg->name, sizeof(tg->name), "%s", name);
		sha256_final(t->c, tg->sha256);
	}
	sha256_free(t->c);
	strbuf_free(&t->b);
	return r;
}

static void tsv_field(struct strbuf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '\t': strbuf_puts(b, "\\t"); break;
		case '\n': strbuf_puts(b, "\\n"); break;
		case '\r': strbuf_puts(b, "\\r"); break;
		case '\\': strbuf_puts(b, "\\\\"); break;
		default: strbuf_append(b, s, 1);
		}
	}
}

static const char *drop_name(const struct ing_scan *scan, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s", scan->root);
	size_t n = strlen(buf);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = 0;
	return path_basename(buf);
}

static void provenance_tsv(const struct ing_package *pkg, const struct ing_scan *scan, struct tag_out *t)
{
	struct strbuf *b = &t->b;
	char hex[65], dbuf[4096];
	const char *drop = drop_name(scan, dbuf, sizeof(dbuf));
	strbuf_puts(b, "payload_path\tsha256\tbytes\tdrop\tpath_in_drop\toriginal_name\tstored\treceived_sha256\t"
	            "received_bytes\n");
	for (size_t i = 0; i < pkg->items.n; i++) {
		const struct payload_item *it = pkg->items.v[i];
		hex_encode(it->sha256, 32, hex);
		tsv_field(b, it->path);
		strbuf_printf(b, "\t%s\t%llu\t", hex, (unsigned long long)it->size);
		if (it->f) {
			tsv_field(b, drop);
			strbuf_puts(b, "\t");
			tsv_field(b, it->f->path);
			strbuf_puts(b, "\t");
			tsv_field(b, path_basename(it->f->path));
			if (it->f->prefix) {
				/* SPEC §6: the only change the packager makes to a DICOM object */
				hex_encode(it->f->sha256, 32, hex);
				strbuf_printf(b, "\tfile meta prepended (%u bytes)\t%s\t%llu", (unsigned)it->f->prefix->len,
				              hex, (unsigned long long)it->f->size);
			} else {
				/* the received bytes are the stored ones: their digest and
				 * size are the row's own (not repeated: a row per file of
				 * a 100,000-file drop stays short) */
				strbuf_puts(b, "\tas received\t-\t-");
			}
		} else {
			strbuf_puts(b, "-\t-\t(written by ingestd: describes every DICOM file of the package)\t"
			            "written\t-\t-");
		}
		strbuf_puts(b, "\n");
		tag_spill(t);
	}
}

struct report_extra {
	const struct ing_package *pkg;
	const char *status;
};

/* The package's part of the gap report: its status if the scan has none,
 * where it is, what it holds and what was left out. */
static void report_package(json_object *root, void *ud)
{
	const struct report_extra *x = ud;
	const struct ing_package *pkg = x->pkg;
	if (!json_object_object_get_ex(root, "status", NULL))
		json_object_object_add(root, "status", json_object_new_string(x->status));
	json_object *p = json_object_new_object(), *a = json_object_new_array(), *rf = json_object_new_array();
	json_object_object_add(p, "path", json_object_new_string(pkg->final_path));
	json_object_object_add(p, "state", json_object_new_string(package_state_name(pkg->state)));
	json_object_object_add(p, "files", json_object_new_int64((int64_t)pkg->items.n));
	json_object_object_add(p, "bytes", json_object_new_int64((int64_t)pkg->bytes));
	json_object_object_add(p, "manifest_sha256", json_object_new_string(pkg->manifest_sha256));
	size_t n = MIN(pkg->left_out.n, REPORT_MAX_LISTED);
	if (n < pkg->left_out.n)
		report_truncated(root, "package.left_out", pkg->left_out.n, n);
	for (size_t i = 0; i < n; i++) {
		const struct left_out *l = pkg->left_out.v[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "path", json_object_new_string(l->f->path));
		json_object_object_add(o, "reason", json_object_new_string(l->reason));
		json_object_array_add(a, o);
	}
	json_object_object_add(p, "left_out", a);
	n = MIN(pkg->refused.n, REPORT_MAX_LISTED);
	if (n < pkg->refused.n)
		report_truncated(root, "package.not_in_dicomdir", pkg->refused.n, n);
	for (size_t i = 0; i < n; i++) {
		const struct left_out *l = pkg->refused.v[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "path", json_object_new_string(l->f->path));
		json_object_object_add(o, "reason", json_object_new_string(l->reason));
		json_object_array_add(rf, o);
	}
	json_object_object_add(p, "not_in_dicomdir", rf);
	/* Type 1 keys of PS3.3 F.5 the objects lack, and what their records carry */
	json_object *dn = json_object_new_array();
	n = MIN(pkg->dd_notes.n, REPORT_MAX_LISTED);
	if (n < pkg->dd_notes.n)
		report_truncated(root, "package.dicomdir_notes", pkg->dd_notes.n, n);
	for (size_t i = 0; i < n; i++) {
		const struct left_out *l = pkg->dd_notes.v[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "path", json_object_new_string(l->f->path));
		json_object_object_add(o, "note", json_object_new_string(l->reason));
		json_object_array_add(dn, o);
	}
	json_object_object_add(p, "dicomdir_notes", dn);
	json_object_object_add(root, "package", p);
}

/* The scan's report with the package's part, built once (the report of a
 * big drop is megabytes: never parsed back). */
static int report_json(const struct ing_package *pkg, const struct ing_scan *scan, const char *status, char **out)
{
	struct report_extra x = { pkg, status };
	return report_json_text(scan, report_package, &x, out);
}

/* One line of what was not packaged, the drop named as it was dropped. */
static void left_out_text(const struct ing_scan *scan, FILE *f, const struct left_out *l)
{
	_cleanup_free_ char *why = report_dropped_words(scan, l->reason);
	fprintf(f, "  %s — %s\n", report_path(scan, l->f->path), why ? why : l->reason);
}

static int report_text(const struct ing_package *pkg, const struct ing_scan *scan, const char *status,
                       char **out, size_t *len)
{
	FILE *f = open_memstream(out, len);
	if (!f)
		return -errno;
	int r = ing_scan_write_text(scan, f);
	fprintf(f, "\nStatus: %s\n", status);
	/* The package by its name, never its path on the server (this text is
	 * the body of the coordinator's mail); its size in MB. */
	fprintf(f, "\nPackage: %s, %s\n  %zu file%s, %.1f MB; manifest SHA-256 %s\n", pkg->case_id,
	        pkg->state == ING_PACKAGE_READY ? "ready to send"
	                                        : "pending in the outbox until nothing required is missing",
	        pkg->items.n, pkg->items.n == 1 ? "" : "s", (double)pkg->bytes / 1e6, pkg->manifest_sha256);
	if (pkg->left_out.n)
		fprintf(f, "\nNot packaged (besides excluded files and problems):\n");
	size_t shown = 0, total = pkg->left_out.n + pkg->refused.n;
	for (size_t i = 0; i < pkg->left_out.n && shown < REPORT_MAX_LISTED; i++, shown++) {
		const struct left_out *l = pkg->left_out.v[i];
		left_out_text(scan, f, l);
	}
	for (size_t i = 0; i < pkg->refused.n && shown < REPORT_MAX_LISTED; i++, shown++) {
		const struct left_out *l = pkg->refused.v[i];
		left_out_text(scan, f, l);
	}
	if (shown < total) {
		char a[32], b[32];
		fprintf(f, "  ... and %s more not packaged (%s listed here)\n", report_count(a, total - shown),
		        report_count(b, shown));
	}
	if (pkg->dd_notes.n)
		fprintf(f, "\nDICOMDIR: values the DICOM objects lack (PS3.3 F.5 Type 1 keys):\n");
	for (size_t i = 0; i < pkg->dd_notes.n && i < REPORT_MAX_LISTED; i++) {
		const struct left_out *l = pkg->dd_notes.v[i];
		left_out_text(scan, f, l);
	}
	if (pkg->dd_notes.n > REPORT_MAX_LISTED) {
		char a[32], b[32];
		fprintf(f, "  ... and %s more (%s listed here)\n", report_count(a, pkg->dd_notes.n - REPORT_MAX_LISTED),
		        report_count(b, (size_t)REPORT_MAX_LISTED));
	}
	if (fclose(f) != 0 && r == 0)
		r = -EIO;
	return r;
}

static double seconds_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The payload's DICOM files by input, for the report's pictures (thumbs.c). */
struct item_index {
	const struct payload_item **v;   /* sorted by f */
	size_t n;
	int bagfd;
};

static int cmp_item_f(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)(*(const struct payload_item *const *)a)->f;
	uintptr_t y = (uintptr_t)(*(const struct payload_item *const *)b)->f;
	return (x > y) - (x < y);
}

static int open_item(void *ud, const struct ing_file *f)
{
	const struct item_index *ix = ud;
	struct payload_item key = { .f = f };
	const struct payload_item *k = &key, **hit = ix->n ? bsearch(&k, ix->v, ix->n, sizeof(*ix->v), cmp_item_f) : NULL;
	if (!hit)
		return -ENOENT;
	int fd = openat(ix->bagfd, (*hit)->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int report_html(const struct ing_package *pkg, int bagfd, const struct ing_scan *scan, const char *status,
                       char **out, size_t *len)
{
	double t0 = seconds_now();
	struct item_index ix = { xcalloc(pkg->items.n + 1, sizeof(*ix.v)), 0, bagfd };
	for (size_t i = 0; i < pkg->items.n; i++) {
		const struct payload_item *it = pkg->items.v[i];
		if (it->dicom && it->f)
			ix.v[ix.n++] = it;
	}
	if (ix.n > 1)
		qsort(ix.v, ix.n, sizeof(*ix.v), cmp_item_f);
	struct thumbs th;
	int r = thumbs_make(pkg->ctx, &scan->inv, open_item, &ix, &th);
	free(ix.v);
	if (r < 0)
		return r;
	FILE *f = open_memstream(out, len);
	if (!f) {
		r = -errno;
		thumbs_free(&th);
		return r;
	}
	r = report_html_write(scan, status, &th, f);
	if (fclose(f) != 0 && r == 0)
		r = -EIO;
	log_debug(pkg->ctx, "case %s: HTML report in %.3f s (pictures of %zu series %.3f s)", pkg->case_id,
	          seconds_now() - t0, th.n, th.seconds);
	thumbs_free(&th);
	return r;
}

/* fsync every folder of the bag (the files were flushed by syncfs). */
static int fsync_dirs(int dfd, unsigned depth)
{
	if (depth > RM_MAX_DEPTH)
		return -ELOOP;
	DIR *d = opendir_dup(dfd);
	if (!d)
		return -errno;
	struct dirent *de;
	int r = 0;
	while ((de = readdir(d)) && r == 0) {
		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		int sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0) {
			r = -errno;
			break;
		}
		r = fsync_dirs(sub, depth + 1);
		close(sub);
	}
	closedir(d);
	if (r == 0 && fsync(dfd) < 0)
		r = -errno;
	return r;
}

int ing_package_build(struct ing_package *pkg, const struct ing_scan *scan, const struct ing_package_opts *opts)
{
	struct ing_ctx *ctx = pkg->ctx;
	struct tag tags[16];
	size_t ntags = 0;
	_cleanup_close_ int bagfd = -1;
	_cleanup_close_ int datafd = -1;
	_cleanup_close_ int stagefd = -1;
	_cleanup_free_ bool *placed = NULL;
	struct node root = { 0 };
	struct name_set used = { 0 };
	const char *status = opts && opts->status ? opts->status : "incomplete";
	const char *cancer = opts && opts->cancer_type ? opts->cancer_type : "generic";
	char hex[65];
	int r = 0;

	if (!scan || pkg->built || strcmp(scan->case_id, pkg->case_id) != 0)
		return -EINVAL;
	if (strcmp(status, "complete") != 0 && strcmp(status, "incomplete") != 0 && strcmp(status, "blocked") != 0)
		return -EINVAL;
	if (!token_valid(cancer))
		return -EINVAL;
	pkg->state = opts ? opts->state : ING_PACKAGE_PENDING;
	pkg->final_path = xasprintf("%s/%s/%s", pkg->out_dir, package_state_name(pkg->state), pkg->case_id);
	testhook_crash_point("build");

	if ((r = package_mkdir_at(pkg->workfd, pkg->case_id)) < 0)
		return r;
	bagfd = openat(pkg->workfd, pkg->case_id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (bagfd < 0 || package_mkdir_at(bagfd, "data") < 0)
		return -errno;
	datafd = openat(bagfd, "data", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	free(pkg->made_dir);          /* a new payload folder: nothing made in it yet */
	pkg->made_dir = NULL;
	stagefd = openat(pkg->workfd, "staging", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (datafd < 0 || stagefd < 0)
		return -errno;

	/* DICOM: inventory order (study, series, instance number), then the
	 * conflicting duplicates beside the copy they conflict with. */
	placed = xcalloc(scan->files.n + 1, sizeof(bool));
	for (size_t i = 0; i < scan->inv.studies.n; i++) {
		const struct inv_study *st = scan->inv.studies.v[i];
		for (size_t j = 0; j < st->series.n; j++) {
			const struct inv_series *se = st->series.v[j];
			for (size_t k = 0; k < se->files.n; k++) {
				const struct ing_file *f = se->files.v[k];
				if (!packable_dicom(f))
					continue;
				if ((r = place_dicom(pkg, stagefd, datafd, &root, f)) < 0)
					goto out;
			}
		}
	}
	struct ptrvec first = { 0 };
	for (size_t k = 0; k < pkg->items.n; k++)
		ptrvec_push(&first, (void *)((struct payload_item *)pkg->items.v[k])->f);
	if (first.n > 1)
		qsort(first.v, first.n, sizeof(void *), cmp_ptr);
	/* The rest (conflicting duplicates, documents) by path, not in the order
	 * the files were met: a folder's walk and an archive's entries differ,
	 * and the same drop must give the same numbers and names either way. */
	struct file_at *rest = xcalloc(scan->files.n + 1, sizeof(*rest));
	for (size_t i = 0; i < scan->files.n; i++)
		rest[i] = (struct file_at){ scan->files.v[i], i };
	if (scan->files.n > 1)
		qsort(rest, scan->files.n, sizeof(*rest), cmp_file_at);
	for (size_t k = 0; k < scan->files.n; k++) {
		const struct ing_file *f = rest[k].f;
		size_t i = rest[k].i;
		if (ptrset_has(&first, f)) {
			placed[i] = true;
			continue;
		}
		if (packable_dicom(f)) {
			if ((r = place_dicom(pkg, stagefd, datafd, &root, f)) < 0)
				break;
			placed[i] = true;
		} else if (packable_document(f)) {
			if ((r = place_document(pkg, stagefd, datafd, &used, f)) < 0)
				break;
			placed[i] = true;
		}
	}
	ptrvec_free(&first, NULL);
	free(rest);
	if (r < 0)
		goto out;
	list_left_out(pkg, scan, placed);
	testhook_crash_point("payload");

	if ((r = write_dicomdir(pkg)) < 0) {
		log_err(ctx, "case %s: writing the DICOMDIR failed: %s", pkg->case_id, ing_strerror(r));
		goto out;
	}
	if (pkg->items.n > 1)
		qsort(pkg->items.v, pkg->items.n, sizeof(void *), cmp_item);
	pkg->bytes = 0;
	for (size_t i = 0; i < pkg->items.n; i++)
		pkg->bytes += ((struct payload_item *)pkg->items.v[i])->size;

	/* manifest-sha256.txt: "<hex>  <path>", readable by sha256sum -c from the bag root. */
	{
		struct tag_out m;
		if ((r = tag_open(bagfd, "manifest-sha256.txt", &m)) < 0)
			goto out;
		for (size_t i = 0; i < pkg->items.n; i++) {
			const struct payload_item *it = pkg->items.v[i];
			hex_encode(it->sha256, 32, hex);
			strbuf_printf(&m.b, "%s  ", hex);
			bag_path_encode(&m.b, it->path);
			strbuf_puts(&m.b, "\n");
			tag_spill(&m);
		}
		if ((r = tag_close(&m, "manifest-sha256.txt", tags, &ntags)) < 0)
			goto out;
		hex_encode(tags[ntags - 1].sha256, 32, pkg->manifest_sha256);
	}

	{
		struct tag_out t;
		if ((r = tag_open(bagfd, "provenance.tsv", &t)) < 0)
			goto out;
		provenance_tsv(pkg, scan, &t);
		if ((r = tag_close(&t, "provenance.tsv", tags, &ntags)) < 0)
			goto out;
	}
	{
		_cleanup_free_ char *js = NULL;
		if ((r = report_json(pkg, scan, status, &js)) < 0)
			goto out;
		size_t n = strlen(js);
		js = xrealloc(js, n + 2);
		js[n++] = '\n';
		if ((r = write_tag(bagfd, "gap-report.json", js, n, tags, &ntags)) < 0)
			goto out;
	}
	{
		_cleanup_free_ char *txt = NULL;
		size_t n = 0;
		if ((r = report_text(pkg, scan, status, &txt, &n)) < 0 ||
		    (r = write_tag(bagfd, "gap-report.txt", txt, n, tags, &ntags)) < 0)
			goto out;
	}
	{
		_cleanup_free_ char *html = NULL;
		size_t n = 0;
		if ((r = report_html(pkg, bagfd, scan, status, &html, &n)) < 0 ||
		    (r = write_tag(bagfd, "gap-report.html", html, n, tags, &ntags)) < 0)
			goto out;
	}
	{
		static const char bagit[] = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";
		if ((r = write_tag(bagfd, "bagit.txt", bagit, sizeof(bagit) - 1, tags, &ntags)) < 0)
			goto out;
	}
	{
		char date[16];
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(date, sizeof(date), "%Y-%m-%d", &tm);
		_cleanup_free_ char *info = xasprintf(
		        "External-Identifier: %s\n"
		        "Bagging-Date: %s\n"
		        "Payload-Oxum: %llu.%zu\n"
		        "Bag-Software-Agent: ingestd %s\n"
		        "Cancer-Type: %s\n"
		        "Status: %s\n"
		        "Package-State: %s\n",
		        pkg->case_id, date, (unsigned long long)pkg->bytes, pkg->items.n, INGEST_VERSION, cancer, status,
		        package_state_name(pkg->state));
		if ((r = write_tag(bagfd, "bag-info.txt", info, strlen(info), tags, &ntags)) < 0)
			goto out;
	}
	{
		struct strbuf t;
		strbuf_init(&t, 0);
		for (size_t i = 0; i < ntags; i++) {
			hex_encode(tags[i].sha256, 32, hex);
			strbuf_printf(&t, "%s  %s\n", hex, tags[i].name);
		}
		r = write_tag(bagfd, "tagmanifest-sha256.txt", t.s, t.len, tags, &ntags);
		strbuf_free(&t);
		if (r < 0)
			goto out;
	}
	testhook_crash_point("bag");

	/* Durable before it is visible: file data (one syncfs for all of them), then every folder. */
	if (syncfs(bagfd) < 0 || (r = fsync_dirs(bagfd, 0)) < 0 || fsync(pkg->workfd) < 0) {
		r = r < 0 ? r : -errno;
		goto out;
	}
	r = 0;
	pkg->built = true;
	log_info(ctx, "case %s: package built: %zu files, %llu bytes", pkg->case_id, pkg->items.n,
	         (unsigned long long)pkg->bytes);
out:
	ptrvec_free(&root.sub, node_free);
	name_set_free(&used);
	return r;
}
