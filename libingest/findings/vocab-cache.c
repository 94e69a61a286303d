/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The compiled vocabulary (docs/vocabulary.md, "The compiled cache"): what
 * vocab_load_dir() builds from rules/vocabulary/ (the trie, its payloads and
 * class sets, the entries and their names) kept in a file, so that the next
 * process reads it in about a millisecond instead of parsing and folding
 * 400 KB of YAML (~70 ms, 300 M instructions). It is a cache, never a source:
 *  - its key, in its name and its header, is SHA-256 of the format's name and
 *    version, this program's build (its ELF build id: the folding, the classes
 *    and the limits are code), and the vocabulary files' names and bytes, in
 *    the order they are loaded. Any change and the key differs: the YAML is
 *    parsed and checked again, and a new cache written;
 *  - its body carries its own SHA-256: a torn or damaged file is not used;
 *  - every count, index, flag and string in it is checked before use
 *    (vocab_cache_decode(), fuzz-vocab-cache): a file that passes gives the
 *    matcher nothing out of bounds, and one that does not is ignored whole.
 * Only a vocabulary that loaded without an error is written. A cache that
 * cannot be read, written or trusted costs the time only: the YAML is read.
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "model.h"
#include "util/fileio.h"
#include "util/sha256.h"
#include "util/text.h"
#include "findings/vocab-cache.h"
#include "findings/vocab-private.h"

#define VC_MAGIC "INGVOCB\n"
#define VC_VERSION 1u
#define VC_ENDIAN 0x01020304u
#define VC_HEADER_BYTES (8 + 4 + 4 + 32 + 32 + 8)
#define VC_NONE UINT32_MAX          /* a list that is absent (NULL), not empty */
#define VC_PREFIX "vocab-"
#define VC_SUFFIX ".bin"
#define VC_ALIGN 16             /* the trie's arrays start at multiples of this (vocab_mask's alignment) */

/* The nodes, payloads and class sets are kept as they lie in memory, and
 * read back in place: these layouts are the file's. A cache written by
 * another layout has another key (the build id). */
_Static_assert(sizeof(struct vnode) == 16 && offsetof(struct vnode, sub) == 12 &&
               offsetof(struct vnode, byte) == 14 && offsetof(struct vnode, end_word) == 15,
               "struct vnode is the cache's node record");
_Static_assert(sizeof(struct vpay) == 12 && offsetof(struct vpay, next) == 4 && offsetof(struct vpay, where) == 8,
               "struct vpay is the cache's payload record");
_Static_assert(sizeof(vocab_mask) == 16 && _Alignof(vocab_mask) <= VC_ALIGN, "a class set is 16 bytes");

/* ---- the key ---- */

struct build_id {
	const void *addr;           /* an address inside the object looked for */
	uint8_t id[64];
	size_t n;
};

static int find_build_id(struct dl_phdr_info *info, size_t size, void *ud)
{
	struct build_id *b = ud;
	bool inside = false;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum && !inside; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr, a = (uintptr_t)b->addr;
		inside = ph->p_type == PT_LOAD && a >= lo && a - lo < ph->p_memsz;
	}
	if (!inside)
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_NOTE)
			continue;
		const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;
		while ((size_t)(end - p) >= sizeof(ElfW(Nhdr))) {
			ElfW(Nhdr) nh;
			memcpy(&nh, p, sizeof nh);
			size_t name = (nh.n_namesz + 3u) & ~3u, desc = (nh.n_descsz + 3u) & ~3u;
			const uint8_t *q = p + sizeof nh;
			if (name > (size_t)(end - q) || desc > (size_t)(end - q) - name)
				break;
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && memcmp(q, "GNU", 4) == 0 &&
			    nh.n_descsz > 0 && nh.n_descsz <= sizeof b->id) {
				memcpy(b->id, q + name, nh.n_descsz);
				b->n = nh.n_descsz;
				return 1;
			}
			p = q + name + desc;
		}
	}
	return 1;       /* our object, without a build id */
}

