qemu-img
convert
-p
-O
qcow2
json:{"driver":"qcow2","file":{"driver":"file","filename":"/dev/stdin"},"backing":{"driver":"qcow2","file":{"driver":"file","filename":"/proc/4242/fd/22"},"backing":null}}
/var/lib/nova/vms/web2/disk0.qcow2
