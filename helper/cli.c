/*
 * cli.c - the helpers every command shares (declared in cli.h): loading the
 * configuration and the context, reporting a failure once, usage errors,
 * duration options, profile selection, stdout, a command's --help (from the
 * table main.c hands over), and the Prometheus textfile written after
 * rotations. It includes no command's file and calls no command: commands
 * and sched.c call down into it; main.c only dispatches.
 */
#include "cli.h"
#include "health-load.h"
#include "hosts.h"
#include "layout.h"
#include "fs.h"
#include "time.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct cli_command *commands;
static size_t ncommands;

void cli_commands_set(const struct cli_command *v, size_t n)
{
	commands = v;
	ncommands = n;
}

int cli_command_help(const char *name)
{
	for (size_t i = 0; i < ncommands; i++)
		if (!strcmp(commands[i].name, name)) {
			printf("usage: influx-token-helper [-c FILE] [-v|-q] %s\n\n%s\n", commands[i].usage, commands[i].help);
			return 0;
		}
	return cli_exit_code(ITH_ERR_INTERNAL);
}

mode_t cli_orig_umask = 022;
struct rlimit cli_orig_core = { RLIM_INFINITY, RLIM_INFINITY };

int cli_fail(int cause, struct ith_strbuf *err)
{
	fprintf(stderr, "influx-token-helper: %s\n", ith_err_msg(err));
	ith_strbuf_release(err);
	return cli_exit_code(cause);
}

static void failures_print(struct cli_failures *f)
{
	if (f->pending)
		fprintf(stderr, "influx-token-helper: %s: %s\n", f->names, f->msg);
	f->pending = false;
}

void cli_profile_fail(struct cli_failures *f, const char *profile, int cause, struct ith_strbuf *err)
{
	const char *msg = ith_err_msg(err);
	size_t plen = strlen(profile);

	/* the profile is named once, in front: a message that starts with it loses that copy */
	if (!strncmp(msg, profile, plen) && msg[plen] == ':' && msg[plen + 1] == ' ')
		msg += plen + 2;
	if (!f->rc)
		f->rc = cli_exit_code(cause);
	if (f->pending && !strcmp(f->msg, msg)) {
		size_t len = strlen(f->names);
		snprintf(f->names + len, sizeof(f->names) - len, ", %s", profile);
	} else {
		failures_print(f);
		snprintf(f->msg, sizeof(f->msg), "%s", msg);
		snprintf(f->names, sizeof(f->names), "%s", profile);
		f->pending = true;
	}
	ith_strbuf_release(err);
}

int cli_failures_flush(struct cli_failures *f)
{
	failures_print(f);
	return f->rc;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "influx-token-helper: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'influx-token-helper %s --help'.\n", cmd);
	return cli_exit_code(ITH_ERR_USAGE);
}

int cli_duration_option(const char *cmd, const char *opt, const char *arg, int64_t *out)
{
	struct ith_strbuf err = ITH_STRBUF_INIT;
	int rc = 0;

	if (ith_parse_duration(arg, out, &err) < 0)
		rc = cli_usage_error(cmd, "%s: %s", opt, ith_err_msg(&err));
	ith_strbuf_release(&err);
	return rc;
}

static void log_stderr(void *ud, enum ith_log_level lvl, const char *msg)
{
	const struct cli *cli = ud;

	if ((int)lvl > cli->verbosity)
		return;
	fprintf(stderr, "influx-token-helper: %s%s\n", lvl == ITH_LOG_WARN ? "warning: " : "", msg);
}

/* The default per-user state_dir may sit below directories a new user does
 * not have yet (~/.local/state): make them, 0700 as XDG asks. state_dir
 * itself is made (and checked) by the core. Returns an exit code or 0. */
static int make_parents(const char *path)
{
	char buf[4096];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return 0;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST) {
			fprintf(stderr, "influx-token-helper: cannot create directory '%s' for the default state_dir: %s; "
				"set state_dir in the configuration\n", buf, strerror(errno));
			return cli_exit_code(ith_errno_cause(errno));
		}
		*p = '/';
	}
	return 0;
}

