// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the apply document's parser (config.c): a valid document
 * becomes the expected model, and every class of bad input is refused with
 * the exact message, which starts with the JSON path of the bad value.
 */
#include <arpa/inet.h>
#include <stdlib.h>

#include "config.h"
#include "delta.h"
#include "tap.h"

/* A VM wrapper: most cases put one bad value into an otherwise fine VM. */
#define VM(...) "{\"vms\": [{\"name\": \"a\", \"ipv4\": \"10.0.0.2\"}, {" __VA_ARGS__ "}]}"

static void refused(const char *doc, const char *want)
{
	char err[FL_ERR_MAX] = "";
	struct fl_config *cfg = fl_config_parse(doc, "t.json", err);

	tap_ok(cfg == NULL, "refused: %s", want);
	tap_streq(err, want, "message: %s", want);
	fl_config_free(cfg);
}

static void test_bad_input(void)
{
	/* syntax */
	refused("{\"vms\": [", "t.json:1:9: ']' expected near end of file");
	refused("{\"vms\": [], \"vms\": []}",
		"t.json:1:17: duplicate object key near '\"vms\"'");
	refused("[]", "expected a JSON object at the top, got an array");
	/* unknown keys */
	refused("{\"vm\": []}",
		"vm: unknown key (known: fastpath, tag_mask, tags, uplinks, conntrack_max, "
		"vms, notrack, services)");
	refused(VM("\"name\": \"b\", \"ipv4\": \"10.0.0.3\", \"mtu\": 1500"),
		"vms[1].mtu: unknown key (known: name, tag, interfaces, ipv4, ipv6, "
		"public_ipv4, masquerade, firewall, outbound)");
	refused(VM("\"name\": \"b\", \"ipv4\": \"10.0.0.3\", \"firewall\": "
		   "[{\"proto\": \"tcp\", \"ports\": 22}]"),
		"vms[1].firewall[0].ports: unknown key (known: proto, port, source)");
	/* wrong types */
	refused("{\"vms\": {}}", "vms: expected an array, got an object");
	refused(VM("\"name\": 7, \"ipv4\": \"10.0.0.3\""),
		"vms[1].name: expected a string, got an integer");
	refused(VM("\"name\": \"b\", \"ipv4\": \"10.0.0.3\", \"masquerade\": \"yes\""),
		"vms[1].masquerade: expected true or false, got a string");
	refused("{\"fastpath\": {\"threshold\": -1}}",
		"fastpath.threshold: -1 is out of range (0-4294967295)");
	refused("{\"fastpath\": {\"devices\": [\"eth0\", 3]}}",
		"fastpath.devices[1]: expected an interface name, got an integer");
	/* missing keys */
	refused("{\"vms\": [{\"ipv4\": \"10.0.0.3\"}]}", "vms[0]: missing key 'name'");
	refused("{\"vms\": [{\"name\": \"b\"}]}", "vms[0]: a VM needs 'ipv4' or 'ipv6'");
	refused("{\"tags\": [{\"name\": \"web\"}]}", "tags[0]: missing key 'id'");
	/* bad values */
	refused(VM("\"name\": \"b\", \"ipv4\": \"10.0.0.3\", \"firewall\": "
		   "[{\"proto\": \"tcp\", \"port\": 70000}]"),
		"vms[1].firewall[0].port: 70000 is not a port");
	refused(VM("\"name\": \"b\", \"ipv4\": \"10.0.0.3\", \"firewall\": "
		   "[{\"proto\": \"udp\", \"port\": \"9000-8000\"}]"),
		"vms[1].firewall[0].port: '9000-8000' is an empty range");
	refused(VM("\"name\": \"b\", \"ipv4\": \"10.0.0.3\", \"firewall\": "
		   "[{\"proto\": \"udp\", \"port\": \"80-http\"}]"),
		"vms[1].firewall[0].port: '80-http' is not a port or a range \"LOW-HIGH\"");
	refused(VM("\"name\": \"b\", \"ipv4\": \"10.0.0.3\", \"firewall\": "
		   "[{\"proto\": \"sctp\"}]"),
		"vms[1].firewall[0].proto: 'sctp' is not a protocol (tcp, udp or icmp)");
	refused(VM("\"name\": \"b\", \"ipv4\": \"10.0.0.3\", \"firewall\": "
		   "[{\"proto\": \"icmp\", \"port\": 8}]"),
		"vms[1].firewall[0].port: icmp has no ports");
	refused(VM("\"name\": \"b\", \"ipv4\": \"10.0.0.300\""),
		"vms[1].ipv4: '10.0.0.300' is not an IPv4 address");
	refused(VM("\"name\": \"b\", \"ipv6\": \"fd00::g\""),
		"vms[1].ipv6: 'fd00::g' is not an IPv6 address");
	refused(VM("\"name\": \"b\", \"ipv4\": \"10.0.0.3\", \"firewall\": "
		   "[{\"proto\": \"tcp\", \"source\": \"10.1.2.3/8\"}]"),
		"vms[1].firewall[0].source: '10.1.2.3/8' has host bits set");
	refused(VM("\"name\": \"b\", \"ipv4\": \"10.0.0.3\", \"firewall\": "
		   "[{\"proto\": \"tcp\", \"source\": \"10.0.0.0/33\"}]"),
		"vms[1].firewall[0].source: '10.0.0.0/33' has a bad prefix length");
	refused(VM("\"name\": \"b c\", \"ipv4\": \"10.0.0.3\""),
		"vms[1].name: 'b c' may hold only letters, digits, '-', '_' and '.'");
	refused(VM("\"name\": \"b\", \"ipv4\": \"10.0.0.3\", \"outbound\": \"reject\""),
		"vms[1].outbound: 'reject' is not a policy (accept or drop)");
	refused(VM("\"name\": \"b\", \"ipv4\": \"10.0.0.3\", \"interfaces\": "
		   "[\"a-very-long-interface-name\"]"),
		"vms[1].interfaces[0]: 'a-very-long-interface-name' is not an interface name");
	refused("{\"tag_mask\": \"0xf0f0\"}", "tag_mask: 0xf0f0 is not a contiguous mask");
	refused("{\"tag_mask\": \"0xff00\", \"tags\": [{\"name\": \"t\", \"id\": 256}]}",
		"tags[0].id: 256 is not a tag id (1-255 under tag_mask 0xff00)");
	refused("{\"tags\": [{\"name\": \"a-name-too-long-for-a-tag\", \"id\": 1}]}",
		"tags[0].name: 'a-name-too-long-for-a-tag' must be 1 to 15 characters");
	refused("{\"tags\": [{\"name\": \"t\", \"id\": 1, \"timeout\": 90000}]}",
		"tags[0].timeout: 90000 is out of range (0-86400)");
	/* duplicates and overlaps */
	refused(VM("\"name\": \"a\", \"ipv4\": \"10.0.0.3\""),
		"vms[1].name: 'a' is already the name of vms[0]");
	refused(VM("\"name\": \"b\", \"ipv4\": \"10.0.0.2\""),
		"vms[1].ipv4: 10.0.0.2 is already the address of vms[0]");
	refused("{\"uplinks\": [\"eth0\"], \"vms\": ["
		"{\"name\": \"a\", \"ipv4\": \"10.0.0.2\", \"public_ipv4\": \"203.0.113.1\"},"
		"{\"name\": \"b\", \"ipv4\": \"10.0.0.3\", \"public_ipv4\": \"203.0.113.1\"}]}",
		"vms[1].public_ipv4: 203.0.113.1 is already the public address of vms[0]");
	refused("{\"uplinks\": [\"eth0\"], \"vms\": ["
		"{\"name\": \"a\", \"ipv4\": \"100.64.0.2\"},"
		"{\"name\": \"b\", \"ipv4\": \"10.0.0.3\", \"public_ipv4\": \"100.64.0.2\"}]}",
		"vms[1].public_ipv4: 100.64.0.2 is the private address of vms[0]");
	refused(VM("\"name\": \"b\", \"ipv4\": \"10.0.0.3\", \"public_ipv4\": \"203.0.113.1\""),
		"vms[1].public_ipv4: 1:1 NAT needs 'uplinks' (the interfaces towards the "
		"public network)");
	refused("{\"vms\": [{\"name\": \"a\", \"ipv4\": \"10.0.0.2\", \"interfaces\": [\"t1\"]},"
		"{\"name\": \"b\", \"ipv4\": \"10.0.0.3\", \"interfaces\": [\"t1\"]}]}",
		"vms[1].interfaces[0]: 't1' is already an interface of vms[0]");
	refused("{\"uplinks\": [\"eth0\", \"eth0\"]}", "uplinks[1]: 'eth0' is listed twice");
	refused("{\"tags\": [{\"name\": \"a\", \"id\": 1}, {\"name\": \"b\", \"id\": 1}]}",
		"tags[1].id: 1 is already the id of tags[0]");
	refused("{\"notrack\": [{\"proto\": \"tcp\", \"port\": \"80-90\"},"
		"{\"proto\": \"tcp\", \"port\": 85, \"address\": \"203.0.113.1\"}]}",
		"notrack[1]: overlaps notrack[0] (same protocol, ports and addresses)");
	/* references */
	refused(VM("\"name\": \"b\", \"ipv4\": \"10.0.0.3\", \"tag\": \"gold\""),
		"vms[1].tag: no tag named 'gold' in 'tags'");
	/* services */
	refused("{\"services\": [{\"name\": \"s\", \"address\": \"203.0.113.9\", "
		"\"proto\": \"tcp\", \"port\": 80, \"backends\": []}]}",
		"services[0].backends: a service needs at least one backend");
	refused("{\"services\": [{\"name\": \"s\", \"address\": \"203.0.113.9\", "
		"\"proto\": \"tcp\", \"port\": 80, \"scheduler\": \"wrr\", \"backends\": "
		"[{\"address\": \"10.0.0.2\", \"port\": 80}]}]}",
		"services[0].scheduler: 'wrr' is not a scheduler (hash, symhash, round-robin or rr, weight)");
	refused("{\"vms\": [{\"name\": \"a\", \"ipv4\": \"10.0.0.2\"}], \"services\": ["
		"{\"name\": \"s\", \"address\": \"10.0.0.2\", \"proto\": \"tcp\", \"port\": 80, "
		"\"backends\": [{\"address\": \"10.0.0.2\", \"port\": 8080}]}]}",
		"services[0].address: 10.0.0.2 is an address of vms[0]");
}

