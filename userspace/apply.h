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
/* Default policy and tag mask, devices, tags; then flushes the offloaded
 * flows of @flush (addresses whose rules changed). What the module had
 * before goes to *@before (always set, free it with
 * fl_module_before_free()), for fl_module_restore() after a later failure.
 * 0, or -1 after printing the error.
 */
struct fl_module_before;
int fl_module_apply(const struct fl_config *cfg, const struct fl_flush_addr *flush,
		    size_t n_flush, bool verbose, struct fl_module_before **before);
/* Puts the module's policy, devices and tags back as @before has them
 * (flushed flows come back through the slow path). 0, or -1 after printing
 * the error.
 */
int fl_module_restore(const struct fl_module_before *before);
void fl_module_before_free(struct fl_module_before *before);

/* apply_devices.c: the module's devices and followed names as @cfg wants
 * them (see there); what the module had goes to *@before (if not NULL),
 * for fl_restore_devices(). 0, or -1 after printing the error.
 */
struct fl_nl;
struct fl_devs;
int fl_apply_devices(struct fl_nl *nl, const struct fl_config *cfg, bool verbose,
		     struct fl_devs **before);
int fl_restore_devices(struct fl_nl *nl, const struct fl_devs *before);
void fl_devs_free(struct fl_devs *devs);

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
