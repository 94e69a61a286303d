/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The confined child of document extraction (docext.c's top comment): its
 * sandbox (descriptors, limits, seccomp), plain text decoding, OCR with
 * tesseract and PDF text with poppler, and the one frame it writes back.
 */
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>

/* Our header first: glib's MIN/MAX then replace internal.h's identical ones. */
#include "child.h"
#include "docext-private.h"
#include "testhooks.h"

#include <cairo.h>
#include <leptonica/allheaders.h>
#include <poppler.h>
#include <seccomp.h>
#include <tesseract/capi.h>

#if defined(__SANITIZE_ADDRESS__)
#define DOCEXT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DOCEXT_ASAN 1
#endif
#endif
#ifndef DOCEXT_ASAN
#define DOCEXT_ASAN 0
#endif

/* Fixed child descriptors. */
#define CHILD_DOC_FD 3
#define CHILD_OUT_FD 4


/* Pages with at least this many non-space characters carry a text layer. */
#define TEXT_LAYER_MIN_CHARS 20
/* Rendering for OCR: resolution, and a ceiling on pixels per page so that a
 * page declared 200 inches wide cannot ask for gigabytes. */
#define OCR_RENDER_DPI 200.0
#define OCR_MAX_PAGE_PIXELS (40.0 * 1000 * 1000)
/* Below OCR_ROTATE_BELOW (docext-private.h) mean confidence, other
 * orientations are tried when OSD gave no confident answer. */
/* OSD (orientation and script detection) runs on a copy of the page scaled
 * down to at most this many pixels on its longer side: it needs a few
 * dozen characters of readable size, not the full scan, and its cost grows
 * with the pixels. */
#define OSD_MAX_SIDE 1400
/* OSD's confidences below these are not acted upon (tesseract's own
 * command line prints them; a real page scores several units, noise
 * about 1). */
#define OSD_MIN_ORIENT_CONF 2.0f
#define OSD_MIN_SCRIPT_CONF 1.0f
/* Latin from OSD below this confidence is not taken on its word: a short
 * page of Han or Arabic with Latin marker names ("免疫组化：HER2 (1+),
 * MLH1 (+)...") gets Latin, Japanese or no script at about 0.3-1.2, and
 * its English reading is poor; the parent then reads the first page in the
 * other scripts' languages and keeps the best reading (docext.c). */
#define OSD_SURE_LATIN_CONF 2.0f

/* Tesseract's language lists by OSD's script (docext-private.h). Latin: English
 * alone (each extra language costs recognition time: see docext.c). */
const struct ocr_script ocr_scripts[] = {
	{ "Latin", DOCEXT_DEFAULT_OCR_LANGS },
	{ "Cyrillic", "rus+eng" },
	{ "Arabic", "ara+eng" },
	{ "Han", "chi_sim+eng" },
	{ "Devanagari", "hin+eng" },
};
const size_t n_ocr_scripts = ARRAY_SIZE(ocr_scripts);

/* What the child sends back besides its status and counts. */
struct child_out {
	struct textbuf text;
	struct textbuf layout;   /* .s NULL: no layout (plain text, or no memory) */
	int want_script;
	bool script_unsure;      /* see struct frame */
	bool stop;               /* the page just read is the last (probe, script_unsure) */
	bool partial;
	uint8_t scripts_ok;      /* see struct frame */
	int rotated;
	int image_pages;         /* PDF: pages with an image and no text of their own */
	uint32_t width, height;  /* an image too large to OCR */
};

/* The boxes of one page, reused from page to page. */
struct boxes {
	struct layout_box *b;
	size_t n, cap;
	char *src;               /* OCR: the words, one after another */
	size_t src_len, src_cap;
};

static bool boxes_push(struct boxes *bx, const struct layout_box *b)
{
	if (bx->n == bx->cap) {
		size_t cap = bx->cap ? bx->cap * 2 : 1024;
		struct layout_box *nb = cap < SIZE_MAX / sizeof(*nb) ? realloc(bx->b, cap * sizeof(*nb)) : NULL;
		if (!nb)
			return false;
		bx->b = nb;
		bx->cap = cap;
	}
	bx->b[bx->n++] = *b;
	return true;
}

static bool boxes_src_add(struct boxes *bx, const char *p, size_t n)
{
	if (n > UINT32_MAX - bx->src_len)
		return false;
	if (bx->src_len + n > bx->src_cap) {
		size_t cap = MAX(bx->src_cap * 2, bx->src_len + n + 4096);
		char *ns = realloc(bx->src, cap);
		if (!ns)
			return false;
		bx->src = ns;
		bx->src_cap = cap;
	}
	memcpy(bx->src + bx->src_len, p, n);
	bx->src_len += n;
	return true;
}
/* Share of the CPU limit the child gives to OCR; the rest is for its start
 * and for writing the result before RLIMIT_CPU strikes. */
#define OCR_BUDGET_SHARE 0.8

/* ------------------------------------------------------------------------ */
/* Child side. Nothing here returns: every path ends in _exit().            */

void textbuf_add(struct textbuf *t, const char *p, size_t n)
{
	size_t room = t->max - t->len;

	if (n > room) {
		n = room;
		/* Do not split a multi-byte sequence. */
		while (n > 0 && ((unsigned char)p[n] & 0xc0) == 0x80)
			n--;
		t->truncated = true;
	}
	memcpy(t->s + t->len, p, n);
	t->len += n;
}

void textbuf_addc(struct textbuf *t, char c)
{
	textbuf_add(t, &c, 1);
}

static _Noreturn void child_finish(const struct child_args *a, int status, int pages, int pages_read,
                                   bool text_layer, bool ocr, int confidence, struct child_out *out)
{
	const struct textbuf *t = out ? &out->text : NULL;
	struct textbuf *l = out && out->layout.s ? &out->layout : NULL;

	/* Text and layout share max_text_bytes; the text is kept whole first. */
	if (l && t && l->len > (t->max > t->len ? t->max - t->len : 0)) {
		size_t n = t->max > t->len ? t->max - t->len : 0;
		while (n > 0 && ((unsigned char)l->s[n] & 0xc0) == 0x80)
			n--;
		while (n > 0 && l->s[n - 1] != '\n')
			n--; /* whole lines only */
		l->len = n;
	}
	struct frame f = {
		.magic = FRAME_MAGIC,
		.status = status,
		.pages = pages,
		.pages_read = pages_read,
		.confidence = confidence,
		.text_layer = text_layer,
		.ocr = ocr,
		.truncated = t ? t->truncated : 0,
		.text_len = t ? t->len : 0,
		.layout_len = l ? l->len : 0,
		.want_script = out ? out->want_script : -1,
		.rotated = out ? out->rotated : 0,
		.image_pages = out ? (uint8_t)MIN(out->image_pages, 255) : 0,
		.width = out ? out->width : 0,
		.height = out ? out->height : 0,
		.script_unsure = out ? out->script_unsure : 0,
		.partial = out ? out->partial : 0,
		.scripts_ok = out ? out->scripts_ok : 0,
	};

	child_write_all(a->out_fd, &f, sizeof(f));
	if (t && t->len > 0)
		child_write_all(a->out_fd, t->s, t->len);
	if (l && l->len > 0)
		child_write_all(a->out_fd, l->s, l->len);
	_exit(0);
}

static _Noreturn void child_fail(const struct child_args *a, int status)
{
	child_finish(a, status, -1, 0, false, false, -1, NULL);
}

static size_t count_nonspace(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (!strchr(" \t\r\n\f\v", *s))
			n++;
	return n;
}

/* After this, the child can compute, use memory it maps, and talk over the
 * descriptors it already holds. Opening files fails softly with EACCES so
 * libraries that look for optional data degrade instead of dying. */
static int child_load_seccomp(void)
{
	static const char *const allow[] = {
		"read", "pread64", "readv", "write", "writev", "lseek", "close",
		"fstat", "newfstatat", "statx", "fcntl",
		"mmap", "munmap", "mprotect", "brk", "madvise", "mremap",
		"futex", "set_robust_list", "get_robust_list", "rseq",
		"sched_yield", "sched_getaffinity", "getcpu",
		"clock_gettime", "clock_getres", "gettimeofday", "time",
		"nanosleep", "clock_nanosleep",
		"getrandom", "rt_sigreturn", "rt_sigprocmask", "rt_sigaction", "sigaltstack",
		"getpid", "gettid", "getuid", "geteuid", "getgid", "getegid",
		"getrlimit", "prlimit64", "getrusage", "sysinfo", "uname",
		"exit", "exit_group", "restart_syscall",
	};
	static const char *const deny_eacces[] = {
		"open", "openat", "openat2", "creat", "access", "faccessat", "faccessat2",
		"stat", "lstat", "readlink", "readlinkat", "mkdir", "mkdirat", "unlink",
		"unlinkat", "socket", "memfd_create", "shmget",
	};
	static const char *const deny_enosys[] = {
		"clone3", /* glibc falls back to clone(2), whose flags we can check */
		"ioctl", "prctl", "getcwd", "sched_setaffinity", "mbind", "get_mempolicy",
		"set_mempolicy", "membarrier", "pkey_alloc", "getdents64",
	};
	pid_t self = getpid();
	scmp_filter_ctx f;
	int r = 0;

	f = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(allow) && r >= 0; i++)
		r = child_seccomp_add(f, SCMP_ACT_ALLOW, allow[i]);
	for (size_t i = 0; i < ARRAY_SIZE(deny_eacces) && r >= 0; i++)
		r = child_seccomp_add(f, SCMP_ACT_ERRNO(EACCES), deny_eacces[i]);
	for (size_t i = 0; i < ARRAY_SIZE(deny_enosys) && r >= 0; i++)
		r = child_seccomp_add(f, SCMP_ACT_ERRNO(ENOSYS), deny_enosys[i]);
	/* Threads (tesseract uses OpenMP), never new processes. */
	if (r >= 0)
		r = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
		                     SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	/* Signals to itself only (raise(), abort()). */
	if (r >= 0)
		r = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
		                     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self));
	if (r >= 0)
		r = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
		                     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self));
	if (r >= 0)
		r = seccomp_load(f); /* sets no_new_privs itself */
	seccomp_release(f);
	return r;
}

