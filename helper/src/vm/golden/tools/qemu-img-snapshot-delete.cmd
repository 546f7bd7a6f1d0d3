qemu-img
snapshot
-q
-d
pre-upgrade
/var/lib/nova/vms/web/disk0.qcow2
