/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The link file parsers on arbitrary bytes, once under each kind of name:
 * Internet Shortcut (*.url), macOS .webloc (XML or binary plist), links.txt. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fetch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "x.url", "x.webloc", "links.txt" };

	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		char **urls = NULL, *error = NULL;
		size_t n = 0;
		int r = linkfile_parse(data, size, names[k], &urls, &n, &error);
		if (r == 0) {
			/* the contract of fetch.h: 1..FETCH_MAX_URLS URLs, each
			 * "scheme://...", bounded, no space or control character */
			if (n < 1 || n > FETCH_MAX_URLS)
				__builtin_trap();
			for (size_t i = 0; i < n; i++) {
				size_t len = strlen(urls[i]);
				if (len > FETCH_MAX_URL_BYTES || !strstr(urls[i], "://"))
					__builtin_trap();
				for (size_t j = 0; j < len; j++)
					if ((unsigned char)urls[i][j] <= ' ' || urls[i][j] == 0x7f)
						__builtin_trap();
			}
		}
		linkfile_urls_free(urls, n);
		free(error);
	}
	return 0;
}