static void child_setup_fds(struct child_args *a)
{
	int n0 = open("/dev/null", O_RDWR | O_CLOEXEC);
	/* Lift every descriptor we keep above 10 first, so the dup2()s below
	 * cannot overwrite one another whatever numbers they started with. */
	int null = n0 >= 0 ? fcntl(n0, F_DUPFD_CLOEXEC, 10) : -1;
	int d = fcntl(a->doc_fd, F_DUPFD_CLOEXEC, 10);
	int o = fcntl(a->out_fd, F_DUPFD_CLOEXEC, 10);

	if (null < 0 || d < 0 || o < 0)
		_exit(4);
	if (dup2(d, CHILD_DOC_FD) < 0 || dup2(o, CHILD_OUT_FD) < 0)
		_exit(4);
	if (dup2(null, 0) < 0 || dup2(null, 1) < 0)
		_exit(4);
	if (!a->keep_stderr && dup2(null, 2) < 0)
		_exit(4);
	if (syscall(SYS_close_range, CHILD_OUT_FD + 1, ~0U, 0) < 0) {
		for (int fd = CHILD_OUT_FD + 1; fd < 65536; fd++)
			close(fd);
	}
	a->doc_fd = CHILD_DOC_FD;
	a->out_fd = CHILD_OUT_FD;
}

