/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Statements about markers (findings/findings.h findings_statements()) over
 * the vocabulary of the source rules folder (INGEST_TEST_RULES_DIR): each
 * case is a text (and a layout, or none) and every statement it must give;
 * any other statement fails the case (no false "found").
 *
 *   test-statements                 the table below
 *   test-statements --dump [FILE]   print the statements of FILE (stdin), a
 *                                   layout after a line "----LAYOUT----"
 *   test-statements --extract DOC   print DOC's text as the extractor reads it
 *                                   (PDF, image or text), in --dump's form: the
 *                                   corpus's error analysis reads each document
 *                                   once, then --dump runs in milliseconds
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <unistd.h>

#include "internal.h"
#include "docext.h"
#include "findings/findings.h"
#include "findings/vocab.h"
#include "check.h"

/* One expected statement. VALUE and VARIANT: NULL for none. FLAGS: words
 * that must hold ("amendment", "superseded", "vus", "benign", "pathogenic",
 * "germline", "somatic", "family", "possible", "historical", "hypothetical",
 * "row"), space separated. */
struct want {
	const char *name, *assertion, *polarity, *value, *variant, *flags;
};

struct tcase {
	const char *lang;
	const char *text;
	const char *layout;
	struct want want[12];
};

#define W(n, a, p, v) { n, a, p, v, NULL, NULL }
#define WV(n, a, p, v, var, f) { n, a, p, v, var, f }