static void test_model(void)
{
	const char *doc =
		"{\"fastpath\": {\"devices\": [\"eth0\"], \"threshold\": 20},"
		" \"tag_mask\": \"0xff0000\","
		" \"tags\": [{\"name\": \"web\", \"id\": 10}, {\"name\": \"bulk\", \"id\": 3,"
		"   \"offload\": false, \"threshold\": 5, \"max_flows\": 100, \"timeout\": 30}],"
		" \"uplinks\": [\"eth0\"],"
		" \"vms\": [{\"name\": \"web1\", \"tag\": \"web\", \"ipv4\": \"10.0.0.2\","
		"   \"ipv6\": \"fd00::2\", \"public_ipv4\": \"203.0.113.10\","
		"   \"firewall\": [{\"proto\": \"tcp\", \"port\": \"8000-8100\","
		"   \"source\": \"198.51.100.0/24\"}, {\"proto\": \"icmp\"}]},"
		"  {\"name\": \"db1\", \"ipv4\": \"10.0.0.3\", \"outbound\": \"drop\"}],"
		" \"notrack\": [{\"proto\": \"udp\", \"port\": 53}]}";
	char err[FL_ERR_MAX] = "";
	struct fl_config *cfg = fl_config_parse(doc, "t.json", err);
	const struct fl_vm *vm;

	tap_ok(cfg != NULL, "valid document accepted (%s)", err);
	if (!cfg)
		return;
	vm = &cfg->vms[0];
	tap_ok(cfg->n_vms == 2 && cfg->n_tags == 2 && cfg->n_notrack == 1,
	       "counts: 2 VMs, 2 tags, 1 notrack");
	tap_ok(cfg->threshold == 20 && cfg->tags[0].threshold == 20 &&
	       cfg->tags[1].threshold == 5, "a tag inherits the default threshold");
	tap_ok(!cfg->tags[1].offload && cfg->tags[1].max_flows == 100 &&
	       cfg->tags[1].timeout == 30, "tag policy fields");
	tap_ok(vm->tag == &cfg->tags[0], "VM tag resolved");
	tap_ok(fl_config_mark(cfg, vm->tag) == 10u << 16,
	       "tag id shifted under the mask (0x%x)", fl_config_mark(cfg, vm->tag));
	tap_ok(vm->has_public && !vm->masquerade && cfg->vms[1].masquerade,
	       "1:1 NAT VM not masqueraded, the other one is");
	tap_ok(vm->n_firewall == 2 && vm->firewall[0].ports.lo == 8000 &&
	       vm->firewall[0].ports.hi == 8100 && vm->firewall[0].source.len == 24,
	       "port range and source prefix");
	tap_ok(!vm->firewall[1].has_ports && vm->firewall[1].proto == FL_PROTO_ICMP,
	       "icmp rule without ports");
	tap_ok(!cfg->vms[1].outbound_accept && vm->outbound_accept, "outbound policies");
	tap_ok(cfg->notrack[0].ports.lo == 53 && !cfg->notrack[0].has_address,
	       "notrack on any address");
	tap_ok(fl_config_has_ipv6(cfg), "has IPv6");
	fl_config_free(cfg);
}