static void child_setup_limits(const struct child_args *a)
{
	struct rlimit rl;
	rlim_t cpu = a->limits.extract_cpu_seconds ? a->limits.extract_cpu_seconds : 1;

	/* SIGXCPU at the limit, SIGKILL a second later. */
	rl = (struct rlimit){ cpu, cpu + 1 };
	if (setrlimit(RLIMIT_CPU, &rl) < 0)
		_exit(5);
	rl = (struct rlimit){ 0, 0 };
	if (setrlimit(RLIMIT_FSIZE, &rl) < 0 || setrlimit(RLIMIT_CORE, &rl) < 0)
		_exit(5);
	/* ASan reserves terabytes of address space; the limit would kill it at
	 * start. Sanitizer builds rely on the CPU limit and the parent's clock. */
	if (!DOCEXT_ASAN && a->limits.extract_mem_bytes > 0) {
		rl = (struct rlimit){ a->limits.extract_mem_bytes, a->limits.extract_mem_bytes };
		if (setrlimit(RLIMIT_AS, &rl) < 0)
			_exit(5);
	}
}

static uint8_t *child_read_doc(const struct child_args *a, size_t *len)
{
	uint8_t *buf;
	size_t n = 0, want = (size_t)a->doc_size;

	buf = malloc(want + 1);
	if (!buf)
		child_fail(a, ST_TOO_BIG);
	while (n < want) {
		ssize_t r = pread(a->doc_fd, buf + n, want - n, (off_t)n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			child_fail(a, ST_READ_ERROR);
		}
		if (r == 0)
			break; /* shrank since fstat: read what is there */
		n += (size_t)r;
	}
	buf[n] = 0;
	*len = n;
	return buf;
}

/* ---- plain text ---- */

static const uint16_t cp1252_hi[32] = {
	0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0xfffd, 0x017d, 0xfffd,
	0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e, 0xfffd,
};

static void put_cp(struct textbuf *t, uint32_t c)
{
	char b[4];
	size_t n = utf8_encode(c, b);

	/* A code point that does not fit whole is dropped, never split. */
	if (t->max - t->len < n) {
		t->truncated = true;
		return;
	}
	textbuf_add(t, b, n);
}

/* Length of a valid UTF-8 sequence at s (no overlongs, no surrogates), or 0. */
size_t utf8_valid_seq(const uint8_t *s, size_t n)
{
	uint32_t c;
	return utf8_decode(s, n, &c);
}

static bool is_utf8(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t l = utf8_valid_seq(s + i, n - i);
		if (l == 0)
			return false;
		i += l;
	}
	return true;
}

static void decode_utf16(struct textbuf *t, const uint8_t *s, size_t n, bool be)
{
	for (size_t i = 0; i + 1 < n && !t->truncated; i += 2) {
		uint32_t u = be ? (uint32_t)(s[i] << 8 | s[i + 1]) : (uint32_t)(s[i + 1] << 8 | s[i]);
		if (u >= 0xd800 && u <= 0xdbff && i + 3 < n) {
			uint32_t l = be ? (uint32_t)(s[i + 2] << 8 | s[i + 3]) : (uint32_t)(s[i + 3] << 8 | s[i + 2]);
			if (l >= 0xdc00 && l <= 0xdfff) {
				u = 0x10000 + ((u - 0xd800) << 10) + (l - 0xdc00);
				i += 2;
			}
		}
		put_cp(t, u); /* lone surrogates become U+FFFD */
	}
}

/* UTF-16 without a BOM: most text has a zero byte in every other position. */
static int guess_utf16(const uint8_t *s, size_t n)
{
	size_t even = 0, odd = 0, pairs = MIN(n, 4096) / 2;

	if (pairs < 4)
		return -1;
	for (size_t i = 0; i < pairs * 2; i += 2) {
		even += s[i] == 0;
		odd += s[i + 1] == 0;
	}
	if (odd * 10 >= pairs * 7 && even * 10 < pairs)
		return 0; /* little-endian */
	if (even * 10 >= pairs * 7 && odd * 10 < pairs)
		return 1;
	return -1;
}

/* Plain text in any common encoding to UTF-8: BOMs, UTF-16 without BOM,
 * UTF-8, else Windows-1252. A small bounded decoder, no parser: it runs in
 * the caller's process (a fork per text file would dominate drops of many
 * small files), and in the child for the rare caller that asks for one. */
void decode_text(const uint8_t *s, size_t n, struct textbuf *t)
{
	int be;

	if (n >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf) {
		s += 3, n -= 3;
	} else if (n >= 2 && s[0] == 0xff && s[1] == 0xfe) {
		decode_utf16(t, s + 2, n - 2, false);
		return;
	} else if (n >= 2 && s[0] == 0xfe && s[1] == 0xff) {
		decode_utf16(t, s + 2, n - 2, true);
		return;
	} else if ((be = guess_utf16(s, n)) >= 0) {
		decode_utf16(t, s, n, be);
		return;
	}
	if (is_utf8(s, n)) {
		textbuf_add(t, (const char *)s, n);
	} else {
		for (size_t i = 0; i < n && !t->truncated; i++)
			put_cp(t, s[i] >= 0x80 && s[i] < 0xa0 ? cp1252_hi[s[i] - 0x80] : s[i]);
	}
}

static _Noreturn void child_text(const struct child_args *a, const uint8_t *s, size_t n, struct child_out *out)
{
	decode_text(s, n, &out->text);
	out->layout.s = NULL; /* the text's own lines and tabs are its layout */
	child_finish(a, ST_OK, 1, 1, true, false, -1, out);
}

/* ---- OCR ---- */

struct ocr {
	TessBaseAPI *api;
	TessBaseAPI *osd;        /* NULL when osd.traineddata is missing */
	ETEXT_DESC *monitor;
	double budget_s;         /* process CPU seconds available for OCR */
	long conf_sum, conf_n;
	bool langs_auto;         /* may ask for the languages of the script OSD finds */
	bool script_decided;     /* the first page with a confident script decided */
	const char *langs;       /* loaded */
	bool script_ok[8];       /* ocr_scripts[i]'s traineddata are all installed */
	int want_script;         /* -1, or the script whose languages to read with */
	int first_rotation;      /* degrees the first page was turned, -1 before it */
	struct boxes bx;
	bool debug;              /* stderr is kept: say what OSD found */
};

