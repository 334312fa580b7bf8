import GeoLensTensor
print("threads: \(Parallel.threadCount)")
