/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A readable summary of the inventory for people at a terminal. */
#include <stdio.h>

#include "scan.h"

int ing_scan_write_text(const struct ing_scan *scan, FILE *out)
{
	const struct inventory *inv = &scan->inv;
	unsigned counts[_KIND_MAX] = { 0 };

	fprintf(out, "Case %s — %zu files, %llu bytes (scanned %s)\n", scan->case_id, scan->files.n,
	        (unsigned long long)scan->total_bytes, scan->generated_at);
	for (size_t i = 0; i < scan->files.n; i++)
		counts[((struct ing_file *)scan->files.v[i])->kind]++;
	fprintf(out, "\nFiles by kind:\n");
	for (int k = 0; k < _KIND_MAX; k++)
		if (counts[k])
			fprintf(out, "  %-26s %u\n", kind_name((enum ing_kind)k), counts[k]);

	fprintf(out, "\nPatients seen in the images: %zu%s\n", inv->patients.n,
	        inv->patients.n > 1 ? "  <-- records of more than one patient" : "");

	fprintf(out, "\nImaging: %zu studies, %u instances\n", inv->studies.n, inv->dicom_instances);
	for (size_t i = 0; i < inv->studies.n; i++) {
		const struct inv_study *st = inv->studies.v[i];
		fprintf(out, "  %s  %-10s %s%s%s\n", st->date_iso[0] ? st->date_iso : "(no date)", st->modalities,
		        st->description[0] ? st->description : "(no description)", st->body_part[0] ? " — " : "",
		        st->body_part);
		for (size_t j = 0; j < st->series.n; j++) {
			const struct inv_series *se = st->series.v[j];
			fprintf(out, "      %-3s %4zu instances  %s%s\n", se->modality, se->files.n,
			        se->description[0] ? se->description : "(no description)", se->lossy ? "  [lossy]" : "");
			if (se->n_missing) {
				fprintf(out, "          missing instance numbers:");
				for (size_t k = 0; k < se->n_missing && k < 20; k++)
					fprintf(out, " %d", se->missing[k]);
				fprintf(out, "%s\n", se->n_missing > 20 || se->missing_truncated ? " ..." : "");
			}
			for (size_t k = 0; k < se->n_gaps; k++)
				fprintf(out, "          slice gap: %d slice(s) missing between instances %d and %d (%.1f mm step, spacing %.1f mm)\n",
				        se->gaps[k].missing, se->gaps[k].after_instance, se->gaps[k].before_instance,
				        se->gaps[k].gap_mm, se->gaps[k].spacing_mm);
		}
	}

	fprintf(out, "\nDocuments: %zu\n", inv->documents.n);
	for (size_t i = 0; i < inv->documents.n; i++) {
		const struct ing_file *f = inv->documents.v[i];
		fprintf(out, "  %-20s %s\n      %s\n", kind_name(f->kind), f->path, f->evidence ? f->evidence : "");
	}
	fprintf(out, "\nLeft out (viewer software, system files): %zu\n", inv->excluded.n);
	for (size_t i = 0; i < inv->excluded.n; i++) {
		const struct ing_file *f = inv->excluded.v[i];
		fprintf(out, "  %s (%s)\n", f->path, kind_name(f->kind));
	}
	fprintf(out, "\nProblems: %zu\n", inv->problems.n);
	for (size_t i = 0; i < inv->problems.n; i++) {
		const struct ing_file *f = inv->problems.v[i];
		fprintf(out, "  [%s] %s: %s\n", problem_name(f->problem), f->path, f->problem_msg ? f->problem_msg : "");
	}
	return ferror(out) ? -EIO : 0;
}
