{
  "targets": [
    {
      "target_name": "peercred",
      "sources": ["peercred.c", "fd-passing.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
