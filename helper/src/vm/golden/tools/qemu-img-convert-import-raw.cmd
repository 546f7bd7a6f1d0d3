qemu-img
convert
-p
-O
qcow2
json:{"driver":"raw","file":{"driver":"file","filename":"/dev/stdin"}}
/var/lib/nova/images/disk.qcow2