int cli_load(struct cli *cli, enum cli_need need)
{
	struct ith_strbuf err = ITH_STRBUF_INIT;
	int r;

	if (!cli->cfg_loaded) {
		const char *inst = getenv("INFLUX_TOKEN_HELPER_INSTANCE");  /* set by the templated units */
		if (inst && (r = ith_instance_name_check(inst, &err)) < 0)
			return cli_fail(r, &err);
		if ((r = ith_config_load(&cli->cfg, ith_config_default_path(cli->config_opt), &err)) < 0)
			return cli_fail(r, &err);
		ith_hosts_expand(&cli->cfg);  /* hosts_file, read on every run; its failures stay with their profile */
		cli->cfg_loaded = true;
	}
	ith_strbuf_release(&err);
	if (need == CLI_STATE && !cli->ctx_ready && cli->cfg.state_dir_is_default && (r = make_parents(cli->cfg.state_dir)))
		return r;
	if (need != CLI_CONFIG && !cli->ctx_ready) {
		if ((r = ith_ctx_init(&cli->ctx, &cli->cfg, need == CLI_STATE_READONLY, log_stderr, cli, &err)) < 0)
			return cli_fail(r, &err);
		cli->ctx_ready = true;
	}
	ith_strbuf_release(&err);
	return 0;
}

int cli_profiles(struct cli *cli, int n, char **names, const struct ith_profile ***out, size_t *count)
{
	const struct ith_profile **v;
	int r;

	if (n == 0) {
		v = ith_xcalloc(cli->cfg.nprofiles, sizeof(*v));
		for (size_t i = 0; i < cli->cfg.nprofiles; i++)
			v[i] = &cli->cfg.profiles[i];
		*out = v;
		*count = cli->cfg.nprofiles;
		return 0;
	}
	*count = 0;
	v = NULL;
	for (int i = 0; i < n; i++) {  /* NAME@HOST, or the NAME of an expanded profile: all its hosts */
		struct ith_strbuf err = ITH_STRBUF_INIT;
		const struct ith_profile **sel;
		size_t k;
		if ((r = ith_hosts_select(&cli->cfg, names[i], &sel, &k, &err)) < 0) {
			free(v);
			return cli_fail(r, &err);
		}
		v = realloc(v, (*count + k) * sizeof(*v));
		if (!v)
			abort();
		memcpy(v + *count, sel, k * sizeof(*v));
		*count += k;
		free(sel);
	}
	*out = v;
	return 0;
}

int cli_profile_one(struct cli *cli, const char *name, const struct ith_profile **out, struct ith_strbuf *err)
{
	const struct ith_profile **v;
	size_t n;
	int r;

	if (!name || (r = ith_hosts_select(&cli->cfg, name, &v, &n, err)) < 0)
		return ith_config_profile(&cli->cfg, name, out, err);
	if (n != 1) {  /* the NAME of an expanded profile: which host? */
		r = ith_err(err, ITH_ERR_USAGE, "'%s' is expanded over its hosts_file (%zu hosts): name one, e.g. '%s'",
			name, n, v[0]->name);
		free(v);
		return r;
	}
	*out = v[0];
	free(v);
	return 0;
}

int cli_write_stdout(const char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t w = write(1, buf + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "influx-token-helper: cannot write to stdout: %s\n", strerror(errno));
			return cli_exit_code(ITH_ERR_OUTPUT);
		}
		off += (size_t)w;
	}
	return 0;
}

int cli_prometheus_textfile(struct cli *cli)
{
	const char *path = cli->cfg.prometheus_textfile;
	struct ith_strbuf sb = ITH_STRBUF_INIT, err = ITH_STRBUF_INIT;
	struct ith_lock lock = ITH_LOCK_INIT;
	struct ith_health *hs;
	int64_t now;
	int r;

	if (!path || !cli->ctx_ready)
		return 0;
	/* watch rotates profiles concurrently: one writer at a time, the last one seeing every state (best effort) */
	if (ith_lock_acquire(cli->cfg.state_dir, ITH_LAYOUT_TEXTFILE_LOCK, 5000, &lock, &err) < 0)
		ith_log(&cli->ctx, ITH_LOG_DEBUG, "prometheus_textfile: %s", ith_err_msg(&err));
	now = ith_now();
	hs = ith_xcalloc(cli->cfg.nprofiles, sizeof(*hs));
	for (size_t i = 0; i < cli->cfg.nprofiles; i++)
		ith_health_load(&cli->cfg, &cli->cfg.profiles[i], cli->ctx.instance, false, now, &hs[i]);
	ith_health_prometheus(hs, cli->cfg.nprofiles, &sb);
	ith_strbuf_addstr(&sb, "");
	/* world-readable: node_exporter reads it; no secret in it */
	r = ith_write_atomic(path, sb.buf, sb.len, 0644, (gid_t)-1, &err);
	if (r < 0)
		ith_log(&cli->ctx, ITH_LOG_WARN, "prometheus_textfile: %s", ith_err_msg(&err));
	ith_lock_release(&lock);
	ith_strbuf_release(&err);
	ith_strbuf_release(&sb);
	free(hs);
	return r;
}
