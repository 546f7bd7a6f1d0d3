qemu-img
check
--output=json
-f
qcow2
json:{"driver":"qcow2","file":{"driver":"file","filename":"/var/lib/nova/vms/web/disk0.qcow2"},"backing":null}
