module larder.bench/load

go 1.24
