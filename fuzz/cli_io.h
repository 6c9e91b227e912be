/* Files on disk for the command-line tools: inputs read no further than the
 * decoder can use, directories walked in a stable order, outputs that never
 * cost the user a file, and what a crasher says about its own protocol.
 *
 * Every function that fails prints why to stderr, naming the file (and for
 * scenario text the line and column), and returns false or NULL. */
#ifndef RMAP_CLI_IO_H
#define RMAP_CLI_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "program.h"
#include "protocol_spec.h"	/* PROTOCOL_SPEC_MAX */

struct protocol;

/* The most an input can hold: bytes past PROGRAM_MAX_RECORDS records are
 * never decoded, and a scenario of that many records with comments fits
 * well inside CLI_MAX_TEXT. */
#define CLI_MAX_BYTES (PROGRAM_MAX_RECORDS * RECORD_SIZE)
#define CLI_MAX_TEXT (64 * 1024)

/* A name ending in .txt is scenario text; any other name is input bytes. */
bool cli_is_text(const char *path);

/* An input as program bytes: a regular file only (a directory, device or
 * FIFO is refused, never read or waited on); bytes past CLI_MAX_BYTES are
 * not read, scenario text is parsed and encoded. */
struct cli_input {
	uint8_t data[CLI_MAX_BYTES];
	size_t size;
};
bool cli_load_input(const char *path, struct cli_input *in);

/* Write size bytes to path so that the old path is either kept whole or
 * replaced whole: a temporary file in path's directory, renamed into place
 * (with the mode of the file it replaces). A path that exists and is not a
 * regular file (/dev/null, a terminal, a FIFO) is written in place and
 * never removed or replaced. */
bool cli_write_output(const char *path, const void *data, size_t size);

/* True when a and b name the same existing file (the same inode). */
bool cli_same_file(const char *a, const char *b);

/* The inputs under paths: files as given, directories walked depth first
 * in name order (byte order, so the same on every machine), following
 * links. Files and subdirectories whose names start with '.' and README
 * files are skipped, each named on stderr with why, as are links that
 * lead nowhere or back into a directory being walked. */
struct cli_files {
	char **path;
	size_t nr, cap;
	int errors;	/* paths that could not be read */
};
void cli_collect(const char *path, struct cli_files *files);
void cli_files_free(struct cli_files *files);

/* What a crasher's or counterexample's .txt records on its first line,
 * `# rmap violation: <invariant> (<protocol>)` (blanks and a \r at its
 * end are let be). */
struct cli_header {
	bool present;		/* the first line begins `# rmap violation:` */
	const struct protocol *proto;	/* the protocol it names, or NULL */
	char signature[PROTOCOL_SPEC_MAX + 128];	/* "rmap violation: INV (P)", P's name */
	char invariant[64];
	char protocol[PROTOCOL_SPEC_MAX];	/* proto's name */
	char error[2400];	/* when present and it does not parse: "FILE:1: why" */
};

/* The protocol an input records for itself, or NULL: a crasher's .txt
 * begins `# rmap violation: <invariant> (<protocol>)` (for X.bin, X.txt's
 * header counts); failing that, a file in a directory named after a
 * protocol (crashers/<protocol>/, build/crashes/<protocol>/). *why says
 * which of the two it was. Either may name an ad-hoc protocol (a spec,
 * protocol_spec.h): it is kept in adhoc. The header, if any, is read into
 * *hdr; one that does not parse (hdr->error set) gives NULL and never
 * falls back on the directory: the caller reports the error. */
struct protocol_adhoc;
const struct protocol *cli_recorded_protocol(const char *path, const char **why,
					     struct protocol_adhoc *adhoc, struct cli_header *hdr);

#endif
