/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Pictures of the series (thumbs.h).
 *
 *   parent (the report's process)          child (one at a time)
 *   ------                                 -----
 *   pick each series' middle slice         fds: 0,1,2 -> /dev/null; keeps the
 *   open the files (open_file), fstat,          files and the result pipe only
 *     refuse > THUMB_MAX_FILE_BYTES        rlimits: CPU, AS, FSIZE 0, CORE 0
 *   pipe + fork                            DCMTK's dictionary and decoders
 *   poll each answer (THUMB_WALL_SECONDS)  seccomp: no open, no process, no socket
 *   check every field of it                for each file from `start`: read it,
 *   encode the PNG itself (libpng)             render (dcm-thumb.cc), write one
 *   child died or stopped: that picture        answer: a header and the raw
 *     fails, a new child goes on               8-bit pixels (at most
 *     with the next one                        THUMB_MAX_SIDE square)
 *
 * Test hook (testhooks.h): INGEST_TEST_EXTRACTOR_FAULT makes the child, its
 * sandbox in place, crash, spin or sleep on an image file that holds
 * INGEST-FAULT-INJECT, so tests prove that a picture's failure costs that
 * picture only.
 *
 * The child sends raw pixels, not a PNG: the parent trusts only sizes it
 * checks and encodes the PNG from them, so a child taken over by a hostile
 * file can at worst draw a wrong picture of the size allowed.
 */
#include <fcntl.h>
#include <png.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include <seccomp.h>

#include "internal.h"
#include "child.h"
#include "thumbs.h"
#include "dcm-thumb.h"
#include "testhooks.h"
#include "util/clock.h"

#if defined(__SANITIZE_ADDRESS__)
#define THUMB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define THUMB_ASAN 1
#endif
#endif
#ifndef THUMB_ASAN
#define THUMB_ASAN 0
#endif

#define ANSWER_MAGIC 0x54484d42u /* "THMB" */

struct answer {
	uint32_t magic;
	uint32_t index;
	int32_t status;          /* 0 or a negative errno (dcm_thumb_render) */
	uint32_t width, height, channels;
	char why[200];
	char window[48];
};

struct job {
	const struct ing_file *f;
	struct thumb *t;
	int fd;
	uint64_t size;
	size_t images;           /* of the series */
};

/* ------------------------------------------------------------------------ */
/* The child.                                                               */

/* Compute, use memory, read and write the descriptors it holds; nothing else. */
static int child_seccomp(void)
{
	static const char *const allow[] = {
		"read", "pread64", "write", "lseek", "close", "fstat", "newfstatat", "statx",
		"mmap", "munmap", "mprotect", "brk", "madvise", "mremap",
		"futex", "set_robust_list", "get_robust_list", "rseq", "sched_yield", "sched_getaffinity",
		"clock_gettime", "clock_getres", "gettimeofday", "time", "nanosleep", "clock_nanosleep",
		"getrandom", "rt_sigreturn", "rt_sigprocmask", "rt_sigaction", "sigaltstack",
		"getpid", "gettid", "getrlimit", "prlimit64", "getrusage", "sysinfo", "uname",
		"exit", "exit_group", "restart_syscall",
		/* a pipe within the process: UBSan's dynamic type check probes
		 * memory with one (DCMTK's virtual calls); it reaches nothing */
		"pipe", "pipe2",
	};
	static const char *const deny_eacces[] = {
		"open", "openat", "openat2", "creat", "access", "faccessat", "faccessat2", "stat", "lstat",
		"readlink", "readlinkat", "socket", "memfd_create",
	};
	pid_t self = getpid();
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int r = f ? 0 : -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(allow) && r >= 0; i++)
		r = child_seccomp_add(f, SCMP_ACT_ALLOW, allow[i]);
	for (size_t i = 0; i < ARRAY_SIZE(deny_eacces) && r >= 0; i++)
		r = child_seccomp_add(f, SCMP_ACT_ERRNO(EACCES), deny_eacces[i]);
	if (r >= 0)
		r = child_seccomp_add(f, SCMP_ACT_ERRNO(ENOSYS), "clone3");
	if (r >= 0)
		r = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self));
	if (r >= 0)
		r = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self));
	if (r >= 0)
		r = seccomp_load(f);
	if (f)
		seccomp_release(f);
	return r;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* Every descriptor above 2 closed but the jobs' and out. */
