qemu-img
convert
-p
-O
qcow2
json:{"driver":"qcow2","file":{"driver":"file","filename":"/dev/stdin"},"backing":{"driver":"vmdk","file":{"driver":"file","filename":"/proc/4242/fd/22"},"backing":{"driver":"raw","file":{"driver":"file","filename":"/proc/4242/fd/23"}}}}
/var/lib/nova/images/disk.qcow2