int vocab_cache_key(const struct vocab_source *src, size_t n, uint8_t key[32])
{
	struct build_id b = { .addr = (const void *)vocab_cache_key };
	_cleanup_(sha256_freep) struct sha256_ctx *h = NULL;
	uint32_t version = VC_VERSION;

	(void)dl_iterate_phdr(find_build_id, &b);
	if (b.n == 0)
		return -ENOTSUP;        /* without it a cache could outlive the code that wrote it */
	h = sha256_new();
	sha256_update(h, VC_MAGIC, 8);
	sha256_update(h, &version, sizeof version);
	sha256_update(h, &b.n, sizeof b.n);
	sha256_update(h, b.id, b.n);
	for (size_t i = 0; i < n; i++) {
		uint64_t len = src[i].len;
		sha256_update(h, src[i].name, strlen(src[i].name) + 1);
		sha256_update(h, &len, sizeof len);
		sha256_update(h, src[i].buf, src[i].len);
	}
	sha256_final(h, key);
	return 0;
}

/* ---- writing ---- */

/* The cache as it is written: the project's bounded buffer, and the first failure (past
 * VOCAB_CACHE_MAX_BYTES, a string too long, a place in no file), after which nothing is added. */
struct wbuf {
	struct strbuf b;
	bool bad;
};

static void w_bytes(struct wbuf *w, const void *p, size_t n)
{
	if (!w->bad && n && strbuf_append(&w->b, p, n) < 0)
		w->bad = true;
}

static void w_pad(struct wbuf *w)
{
	static const uint8_t zero[VC_ALIGN];
	w_bytes(w, zero, (VC_ALIGN - w->b.len % VC_ALIGN) % VC_ALIGN);
}

static void w_u8(struct wbuf *w, uint8_t x) { w_bytes(w, &x, 1); }
static void w_u16(struct wbuf *w, uint16_t x) { w_bytes(w, &x, 2); }
static void w_u32(struct wbuf *w, uint32_t x) { w_bytes(w, &x, 4); }

static void w_str(struct wbuf *w, const char *s)
{
	size_t l = s ? strlen(s) : 0;
	if (!s || l > VOCAB_CACHE_MAX_STRING) {
		w->bad = true;
		return;
	}
	w_u32(w, (uint32_t)l);
	w_bytes(w, s, l);
}

static void w_strv(struct wbuf *w, char *const *v)
{
	uint32_t n = 0;
	if (!v) {
		w_u32(w, VC_NONE);
		return;
	}
	while (v[n])
		n++;
	w_u32(w, n);
	for (uint32_t i = 0; i < n; i++)
		w_str(w, v[i]);
}

