import FuzzSupport

FuzzDriver.run { data, size in fuzzSourceTable(data, size) }
