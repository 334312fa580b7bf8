import FuzzSupport

FuzzDriver.run { data, size in fuzzONNX(data, size) }
