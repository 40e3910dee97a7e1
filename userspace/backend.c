// SPDX-License-Identifier: GPL-2.0
/*
 * flowlane backend SERVICE ADDR[:PORT] up|down|drain [--nft-only] [FILE]
 *
 * What a health checker runs: sets one backend's "state" in the document
 * and applies it, so that the file on disk and the kernel say the same.
 * Under a lock on the document's directory (two checkers never lose each
 * other's change), the new document is checked, written to a temporary
 * file renamed over FILE, and applied with 'apply'; if the apply fails,
 * the previous text is put back the same way. FILE defaults to the one
 * flowlane.service applies.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <jansson.h>

#include "tool.h"
#include "config.h"
#include "apply.h"

#define FL_DEFAULT_DOC	"/etc/flowlane/flowlane.json"

struct backend_args {
	const char *service, *addr, *state, *file;
	bool nft_only;
	long port;			/* -1: any */
};

__attribute__((format(printf, 1, 2)))
static int bad(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "flowlane: backend: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (usage: flowlane backend SERVICE ADDR[:PORT] up|down|drain "
		"[--nft-only] [FILE])\n");
	return -1;
}

/* ADDR or ADDR:PORT; an IPv6 address alone, or in brackets with a port
 * ([2001:db8::11]:8080), as URLs write it.
 */
static int split_addr(const char *arg, struct backend_args *a)
{
	static char addr[64];
	struct in6_addr a6;
	char *colon, *end, *s = addr;

	snprintf(addr, sizeof(addr), "%s", arg);
	a->port = -1;
	a->addr = addr;
	if (inet_pton(AF_INET6, addr, &a6) == 1)
		return 0;
	if (addr[0] == '[') {
		s = strchr(addr, ']');
		if (!s || (s[1] && s[1] != ':'))
			return bad("'%s' is not ADDR, ADDR:PORT or [IPv6]:PORT", arg);
		*s++ = '\0';
		a->addr = addr + 1;
	}
	colon = strchr(s, ':');
	if (colon) {
		*colon = '\0';
		a->port = strtol(colon + 1, &end, 10);
		if (end == colon + 1 || *end || a->port < 1 || a->port > 65535)
			return bad("'%s' is not ADDR, ADDR:PORT or [IPv6]:PORT", arg);
	}
	if (addr[0] == '[' ? inet_pton(AF_INET6, a->addr, &a6) != 1 :
	    inet_pton(AF_INET, a->addr, &(struct in_addr){ 0 }) != 1)
		return bad("'%s' is not an IPv4 or IPv6 address", a->addr);
	return 0;
}

static int parse(int argc, char **argv, struct backend_args *a)
{
	const char *pos[4] = { 0 };
	int i, n = 0;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--nft-only"))
			a->nft_only = true;
		else if (argv[i][0] == '-' && argv[i][1])
			return bad("unknown option '%s'", argv[i]);
		else if (n == 4)
			return bad("unexpected argument '%s'", argv[i]);
		else
			pos[n++] = argv[i];
	}
	if (n < 3)
		return bad("missing arguments");
	a->service = pos[0];
	a->state = pos[2];
	a->file = pos[3] ? pos[3] : FL_DEFAULT_DOC;
	if (strcmp(a->state, "up") && strcmp(a->state, "down") && strcmp(a->state, "drain"))
		return bad("'%s' is not a backend state (up, down or drain)", a->state);
	return split_addr(pos[1], a);
}

/* The backend object of @a in @root, or NULL with a message. */
static json_t *find_backend(json_t *root, const struct backend_args *a)
{
	json_t *svcs = json_object_get(root, "services"), *s, *bs, *b, *found = NULL;
	size_t i, k, first = 0;

	json_array_foreach(svcs, i, s) {
		if (!json_is_object(s) || !json_is_string(json_object_get(s, "name")) ||
		    strcmp(json_string_value(json_object_get(s, "name")), a->service))
			continue;
		bs = json_object_get(s, "backends");
		json_array_foreach(bs, k, b) {
			json_t *ad = json_object_get(b, "address"), *p = json_object_get(b, "port");

			if (!json_is_string(ad) || strcmp(json_string_value(ad), a->addr) ||
			    (a->port >= 0 && json_integer_value(p) != a->port))
				continue;
			if (found) {
				fprintf(stderr, "flowlane: backend: %s is backends[%zu] and backends[%zu] "
					"of service '%s' in %s: give ADDR:PORT\n", a->addr, first, k,
					a->service, a->file);
				return NULL;
			}
			found = b;
			first = k;
		}
		if (!found)
			fprintf(stderr, "flowlane: backend: service '%s' in %s has no backend %s%s\n",
				a->service, a->file, a->addr, a->port >= 0 ? " with that port" : "");
		return found;
	}
	fprintf(stderr, "flowlane: backend: %s has no service named '%s'\n", a->file, a->service);
	return NULL;
}

