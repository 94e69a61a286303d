/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The patient a document's header names (findings/identity.c), over the
 * shipped vocabulary (INGEST_TEST_RULES_DIR): which labels count (a line's or
 * cell's start, ':' or a cell gap after), where values end, the header bound,
 * and names compared as token sets (order, commas, '^', initials, titles,
 * Cyrillic transliterated, Han by character).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "internal.h"
#include "findings/findings.h"
#include "util/text.h"

static const struct vocab *V;

/* The identity of TEXT (as the layout of a document). */
static struct doc_identity read_id(const char *text)
{
	struct doc_text d = { .text = text, .len = strlen(text), .layout = text, .layout_len = strlen(text) };
	struct doc_identity id;
	CHECK(findings_identity(V, &d, &id) == 0, "%s", text);
	return id;
}

static void id_done(struct doc_identity *id)
{
	free(id->name);
	free(id->number);
}

/* NAME, BIRTH and NUMBER read from TEXT (NULL: none). */
static void expect(const char *text, const char *name, const char *birth, const char *number)
{
	struct doc_identity id = read_id(text);
	if (name)
		CHECK_STR(id.name, name);
	else
		CHECK(!id.name, "no name in \"%s\" (got \"%s\")", text, id.name);
	CHECK_STR(id.birth, birth ? birth : "");
	if (number)
		CHECK_STR(id.number, number);
	else
		CHECK(!id.number, "no number in \"%s\" (got \"%s\")", text, id.number);
	id_done(&id);
}

static bool same(const char *a, const char *b)
{
	struct name_tokens x, y;
	CHECK(identity_name_tokens(V, a, strlen(a), &x) == 0);
	CHECK(identity_name_tokens(V, b, strlen(b), &y) == 0);
	bool r = identity_names_comparable(&x, &y) && identity_names_match(&x, &y);
	name_tokens_free(&x);
	name_tokens_free(&y);
	return r;
}

static void reading(void)
{
	expect("St Elsewhere Hospital\nPatient name: LINDQVIST, Astrid Maria    DOB: 23/07/1958\nMRN: 44-1093\n",
	       "LINDQVIST, Astrid Maria", "1958-07-23", "44-1093");
	expect("Name: PATEL, Ravi Kumar\nDate of birth: 02.03.1961\n", "PATEL, Ravi Kumar", "1961-03-02", NULL);
	/* a label is a label only at a line's or cell's start and before ':' or a cell gap */
	expect("Referring physician name: Dr Emil Hartmann\nThe patient was seen today.\n", NULL, NULL, NULL);
	expect("Patient was seen in clinic today.\nName of the procedure: biopsy\n", NULL, NULL, NULL);
	expect("Patient\tHANS MÜLLER\n", "HANS MÜLLER", NULL, NULL);
	/* the name ends at a word with a digit or ':' (another field) */
	expect("Patient: Ravi Patel Sex:M Age 62\n", "Ravi Patel", NULL, NULL);
	expect("Name: Jane Doe, 54 years\n", "Jane Doe,", NULL, NULL);
	/* a name and its parts together */
	expect("Nom : DUPONT    Prénom : Marie-Claire\nNé le : 14/05/1950\n", "DUPONT Marie-Claire", "1950-05-14", NULL);
	expect("Cognome e nome: ROSSI MARIO\nData di nascita: 12/01/1948\n", "ROSSI MARIO", "1948-01-12", NULL);
	expect("Nachname: Schmidt\tVorname: Anna\tGeburtsdatum: 3. März 1966\n", "Schmidt Anna", "1966-03-03", NULL);
	expect("ФИО: Иванов Иван Петрович\nДата рождения: 01.01.1955\n", "Иванов Иван Петрович", "1955-01-01", NULL);
	expect("病理诊断报告\n姓名：张伟    性别：男\n出生日期：1970-05-05\n病历号：A77812\n", "张伟", "1970-05-05", "A77812");
	expect("Hasta adı: Ayşe Yılmaz\nDoğum tarihi: 15.08.1972\nProtokol no: 998877\n", "Ayşe Yılmaz", "1972-08-15",
	       "998877");
	expect("नाम: राजेश कुमार\nजन्म तिथि: 12/11/1960\n", "राजेश कुमार", "1960-11-12", NULL);
	/* an ambiguous date keeps both readings */
	struct doc_identity id = read_id("Patient: John Smith\nDOB: 03/04/1961\n");
	CHECK(strcmp(id.birth, "1961-03-04") == 0 || strcmp(id.birth, "1961-04-03") == 0, "%s", id.birth);
	CHECK(id.birth_alt[0] && strcmp(id.birth_alt, id.birth) != 0, "both readings: %s / %s", id.birth, id.birth_alt);
	id_done(&id);
	/* a number holds a digit */
	expect("Patient: John Smith\nMRN: pending\n", "John Smith", NULL, NULL);
	/* the header only: a name past the first 40 lines is not read */
	char *long_text = calloc(1, 2048);
	for (int i = 0; i < 45; i++)
		strcat(long_text, "line of text\n");
	strcat(long_text, "Patient: Late Name\n");
	expect(long_text, NULL, NULL, NULL);
	free(long_text);
	/* a value is capped */
	char big[1024] = "Name: ";
	for (int i = 0; i < 60; i++)
		strcat(big, "Abcdefgh ");
	strcat(big, "\n");
	id = read_id(big);
	CHECK(id.name && strlen(id.name) <= IDENTITY_VALUE_MAX, "capped: %zu", id.name ? strlen(id.name) : 0);
	id_done(&id);
	/* ... on a character's start: a long Cyrillic name stays valid UTF-8 */
	char cyr[2048] = "ФИО: ";
	for (int i = 0; i < 40; i++)
		strcat(cyr, "Ивановская");
	strcat(cyr, "\n");
	id = read_id(cyr);
	CHECK(id.name && strlen(id.name) <= IDENTITY_VALUE_MAX);
	for (size_t i = 0, l; id.name && i < strlen(id.name); i += l) {
		uint32_t cp;
		l = utf8_decode((const uint8_t *)id.name + i, strlen(id.name) - i, &cp);
		CHECK(l > 0, "valid UTF-8 at %zu of \"%s\"", i, id.name);
		if (!l)
			break;
	}
	id_done(&id);
}

static void comparing(void)
{
	CHECK(same("PATEL^RAVI^KUMAR", "PATEL, Ravi Kumar"));
	CHECK(same("PATEL^RAVI^KUMAR", "Ravi K. Patel"));
	CHECK(same("Ravi K. Patel", "PATEL, Ravi Kumar"));
	CHECK(same("Ravi Patel", "PATEL^RAVI^KUMAR"));
	CHECK(same("Mr Ravi Patel", "PATEL^RAVI"));
	CHECK(same("Frau Anna Schmidt", "SCHMIDT^ANNA"));
	CHECK(same("Müller, Hans", "MULLER^HANS"));
	CHECK(same("Иванов Иван Петрович", "IVANOV^IVAN^PETROVICH"));
	CHECK(same("Щукина Юлия", "SHCHUKINA^IULIIA"));
	CHECK(same("张伟", "ZHANG^WEI=张^伟"));
	CHECK(same("O'Brien, Mary", "OBRIEN^MARY"));
	CHECK(!same("Ravi Shankar Patel", "PATEL^RAVI^KUMAR"));
	CHECK(!same("Patel", "PATEL^RAVI"));
	CHECK(!same("R. K.", "RAVI^KUMAR"));
	CHECK(!same("Jane Doe", "DOE^JOHN"));
	CHECK(!same("李娜", "ZHANG^WEI=张^伟"));
	/* no common script: not comparable (inventory.c decides by birth date) */
	struct name_tokens x, y;
	identity_name_tokens(V, "陈伟", strlen("陈伟"), &x);
	identity_name_tokens(V, "CHEN^WEI", 8, &y);
	CHECK(!identity_names_comparable(&x, &y));
	name_tokens_free(&x);
	name_tokens_free(&y);
}

int main(void)
{
	const char *dir = getenv("INGEST_TEST_RULES_DIR");
	if (!dir) {
		fprintf(stderr, "INGEST_TEST_RULES_DIR is not set\n");
		return 77;
	}
	struct strbuf errors;
	strbuf_init(&errors, RULES_MAX_ERRORS_BYTES);
	struct vocab *v = NULL;
	if (vocab_load_dir(NULL, dir, &v, &errors) < 0) {
		fprintf(stderr, "the vocabulary of %s does not load:\n%s", dir, errors.s ? errors.s : "");
		strbuf_free(&errors);
		return 1;
	}
	strbuf_free(&errors);
	V = v;
	reading();
	comparing();
	vocab_free(v);
	CHECK_DONE();
}
