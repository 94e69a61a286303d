/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The case.yaml parser on arbitrary bytes, with its error report kept. */
#include <stdint.h>
#include <string.h>

#include "caseyaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct case_yaml *cy = NULL;
	struct strbuf errors;
	size_t n = 0;

	strbuf_init(&errors, 64u << 10);
	if (case_yaml_parse((const char *)data, size, &cy, &errors) >= 0 && cy) {
		/* touch every output, so a dangling or unterminated one shows */
		n += cy->cancer_type ? strlen(cy->cancer_type) : 0;
		n += cy->question ? strlen(cy->question) : 0;
		n += cy->patient_language ? strlen(cy->patient_language) : 0;
		for (size_t i = 0; i < cy->n_passwords; i++)
			if (!cy->passwords[i][0] || strlen(cy->passwords[i]) > CASE_YAML_MAX_PASSWORD)
				__builtin_trap();   /* non-empty, bounded */
		for (size_t i = 0; i < cy->n_notify; i++)
			if (!case_yaml_address_ok(cy->notify[i]))
				__builtin_trap();   /* only checked addresses are kept */
	}
	if (errors.len && strlen(errors.s) != errors.len)
		__builtin_trap();
	case_yaml_free(cy);
	strbuf_free(&errors);
	return (int)(n & 0);
}