int vocab_cache_encode(const struct vocab *v, const uint8_t key[32], uint8_t **out, size_t *len)
{
	struct wbuf w = { 0 };
	uint8_t header[VC_HEADER_BYTES] = { 0 }, digest[32];
	uint32_t endian = VC_ENDIAN, version = VC_VERSION;

	*out = NULL;
	*len = 0;
	if (v->n_nodes == 0 || v->n_pays == 0 || v->n_masks == 0 || v->n_nodes > VOCAB_CACHE_MAX_NODES ||
	    v->n_pays > VOCAB_CACHE_MAX_NODES || v->n_wheres > VOCAB_CACHE_MAX_NODES)
		return -EINVAL;
	strbuf_init(&w.b, VOCAB_CACHE_MAX_BYTES);
	w_bytes(&w, header, sizeof header);      /* filled in at the end */
	w_u32(&w, (uint32_t)v->n_nodes);
	w_u32(&w, (uint32_t)v->n_pays);
	w_u32(&w, (uint32_t)v->n_masks);
	w_u32(&w, (uint32_t)v->n_wheres);
	w_u32(&w, (uint32_t)v->n_markers);
	w_u32(&w, (uint32_t)v->n_labs);
	w_u32(&w, (uint32_t)v->n_langs);
	w_u32(&w, (uint32_t)v->n_types);
	w_u32(&w, (uint32_t)v->n_concepts);
	w_u32(&w, (uint32_t)v->n_files);
	for (size_t i = 0; i < v->n_files; i++)
		w_str(&w, path_basename(v->files[i]));
	for (int b = 0; b < 256; b++)
		w_u32(&w, v->root_index[b]);
	/* the arrays as they lie in memory, each at a multiple of VC_ALIGN */
	static const struct vpay none;      /* payload 0 is "none": the loader never writes it */
	w_pad(&w);
	w_bytes(&w, v->nodes, v->n_nodes * sizeof(*v->nodes));
	w_pad(&w);
	w_bytes(&w, &none, sizeof none);
	w_bytes(&w, v->pays + 1, (v->n_pays - 1) * sizeof(*v->pays));
	w_pad(&w);
	w_bytes(&w, v->masks, v->n_masks * sizeof(*v->masks));
	for (size_t i = 0; i < v->n_wheres; i++) {
		size_t f = 0;
		while (f < v->n_files && v->files[f] != v->wheres[i].file)
			f++;
		if (f == v->n_files)
			w.bad = true;   /* a place in a file the vocabulary does not list */
		w_u32(&w, (uint32_t)f);
		w_u32(&w, (uint32_t)v->wheres[i].line);
		w_u32(&w, (uint32_t)v->wheres[i].col);
	}
	for (size_t i = 0; i < v->n_markers; i++) {
		const struct vmarker_priv *m = &v->markers[i];
		w_str(&w, m->name);
		w_u32(&w, m->pub.values);
		w_u8(&w, m->pub.panel);
		w_u8(&w, m->pub.assay);
		for (int g = 0; g < _VG_MAX; g++)
			w_u16(&w, (uint16_t)m->pub.route[g]);
		w_strv(&w, m->clones);
		w_strv(&w, m->clone_keys);
	}
	for (size_t i = 0; i < v->n_labs; i++) {
		w_str(&w, v->labs[i].name);
		w_strv(&w, v->labs[i].units);
	}
	for (size_t i = 0; i < v->n_langs; i++) {
		w_str(&w, v->langs[i].code);
		w_str(&w, v->langs[i].name);
		w_str(&w, v->langs[i].script);
	}
	for (size_t i = 0; i < v->n_types; i++)
		w_str(&w, v->types[i]);
	for (size_t i = 0; i < v->n_concepts; i++)
		w_str(&w, v->concepts[i]);
	if (w.bad) {
		strbuf_free(&w.b);
		return -E2BIG;
	}
	uint64_t body = w.b.len - VC_HEADER_BYTES;
	uint8_t *p = (uint8_t *)w.b.s;
	_cleanup_(sha256_freep) struct sha256_ctx *h = sha256_new();
	sha256_update(h, p + VC_HEADER_BYTES, body);
	sha256_final(h, digest);
	memcpy(p, VC_MAGIC, 8);
	memcpy(p + 8, &version, 4);
	memcpy(p + 12, &endian, 4);
	memcpy(p + 16, key, 32);
	memcpy(p + 48, digest, 32);
	memcpy(p + 80, &body, 8);
	*len = w.b.len;
	*out = (uint8_t *)strbuf_steal(&w.b);
	return 0;
}

/* ---- reading ---- */

struct rbuf {
	const uint8_t *p;
	size_t n, at;
	bool bad;
};

static void r_bytes(struct rbuf *r, void *out, size_t n)
{
	if (r->bad || n > r->n - r->at) {
		r->bad = true;
		memset(out, 0, n);
		return;
	}
	memcpy(out, r->p + r->at, n);
	r->at += n;
}

static uint8_t r_u8(struct rbuf *r) { uint8_t x; r_bytes(r, &x, 1); return x; }
static uint16_t r_u16(struct rbuf *r) { uint16_t x; r_bytes(r, &x, 2); return x; }
static uint32_t r_u32(struct rbuf *r) { uint32_t x; r_bytes(r, &x, 4); return x; }

/* A string: at most VOCAB_CACHE_MAX_STRING bytes of UTF-8 without NUL; NULL (and R bad) if not. */
static char *r_str(struct rbuf *r)
{
	uint32_t l = r_u32(r);
	if (r->bad || l > VOCAB_CACHE_MAX_STRING || l > r->n - r->at) {
		r->bad = true;
		return NULL;
	}
	const char *s = (const char *)r->p + r->at;
	if (memchr(s, 0, l) || utf8_valid_prefix(s, l) != l) {
		r->bad = true;
		return NULL;
	}
	r->at += l;
	return xstrndup(s, l);
}

/* A NULL-terminated list of at most VOCAB_CACHE_MAX_LIST strings, or NULL for an absent one. */
static char **r_strv(struct rbuf *r)
{
	uint32_t n = r_u32(r);
	if (r->bad || n == VC_NONE)
		return NULL;
	if (n > VOCAB_CACHE_MAX_LIST) {
		r->bad = true;
		return NULL;
	}
	char **v = xcalloc((size_t)n + 1, sizeof(*v));
	for (uint32_t i = 0; i < n && !r->bad; i++)
		v[i] = r_str(r);
	return v;       /* when R is bad, the caller frees it with the vocabulary (it stops at the first NULL) */
}

