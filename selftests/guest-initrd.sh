#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# guest-initrd.sh KVER DIR: build (if stale) and print the path of a tiny
# busybox initramfs for KVER. Its /init loads the virtio-9p modules, mounts
# the host's / read-only and the work tree read-write, puts tmpfs where the
# guest must write, and switch_roots into the host's root to run
# selftests/guest-init.sh there.
set -eu

kver=$1
dir=$2
top=$(cd "$(dirname "$0")/.." && pwd)
out=$dir/initrd-$kver.cpio.gz
busybox=/bin/busybox

[ -x "$busybox" ] && "$busybox" --list | grep -qx switch_root ||
	{ echo "guest-initrd.sh: no static busybox: run 'make deps' (installs busybox-static)" >&2; exit 1; }

# Rebuild when this script or the kernel changed.
if [ -f "$out" ] && [ "$out" -nt "$0" ] && [ "$out" -nt "/lib/modules/$kver/modules.dep" ]; then
	echo "$out"
	exit 0
fi

mkdir -p "$dir"
stage=$(mktemp -d "$dir/initrd.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,newroot,modules}
cp "$busybox" "$stage/bin/busybox"

# Load order from modprobe's own dependency resolution, duplicates dropped.
for m in virtio_pci 9pnet_virtio 9p; do
	modprobe -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
done | awk '!seen[$0]++' | while read -r ko; do
	cp "$ko" "$stage/modules/"
	echo "/modules/$(basename "$ko")" >> "$stage/modules.list"
done

cat > "$stage/init" <<'INIT'
#!/bin/busybox sh
bb=/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t devtmpfs dev /dev
for m in $($bb cat /modules.list); do $bb insmod "$m" || exit 1; done
# Kernel command line: flwork= (work tree path), flrun= (run directory).
for arg in $($bb cat /proc/cmdline); do
	case "$arg" in flwork=*) work=${arg#flwork=} ;; flrun=*) run=${arg#flrun=} ;; esac
done
opts=trans=virtio,version=9p2000.L,msize=512000
$bb mount -t 9p -o "$opts,ro,cache=loose" hostroot /newroot || exit 1
for d in /tmp /run /var/tmp /var/lib/dkms /dev/shm; do
	$bb mount -t tmpfs -o mode=1777 tmpfs "/newroot$d" 2>/dev/null
done
# The work tree may live under a directory the guest just covered with
# tmpfs (a clone in /tmp): then its mount point is made in that tmpfs.
$bb mkdir -p "/newroot$work" 2>/dev/null
$bb mount -t 9p -o "$opts,cache=none" work "/newroot$work" || exit 1
$bb mount --move /proc /newroot/proc
$bb mount --move /sys /newroot/sys
$bb mount --move /dev /newroot/dev
exec $bb switch_root /newroot /bin/bash "$work/selftests/guest-init.sh" "$work" "$run"
INIT
chmod +x "$stage/init"

(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
