/* A growable string for reports and traces. */
#ifndef RMAP_STRBUF_H
#define RMAP_STRBUF_H

#include <stddef.h>

struct strbuf {
	char *buf;	/* NUL-terminated once anything was written */
	size_t len, cap;
};

void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_free(struct strbuf *sb);
/* s as a JSON string, quotes included. */
void sb_json_string(struct strbuf *sb, const char *s);
static inline const char *sb_str(const struct strbuf *sb) { return sb->buf ? sb->buf : ""; }

#endif
