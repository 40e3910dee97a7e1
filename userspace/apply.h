/* SPDX-License-Identifier: GPL-2.0 */
/* What `apply` does beyond nftables: the module's side and the sysctls. */
#ifndef FLOWLANE_APPLY_H
#define FLOWLANE_APPLY_H

#include <stdbool.h>
#include <stdio.h>

#include "tool.h"
#include "config.h"
#include "ruleset.h"

/* apply_module.c: the flowlane genl family is registered. */
bool fl_module_present(void);
/* This build knows the module's tag, policy, device and flush commands. */
bool fl_module_api(void);
/* Devices, default policy and tag mask, tags; then flushes the offloaded
 * flows of @flush (addresses whose rules changed). 0, or -1 after printing
 * the error.
 */
int fl_module_apply(const struct fl_config *cfg, const struct fl_flush_addr *flush,
		    size_t n_flush, bool verbose);

/* apply_devices.c: the module's devices and followed names as @cfg wants
 * them (see there). 0, or -1 after printing the error.
 */
struct fl_nl;
int fl_apply_devices(struct fl_nl *nl, const struct fl_config *cfg, bool verbose);

/* sysctl.c: the sysctls the document needs. FL_SYSCTL_WRITE sets those
 * that differ and reports each change on @f; FL_SYSCTL_SHOW reports what it
 * would set; FL_SYSCTL_PROBE checks, before anything is committed, that
 * those that differ can be written here. 0, or -1 after printing the error.
 */
enum fl_sysctl_mode { FL_SYSCTL_SHOW, FL_SYSCTL_PROBE, FL_SYSCTL_WRITE };

int fl_sysctl_plan(const struct fl_config *cfg, FILE *f, enum fl_sysctl_mode mode);
/* FL_SYSCTL_PROBE, its refusal naming @verb. */
int fl_sysctl_probe(const struct fl_config *cfg, const char *verb);

int cmd_apply(int argc, char **argv, const struct fl_opts *opts);
int cmd_check(int argc, char **argv, const struct fl_opts *opts);
/* backend.c: one backend's state, written to the document and applied. */
int cmd_backend(int argc, char **argv, const struct fl_opts *opts);
int cmd_diff(int argc, char **argv, const struct fl_opts *opts);
int cmd_show_config(int argc, char **argv, const struct fl_opts *opts);

#endif
