module larder.bench/diskcache

go 1.24
