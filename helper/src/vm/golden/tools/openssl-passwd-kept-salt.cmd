openssl
passwd
-6
-salt
saltsalt
-stdin
