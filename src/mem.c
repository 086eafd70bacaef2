#include "mem.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void oom(void)
{
	static const char msg[] = "influx-token-helper: out of memory\n";
	ssize_t r = write(2, msg, sizeof(msg) - 1);
	(void)r;
	abort();
}

void *ith_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *ith_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

char *ith_xstrdup(const char *s)
{
	return ith_xstrndup(s, strlen(s));
}

char *ith_xstrndup(const char *s, size_t n)
{
	char *p = ith_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void ith_wipe(void *p, size_t len)
{
	if (p && len)
		explicit_bzero(p, len);
}

void ith_freezero(void *p, size_t len)
{
	if (!p)
		return;
	ith_wipe(p, len);
	free(p);
}

void ith_free_secret_str(char *s)
{
	if (s)
		ith_freezero(s, strlen(s));
}

void ith_secret_set(struct ith_secret *sec, const char *s, size_t len)
{
	ith_secret_release(sec);
	sec->s = ith_xstrndup(s, len);
	sec->len = len;
}

void ith_secret_release(struct ith_secret *sec)
{
	if (sec->s)
		ith_freezero(sec->s, sec->len + 1);
	sec->s = NULL;
	sec->len = 0;
}

void ith_secrets_add(struct ith_secret *set, size_t *n, size_t max, const struct ith_secret *sec, size_t min_len)
{
	if (!sec || !sec->s || !sec->len || sec->len < min_len || !max)
		return;
	for (size_t i = 0; i < *n; i++)
		if (set[i].len == sec->len && !memcmp(set[i].s, sec->s, sec->len))
			return;
	if (*n == max) {
		/* a long-lived handle (watch): the oldest goes, long expired by now */
		ith_secret_release(&set[0]);
		memmove(&set[0], &set[1], (max - 1) * sizeof(set[0]));
		set[max - 1].s = NULL;
		set[max - 1].len = 0;
		(*n)--;
	}
	ith_secret_set(&set[(*n)++], sec->s, sec->len);
}
