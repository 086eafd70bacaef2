/* credential.c: the management token from token_file, token_env or systemd's credential, in that order;
 * trailing whitespace stripped, anything else refused; the token never in a message. */
#include "suites.h"
#include "credential.h"
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SECRET "mgmt-Zq8sT0kenValue"

static char *write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char *path = malloc(strlen(dir) + strlen(name) + 2);
	FILE *f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	snprintf(path, strlen(dir) + strlen(name) + 2, "%s/%s", dir, name);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
	CU_ASSERT_EQUAL(chmod(path, mode), 0);
	return path;
}

static void config_for(struct ith_config *cfg, const char *file, const char *env)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->path = (char *)"/etc/ith/helper.conf";
	cfg->token_file = (char *)file;
	cfg->token_env = (char *)env;
}

static void expect_token(const struct ith_config *cfg, const char *want)
{
	struct ith_secret s = ITH_SECRET_INIT;

	CU_ASSERT_EQUAL_FATAL(ith_mgmt_token_load(cfg, &s, &E), 0);
	CU_ASSERT_EQUAL(s.len, strlen(want));
	CU_ASSERT_EQUAL(memcmp(s.s, want, strlen(want)), 0);
	ith_secret_release(&s);
}

static void expect_refused(const struct ith_config *cfg, int cause, const char *want)
{
	struct ith_secret s = ITH_SECRET_INIT;

	CU_ASSERT_EQUAL(ith_mgmt_token_load(cfg, &s, &E), cause);
	if (!strstr(ith_err_msg(&E), want))
		fprintf(stderr, "\n  got: %s\n  want: %s\n", ith_err_msg(&E), want);
	CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), want));
	CU_ASSERT_PTR_NULL(strstr(ith_err_msg(&E), SECRET));
	ith_secret_release(&s);
}

static void test_from_file(void)
{
	char *dir = test_tmpdir(), *good, *loose, *spaced, *empty, missing[512];
	struct ith_config cfg;

	good = write_file(dir, "good", SECRET "\n\n", 0600);
	config_for(&cfg, good, NULL);
	expect_token(&cfg, SECRET);  /* trailing whitespace stripped */
	loose = write_file(dir, "loose", SECRET "\n", 0644);
	config_for(&cfg, loose, NULL);
	expect_refused(&cfg, ITH_ERR_UNSAFE, "loose");
	spaced = write_file(dir, "spaced", "Bearer " SECRET "\n", 0600);
	config_for(&cfg, spaced, NULL);
	expect_refused(&cfg, ITH_ERR_CONFIG, "must hold the token alone");
	empty = write_file(dir, "empty", " \n", 0600);
	config_for(&cfg, empty, NULL);
	expect_refused(&cfg, ITH_ERR_CONFIG, "is empty");
	snprintf(missing, sizeof(missing), "%s/none", dir);
	config_for(&cfg, missing, NULL);
	expect_refused(&cfg, ITH_ERR_FILE_NOT_FOUND, "none");
	free(good), free(loose), free(spaced), free(empty);
	test_rm_rf(dir);
	free(dir);
}

static void test_from_env_and_credentials(void)
{
	char *dir = test_tmpdir(), *cred;
	struct ith_config cfg;
	const char *old = getenv("CREDENTIALS_DIRECTORY");
	char *saved = old ? strdup(old) : NULL;

	setenv("ITH_UNIT_MGMT", SECRET "  ", 1);
	config_for(&cfg, NULL, "ITH_UNIT_MGMT");
	expect_token(&cfg, SECRET);
	unsetenv("ITH_UNIT_MGMT");
	expect_refused(&cfg, ITH_ERR_CONFIG, "environment variable ITH_UNIT_MGMT is not set");
	/* neither: systemd's credential directory, management-token in it */
	cred = write_file(dir, "management-token", SECRET "\n", 0600);
	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	config_for(&cfg, NULL, NULL);
	expect_token(&cfg, SECRET);
	unsetenv("CREDENTIALS_DIRECTORY");
	expect_refused(&cfg, ITH_ERR_CONFIG, "no management token: set management.token_file or management.token_env");
	if (saved)
		setenv("CREDENTIALS_DIRECTORY", saved, 1);
	free(saved);
	free(cred);
	test_rm_rf(dir);
	free(dir);
}

int register_credential_tests(void)
{
	CU_pSuite s = CU_add_suite("credential: the management token", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_from_file);
	ADD(s, test_from_env_and_credentials);
	return 0;
}
