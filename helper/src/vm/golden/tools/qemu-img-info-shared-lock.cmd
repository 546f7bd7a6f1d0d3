qemu-img
info
--output=json
-U
/var/lib/nova/vms/web/disk0.qcow2
