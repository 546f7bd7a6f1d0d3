qemu-img
resize
-q
-f
qcow2
/var/lib/nova/vms/web/disk0.qcow2
21474836480
