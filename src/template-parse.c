#include "template-parse.h"
#include "error.h"
#include "fs.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const struct {
	const char *name;
	enum ith_template_piece_kind kind;
} placeholders[] = {
	{ "token", ITH_PIECE_TOKEN },
	{ "id", ITH_PIECE_ID },
	{ "expires_at", ITH_PIECE_EXPIRES_AT },
	{ "profile", ITH_PIECE_PROFILE },
};

static void add_piece(struct ith_template *t, enum ith_template_piece_kind kind, size_t off, size_t len)
{
	if (kind == ITH_PIECE_TEXT && len == 0)
		return;
	if (t->n == t->alloc) {
		size_t na = t->alloc ? t->alloc * 2 : 16;
		struct ith_template_piece *nv = ith_xcalloc(na, sizeof(*nv));
		if (t->n)
			memcpy(nv, t->v, t->n * sizeof(*nv));
		free(t->v);
		t->v = nv;
		t->alloc = na;
	}
	t->v[t->n].kind = kind;
	t->v[t->n].off = off;
	t->v[t->n].len = len;
	t->n++;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

int ith_template_parse(const char *path, const char *text, size_t len, struct ith_template **out,
	struct ith_strbuf *err)
{
	struct ith_template *t = ith_xcalloc(1, sizeof(*t));
	size_t i = 0, start = 0;
	int line = 1;

	if (memchr(text, '\0', len)) {
		free(t);
		return ith_err(err, ITH_ERR_CONFIG, "template '%s' contains a NUL byte; not a text file", path);
	}
	t->text = ith_xstrndup(text, len);
	while (i < len) {
		if (text[i] == '\n') {
			line++;
			i++;
			continue;
		}
		if (text[i] != '{' || i + 1 >= len || text[i + 1] != '{') {
			i++;
			continue;
		}
		size_t a = i + 2, e = a;
		while (e + 1 < len && text[e] != '\n' && !(text[e] == '}' && text[e + 1] == '}'))
			e++;
		if (e + 1 >= len || text[e] != '}') {
			ith_template_free(t);
			return ith_err(err, ITH_ERR_CONFIG, "%s:%d: '{{' is not closed by '}}' on the same line "
				"(placeholders: {{token}}, {{id}}, {{expires_at}}, {{profile}})", path, line);
		}
		size_t b = e;
		while (a < b && is_space(text[a]))
			a++;
		while (b > a && is_space(text[b - 1]))
			b--;
		bool found = false;
		for (size_t k = 0; k < sizeof(placeholders) / sizeof(placeholders[0]); k++)
			if (strlen(placeholders[k].name) == b - a && !memcmp(placeholders[k].name, text + a, b - a)) {
				add_piece(t, ITH_PIECE_TEXT, start, i - start);
				add_piece(t, placeholders[k].kind, 0, 0);
				found = true;
			}
		if (!found) {
			int r = ith_err(err, ITH_ERR_CONFIG, "%s:%d: unknown placeholder '{{%.*s}}' (known: {{token}}, {{id}}, "
				"{{expires_at}}, {{profile}})", path, line, (int)(b - a > 40 ? 40 : b - a), text + a);
			ith_template_free(t);
			return r;
		}
		i = e + 2;
		start = i;
	}
	add_piece(t, ITH_PIECE_TEXT, start, len - start);
	*out = t;
	return 0;
}

int ith_template_load(const char *path, struct ith_template **out, struct ith_strbuf *err)
{
	char *text = NULL, what[4096 + 16];
	struct stat st;
	size_t len = 0;
	int r;

	snprintf(what, sizeof(what), "template '%s'", path);
	/* a FIFO or a device would block or never end: a regular file only */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return ith_err(err, ITH_ERR_CONFIG, "%s is not a regular file", what);
	/* whoever can write the template decides where the token goes (a url, a machine): as the config */
	if (stat(path, &st) == 0 && (r = ith_check_trusted_path(path, "template", err)) < 0)
		return r;
	if ((r = ith_read_file(path, ITH_TEMPLATE_MAX_BYTES, false, what, &text, &len, err)) < 0)
		return r;
	r = ith_template_parse(path, text, len, out, err);
	free(text);
	return r;
}

void ith_template_free(struct ith_template *t)
{
	if (!t)
		return;
	free(t->text);
	free(t->v);
	free(t);
}
