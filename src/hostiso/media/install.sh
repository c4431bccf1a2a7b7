#!/bin/sh
# hostiso unattended install, run once by systemd (systemd.run= on the installer
# ISO's kernel command line) after the live system has booted.
#
#   install.sh MEDIA   MEDIA: where the installer ISO is mounted (the command on
#                      the kernel command line mounts /dev/disk/by-label/LABEL)
#
# It reads MEDIA/hostiso/index, works out which host this machine is (its MACs,
# its DMI serial and UUID), and installs that host's config with the image on
# the ISO.  It never loops and never overwrites data it was not told to:
#   - no host or several hosts match: print the machine's identifiers, touch no
#     disk, start the live system's console login;
#   - the disk already holds this host's config: write nothing, power off;
#   - the disk holds partitions or a filesystem and install.wipe is not true:
#     touch it not, start the console login;
#   - the image's SHA-512 is not the one recorded when the ISO was made: same.
# Everything it prints goes to the console, the journal, /run/hostiso/install.log
# and, once installed, hostiso-install.log on the target's OEM partition.
set -eu
umask 077

MEDIA=${1:?usage: install.sh MEDIA-DIRECTORY}
DATA=$MEDIA/hostiso
RUN=/run/hostiso
LOG=$RUN/install.log
WAIT_DEVICE=60 # seconds for the target disk to appear
STEP=start
TOUCHED=no # yes once anything may have been written to the target disk
DONE=no

say() { printf 'hostiso: %s\n' "$*"; }

start_log() {
    mkdir -p "$RUN" "$RUN/oem"
    rm -f "$RUN/log.fifo"
    mkfifo "$RUN/log.fifo"
    tee -a "$LOG" <"$RUN/log.fifo" &
    TEE=$!
    exec 3>&1 >"$RUN/log.fifo" 2>&1
}

stop_log() {
    exec 1>&3 2>&3
    wait "$TEE" 2>/dev/null || true
}

way_in() {
    say "$1"
    if [ "$TOUCHED" = no ]; then
        say "no disk was written"
    else
        say "the target disk may be partly written: install.wipe and a new boot will redo it"
    fi
    say "the log: /run/hostiso/install.log (and journalctl -u kernel-command-line)"
    say "starting the live system's console login (multi-user.target)"
    stop_log
    systemctl --no-block isolate multi-user.target || true
}

on_exit() {
    status=$1
    [ "$DONE" = yes ] && return 0
    way_in "stopped at step '$STEP' (exit status $status)"
}

fail() {
    say "error: $*"
    exit 1
}

# --- the machine --------------------------------------------------------------

read_machine() {
    STEP=identify
    MACS=
    for f in /sys/class/net/*/address; do
        [ -r "$f" ] || continue
        mac=$(tr 'A-F' 'a-f' <"$f")
        case $mac in '' | 00:00:00:00:00:00) continue ;; esac
        case " $MACS " in *" $mac "*) ;; *) MACS="$MACS $mac" ;; esac
    done
    SERIAL=$(dmi product_serial)
    UUID=$(dmi product_uuid | tr 'A-F' 'a-f')
}

dmi() {
    if [ -r "/sys/class/dmi/id/$1" ]; then
        sed -e 's/[[:space:]]*$//' -e 's/^[[:space:]]*//' "/sys/class/dmi/id/$1"
    fi
}

show_machine() {
    say "this machine: MAC${MACS:- (none)}"
    say "this machine: serial '${SERIAL}' uuid '${UUID}'"
}

# --- which host ---------------------------------------------------------------

pick_host() {
    STEP=match
    MATCHED=
    HOSTS=
    while read -r kind stem value; do
        case $kind in
            host) HOSTS="$HOSTS $stem" ;;
            mac) case " $MACS " in *" $value "*) add_match "$stem" ;; esac ;;
            serial) [ -n "$SERIAL" ] && [ "$value" = "$SERIAL" ] && add_match "$stem" ;;
            uuid) [ -n "$UUID" ] && [ "$value" = "$UUID" ] && add_match "$stem" ;;
        esac
    done <"$DATA/index"
    set -- $MATCHED
    if [ $# -eq 0 ] && [ "$(count $HOSTS)" -eq 1 ] && ! has_ids $HOSTS; then
        set -- $HOSTS
        say "one host on this ISO and nothing to match: installing $1"
    fi
    if [ $# -ne 1 ]; then
        [ $# -eq 0 ] && fail "no host on this ISO matches this machine (hosts:$HOSTS)"
        fail "several hosts match this machine: $*; fix install.match"
    fi
    HOST=$1
    read_host "$HOST"
    say "this machine is $HOST"
}

add_match() {
    case " $MATCHED " in *" $1 "*) ;; *) MATCHED="$MATCHED $1" ;; esac
}

count() { echo $#; }

has_ids() {
    while read -r kind stem value; do
        [ "$stem" = "$1" ] || continue
        case $kind in mac | serial | uuid) return 0 ;; esac
    done <"$DATA/index"
    return 1
}

read_host() {
    while read -r kind stem wipe sum device; do
        [ "$kind" = host ] && [ "$stem" = "$1" ] || continue
        WIPE=$wipe
        SUM=$sum
        DEVICE=$device
        CONFIG=$DATA/configs/$1.ign
        return 0
    done <"$DATA/index"
    fail "$1 has no host line in the index"
}

# --- the disk -----------------------------------------------------------------