static double cpu_seconds(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) < 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool ocr_cancel(void *data, int words)
{
	const struct ocr *o = data;

	(void)words;
	return cpu_seconds() > o->budget_s;
}

static bool ocr_out_of_time(const struct ocr *o)
{
	return cpu_seconds() > o->budget_s;
}

bool langs_ok(const char *l)
{
	if (!l || !*l || strlen(l) > 128)
		return false;
	for (; *l; l++)
		if (!((*l >= 'a' && *l <= 'z') || *l == '_' || *l == '+'))
			return false;
	return true;
}

/* Whether every language of LIST ("rus+eng") has its traineddata in DIR. */
static bool langs_installed(const char *dir, const char *list)
{
	char path[PATH_MAX];

	while (*list) {
		size_t n = strcspn(list, "+");
		int w = snprintf(path, sizeof(path), "%s/%.*s.traineddata", dir, (int)n, list);
		if (w < 0 || (size_t)w >= sizeof(path) || access(path, R_OK) < 0)
			return false;
		list += n;
		if (*list == '+')
			list++;
	}
	return true;
}

/* Before the sandbox: tesseract reads its traineddata files here. */
static void ocr_init(const struct child_args *a, struct ocr *o)
{
	o->api = TessBaseAPICreate();
	if (!o->api || TessBaseAPIInit3(o->api, NULL, a->ocr_langs) != 0)
		child_fail(a, ST_OCR_UNAVAILABLE);
	/* Tesseract would otherwise try to write debug files. */
	TessBaseAPISetVariable(o->api, "debug_file", "/dev/null");
	o->monitor = TessMonitorCreate();
	TessMonitorSetCancelFunc(o->monitor, ocr_cancel);
	TessMonitorSetCancelThis(o->monitor, o);
	o->budget_s = (a->limits.extract_cpu_seconds ? a->limits.extract_cpu_seconds : 1) * OCR_BUDGET_SHARE;
	o->langs = a->ocr_langs;
	o->langs_auto = a->ocr_langs_auto;
	o->want_script = -1;
	o->first_rotation = -1;
	o->debug = a->keep_stderr;

	/* Orientation and script detection: its own small model. */
	const char *dir = TessBaseAPIGetDatapath(o->api);
	if (dir && langs_installed(dir, "osd")) {
		o->osd = TessBaseAPICreate();
		if (o->osd && TessBaseAPIInit3(o->osd, NULL, "osd") == 0) {
			TessBaseAPISetVariable(o->osd, "debug_file", "/dev/null");
		} else if (o->osd) {
			TessBaseAPIDelete(o->osd);
			o->osd = NULL;
		}
	}
	for (size_t i = 0; dir && i < MIN(n_ocr_scripts, ARRAY_SIZE(o->script_ok)); i++)
		o->script_ok[i] = langs_installed(dir, ocr_scripts[i].langs);
}

/* Orientation and script of a page, on a scaled-down copy. Returns false
 * when OSD is unavailable or failed; else *quads is the clockwise quarter
 * turns that make the page upright (-1 when unsure) and *script an index of
 * ocr_scripts (-1 when unsure or not in the table). */
static bool ocr_osd(struct ocr *o, PIX *pix, int ppi, int *quads, int *script, float *script_conf)
{
	int w = pixGetWidth(pix), h = pixGetHeight(pix), deg = 0;
	float f = 1.0f, oconf = 0, sconf = 0;
	const char *sname = NULL;
	PIX *small;
	bool ok;

	*quads = -1;
	*script = -1;
	*script_conf = 0;
	if (!o->osd || ocr_out_of_time(o))
		return false;
	if (MAX(w, h) > OSD_MAX_SIDE)
		f = (float)OSD_MAX_SIDE / (float)MAX(w, h);
	small = f < 1.0f ? pixScale(pix, f, f) : pixClone(pix);
	if (!small)
		return false;
	TessBaseAPISetImage2(o->osd, small);
	TessBaseAPISetSourceResolution(o->osd, MAX((int)((float)(ppi > 0 ? ppi : 300) * f), 70));
	ok = TessBaseAPIDetectOrientationScript(o->osd, &deg, &oconf, &sname, &sconf);
	if (o->debug) /* INGEST_DOCEXT_DEBUG=1 (test builds) keeps stderr */
		fprintf(stderr, "docext: osd ok=%d deg=%d oconf=%.2f script=%s sconf=%.2f f=%.2f\n", ok, deg, oconf,
		        sname ? sname : "-", sconf, f);
	if (ok) {
		/* deg: how far the page is turned clockwise; turning it back
		 * is the rest of a full turn in clockwise quarters. */
		if (oconf >= OSD_MIN_ORIENT_CONF && deg % 90 == 0)
			*quads = (4 - ((deg / 90) % 4 + 4) % 4) % 4;
		for (size_t i = 0; sname && sconf >= OSD_MIN_SCRIPT_CONF && i < n_ocr_scripts; i++)
			if (!strcmp(sname, ocr_scripts[i].script))
				*script = (int)i;
		*script_conf = sconf;
	}
	TessBaseAPIClear(o->osd);
	pixDestroy(&small);
	return ok;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return x < y ? -1 : x > y;
}

/* The page's words as boxes. A scan is rarely square to the page: the
 * words of one table row drift up or down across it. The median slope of
 * tesseract's text-line baselines is the page's skew; each word's height
 * is taken along it (a shear, right for the few degrees a scanner or a
 * careful photo gives), so a row stays one printed line. */
