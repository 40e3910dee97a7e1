/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FLOWLANE_VERSION_H
#define _FLOWLANE_VERSION_H

/* The one place the version is written; Makefile, dkms.conf and the tool
 * read it from here (selftests/unit/versions.sh checks they agree).
 */
#define FLOWLANE_VERSION "0.1.0"

#endif /* _FLOWLANE_VERSION_H */
