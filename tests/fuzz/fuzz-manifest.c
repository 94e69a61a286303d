/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The bag manifest and bag-info parsers of `ingest verify`, which read files
 * of a bag folder: the input becomes the manifests of a minimal bag and
 * ing_bag_verify() checks it. The input is cut at form feeds (\f):
 *   manifest-sha256.txt \f tagmanifest-sha256.txt \f bag-info.txt
 * (a part that is not there is a file that is not there). The bag has
 * bagit.txt, data/a.txt, data/sub/b.txt and a symbolic link data/link.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char dir[64];
static struct ing_ctx *ctx;
static const char *const parts[] = { "manifest-sha256.txt", "tagmanifest-sha256.txt", "bag-info.txt" };

static void path_of(char *p, size_t n, const char *name)
{
	snprintf(p, n, "%s/%s", dir, name);
}

static void put(const char *name, const void *buf, size_t n)
{
	char p[160];
	path_of(p, sizeof(p), name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, buf, n) != (ssize_t)n)
		abort();
	close(fd);
}

static void cleanup(void)
{
	static const char *const names[] = { "manifest-sha256.txt", "tagmanifest-sha256.txt", "bag-info.txt",
		                             "bagit.txt", "data/a.txt", "data/sub/b.txt", "data/link",
		                             "data/sub", "data" };
	char p[160];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		path_of(p, sizeof(p), names[i]);
		if (unlink(p) < 0)
			rmdir(p);
	}
	rmdir(dir);
	ing_ctx_free(ctx);
}

static void quiet(void *ud, int level, const char *msg)
{
	(void)ud;
	(void)level;
	(void)msg;
}

static void finding(void *ud, enum ing_verify_finding what, const char *path, const char *detail)
{
	size_t *n = ud;
	*n += (size_t)what + strlen(path) + strlen(detail);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	struct ing_limits lim;
	char p[160];

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%.40s/fuzz-manifest.XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (!mkdtemp(dir))
		abort();
	path_of(p, sizeof(p), "data");
	if (mkdir(p, 0700) < 0)
		abort();
	path_of(p, sizeof(p), "data/sub");
	if (mkdir(p, 0700) < 0)
		abort();
	put("bagit.txt", "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", 55);
	put("data/a.txt", "hello\n", 6);
	put("data/sub/b.txt", "", 0);
	path_of(p, sizeof(p), "data/link");
	if (symlink("../bagit.txt", p) < 0)
		abort();
	if (ing_ctx_new(&ctx) < 0)
		abort();
	ing_ctx_set_log(ctx, quiet, NULL, ING_LOG_DEBUG);
	ing_limits_default(&lim);
	lim.max_entries = 2000;
	ing_ctx_set_limits(ctx, &lim);
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct ing_verify_result res;
	size_t n = 0;

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		char path[160];
		path_of(path, sizeof(path), parts[i]);
		if (!p) {
			unlink(path);
			continue;
		}
		const uint8_t *ff = memchr(p, '\f', (size_t)(end - p));
		size_t len = ff ? (size_t)(ff - p) : (size_t)(end - p);
		put(parts[i], p, len);
		p = ff ? ff + 1 : NULL;
	}
	memset(&res, 0, sizeof(res));
	(void)ing_bag_verify(ctx, dir, finding, &n, &res);
	return 0;
}