static void ocr_layout(struct ocr *o, struct textbuf *l)
{
	TessResultIterator *it = TessBaseAPIGetIterator(o->api);
	TessPageIterator *pi;
	float slopes[64], slope = 0;
	size_t n_slopes = 0;

	if (!it)
		return;
	pi = TessResultIteratorGetPageIterator(it);
	o->bx.n = 0;
	o->bx.src_len = 0;
	do {
		char *w;
		int x1, y1, x2, y2;

		if (n_slopes < ARRAY_SIZE(slopes) && TessPageIteratorIsAtBeginningOf(pi, RIL_TEXTLINE) &&
		    TessPageIteratorBaseline(pi, RIL_TEXTLINE, &x1, &y1, &x2, &y2) && x2 - x1 > 50)
			slopes[n_slopes++] = (float)(y2 - y1) / (float)(x2 - x1);
		w = TessResultIteratorGetUTF8Text(it, RIL_WORD);
		if (w && *w && TessPageIteratorBoundingBox(pi, RIL_WORD, &x1, &y1, &x2, &y2)) {
			size_t n = strlen(w), chars = 0;
			for (size_t k = 0; k < n; k++)
				chars += ((unsigned char)w[k] & 0xc0) != 0x80;
			struct layout_box b = {
				.x1 = (float)x1, .x2 = (float)x2, .y1 = (float)y1, .y2 = (float)y2,
				.off = (uint32_t)o->bx.src_len, .len = (uint32_t)n, .nchars = (uint32_t)chars,
			};
			if (!boxes_src_add(&o->bx, w, n) || !boxes_push(&o->bx, &b)) {
				TessDeleteText(w);
				break;
			}
		}
		TessDeleteText(w);
	} while (TessResultIteratorNext(it, RIL_WORD));
	TessResultIteratorDelete(it);
	if (n_slopes > 0) {
		qsort(slopes, n_slopes, sizeof(*slopes), cmp_float);
		slope = slopes[n_slopes / 2];
		if (!(fabsf(slope) < 0.2f)) /* past ~11 degrees it is no skew */
			slope = 0;
	}
	for (size_t i = 0; i < o->bx.n; i++) {
		struct layout_box *b = &o->bx.b[i];
		float dy = slope * (b->x1 + b->x2) / 2;
		b->y1 -= dy;
		b->y2 -= dy;
	}
	layout_lines(o->bx.b, o->bx.n, o->bx.src, true, l);
}

/* One reading of a page: its text (malloc'd), layout (malloc'd, may be
 * NULL) and mean confidence. */
struct ocr_read {
	char *text;
	struct textbuf layout;
	int conf;
};

static void ocr_read_free(struct ocr_read *r)
{
	free(r->text);
	free(r->layout.s);
	*r = (struct ocr_read){ .conf = -1 };
}

/* Recognises pix (any depth) into *r; r->text NULL when nothing could be
 * recognised. want_layout: also the printed lines (the room it may take). */
static void ocr_once(struct ocr *o, PIX *pix, int ppi, size_t want_layout, struct ocr_read *r)
{
	char *t;

	*r = (struct ocr_read){ .conf = -1 };
	TessBaseAPISetImage2(o->api, pix);
	if (ppi > 0)
		TessBaseAPISetSourceResolution(o->api, ppi);
	if (TessBaseAPIRecognize(o->api, o->monitor) != 0) {
		TessBaseAPIClear(o->api);
		return;
	}
	t = TessBaseAPIGetUTF8Text(o->api);
	r->conf = TessBaseAPIMeanTextConf(o->api);
	if (t) {
		r->text = strdup(t);
		TessDeleteText(t);
	}
	if (r->text && want_layout > 0) {
		size_t max = MIN(want_layout, strlen(r->text) * 2 + 4096);
		r->layout = (struct textbuf){ .s = malloc(max + 1), .max = max };
		if (r->layout.s)
			ocr_layout(o, &r->layout);
	}
	TessBaseAPIClear(o->api);
}

/* OCRs one page. A page read well (confidence >= OCR_ROTATE_BELOW) is done:
 * a clean upright page in the loaded languages costs what it always did.
 * A poor reading asks OSD: it turns the page upright and read again; and,
 * in automatic language mode, a first such page in a script whose languages
 * are not loaded ends the child with want_script set instead (and this
 * reading's confidence, for the parent to compare). A first such page
 * whose script OSD cannot tell, or calls Latin without conviction, is read
 * here to the end and is the child's last (script_unsure): the parent
 * compares it with readings in the other scripts' languages. Without OSD's
 * word on the orientation the other three are tried. */
static void ocr_page(const struct child_args *a, struct ocr *o, PIX *pix, int ppi, struct child_out *out)
{
	struct textbuf *l = out->layout.s ? &out->layout : NULL;
	size_t room = l ? l->max - l->len : 0;
	int quads = -1, script = -1;
	float sconf = 0;
	struct ocr_read best;

	ocr_once(o, pix, ppi, room, &best);
	if (best.conf < OCR_ROTATE_BELOW && !ocr_out_of_time(o) && ocr_osd(o, pix, ppi, &quads, &script, &sconf) &&
	    !o->script_decided) {
		bool known = script >= 0 && (size_t)script < ARRAY_SIZE(o->script_ok);
		bool loaded = known && strcmp(ocr_scripts[script].langs, o->langs) == 0;
		if (known && o->script_ok[script] && !loaded && o->langs_auto) {
			int conf = best.conf;
			o->script_decided = true;
			ocr_read_free(&best);
			out->want_script = script;
			out->rotated = MAX(quads, 0) * 90;
			child_finish(a, ST_OK, -1, 0, false, true, conf, out);
		}
		if (o->langs_auto && (!known || (loaded && sconf < OSD_SURE_LATIN_CONF))) {
			out->script_unsure = true;
			out->stop = true;
		}
		o->script_decided = known || out->script_unsure;
	}
	for (int q = 1; q < 4 && best.conf < OCR_ROTATE_BELOW && !ocr_out_of_time(o); q++) {
		PIX *rot;
		struct ocr_read r;

		if (quads >= 0 && q != quads)
			continue; /* OSD said which way up */
		rot = pixRotateOrth(pix, q);
		if (!rot)
			break;
		ocr_once(o, rot, ppi, room, &r);
		pixDestroy(&rot);
		if (r.text && r.conf > best.conf) {
			ocr_read_free(&best);
			best = r;
			if (o->first_rotation < 0)
				o->first_rotation = q * 90;
		} else {
			ocr_read_free(&r);
		}
	}
	if (o->first_rotation < 0)
		o->first_rotation = 0;
	if (best.text)
		textbuf_add(&out->text, best.text, strlen(best.text));
	if (l && best.layout.s)
		textbuf_add(l, best.layout.s, best.layout.len);
	if (best.conf >= 0) {
		o->conf_sum += best.conf;
		o->conf_n++;
	}
	ocr_read_free(&best);
	if (a->probe)
		out->stop = true;
}

