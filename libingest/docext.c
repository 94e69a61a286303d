/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Confined document text extraction.
 *
 * Every document is read in a child process made for it alone:
 *
 *   parent                              child
 *   ------                              -----
 *   fstat: refuse > max_doc_bytes       fds: 0,1,2 -> /dev/null, 3 = document,
 *   pipe + fork                              4 = result pipe, all others closed
 *   poll(pipe, wall-clock deadline)     rlimits: CPU, AS, FSIZE 0, CORE 0
 *   bound every length it sends         read the document into memory
 *   SIGKILL on deadline, always reap    initialise libraries that need files
 *   turn the outcome into plain words   seccomp: open() -> EACCES, most
 *                                         syscalls kill the process
 *                                       parse; write one frame; _exit
 *
 * The frame is a fixed header (struct frame) followed by the UTF-8 text and
 * then the layout (the text as printed: lines, '\t' between columns; see
 * docext-layout.c), the two within max_text_bytes together. The parent
 * trusts nothing in it: the magic, the status, every count and both lengths
 * are checked and the text and layout are re-sanitised.
 *
 * PDFs are read in up to two children: the first (poppler, no tesseract) takes
 * the text layer; only when the pages carry no real text does a second one
 * load tesseract and OCR the rendered pages, so text PDFs stay cheap.
 *
 * OCR languages: a caller that knows them passes them in struct docext_opts.
 * Otherwise the child loads "eng" (DOCEXT_DEFAULT_OCR_LANGS) and reads the
 * page; only a poor reading (confidence < OCR_ROTATE_BELOW) asks tesseract's
 * orientation and script detection (OSD, osd.traineddata, on a scaled-down
 * copy of the page), so a clean upright Latin page costs what it did. When
 * the first such page's script has other languages (ocr_scripts[] in
 * docext-child.c: Cyrillic "rus+eng", Arabic, Han, Devanagari) the child
 * stops and says so (frame.want_script), and a child loading them reads the
 * document again. OSD is no judge of a short page of mixed scripts (a
 * Chinese report of marker names came out Cyrillic, or with no script of
 * ours): when the reading in OSD's script stays below OCR_SCRIPT_GOOD, or
 * OSD names no script (or Latin without conviction: frame.script_unsure),
 * the first page is read in the other installed scripts' languages
 * (child_args.probe) and the best reading by tesseract's confidence reads
 * the document (read_in_script()). Measured on the 2-CPU development machine with the
 * lab-sheet test image, "eng" recognises a page several times faster than
 * "eng+chi_sim+ara+rus" (test-docext langs), hence no wide default list.
 *
 * Rotation: on a poor reading, OSD's orientation turns the page by quarter
 * turns and it is read again; when OSD is missing or unsure, the page is
 * tried at 90, 180 and 270 degrees and the best reading is kept, within the
 * CPU budget.
 *
 * Test hooks (testhooks.h, test builds only): INGEST_TEST_EXTRACTOR_FAULT
 * makes the child, once its sandbox is in place, crash, spin or sleep for
 * ever on a document that carries a marker, so tests can prove the
 * confinement (RLIMIT_CPU for the loop, the parent's wall clock for the
 * sleep); INGEST_DOCEXT_DEBUG=1 keeps the child's stderr (library warnings,
 * sanitizer reports) instead of sending it to /dev/null.
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "docext-private.h"
#include "util/clock.h"
#include "testhooks.h"

/* ------------------------------------------------------------------------ */
/* Parent side.                                                             */

struct child_result {
	bool have_frame;
	struct frame f;
	char *text;              /* f.text_len + f.layout_len bytes, NUL-terminated */
	bool timed_out;
	bool reaped;
	int wstatus;
	double seconds;
};

/* Waits for pid; SIGKILL once the deadline passes. Never leaves a zombie: if
 * a caller's SIGCHLD handler or SIG_IGN reaps the child first, waitpid says
 * ECHILD and we report what the pipe told us. The wait is a poll on a pidfd
 * (readable when the child exits), so an exiting child costs no sleep;
 * without one (old kernel), waitpid is polled every 2 ms. */
