#define _POSIX_C_SOURCE 200809L	/* openat, fdopendir-free dirent, mkstemp */
#include "cli_io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "protocol.h"
#include "protocol_spec.h"
#include "scenario.h"

static void *xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size);
	if (!q) {
		fprintf(stderr, "rmapfuzz: out of memory\n");
		exit(2);
	}
	return q;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xrealloc(NULL, n), s, n);
}

bool cli_is_text(const char *path)
{
	size_t n = strlen(path);
	return n >= 4 && !strcmp(path + n - 4, ".txt");
}

/* Open path for reading if it is a regular file. O_NONBLOCK: opening a
 * FIFO must not wait for a writer before fstat can refuse it. */
static int open_regular(const char *path, bool quiet)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0) {
		if (!quiet)
			fprintf(stderr, "rmapfuzz: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		int err = errno;
		if (!quiet && S_ISDIR(st.st_mode))
			fprintf(stderr, "rmapfuzz: %s: is a directory (this command takes one file)\n", path);
		else if (!quiet && !S_ISREG(st.st_mode))
			fprintf(stderr, "rmapfuzz: %s: not a regular file (a device, FIFO or socket); "
				"inputs are read from files\n", path);
		else if (!quiet)
			fprintf(stderr, "rmapfuzz: %s: %s\n", path, strerror(err));
		close(fd);
		return -1;
	}
	return fd;
}

