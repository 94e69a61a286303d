/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The DIMSE destination parser (`ingest send --to dicom://CALLED_AET@host:port`,
 * and a configured destination's calling AE title) on arbitrary bytes: the
 * bytes after "dicom://" as the URL, then the same bytes as the calling AE
 * title with a fixed good URL. Its contract: on success the called AE title
 * is 1-16 printable characters without '\' or spaces around, the host only
 * letters, digits, '.', '-', the port 1-65535, and the display form parses
 * back to the same three; on failure a message in words. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libingest-internal.h"
#include "send-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_parsed(const struct send_dimse *s)
{
	size_t n = strlen(s->called);
	if (n < 1 || n > 16 || s->called[0] == ' ' || s->called[n - 1] == ' ' || strchr(s->called, '\\'))
		__builtin_trap();
	if (!s->host[0] || strspn(s->host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
	    strlen(s->host))
		__builtin_trap();
	if (s->port < 1 || s->port > 65535)
		__builtin_trap();
	/* the display form is a destination too, and the same one */
	struct send_opts o2 = { .url = s->display };
	struct send_dimse t;
	char *err = NULL;
	if (send_dimse_init(&t, NULL, &o2, &err) != 0 || strcmp(t.called, s->called) || strcmp(t.host, s->host) ||
	    t.port != s->port)
		__builtin_trap();
	send_dimse_done(&t);
	free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *url = malloc(size + 9);
	memcpy(url, "dicom://", 8);
	memcpy(url + 8, data, size);
	url[size + 8] = 0;

	struct send_opts o = { .url = url };
	struct send_dimse s;
	char *err = NULL;
	int r = send_dimse_init(&s, NULL, &o, &err);
	if (r == 0)
		check_parsed(&s);
	else if (!err || !err[0])
		__builtin_trap();
	send_dimse_done(&s);
	free(err);
	err = NULL;

	/* the same bytes as our calling AE title */
	struct send_opts c = { .url = "dicom://ORTHANC@127.0.0.1:4242", .calling_aet = url + 8 };
	r = send_dimse_init(&s, NULL, &c, &err);
	if (r == 0) {
		size_t n = strlen(s.calling);
		if (n < 1 || n > 16 || strchr(s.calling, '\\'))
			__builtin_trap();
		check_parsed(&s);
	} else if (!err || !err[0]) {
		__builtin_trap();
	}
	send_dimse_done(&s);
	free(err);
	free(url);
	return 0;
}