static void reap_child(pid_t pid, double deadline, struct child_result *res)
{
	bool killed = false;
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);

	for (;;) {
		int st;
		pid_t r = waitpid(pid, &st, killed ? 0 : WNOHANG);

		if (r == pid) {
			res->reaped = true;
			res->wstatus = st;
			break;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break; /* ECHILD: reaped by someone else */
		double left = deadline - mono_s();
		if (left <= 0) {
			kill(pid, SIGKILL);
			killed = true;
			res->timed_out = true;
			continue;
		}
		if (pfd >= 0)
			(void)poll(&(struct pollfd){ .fd = pfd, .events = POLLIN }, 1, (int)(left * 1000) + 1);
		else
			nanosleep(&(struct timespec){ .tv_nsec = 2 * 1000 * 1000 }, NULL);
	}
	if (pfd >= 0)
		close(pfd);
}

/* Reads the frame with a wall-clock deadline; bounds every length. */
static void read_frame(int rfd, double deadline, uint64_t max_text, struct child_result *res)
{
	uint8_t hdr[sizeof(struct frame)];
	size_t got = 0, want = sizeof(hdr), tgot = 0;
	bool in_text = false;

	for (;;) {
		double left = deadline - mono_s();
		struct pollfd p = { .fd = rfd, .events = POLLIN };
		ssize_t n;
		int r;

		if (left <= 0) {
			res->timed_out = true;
			return;
		}
		r = poll(&p, 1, (int)MIN(left * 1000 + 1, (double)INT_MAX));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return;
		if (r == 0)
			continue; /* the loop re-checks the deadline */

		if (!in_text)
			n = read(rfd, hdr + got, want - got);
		else
			n = read(rfd, res->text + tgot, (size_t)(res->f.text_len + res->f.layout_len) - tgot);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return; /* EOF or error: whatever we have is all */

		if (!in_text) {
			got += (size_t)n;
			if (got < want)
				continue;
			memcpy(&res->f, hdr, sizeof(res->f));
			if (res->f.magic != FRAME_MAGIC || res->f.text_len > max_text ||
			    res->f.layout_len > max_text - res->f.text_len)
				return;
			res->text = xmalloc((size_t)(res->f.text_len + res->f.layout_len) + 1);
			res->text[0] = 0;
			in_text = true;
		} else {
			tgot += (size_t)n;
		}
		if (in_text && tgot == res->f.text_len + res->f.layout_len) {
			res->text[tgot] = 0;
			res->have_frame = true;
			return;
		}
	}
}

/* A child at work: started by child_start(), collected by child_wait(). */
struct child_run {
	pid_t pid;
	int rfd;
	enum child_mode mode;
	double start;
	double limit;            /* wall-clock seconds, counted from when child_wait() begins */
};

static int child_start(struct ing_ctx *ctx, const struct docext_opts *o, int fd, uint64_t size, enum child_mode mode,
                       const char *langs, bool langs_auto, bool probe, struct child_run *run)
{
	struct child_args a = {
		.mode = mode,
		.doc_fd = fd,
		.doc_size = size,
		.limits = ctx->limits,
		.ocr_langs = langs,
		.ocr_langs_auto = langs_auto,
		.probe = probe,
		.parent = getpid(),
	};
	int p[2];
	pid_t pid;

	a.keep_stderr = testhook_docext_keep_stderr();
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	a.out_fd = p[1];

	run->mode = mode;
	run->start = mono_s();
	run->limit = ing_limits_document_seconds(&ctx->limits);
	if (o && o->around_fork)
		o->around_fork(o->around_fork_ud, true);
	pid = fork();
	int fork_err = errno;
	if (pid != 0 && o && o->around_fork)
		o->around_fork(o->around_fork_ud, false);
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -fork_err;
	}
	if (pid == 0) {
		close(p[0]);
		child_main(&a);
	}
	close(p[1]);
	run->pid = pid;
	run->rfd = p[0];
	return 0;
}

static void child_wait(struct ing_ctx *ctx, struct child_run *run, struct child_result *res)
{
	/* From now, not from the fork: the scan may come back for a result long
	 * after the child sent it (a walk of thousands of files in between), and
	 * RLIMIT_CPU bounds what the child can have done meanwhile; this clock is
	 * for a child that sleeps or waits. */
	double deadline = mono_s() + run->limit;
	read_frame(run->rfd, deadline, ctx->limits.max_text_bytes, res);
	close(run->rfd);
	run->rfd = -1;
	if (res->timed_out)
		kill(run->pid, SIGKILL);
	/* After the frame the child only exits; give it a moment, then kill. */
	reap_child(run->pid, res->timed_out ? 0 : MIN(deadline, mono_s() + 2.0), res);
	res->seconds = mono_s() - run->start;
	if (res->timed_out) {
		res->have_frame = false;
	} else if (res->reaped && !(WIFEXITED(res->wstatus) && WEXITSTATUS(res->wstatus) == 0)) {
		/* A frame followed by a crash is not a result. */
		res->have_frame = false;
	}
	if (!res->have_frame) {
		free(res->text);
		res->text = NULL;
	}
	log_debug(ctx, "docext: mode %d child %d finished in %.3f s", (int)run->mode, (int)run->pid, res->seconds);
}