/* @text over @file, atomically (a temporary file in the same directory,
 * with the file's mode, renamed over it).
 */
static int write_atomic(const char *file, const char *text, size_t len)
{
	char tmp[4200];
	struct stat st;
	int fd, err = 0;

	snprintf(tmp, sizeof(tmp), "%s.backend%d", file, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (!stat(file, &st))
		fchmod(fd, st.st_mode & 07777);
	if (write(fd, text, len) != (ssize_t)len || fsync(fd))
		err = errno ? -errno : -EIO;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, file))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

/* The document with the backend's new state, checked; NULL after a message. */
static char *new_text(const char *old, const struct backend_args *a)
{
	char err[FL_ERR_MAX], *text = NULL;
	struct fl_config *cfg;
	json_error_t jerr;
	json_t *root, *b;

	root = json_loads(old, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		fprintf(stderr, "flowlane: backend: %s:%d:%d: %s\n", a->file, jerr.line,
			jerr.column, jerr.text);
		return NULL;
	}
	b = find_backend(root, a);
	if (b) {
		/* "up" is the default: the key goes, the document stays minimal. */
		if (!strcmp(a->state, "up"))
			json_object_del(b, "state");
		else
			json_object_set_new(b, "state", json_string(a->state));
		text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	}
	json_decref(root);
	if (!text)
		return NULL;
	cfg = fl_config_parse(text, a->file, err);
	if (!cfg) {
		fprintf(stderr, "flowlane: backend: %s\n", err);
		free(text);
		return NULL;
	}
	fl_config_free(cfg);
	return text;
}

static int lock_dir(const char *file)
{
	char *copy = strdup(file);
	int fd = copy ? open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;

	free(copy);
	if (fd >= 0 && flock(fd, LOCK_EX)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static int run(const struct backend_args *a, const struct fl_opts *opts)
{
	char *argv[4] = { "apply" }, *old, *text, err[FL_ERR_MAX];
	int argc = 1, ret, e;
	size_t len;

	old = fl_read_text(a->file, err);
	if (!old) {
		fprintf(stderr, "flowlane: backend: %s\n", err);
		return 1;
	}
	text = new_text(old, a);
	if (!text) {
		free(old);
		return 1;
	}
	len = strlen(text);
	text[len++] = '\n';		/* json_dumps() leaves room: it ended at '\0' */
	e = write_atomic(a->file, text, len);
	if (e) {
		fprintf(stderr, "flowlane: backend: cannot write %s: %s (nothing changed)\n",
			a->file, strerror(-e));
		ret = 1;
		goto out;
	}
	if (a->nft_only)
		argv[argc++] = "--nft-only";
	argv[argc++] = (char *)a->file;
	ret = cmd_apply(argc, argv, opts);
	if (ret) {
		e = write_atomic(a->file, old, strlen(old));
		fprintf(stderr, "flowlane: backend: the apply failed; %s %s\n", a->file,
			e ? "keeps the new state: fix the cause and apply it" :
			"is back to its previous text");
	}
out:
	free(text);
	free(old);
	return ret;
}

int cmd_backend(int argc, char **argv, const struct fl_opts *opts)
{
	struct backend_args a;
	int fd, ret;

	if (fl_json_refused("backend", opts) || parse(argc, argv, &a))
		return 1;
	fd = lock_dir(a.file);
	if (fd < 0) {
		fprintf(stderr, "flowlane: backend: cannot lock the directory of %s: %s\n",
			a.file, strerror(errno));
		return 1;
	}
	ret = run(&a, opts);
	close(fd);
	return ret;
}
