qemu-img
convert
-p
-O
qcow2
/home/u/disk.vdi
/var/lib/nova/images/disk.qcow2
