/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The archive expander (libingest/expand.c) on arbitrary bytes, read in each
 * of the three ways the scan reads an archive: whole in memory (an entry
 * taken whole), as a file (mapped for libarchive's structure, entries handed
 * on as ranges of it, zips indexed and inflated with pread(); here a memfd),
 * and as a stream (an entry of a compressed archive), one of them per input
 * (chosen by its length). Behind it: libarchive's
 * readers and filters, libudfread, zipidx and libdeflate, the limits, and
 * the refusal of hostile entries. Every entry that comes out is read to its
 * end the way it is offered (gathered, a range, a stream), and one that
 * starts like an archive is expanded again, as the scan does.
 *
 * The entries are not identified here: identification, DICOM headers and
 * document text have fuzz targets of their own (fuzz-identify,
 * fuzz-dcm-header, fuzz-findings). Before, this target ran the whole scan per
 * input (libmagic, the rules) at ~160 inputs/s, too slow to reach the
 * expander's own depths. Limits are small so that every input stays fast.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "case.h"
#include "expand.h"
#include "identify.h"
#include "ingest.h"
#include "model.h"
#include "sink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define HEAD 65536u               /* what the scan reads before it knows an archive */
#define NESTED_MAX (2u << 20)     /* an entry read whole to be expanded again */

static struct ing_ctx *ctx;
static struct sink *sink;
static uint8_t *chunk;
static int memfd = -1;

static void quiet(void *ud, int level, const char *msg)
{
	(void)ud;
	(void)level;
	(void)msg;
}

/* The first bytes of what the scan would identify as an archive or disc image. */
static bool archive_like(const uint8_t *p, size_t n)
{
	static const struct {
		size_t off;
		const char *magic;
		size_t len;
	} m[] = {
		{ 0, "PK\3\4", 4 }, { 0, "PK\5\6", 4 }, { 0, "7z\xbc\xaf\x27\x1c", 6 }, { 0, "\x1f\x8b", 2 },
		{ 0, "BZh", 3 }, { 0, "\xfd" "7zXZ", 5 }, { 0, "Rar!", 4 }, { 0, "070701", 6 }, { 0, "070707", 6 },
		{ 0, "\x28\xb5\x2f\xfd", 4 }, { 257, "ustar", 5 }, { 32769, "CD001", 5 }, { 32769, "BEA01", 5 },
	};
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (n >= m[i].off + m[i].len && memcmp(p + m[i].off, m[i].magic, m[i].len) == 0)
			return true;
	return false;
}

struct mem_src {
	const uint8_t *p;
	size_t n, pos;
};

static ssize_t mem_read(void *ud, void *buf, size_t n)
{
	struct mem_src *m = ud;
	size_t k = n < m->n - m->pos ? n : m->n - m->pos;
	memcpy(buf, m->p + m->pos, k);
	m->pos += k;
	return (ssize_t)k;
}

static void expand(struct walk *w, struct ing_file *f, const uint8_t *p, size_t n, int how, const struct ident_where *wh);

/* The first keep bytes of an entry, from the n just read into chunk: how many are kept now. */
static size_t keep_some(uint8_t *buf, size_t got, size_t keep, size_t n)
{
	size_t k = got < keep ? (n < keep - got ? n : keep - got) : 0;
	memcpy(buf + got, chunk, k);
	return got + k;
}