static const struct tcase cases[] = {
	/* ---- negation scope: a list shares it (the example) ---- */
	{ "en", "No ALK, ROS1 or RET fusion and no KRAS G12C or MET exon 14 alteration was detected.", NULL,
	  { W("ALK", "result", "negative", NULL), W("ROS1", "result", "negative", NULL),
	    W("RET", "result", "negative", NULL), WV("KRAS", "result", "negative", NULL, "p.G12C", NULL),
	    W("MET exon 14", "result", "negative", NULL) } },
	{ "en", "ER positive (90%), PR negative (<1%), HER2 3+.", NULL,
	  { W("ER", "result", "positive", "90%"), W("PR", "result", "negative", "<1%"),
	    W("HER2", "result", "positive", "3+") } },
	{ "en", "Tumour cells are positive for ER and PR, negative for HER2.", NULL,
	  { W("ER", "result", "positive", NULL), W("PR", "result", "positive", NULL),
	    W("HER2", "result", "negative", NULL) } },
	{ "en", "HER2 IHC 2+ (equivocal); HER2 FISH: amplified, HER2/CEP17 ratio 2.4.", NULL,
	  { W("HER2", "equivocal", "none", "2+"), W("HER2 ISH", "result", "positive", "ratio 2.4") } },
	/* ---- value vs. words ---- */
	{ "en", "PD-L1 (22C3): Combined Positive Score (CPS) 10.", NULL,
	  { W("PD-L1", "result", "none", "CPS 10") } },
	{ "en", "PD-L1 (SP263) Tumor Proportion Score (TPS): 5%.\nInterpretation:\nPD-L1 expression is low.", NULL,
	  { W("PD-L1", "result", "none", "TPS 5%") } },
	{ "en", "Ki-67: 20%", NULL, { W("Ki-67", "result", "none", "20%") } },
	/* ---- non-results ---- */
	{ "en", "Note: HER2-low is defined as IHC 1+ or IHC 2+ without ISH amplification.", NULL, { { NULL } } },
	{ "en", "Method: NRAS-BRAF Mutation Test (therascreen).", NULL, { { NULL } } },
	/* a criterion, "positive if >= N %": the cut-off, never a result (in every language) */
	{ "en", "Interpretation: Claudin 18.2 is positive if >= 75% of tumour cells show 2+/3+ membranous staining.", NULL,
	  { { NULL } } },
	{ "fr", "Claudine 18.2 positive si >= 75 % des cellules tumorales 2+/3+.", NULL, { { NULL } } },
	{ "de", "Claudin 18.2 positiv, wenn >= 75 % der Tumorzellen 2+/3+ gefärbt sind.", NULL, { { NULL } } },
	{ "es", "Claudina 18.2 positiva si >= 75 % de las células tumorales 2+/3+.", NULL, { { NULL } } },
	{ "it", "Claudina 18.2 positiva se >= 75% delle cellule tumorali 2+/3+.", NULL, { { NULL } } },
	{ "pt", "Claudina 18.2 positiva se >= 75% das células tumorais 2+/3+.", NULL, { { NULL } } },
	{ "ru", "Клаудин 18.2 положительный, если >= 75% опухолевых клеток 2+/3+.", NULL, { { NULL } } },
	{ "en", "PD-L1 is considered positive if TPS >= 1%.", NULL, { { NULL } } },
	/* ... and the result beside it still is one */
	{ "fr", "Claudine 18.2 positive si >= 75 % des cellules tumorales 2+/3+.\nRésultat : PD-L1 (22C3) TPS 30 %.", NULL,
	  { W("PD-L1", "result", "none", "TPS 30%") } },
	/* ---- results given to the right marker ---- */
	{ "en", "Immunohistochemistry shows loss of MLH1 and PMS2 expression; the tumour is MSI-H.", NULL,
	  { W("MLH1", "result", "positive", NULL), W("PMS2", "result", "positive", NULL),
	    W("MSI", "result", "positive", "MSI-H") } },
	{ "en", "MLH1 promoter hypermethylation not detected.", NULL,
	  { W("MLH1 promoter methylation", "result", "negative", NULL) } },
	{ "en", "MLH1, PMS2, MSH2 and MSH6: retained.", NULL,
	  { W("MLH1", "result", "negative", NULL), W("PMS2", "result", "negative", NULL),
	    W("MSH2", "result", "negative", NULL), W("MSH6", "result", "negative", NULL) } },
	/* ---- variants ---- */
	{ "en", "KRAS c.35G>T p.(Gly12Cys) detected, VAF 23%.", NULL,
	  { WV("KRAS", "result", "positive", "VAF 23%", "p.G12C", NULL) } },
	{ "en", "EGFR exon 19 deletion detected.", NULL,
	  { WV("EGFR", "result", "positive", NULL, "exon 19 deletion", NULL) } },
	{ "en", "Gleason score 4+3=7, ISUP grade 3.", NULL,
	  { W("Gleason", "result", "none", "4+3=7"), W("ISUP grade", "result", "none", "3") } },
	/* ---- pending ---- */
	{ "en", "EGFR and ALK testing pending.", NULL,
	  { W("EGFR", "pending", "none", NULL), W("ALK", "pending", "none", NULL) } },
	/* ---- tables: the value from its own row only ---- */
	{ "en", "", "Gene\tResult\nKRAS\tNOT DETECTED\nNRAS\tNOT DETECTED\nBRAF\tDETECTED\nPIK3CA\tNOT DETECTED\n",
	  { WV("KRAS", "result", "negative", NULL, NULL, "row"), WV("NRAS", "result", "negative", NULL, NULL, "row"),
	    WV("BRAF", "result", "positive", NULL, NULL, "row"),
	    WV("PIK3CA", "result", "negative", NULL, NULL, "row") } },
	{ "en", "", "Marker\tClone\tResult\tReference\nER\tSP1\t95% positive\t>= 1%\nPR\t1E2\tnegative\t>= 1%\n",
	  { W("ER", "result", "positive", "95%"), W("PR", "result", "negative", NULL) } },
	/* ---- amendment ---- */
	{ "en", "HER2 (4B5): 1+ (negative).\n\nADDENDUM\nHER2 re-evaluated: 2+ (equivocal).", NULL,
	  { WV("HER2", "result", "negative", "1+", NULL, "superseded"),
	    WV("HER2", "equivocal", "none", "2+", NULL, "amendment") } },
	/* ---- German ---- */
	{ "de", "EGFR, KRAS und BRAF: Wildtyp.", NULL,
	  { W("EGFR", "result", "negative", NULL), W("KRAS", "result", "negative", NULL),
	    W("BRAF", "result", "negative", NULL) } },
	{ "de", "Östrogenrezeptor positiv (90%), Progesteronrezeptor negativ.", NULL,
	  { W("ER", "result", "positive", "90%"), W("PR", "result", "negative", NULL) } },
	{ "de", "Eine ALK-Translokation wurde nicht nachgewiesen.", NULL,
	  { W("ALK", "result", "negative", NULL) } },
	/* ---- French ---- */
	{ "fr", "Récepteurs aux œstrogènes : positifs (80 %). HER2 : score 0.", NULL,
	  { W("ER", "result", "positive", "80%"), W("HER2", "result", "negative", "0") } },
	{ "fr", "Absence de mutation du gène KRAS.", NULL, { W("KRAS", "result", "negative", NULL) } },
	/* ---- Spanish ---- */
	{ "es", "No se detecta mutación de EGFR.", NULL, { W("EGFR", "result", "negative", NULL) } },
	{ "es", "Receptores de estrógeno: positivo (95%).", NULL, { W("ER", "result", "positive", "95%") } },
	/* ---- Chinese ---- */
	{ "zh", "免疫组化：ER(+)，PR(-)，HER2(3+)，Ki-67(+,约30%)。", NULL,
	  { W("ER", "result", "positive", NULL), W("PR", "result", "negative", NULL),
	    W("HER2", "result", "positive", "3+"), W("Ki-67", "result", "positive", "30%") } },
	{ "zh", "EGFR基因突变检测：未检测到突变。", NULL, { W("EGFR", "result", "negative", NULL) } },
	/* ---- Russian ---- */
	{ "ru", "Мутации в гене KRAS не обнаружены.", NULL, { W("KRAS", "result", "negative", NULL) } },
	{ "ru", "Рецепторы эстрогена: положительные (90%).", NULL, { W("ER", "result", "positive", "90%") } },
	/* ---- Italian, Portuguese, Turkish, Arabic, Hindi ---- */
	{ "it", "HER2: negativo (score 1+). Mutazione di KRAS non rilevata.", NULL,
	  { W("HER2", "result", "negative", "1+"), W("KRAS", "result", "negative", NULL) } },
	{ "pt", "Receptor de estrogênio: positivo (80%). Mutação do EGFR não detectada.", NULL,
	  { W("ER", "result", "positive", "80%"), W("EGFR", "result", "negative", NULL) } },
	{ "tr", "ER pozitif (%90).", NULL, { W("ER", "result", "positive", "90%") } },
	{ "ar", "HER2: سلبي.", NULL, { W("HER2", "result", "negative", NULL) } },
	{ "hi", "ER सकारात्मक, PR नकारात्मक।", NULL,
	  { W("ER", "result", "positive", NULL), W("PR", "result", "negative", NULL) } },
	/* ---- German: an amendment heading, a layout table, MMR words ---- */
	{ "de", "HER2 (4B5): 1+ (negativ).\nNachtrag: HER2 erneut beurteilt: 3+ (positiv).", NULL,
	  { WV("HER2", "result", "negative", "1+", NULL, "superseded"),
	    WV("HER2", "result", "positive", "3+", NULL, "amendment") } },
	{ "de", "MLH1, PMS2: Expression erhalten; MSH2, MSH6: Verlust der Expression.", NULL,
	  { W("MLH1", "result", "negative", NULL), W("PMS2", "result", "negative", NULL),
	    W("MSH2", "result", "positive", NULL), W("MSH6", "result", "positive", NULL) } },
	{ "de", "", "Marker\tKlon\tErgebnis\tReferenz\nER\tSP1\tpositiv 90%\t>= 1%\nKRAS\t-\tnicht nachgewiesen\t-\n",
	  { WV("ER", "result", "positive", "90%", NULL, "row"), WV("KRAS", "result", "negative", NULL, NULL, "row") } },
	{ "de", "Kein Nachweis einer EGFR-Mutation. PD-L1 (22C3) TPS 60 %.", NULL,
	  { W("EGFR", "result", "negative", NULL), W("PD-L1", "result", "none", "TPS 60%") } },
	/* ---- non-results: reference ranges, derived quantities, product names, labels ---- */
	{ "en", "PSA 8.2 ng/mL (reference range < 4.0), PSA density 0.21 ng/mL/cc.", NULL, { { NULL } } },
	{ "en", "KRAS mutation analysis: therascreen KRAS RGQ PCR Kit.", NULL, { { NULL } } },
	{ "en", "KRAS mutation analysis: not detected.", NULL, { W("KRAS", "result", "negative", NULL) } },
	/* ---- modifiers: family, possible, historical ---- */
	{ "en", "Family history: mother had a BRCA1 mutation.", NULL,
	  { WV("BRCA1", "result", "positive", NULL, NULL, "family") } },
	{ "en", "A KRAS mutation cannot be excluded.", NULL,
	  { WV("KRAS", "result", "positive", NULL, NULL, "possible") } },
	{ "en", "EGFR T790M was previously detected.", NULL,
	  { WV("EGFR", "result", "positive", NULL, "p.T790M", "historical") } },
	/* ---- variants: classification and origin ---- */
	{ "en", "BRCA2 c.5946delT (p.Ser1982fs) pathogenic, germline.", NULL,
	  { WV("BRCA2", "result", "positive", NULL, "p.S1982fs", "pathogenic germline") } },
	{ "en", "ATM p.R3008H variant of uncertain significance.", NULL,
	  { WV("ATM", "result", "none", NULL, "p.R3008H", "vus") } },
	{ "en", "", "Gene\tVariant\tClassification\tVAF\nTP53\tp.R273H\tPathogenic\t34%\nATM\tp.R3008H\tVUS\t48%\n",
	  { WV("TP53", "result", "positive", "VAF 34%", "p.R273H", "pathogenic row"),
	    WV("ATM", "result", "none", "VAF 48%", "p.R3008H", "vus row") } },
	/* ---- other grammars ---- */
	{ "en", "Recurrence Score 18.", NULL, { W("genomic score", "result", "none", "18") } },
	{ "en", "TMB: 12 mut/Mb (high). MSI: stable (MSS).", NULL,
	  { W("TMB", "result", "positive", "12 mut/Mb"), W("MSI", "result", "negative", "MSS") } },
	{ "en", "MGMT promoter methylated. IDH1 R132H mutation detected. 1p/19q codeletion not detected.", NULL,
	  { W("MGMT", "result", "positive", NULL), WV("IDH1", "result", "positive", NULL, "p.R132H", NULL),
	    W("1p/19q", "result", "negative", NULL) } },
	{ "en", "HER2 (4B5) score 2+; SISH: not amplified, HER2/CEP17 ratio 1.3.", NULL,
	  { W("HER2", "equivocal", "none", "2+"), W("HER2 ISH", "result", "negative", "ratio 1.3") } },
	{ "en", "EML4-ALK fusion detected by NGS.", NULL,
	  { WV("ALK", "result", "positive", NULL, "EML4::ALK", NULL) } },
	/* ---- a table with its reading-order text re-flowed: the rows decide ---- */
	{ "en", "Gene Result\nKRAS NRAS BRAF PIK3CA NOT DETECTED NOT DETECTED DETECTED NOT DETECTED\n",
	  "Gene\tResult\nKRAS\tNOT DETECTED\nNRAS\tNOT DETECTED\nBRAF\tDETECTED\nPIK3CA\tNOT DETECTED\n",
	  { WV("KRAS", "result", "negative", NULL, NULL, "row"), WV("NRAS", "result", "negative", NULL, NULL, "row"),
	    WV("BRAF", "result", "positive", NULL, NULL, "row"),
	    WV("PIK3CA", "result", "negative", NULL, NULL, "row") } },
	{ "en", "KRAS NRAS BRAF PIK3CA NOT DETECTED NOT DETECTED DETECTED NOT DETECTED\n", NULL, { { NULL } } },
	/* ---- a table without a header: the first cell that reads, never the next row ---- */
	{ "en", "KRAS    NOT DETECTED\nNRAS    DETECTED    p.Q61K\nBRAF    NOT DETECTED\n", NULL,
	  { WV("KRAS", "result", "negative", NULL, NULL, "row"),
	    WV("NRAS", "result", "positive", NULL, "p.Q61K", "row"),
	    WV("BRAF", "result", "negative", NULL, NULL, "row") } },
	{ "en", "", "Test\tResult\tReference range\nHemoglobin\t12.1\t12.0-16.0\nCEA\t3.1\t0.0-4.0\n", { { NULL } } },
	/* ---- a legend or a criterion in a row is a key, not a result; a rule under the header keeps it ---- */
	{ "en", "",
	  "Marker\tClone\tResult\tScore\tReference / comment\n______________________\n"
	  "ER\tSP1\tPositive\t95%\tPositive if >= 1%\nHER2\t4B5\tNegative\t1+\t0/1+ negative, 2+ equivocal, 3+ positive\n",
	  { WV("ER", "result", "positive", "95%", NULL, "row"), WV("HER2", "result", "negative", "1+", NULL, "row") } },
	{ "en", "", "HER2\t4B5\tNegative\t1+\t0/1+ negative, 2+ equivocal, 3+ positive\nER\tSP1\tPositive\t95%\tPositive if >= 1%\n",
	  { WV("HER2", "result", "negative", "1+", NULL, "row"), WV("ER", "result", "positive", "95%", NULL, "row") } },
	/* ---- words about a score's number are not a second result; a band is not a score ---- */
	{ "en", "PD-L1 (22C3): TPS 5%.\nPD-L1 expression is low (TPS 1-49%).", NULL,
	  { W("PD-L1", "result", "none", "TPS 5%") } },
	{ "de", "PD-L1 (22C3): TPS 55 %. Hohe PD-L1-Expression.", NULL, { W("PD-L1", "result", "none", "TPS 55%") } },
	{ "en", "PD-L1 TPS 5%, expression is low.", NULL, { W("PD-L1", "result", "none", "TPS 5%") } },
	/* ---- amendments: a numbered heading; a banner is no section; a conclusion restating is no revision ---- */
	{ "de", "PD-L1 (22C3): TPS 1 %.\n\n1. Nachtrag vom 20.02.2026 (Befundkorrektur)\nDer Wert wird korrigiert: PD-L1 TPS 55 %.",
	  NULL,
	  { WV("PD-L1", "result", "none", "TPS 1%", NULL, "superseded"),
	    WV("PD-L1", "result", "none", "TPS 55%", NULL, "amendment") } },
	{ "en", "*** AMENDED REPORT - see addendum below ***\nER negative (0%). HER2 IHC (4B5): score 1+, negative.\n\n"
	  "ADDENDUM (27/02/2026)\nHER2 repeated: HER2 score 2+ (equivocal).\nRevised conclusion\nER negative, HER2 IHC 2+.",
	  NULL,
	  { W("ER", "result", "negative", "0%"), WV("HER2", "result", "negative", "1+", NULL, "superseded"),
	    WV("HER2", "equivocal", "none", "2+", NULL, "amendment") } },
	/* ---- genes in an abnormality's notation name its probe ---- */
	{ "en", "t(4;14) FGFR3/NSD2: detected in 64% of nuclei. del(17p) TP53: not detected.", NULL,
	  { W("t(4;14)", "result", "positive", NULL), W("del(17p)", "result", "negative", NULL) } },
	/* ---- testing for mutations is a method; an anti-EGFR drug is no EGFR result ---- */
	{ "fr", "La recherche de mutations EGFR par PCR est en cours.", NULL, { W("EGFR", "pending", "none", NULL) } },
	{ "fr", "Proposition : FOLFIRINOX sans anti-EGFR (tumeur KRAS mutée).", NULL,
	  { W("KRAS", "result", "positive", NULL) } },
	/* ---- a prose line's label whose value wrapped to the next line ---- */
	{ "tr", "PD-L1 (22C3): CPS 1. MMR proteinleri (MLH1, PMS2, MSH2, MSH6):\nkorunmus.", NULL,
	  { W("PD-L1", "result", "none", "CPS 1"), W("MLH1", "result", "negative", NULL),
	    W("PMS2", "result", "negative", NULL), W("MSH2", "result", "negative", NULL),
	    W("MSH6", "result", "negative", NULL) } },
	{ "pt", "O sequenciamento do tumor foi repetido em 2026 e foi negativo para BRCA1 e\nBRCA2. "
	  "Adenocarcinoma de próstata diagnosticado em 2023 com escore de Gleason 4+4=8 (grupo\nISUP 4).", NULL,
	  { W("BRCA1", "result", "negative", NULL), W("BRCA2", "result", "negative", NULL),
	    W("Gleason", "result", "none", "4+4=8"), W("ISUP grade", "result", "none", "4") } },
	/* ---- an aside's own list (exons) does not part a marker from its result ---- */
	{ "es", "KIT (exones 9, 11, 13, 17 y 18): no se detectan mutaciones.", NULL,
	  { W("KIT", "result", "negative", NULL) } },
	{ "ru", "Мутации в генах KRAS (экзоны 2, 3, 4) и NRAS (экзоны 2, 3, 4) не обнаружены (дикий тип).", NULL,
	  { W("KRAS", "result", "negative", NULL), W("NRAS", "result", "negative", NULL) } },
	{ "en", "CLDN18.2 (2+/3+, 85%), PD-L1 (22C3) CPS 5.", NULL,
	  { W("CLDN18.2", "result", "none", "85%"), W("PD-L1", "result", "none", "CPS 5") } },
	/* ---- French: "retrouvait une t(11;14)"; "sera évaluée ... pas encore disponible" ---- */
	{ "fr", "La cytogénétique (FISH sur plasmocytes triés) initiale retrouvait une t(11;14).", NULL,
	  { W("t(11;14)", "result", "positive", NULL) } },
	{ "fr", "La maladie résiduelle (MRD) par NGS sera évaluée avant l'autogreffe ; le résultat n'est pas encore "
	  "disponible.", NULL, { W("MRD", "pending", "none", NULL) } },
	/* ---- a rearrangement stated for a stain's gene is its FISH marker's (routes) ---- */
	{ "en", "MYC (8q24) break-apart: no rearrangement detected. BCL6: not rearranged. BCL2 positive (80%).", NULL,
	  { W("MYC rearrangement", "result", "negative", NULL), W("BCL6 rearrangement", "result", "negative", NULL),
	    W("BCL2", "result", "positive", "80%") } },
	/* ---- FLT3-ITD / -TKD: the kind the test names is the variant; named, it is no result ---- */
	{ "pt", "", "Alvo\tMétodo\tResultado\nFLT3-ITD\tPCR/eletroforese capilar\tnão detectado\n"
	  "FLT3-TKD (D835)\tPCR-RFLP\tnão detectado\n",
	  { WV("FLT3", "result", "negative", NULL, "ITD", NULL), WV("FLT3", "result", "negative", NULL, "TKD", NULL) } },
	{ "en", "FLT3-ITD: pending.", NULL, { WV("FLT3", "pending", "none", NULL, "ITD", NULL) } },
	/* ---- a bare exon 14 skipping is MET's ---- */
	{ "de", "MET: kein Exon-14-Skipping nachgewiesen.", NULL,
	  { WV("MET exon 14", "result", "negative", NULL, "exon 14 skipping", NULL) } },
	/* ---- a marker's name wrapped across two lines ---- */
	{ "de", "Immunhistochemie: p53: in etwa 60 % der Tumorzellkerne positiv. H3\nK27M negativ.", NULL,
	  { W("p53", "result", "positive", "60%"), WV("H3 K27M", "result", "negative", NULL, "p.K27M", NULL) } },
	/* ---- a short tail after ';' with no marker and no number is its clause's ---- */
	{ "es", "PD-L1 (SP263): TPS < 1 %; expresión negativa.", NULL,
	  { W("PD-L1", "result", "negative", "TPS <1%") } },
	{ "en", "ER positive; PR negative. TMB 4 mut/Mb (low; the panel's threshold for high is 10 mut/Mb).", NULL,
	  { W("ER", "result", "positive", NULL), W("PR", "result", "negative", NULL),
	    W("TMB", "result", "negative", "4 mut/Mb") } },
	/* ---- "del" after an exon's number is Spanish "of the", no deletion ---- */
	{ "es", "Se detecta la mutación en el exón 21 del gen EGFR.", NULL,
	  { W("EGFR", "result", "positive", NULL) } },
	{ "en", "EGFR ex19del positive.", NULL,
	  { WV("EGFR", "result", "positive", NULL, "exon 19 deletion", NULL) } },
	/* ---- German: "eine Expression von" is a staining; "keine" negates it ---- */
	{ "de", "Immunhistochemisch zeigen die Tumorzellen eine Expression von TTF-1 und Napsin A; p40 negativ.", NULL,
	  { W("TTF-1", "result", "positive", NULL), W("napsin A", "result", "positive", NULL),
	    W("p40", "result", "negative", NULL) } },
	{ "de", "Die Tumorzellen zeigen keine Expression von TTF-1.", NULL,
	  { W("TTF-1", "result", "negative", NULL) } },
	/* ---- a group's result beside its member's is a statement of its own (the
	 * integrated diagnosis states IDH, the stain IDH1); a listed pair is its members ---- */
	{ "en", "Oligodendroglioma, IDH-mutant. IDH1 R132H mutation detected.", NULL,
	  { W("IDH", "result", "positive", NULL),
	    WV("IDH1", "result", "positive", NULL, "p.R132H", NULL) } },
	/* ---- a marker named by its variant (a mutant-specific stain) is not that variant found ---- */
	{ "de", "Immunhistochemie: H3 K27M IHC negativ. IDH1 R132H positiv.", NULL,
	  { WV("H3 K27M", "result", "negative", NULL, "p.K27M", NULL),
	    WV("IDH1", "result", "positive", NULL, "p.R132H", NULL) } },
	{ "en", "H3 K27M (IHC): pending.", NULL, { WV("H3 K27M", "pending", "none", NULL, "p.K27M", NULL) } },
	{ "it", "Sequenziamento IDH1/IDH2: wild type.", NULL,
	  { W("IDH1", "result", "negative", NULL), W("IDH2", "result", "negative", NULL) } },
	{ "en", "BRCA1 and BRCA2 testing pending.", NULL,
	  { W("BRCA1", "pending", "none", NULL), W("BRCA2", "pending", "none", NULL) } },
	/* ---- a bare MSS needs microsatellites or MMR in the document ---- */
	{ "tr", "Sağ frontal kitle: Oligodendroglioma, MSS DSÖ derece 2.", NULL, { { NULL } } },
	{ "en", "MMR IHC: proficient. Tumour is MSS.", NULL,
	  { W("MMR", "result", "negative", NULL), W("MSI", "result", "negative", "MSS") } },
	/* ---- a staining sign for a protein read as retained / lost ---- */
	{ "zh", "MLH1(+), PMS2(+), MSH2(-), MSH6(+)", NULL,
	  { W("MLH1", "result", "negative", NULL), W("PMS2", "result", "negative", NULL),
	    W("MSH2", "result", "positive", NULL), W("MSH6", "result", "negative", NULL) } },
	/* ---- a score's name in parentheses after its number ---- */
	{ "fr", "PD-L1 (clone 22C3) : 80 % des cellules tumorales (TPS), "
	        "expression forte.\nConclusion : PD-L1 80 %.", NULL,
	  { W("PD-L1", "result", "none", "TPS 80%") } },
	/* ---- an internal control's staining is no result; p53 in per cent is overexpression ---- */
	{ "it", "", "MLH1\tES05\tassente (persa)\tcontrollo interno positivo\nMSH2\tG219-1129\tconservata\n",
	  { WV("MLH1", "result", "positive", NULL, NULL, "row"), WV("MSH2", "result", "negative", NULL, NULL, "row") } },
	{ "de", "p53: in etwa 60 % der Tumorzellkerne positiv.", NULL, { W("p53", "result", "positive", "60%") } },
	/* ---- a span of intensities is no IHC score ---- */
	{ "en", "Claudin 18.2 (43-14A): moderate-to-strong membranous staining 2+/3+ in 85% of tumour cells.", NULL,
	  { W("CLDN18.2", "result", "none", "85%") } },
	/* ---- a number inflected in a comparison ("below 1%") is read with its word: "<1%" ---- */
	{ "tr", "PD-L1 (22C3) ekspresyonu: TPS %1'in altında (negatif).", NULL,
	  { W("PD-L1", "result", "negative", "TPS <1%") } },
	/* ---- less-than words of each language make the value "<N%" (concept less-than) ---- */
	{ "pt", "PD-L1 (SP263): expressão em menos de 1% das células tumorais.", NULL,
	  { W("PD-L1", "result", "none", "<1%") } },
	{ "fr", "PD-L1 : marquage de moins de 5 % des cellules tumorales.", NULL,
	  { W("PD-L1", "result", "none", "<5%") } },
	{ "de", "PD-L1: Expression in weniger als 1 % der Tumorzellen.", NULL,
	  { W("PD-L1", "result", "none", "<1%") } },
	{ "it", "PD-L1: espressione in meno dell'1% delle cellule tumorali.", NULL,
	  { W("PD-L1", "result", "none", "<1%") } },
	{ "ru", "PD-L1: экспрессия менее 1% опухолевых клеток.", NULL, { W("PD-L1", "result", "none", "<1%") } },
	{ "zh", "PD-L1（22C3）：肿瘤细胞阳性比例 1%以下。", NULL, { W("PD-L1", "result", "none", "<1%") } },
	/* ---- the words naming the quantity: a copy number is no ratio (and beside a
	 * ratio, the ratio is the result) ---- */
	{ "en", "HER2 FISH: mean HER2 copy number 6.8 per cell.", NULL,
	  { W("HER2 ISH", "result", "none", "6.8 copies") } },
	{ "en", "HER2 FISH: mean HER2 copy number 6.8 per cell; HER2/CEP17 ratio 1.7.", NULL,
	  { W("HER2 ISH", "result", "none", "ratio 1.7") } },
	{ "pt", "PD-L1 (SP263): expressão em menos de 1% das células tumorais (TPS <1%).", NULL,
	  { W("PD-L1", "result", "none", "TPS <1%") } },
	/* ---- a value sits in its marker's own clause (and "ca." ends no sentence) ---- */
	{ "de", "Immunhistochemie: CD3 negativ (Ki-67 80 % der Tumorzellen), MYC-Expression siehe Molekularpathologie.",
	  NULL, { W("CD3", "result", "negative", NULL), W("Ki-67", "result", "none", "80%") } },
	{ "de", "Proliferation hoch (Ki-67 ca. 90 % der Tumorzellen), MYC-Expression in ca. 20 % der Zellen.", NULL,
	  { W("Ki-67", "result", "none", "90%"), W("MYC", "result", "none", "20%") } },
	/* ---- a gene in parentheses glossing an abnormality's locus was not tested ---- */
	{ "en", "No deletion of 17p (TP53) was detected.", NULL, { W("del(17p)", "result", "negative", NULL) } },
	/* ---- a score's formula is a definition, in French too ---- */
	{ "fr", "CPS : nombre de cellules PD-L1 positives (tumorales et immunes) rapporté au nombre de cellules tumorales.",
	  NULL, { { NULL } } },
	{ "es", "CPS: número de células PD-L1 positivas dividido por el "
	        "número total de células tumorales viables.", NULL,
	  { { NULL } } },
	/* ---- verbs of expression in each language: positive; with a percentage, the number ---- */
	{ "fr", "Les grandes cellules expriment CD30 et CD15.", NULL,
	  { W("CD30", "result", "positive", NULL), W("CD15", "result", "positive", NULL) } },
	{ "ru", "Опухолевые клетки экспрессируют CD20 и SOX11; реакция с CD10 отрицательная.", NULL,
	  { W("CD20", "result", "positive", NULL), W("SOX11", "result", "positive", NULL),
	    W("CD10", "result", "negative", NULL) } },
	{ "es", "Las células tumorales no expresan CD10.", NULL, { W("CD10", "result", "negative", NULL) } },
	{ "pt", "O Ki-67 expressa em 40% das células.", NULL, { W("Ki-67", "result", "none", "40%") } },
	/* ---- Turkish: a marker's local name, a pending word, "%45" after a clone "30-9" ---- */
	{ "tr", "EGFR ve MET ekzon 14 atlama mutasyonu saptanmamıştır. NRAS analizi sonucu beklenmektedir.", NULL,
	  { W("EGFR", "result", "negative", NULL), W("MET exon 14", "result", "negative", NULL),
	    W("NRAS", "pending", "none", NULL) } },
	{ "tr", "Belirteç                             Klon               Sonuç\n"
	        "Ki-67                                         30-9                %45\n", NULL,
	  { WV("Ki-67", "result", "none", "45%", NULL, "row") } },
	/* ---- local names (karyotype, ISUP group) and German codeletion words ---- */
	{ "de", "Molekulare Untersuchungen: Eine 1p/19q-Kodeletion liegt nicht vor.", NULL,
	  { W("1p/19q", "result", "negative", NULL) } },
	{ "pt", "Adenocarcinoma de próstata, escore de Gleason 4+4=8 (grupo ISUP 4).", NULL,
	  { W("Gleason", "result", "none", "4+4=8"), W("ISUP grade", "result", "none", "4") } },
	{ "es", "Cariotipo                                   Convencional                pendiente\n", NULL,
	  { WV("karyotype", "pending", "none", NULL, NULL, "row") } },
	/* ---- a right-to-left run without its direction marks: the script change is a word's end ---- */
	{ "ar", "الصبغات المناعية: TTF-1إيجابي، CK7 إيجابي.", NULL,
	  { W("TTF-1", "result", "positive", NULL), W("CK7", "result", "positive", NULL) } },
	{ "ar", "الصبغات المناعية\u202a: TTF-1\u202cإيجابي\u202a CK7 ،\u202cإيجابي.", NULL,
	  { W("TTF-1", "result", "positive", NULL), W("CK7", "result", "positive", NULL) } },
	/* ---- Italian: "non ha evidenziato", plural pathogenic words ---- */
	{ "it", "Il test germinale non ha evidenziato varianti patogenetiche nei geni BRCA1 e BRCA2.", NULL,
	  { WV("BRCA1", "result", "negative", NULL, NULL, "germline"),
	    WV("BRCA2", "result", "negative", NULL, NULL, "germline") } },
	/* ---- list items with a result each: the word before one is its own ---- */
	{ "ru", "Заключение: ОМЛ с мутацией NPM1, FLT3-ITD отрицательный.", NULL,
	  { W("NPM1", "result", "positive", NULL), WV("FLT3", "result", "negative", NULL, "ITD", NULL) } },
	/* ---- a two-column row holds prose: a sentence's end parts its markers ---- */
	{ "de", "", "V. a. Melanom; zudem axillärer Lymphknoten\t15): Nachweis einer BRAF-V600E-Mutation. NRAS\n",
	  { WV("BRAF", "result", "positive", NULL, "p.V600E", "row") } },
	/* ---- a verb of expression measured in per cent is no polarity: the percentage is the value ---- */
	{ "en", "MYC is expressed in 30% of cells.", NULL, { W("MYC", "result", "none", "30%") } },
	{ "en", "CD20 is expressed.", NULL, { W("CD20", "result", "positive", NULL) } },
	/* ---- a subtype category is no result ---- */
	{ "en", "Diffuse large B-cell lymphoma, NOS, non-germinal centre B-cell type (Hans algorithm).", NULL, { { NULL } } },
	/* ---- a test's name never takes a result: the gene does ---- */
	{ "pt", "O sequenciamento do tumor (FoundationOne CDx) identificou variante patogênica em BRCA2.", NULL,
	  { WV("BRCA2", "result", "positive", NULL, NULL, "pathogenic") } },
	{ "en", "FoundationOne CDx: pending.", NULL,
	  { W("comprehensive genomic profiling", "pending", "none", NULL) } },
	/* ---- a value in a marker's parentheses is that marker's, not the next one's ---- */
	{ "en", "Claudin18.2 (2+/3+, 85%), PD-L1 (22C3) CPS=5.", NULL,
	  { W("CLDN18.2", "result", "none", "85%"), W("PD-L1", "result", "none", "CPS 5") } },
	/* ---- a row's result cell gives a polarity only: a number of another, unnamed cell is the value ---- */
	{ "de", "", "Antikörper\tKlon\tErgebnis\tAnteil / Score\tBewertung\n"
	            "Östrogenrezeptor\tEP1\tpositiv\t90 %, IRS 12\tIRS 0-12\n"
	            "HER2/neu\t4B5\tnegativ\tScore 0\tDAKO-Score 0-3+\n",
	  { WV("ER", "result", "positive", "90%", NULL, "row"), WV("HER2", "result", "negative", "0", NULL, "row") } },
	/* ... never a reference's number */
	{ "de", "", "Antikörper\tErgebnis\tReferenzbereich\nÖstrogenrezeptor\tpositiv\t>= 1 %\n",
	  { WV("ER", "result", "positive", NULL, NULL, "row") } },
	/* ---- a marker's number and its polarity in sentences next to each other are one result ---- */
	{ "en", "Dual-probe SISH: HER2/CEP17 ratio 2.6, mean HER2 copy number 5.8 signals per cell.\n"
	        "HER2 gene is AMPLIFIED.", NULL, { W("HER2 ISH", "result", "positive", "ratio 2.6") } },
	/* ---- a counterfactual ("had the tumour been ...") is hypothetical ---- */
	{ "en", "I explained that, had the tumour been BRAF wild-type, we "
	        "would have discussed immunotherapy alone.", NULL,
	  { WV("BRAF", "result", "negative", NULL, NULL, "hypothetical") } },
	{ "en", "ADDENDUM\nThe HER2 immunohistochemistry was originally reported as score 1+.", NULL,
	  { WV("HER2", "result", "negative", "1+", NULL, "superseded historical") } },
	{ "en", "ADDENDUM\nDual-probe SISH: HER2/CEP17 ratio 2.6.\nHER2 gene is AMPLIFIED.", NULL,
	  { WV("HER2 ISH", "result", "positive", "ratio 2.6", NULL, "amendment") } },
	/* ... not far apart, and not when the marker has another statement to choose from */
	{ "en", "HER2/CEP17 ratio 2.6.\nHER2/CEP17 ratio 1.1.\nHER2 gene is AMPLIFIED.", NULL,
	  { W("HER2 ISH", "result", "none", "ratio 2.6"), W("HER2 ISH", "result", "none", "ratio 1.1"),
	    W("HER2 ISH", "result", "positive", NULL) } },
	{ "en", "HER2/CEP17 ratio 2.6.\n\n\n\n\n\nMethods.\n\n\nHER2 gene is AMPLIFIED.", NULL,
	  { W("HER2 ISH", "result", "none", "ratio 2.6"), W("HER2 ISH", "result", "positive", NULL) } },
	/* ---- an IHC grade named an intensity qualifies a percentage: never the score of a stain measured in per cent ---- */
	{ "pt", "Claudina 18.2 (43-14A): negativa (20% das células com intensidade 2+).", NULL,
	  { W("CLDN18.2", "result", "negative", "20%") } },
	{ "en", "Claudin 18.2 (43-14A): negative (20% of cells with 2+ intensity).", NULL,
	  { W("CLDN18.2", "result", "negative", "20%") } },
	{ "ru", "Клаудин 18.2: отрицательный (20% клеток с интенсивностью 2+).", NULL,
	  { W("CLDN18.2", "result", "negative", "20%") } },
	{ "es", "Claudina-18.2: positiva, 80% de las células tumorales con intensidad 2+/3+.", NULL,
	  { W("CLDN18.2", "result", "positive", "80%") } },
	/* ... HER2's score is its intensity: still equivocal */
	{ "fr", "HER2 : score 2+, intensité 2+ dans 40 % des cellules.", NULL, { W("HER2", "equivocal", "none", "2+") } },
	/* ---- a row's number without a polarity takes the positive / negative word of its interpretation column ---- */
	{ "es", "", "Determinación\tClon / técnica\tResultado\tInterpretación\n"
	            "Claudina 18.2\t43-14A\t80 % tinción 2+/3+\tpositivo (>= 75 %)\n",
	  { WV("CLDN18.2", "result", "positive", "80%", NULL, "row") } },
	{ "en", "", "Marker\tClone\tResult\tInterpretation\nCLDN18.2\t43-14A\t20%\tnegative\nHER2\t4B5\t2+\tequivocal\n",
	  { WV("CLDN18.2", "result", "negative", "20%", NULL, "row"), WV("HER2", "equivocal", "none", "2+", NULL, "row") } },
	/* ---- an interpretation cell naming another marker with its own result states it; never the row marker's again ---- */
	{ "es", "", "Determinación\tClon / técnica\tResultado\tInterpretación\n"
	            "MLH1 / PMS2 / MSH2 / MSH6\tIHQ\texpresión conservada\tsistema MMR competente\n",
	  { WV("MLH1", "result", "negative", NULL, NULL, "row"), WV("PMS2", "result", "negative", NULL, NULL, "row"),
	    WV("MSH2", "result", "negative", NULL, NULL, "row"), WV("MSH6", "result", "negative", NULL, NULL, "row"),
	    WV("MMR", "result", "negative", NULL, NULL, "row") } },
	{ "en", "", "Marker\tMethod\tResult\tInterpretation\nMLH1 / PMS2 / MSH2 / MSH6\tIHC\tretained\tMMR proficient\n"
	            "HER2\t4B5\t2+\tHER2 equivocal, ISH to follow\n",
	  { WV("MLH1", "result", "negative", NULL, NULL, "row"), WV("PMS2", "result", "negative", NULL, NULL, "row"),
	    WV("MSH2", "result", "negative", NULL, NULL, "row"), WV("MSH6", "result", "negative", NULL, NULL, "row"),
	    WV("MMR", "result", "negative", NULL, NULL, "row"), WV("HER2", "equivocal", "none", "2+", NULL, "row") } },
	/* ---- a narrow column's line cut after its sentence's subject goes on ("... Mutation. NRAS" / "wurde ...") ---- */
	{ "de", "BRAF mutiert. NRAS\nwurde nicht untersucht.", NULL,
	  { W("BRAF", "result", "positive", NULL), W("NRAS", "not-done", "none", NULL) } },
	{ "es", "Mutación BRAF V600E detectada. NRAS\nno fue evaluado.", NULL,
	  { WV("BRAF", "result", "positive", NULL, "p.V600E", NULL), W("NRAS", "not-done", "none", NULL) } },
	/* ---- "not performed" in the passive voice of every language is not done; "not evaluable" stays insufficient ---- */
	{ "fr", "Statut KRAS : non évalué.", NULL, { W("KRAS", "not-done", "none", NULL) } },
	{ "it", "Il gene NRAS non è stato eseguito.", NULL, { W("NRAS", "not-done", "none", NULL) } },
	{ "pt", "O estudo de NRAS não foi realizado.", NULL, { W("NRAS", "not-done", "none", NULL) } },
	{ "es", "KRAS no evaluable.", NULL, { W("KRAS", "insufficient", "none", NULL) } },
	/* ---- a lone variant with its own result word, right after a sentence about one gene, is that gene's ---- */
	{ "es", "Se detecta la mutación p.L858R del gen EGFR. No se detecta la mutación de resistencia p.T790M.", NULL,
	  { W("EGFR", "result", "positive", NULL), WV("EGFR", "result", "negative", NULL, "p.T790M", NULL) } },
	{ "en", "EGFR exon 19 deletion detected. The resistance mutation p.T790M was not detected.", NULL,
	  { WV("EGFR", "result", "positive", NULL, "exon 19 deletion", NULL),
	    WV("EGFR", "result", "negative", NULL, "p.T790M", NULL) } },
	/* ... never without a result word of its own */
	{ "en", "EGFR mutated. Note: p.T790M testing at progression.", NULL, { W("EGFR", "result", "positive", NULL) } },
	/* ---- a layout line whose later cells start with a comma is prose cut by OCR's gaps, not a table row ---- */
	{ "zh", "免疫组化: HER2 (1+ ) ，CK7 (+ ) ，Claudin18.2 (2+/3+，\n约85% ) ，PD-L1 (22C3 ) CPS=5,\n",
	  "免疫组化 : HER2 (1+ )\t，CK7 (+ )\t，Claudin18.2 (2+/3+，\n约 85% )\t，PD-L1 (22C3 ) CPS=5,\n",
	  { W("HER2", "result", "negative", "1+"), W("CK7", "result", "positive", NULL),
	    W("CLDN18.2", "result", "none", "85%"), W("PD-L1", "result", "none", "CPS 5") } },
	/* ... and a sign in brackets as OCR spaces it */
	{ "en", "CK5/6 ( + ), p63 (+++), TTF-1 (-), napsin A (++ ).", NULL,
	  { W("CK5/6", "result", "positive", NULL), W("p63", "result", "positive", NULL),
	    W("TTF-1", "result", "negative", NULL), W("napsin A", "result", "positive", NULL) } },
	{ "en", "Immunohistochemistry: ER (+), PR (+), HER2 (1+).",
	  "Immunohistochemistry: ER (+)\t, PR (+)\t, HER2 (1+).\n",
	  { W("ER", "result", "positive", NULL), W("PR", "result", "positive", NULL),
	    W("HER2", "result", "negative", "1+") } },
	/* ---- Gleason and the grade group in every language; a danda or 。 after a number is no unit ---- */
	{ "ar", "مجموع غليسون 4+5=9، مجموعة الدرجة 5.", NULL,
	  { W("Gleason", "result", "none", "4+5=9"), W("ISUP grade", "result", "none", "5") } },
	{ "hi", "ग्लीसन स्कोर 4+3=7, ग्रेड ग्रुप 3।", NULL,
	  { W("Gleason", "result", "none", "4+3=7"), W("ISUP grade", "result", "none", "3") } },
	{ "tr", "Gleason skoru 4+3=7, derece grubu 3.", NULL,
	  { W("Gleason", "result", "none", "4+3=7"), W("ISUP grade", "result", "none", "3") } },
	{ "zh", "格里森评分4+3=7分，ISUP分级分组3。", NULL,
	  { W("Gleason", "result", "none", "4+3=7"), W("ISUP grade", "result", "none", "3") } },
	{ "zh", "肿瘤大小3厘米。", NULL, { { NULL } } },
	/* ---- "CK" / "cytokeratin" with no number is the pan-cytokeratin stain (AE1/AE3), in every language ---- */
	{ "zh", "免疫组化：CK（+），P40（+），P16（-）；原位杂交：EBER（+）。", NULL,
	  { W("AE1/AE3", "result", "positive", NULL), W("p40", "result", "positive", NULL),
	    W("p16", "result", "negative", NULL), W("EBV", "result", "positive", NULL) } },
	{ "en", "Tumour cells: CK positive, CD45 negative.", NULL,
	  { W("AE1/AE3", "result", "positive", NULL), W("CD45", "result", "negative", NULL) } },
	{ "de", "Die Tumorzellen sind Zytokeratin-positiv, CD45-negativ.", NULL,
	  { W("AE1/AE3", "result", "positive", NULL), W("CD45", "result", "negative", NULL) } },
	{ "ru", "Опухолевые клетки экспрессируют цитокератин и не экспрессируют CD45.", NULL,
	  { W("AE1/AE3", "result", "positive", NULL), W("CD45", "result", "negative", NULL) } },
	/* ... a numbered or qualified cytokeratin is another stain, never the pan-cytokeratin's */
	{ "en", "CK 13 positive, CK 19 positive, CK 7 negative.", NULL,
	  { W("CK19", "result", "positive", NULL), W("CK7", "result", "negative", NULL) } },
	{ "en", "CK 34βE12 positive.", NULL, { W("34βE12", "result", "positive", NULL) } },
	{ "fr", "Cellules tumorales : cytokératine 19 positive.", NULL, { { NULL } } },
	{ "de", "Die Tumorzellen exprimieren hochmolekulares Zytokeratin.", NULL,
	  { W("34βE12", "result", "positive", NULL) } },
	{ "zh", "肿瘤细胞高分子量角蛋白（+），细胞角蛋白19（+）。", NULL, { W("34βE12", "result", "positive", NULL) } },
	/* ---- a list's conjunction longer than "and" joins its markers: the result is every one's ---- */
	{ "fr", "Les grandes cellules expriment CD30 et CD15, ainsi que PAX5 de façon faible.", NULL,
	  { W("CD30", "result", "positive", NULL), W("CD15", "result", "positive", NULL),
	    W("PAX5", "result", "positive", NULL) } },
	{ "en", "Negative for CK7 as well as CK20.", NULL,
	  { W("CK7", "result", "negative", NULL), W("CK20", "result", "negative", NULL) } },
	{ "es", "Las células tumorales son positivas para CD30 y CD15, así como PAX5.", NULL,
	  { W("CD30", "result", "positive", NULL), W("CD15", "result", "positive", NULL),
	    W("PAX5", "result", "positive", NULL) } },
	{ "pt", "As células neoplásicas são positivas para CD30 e CD15, bem como PAX5.", NULL,
	  { W("CD30", "result", "positive", NULL), W("CD15", "result", "positive", NULL),
	    W("PAX5", "result", "positive", NULL) } },
	/* ... and Russian "а" of "а также" ends no negation's scope */
	{ "ru", "Опухолевые клетки экспрессируют CD30 и CD15, а также PAX5.", NULL,
	  { W("CD30", "result", "positive", NULL), W("CD15", "result", "positive", NULL),
	    W("PAX5", "result", "positive", NULL) } },
	{ "ru", "Мутации в генах KRAS, а также NRAS не обнаружены.", NULL,
	  { W("KRAS", "result", "negative", NULL), W("NRAS", "result", "negative", NULL) } },
	/* ... but values of their own still part them, and a contrast's "а" still ends a scope */
	{ "en", "ER positive, as well as HER2 negative.", NULL,
	  { W("ER", "result", "positive", NULL), W("HER2", "result", "negative", NULL) } },
	{ "ru", "Мутации KRAS не обнаружены, а мутация BRAF V600E выявлена.", NULL,
	  { W("KRAS", "result", "negative", NULL), WV("BRAF", "result", "positive", NULL, "p.V600E", NULL) } },
	/* ---- the amplification test named in a language's words is the ISH marker's: not done, pending, negative ---- */
	{ "ru", "Амплификация HER2: исследование не проводилось.", NULL, { W("HER2 ISH", "not-done", "none", NULL) } },
	{ "ru", "Амплификация HER2 не выявлена.", NULL, { W("HER2 ISH", "result", "negative", NULL) } },
	{ "de", "HER2-Amplifikation: nicht durchgeführt.", NULL, { W("HER2 ISH", "not-done", "none", NULL) } },
	{ "es", "Amplificación de HER2: no realizada.", NULL, { W("HER2 ISH", "not-done", "none", NULL) } },
	{ "fr", "Amplification de HER2 : non réalisée.", NULL, { W("HER2 ISH", "not-done", "none", NULL) } },
	{ "pt", "Amplificação do gene HER2: não realizada.", NULL, { W("HER2 ISH", "not-done", "none", NULL) } },
	{ "zh", "HER2（2+），HER2基因扩增检测待回报。", NULL,
	  { W("HER2", "equivocal", "none", "2+"), W("HER2 ISH", "pending", "none", NULL) } },
};