static int ocr_confidence(const struct ocr *o)
{
	return o->conf_n > 0 ? (int)(o->conf_sum / o->conf_n) : 0;
}

static _Noreturn void child_image(const struct child_args *a, struct ocr *o, const uint8_t *s, size_t n,
                                  struct child_out *out)
{
	l_int32 format = 0, w = 0, h = 0, bps = 0, spp = 0, cmap = 0;

	/* Its size from its header first: one too large for OCR is said to be,
	 * not decoded until the memory limit stops it. */
	if (pixReadHeaderMem(s, n, &format, &w, &h, &bps, &spp, &cmap) == 0 && w > 0 && h > 0 &&
	    (double)w * (double)h > OCR_MAX_IMAGE_PIXELS) {
		out->width = (uint32_t)w;
		out->height = (uint32_t)h;
		child_finish(a, ST_IMAGE_TOO_LARGE, 1, 0, false, false, -1, out);
	}
	PIX *pix = pixReadMem(s, n);

	if (!pix)
		child_fail(a, ST_IMAGE_UNREADABLE);
	ocr_page(a, o, pix, pixGetXRes(pix) > 0 ? 0 : 300, out);
	pixDestroy(&pix);
	out->rotated = MAX(o->first_rotation, 0);
	child_finish(a, ST_OK, 1, 1, false, true, ocr_confidence(o), out);
}

/* ---- PDF ---- */

static PopplerDocument *pdf_open(const struct child_args *a, const uint8_t *s, size_t n)
{
	GError *err = NULL;
	GBytes *bytes = g_bytes_new_static(s, n);
	PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, &err);

	g_bytes_unref(bytes); /* the document holds its own reference */
	if (!doc) {
		bool enc = err && err->domain == POPPLER_ERROR && err->code == POPPLER_ERROR_ENCRYPTED;
		child_fail(a, enc ? ST_ENCRYPTED : ST_DAMAGED);
	}
	return doc;
}

/* Poppler reads its configuration (encodings, CMaps) when the first document
 * is opened; do that before the sandbox closes the file system. */
static void pdf_preinit(void)
{
	static const char tiny[] = "%PDF-1.1\n%%EOF\n";
	GBytes *b = g_bytes_new_static(tiny, sizeof(tiny) - 1);
	GError *err = NULL;
	PopplerDocument *d = poppler_document_new_from_bytes(b, NULL, &err);

	if (d)
		g_object_unref(d);
	g_clear_error(&err);
	g_bytes_unref(b);
}

/* Renders a page to an 8-bit grey Pix at up to OCR_RENDER_DPI. */
static PIX *pdf_render(PopplerPage *page, int *ppi)
{
	double w_pt = 0, h_pt = 0, scale;
	cairo_surface_t *surf;
	cairo_t *cr;
	int w, h, stride;
	unsigned char *data;
	PIX *pix;

	poppler_page_get_size(page, &w_pt, &h_pt);
	if (!(w_pt >= 1 && h_pt >= 1 && w_pt < 1e6 && h_pt < 1e6))
		return NULL;
	scale = OCR_RENDER_DPI / 72.0;
	while (w_pt * h_pt * scale * scale > OCR_MAX_PAGE_PIXELS)
		scale *= 0.9;
	w = (int)(w_pt * scale + 0.999);
	h = (int)(h_pt * scale + 0.999);
	if (w < 1 || h < 1)
		return NULL;

	surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
	if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(surf);
		return NULL;
	}
	cr = cairo_create(surf);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_scale(cr, scale, scale);
	poppler_page_render(page, cr);
	cairo_destroy(cr);
	cairo_surface_flush(surf);

	data = cairo_image_surface_get_data(surf);
	stride = cairo_image_surface_get_stride(surf);
	pix = pixCreate(w, h, 8);
	if (pix && data) {
		l_uint32 *line = pixGetData(pix);
		int wpl = pixGetWpl(pix);
		for (int y = 0; y < h; y++, line += wpl) {
			const uint32_t *px = (const uint32_t *)(const void *)(data + (size_t)y * (size_t)stride);
			for (int x = 0; x < w; x++) {
				uint32_t v = px[x];
				unsigned g = (((v >> 16) & 0xff) * 77 + ((v >> 8) & 0xff) * 150 + (v & 0xff) * 29) >> 8;
				SET_DATA_BYTE(line, x, g);
			}
		}
	}
	cairo_surface_destroy(surf);
	*ppi = (int)(scale * 72.0 + 0.5);
	return pix;
}

static bool is_space_cp(uint32_t c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v' || c == 0xa0;
}

/* U+202A..U+202E (LRE, RLE, PDF, LRO, RLO) anywhere in s. */
static bool has_bidi_controls(const char *s, size_t len)
{
	const char *p = s, *e = s + len;

	while ((p = memmem(p, (size_t)(e - p), "\xe2\x80", 2)) != NULL) {
		if (e - p >= 3 && (unsigned char)p[2] >= 0xaa && (unsigned char)p[2] <= 0xae)
			return true;
		p += 2;
	}
	return false;
}

