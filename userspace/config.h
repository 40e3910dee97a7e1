/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The document `flowlane apply` makes true (Documentation/config.rst), as a
 * validated model. config.c turns JSON into this model or into one error
 * message that names the JSON path of the bad value:
 *
 *   vms[3].firewall[0].port: 70000 is not a port
 */
#ifndef FLOWLANE_CONFIG_H
#define FLOWLANE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <netinet/in.h>

#define FL_NAME_MAX	64	/* VM and service names, without the NUL */
#define FL_TAG_NAME_MAX	15	/* as FLOWLANE_A_TAG_NAME */
#define FL_ERR_MAX	512
#define FL_VM_IPV4_MAX	8	/* IPv4 addresses per VM (config.rst, "Limits") */

/* Protocols a firewall rule or a notrack service names. */
enum fl_proto {
	FL_PROTO_TCP = IPPROTO_TCP,
	FL_PROTO_UDP = IPPROTO_UDP,
	FL_PROTO_ICMP = IPPROTO_ICMP,	/* and ICMPv6 for IPv6 sources */
};

struct fl_prefix {
	int family;			/* AF_INET or AF_INET6 */
	uint8_t addr[16];		/* network order, host bits zero */
	uint8_t len;
};

struct fl_ports {
	uint16_t lo, hi;		/* 0-65535 when the rule names no port */
};

struct fl_fwrule {
	uint8_t proto;
	bool has_ports;
	struct fl_ports ports;
	bool has_source;		/* no source: any address of both families */
	struct fl_prefix source;
};

struct fl_tag {
	char name[FL_TAG_NAME_MAX + 1];
	uint16_t id;
	bool offload;
	uint32_t threshold;
	uint32_t max_flows;
	uint32_t timeout;
};

struct fl_vm {
	char name[FL_NAME_MAX + 1];
	const struct fl_tag *tag;	/* NULL: the default policy */
	char (*ifaces)[IFNAMSIZ];
	size_t n_ifaces;
	bool ifaces_borrowed;		/* apply's state holds them (delta.c) */
	bool has_ipv4, has_ipv6, has_public;
	uint8_t n_ipv4;			/* has_ipv4: 1..FL_VM_IPV4_MAX */
	uint8_t ipv6_len;		/* prefix length, 128: one address */
	struct in_addr ipv4[FL_VM_IPV4_MAX];	/* 1:1 NAT pairs public_ipv4 with ipv4[0] */
	struct in_addr public_ipv4;
	struct in6_addr ipv6;		/* the prefix, host bits zero */
	bool masquerade;		/* effective: no public address, uplinks */
	bool outbound_accept;
	struct fl_fwrule *firewall;
	size_t n_firewall;
	uint32_t fw_hash;		/* of the firewall rules, names its chain */
};

struct fl_notrack {
	uint8_t proto;			/* tcp or udp */
	struct fl_ports ports;
	bool has_address;		/* no address: any, both families */
	struct fl_prefix address;
};

/* As nftlb's: hash of the client address, round robin (weights ignored),
 * weighted (round robin over slots, weight slots per backend), and
 * symmetric hash (the same backend for both directions of a pair).
 */
enum fl_sched { FL_SCHED_HASH, FL_SCHED_ROUND_ROBIN, FL_SCHED_WEIGHT, FL_SCHED_SYMHASH };

/* up: new connections; down and drain: none, and the established ones go
 * on (the map only serves new connections; Documentation/config.rst).
 */
enum fl_backend_state { FL_BACKEND_UP, FL_BACKEND_DOWN, FL_BACKEND_DRAIN };

#define FL_WEIGHT_MAX	1000	/* per backend */
#define FL_SLOTS_MAX	4096	/* backend map elements of a service */

/* An IPv6 backend has addr 0.0.0.0 and its address in @addr6; the fields
 * before @addr6 are what an IPv4 backend's hash covers (its chain's name
 * stays what it was before IPv6 services).
 */
struct fl_backend {
	struct in_addr addr;
	uint16_t port;
	uint16_t weight;		/* 1..FL_WEIGHT_MAX, default 1 */
	uint32_t state;			/* enum fl_backend_state */
	struct in6_addr addr6;		/* the service is IPv6 */
};

struct fl_service {
	char name[FL_NAME_MAX + 1];
	bool v6;			/* @addr6 and IPv6 backends, else @addr */
	struct in_addr addr;
	struct in6_addr addr6;
	uint8_t proto;
	uint16_t port;
	enum fl_sched sched;
	uint32_t new_conn_rate;		/* new connections per second, 0: no limit */
	const struct fl_tag *tag;	/* NULL: the backend VM's tag */
	struct fl_backend *backends;
	size_t n_backends;
	uint32_t hash;			/* of the whole service, names its chain */
};

