/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Replays fuzz inputs through a target's LLVMFuzzerTestOneInput() without
 * libFuzzer, so every crash input kept under tests/fuzz/<target>/ (and the
 * seeds) runs in every `meson test`, with the sanitizers of the build.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return 1;
	}
	struct stat st;
	if (fstat(fileno(f), &st) < 0 || st.st_size > (64 << 20)) {
		fclose(f);
		fprintf(stderr, "%s: unreadable or too large\n", path);
		return 1;
	}
	size_t n = (size_t)st.st_size;
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf || fread(buf, 1, n, f) != n) {
		fclose(f);
		free(buf);
		fprintf(stderr, "%s: read failed\n", path);
		return 1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	int runs = 0, bad = 0;
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *de;
			char **names = NULL;
			size_t n = 0;
			if (!d) {
				perror(argv[i]);
				return 1;
			}
			while ((de = readdir(d)))
				if (de->d_name[0] != '.') {
					names = realloc(names, (n + 1) * sizeof(char *));
					names[n++] = strdup(de->d_name);
				}
			closedir(d);
			if (n)
				qsort(names, n, sizeof(char *), cmp);
			for (size_t j = 0; j < n; j++) {
				char path[4096];
				snprintf(path, sizeof(path), "%s/%s", argv[i], names[j]);
				bad += run_file(path);
				runs++;
				free(names[j]);
			}
			free(names);
		} else {
			bad += run_file(argv[i]);
			runs++;
		}
	}
	if (runs == 0) {
		fprintf(stderr, "no inputs to replay\n");
		return 1;
	}
	printf("%d inputs replayed\n", runs);
	return bad ? 1 : 0;
}
