/* What every unit suite shares (suites.h): the error buffer E and private temporary directories.
 * Linked by unit-tests and by unit-base (which links ithbase alone). */
#include "suites.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ith_strbuf E = ITH_STRBUF_INIT;

char *test_tmpdir(void)
{
	char tmpl[] = "/tmp/ith-unit-XXXXXX";
	char *d = mkdtemp(tmpl);
	return d ? strdup(d) : NULL;
}

void test_rm_rf(const char *dir)
{
	char cmd[512];
	if (!dir || strncmp(dir, "/tmp/ith-unit-", 14))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", dir);
}