static int run_child(struct ing_ctx *ctx, const struct docext_opts *o, int fd, uint64_t size, enum child_mode mode,
                     const char *langs, bool langs_auto, bool probe, struct child_result *res)
{
	struct child_run run;
	int r = child_start(ctx, o, fd, size, mode, langs, langs_auto, probe, &run);
	if (r < 0)
		return r;
	child_wait(ctx, &run, res);
	return 0;
}

static const char *reader_name(enum child_mode m)
{
	switch (m) {
	case MODE_PDF_TEXT:
		return "PDF reader";
	case MODE_PDF_OCR:
		return "PDF reader (scanned pages)";
	case MODE_TEXT:
		return "text reader";
	case MODE_IMAGE:
		return "image reader (OCR)";
	}
	return "reader";
}

/* The outcome in words a coordinator can act on; NULL when it is a result. */
/* Why the document could not be read, in words, and the problem code the
 * report gives it (*code); NULL when it was read. */
static char *explain(const struct ing_ctx *ctx, enum child_mode mode, const struct child_result *res,
                     enum ing_problem *code)
{
	const char *who = reader_name(mode);
	unsigned cpu = MAX(ctx->limits.extract_cpu_seconds, 1u);

	*code = PROB_LIMIT;     /* stopped by a time, memory or safety limit */

	if (res->timed_out)
		return xasprintf("reading this document took longer than %.0f s and was stopped; check it by eye",
		                 ing_limits_document_seconds(&ctx->limits));
	if (res->reaped && WIFSIGNALED(res->wstatus)) {
		int sig = WTERMSIG(res->wstatus);
		if (sig == SIGXCPU || sig == SIGKILL)
			return xasprintf("reading this document needed more than %u s of processing and was stopped; check it by eye",
			                 cpu);
		if (sig == SIGSYS)
			return xasprintf("the %s tried something it is not allowed to do on this file and was stopped; check it by eye",
			                 who);
		*code = PROB_CORRUPT;
		if (sig == SIGABRT)
			return xasprintf("the %s gave up on this file (it is damaged or needs more than %llu MB of memory); check it by eye",
			                 who, (unsigned long long)(ctx->limits.extract_mem_bytes >> 20));
		return xasprintf("the %s crashed on this file (signal %d); check it by eye", who, sig);
	}
	*code = PROB_CORRUPT;
	if (!res->have_frame) {
		if (res->reaped && WIFEXITED(res->wstatus))
			return xasprintf("the %s crashed on this file (exit status %d); check it by eye",
			                 who, WEXITSTATUS(res->wstatus));
		return xasprintf("the %s stopped without an answer on this file; check it by eye", who);
	}
	switch (res->f.status) {
	case ST_OK:
		return NULL;
	case ST_ENCRYPTED:
		*code = PROB_ENCRYPTED;
		return xstrdup("the PDF is password-protected; ask for an unprotected copy");
	case ST_DAMAGED:
		return xstrdup("the document is damaged and could not be read; check it by eye or ask for a new copy");
	case ST_TOO_BIG:
		*code = PROB_LIMIT;
		return xasprintf("the document is too large to read within the %llu MB memory limit; check it by eye",
		                 (unsigned long long)(ctx->limits.extract_mem_bytes >> 20));
	case ST_READ_ERROR:
		return xstrdup("the document could not be read from disk");
	case ST_IMAGE_UNREADABLE:
		*code = PROB_LIMIT;     /* undecodable, or over the memory limit: we cannot tell which */
		return xasprintf("the image could not be decoded (damaged, an unsupported format, or larger than the %llu MB memory limit); check it by eye",
		                 (unsigned long long)(ctx->limits.extract_mem_bytes >> 20));
	case ST_OCR_UNAVAILABLE:
		return xstrdup("text recognition (OCR) is not available for the requested languages on this server");
	case ST_IMAGE_TOO_LARGE:
		*code = PROB_LIMIT;
		return xasprintf("the image is %u x %u pixels, more than the %.0f million pixels text recognition "
		                 "(OCR) reads; its text was not read: check it by eye, or send it smaller",
		                 res->f.width, res->f.height, OCR_MAX_IMAGE_PIXELS / 1e6);
	default:
		return xstrdup("the reader gave an answer that makes no sense; check the document by eye");
	}
}

