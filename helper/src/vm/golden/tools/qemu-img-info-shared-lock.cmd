qemu-img
info
--output=json
-f
qcow2
-U
/var/lib/nova/vms/web/disk0.qcow2