static void test_hash_follows_firewall(void)
{
	const char *a = "{\"vms\": [{\"name\": \"v\", \"ipv4\": \"10.0.0.2\", \"firewall\": "
			"[{\"proto\": \"tcp\", \"port\": 22}]}]}";
	const char *b = "{\"vms\": [{\"name\": \"v\", \"ipv4\": \"10.0.0.9\", \"firewall\": "
			"[{\"proto\": \"tcp\", \"port\": 22}]}]}";
	const char *c = "{\"vms\": [{\"name\": \"v\", \"ipv4\": \"10.0.0.2\", \"firewall\": "
			"[{\"proto\": \"tcp\", \"port\": 23}]}]}";
	char err[FL_ERR_MAX];
	struct fl_config *ca = fl_config_parse(a, "a", err), *cb = fl_config_parse(b, "b", err),
			 *cc = fl_config_parse(c, "c", err);

	tap_ok(ca && cb && cc, "three small documents parse");
	if (ca && cb && cc) {
		tap_ok(ca->vms[0].fw_hash == cb->vms[0].fw_hash,
		       "same firewall, same chain name");
		tap_ok(ca->vms[0].fw_hash != cc->vms[0].fw_hash,
		       "changed firewall, new chain name");
	}
	fl_config_free(ca);
	fl_config_free(cb);
	fl_config_free(cc);
}