find_device() {
    STEP=disk
    i=0
    while [ ! -b "$DEVICE" ]; do
        [ $i -eq 0 ] && say "waiting up to $WAIT_DEVICE s for $DEVICE"
        i=$((i + 1))
        [ $i -le "$WAIT_DEVICE" ] || fail "$DEVICE (install.device of $HOST) does not exist"
        sleep 1
    done
    DISK=$(readlink -f "$DEVICE")
    NAME=${DISK##*/}
    [ -e "/sys/class/block/$NAME/partition" ] && fail "$DEVICE is a partition; install.device must name a whole disk"
    [ "$NAME" = "$(media_disk)" ] && fail "$DEVICE is the disk this installer booted from"
    say "target disk: $DEVICE ($DISK)"
}

media_disk() { # the whole disk holding MEDIA (a USB stick can hold the installer)
    dev=
    while read -r source target rest; do
        if [ "$target" = "$MEDIA" ]; then dev=$source; fi
    done </proc/mounts
    [ -n "$dev" ] || return 0
    dev=$(readlink -f "$dev")
    name=${dev##*/}
    if [ -e "/sys/class/block/$name/partition" ]; then
        name=$(readlink -f "/sys/class/block/$name/..")
        name=${name##*/}
    fi
    echo "$name"
}

partitions() {
    for p in /sys/class/block/"$NAME"/*/partition; do
        [ -e "$p" ] || continue
        p=${p%/partition}
        echo "/dev/${p##*/}"
    done
}

oem_partition() {
    for part in $(partitions); do
        if [ "$(blkid -p -o value -s LABEL "$part" 2>/dev/null)" = OEM ]; then
            echo "$part"
            return 0
        fi
    done
    return 1
}

mount_oem() { # $1: ro or rw
    part=$(oem_partition) || return 1
    opts=$1
    if [ "$1" = ro ]; then
        # Replaying a journal writes: a read-only look must not.
        case $(blkid -p -o value -s TYPE "$part" 2>/dev/null) in
            ext3 | ext4) opts=ro,noload ;;
            btrfs) opts=ro,nologreplay ;;
        esac
    fi
    mount -o "$opts" "$part" "$RUN/oem"
}

installed_sum() {
    for f in "$RUN/oem/config.ign" "$RUN/oem/coreos-install.json"; do
        if [ -f "$f" ]; then
            sha512sum <"$f" | cut -d' ' -f1
            return 0
        fi
    done
}

already_installed() {
    STEP=check-installed
    mount_oem ro 2>/dev/null || return 1
    found=$(installed_sum)
    umount "$RUN/oem"
    [ "$found" = "$SUM" ]
}

check_blank() {
    STEP=check-blank
    holds=$(blkid -p -o value -s PTTYPE "$DISK" 2>/dev/null || true)
    [ -n "$holds" ] || holds=$(blkid -p -o value -s TYPE "$DISK" 2>/dev/null || true)
    [ -n "$holds" ] || [ -z "$(partitions)" ] || holds=partitions
    [ -n "$holds" ] || return 0
    if [ "$WIPE" != 1 ]; then
        fail "$DEVICE is not blank (it holds: $holds) and install.wipe is not true for $HOST; nothing was written"
    fi
    say "$DEVICE holds $holds; install.wipe is true: it will be overwritten"
}

# --- the install --------------------------------------------------------------

check_image() {
    STEP=check-image
    IMAGE=
    [ -f "$DATA/image.sha512" ] || return 0
    name=$(cut -d' ' -f3- <"$DATA/image.sha512")
    IMAGE=$DATA/$name
    say "checking the SHA-512 of $name ($(du -k "$IMAGE" | cut -f1) KiB)"
    (cd "$DATA" && sha512sum -c image.sha512) || fail "$name on the ISO is damaged (SHA-512 mismatch); nothing was written"
}

run_installer() {
    STEP=install
    tool=$(command -v flatcar-install || command -v coreos-install || true)
    [ -n "$tool" ] || fail "neither flatcar-install nor coreos-install is on this live system"
    set -- -d "$DISK" -i "$CONFIG"
    [ -z "$IMAGE" ] || set -- "$@" -f "$IMAGE"
    say "running ${tool##*/} $*"
    TOUCHED=yes
    "$tool" "$@" || fail "${tool##*/} failed"
}

check_installed() {
    STEP=check-written
    blockdev --rereadpt "$DISK" 2>/dev/null || true
    mount_oem rw || fail "no OEM partition on $DISK after the install"
    found=$(installed_sum)
    if [ "$found" != "$SUM" ]; then
        umount "$RUN/oem"
        fail "the config on the OEM partition is not $HOST's (SHA-512 ${found:-missing})"
    fi
    say "installed $HOST on $DEVICE; its config on the OEM partition checks out"
    say "rebooting: boot from the disk now (the ISO boots once only)"
    stop_log
    cp "$LOG" "$RUN/oem/hostiso-install.log"
    umount "$RUN/oem"
    sync
}

main() {
    start_log
    trap 'on_exit $?' EXIT
    say "unattended install from $MEDIA ($(grep -c '^host ' "$DATA/index") host(s) on this ISO)"
    read_machine
    show_machine
    pick_host
    find_device
    if already_installed; then
        say "$DEVICE already holds $HOST's config (same SHA-512): nothing written"
        say "powering off: detach the ISO or boot from the disk"
        DONE=yes
        stop_log
        systemctl poweroff
        exit 0
    fi
    check_blank
    check_image
    run_installer
    check_installed
    DONE=yes
    systemctl reboot
}

main