/* Child text is untrusted: keep valid UTF-8, tab, newline and form feed;
 * replace everything else. */
static char *clean_text(const char *s, size_t n, size_t *out_len)
{
	struct textbuf t = { .s = xmalloc(n * 3 + 1), .max = n * 3 };
	const uint8_t *u = (const uint8_t *)s;

	for (size_t i = 0; i < n;) {
		size_t l = utf8_valid_seq(u + i, n - i);
		if (l == 0) {
			textbuf_add(&t, "\xef\xbf\xbd", 3);
			i++;
		} else if (l == 1 && (u[i] < 0x20 || u[i] == 0x7f) && !strchr("\t\n\f", u[i])) {
			if (u[i] != '\r')
				textbuf_addc(&t, ' ');
			i++;
		} else {
			textbuf_add(&t, s + i, l);
			i += l;
		}
	}
	t.s[t.len] = 0;
	*out_len = t.len;
	return t.s;
}

static void fill_out(const struct child_result *res, struct doc_info *out)
{
	const struct frame *f = &res->f;

	out->pages = f->pages >= 0 ? f->pages : -1;
	out->text_layer = f->text_layer != 0;
	out->ocr = f->ocr != 0;
	out->ocr_confidence = f->ocr && f->confidence >= 0 ? MIN(f->confidence, 100) : 0;
	out->text = NULL;
	out->text_len = 0;
	out->layout = NULL;
	out->layout_len = 0;
	if (res->text && f->text_len > 0)
		out->text = clean_text(res->text, (size_t)f->text_len, &out->text_len);
	if (res->text && f->layout_len > 0)
		out->layout = clean_text(res->text + f->text_len, (size_t)f->layout_len, &out->layout_len);
}

