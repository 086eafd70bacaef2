/*
 * hook.h - running a profile's on_rotate command after a switch.
 *
 * argv as configured (argv[0] an absolute path: no shell, no PATH lookup),
 * stdin from /dev/null, its own process group, stdout and stderr into a
 * pipe that the helper relays line by line to the callback (the helper's
 * stderr, prefixed with the profile): never to the helper's stdout, which
 * may be a `$(influx-token-helper get)`. The helper waits for the hook's own
 * process, not for the end of its output: a daemon it leaves behind holding
 * the pipe cannot make the helper hang.
 * and an environment that holds no secret and nothing inherited:
 *     PATH=/usr/sbin:/usr/bin:/sbin:/bin
 *     INFLUX_TOKEN_HELPER_PROFILE=<name>
 *     INFLUX_TOKEN_HELPER_TOKEN_ID=<id>
 *     INFLUX_TOKEN_HELPER_EXPIRES_AT=<RFC 3339>
 * Killed (SIGTERM, then SIGKILL 2 s later; its whole process group) when it
 * outlives timeout seconds: the caller passes the profile's hook_timeout,
 * capped by management.deadline. It gets SIGTERM should the helper die while
 * it runs (PR_SET_PDEATHSIG). A long-running caller that stops a rotation
 * ends the running hook's process group itself (ith_hook_running).
 *
 * Error handling: returns 0 when the command exited 0; otherwise a negative
 * cause (ITH_ERR_HOOK_EXEC, _TIMEOUT, _FAILED; ITH_ERR_UNSAFE for a program
 * others may write) with the reason in err. A failing hook never undoes a rotation: callers record it.
 */
#ifndef ITH_HOOK_H
#define ITH_HOOK_H

#include "config.h"
#include "state.h"

#include <sys/types.h>

#define ITH_HOOK_LINE_MAX 512        /* longer lines are split */
#define ITH_HOOK_OUTPUT_MAX 65536    /* more is dropped */
typedef void (*ith_hook_output_fn)(void *ud, const char *line);

int ith_hook_run(const struct ith_profile *p, int64_t timeout, const struct ith_state_token *t, ith_hook_output_fn fn,
	void *ud, struct ith_strbuf *err);
/* The hook running now in this process (its pid, which is also its process group), or 0. Async-signal-safe: a
 * signal handler may end the group (kill(-pid, ...)). */
pid_t ith_hook_running(void);

#endif