/* Appends to bx the boxes of the glyphs poppler selects over AREA: one
 * rectangle per character of S (its selected text, poppler_page_get_text()
 * over the whole page), each box's text at BASE + its offset in S, spaces
 * kept as the next box's space_before. Right-to-left text: poppler's text
 * holds it in logical order inside embedding controls, its rectangles in
 * the page's order (layout_glyph_order() pairs them); when the counts
 * disagree the page gets no boxes rather than scrambled ones. */
static bool pdf_glyph_boxes(PopplerPage *page, PopplerRectangle *area, const char *s, size_t base, struct boxes *bx)
{
	PopplerRectangle *r = NULL;
	guint nr = 0;
	size_t len = strlen(s), off = 0, first = bx->n, kept = bx->n;
	bool space = false, bidi = has_bidi_controls(s, len);

	if (base > UINT32_MAX || len > UINT32_MAX - base || !poppler_page_get_text_layout_for_area(page, area, &r, &nr))
		return false;
	for (guint i = 0; i < nr && off < len; i++) {
		uint32_t cp = 0;
		size_t cl = utf8_decode((const uint8_t *)s + off, len - off, &cp);

		if (cl == 0)
			cl = 1;
		struct layout_box b = {
			.x1 = (float)MIN(r[i].x1, r[i].x2), .x2 = (float)MAX(r[i].x1, r[i].x2),
			.y1 = (float)MIN(r[i].y1, r[i].y2), .y2 = (float)MAX(r[i].y1, r[i].y2),
			.off = (uint32_t)off, .len = (uint32_t)cl, .nchars = 1,
		};
		if (!boxes_push(bx, &b))
			break;
		off += cl;
	}
	g_free(r);
	/* Embedding controls have no box: without them the boxes are in the
	 * text's order. */
	if (bidi && (bx->n - first != nr || layout_glyph_order(s, len, bx->b + first, nr) != nr)) {
		bx->n = first;
		return false;
	}
	for (size_t i = first; i < bx->n; i++) {
		uint32_t cp = 0;

		if (utf8_decode((const uint8_t *)s + bx->b[i].off, len - bx->b[i].off, &cp) && is_space_cp(cp)) {
			space = true;
			continue;
		}
		bx->b[kept] = bx->b[i];
		bx->b[kept].off += (uint32_t)base;
		bx->b[kept++].space_before = space;
		space = false;
	}
	bx->n = kept;
	return true;
}

static int by_box(const void *a, const void *b)
{
	const struct layout_box *p = a, *q = b;

	if (p->y1 != q->y1)
		return p->y1 < q->y1 ? -1 : 1;
	if (p->x1 != q->x1)
		return p->x1 < q->x1 ? -1 : 1;
	if (p->y2 != q->y2)
		return p->y2 < q->y2 ? -1 : 1;
	return p->x2 < q->x2 ? -1 : p->x2 > q->x2;
}

/* The page's text in poppler's reading order: poppler_page_get_text(),
 * which selects the page from its top left corner to its bottom right. On
 * a page with right-to-left text that selection loses flows (an Arabic
 * report gave its date and nothing else), and the one from the top right
 * corner (*ALT, else NULL) loses others: such a page, or one that gave next
 * to nothing, gets both, for pdf_page_union(). */
static char *pdf_page_text(PopplerPage *page, char **alt)
{
	double w = 0, h = 0;
	PopplerRectangle area = { 0 };
	char *pt;

	*alt = NULL;
	poppler_page_get_size(page, &w, &h);
	area.x2 = w;
	area.y2 = h;
	pt = poppler_page_get_selected_text(page, POPPLER_SELECTION_GLYPH, &area);
	if (!pt || (!has_bidi_controls(pt, strlen(pt)) && count_nonspace(pt) >= TEXT_LAYER_MIN_CHARS))
		return pt;
	area = (PopplerRectangle){ .x1 = w, .y1 = 0, .x2 = 0, .y2 = h };
	*alt = poppler_page_get_selected_text(page, POPPLER_SELECTION_GLYPH, &area);
	if (*alt && (!**alt || !strcmp(*alt, pt))) {
		g_free(*alt);
		*alt = NULL;
	}
	return pt;
}

/* A page whose two selections differ (pdf_page_text()): the layout is
 * their glyphs together, each once; a right-to-left page's text is that
 * layout too (poppler's reading order puts a right-to-left table's cells
 * left to right, result before marker), any other page's is poppler's. */
static void pdf_page_union(PopplerPage *page, const char *pt, const char *alt, struct boxes *bx, struct textbuf *t,
                           struct textbuf *l)
{
	double w = 0, h = 0;
	size_t lp = strlen(pt), la = strlen(alt), n1;
	PopplerRectangle a1 = { 0 }, a2 = { 0 };

	poppler_page_get_size(page, &w, &h);
	a1.x2 = w;
	a1.y2 = h;
	a2.x1 = w;
	a2.y2 = h;
	bx->n = 0;
	bx->src_len = 0;
	if (!boxes_src_add(bx, pt, lp) || !boxes_src_add(bx, "\n", 1) || !boxes_src_add(bx, alt, la) ||
	    !boxes_src_add(bx, "", 1) || !pdf_glyph_boxes(page, &a1, pt, 0, bx)) {
		textbuf_add(t, pt, lp);
		return;
	}
	n1 = bx->n;
	qsort(bx->b, n1, sizeof(*bx->b), by_box);
	if (pdf_glyph_boxes(page, &a2, alt, lp + 1, bx)) {
		size_t kept = n1;
		for (size_t i = n1; i < bx->n; i++)
			if (!bsearch(&bx->b[i], bx->b, n1, sizeof(*bx->b), by_box))
				bx->b[kept++] = bx->b[i];
		bx->n = kept;
	}
	if (layout_page_rtl(bx->b, bx->n, bx->src))
		layout_lines(bx->b, bx->n, bx->src, false, t);
	else
		textbuf_add(t, pt, lp);
	if (l && !l->truncated)
		layout_lines(bx->b, bx->n, bx->src, false, l);
}

