module airlock.dev/supervisor

go 1.22