static int text_in_process(struct ing_ctx *ctx, int fd, uint64_t size, struct doc_info *out)
{
	const struct ing_limits *lim = &ctx->limits;
	uint8_t *buf = xmalloc((size_t)size + 1);
	size_t got = 0;

	while (got < size) {
		ssize_t r = pread(fd, buf + got, (size_t)size - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = -errno;
			free(buf);
			return e;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	/* decoding can grow the text up to 3 bytes per input byte */
	size_t max = (size_t)MIN(lim->max_text_bytes, (uint64_t)got * 3 + 4);
	struct textbuf t = { .s = xmalloc(max + 1), .max = max };
	decode_text(buf, got, &t);
	free(buf);
	out->pages = 1;
	out->text_layer = true;
	out->ocr = false;
	out->text = clean_text(t.s, t.len, &out->text_len);
	free(t.s);
	if (t.truncated)
		log_info(ctx, "docext: text cut at %llu bytes", (unsigned long long)lim->max_text_bytes);
	return 0;
}

struct docext_job {
	struct ing_ctx *ctx;
	struct docext_opts opts;
	const char *langs;
	bool langs_auto;         /* the caller named none: OSD's script may choose */
	int fd;                  /* ours (a dup): a scanned PDF, or an image in another
	                          * script, is read again */
	uint64_t size;
	struct doc_info *out;
	struct child_run run;
};

int docext_start(struct ing_ctx *ctx, int fd, enum docext_type type, const struct docext_opts *opts,
                 struct doc_info *out, struct docext_job **job)
{
	const struct ing_limits *lim = &ctx->limits;
	const char *langs = DOCEXT_DEFAULT_OCR_LANGS;
	bool langs_auto = true;
	enum child_mode mode;
	struct stat st;
	uint64_t size;

	*job = NULL;
	if (fd < 0 || !out)
		return -EINVAL;
	if (opts && opts->ocr_langs) {
		if (langs_ok(opts->ocr_langs)) {
			langs = opts->ocr_langs;
			langs_auto = false;
		} else
			log_warn(ctx, "docext: OCR language list rejected, using %s", langs);
	}
	switch (type) {
	case DOCEXT_PDF:
		mode = MODE_PDF_TEXT;
		break;
	case DOCEXT_TEXT:
		mode = MODE_TEXT;
		break;
	case DOCEXT_IMAGE:
		mode = MODE_IMAGE;
		break;
	default:
		return -EINVAL;
	}

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > lim->max_doc_bytes) {
		out->pages = -1;
		out->extract_problem = PROB_LIMIT;
		out->extract_error = xasprintf("the document is %llu MB, more than the %llu MB read for text; check it by eye",
		                               (unsigned long long)((uint64_t)st.st_size >> 20),
		                               (unsigned long long)(lim->max_doc_bytes >> 20));
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	size = (uint64_t)st.st_size;

	if (mode == MODE_TEXT)
		return text_in_process(ctx, fd, size, out);
	struct docext_job *j = xcalloc(1, sizeof(*j));
	*j = (struct docext_job){ .ctx = ctx, .langs = langs, .langs_auto = langs_auto, .fd = -1, .size = size,
	                         .out = out };
	if (opts)
		j->opts = *opts;
	bool again = (mode == MODE_PDF_TEXT && !j->opts.no_pdf_ocr) || (mode == MODE_IMAGE && langs_auto);
	if (again && (j->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		int e = -errno;
		free(j);
		return e;
	}
	int r = child_start(ctx, &j->opts, fd, size, mode, langs, langs_auto, false, &j->run);
	if (r < 0) {
		if (j->fd >= 0)
			close(j->fd);
		free(j);
		return r;
	}
	*job = j;
	return 0;
}

/* A reading in the right script's languages: tesseract's mean confidence on
 * the corpus's and the tests' pages of Han or Arabic with Latin marker names
 * is 82-89 in the right script and 54-66 in a wrong one (the Latin names read
 * well in any), so a reading in a script OSD chose must reach this, or the
 * other scripts are tried. */
#define OCR_SCRIPT_GOOD 75

/* A reading in the running for the document's OCR languages. */
struct script_try {
	struct child_result res;
	const char *langs;
	int conf;
	bool partial;
};

/* Takes T's result if it read better than BEST (strictly), else frees it. */
static void try_keep(struct script_try *best, struct child_result *t, const char *langs)
{
	bool ok = t->have_frame && t->f.status == ST_OK && t->f.ocr;
	if (ok && t->f.confidence > best->conf) {
		free(best->res.text);
		*best = (struct script_try){ .res = *t, .langs = langs, .conf = t->f.confidence, .partial = t->f.partial };
	} else {
		free(t->text);
	}
	*t = (struct child_result){ 0 };
}

/* An OCR child that found its first poor page in a script whose languages
 * it had not loaded (frame.want_script), or in a script OSD could not tell
 * (frame.script_unsure: no script, or Latin without conviction), stopped
 * after that page: read the document again in its script's languages. OSD
 * is not taken on its word for a short page of mixed scripts (a Chinese
 * report of marker names: OSD said Cyrillic): when the reading in its
 * script is below OCR_SCRIPT_GOOD, or OSD named none, the first page is
 * read in each other installed script's languages (probe children) until
 * one reaches it, and the best reading by tesseract's mean confidence, the
 * stopped child's own included, reads the document. A clean page in one
 * script costs what it did. *RES is that reading. */
static int read_in_script(struct docext_job *j, enum child_mode mode, struct child_result *res)
{
	bool framed = res->have_frame && res->f.status == ST_OK;
	int w = framed ? res->f.want_script : -1;
	bool unsure = framed && res->f.script_unsure;
	unsigned installed = framed ? res->f.scripts_ok : 0;
	int r;

	if (w >= (int)n_ocr_scripts || (w < 0 && !unsure) || !j->langs_auto || j->fd < 0)
		return 0;
	/* the stopped child's first page, in the languages it had */
	struct script_try best = { .res = *res, .langs = j->langs, .conf = res->f.confidence, .partial = true };
	if (unsure && !res->f.partial)
		best.partial = false;   /* it read the whole document */
	*res = (struct child_result){ 0 };
	if (w >= 0) {
		struct child_result again = { 0 };
		log_debug(j->ctx, "docext: OCR: the page is in %s script, reading it with %s", ocr_scripts[w].script,
		          ocr_scripts[w].langs);
		r = run_child(j->ctx, &j->opts, j->fd, j->size, mode, ocr_scripts[w].langs, false, false, &again);
		if (r < 0) {
			free(best.res.text);
			return r;
		}
		if (!(again.have_frame && again.f.status == ST_OK && again.f.ocr)) {
			/* its failure stands, as a reading's own would */
			free(best.res.text);
			*res = again;
			return 0;
		}
		try_keep(&best, &again, ocr_scripts[w].langs);
	}
	for (size_t i = 0; i < n_ocr_scripts && i < 8 && best.conf < OCR_SCRIPT_GOOD; i++) {
		struct child_result p = { 0 };
		if ((int)i == w || !(installed & (1u << i)) || strcmp(ocr_scripts[i].langs, j->langs) == 0)
			continue;
		r = run_child(j->ctx, &j->opts, j->fd, j->size, mode, ocr_scripts[i].langs, false, true, &p);
		if (r < 0) {
			free(best.res.text);
			return r;
		}
		log_debug(j->ctx, "docext: OCR: the first page read with %s: confidence %d (best so far %d)",
		          ocr_scripts[i].langs, p.have_frame ? p.f.confidence : -1, best.conf);
		try_keep(&best, &p, ocr_scripts[i].langs);
	}
	if (best.partial) {
		/* the winner read the first page only: the whole document in its languages */
		free(best.res.text);
		return run_child(j->ctx, &j->opts, j->fd, j->size, mode, best.langs, false, false, res);
	}
	*res = best.res;
	return 0;
}

int docext_finish(struct docext_job *j)
{
	struct ing_ctx *ctx = j->ctx;
	struct doc_info *out = j->out;
	struct child_result res = { 0 };
	enum child_mode mode = j->run.mode;
	int r = 0;

	child_wait(ctx, &j->run, &res);
	if (mode == MODE_IMAGE) {
		r = read_in_script(j, MODE_IMAGE, &res);
		if (r < 0) {
			free(res.text);
			goto out;
		}
	}
	bool partly = res.have_frame && res.f.status == ST_OK && res.f.text_layer && res.f.image_pages > 0;
	if (res.have_frame && res.f.status == ST_OK && mode == MODE_PDF_TEXT && (!res.f.text_layer || partly) &&
	    res.f.pages > 0 && j->fd >= 0) {
		/* No text layer: a scanned document; or scanned pages among text
		 * pages. Read it again, with OCR of the pages without text (the
		 * others are read from their text layer again). */
		struct child_result ocr = { 0 };

		r = run_child(ctx, &j->opts, j->fd, j->size, MODE_PDF_OCR, j->langs, j->langs_auto, false, &ocr);
		if (r == 0)
			r = read_in_script(j, MODE_PDF_OCR, &ocr);
		if (r < 0) {
			free(ocr.text);
			free(res.text);
			goto out;
		}
		if (ocr.have_frame && ocr.f.status == ST_OK) {
			free(res.text);
			res = ocr;
		} else if (partly) {
			/* The text pages were read: that reading stands; the scanned
			 * pages' failure is said in the log (the pages are not in the text). */
			char *why = explain(ctx, MODE_PDF_OCR, &ocr, &(enum ing_problem){ PROB_NONE });
			log_info(ctx, "docext: OCR of %d scanned page%s among text pages failed: %s", res.f.image_pages,
			         res.f.image_pages == 1 ? "" : "s", why ? why : "?");
			free(why);
			free(ocr.text);
		} else {
			/* Keep the text-layer reading, but say why OCR failed. */
			char *why = explain(ctx, MODE_PDF_OCR, &ocr, &out->extract_problem);
			log_info(ctx, "docext: OCR of a scanned PDF failed: %s", why ? why : "?");
			fill_out(&res, out);
			out->extract_error = why;
			free(ocr.text);
			free(res.text);
			goto out;
		}
	}

	out->pages = -1;
	out->extract_error = explain(ctx, mode, &res, &out->extract_problem);
	if (!out->extract_error)
		fill_out(&res, out);
	else if (res.have_frame && res.f.pages >= 0)
		out->pages = res.f.pages;
	if (res.have_frame && res.f.truncated)
		log_info(ctx, "docext: text cut at %llu bytes", (unsigned long long)ctx->limits.max_text_bytes);
	free(res.text);
out:
	if (j->fd >= 0)
		close(j->fd);
	free(j);
	return r;
}

int docext_run_opts(struct ing_ctx *ctx, int fd, enum docext_type type,
                     const struct docext_opts *opts, struct doc_info *out)
{
	struct docext_job *j;
	int r = docext_start(ctx, fd, type, opts, out, &j);
	if (r < 0 || !j)
		return r;
	return docext_finish(j);
}

int docext_run(struct ing_ctx *ctx, int fd, enum docext_type type, struct doc_info *out)
{
	return docext_run_opts(ctx, fd, type, NULL, out);
}