static bool has_flag(const char *flags, const char *f)
{
	if (!flags)
		return false;
	size_t n = strlen(f);
	for (const char *p = flags; (p = strstr(p, f)); p += n)
		if ((p == flags || p[-1] == ' ') && (p[n] == 0 || p[n] == ' '))
			return true;
	return false;
}

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool matches(const struct statement *s, const struct want *w)
{
	if (strcmp(s->name, w->name) || strcmp(assertion_name(s->assertion), w->assertion) ||
	    strcmp(polarity_name(s->polarity), w->polarity) || !str_eq(s->value, w->value) ||
	    !str_eq(s->variant, w->variant))
		return false;
	static const char *const bools[] = { "amendment", "superseded", "row" };
	bool have[] = { s->amendment, s->superseded, s->unit == UNIT_ROW };
	for (size_t k = 0; k < 2; k++)  /* "row" only when asked */
		if (have[k] != has_flag(w->flags, bools[k]))
			return false;
	if (has_flag(w->flags, "row") && !have[2])
		return false;
	const char *vc = variant_class_name(s->vclass), *vo = variant_origin_name(s->origin);
	if ((vc || has_flag(w->flags, "vus") || has_flag(w->flags, "pathogenic")) && !(vc && has_flag(w->flags, vc)))
		return false;
	if (vo && !has_flag(w->flags, vo))
		return false;
	static const char *const mods[] = { "possible", "historical", "hypothetical", "family" };
	for (unsigned k = 0; k < 4; k++)
		if (((s->modifiers >> k) & 1) != has_flag(w->flags, mods[k]))
			return false;
	return true;
}

