/*
 * time.h - tier 2: durations and RFC 3339 times, as the configuration and
 * the API write them, and the wall clock. Uses tier 0-1 only.
 *
 * Owns the parsing of durations ("90s", "30m", "24h", "7d", whole seconds;
 * at most 10 years), of RFC 3339 date-times into unix seconds, their
 * formatting back, and the short human durations of status output. Times
 * are int64_t unix seconds everywhere in the core.
 *
 * Calling sequence:
 *     int64_t secs, t;
 *     if ((r = ith_parse_duration("24h", &secs, err)) < 0) return r;
 *     if ((r = ith_parse_rfc3339(s, &t, err)) < 0) return r;
 *     char buf[32]; ith_format_rfc3339(t, buf, sizeof(buf));
 *
 * Error handling: parsers return 0 or a negative cause (error.h) with the
 * message in err: ITH_ERR_CONFIG for a bad duration (it comes from the
 * configuration), ITH_ERR_API_MALFORMED for a bad date-time (it comes from
 * the API); *out is set only on success. Formatters cannot fail.
 */
#ifndef ITH_TIME_H
#define ITH_TIME_H

#include <stddef.h>
#include <stdint.h>

struct ith_strbuf;

/* "90s", "30m", "24h", "7d" or plain seconds "3600"; 0 <= result <= 10 years. */
int ith_parse_duration(const char *s, int64_t *out, struct ith_strbuf *err);
/* RFC 3339 date-time ("2024-03-02T04:20:19.000Z", "+01:00" offsets) -> unix s. */
int ith_parse_rfc3339(const char *s, int64_t *out, struct ith_strbuf *err);
/* Unix seconds -> "YYYY-MM-DDTHH:MM:SSZ" (buf >= 21 bytes). */
void ith_format_rfc3339(int64_t t, char *buf, size_t len);
/* "1d2h", "45s": short human duration for status output. */
void ith_format_duration(int64_t secs, char *buf, size_t len);
int64_t ith_now(void);  /* wall clock, unix seconds */

#endif
