/opt/qemu/bin/qemu-img
info
--output=json
/var/lib/nova/vms/web/disk0.qcow2