/* The VM slices docsplit.c finds, joined by '|', or "refused". */
static void split_as(const char *doc, const char *want)
{
	struct fl_doc_split d;
	char got[512] = "";
	size_t i;

	if (fl_doc_split(doc, strlen(doc), &d)) {
		snprintf(got, sizeof(got), "refused");
	} else {
		for (i = 0; i < d.n_vms; i++)
			snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%.*s",
				 i ? "|" : "", (int)d.vms[i].len, doc + d.vms[i].off);
		snprintf(got + strlen(got), sizeof(got) - strlen(got), " frame=%.*s%.*s",
			 (int)(d.pre_len - d.start), doc + d.start,
			 (int)(d.end - d.suf_off), doc + d.suf_off);
	}
	tap_streq(got, want, "document cut into VMs: %s", want);
	fl_doc_split_free(&d);
}

static void test_split(void)
{
	split_as("{\"vms\": [{\"a\": 1}, {\"b\": [\"]}\\\"{\"]}]} \t",
		 "{\"a\": 1}|{\"b\": [\"]}\\\"{\"]} frame={\"vms\": []}");
	split_as("  {\"tags\": [{\"vms\": [1]}], \"vms\":[ {} ] , \"x\": \"vms\"} ",
		 "{} frame={\"tags\": [{\"vms\": [1]}], \"vms\":[] , \"x\": \"vms\"}");
	split_as("{\"uplinks\": []}", " frame={\"uplinks\": []}");
	split_as("{\"vms\": []}", " frame={\"vms\": []}");
	split_as("{\"vms\": [1, true, \"s\"]}", "1|true|\"s\" frame={\"vms\": []}");
	split_as("{\"vms\": [], \"vms\": []}", "refused");
	split_as("{\"vms\": [{}] x", "refused");
	split_as("{\"vms\": [{},]}", "refused");
	split_as("{\"vms\": [{}}", "refused");
	split_as("{\"vms\": [\"a\nb\"]}", "refused");
	split_as("[]", "refused");
}

