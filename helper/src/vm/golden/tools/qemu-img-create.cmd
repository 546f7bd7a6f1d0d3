qemu-img
create
-q
-f
qcow2
/var/lib/nova/vms/web/disk0.qcow2
8589934592
