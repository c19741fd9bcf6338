module example/rewrite

go 1.24
