qemu-img
info
--output=json
-f
qcow2
/var/lib/nova/images/debian.qcow2