/* A frame (apply's incremental path: the document without its VMs) skips
 * only the check that each backend is a VM's address; the full parse of
 * the same text still makes it.
 */
#define SVC(name, backend) "{\"name\": \"" name "\", \"address\": \"203.0.113.9\", " \
	"\"proto\": \"tcp\", \"port\": 80, \"backends\": [{\"address\": \"" backend "\", " \
	"\"port\": 8080}]}"

static void frame_as(const char *doc, const char *want)
{
	char err[FL_ERR_MAX] = "";
	struct fl_config *cfg = fl_config_parse_frame(doc, strlen(doc), "t.json", err);

	tap_streq(cfg ? "accepted" : err, want, "frame: %s", want);
	fl_config_free(cfg);
}

static void test_frame(void)
{
	const char *lone = "{\"vms\": [], \"services\": [" SVC("s", "10.0.0.2") "]}";
	const char *lone6 = "{\"vms\": [], \"services\": [" SVC("s", "fd00::2") "]}";

	frame_as(lone, "accepted");
	refused(lone, "services[0].backends[0].address: 10.0.0.2 is no VM's 'ipv4': a backend "
		"is a VM of this document (add the VM, or remove the backend)");
	frame_as(lone6, "services[0].backends[0].address: fd00::2 is an IPv6 address and "
		 "service 's' (203.0.113.9) is IPv4: a service's backends are of its address's "
		 "family (give the backend VM's 'ipv4', or make a service of its own for it)");
	frame_as("{\"vms\": [], \"services\": [" SVC("s", "10.0.0.2") ", " SVC("s", "10.0.0.3")
		 "]}", "services[1].name: 's' is already the name of services[0]");
	frame_as("{\"vms\": [], \"services\": [" SVC("s", "10.0.0.2") ", " SVC("t", "10.0.0.3")
		 "]}", "services[1]: 203.0.113.9 tcp port 80 is already services[0]");
}

/* The values a VM's fields take in test_check_paths(): few enough to try
 * every combination, chosen so that each can collide with the other VM's or
 * the service's (10.0.0.1 and 192.0.2.1 are VM 0's addresses).
 */
static const char *const cp_names[] = { "a", "b" };
static const char *const cp_ipv4[] = { NULL, "10.0.0.1", "192.0.2.1", "10.0.0.2",
				       "10.0.0.3 10.0.0.2" };
static const char *const cp_ipv6[] = { NULL, "fd00::1/128", "fd00::2/128", "fd00::/64",
				       "fd00:0:0:1::/64" };
static const char *const cp_public[] = { NULL, "192.0.2.1", "10.0.0.1", "10.0.0.2", "192.0.2.2" };
static char cp_ifaces[][IFNAMSIZ] = { "tap0", "tap1", "tap0" };
static const struct { size_t off, n; } cp_iface_sets[] = { { 0, 0 }, { 0, 1 }, { 1, 1 }, { 1, 2 } };
/* IPv6 services too: VM 0's /128, inside another VM's /64, and free. */
static const char *const cp_service[] = { NULL, "10.0.0.1", "192.0.2.1", "10.0.0.2", "198.51.100.1",
					  "fd00::1", "fd00:0:0:1::5", "fd00::3" };
