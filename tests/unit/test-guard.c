/* The guard and the skip list (libingest/guard.c, docs/faults.md "Isolation"):
 * a scan that dies or hangs in the DICOM reader leaves the phase and the path
 * of the input in the shared record, also for an entry inside a zip; a scan
 * given that path as a skip leaves the input out with a problem, and ends with
 * the phase back at none. Faults come from the test hook
 * INGEST_TEST_PARSER_FAULT; each faulting scan runs in a child process. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "internal.h"
#include "check.h"

/* A DICOM candidate (Part 10 preamble) carrying MARKER in its bytes. */
static size_t dicomish(uint8_t *buf, size_t cap, const char *marker)
{
	size_t n = 0;
	memset(buf, 0, 128);
	n = 128;
	memcpy(buf + n, "DICM", 4);
	n += 4;
	n += (size_t)snprintf((char *)buf + n, cap - n, "....%s....", marker ? marker : "");
	return n;
}

static void write_file(const char *dir, const char *name, const void *data, size_t n)
{
	char *p = xasprintf("%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK(write(fd, data, n) == (ssize_t)n);
		close(fd);
	}
	free(p);
}

/* A zip NAME in DIR with N_ENTRIES entries: names ENTRY[i], bytes DATA[i] of LEN[i]. */
static void write_zip_n(const char *dir, const char *name, size_t n_entries, const char *const *entry,
                        const void *const *data, const size_t *len)
{
	char *p = xasprintf("%s/%s", dir, name);
	struct archive *a = archive_write_new();
	archive_write_set_format_zip(a);
	CHECK_INT(archive_write_open_filename(a, p), ARCHIVE_OK);
	for (size_t i = 0; i < n_entries; i++) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, entry[i]);
		archive_entry_set_size(e, (la_int64_t)len[i]);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0640);
		CHECK_INT(archive_write_header(a, e), ARCHIVE_OK);
		CHECK(archive_write_data(a, data[i], len[i]) == (la_ssize_t)len[i]);
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	free(p);
}

static void write_zip(const char *dir, const char *name, const char *entry, const void *data, size_t n)
{
	write_zip_n(dir, name, 1, &entry, &data, &n);
}

/* What the guard showed at each per-file progress call. */
struct seen {
	struct ing_guard *g;
	char what[16][128];
	size_t n;
};

static void on_progress(void *ud, uint64_t files, uint64_t bytes)
{
	struct seen *s = ud;
	uint64_t progress;
	uint32_t phase;
	(void)files, (void)bytes;
	ing_guard_read(s->g, &progress, &phase);
	if (s->n < 16)
		snprintf(s->what[s->n++], sizeof(s->what[0]), "%s:%.100s", ing_guard_phase_name(phase), s->g->path);
}

static char *mkdrop(void)
{
	const char *tmp = getenv("TMPDIR");
	char *d = xasprintf("%s/test-guard.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	CHECK(mkdtemp(d) != NULL);
	static const char note[] = "Notes for the coordinator: nothing to see here.\n";
	write_file(d, "notes.txt", note, sizeof(note) - 1);
	return d;
}

static void rmdrop(char *d)
{
	char *cmd = xasprintf("rm -rf '%s'", d);
	CHECK_INT(system(cmd), 0);
	free(cmd);
	free(d);
}

static int scan_dir(const char *dir, struct ing_guard *g, const struct ing_scan_skip *skips, size_t n_skips,
                    char **json)
{
	struct ing_ctx *ctx;
	struct ing_scan *scan = NULL;
	int r = ing_ctx_new(&ctx);
	if (r < 0)
		return r;
	struct ing_scan_opts o = { .case_id = "T", .guard = g, .skips = skips, .n_skips = n_skips };
	r = ing_scan_path(ctx, dir, &o, &scan);
	if (r == 0 && json)
		r = ing_scan_to_json(scan, json);
	ing_scan_free(scan);
	ing_ctx_free(ctx);
	return r;
}

/* Scans DIR in a child; returns its wait status. With SPIN_PATH, waits until
 * the guard shows the DICOM phase on that path with no progress for 0.5 s,
 * then kills the child (what the daemon's watchdog does). */
static int scan_in_child(const char *dir, struct ing_guard *g, const char *spin_path)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(scan_dir(dir, g, NULL, 0, NULL) == 0 ? 0 : 1);
	CHECK(pid > 0);
	if (spin_path) {
		uint64_t last = UINT64_MAX, progress;
		uint32_t phase;
		int stable = 0;
		for (int i = 0; i < 200 && stable < 5; i++) {     /* 20 s at most */
			nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
			ing_guard_read(g, &progress, &phase);
			if (phase == ING_GUARD_DICOM && progress == last && strcmp(g->path, spin_path) == 0)
				stable++;
			else
				stable = 0;
			last = progress;
		}
		CHECK_INT(stable, 5);
		kill(pid, SIGKILL);
	}
	int status = 0;
	CHECK_INT(waitpid(pid, &status, 0), pid);
	return status;
}