static void print_statement(FILE *f, const struct statement *s)
{
	_cleanup_free_ char *rt = statement_result_text(s);
	fprintf(f, "  %s | %s | %s | value=%s | variant=%s | method=%s | class=%s origin=%s%s%s mods=%u line=%u | %s | \"%s\"\n",
	        s->name, assertion_name(s->assertion), polarity_name(s->polarity), s->value ? s->value : "-",
	        s->variant ? s->variant : "-", s->method ? s->method : "-",
	        variant_class_name(s->vclass) ? variant_class_name(s->vclass) : "-",
	        variant_origin_name(s->origin) ? variant_origin_name(s->origin) : "-", s->amendment ? " amendment" : "",
	        s->superseded ? " superseded" : "", s->modifiers, s->line, rt, s->snippet);
}

static void check_bounds(const struct doc_text *d, const struct statement_list *l)
{
	CHECK(l->n <= FINDINGS_MAX_STATEMENTS);
	for (size_t i = 0; i < l->n; i++) {
		const struct statement *s = &l->v[i];
		CHECK(s->name && s->snippet);
		CHECK(strlen(s->snippet) <= FINDINGS_SNIPPET_MAX);
		CHECK(utf8_valid_prefix(s->snippet, strlen(s->snippet)) == strlen(s->snippet));
		CHECK(s->offset <= (s->from_layout ? d->layout_len : d->len));
	}
}

