qemu-img
snapshot
-q
-c
pre-upgrade
/var/lib/nova/vms/web/disk0.qcow2
