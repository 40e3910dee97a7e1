#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# guest-initrd.sh KVER DIR: build (if stale) and print the path of a tiny
# busybox initramfs for KVER. Its /init loads the virtio-9p modules, mounts
# the host's / read-only and the work tree read-write, puts tmpfs where the
# guest must write, and switch_roots into the host's root to run
# selftests/guest-init.sh there. For a kernel whose modules live in a build
# root (7.3, scripts/kernels.sh), guest.sh shares that modules directory as
# "kmods" and adds flkmods=1 to the command line: /init then mounts it at
# /lib/modules/KVER on a tmpfs, the host's / staying read-only.
set -eu

kver=$1
dir=$2
top=$(cd "$(dirname "$0")/.." && pwd)
out=$dir/initrd-$kver.cpio.gz
busybox=/bin/busybox
kroot=$("$top/scripts/kernels.sh" root "$kver")
moddir=$("$top/scripts/kernels.sh" moddir "$kver")

[ -x "$busybox" ] && "$busybox" --list | grep -qx switch_root ||
	{ echo "guest-initrd.sh: no static busybox: run 'make deps' (installs busybox-static)" >&2; exit 1; }

# Rebuild when this script or the kernel changed.
if [ -f "$out" ] && [ "$out" -nt "$0" ] && [ "$out" -nt "$moddir/modules.dep" ]; then
	echo "$out"
	exit 0
fi

mkdir -p "$dir"
stage=$(mktemp -d "$dir/initrd.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,newroot,modules}
cp "$busybox" "$stage/bin/busybox"

# Load order from modprobe's own dependency resolution (in the kernel's
# build root, if it has one), duplicates dropped; a kernel that has them
# built in (6.12's kvm_guest.config, so its debug build) needs none.
# busybox insmod takes plain .ko files only: compressed ones (Debian's 6.12
# and 7.3) are decompressed here.
: > "$stage/modules.list"
for m in virtio_pci 9pnet_virtio 9p; do
	modprobe ${kroot:+-d "$kroot"} -S "$kver" --show-depends "$m" ||
		{ echo "guest-initrd.sh: no module $m (nor built in) for $kver in $moddir" >&2; exit 1; }
done > "$stage/deps"
awk '$1 == "insmod" && !seen[$2]++ { print $2 }' "$stage/deps" | while read -r ko; do
	name=$(basename "$ko")
	case "$ko" in
	*.ko.xz) name=${name%.xz}; xz -dc "$ko" > "$stage/modules/$name" ;;
	*.ko.zst) name=${name%.zst}; zstd -qdc "$ko" > "$stage/modules/$name" ;;
	*.ko.gz) name=${name%.gz}; gzip -dc "$ko" > "$stage/modules/$name" ;;
	*) cp "$ko" "$stage/modules/" ;;
	esac
	echo "/modules/$name" >> "$stage/modules.list"
done
rm "$stage/deps"

cat > "$stage/init" <<'INIT'
#!/bin/busybox sh
bb=/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t devtmpfs dev /dev
# Under TCG guest.sh boots the other CPUs offline (maxcpus=1): bring them up
# now, once the boot's own code patching is over.
for f in /sys/devices/system/cpu/cpu*/online; do
	[ "$($bb cat "$f")" = 1 ] || echo 1 > "$f" || exit 1
done
for m in $($bb cat /modules.list); do $bb insmod "$m" || exit 1; done
# Kernel command line: flwork= (work tree path), flrun= (run directory),
# flkmods=1 (this kernel's modules come in the "kmods" share).
kmods=0
for arg in $($bb cat /proc/cmdline); do
	case "$arg" in
	flwork=*) work=${arg#flwork=} ;;
	flrun=*) run=${arg#flrun=} ;;
	flkmods=1) kmods=1 ;;
	esac
done
opts=trans=virtio,version=9p2000.L,msize=512000
$bb mount -t 9p -o "$opts,ro,cache=loose" hostroot /newroot || exit 1
if [ "$kmods" = 1 ]; then
	kver=$($bb uname -r)
	$bb mount -t tmpfs -o mode=0755 tmpfs /newroot/lib/modules || exit 1
	$bb mkdir "/newroot/lib/modules/$kver"
	$bb mount -t 9p -o "$opts,ro,cache=loose" kmods "/newroot/lib/modules/$kver" || exit 1
fi
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
