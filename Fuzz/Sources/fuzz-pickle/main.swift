import FuzzSupport

FuzzDriver.run { data, size in fuzzPickle(data, size) }
