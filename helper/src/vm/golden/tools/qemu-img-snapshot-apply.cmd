qemu-img
snapshot
-q
-a
pre-upgrade
/var/lib/nova/vms/web/disk0.qcow2