/* walk->entry: read the entry to its end as it is offered; expand it again when it is an archive. */
static void entry(struct walk *w, const char *rel, uint64_t size, struct byte_src *src, int fd,
                  const struct ident_where *where)
{
	(void)fd;
	struct ing_file *f = calloc(1, sizeof(*f));
	if (!f)
		abort();
	f->path = strdup(rel);
	f->size = size;
	ptrvec_push(&w->scan->files, f);
	size_t keep = size < NESTED_MAX ? (size_t)size : NESTED_MAX;
	uint8_t *buf = malloc(keep ? keep : 1);
	size_t got = 0;
	if (!buf)
		abort();
	if (src->range) {
		for (uint64_t off = 0; off < size;) {
			size_t want = size - off < 65536 ? (size_t)(size - off) : 65536;
			ssize_t r = pread(src->range->fd, chunk, want, (off_t)(src->range->off + off));
			if (r <= 0)
				break;
			got = keep_some(buf, got, keep, (size_t)r);
			off += (uint64_t)r;
		}
	} else {
		struct sink_segs g = { 0 };
		if (src->gather)
			(void)src->gather(src->ud, w->sink, keep, &g);
		got = segs_copy(&g, 0, buf, keep);
		segs_release(w->sink, &g);
		for (;;) {
			ssize_t r = src->read(src->ud, chunk, 65536);
			if (r <= 0)
				break;
			got = keep_some(buf, got, keep, (size_t)r);
		}
	}
	if (got == size && archive_like(buf, got))
		expand(w, f, buf, got, (int)(got % 2), where);   /* nested: in memory, or as a stream */
	free(buf);
}

/* how: 0 in memory, 1 a stream, 2 a file (memfd). */
static void expand(struct walk *w, struct ing_file *f, const uint8_t *p, size_t n, int how, const struct ident_where *wh)
{
	size_t head = n < HEAD ? n : HEAD;
	struct mem_src ms = { p, n, head };
	struct byte_src src = { .read = mem_read, .ud = &ms };
	struct arc_in in = { -1, 0, NULL };
	uint64_t consumed = 0;
	if (how == 0)
		in.mem = p;
	if (how == 2)
		in.fd = memfd;
	(void)expand_archive(w, f, p, head, &src, how == 1 ? NULL : &in, &consumed, wh);
}

static void cleanup(void)
{
	sink_free(sink);
	ing_ctx_free(ctx);
	free(chunk);
	close(memfd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct ing_limits lim;

	(void)argc;
	(void)argv;
	if (ing_ctx_new(&ctx) < 0)
		abort();
	/* every message is formatted (hostile names pass through the log), then dropped */
	ing_ctx_set_log(ctx, quiet, NULL, ING_LOG_DEBUG);
	ing_limits_default(&lim);
	lim.max_file_bytes = 64u << 20;
	lim.max_total_bytes = 64u << 20;
	lim.max_entries = 2000;
	lim.max_depth = 4;
	ing_ctx_set_limits(ctx, &lim);
	sink = sink_new((size_t)lim.hash_pending_bytes);
	chunk = malloc(WALK_CHUNK_BYTES);
	memfd = memfd_create("fuzz-expand", 0);
	if (!chunk || memfd < 0)
		abort();
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ctx)
		LLVMFuzzerInitialize(NULL, NULL);
	if (ftruncate(memfd, 0) < 0 || pwrite(memfd, data, size, 0) != (ssize_t)size)
		abort();
	/* One way per input, by its length: each way still meets every mutation
	 * (running all three tripled the cost of libarchive's large buffers,
	 * which under ASan is most of an input's time). */
	{
		int how = (int)(size % 3);
		struct ing_scan scan = { .ctx = ctx, .staging_fd = -1 };
		struct walk w = { .scan = &scan, .chunk = chunk, .sink = sink, .entry = entry, .drop_is_file = true };
		struct ident_where wh = { 0 };
		struct stat st;
		if (fstat(memfd, &st) < 0)
			abort();
		walk_budget_init(&w, memfd, &st);     /* the drop's budgets, as the scan sets them */
		struct ing_file *f = calloc(1, sizeof(*f));
		if (!f)
			abort();
		f->path = strdup("");
		f->size = size;
		expand(&w, f, data, size, how, &wh);
		sink_drain(sink);
		file_free(f);
		for (size_t i = 0; i < scan.files.n; i++)
			file_free(scan.files.v[i]);
		free(scan.files.v);
	}
	return 0;
}