static bool id_ok(const struct vocab *v, const struct vpay *p)
{
	switch ((enum vocab_class)p->cls) {
	case VW_MARKER: return p->id < v->n_markers;
	case VW_LAB: return p->id < v->n_labs;
	case VW_KIND_HEADING: case VW_KIND_WORD: return p->id < _KIND_MAX;
	case VW_CANCER_TYPE: return p->id < v->n_types;
	case VW_CONCEPT: return p->id < v->n_concepts;
	case VW_MONTH: return p->id >= 1 && p->id <= 12;
	default: return p->cls < _VW_MAX && p->id == 0;
	}
}

/* The trie is a tree the matcher can walk: every index in bounds, every node
 * and payload reached by one pointer at most (so no walk loops), the root's
 * children exactly those of root_index, each under the byte that leads to it. */
static bool trie_ok(const struct vocab *v)
{
	_cleanup_free_ uint8_t *in_nodes = xcalloc(v->n_nodes, 1);
	_cleanup_free_ uint8_t *in_pays = xcalloc(v->n_pays, 1);
	const struct vnode *root = &v->nodes[0];

	if (root->child || root->sibling || root->byte || v->masks[0] != 0)
		return false;
	for (int b = 0; b < 256; b++) {
		uint32_t c = v->root_index[b];
		if (!c)
			continue;
		if (c >= v->n_nodes || v->nodes[c].byte != b || v->nodes[c].sibling || in_nodes[c]++)
			return false;
	}
	for (size_t i = 0; i < v->n_nodes; i++) {
		const struct vnode *nd = &v->nodes[i];
		if (nd->child >= v->n_nodes || nd->sibling >= v->n_nodes || nd->pay >= v->n_pays ||
		    nd->sub >= v->n_masks || (i && nd->byte == 0))
			return false;
		/* children come after their parent; a child list's nodes share the parent */
		if (nd->child && (nd->child <= i || in_nodes[nd->child]++))
			return false;
		if (nd->sibling && (nd->sibling == i || in_nodes[nd->sibling]++))
			return false;
		if (nd->pay && in_pays[nd->pay]++)
			return false;
	}
	for (size_t i = 1; i < v->n_nodes; i++)
		if (!in_nodes[i])
			return false;       /* a node nothing leads to: not what the loader builds */
	for (size_t i = 0; i < v->n_pays; i++) {
		const struct vpay *p = &v->pays[i];
		if (i == 0 ? (p->cls | p->lang | p->id | p->next | p->where) != 0 : false)
			return false;
		if (i == 0)
			continue;
		if (p->next >= v->n_pays || (p->next && in_pays[p->next]++) || p->where >= v->n_wheres || !id_ok(v, p) ||
		    (p->lang != VOCAB_LANG_ANY && p->lang >= v->n_langs))
			return false;
	}
	for (size_t i = 1; i < v->n_pays; i++)
		if (!in_pays[i])
			return false;
	return true;
}

/* A name the loader loads: markers.yaml, labs.yaml or a language's XX.yaml. */
static bool file_name_ok(const char *s)
{
	size_t l = strlen(s);
	if (strcmp(s, "markers.yaml") == 0 || strcmp(s, "labs.yaml") == 0)
		return true;
	return l > 5 && strcmp(s + l - 5, ".yaml") == 0 && vocab_is_lang_code(s, l - 5);
}

/* The bytes of N records of SIZE at the next multiple of VC_ALIGN, used in place; NULL (and R bad) past the end. */
static const uint8_t *r_array(struct rbuf *r, size_t n, size_t size)
{
	size_t pad = (VC_ALIGN - r->at % VC_ALIGN) % VC_ALIGN;
	if (r->bad || pad > r->n - r->at || n > (r->n - r->at - pad) / size) {
		r->bad = true;
		return NULL;
	}
	for (size_t i = 0; i < pad; i++)
		if (r->p[r->at + i])
			r->bad = true;      /* padding is zero: one vocabulary, one file */
	r->at += pad;
	const uint8_t *a = r->p + r->at;
	r->at += n * size;
	return r->bad ? NULL : a;
}

