import FuzzSupport

FuzzDriver.run { data, size in fuzzLabelTable(data, size) }
