qemu-img
info
--output=json
/srv/images/debian.vmdk