void *vocab_cache_alloc(size_t len)
{
	void *p = mmap(NULL, len ? len : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void vocab_cache_release(void *blob, size_t len)
{
	if (blob)
		(void)munmap(blob, len ? len : 1);
}

int vocab_cache_decode(void *blob, size_t len, const uint8_t key[32], const char *vdir, struct vocab **out)
{
	const uint8_t *buf = blob;
	struct rbuf r = { .p = buf, .n = len, .at = VC_HEADER_BYTES };
	uint32_t version, endian, counts[10];
	uint64_t body;
	struct vocab *v;

	*out = NULL;
	if (len < VC_HEADER_BYTES || len > VOCAB_CACHE_MAX_BYTES || memcmp(buf, VC_MAGIC, 8) != 0 ||
	    (uintptr_t)buf % VC_ALIGN)
		return -EBADMSG;
	memcpy(&version, buf + 8, 4);
	memcpy(&endian, buf + 12, 4);
	memcpy(&body, buf + 80, 8);
	if (version != VC_VERSION || endian != VC_ENDIAN || body != len - VC_HEADER_BYTES)
		return -EBADMSG;
	if (key) {
		uint8_t digest[32];
		if (memcmp(buf + 16, key, 32) != 0)
			return -ESTALE;
		_cleanup_(sha256_freep) struct sha256_ctx *h = sha256_new();
		sha256_update(h, buf + VC_HEADER_BYTES, body);
		sha256_final(h, digest);
		if (memcmp(buf + 48, digest, 32) != 0)
			return -EBADMSG;
	}
	for (int i = 0; i < 10; i++)
		counts[i] = r_u32(&r);
	if (r.bad || counts[0] == 0 || counts[0] > VOCAB_CACHE_MAX_NODES || counts[1] == 0 ||
	    counts[1] > VOCAB_CACHE_MAX_NODES || counts[2] == 0 || counts[2] > VOCAB_MAX_MASKS ||
	    counts[3] > VOCAB_CACHE_MAX_NODES || counts[4] > VOCAB_MAX_ENTRIES || counts[5] > VOCAB_MAX_ENTRIES ||
	    counts[6] > VOCAB_MAX_LANGS || counts[7] > VOCAB_MAX_ENTRIES || counts[8] > VOCAB_MAX_ENTRIES ||
	    counts[9] > VOCAB_MAX_LANGS + 2)
		return -EBADMSG;
	/* the smallest each record can be: no count asks for more than the file holds */
	uint64_t least = (uint64_t)counts[9] * 4 + 256 * 4 + (uint64_t)counts[0] * 16 + (uint64_t)counts[1] * 12 +
	                 (uint64_t)counts[2] * 16 + (uint64_t)counts[3] * 12 + (uint64_t)counts[4] * (18 + 2 * _VG_MAX) +
	                 (uint64_t)counts[5] * 8 + (uint64_t)counts[6] * 12 + ((uint64_t)counts[7] + counts[8]) * 4;
	if (least > len - r.at)
		return -EBADMSG;

	v = xcalloc(1, sizeof(*v));
	v->files = xcalloc(counts[9] + 1, sizeof(*v->files));
	for (uint32_t i = 0; i < counts[9] && !r.bad; i++) {
		_cleanup_free_ char *name = r_str(&r);
		if (!name || !file_name_ok(name)) {
			r.bad = true;
			break;
		}
		v->files[v->n_files++] = xasprintf("%s/%s", vdir, name);
	}
	for (int b = 0; b < 256; b++)
		v->root_index[b] = r_u32(&r);
	/* the trie's arrays where they lie; a node's end_word is a bool: 0 or 1, looked at as a byte first */
	const uint8_t *nodes = r_array(&r, counts[0], sizeof(struct vnode));
	for (size_t i = 0; nodes && i < counts[0]; i++)
		if (nodes[i * sizeof(struct vnode) + offsetof(struct vnode, end_word)] > 1)
			r.bad = true;
	const uint8_t *pays = r_array(&r, counts[1], sizeof(struct vpay));
	const uint8_t *masks = r_array(&r, counts[2], sizeof(vocab_mask));
	if (!r.bad) {
		/* the vocabulary owns BLOB from here (vocab_free() releases it) only once it is returned */
		v->nodes = (struct vnode *)(uintptr_t)nodes;
		v->pays = (struct vpay *)(uintptr_t)pays;
		v->masks = (vocab_mask *)(uintptr_t)masks;
		v->n_nodes = v->cap_nodes = counts[0];
		v->n_pays = v->cap_pays = counts[1];
		v->n_masks = counts[2];
		v->blob = blob;
		v->blob_len = len;
		for (size_t i = 0; i < v->n_masks; i++)
			if (v->masks[i] >> _VW_MAX)
				r.bad = true;
	}
	v->n_wheres = v->cap_wheres = counts[3];
	v->wheres = xcalloc(v->n_wheres + 1, sizeof(*v->wheres));
	for (size_t i = 0; i < v->n_wheres && !r.bad; i++) {
		uint32_t f = r_u32(&r), line = r_u32(&r), col = r_u32(&r);
		if (f >= v->n_files || line > INT32_MAX || col > INT32_MAX)
			r.bad = true;
		else
			v->wheres[i] = (struct vwhere){ v->files[f], (int)line, (int)col };
	}
	v->markers = xcalloc(counts[4] + 1, sizeof(*v->markers));
	for (uint32_t i = 0; i < counts[4] && !r.bad; i++) {
		struct vmarker_priv *m = &v->markers[v->n_markers++];
		m->name = r_str(&r);
		m->pub.values = r_u32(&r);
		uint8_t panel = r_u8(&r), assay = r_u8(&r);
		if (panel > 1 || assay > 1 || (m->pub.values >> _VG_MAX))
			r.bad = true;
		m->pub.panel = panel;
		m->pub.assay = assay;
		for (int g = 0; g < _VG_MAX; g++) {
			int16_t t = (int16_t)r_u16(&r);
			if (t < -1 || t >= (int32_t)counts[4])
				r.bad = true;
			m->pub.route[g] = t;
		}
		m->clones = r_strv(&r);
		m->clone_keys = r_strv(&r);
		m->pub.name = m->name;
		m->pub.clones = (const char *const *)m->clones;
	}
	v->labs = xcalloc(counts[5] + 1, sizeof(*v->labs));
	for (uint32_t i = 0; i < counts[5] && !r.bad; i++) {
		struct vlab_priv *lab = &v->labs[v->n_labs++];
		lab->name = r_str(&r);
		lab->units = r_strv(&r);
		lab->pub.name = lab->name;
		lab->pub.units = (const char *const *)lab->units;
	}
	v->langs = xcalloc(VOCAB_MAX_LANGS, sizeof(*v->langs));
	v->strings = xcalloc(3 * (size_t)counts[6] + 1, sizeof(*v->strings));
	for (uint32_t i = 0; i < counts[6] && !r.bad; i++) {
		const char *s[3];
		for (int k = 0; k < 3; k++) {
			char *x = r_str(&r);
			if (x)
				v->strings[v->n_strings++] = x;
			s[k] = x ? x : "";
		}
		v->langs[v->n_langs++] = (struct vocab_lang){ s[0], s[1], s[2] };
	}
	v->types = xcalloc(counts[7] + 1, sizeof(*v->types));
	for (uint32_t i = 0; i < counts[7] && !r.bad; i++)
		if ((v->types[i] = r_str(&r)))
			v->n_types++;
	v->concepts = xcalloc(counts[8] + 1, sizeof(*v->concepts));
	for (uint32_t i = 0; i < counts[8] && !r.bad; i++)
		if ((v->concepts[i] = r_str(&r)))
			v->n_concepts++;
	if (r.bad || r.at != len || !trie_ok(v)) {
		v->blob = NULL;         /* still the caller's */
		v->nodes = NULL;
		v->pays = NULL;
		v->masks = NULL;
		vocab_free(v);
		return -EBADMSG;
	}
	v->from_cache = true;
	*out = v;
	return 0;
}

/* ---- the cache folder ---- */

char *vocab_cache_dir(void)
{
	const char *e = getenv("INGEST_CACHE_DIR");

	if (e)
		return *e ? xstrdup(e) : NULL;      /* set and empty: no cache */
	e = getenv("CACHE_DIRECTORY");          /* systemd's CacheDirectory= (the first, when several) */
	if (e && *e == '/')
		return xstrndup(e, strcspn(e, ":"));
	e = getenv("XDG_CACHE_HOME");
	if (e && *e == '/')
		return xasprintf("%s/ingest", e);
	e = getenv("HOME");
	if (e && *e == '/')
		return xasprintf("%s/.cache/ingest", e);
	return NULL;
}

static char *cache_path(const char *dir, const uint8_t key[32])
{
	char hex[65];
	hex_encode(key, 32, hex);
	return xasprintf("%s/" VC_PREFIX "%s" VC_SUFFIX, dir, hex);
}

int vocab_cache_read(const char *dir, const uint8_t key[32], const char *vdir, struct vocab **out)
{
	_cleanup_free_ char *path = cache_path(dir, key);
	struct stat st;
	int fd, r;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	r = fstat(fd, &st) < 0 ? -errno : !S_ISREG(st.st_mode) || st.st_size > VOCAB_CACHE_MAX_BYTES ? -EBADMSG : 0;
	if (r < 0) {
		close(fd);
		return r;
	}
	/* read whole into memory of our own (a file mapped in place could be cut short under us) */
	size_t len = (size_t)st.st_size, got = 0;
	void *blob = vocab_cache_alloc(len);
	if (!blob) {
		close(fd);
		return -ENOMEM;
	}
	while (got < len) {
		ssize_t n = read(fd, (uint8_t *)blob + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	r = got == len ? vocab_cache_decode(blob, len, key, vdir, out) : -EBADMSG;
	if (r < 0)
		vocab_cache_release(blob, len);
	return r;
}

/* DIR and its parent (the ~/.cache of ~/.cache/ingest), private to the user. */
static int make_dir(const char *dir)
{
	if (mkdir(dir, 0700) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return -errno;
	_cleanup_free_ char *parent = xstrdup(dir);
	char *slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return -ENOENT;
	*slash = 0;
	if (mkdir(parent, 0700) < 0 && errno != EEXIST)
		return -errno;
	return mkdir(dir, 0700) == 0 || errno == EEXIST ? 0 : -errno;
}

struct old {
	char *name;
	struct timespec mtime;
};

static int cmp_old(const void *a, const void *b)
{
	const struct old *x = a, *y = b;
	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Keeps the VOCAB_CACHE_MAX_FILES newest caches (one per program build and
 * vocabulary in use), and no temporary file older than an hour. */
static void prune(int dfd)
{
	_cleanup_(closedirp) DIR *d = opendir_dup(dfd);
	struct old *olds = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	time_t now = time(NULL);

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat st;
		bool tmp = strncmp(de->d_name, ".vocab-", 7) == 0;
		if (!tmp && (strncmp(de->d_name, VC_PREFIX, strlen(VC_PREFIX)) != 0 ||
		             !str_has_suffix_ci(de->d_name, VC_SUFFIX)))
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (tmp) {
			if (st.st_mtime < now - 3600)
				(void)unlinkat(dfd, de->d_name, 0);
			continue;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			olds = xrealloc(olds, cap * sizeof(*olds));
		}
		olds[n++] = (struct old){ xstrdup(de->d_name), st.st_mtim };
	}
	if (n > VOCAB_CACHE_MAX_FILES) {
		qsort(olds, n, sizeof(*olds), cmp_old);
		for (size_t i = 0; i < n - VOCAB_CACHE_MAX_FILES; i++)
			(void)unlinkat(dfd, olds[i].name, 0);
	}
	for (size_t i = 0; i < n; i++)
		free(olds[i].name);
	free(olds);
}

int vocab_cache_write(const char *dir, const uint8_t key[32], const struct vocab *v)
{
	_cleanup_free_ uint8_t *buf = NULL;
	_cleanup_free_ char *path = cache_path(dir, key);
	_cleanup_free_ char *tmp = NULL;
	size_t len;
	int r = vocab_cache_encode(v, key, &buf, &len), fd, dfd;

	if (r < 0)
		return r;
	if ((r = make_dir(dir)) < 0)
		return r;
	tmp = xasprintf("%s/.vocab-XXXXXX", dir);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* a torn file is caught by its digest: no fsync for a cache */
	r = write_all(fd, buf, len);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlink(tmp);
		return r;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		prune(dfd);
		close(dfd);
	}
	return 0;
}