#define CP_SERVICES	(sizeof(cp_service) / sizeof(cp_service[0]))

/* VM @vm from combination @k of the values above; false if it is not a VM
 * the parser would make (no address, or a public address without ipv4).
 */
static bool cp_vm(struct fl_vm *vm, unsigned int k)
{
	const char *v4 = cp_ipv4[k % 5], *v6 = cp_ipv6[k / 5 % 5];
	const char *pub = cp_public[k / 25 % 5];
	unsigned int ifs = k / 125 % 4;
	char a[64], *sp;

	memset(vm, 0, sizeof(*vm));
	snprintf(vm->name, sizeof(vm->name), "%s", cp_names[k / 500 % 2]);
	snprintf(a, sizeof(a), "%s", v4 ? v4 : "");
	for (sp = strtok(a, " "); v4 && sp; sp = strtok(NULL, " "))
		vm->n_ipv4 += inet_pton(AF_INET, sp, &vm->ipv4[vm->n_ipv4]) == 1;
	vm->has_ipv4 = vm->n_ipv4;
	snprintf(a, sizeof(a), "%s", v6 ? v6 : "");
	sp = strchr(a, '/');
	if (sp) {
		*sp = '\0';
		vm->ipv6_len = atoi(sp + 1);
	}
	vm->has_ipv6 = v6 && inet_pton(AF_INET6, a, &vm->ipv6) == 1;
	vm->has_public = pub && inet_pton(AF_INET, pub, &vm->public_ipv4) == 1;
	vm->ifaces = cp_ifaces + cp_iface_sets[ifs].off;
	vm->n_ifaces = cp_iface_sets[ifs].n;
	return (vm->has_ipv4 || vm->has_ipv6) && (!vm->has_public || vm->has_ipv4);
}

#define CP_VMS	1000	/* 2 names x 5 ipv4 x 5 ipv6 x 5 public x 4 interface sets */

/* apply's incremental path checks only the changed VMs, against all others
 * (fl_config_check_changed(), with rules of its own); the full path checks
 * the whole document (fl_config_check()). For every pair of VMs drawn from
 * the values above, with and without uplinks and a service: whenever the
 * unchanged VM passes the checks alone, both paths must give the same
 * verdict on the document with the changed one added. A rule added to one
 * path only fails here.
 */
static void test_check_paths(void)
{
	char err[FL_ERR_MAX], first[256] = "";
	unsigned int a, b, svc, up, tried = 0, refused = 0, differ = 0;
	char uplink[1][IFNAMSIZ] = { "eth0" };
	struct fl_service service = { .name = "s", .proto = FL_PROTO_TCP, .port = 80 };
	struct fl_vm vms[2];
	struct fl_config cfg = { .vms = vms, .uplinks = uplink, .services = &service };

	for (up = 0; up < 2; up++)
	for (svc = 0; svc < CP_SERVICES; svc++)
	for (a = 0; a < CP_VMS; a++)
	for (b = 0; b < CP_VMS; b++) {
		const struct fl_vm *changed = &vms[1];
		int full, incremental;

		if (!cp_vm(&vms[0], a) || !cp_vm(&vms[1], b))
			continue;
		cfg.n_uplinks = up;
		cfg.n_services = cp_service[svc] != NULL;
		service.v6 = cfg.n_services && strchr(cp_service[svc], ':');
		if (cfg.n_services)
			inet_pton(service.v6 ? AF_INET6 : AF_INET, cp_service[svc],
				  service.v6 ? (void *)&service.addr6 : (void *)&service.addr);
		cfg.n_vms = 1;		/* the applied document */
		if (fl_config_check(&cfg, err))
			continue;
		cfg.n_vms = 2;
		tried++;
		full = fl_config_check(&cfg, err) != 0;
		incremental = fl_config_check_changed(&cfg, &changed, 1, NULL, 0, err) != 0;
		refused += full;
		if (full != incremental && !differ++)
			snprintf(first, sizeof(first),
				 "VMs %u and %u, service %u, uplinks %u: full %d, incremental %d",
				 a, b, svc, up, full, incremental);
	}
	tap_ok(tried > 100000 && refused > tried / 4,
	       "both check paths tried on %u documents, %u of them refused", tried, refused);
	tap_ok(!differ, "the incremental check refuses exactly what the full one does "
	       "(%u differ%s%s)", differ, differ ? ", first: " : "", first);
}