/* Up to cap bytes of fd; -1 after printing why. */
static long read_upto(int fd, const char *path, void *buf, size_t cap)
{
	size_t len = 0;
	while (len < cap) {
		ssize_t n = read(fd, (char *)buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "rmapfuzz: %s: %s\n", path, strerror(errno));
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	return (long)len;
}

bool cli_load_input(const char *path, struct cli_input *in)
{
	int fd = open_regular(path, false);
	if (fd < 0)
		return false;
	if (!cli_is_text(path)) {
		long n = read_upto(fd, path, in->data, sizeof(in->data));
		close(fd);
		in->size = n < 0 ? 0 : (size_t)n;
		return n >= 0;
	}
	char *text = xrealloc(NULL, CLI_MAX_TEXT + 1);
	long n = read_upto(fd, path, text, CLI_MAX_TEXT + 1);
	close(fd);
	bool ok = false;
	if (n > CLI_MAX_TEXT) {
		fprintf(stderr, "rmapfuzz: %s: over %d KiB, more than any scenario (at most %d records)\n",
			path, CLI_MAX_TEXT / 1024, PROGRAM_MAX_RECORDS);
	} else if (n >= 0) {
		struct record recs[PROGRAM_MAX_RECORDS];
		struct scenario_error err;
		int nr = scenario_parse(text, (size_t)n, recs, &err);
		if (nr < 0) {
			fprintf(stderr, "%s:%d:%d: %s\n", path, err.line, err.col, err.message);
		} else {
			memcpy(in->data, recs, (size_t)nr * RECORD_SIZE);
			in->size = (size_t)nr * RECORD_SIZE;
			ok = true;
		}
	}
	free(text);
	return ok;
}

static bool write_all(int fd, const void *data, size_t size)
{
	const char *p = data;
	while (size) {
		ssize_t n = write(fd, p, size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return false;
		p += n;
		size -= (size_t)n;
	}
	return true;
}

/* Not a regular file: written where it is, never replaced or removed. */
static bool write_in_place(const char *path, const void *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || !write_all(fd, data, size)) {
		fprintf(stderr, "rmapfuzz: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	if (close(fd) != 0) {
		fprintf(stderr, "rmapfuzz: %s: %s\n", path, strerror(errno));
		return false;
	}
	return true;
}

bool cli_write_output(const char *path, const void *data, size_t size)
{
	struct stat st;
	bool exists = stat(path, &st) == 0;
	if (exists && S_ISDIR(st.st_mode)) {
		fprintf(stderr, "rmapfuzz: %s: is a directory; -o names the file to write\n", path);
		return false;
	}
	if (exists && !S_ISREG(st.st_mode))
		return write_in_place(path, data, size);

	/* The temporary file sits beside path, so the rename stays on one
	 * file system and is atomic. */
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	size_t len = strlen(path) + 16;
	char *tmp = xrealloc(NULL, len);
	snprintf(tmp, len, "%.*s.%s.XXXXXX", (int)dirlen, path, path + dirlen);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		fprintf(stderr, "rmapfuzz: %s: cannot create a file beside it: %s\n", path, strerror(errno));
		free(tmp);
		return false;
	}
	mode_t mode = exists ? st.st_mode & 07777 : 0;
	if (!exists) {
		mode_t mask = umask(0);
		umask(mask);
		mode = 0666 & ~mask;
	}
	int err = 0;
	if (!write_all(fd, data, size) || fchmod(fd, mode) != 0 || fsync(fd) != 0)
		err = errno;
	if (close(fd) != 0 && !err)
		err = errno;
	if (!err && rename(tmp, path) != 0)
		err = errno;
	if (err) {
		fprintf(stderr, "rmapfuzz: %s: %s%s\n", path, strerror(err),
			exists ? " (the file there is left as it was)" : "");
		unlink(tmp);
	}
	free(tmp);
	return !err;
}

bool cli_same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static void add_file(struct cli_files *files, const char *path)
{
	if (files->nr == files->cap) {
		files->cap = files->cap ? 2 * files->cap : 64;
		files->path = xrealloc(files->path, files->cap * sizeof(*files->path));
	}
	files->path[files->nr++] = xstrdup(path);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The directories being walked, by inode: a link back into one is a loop. */
struct walk_stack {
	dev_t dev[64];
	ino_t ino[64];
	int depth;
};

static bool on_stack(const struct walk_stack *s, const struct stat *st)
{
	for (int i = 0; i < s->depth; i++)
		if (s->dev[i] == st->st_dev && s->ino[i] == st->st_ino)
			return true;
	return false;
}

static void skipped(const char *path, const char *why)
{
	fprintf(stderr, "rmapfuzz: skipped %s: %s\n", path, why);
}

static void walk_dir(const char *path, const struct stat *st, struct walk_stack *stack,
		     struct cli_files *files)
{
	if (stack->depth == 64) {
		skipped(path, "nested more than 64 directories deep");
		return;
	}
	DIR *d = opendir(path);
	if (!d) {
		fprintf(stderr, "rmapfuzz: %s: %s\n", path, strerror(errno));
		files->errors++;
		return;
	}
	stack->dev[stack->depth] = st->st_dev;
	stack->ino[stack->depth++] = st->st_ino;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 32;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	bool slash = path[strlen(path) - 1] == '/';
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(path) + strlen(names[i]) + 2;
		char *child = xrealloc(NULL, len);
		snprintf(child, len, slash ? "%s%s" : "%s/%s", path, names[i]);
		size_t nl = strlen(names[i]);
		struct stat cst;
		if (names[i][0] == '.')
			skipped(child, "hidden (its name starts with '.')");
		else if (nl >= 3 && !strcmp(names[i] + nl - 3, ".md"))
			skipped(child, "documentation (.md), not an input");
		else if (stat(child, &cst) != 0)
			skipped(child, "a link to nothing");
		else if (S_ISDIR(cst.st_mode) && on_stack(stack, &cst))
			skipped(child, "a link back into a directory being walked");
		else if (S_ISDIR(cst.st_mode))
			walk_dir(child, &cst, stack, files);
		else if (!S_ISREG(cst.st_mode))
			skipped(child, "not a regular file (a device, FIFO or socket)");
		else
			add_file(files, child);
		free(child);
		free(names[i]);
	}
	free(names);
	stack->depth--;
}

void cli_collect(const char *path, struct cli_files *files)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "rmapfuzz: %s: %s\n", path, strerror(errno));
		files->errors++;
	} else if (S_ISDIR(st.st_mode)) {
		struct walk_stack stack = { .depth = 0 };
		walk_dir(path, &st, &stack, files);
	} else {
		add_file(files, path);	/* named by the user: a FIFO is refused when read */
	}
}