static int run_cases(const struct vocab *v)
{
	for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
		const struct tcase *tc = &cases[c];
		struct doc_text d = { .text = tc->text, .len = strlen(tc->text), .layout = tc->layout,
		                      .layout_len = tc->layout ? strlen(tc->layout) : 0 };
		struct statement_list l = { 0 };
		int rc = findings_statements(v, &d, &l);
		CHECK(rc == 0, "case %zu", c);
		check_bounds(&d, &l);
		bool used[ARRAY_SIZE(tc->want)] = { 0 };
		bool bad = false;
		for (size_t i = 0; i < l.n; i++) {
			bool ok = false;
			for (size_t k = 0; k < ARRAY_SIZE(tc->want) && tc->want[k].name && !ok; k++)
				if (!used[k] && matches(&l.v[i], &tc->want[k]))
					ok = used[k] = true;
			if (!ok) {
				fprintf(stderr, "case %zu (%s): statement not expected:\n", c, tc->lang);
				print_statement(stderr, &l.v[i]);
				bad = true;
			}
		}
		for (size_t k = 0; k < ARRAY_SIZE(tc->want) && tc->want[k].name; k++)
			if (!used[k]) {
				const struct want *w = &tc->want[k];
				fprintf(stderr, "case %zu (%s): missing: %s %s %s value=%s variant=%s flags=%s\n", c,
				        tc->lang, w->name, w->assertion, w->polarity, w->value ? w->value : "-",
				        w->variant ? w->variant : "-", w->flags ? w->flags : "-");
				bad = true;
			}
		if (bad) {
			fprintf(stderr, "  text: %s\n", tc->text);
			check_failures++;
		}
		statement_list_free(&l);
	}
	/* bad arguments */
	struct statement_list l = { 0 };
	CHECK(findings_statements(v, NULL, &l) == -EINVAL);
	return 0;
}