/* The problem message of PATH in the report JSON, or NULL (malloc'd). */
static char *problem_of(const char *json, const char *path)
{
	json_object *root = json_tokener_parse(json), *probs = NULL;
	char *msg = NULL;
	if (root && json_object_object_get_ex(root, "problems", &probs))
		for (size_t i = 0; i < json_object_array_length(probs); i++) {
			json_object *p = json_object_array_get_idx(probs, i), *v = NULL, *m = NULL;
			if (json_object_object_get_ex(p, "path", &v) && strcmp(json_object_get_string(v), path) == 0 &&
			    json_object_object_get_ex(p, "message", &m))
				msg = xstrdup(json_object_get_string(m));
		}
	json_object_put(root);
	return msg;
}

static void check_problem(const char *json, const char *path, const char *words)
{
	char *m = problem_of(json, path);
	if (!m || !strstr(m, words))
		fprintf(stderr, "problem of %s: %s (expected to say \"%s\")\n", path, m ? m : "(none)", words);
	CHECK(m && strstr(m, words));
	free(m);
}

int main(void)
{
	struct ing_guard *g;
	uint64_t progress;
	uint32_t phase;
	uint8_t buf[512];
	size_t n;
	char *json = NULL;

	setenv("INGEST_TEST_PARSER_FAULT", "1", 1);
	CHECK_INT(ing_guard_new(&g), 0);
	ing_guard_read(g, &progress, &phase);
	CHECK_INT(progress, 0);
	CHECK_INT(phase, ING_GUARD_NONE);
	CHECK_STR(ing_guard_phase_name(ING_GUARD_DICOM), "DICOM header");

	/* 1. A crash in the DICOM reader: the child dies, the guard names the file. */
	char *d = mkdrop();
	n = dicomish(buf, sizeof(buf), "INGEST-FAULT-CRASH");
	write_file(d, "bad.dcm", buf, n);
	int st = scan_in_child(d, g, NULL);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	ing_guard_read(g, &progress, &phase);
	CHECK_INT(phase, ING_GUARD_DICOM);
	CHECK_STR(g->path, "bad.dcm");
	CHECK(progress > 0);

	/* 2. The same drop with the file on the skip list: no crash, a problem, phase none after. */
	struct ing_scan_skip sk[] = { { "other.dcm", "took more than 9 s" }, { "bad.dcm", "crashed (signal 11)" } };
	CHECK_INT(scan_dir(d, g, sk, 2, &json), 0);
	if (json)
		check_problem(json, "bad.dcm", "the DICOM reader crashed (signal 11) on this file in an earlier attempt");
	ing_guard_read(g, &progress, &phase);
	CHECK_INT(phase, ING_GUARD_NONE);
	free(json);
	json = NULL;
	/* Without the skip list, in a child: it crashes again (the hook is real). */
	st = scan_in_child(d, g, NULL);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	rmdrop(d);

	/* 3. A hang: the guard shows the phase and the path, and no progress. */
	d = mkdrop();
	n = dicomish(buf, sizeof(buf), "INGEST-FAULT-SPIN");
	write_file(d, "spin.dcm", buf, n);
	st = scan_in_child(d, g, "spin.dcm");
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	rmdrop(d);

	/* 4. Inside a zip: the entry is named; skipping the entry costs the entry,
	 * skipping the zip leaves the zip unopened. */
	d = mkdrop();
	n = dicomish(buf, sizeof(buf), "INGEST-FAULT-CRASH");
	write_zip(d, "x.zip", "inner/bad.dcm", buf, n);
	st = scan_in_child(d, g, NULL);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	ing_guard_read(g, &progress, &phase);
	CHECK_INT(phase, ING_GUARD_DICOM);
	CHECK_STR(g->path, "x.zip!/inner/bad.dcm");
	struct ing_scan_skip entry[] = { { "x.zip!/inner/bad.dcm", "crashed (signal 11)" } };
	CHECK_INT(scan_dir(d, g, entry, 1, &json), 0);
	if (json) {
		check_problem(json, "x.zip!/inner/bad.dcm", "the DICOM reader crashed (signal 11)");
		char *zm = problem_of(json, "x.zip");
		CHECK(zm == NULL);     /* the zip itself was read */
		free(zm);
	}
	free(json);
	json = NULL;
	struct ing_scan_skip arc[] = { { "x.zip", "took more than 120 s" } };
	CHECK_INT(scan_dir(d, g, arc, 1, &json), 0);
	if (json) {
		check_problem(json, "x.zip", "the archive reader took more than 120 s on this archive in an earlier attempt");
		char *em = problem_of(json, "x.zip!/inner/bad.dcm");
		CHECK(em == NULL);     /* not opened: its entry is not listed */
		free(em);
	}
	free(json);
	ing_guard_read(g, &progress, &phase);
	CHECK_INT(phase, ING_GUARD_NONE);
	rmdrop(d);

	/* 5. A crash in the archive phase: the guard names the archive. */
	d = mkdrop();
	static const char named[] = "an entry whose name crashes the archive reader\n";
	write_zip(d, "z.zip", "INGEST-FAULT-ARCHIVE-CRASH.txt", named, sizeof(named) - 1);
	st = scan_in_child(d, g, NULL);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	ing_guard_read(g, &progress, &phase);
	CHECK_INT(phase, ING_GUARD_ARCHIVE);
	CHECK_STR(g->path, "z.zip");
	rmdrop(d);

	/* 6. Phases nest: after an entry's DICOM header the zip shows again, after the zip none. */
	d = mkdrop();
	n = dicomish(buf, sizeof(buf), NULL);
	static const char txt[] = "A short note inside the zip.\n";
	const char *names[] = { "a.dcm", "b.txt" };
	const void *datas[] = { buf, txt };
	size_t lens[] = { n, sizeof(txt) - 1 };
	write_zip_n(d, "y.zip", 2, names, datas, lens);
	struct seen seen = { .g = g };
	struct ing_ctx *ctx;
	struct ing_scan *scan = NULL;
	CHECK_INT(ing_ctx_new(&ctx), 0);
	struct ing_scan_opts o = { .case_id = "T", .guard = g, .progress = on_progress, .progress_userdata = &seen };
	CHECK_INT(ing_scan_path(ctx, d, &o, &scan), 0);
	ing_scan_free(scan);
	ing_ctx_free(ctx);
	static const char *const want[] = { "none:", "archive:y.zip", "archive:y.zip", "none:" };  /* notes.txt first */
	CHECK_INT(seen.n, 4);
	for (size_t i = 0; i < seen.n && i < 4; i++)
		CHECK_STR(seen.what[i], want[i]);
	rmdrop(d);

	ing_guard_free(g);
	CHECK_DONE();
}