static void child_close_others(const struct job *jobs, size_t n, int out)
{
	int *keep = malloc((n + 1) * sizeof(int));
	if (!keep)
		_exit(4);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (jobs[i].fd > 2)
			keep[k++] = jobs[i].fd;
	keep[k++] = out;
	qsort(keep, k, sizeof(int), cmp_int);
	int from = 3;
	for (size_t i = 0; i <= k; i++) {
		int to = i < k ? keep[i] - 1 : INT_MAX;
		if (to >= from && syscall(SYS_close_range, (unsigned)from, (unsigned)to, 0) < 0)
			for (int fd = from; fd <= to && fd < 65536; fd++)
				close(fd);
		if (i < k)
			from = keep[i] + 1;
	}
	free(keep);
}

static uint8_t *child_read(int fd, uint64_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	uint64_t got = 0;
	while (buf && got < size) {
		ssize_t r = pread(fd, buf + got, size - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (uint64_t)r;
	}
	if (buf && got != size) {
		free(buf);
		return NULL;
	}
	return buf;
}

static _Noreturn void child_main(const struct job *jobs, size_t n, size_t start, int out)
{
	struct rlimit rl;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
		_exit(4);
	child_close_others(jobs, n, out);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	rl = (struct rlimit){ THUMB_CPU_SECONDS, THUMB_CPU_SECONDS + 1 };
	if (setrlimit(RLIMIT_CPU, &rl) < 0)
		_exit(5);
	rl = (struct rlimit){ 0, 0 };
	if (setrlimit(RLIMIT_FSIZE, &rl) < 0 || setrlimit(RLIMIT_CORE, &rl) < 0)
		_exit(5);
	/* ASan reserves terabytes of address space: sanitizer builds rely on
	 * the CPU limit and the parent's clock. */
	if (!THUMB_ASAN) {
		rl = (struct rlimit){ THUMB_MEM_BYTES, THUMB_MEM_BYTES };
		if (setrlimit(RLIMIT_AS, &rl) < 0)
			_exit(5);
	}
	dcm_thumb_prepare();
	if (child_seccomp() < 0)
		_exit(6);
	for (size_t i = start; i < n; i++) {
		struct answer a = { .magic = ANSWER_MAGIC, .index = (uint32_t)i };
		struct dcm_thumb_img img;
		uint8_t *buf = child_read(jobs[i].fd, jobs[i].size);
		if (!buf) {
			a.status = -EIO;
			snprintf(a.why, sizeof a.why, "the file could not be read back from the package");
			memset(&img, 0, sizeof img);
		} else {
			testhook_extractor_fault(buf, jobs[i].size);
			a.status = dcm_thumb_render(buf, jobs[i].size, THUMB_MAX_SIDE, THUMB_MAX_PIXELS, &img, a.why,
			                            sizeof a.why);
			free(buf);
		}
		if (a.status == 0) {
			a.width = img.width;
			a.height = img.height;
			a.channels = img.channels;
			snprintf(a.window, sizeof a.window, "%s", img.window);
		}
		child_write_all(out, &a, sizeof a);
		if (a.status == 0)
			child_write_all(out, img.pixels, (size_t)img.width * img.height * img.channels);
		dcm_thumb_release(&img);
	}
	_exit(0);
}

/* ------------------------------------------------------------------------ */
/* The parent.                                                              */

/* Reads n bytes before the deadline: 1 done, 0 end of stream or timed out
 * (*late says which), -1 error. */
static int read_full(int fd, void *p, size_t n, double deadline, bool *late)
{
	char *c = p;
	while (n) {
		double left = deadline - mono_s();
		if (left <= 0) {
			*late = true;
			return 0;
		}
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int pr = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return -1;
		if (pr == 0)
			continue;
		ssize_t r = read(fd, c, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		c += r;
		n -= (size_t)r;
	}
	return 1;
}

struct png_out {
	uint8_t *p;
	size_t len, cap;
	bool oom;
};

static void png_put(png_structp png, png_bytep data, png_size_t n)
{
	struct png_out *o = png_get_io_ptr(png);
	if (o->oom)
		return;
	if (o->len + n > o->cap) {
		size_t cap = MAX(o->cap * 2, o->len + n + 4096);
		uint8_t *q = realloc(o->p, cap);
		if (!q) {
			o->oom = true;
			return;
		}
		o->p = q;
		o->cap = cap;
	}
	memcpy(o->p + o->len, data, n);
	o->len += n;
}

static void png_flush_none(png_structp png)
{
	(void)png;
}

/* PNG of checked pixels: 8-bit grey or RGB. NULL on failure. */
static uint8_t *png_encode(const uint8_t *px, unsigned w, unsigned h, unsigned ch, size_t *len)
{
	struct png_out o = { 0 };
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	if (!info) {
		png_destroy_write_struct(&png, NULL);
		return NULL;
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		free(o.p);
		return NULL;
	}
	png_set_write_fn(png, &o, png_put, png_flush_none);
	png_set_IHDR(png, info, w, h, 8, ch == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
	             PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_set_compression_level(png, 6);
	png_write_info(png, info);
	for (unsigned y = 0; y < h; y++)
		png_write_row(png, (png_const_bytep)(px + (size_t)y * w * ch));
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	if (o.oom) {
		free(o.p);
		return NULL;
	}
	*len = o.len;
	return o.p;
}

static char *data_uri(const uint8_t *p, size_t n)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char head[] = "data:image/png;base64,";
	char *s = xmalloc(sizeof head + (n + 2) / 3 * 4), *o = s;
	memcpy(o, head, sizeof head - 1);
	o += sizeof head - 1;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < n ? b64[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? b64[v & 63] : '=';
	}
	*o = '\0';
	return s;
}

/* Printable ASCII only: the child's words are not trusted. */
static char *clean_words(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);
	char *c = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++)
		c[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	c[n] = '\0';
	return c;
}

static void set_why(struct thumb *t, const char *fmt, ...) ING_PRINTF(2, 3);
static void set_why(struct thumb *t, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;      /* the report then says "no preview" without a reason */
	va_end(ap);
	free(t->why);
	t->why = s;
}

/* The answer of job j: checked, turned into a picture or a reason. */
static void take_answer(const struct job *j, const struct answer *a, const uint8_t *px)
{
	struct thumb *t = j->t;
	if (a->status != 0) {
		t->why = clean_words(a->why, sizeof a->why);
		return;
	}
	size_t len = 0;
	uint8_t *png = png_encode(px, a->width, a->height, a->channels, &len);
	if (!png) {
		set_why(t, "the picture could not be encoded");
		return;
	}
	t->data_uri = data_uri(png, len);
	free(png);
	t->width = a->width;
	t->height = a->height;
	t->window = clean_words(a->window, sizeof a->window);
	const struct dcm_info *d = j->f->dcm;
	if (d && d->has_instance_number && j->images > 1)
		t->note = xasprintf("instance %d, middle of %zu", d->instance_number, j->images);
	else if (d && d->has_instance_number)
		t->note = xasprintf("instance %d", d->instance_number);
	else if (j->images > 1)
		t->note = xasprintf("middle of %zu images", j->images);
}

/* The reason a child that stopped without answering gives. */
static void child_died(struct thumb *t, bool late, int wstatus, bool reaped)
{
	if (late)
		set_why(t, "making the picture took longer than %d s and was stopped", THUMB_WALL_SECONDS);
	else if (reaped && WIFSIGNALED(wstatus) && (WTERMSIG(wstatus) == SIGXCPU || WTERMSIG(wstatus) == SIGKILL))
		set_why(t, "making the picture needed more than %d s of processing and was stopped", THUMB_CPU_SECONDS);
	else if (reaped && WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGSYS)
		set_why(t, "the image decoder tried something it is not allowed to do on this file and was stopped");
	else if (reaped && WIFSIGNALED(wstatus))
		set_why(t, "the image decoder crashed on this file (signal %d)", WTERMSIG(wstatus));
	else
		set_why(t, "the image decoder stopped without an answer on this file");
}

/* Runs children over jobs[0, n): each answers from `start` on until it is
 * done or dies; a death costs the job it was on. */
static void run_jobs(struct ing_ctx *ctx, struct job *jobs, size_t n, double *cpu)
{
	size_t next = 0;
	double stop_all = mono_s() + THUMB_TOTAL_SECONDS;
	uint8_t *px = xmalloc((size_t)THUMB_MAX_SIDE * THUMB_MAX_SIDE * 3);
	while (next < n) {
		int p[2];
		if (mono_s() >= stop_all)
			break;
		if (pipe2(p, O_CLOEXEC) < 0) {
			set_why(jobs[next++].t, "no picture: %s", strerror(errno));
			continue;
		}
		pid_t pid = fork();
		if (pid < 0) {
			int e = errno;
			close(p[0]);
			close(p[1]);
			for (; next < n; next++)
				set_why(jobs[next].t, "the picture could not be made (%s)", strerror(e));
			break;
		}
		if (pid == 0) {
			close(p[0]);
			child_main(jobs, n, next, p[1]);
		}
		close(p[1]);
		bool late = false, bad = false;
		while (next < n) {
			struct answer a;
			double deadline = MIN(mono_s() + THUMB_WALL_SECONDS, stop_all);
			int r = read_full(p[0], &a, sizeof a, deadline, &late);
			if (r <= 0)
				break;
			if (a.magic != ANSWER_MAGIC || a.index != next ||
			    (a.status == 0 && (a.width == 0 || a.height == 0 || a.width > THUMB_MAX_SIDE ||
			                       a.height > THUMB_MAX_SIDE || (a.channels != 1 && a.channels != 3))) ||
			    (a.status != 0 && a.status > -1)) {
				bad = true;
				break;
			}
			if (a.status == 0 &&
			    read_full(p[0], px, (size_t)a.width * a.height * a.channels, deadline, &late) <= 0)
				break;
			take_answer(&jobs[next], &a, px);
			next++;
		}
		close(p[0]);
		int ws = 0;
		bool reaped = false;
		if (next < n)
			kill(pid, SIGKILL);
		while (!reaped) {
			struct rusage ru;
			pid_t w = wait4(pid, &ws, 0, &ru);
			if (w == pid)
				*cpu += (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
				        (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
			if (w == pid)
				reaped = true;
			else if (w < 0 && errno != EINTR)
				break;
		}
		if (next < n) {
			if (bad)
				set_why(jobs[next].t, "the image decoder gave a malformed answer on this file");
			else
				child_died(jobs[next].t, late, ws, reaped && !late);
			log_debug(ctx, "thumbs: the child stopped on picture %zu of %zu", next + 1, n);
			next++;
		}
	}
	for (; next < n; next++)
		set_why(jobs[next].t, "the time for pictures (%d s) ran out before this one", THUMB_TOTAL_SECONDS);
	free(px);
}

/* Sort key of a slice: its position along the slice normal when the series
 * has positions and orientation, else its instance number. */
struct slice {
	const struct ing_file *f;
	double key;
	int32_t inst;
};

static int cmp_slice(const void *a, const void *b)
{
	const struct slice *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->inst > y->inst) - (x->inst < y->inst);
}

/* The middle image of se (files with pixel data), or NULL. */
static const struct ing_file *middle_slice(const struct inv_series *se, size_t *images)
{
	size_t n = 0;
	bool by_pos = true;
	struct slice *s = xcalloc(se->files.n + 1, sizeof(*s));
	for (size_t i = 0; i < se->files.n; i++) {
		const struct ing_file *f = se->files.v[i];
		if (!f->dcm || !f->dcm->has_pixel_data)
			continue;
		by_pos &= f->dcm->has_position && f->dcm->has_orientation;
		s[n++] = (struct slice){ f, 0, f->dcm->has_instance_number ? f->dcm->instance_number : (int32_t)i };
	}
	for (size_t i = 0; i < n; i++) {
		const struct dcm_info *d = s[i].f->dcm;
		if (by_pos) {
			const double *o = d->image_orientation, *p = d->image_position;
			double nx = o[1] * o[5] - o[2] * o[4], ny = o[2] * o[3] - o[0] * o[5], nz = o[0] * o[4] - o[1] * o[3];
			s[i].key = nx * p[0] + ny * p[1] + nz * p[2];
		} else {
			s[i].key = s[i].inst;
		}
	}
	if (n > 1)
		qsort(s, n, sizeof(*s), cmp_slice);
	const struct ing_file *mid = n ? s[n / 2].f : NULL;
	*images = n;
	free(s);
	return mid;
}

int thumbs_make(struct ing_ctx *ctx, const struct inventory *inv, thumbs_open_fn open_file, void *ud,
                struct thumbs *out)
{
	double t0 = mono_s();
	memset(out, 0, sizeof *out);
	size_t total = 0;
	for (size_t i = 0; i < inv->studies.n; i++)
		total += ((const struct inv_study *)inv->studies.v[i])->series.n;
	total = MIN(total, (size_t)REPORT_MAX_LISTED);
	out->v = xcalloc(total + 1, sizeof(*out->v));
	struct job *jobs = xcalloc(MIN(total, (size_t)THUMB_MAX_SERIES) + 1, sizeof(*jobs));
	size_t nj = 0;
	for (size_t i = 0; i < inv->studies.n && out->n < total; i++) {
		const struct inv_study *st = inv->studies.v[i];
		for (size_t k = 0; k < st->series.n && out->n < total; k++) {
			const struct inv_series *se = st->series.v[k];
			struct thumb *t = &out->v[out->n++];
			t->series = se;
			if (nj >= THUMB_MAX_SERIES) {
				set_why(t, "only the first %u series get a picture", THUMB_MAX_SERIES);
				continue;
			}
			size_t images = 0;
			const struct ing_file *f = middle_slice(se, &images);
			if (!f) {
				set_why(t, "no image in this series");
				continue;
			}
			int fd = open_file ? open_file(ud, f) : -ENOENT;
			struct stat sb;
			if (fd < 0) {
				set_why(t, "the image is not in the package (%s)", strerror(-fd));
				continue;
			}
			if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
				close(fd);
				set_why(t, "the image could not be read back from the package");
				continue;
			}
			if ((uint64_t)sb.st_size > THUMB_MAX_FILE_BYTES) {
				close(fd);
				set_why(t, "the image file is too large to preview (%.0f MB; the limit is %u MB)",
				        (double)sb.st_size / 1e6, (unsigned)(THUMB_MAX_FILE_BYTES >> 20));
				continue;
			}
			jobs[nj++] = (struct job){ f, t, fd, (uint64_t)sb.st_size, images };
		}
	}
	if (nj)
		run_jobs(ctx, jobs, nj, &out->child_cpu);
	for (size_t i = 0; i < nj; i++)
		close(jobs[i].fd);
	free(jobs);
	out->seconds = mono_s() - t0;
	log_debug(ctx, "thumbs: %zu series, %zu decoded, %.3f s (children's CPU %.3f s)", out->n, nj, out->seconds,
	          out->child_cpu);
	return 0;
}

const struct thumb *thumbs_find(const struct thumbs *t, const struct inv_series *se)
{
	for (size_t i = 0; t && i < t->n; i++)
		if (t->v[i].series == se)
			return &t->v[i];
	return NULL;
}

void thumbs_free(struct thumbs *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].data_uri);
		free(t->v[i].why);
		free(t->v[i].note);
		free(t->v[i].window);
	}
	free(t->v);
	memset(t, 0, sizeof *t);
}