static char *slurp(FILE *f, size_t *len)
{
	struct strbuf b;
	strbuf_init(&b, FINDINGS_MAX_TEXT);
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (strbuf_append(&b, buf, n) < 0)
			break;
	*len = b.len;
	return strbuf_steal(&b);
}

static int dump(const struct vocab *v, const char *path)
{
	FILE *f = path ? fopen(path, "rb") : stdin;
	if (!f) {
		perror(path);
		return 1;
	}
	size_t len;
	char *text = slurp(f, &len);
	if (path)
		fclose(f);
	struct doc_text d = { .text = text, .len = len };
	char *sep = strstr(text, "----LAYOUT----\n");
	if (sep) {
		d.len = (size_t)(sep - text);
		d.layout = sep + 15;
		d.layout_len = len - d.len - 15;
	}
	struct statement_list l = { 0 };
	int rc = findings_statements(v, &d, &l);
	if (rc < 0) {
		fprintf(stderr, "findings_statements: %d\n", rc);
		free(text);
		return 1;
	}
	for (size_t i = 0; i < l.n; i++)
		print_statement(stdout, &l.v[i]);
	statement_list_free(&l);
	free(text);
	return 0;
}

static int extract(struct ing_ctx *ctx, const char *path)
{
	const char *dot = strrchr(path, '.');
	enum docext_type type = DOCEXT_TEXT;
	if (dot && strcmp(dot, ".pdf") == 0)
		type = DOCEXT_PDF;
	else if (dot && (strcmp(dot, ".jpg") == 0 || strcmp(dot, ".png") == 0 || strcmp(dot, ".tif") == 0))
		type = DOCEXT_IMAGE;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	struct doc_info *d = xcalloc(1, sizeof(*d));
	int r = docext_run(ctx, fd, type, d);
	close(fd);
	if (r < 0 || d->extract_error) {
		fprintf(stderr, "%s: %d %s\n", path, r, d->extract_error ? d->extract_error : "");
		doc_info_free(d);
		return 1;
	}
	if (d->text)
		fwrite(d->text, 1, d->text_len, stdout);
	if (d->layout) {
		printf("\n----LAYOUT----\n");
		fwrite(d->layout, 1, d->layout_len, stdout);
	}
	doc_info_free(d);
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = getenv("INGEST_TEST_RULES_DIR");
	if (!dir) {
		fprintf(stderr, "INGEST_TEST_RULES_DIR is not set\n");
		return 77;
	}
	struct ing_ctx *ctx = NULL;
	if (ing_ctx_new(&ctx) < 0)
		return 1;
	struct strbuf errors;
	strbuf_init(&errors, RULES_MAX_ERRORS_BYTES);
	struct vocab *v = NULL;
	int rc = vocab_load_dir(ctx, dir, &v, &errors);
	if (rc < 0) {
		fprintf(stderr, "the vocabulary of %s does not load (%d):\n%s", dir, rc, errors.s ? errors.s : "");
		strbuf_free(&errors);
		ing_ctx_free(ctx);
		return 1;
	}
	strbuf_free(&errors);
	if (argc >= 2 && strcmp(argv[1], "--dump") == 0) {
		rc = dump(v, argc >= 3 ? argv[2] : NULL);
	} else if (argc == 3 && strcmp(argv[1], "--extract") == 0) {
		rc = extract(ctx, argv[2]);
	} else {
		run_cases(v);
		rc = check_status();
	}
	vocab_free(v);
	ing_ctx_free(ctx);
	return rc;
}