/* The page's printed lines from poppler's glyph boxes (a page with one
 * selection). */
static void pdf_page_layout(PopplerPage *page, const char *pt, struct boxes *bx, struct textbuf *l)
{
	double w = 0, h = 0;
	PopplerRectangle area = { 0 };

	poppler_page_get_size(page, &w, &h);
	area.x2 = w;
	area.y2 = h;
	bx->n = 0;
	if (pdf_glyph_boxes(page, &area, pt, 0, bx))
		layout_lines(bx->b, bx->n, pt, false, l);
}

/* Whether the page draws an image (a scanned page among text pages). */
static bool page_has_image(PopplerPage *page)
{
	GList *im = poppler_page_get_image_mapping(page);
	bool any = im != NULL;
	poppler_page_free_image_mapping(im);
	return any;
}

static _Noreturn void child_pdf(const struct child_args *a, struct ocr *o, const uint8_t *s, size_t n,
                                struct child_out *out)
{
	PopplerDocument *doc = pdf_open(a, s, n);
	int pages = poppler_document_get_n_pages(doc);
	int want = (int)MIN((uint32_t)MAX(pages, 0), a->limits.max_pages);
	struct textbuf *t = &out->text, *l = out->layout.s ? &out->layout : NULL;
	struct boxes bx = { 0 };
	size_t nonspace = 0;
	int with_text = 0, read = 0;
	bool layer;

	for (int i = 0; i < want && !t->truncated; i++) {
		PopplerPage *page = poppler_document_get_page(doc, i);
		char *pt, *alt = NULL;
		size_t ns = 0;

		if (i > 0) {
			textbuf_addc(t, '\f');
			if (l)
				textbuf_addc(l, '\n'); /* a blank line between pages */
		}
		if (!page)
			continue;
		pt = pdf_page_text(page, &alt);
		if (pt)
			ns = MAX(count_nonspace(pt), alt ? count_nonspace(alt) : 0);
		if (ns > 0)
			with_text++;
		nonspace += ns;
		if (ns < TEXT_LAYER_MIN_CHARS && page_has_image(page))
			out->image_pages++;     /* a scanned page: the parent has the PDF OCR'd */
		if (o && ns < TEXT_LAYER_MIN_CHARS) {
			/* A page without its own text: read it by eye (OCR). */
			int ppi = 0;
			PIX *pix = ocr_out_of_time(o) ? NULL : pdf_render(page, &ppi);
			if (pix) {
				ocr_page(a, o, pix, ppi, out);
				pixDestroy(&pix);
			}
			if (out->stop) {
				/* a probe, or a page whose script the parent is to find */
				g_free(pt);
				g_free(alt);
				g_object_unref(page);
				read++;
				out->partial = i + 1 < want;
				break;
			}
		} else if (pt && alt) {
			pdf_page_union(page, pt, alt, &bx, t, l);
		} else if (pt) {
			textbuf_add(t, pt, strlen(pt));
			if (l && !l->truncated)
				pdf_page_layout(page, pt, &bx, l);
		}
		g_free(pt);
		g_free(alt);
		g_object_unref(page);
		read++;
		if (o && ocr_out_of_time(o))
			break;
	}
	free(bx.b);
	free(bx.src);
	/* Real text on most pages; a lone cover sheet does not make a text PDF. */
	layer = nonspace >= TEXT_LAYER_MIN_CHARS && with_text * 2 >= read;
	if (o) {
		out->rotated = MAX(o->first_rotation, 0);
		child_finish(a, ST_OK, pages, read, layer, true, ocr_confidence(o), out);
	}
	child_finish(a, ST_OK, pages, read, layer, false, -1, out);
}

_Noreturn void child_main(struct child_args *a)
{
	struct ocr ocr = { 0 };
	struct child_out out = { .want_script = -1 };
	sigset_t all;
	uint8_t *doc;
	size_t len;

	/* Signals as a fresh process has them; die with the parent. */
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGXCPU, SIG_DFL);
	/* Note: the death signal follows the forking *thread*; a caller that
	 * forks from a short-lived thread should run extraction elsewhere. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != a->parent)
		_exit(4);

	child_setup_fds(a);
	child_setup_limits(a);
	doc = child_read_doc(a, &len);

	out.text.max = (size_t)MIN(a->limits.max_text_bytes, (uint64_t)SIZE_MAX / 2);
	out.text.s = malloc(out.text.max + 1);
	if (!out.text.s)
		child_fail(a, ST_TOO_BIG);
	/* The layout's own buffer, cut to what the text leaves at the end;
	 * without the memory, no layout rather than no text. */
	out.layout.max = out.text.max;
	out.layout.s = a->mode == MODE_TEXT ? NULL : malloc(out.layout.max + 1);

	if (a->mode == MODE_PDF_OCR || a->mode == MODE_IMAGE) {
		ocr_init(a, &ocr);
		for (size_t i = 0; i < MIN(n_ocr_scripts, (size_t)8); i++)
			if (ocr.script_ok[i])
				out.scripts_ok |= (uint8_t)(1u << i);
	}
	if (a->mode == MODE_PDF_TEXT || a->mode == MODE_PDF_OCR) {
		pdf_preinit();
	}

	if (child_load_seccomp() < 0)
		_exit(6);
	testhook_extractor_fault(doc, len);

	switch (a->mode) {
	case MODE_TEXT:
		child_text(a, doc, len, &out);
	case MODE_IMAGE:
		child_image(a, &ocr, doc, len, &out);
	case MODE_PDF_TEXT:
		child_pdf(a, NULL, doc, len, &out);
	case MODE_PDF_OCR:
		child_pdf(a, &ocr, doc, len, &out);
	}
	_exit(7);
}
