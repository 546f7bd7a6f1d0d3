/opt/qemu/bin/qemu-img
info
--output=json
-f
raw
/var/lib/nova/vms/web/disk0.qcow2
