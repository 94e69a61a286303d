/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A download's bytes as a web page (fetch-html.c: is it one, its title, an
 * interstitial's form) and as a link to plan (fetch-share.c, with the source
 * tree's rules/links/services.yaml): whatever the bytes, bounded results. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fetch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct share_table *table;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *t, *u, *url;
	struct share_plan p;

	if (!table && share_table_load(INGEST_SOURCE_RULES_DIR "/links/services.yaml", &table, NULL) < 0)
		__builtin_trap();       /* the shipped data file must load */
	(void)fetch_is_html(NULL, data, size);
	t = fetch_html_title(data, size);
	if (t && (strlen(t) > FETCH_HTML_TITLE_BYTES + 3 || !*t))
		__builtin_trap();
	free(t);
	u = fetch_html_form_url(data, size, "download-form", "https://drive.usercontent.google.com/download?id=x");
	if (u && (strlen(u) > FETCH_MAX_URL_BYTES || strncmp(u, "https://", 8) != 0 || strchr(u, ' ')))
		__builtin_trap();
	free(u);
	/* the bytes as a link after a known host: captures never hold what ends a part */
	url = malloc(size + 64);
	memcpy(url, "https://drive.google.com/file/d/", 32);
	memcpy(url + 32, data, size);
	url[32 + size] = 0;
	if (share_plan(table, url, &p) == 0) {
		if (p.url && (strchr(p.url, '"') || strchr(p.url, ' ') || strchr(p.url, '\n')))
			__builtin_trap();
		share_plan_clear(&p);
	}
	free(url);
	return 0;
}
