/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `ingest rules` without the rest of ingest: argv as for the real binary. */
#include "commands.h"

int main(int argc, char **argv)
{
	if (argc < 2)
		return EXIT_USAGE;
	return cmd_rules(argc - 1, argv + 1);
}