void cli_files_free(struct cli_files *files)
{
	for (size_t i = 0; i < files->nr; i++)
		free(files->path[i]);
	free(files->path);
	*files = (struct cli_files){ 0 };
}

/* The `# rmap violation: <invariant> (<protocol>)` first line of the text
 * file at path into *hdr (hdr->present false when there is none). */
static void read_header(const char *path, struct protocol_adhoc *adhoc, struct cli_header *hdr)
{
	*hdr = (struct cli_header){ 0 };
	int fd = open_regular(path, true);
	if (fd < 0)
		return;
	char line[PROTOCOL_SPEC_MAX + 128];
	long n = read_upto(fd, path, line, sizeof(line) - 1);
	close(fd);
	if (n <= 0)
		return;
	line[n] = 0;
	line[strcspn(line, "\n")] = 0;
	static const char prefix[] = "# rmap violation:";
	if (strncmp(line, prefix, sizeof(prefix) - 1))
		return;
	hdr->present = true;
	size_t len = strlen(line);
	while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
		line[--len] = 0;
	char *inv = line + sizeof(prefix) - 1;
	inv += strspn(inv, " \t");
	char *open = strrchr(inv, '(');
	if (!len || line[len - 1] != ')' || !open || open == inv) {
		snprintf(hdr->error, sizeof(hdr->error),
			 "%s:1: a header that names no protocol: '%.600s' is not "
			 "'# rmap violation: INVARIANT (PROTOCOL)'", path, line);
		return;
	}
	line[len - 1] = 0;
	char *end = open;
	while (end > inv && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	snprintf(hdr->invariant, sizeof(hdr->invariant), "%.*s", (int)(end - inv), inv);
	char why[2048];
	hdr->proto = protocol_lookup(open + 1, adhoc, why, sizeof(why));
	if (!hdr->proto) {
		snprintf(hdr->error, sizeof(hdr->error), "%s:1: the header's protocol: %s", path, why);
		return;
	}
	snprintf(hdr->protocol, sizeof(hdr->protocol), "%s", hdr->proto->name);
	snprintf(hdr->signature, sizeof(hdr->signature), "rmap violation: %s (%s)", hdr->invariant,
		 hdr->protocol);
}

const struct protocol *cli_recorded_protocol(const char *path, const char **why,
					     struct protocol_adhoc *adhoc, struct cli_header *hdr)
{
	size_t n = strlen(path);
	*hdr = (struct cli_header){ 0 };
	if (cli_is_text(path)) {
		read_header(path, adhoc, hdr);
	} else if (n >= 4 && !strcmp(path + n - 4, ".bin")) {
		char *txt = xstrdup(path);
		memcpy(txt + n - 4, ".txt", 4);
		read_header(txt, adhoc, hdr);
		free(txt);
	}
	if (hdr->present) {
		*why = "recorded in its .txt header";
		return hdr->proto;
	}
	/* The directory it sits in. */
	const struct protocol *p;
	const char *end = strrchr(path, '/');
	if (!end || end == path)
		return NULL;
	const char *start = end;
	while (start > path && start[-1] != '/')
		start--;
	char dir[PROTOCOL_SPEC_MAX];
	if ((size_t)(end - start) >= sizeof(dir))
		return NULL;
	memcpy(dir, start, (size_t)(end - start));
	dir[end - start] = 0;
	char bad[2048];
	p = protocol_lookup(dir, adhoc, bad, sizeof(bad));
	if (p)
		*why = "from the directory it is in";
	return p;
}