struct fl_config {
	char (*devices)[IFNAMSIZ];	/* fast-path devices */
	size_t n_devices;
	bool offload;			/* default policy */
	uint32_t threshold;
	uint32_t tag_mask;
	struct fl_tag *tags;
	size_t n_tags;
	char (*uplinks)[IFNAMSIZ];
	size_t n_uplinks;
	uint32_t conntrack_max;		/* 0: leave the sysctl alone */
	struct fl_vm *vms;
	size_t n_vms;
	struct fl_notrack *notrack;
	size_t n_notrack;
	struct fl_service *services;
	size_t n_services;
	bool has_fastpath;		/* `fastpath` given: the module follows
					 * uplinks and VM interfaces by name */
};

/* Parses and validates @text (from @source, for messages). Returns the model,
 * or NULL with one message in @err. Devices are not looked up here: see
 * fl_config_check_devices().
 */
struct fl_config *fl_config_parse(const char *text, const char *source,
				  char err[FL_ERR_MAX]);
struct fl_config *fl_config_parse_len(const char *text, size_t len, const char *source,
				      char err[FL_ERR_MAX]);
struct fl_config *fl_config_load(const char *file, char err[FL_ERR_MAX]);
char *fl_read_text(const char *file, char err[FL_ERR_MAX]);
void fl_config_free(struct fl_config *cfg);

/* A file's text, not NUL-terminated: mapped read-only when it is a regular
 * file, read otherwise ("-": standard input). Whoever truncates a mapped
 * file meanwhile makes its reader take SIGBUS (apply.c guards that).
 */
struct fl_text {
	const char *p;
	size_t len;
	void *map;
	size_t map_len;
	char *buf;
};

/* 0, or -errno with @err. */
int fl_text_open(struct fl_text *t, const char *file, char err[FL_ERR_MAX]);
void fl_text_close(struct fl_text *t);

/* The pieces of fl_config_parse() that apply's incremental path (delta.c)
 * runs on their own: one VM from its JSON text (vms[@i] of a document whose
 * other members made @cfg), and the checks across the whole document
 * (duplicates, overlaps, services against VMs). On error, @vm is cleared.
 */
int fl_config_parse_vm(const struct fl_config *cfg, size_t i, const char *text,
		       size_t len, struct fl_vm *vm, char err[FL_ERR_MAX]);
int fl_config_check(struct fl_config *cfg, char err[FL_ERR_MAX]);
/* The frame of a document (the document without its VMs, "vms": []), with
 * every check but the one that needs the VMs: each service backend is a VM's
 * address (fl_config_check_changed() has its part of it).
 */
struct fl_config *fl_config_parse_frame(const char *text, size_t len, const char *source,
					char err[FL_ERR_MAX]);
/* The same checks when only @changed (pointers into cfg->vms) are new or
 * changed, the other VMs coming unchanged from a document that passed them
 * with the same frame: the changed VMs against all, and the backends that
 * were addresses of @old (the VMs of that document now removed or changed)
 * against the changed VMs. Its messages only say that the document must be
 * checked whole (fl_config_check() words them).
 */
int fl_config_check_changed(struct fl_config *cfg, const struct fl_vm *const *changed,
			    size_t n_changed, const struct fl_vm *old, size_t n_old,
			    char err[FL_ERR_MAX]);
void fl_vm_clear(struct fl_vm *vm);

/* Checks that every device the document names for the host (fast-path
 * devices, uplinks) exists. VM interfaces may come and go with their VMs.
 */
int fl_config_check_devices(const struct fl_config *cfg, char err[FL_ERR_MAX]);

/* The service's map slots: each backend that is up once for round robin,
 * its weight times for the others, in document order. With @slot_backend
 * (room for FL_SLOTS_MAX), the backend index of each slot. Their number.
 */
uint32_t fl_service_slots(const struct fl_service *s, uint32_t *slot_backend);
const char *fl_sched_name(enum fl_sched s);
const char *fl_backend_state_name(uint32_t s);

/* The tag's value in the conntrack mark: id shifted under the mask. */
uint32_t fl_config_mark(const struct fl_config *cfg, const struct fl_tag *tag);

/* Any VM with an IPv6 address (the IPv6 forwarding sysctl is needed). */
bool fl_config_has_ipv6(const struct fl_config *cfg);

#endif
