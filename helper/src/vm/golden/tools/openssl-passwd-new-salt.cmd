openssl
passwd
-6
-stdin