/* Backends the changes take away or keep: VM 0's IPv4 and IPv6 addresses,
 * inside a /64 of the values above, and no VM's.
 */
static const char *const cb_backend[] = { "10.0.0.1", "10.0.0.2", "10.0.0.3", "192.0.2.1",
					  "fd00::1", "fd00::2", "fd00:0:0:1::5", "fd00::7" };
#define CB_BACKENDS	(sizeof(cb_backend) / sizeof(cb_backend[0]))
#define CB_VMS		25	/* cp_vm()'s 5 ipv4 x 5 ipv6, no public address, no interface */

/* The applied document is VMs 0 and 1 and a service with one backend; VM 1
 * is then removed (new == CB_VMS) or changed into another: the service's
 * backend may have been VM 1's. Whenever the applied document passes the
 * checks, both paths must give the same verdict on the new one.
 */
static void test_backend_paths(void)
{
	char err[FL_ERR_MAX], first[256] = "";
	unsigned int a, o, n, be, tried = 0, refused = 0, differ = 0;
	struct fl_backend backend = { .port = 8080, .weight = 1 };
	struct fl_service service = { .name = "s", .proto = FL_PROTO_TCP, .port = 80,
				      .backends = &backend, .n_backends = 1 };
	struct fl_vm vms[2], old;
	struct fl_config cfg = { .vms = vms, .services = &service, .n_services = 1 };

	for (be = 0; be < CB_BACKENDS; be++)
	for (a = 0; a < CB_VMS; a++)
	for (o = 0; o < CB_VMS; o++)
	for (n = 0; n <= CB_VMS; n++) {
		const struct fl_vm *changed = &vms[1];
		int full, incremental;

		service.v6 = strchr(cb_backend[be], ':') != NULL;
		inet_pton(service.v6 ? AF_INET6 : AF_INET, service.v6 ? "fd09::1" : "198.51.100.1",
			  service.v6 ? (void *)&service.addr6 : (void *)&service.addr);
		inet_pton(service.v6 ? AF_INET6 : AF_INET, cb_backend[be],
			  service.v6 ? (void *)&backend.addr6 : (void *)&backend.addr);
		if (!cp_vm(&vms[0], a) || !cp_vm(&old, o) || (n < CB_VMS && !cp_vm(&vms[1], n)))
			continue;
		snprintf(old.name, sizeof(old.name), "b");
		vms[1] = old;		/* the applied document */
		cfg.n_vms = 2;
		if (fl_config_check(&cfg, err))
			continue;
		cfg.n_vms = 1 + (n < CB_VMS);	/* VM 1 removed, or changed into "c" */
		if (n < CB_VMS) {
			cp_vm(&vms[1], n);
			snprintf(vms[1].name, sizeof(vms[1].name), "c");
		}
		tried++;
		full = fl_config_check(&cfg, err) != 0;
		incremental = fl_config_check_changed(&cfg, &changed, cfg.n_vms - 1, &old, 1,
						      err) != 0;
		refused += full;
		if (full != incremental && !differ++)
			snprintf(first, sizeof(first),
				 "VMs %u, %u -> %u, backend %s: full %d, incremental %d",
				 a, o, n, cb_backend[be], full, incremental);
	}
	tap_ok(tried > 10000 && refused > tried / 10,
	       "removed or changed backends: both paths tried on %u documents, %u of them "
	       "refused", tried, refused);
	tap_ok(!differ, "the incremental check refuses exactly the removed backends the full "
	       "one does (%u differ%s%s)", differ, differ ? ", first: " : "", first);
}

int main(void)
{
	/* Every check below; update it with them. */
	tap_plan(122);
	test_bad_input();
	test_model();
	test_hash_follows_firewall();
	test_split();
	test_frame();
	test_check_paths();
	test_backend_paths();
	return tap_done();
}
